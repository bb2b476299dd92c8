"""Shared by the tests of the checks from pictures: simulated pictures as bytes, the endpoint, a site offering them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import override_settings

from django_ekyc.services.consent import DEFAULT_VERSION
from django_ekyc.simulator.jpeg_marks import sample_jpeg
from django_ekyc.simulator.picture_marks import sample_picture

CHECKS_URL = "/ekyc/api/checks/"
CONSENTS_URL = "/ekyc/api/consents/"
CONSENT = DEFAULT_VERSION
HONG_KONG_CHECKS = [
    "FACE_COMPARE",
    "FACE_LIVENESS_MIN",
    "FACE_LIVENESS_MIN_PRO",
    "ID_OCR_MIN",
    "ID_OCR_MAX",
    "eKYC_MIN",
]


def face(person: str | None = "alice", **marks: Any) -> bytes:
    return sample_picture(kind="face", person=person, **marks)


def document(person: str = "alice", doc_type: str = "GLB03002", **marks: Any) -> bytes:
    return sample_picture(kind="document", person=person, document=doc_type, **marks)


def jpeg_face(person: str | None = "alice", **marks: Any) -> bytes:
    return sample_jpeg(person=person, **marks)


def as_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def upload(name: str, data: bytes, content_type: str = "image/png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@contextmanager
def offering(simulator: Any, checks: list[str] | None = None, **settings: Any) -> Iterator[None]:
    """The site offers ``checks`` (the Hong Kong ones by default) against ``simulator``."""
    with override_settings(EKYC=simulator.ekyc_settings(PICTURE_CHECKS=checks or HONG_KONG_CHECKS, **settings)):
        yield


def sent_picture(simulator: Any, action: str, parameter: str) -> bytes:
    """The picture the provider received in the latest ``action`` call."""
    params = simulator.control.calls(action)[-1]["params"]
    return base64.b64decode(params[parameter])
