"""The face libraries' own operations: register a face (``AddFaceRecord``), page through records
(``QueryFaceRecord``, with an opaque ``NextToken`` bound to its query), delete a user's faces (``DeleteFaceRecordV2``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from django_ekyc.simulator.faces import groups_of, in_face_region, person_in
from django_ekyc.simulator.params import invalid, required
from django_ekyc.simulator.state import SimulatorState

MAX_MERCHANT_USER_ID = 32


class TopLevel(dict[str, Any]):
    """An answer whose fields sit beside ``RequestId`` rather than under ``Result`` (QueryFaceRecord)."""


def add_face_record(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``AddFaceRecord``: put a face in a library under a ``MerchantUserId`` (the same user's face is replaced)."""
    in_face_region(state)
    required(params, "ProductCode", "FaceGroupCode", "FacePicture")
    if params["ProductCode"] != "FACE_ENROLL":
        raise invalid("ProductCode", "The only value is FACE_ENROLL.")
    group = groups_of(state, params["FaceGroupCode"], "FaceGroupCode")[0]
    person = person_in(params, "FacePicture")
    merchant_user_id = params.get("MerchantUserId") or f"image-{person}"  # the provider: the image's name
    if len(merchant_user_id) > MAX_MERCHANT_USER_ID:
        raise invalid("MerchantUserId", f"At most {MAX_MERCHANT_USER_ID} characters.")
    state.register_face(group, merchant_user_id, person, "MANUAL", overwrite=True)
    return {"Passed": "Y", "ExtFaceInfo": json.dumps({"faceQuality": "HIGH"})}  # its content: UNDOCUMENTED


def query_face_record(state: SimulatorState, params: Mapping[str, str], public_url: str) -> TopLevel:
    """``QueryFaceRecord``: one page of a library's faces (the answer's fields are at the top level, as the SDK
    models them). ``NextToken`` is opaque: the previous page's, for the same query, leads on from where it ended,
    whatever ``CurrentPage`` says; the last page has none."""
    in_face_region(state)
    required(params, "FaceGroupCode", "CurrentPage", "PageSize")
    group = groups_of(state, params["FaceGroupCode"], "FaceGroupCode")[0]
    page, size = _positive(params, "CurrentPage"), _positive(params, "PageSize")
    query = _query_key(params)
    offset = _token_offset(params["NextToken"], query) if params.get("NextToken") else (page - 1) * size
    faces = state.query_faces(group, params.get("MerchantUserId", ""), params.get("FaceId", ""))
    if params.get("RegistrationType"):
        faces = [face for face in faces if face.registration_type == params["RegistrationType"]]
    shown = faces[offset : offset + size]
    answer = TopLevel(
        TotalCount=len(faces),
        TotalPage=max(1, -(-len(faces) // size)),
        CurrentPage=offset // size + 1,
        PageSize=size,
        Items=[
            {
                "Id": face.id,
                "FaceId": face.face_id,
                "MerchantUserId": face.merchant_user_id,
                "RegistrationType": face.registration_type,
                "ImgOssUrl": f"{public_url}/_sim/faces/{face.face_id}.png",
                "GmtCreate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(face.created_at)),
            }
            for face in shown
        ],
    )
    if offset + size < len(faces):
        answer["NextToken"] = _page_token(query, offset + size)
    if params.get("MaxResults"):
        answer["MaxResults"] = _positive(params, "MaxResults")
    return answer


def _query_key(params: Mapping[str, str]) -> str:
    """What a page token is bound to: the library and the filters of the query it continues."""
    names = ("FaceGroupCode", "MerchantUserId", "FaceId", "RegistrationType")
    return hashlib.sha256("\x1f".join(params.get(name, "") for name in names).encode()).hexdigest()[:16]


def _page_token(query: str, offset: int) -> str:
    raw = json.dumps({"q": query, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _token_offset(token: str, query: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = decoded["o"]
        valid = decoded["q"] == query and isinstance(offset, int) and offset >= 0
    except (binascii.Error, ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise invalid("NextToken", "The token is not one this query answered.")
    return int(offset)


def _positive(params: Mapping[str, str], name: str) -> int:
    value = params[name]
    if not value.isdigit() or int(value) < 1:
        raise invalid(name, "A positive integer is expected.")
    return int(value)


def delete_face_record_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DeleteFaceRecordV2``: delete a user's face from one library, or from every library when no
    ``FaceGroupCode`` is given. ``Deleted=N`` when there was nothing to delete."""
    in_face_region(state)
    required(params, "MerchantUserId")
    group = params.get("FaceGroupCode") or None
    if group:
        groups_of(state, group, "FaceGroupCode")
    deleted = state.delete_faces(params["MerchantUserId"], group)
    return {"Deleted": "Y" if deleted else "N", "DeletedGroupCodes": ",".join(deleted)}
