"""Faces: persons, face libraries and the products that compare or search faces.

A simulated face is a small PNG naming the person it shows (:func:`~.data.face_picture`): two faces match when,
and only when, they name the same person. The completion control and the hosted page say who did the liveness
check (a ``person`` label; a new person by default), so a test can make the same person verify twice, or two
people verify once each.

Modelled on what the provider documents: ``FACE_VERIFY`` compares the live face with the picture the site
supplied (``FacePictureBase64``); ``FACE_IDU`` searches face libraries (``FaceGroupCodes``, ``ReturnFaces``) and
registers the face when nobody matches (``AutoRegistration=0``); ``FACE_IDU_MIN`` does the same search server-side
for a picture, under either name its pages give it (``FaceVerifyIntl``, ``FaceDuplicationCheckIntl``), each with
its own SDK model's parameters and answer; ``AddFaceRecord``, ``QueryFaceRecord`` and ``DeleteFaceRecordV2``
manage the libraries, which are created in the console (here: ``--face-group`` or ``POST /_sim/face-groups``) and
exist only in the regions the catalogue gives face libraries (:data:`FACE_LIBRARY_REGIONS`).

What the simulator answers that the provider does not document is listed in :data:`UNDOCUMENTED` (and in
docs/faces.md): do not build on it.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Mapping
from typing import Any

from django_ekyc.catalogue.products import FACE_LIBRARY_REGIONS
from django_ekyc.simulator import data
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.face_records import FaceSearch, FaceSearchOutcome
from django_ekyc.simulator.params import invalid, required
from django_ekyc.simulator.state import SimTransaction, SimulatorState, new_transaction_id

MAX_GROUPS = 10
MAX_RETURN_FACES = 5
MAX_MERCHANT_USER_ID = 32
VERIFY = "FaceVerifyIntl"
DUPLICATION_CHECK = "FaceDuplicationCheckIntl"
# The SDK's FaceVerifyIntl model marks these "Required when ProductCode=FACE_IDU_MIN".
FACE_IDU_MIN_REQUIRED = ("AutoRegistration", "FaceGroupCodes", "FaceRegisterGroupCode", "ReturnFaces", "VerifyModel")
# The SDK's FaceDuplicationCheckIntl model marks these required.
DUPLICATION_CHECK_REQUIRED = ("MerchantBizId", "MerchantUserId", "ProductCode", "VerifyModel")

# What the simulator answers that neither the SDK's models nor the provider's pages consulted document: the field
# (``Operation.Field``, or a key inside a field) and what the simulator makes of it. docs/faces.md lists each one.
UNDOCUMENTED: Mapping[str, str] = {
    "FaceVerifyIntl.DuplicateFace": "the keys of DuplicateFace's entries (faceGroupCode, faceId, merchantUserId, "
    "score): FaceVerifyIntl's SDK model says only 'the face ID, user ID, and comparison score', "
    "FaceDuplicationCheckIntl's 'the face ID and UserID', both as a string",
    "FaceVerifyIntl.FaceAttack": "FaceAttack and FaceAttackScore on every FaceVerifyIntl answer: the SDK says they "
    "come 'when passive liveness detection is enabled', and FaceVerifyIntl has no switch for it (its page calls it "
    "a liveness service); FaceDuplicationCheckIntl answers them only with Liveness=1",
    "FaceVerifyIntl.SubCode": "200 (passed) and 204 (not the same person), borrowed from CheckResult: no SubCode "
    "table of FaceVerifyIntl or FaceDuplicationCheckIntl was found",
    "AddFaceRecord.ExtFaceInfo": 'its content ({"faceQuality": "HIGH"}): the SDK says \'the face result '
    "information' and names no key",
    "QueryFaceRecord.NextToken": "what the token holds (the simulator's: where the next page starts, for the same "
    "query), that it wins over CurrentPage, and that the last page has none",
    "QueryFaceRecord.GmtCreate": "its format (here ISO 8601, UTC)",
    "QueryFaceRecord.RegistrationType": "its values (here MANUAL: AddFaceRecord, AUTO: registered by a search)",
    "QueryFaceRecord.MaxResults": "how it combines with PageSize: echoed, pages follow PageSize",
    "Forbidden.RegionNotSupported": "the 403 answer to a face operation outside the face-library regions: the "
    "provider's status-code page lists no such code",
    "CheckResult.ExtFaceInfo.duplicateFace": "where a hosted FACE_IDU's CheckResult puts the search's matches "
    "(and faceRegistrationResult, faceRegistrationId): answered there in the form of DuplicateFace",
}


def person_in(params: Mapping[str, str], name: str) -> str:
    person = data.person_in(params.get(name, ""))
    if person is None:
        raise invalid(name, "No face was found in the picture.")
    return person


def groups_of(state: SimulatorState, value: str, name: str) -> tuple[str, ...]:
    groups = tuple(code.strip() for code in value.split(",") if code.strip())
    if not groups or len(groups) > MAX_GROUPS:
        raise invalid(name, f"Give 1 to {MAX_GROUPS} face library codes, separated by commas.")
    unknown = sorted(set(groups) - state.known_face_groups())
    if unknown:
        raise invalid(name, f"No face library {unknown[0]!r} in this region.")
    return groups


def face_search_for(state: SimulatorState, params: Mapping[str, str]) -> FaceSearch | None:
    """The search a FACE_IDU Initialize asks for (``VerifyModel`` 0 or 2); checked as the provider would."""
    model = params.get("VerifyModel", "1")
    if model not in ("0", "1", "2"):
        raise invalid("VerifyModel", "Valid values: 0, 1, 2.")
    if model == "1":
        return None
    required(params, "FaceGroupCodes")
    groups = groups_of(state, params["FaceGroupCodes"], "FaceGroupCodes")
    limit = params.get("ReturnFaces", "1")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_RETURN_FACES:
        raise invalid("ReturnFaces", f"Between 1 and {MAX_RETURN_FACES}.")
    register = params.get("AutoRegistration", "1")
    if register not in ("0", "1"):
        raise invalid("AutoRegistration", "Valid values: 0 (register), 1 (do not register).")
    register_into = None
    if register == "0":
        required(params, "FaceRegisterGroupCode")
        register_into = groups_of(state, params["FaceRegisterGroupCode"], "FaceRegisterGroupCode")[0]
        if len(params.get("MerchantUserId", "")) > MAX_MERCHANT_USER_ID:
            raise invalid("MerchantUserId", f"A face is registered under at most {MAX_MERCHANT_USER_ID} characters.")
    return FaceSearch(
        groups=groups,
        limit=int(limit),
        register_into=register_into,
        merchant_user_id=params.get("MerchantUserId", ""),
        overwrite=params.get("UpdateFaceIfUserExists") == "Y",
    )


def reference_person_for(params: Mapping[str, str]) -> str | None:
    """Who the picture a FACE_VERIFY Initialize supplies shows; one of FacePictureBase64, FacePictureUrl."""
    if not params.get("FacePictureUrl"):
        required(params, "FacePictureBase64")
    if params.get("FacePictureBase64"):
        return person_in(params, "FacePictureBase64")
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


def in_face_region(state: SimulatorState) -> None:
    """Face libraries, and the operations on them, exist where the catalogue says (FACE_LIBRARY_REGIONS: Hong Kong,
    Singapore, Jakarta and Kuala Lumpur); the refusal's code is the simulator's (``UNDOCUMENTED``)."""
    if state.region not in FACE_LIBRARY_REGIONS:
        raise SimulatedApiError(
            403, "Forbidden.RegionNotSupported", f"Face libraries are not offered in {state.region}."
        )


def _picture_person(params: Mapping[str, str], prefix: str) -> str:
    """Who the ``<prefix>FacePicture`` shows; one of it, ``...Url`` and ``...File`` is given. A picture the simulator
    cannot fetch (a URL, a file stream) is a face that matches nobody."""
    name = f"{prefix}FacePicture"
    picture = params.get(name, "")
    if not picture:
        if params.get(f"{name}Url") or params.get(f"{name}File"):
            return f"unfetched-{secrets.token_hex(8)}"
        required(params, name)
    return person_in(params, name)


def face_verify_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceVerifyIntl``: the server-side face check of a picture, ``FACE_IDU_MIN`` (search, mode 0) or
    ``FACE_VERIFY_MIN`` (compare with a target picture, mode 1), or both (mode 2); registers the face when a search
    finds nobody and ``AutoRegistration=0``. With FACE_IDU_MIN the five parameters its SDK model marks required
    must be there, whether the search registers or not."""
    in_face_region(state)
    required(params, "ProductCode")
    if params["ProductCode"] not in ("FACE_IDU_MIN", "FACE_VERIFY_MIN"):
        raise invalid("ProductCode", "Valid values: FACE_IDU_MIN, FACE_VERIFY_MIN.")
    if params["ProductCode"] == "FACE_IDU_MIN":
        required(params, *FACE_IDU_MIN_REQUIRED)
    return _face_check(state, params, VERIFY)


def face_duplication_check_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceDuplicationCheckIntl``: the FACE_IDU_MIN search as the en (2026-02), zh and ja pages name it: its own
    required parameters, ``Liveness`` (0 or 1) for the passive liveness check, and the same answer fields as
    FaceVerifyIntl's with its SDK model's types (the scores as strings)."""
    in_face_region(state)
    required(params, *DUPLICATION_CHECK_REQUIRED)
    if params["ProductCode"] != "FACE_IDU_MIN":
        raise invalid("ProductCode", "The only value is FACE_IDU_MIN.")
    if params.get("Liveness", "0") not in ("0", "1"):
        raise invalid("Liveness", "Valid values: 0 (disabled), 1 (enabled).")
    return _face_check(state, params, DUPLICATION_CHECK)


def _face_check(state: SimulatorState, params: Mapping[str, str], action: str) -> dict[str, Any]:
    model = params.get("VerifyModel") or "1"
    if model not in ("0", "1", "2"):
        raise invalid("VerifyModel", "Valid values: 0, 1, 2.")
    person = _picture_person(params, "Source")
    search = None
    if model in ("0", "2"):
        if params.get("AutoRegistration") == "0":
            required(params, "MerchantUserId")
        search = face_search_for(state, {**params, "VerifyModel": "0"})
    compared = _picture_person(params, "Target") if model in ("1", "2") else None
    as_text = action == DUPLICATION_CHECK  # that model types the scores as strings, FaceVerifyIntl's as numbers
    result: dict[str, Any] = {
        "TransactionId": new_transaction_id(),
        "SubCode": "200",
        "ExtFaceInfo": _quality(person, compared is not None),  # an object here, as both SDK models have it
    }
    if action == VERIFY or params.get("Liveness") == "1":
        result["FaceAttack"] = "N"
        result["FaceAttackScore"] = _typed(round(_score(person + ":attack", False) / 10, 2), as_text)
    passed = True
    if compared is not None:
        same = compared == person
        result["FaceComparisonScore"] = _typed(_score(person, same), as_text)
        passed = same
    if search is not None:
        found = state.search_faces(search, person)
        if found.matches:
            result["DuplicateFace"] = json.dumps(_duplicate_face(found, person, action), separators=(",", ":"))
        if search.register_into:
            result["FaceRegistrationResult"] = 1 if found.registered else 0
            if found.registered:
                result["FaceRegistrationId"] = found.registered.face_id
    result["FacePassed"] = "Y" if passed else "N"
    if not passed:
        result["SubCode"] = "204"
    return result


def _duplicate_face(found: FaceSearchOutcome, person: str, action: str) -> list[dict[str, Any]]:
    """DuplicateFace's entries; FaceVerifyIntl's model adds the comparison score (the keys: ``UNDOCUMENTED``)."""
    entries: list[dict[str, Any]] = [dict(entry) for entry in found.duplicate_face()]
    if action == VERIFY:
        for entry in entries:
            entry["score"] = _score(f"{person}:{entry['faceId']}", True)
    return entries


def _typed(value: float, as_text: bool) -> float | str:
    return str(value) if as_text else value


def _quality(person: str, with_target: bool) -> dict[str, float]:
    """ExtFaceInfo's quality scores (0-100, higher is better), as the SDK names them; the values are simulated, and
    the reference picture's (``Target*``) come only when one was compared."""
    names = ("FaceQualityScore", "IlluminationScore", "KaOcclusionScore", "OcclusionScore", "SharpnessScore")
    scores = {name: round(80 + _score(f"{person}:{name}", False) / 5, 2) for name in names}
    if with_target:
        scores.update({f"Target{name}": value for name, value in scores.items()})
    return scores
