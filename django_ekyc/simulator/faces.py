"""Faces: persons, face libraries and the products that compare or search faces.

A simulated face is a small PNG naming the person it shows (:func:`~.data.face_picture`): two faces match when,
and only when, they name the same person. The completion control and the hosted page say who did the liveness
check (a ``person`` label; a new person by default), so a test can make the same person verify twice, or two
people verify once each.

Modelled on what the provider documents: ``FACE_VERIFY`` compares the live face with the picture the site
supplied (``FacePictureBase64``); ``FACE_IDU`` searches face libraries (``FaceGroupCodes``, ``ReturnFaces``) and
registers the face when nobody matches (``AutoRegistration=0``); ``FaceVerifyIntl`` (``FACE_IDU_MIN``) does the
same search server-side for a picture; ``AddFaceRecord``, ``QueryFaceRecord`` and ``DeleteFaceRecordV2`` manage
the libraries, which are created in the console (here: ``--face-group`` or ``POST /_sim/face-groups``). The
provider does not document where a hosted FACE_IDU's CheckResult puts the search's matches; the simulator
answers them as ``ExtFaceInfo.duplicateFace``, in the form FaceVerifyIntl documents for its ``DuplicateFace``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from typing import Any

from django_ekyc.catalogue.products import FACE_LIBRARY_REGIONS
from django_ekyc.simulator import data
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.face_records import FaceSearch, FaceSearchOutcome
from django_ekyc.simulator.state import SimTransaction, SimulatorState, new_transaction_id

MAX_GROUPS = 10
MAX_RETURN_FACES = 5
MAX_MERCHANT_USER_ID = 32


class TopLevel(dict[str, Any]):
    """An answer whose fields sit beside ``RequestId`` rather than under ``Result`` (QueryFaceRecord)."""


def _invalid(name: str, detail: str = "") -> SimulatedApiError:
    message = f'The specified parameter "{name}" is not valid.' + (f" {detail}" if detail else "")
    return SimulatedApiError(400, "InvalidParameter", message)


def _required(params: Mapping[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name, "").strip():
            message = f'The input parameter "{name}" that is mandatory for processing this request is not supplied.'
            raise SimulatedApiError(400, "MissingParameter", message)


def _person(params: Mapping[str, str], name: str) -> str:
    person = data.person_in(params.get(name, ""))
    if person is None:
        raise _invalid(name, "No face was found in the picture.")
    return person


def _groups(state: SimulatorState, value: str, name: str) -> tuple[str, ...]:
    groups = tuple(code.strip() for code in value.split(",") if code.strip())
    if not groups or len(groups) > MAX_GROUPS:
        raise _invalid(name, f"Give 1 to {MAX_GROUPS} face library codes, separated by commas.")
    unknown = sorted(set(groups) - state.known_face_groups())
    if unknown:
        raise _invalid(name, f"No face library {unknown[0]!r} in this region.")
    return groups


def face_search_for(state: SimulatorState, params: Mapping[str, str]) -> FaceSearch | None:
    """The search a FACE_IDU Initialize asks for (``VerifyModel`` 0 or 2); checked as the provider would."""
    model = params.get("VerifyModel", "1")
    if model not in ("0", "1", "2"):
        raise _invalid("VerifyModel", "Valid values: 0, 1, 2.")
    if model == "1":
        return None
    _required(params, "FaceGroupCodes")
    groups = _groups(state, params["FaceGroupCodes"], "FaceGroupCodes")
    limit = params.get("ReturnFaces", "1")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_RETURN_FACES:
        raise _invalid("ReturnFaces", f"Between 1 and {MAX_RETURN_FACES}.")
    register = params.get("AutoRegistration", "1")
    if register not in ("0", "1"):
        raise _invalid("AutoRegistration", "Valid values: 0 (register), 1 (do not register).")
    register_into = None
    if register == "0":
        _required(params, "FaceRegisterGroupCode")
        register_into = _groups(state, params["FaceRegisterGroupCode"], "FaceRegisterGroupCode")[0]
        if len(params["MerchantUserId"]) > MAX_MERCHANT_USER_ID:
            raise _invalid("MerchantUserId", f"A face is registered under at most {MAX_MERCHANT_USER_ID} characters.")
    return FaceSearch(
        groups=groups,
        limit=int(limit),
        register_into=register_into,
        merchant_user_id=params["MerchantUserId"],
        overwrite=params.get("UpdateFaceIfUserExists") == "Y",
    )


def reference_person_for(params: Mapping[str, str]) -> str | None:
    """Who the picture a FACE_VERIFY Initialize supplies shows; one of FacePictureBase64, FacePictureUrl."""
    if not params.get("FacePictureUrl"):
        _required(params, "FacePictureBase64")
    if params.get("FacePictureBase64"):
        return _person(params, "FacePictureBase64")
    return None  # a URL the simulator cannot fetch: a face that matches nobody


def settled_outcome(tx: SimTransaction, outcome: data.Outcome, person: str) -> data.Outcome:
    """What a face check concludes: FACE_VERIFY fails the comparison when the live person is not the one in the
    supplied picture."""
    if tx.product_code == "FACE_VERIFY" and outcome.passed and person != tx.reference_person:
        return data.OUTCOMES["face_mismatch"]
    return outcome


def _score(seed: str, same: bool) -> float:
    rng = random.Random(seed)
    return round(rng.uniform(88, 99) if same else rng.uniform(5, 40), 2)


def face_verify_result(tx: SimTransaction, outcome: data.Outcome, with_images: bool) -> dict[str, str]:
    """FACE_VERIFY's CheckResult: liveness, and the comparison with the supplied picture."""
    info = data.ext_liveness_info(tx.transaction_id, outcome, with_images, tx.person)
    same = tx.person is not None and tx.person == tx.reference_person
    info["faceComparisonScore"] = _score(tx.transaction_id, same)
    info["facePassed"] = "Y" if outcome.passed else "N"
    return face_only_payload(tx, outcome, with_images, info)


def face_idu_result(tx: SimTransaction, outcome: data.Outcome, with_images: bool) -> dict[str, str]:
    """FACE_IDU's CheckResult: liveness, and what the library search found (and registered) when the flow ended."""
    info = data.ext_liveness_info(tx.transaction_id, outcome, with_images, tx.person)
    found = tx.search_outcome or FaceSearchOutcome([])
    info["duplicateFace"] = found.duplicate_face()
    info["faceRegistrationResult"] = 1 if found.registered else 0
    if found.registered:
        info["faceRegistrationId"] = found.registered.face_id
    return face_only_payload(tx, outcome, with_images, info)


def face_only_payload(
    tx: SimTransaction, outcome: data.Outcome, with_images: bool, info: dict[str, Any]
) -> dict[str, str]:
    """A CheckResult of a product that reads no document: ExtFaceInfo only."""
    return data.check_result_payload(
        transaction_id=tx.transaction_id,
        doc_type="",
        outcome=outcome,
        with_images=with_images,
        product_code=tx.product_code,
        id_info={},
        face_info=info,
    )


# -- the face library operations ---------------------------------------------------------------------------


def _in_face_region(state: SimulatorState) -> None:
    """The server-side search (FACE_IDU_MIN) runs where the regions page lists it; the library operations'
    own pages list Kuala Lumpur too, so they run in every region."""
    if state.region not in FACE_LIBRARY_REGIONS:
        raise SimulatedApiError(
            403, "Forbidden.RegionNotSupported", f"Face libraries are not offered in {state.region}."
        )


def face_verify_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceVerifyIntl``: the server-side face check of a picture (``FACE_IDU_MIN``): search (mode 0), compare
    with a target picture (mode 1), or both (mode 2); registers the face when a search finds nobody."""
    _in_face_region(state)
    _required(params, "ProductCode", "MerchantBizId", "SourceFacePicture")
    if params["ProductCode"] not in ("FACE_IDU_MIN", "FACE_VERIFY_MIN"):
        raise _invalid("ProductCode", "Valid values: FACE_IDU_MIN, FACE_VERIFY_MIN.")
    model = params.get("VerifyModel", "1")
    if model not in ("0", "1", "2"):
        raise _invalid("VerifyModel", "Valid values: 0, 1, 2.")
    if params["ProductCode"] == "FACE_IDU_MIN" and model in ("0", "2"):
        # The SDK's FaceVerifyIntl model: required with FACE_IDU_MIN, whether the search registers or not.
        _required(params, "FaceRegisterGroupCode")
    person = _person(params, "SourceFacePicture")
    result: dict[str, Any] = {
        "TransactionId": new_transaction_id(),
        "FaceAttack": "N",
        "FaceAttackScore": round(_score(person + ":attack", False) / 10, 2),
        "SubCode": "200",
        "ExtFaceInfo": _quality(person, "TargetFacePicture" in params),  # an object here, as the SDK models it
    }
    passed = True
    if model in ("1", "2"):
        same = _person(params, "TargetFacePicture") == person
        result["FaceComparisonScore"] = _score(person, same)
        passed = same
    if model in ("0", "2"):
        _required(params, "MerchantUserId")
        search = face_search_for(state, {**params, "VerifyModel": "0"})
        assert search is not None  # mode 0 always searches
        found = state.search_faces(search, person)
        result["DuplicateFace"] = json.dumps(found.duplicate_face(), separators=(",", ":"))
        result["FaceRegistrationResult"] = 1 if found.registered else 0
        if found.registered:
            result["FaceRegistrationId"] = found.registered.face_id
    result["FacePassed"] = "Y" if passed else "N"
    if not passed:
        result["SubCode"] = "204"
    return result


def face_duplication_check_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceDuplicationCheckIntl``: the FACE_IDU_MIN search as the en, zh and ja pages name it, with the same answer
    as FaceVerifyIntl's; ``Liveness`` (0 or 1) turns its passive liveness check on."""
    _required(params, "MerchantBizId", "MerchantUserId", "ProductCode", "VerifyModel")
    if params.get("Liveness", "0") not in ("0", "1"):
        raise _invalid("Liveness", "Valid values: 0, 1.")
    if params["ProductCode"] != "FACE_IDU_MIN":
        raise _invalid("ProductCode", "The only value is FACE_IDU_MIN.")
    return face_verify_intl(state, params, public_url)


def _quality(person: str, with_target: bool) -> dict[str, float]:
    """ExtFaceInfo's quality scores (0-100, higher is better), as the SDK names them; the values are simulated."""
    names = ("FaceQualityScore", "IlluminationScore", "KaOcclusionScore", "OcclusionScore", "SharpnessScore")
    scores = {name: round(80 + _score(f"{person}:{name}", False) / 5, 2) for name in names}
    if with_target:
        scores.update({f"Target{name}": value for name, value in scores.items()})
    return scores


def add_face_record(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``AddFaceRecord``: put a face in a library under a ``MerchantUserId`` (the same user's face is replaced)."""
    _required(params, "ProductCode", "FaceGroupCode", "FacePicture")
    if params["ProductCode"] != "FACE_ENROLL":
        raise _invalid("ProductCode", "The only value is FACE_ENROLL.")
    group = _groups(state, params["FaceGroupCode"], "FaceGroupCode")[0]
    person = _person(params, "FacePicture")
    merchant_user_id = params.get("MerchantUserId") or f"image-{person}"  # the provider: the image's name
    if len(merchant_user_id) > MAX_MERCHANT_USER_ID:
        raise _invalid("MerchantUserId", f"At most {MAX_MERCHANT_USER_ID} characters.")
    state.register_face(group, merchant_user_id, person, "MANUAL", overwrite=True)
    return {"Passed": "Y", "ExtFaceInfo": json.dumps({"faceQuality": "HIGH"})}


def query_face_record(state: SimulatorState, params: Mapping[str, str], public_url: str) -> TopLevel:
    """``QueryFaceRecord``: one page of a library's faces (the answer's fields are at the top level)."""
    _required(params, "FaceGroupCode", "CurrentPage", "PageSize")
    group = _groups(state, params["FaceGroupCode"], "FaceGroupCode")[0]
    page, size = _positive(params, "CurrentPage"), _positive(params, "PageSize")
    if params.get("NextToken"):  # the simulator's tokens name the page they lead to (the provider's are opaque)
        page = _positive({"NextToken": params["NextToken"].removeprefix("page-")}, "NextToken")
    faces = state.query_faces(group, params.get("MerchantUserId", ""), params.get("FaceId", ""))
    shown = faces[(page - 1) * size : page * size]
    pages = max(1, -(-len(faces) // size))
    return TopLevel(
        TotalCount=len(faces),
        TotalPage=pages,
        NextToken=f"page-{page + 1}" if page < pages else "",
        CurrentPage=page,
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


def _positive(params: Mapping[str, str], name: str) -> int:
    value = params[name]
    if not value.isdigit() or int(value) < 1:
        raise _invalid(name, "A positive integer is expected.")
    return int(value)


def delete_face_record_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DeleteFaceRecordV2``: delete a user's face from one library, or from every library when no
    ``FaceGroupCode`` is given. ``Deleted=N`` when there was nothing to delete."""
    _required(params, "MerchantUserId")
    group = params.get("FaceGroupCode") or None
    if group:
        _groups(state, group, "FaceGroupCode")
    deleted = state.delete_faces(params["MerchantUserId"], group)
    return {"Deleted": "Y" if deleted else "N", "DeletedGroupCodes": ",".join(deleted)}
