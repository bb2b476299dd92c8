"""What the simulator's routes take and give: a :class:`Request` in, a :class:`Reply` out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str  # raw, undecoded
    headers: Mapping[str, str]  # names lowercased
    body: bytes
    peer: str = ""  # client address:port


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers))

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        return cls(status, text.encode("utf-8"), content_type="text/html;charset=utf-8")


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def api_error(status: int, code: str, message: str, request_id: str, **headers: str) -> Reply:
    """The provider's error body, as its gateway and operations answer it."""
    body = {"RequestId": request_id, "HostId": "cloudauth-intl.simulator", "Code": code, "Message": message}
    return Reply.json(status, body, **{"x-acs-request-id": request_id, **headers})
