"""The provider's checks of a site's document pictures: DocOcr (ID_OCR_MIN), DocOcrMax (ID_OCR_MAX), CardOcr
(deprecated for DocOcr), and EkycVerify (eKYC_MIN: a document and a face), each with its V2 (file streams).

A document picture's marks say which document it is (its type code) and whose (``person``); its fields are those
the hosted flow answers for the same person and document (:mod:`.data` for the eight-digit greater-China codes,
:mod:`.documents` for the global ones), so that a person's document reads the same both ways. Where a document is
expected, a face picture is refused as a picture with no document in it. What is invented is in
:data:`UNDOCUMENTED`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES, GLOBAL_DOC_TYPES, GLOBAL_PASSPORT, MAINLAND_ID_CARD
from django_ekyc.simulator import data, documents
from django_ekyc.simulator.faces import _score
from django_ekyc.simulator.params import invalid, required
from django_ekyc.simulator.pictures import (
    DOCUMENT_LIMITS,
    HONG_KONG,
    JAKARTA,
    KUALA_LUMPUR,
    MB,
    SINGAPORE,
    TRUE_FALSE,
    Limits,
    Picture,
    face_in,
    ids,
    offered_in,
    one_of,
    option,
    picture,
    refused,
    scene_code,
)
from django_ekyc.simulator.state import SimulatorState, new_transaction_id

Reader = Callable[[str, random.Random], dict[str, str]] | None
# DocOcr, CardOcr and EkycVerify: Hong Kong only. ID_OCR_MAX: the newest page (es, 2026-11): Singapore and Hong Kong
# read the whole table, Jakarta and Kuala Lumpur their national identity card and the global e-passport.
MIN_REGIONS = frozenset({HONG_KONG})
MAX_REGIONS = frozenset({HONG_KONG, SINGAPORE, JAKARTA, KUALA_LUMPUR})
MAX_REGION_DOC_TYPES: Mapping[str, frozenset[str]] = {
    JAKARTA: frozenset({"IDN01001", GLOBAL_PASSPORT}),
    KUALA_LUMPUR: frozenset({"MYS01001", GLOBAL_PASSPORT}),
}
MAX_LIMITS = Limits(max_bytes=10 * MB, min_short=201, min_long=201, max_short=8191, max_long=8191)
THRESHOLDS = ("0", "1", "2", "3")
DOC_NO = re.compile(r"[A-Za-z0-9]{18}")

UNDOCUMENTED: Mapping[str, str] = {
    "DocOcr.RequiredParameters": "ProductCode and MerchantBizId are required (DocType is, by the 2023 DocOcr page)",
    "DocOcr.NoDocument": "a face picture, or a document of another type than DocType, answers 401 UnqualifiedPhoto",
    "DocOcr.SubCode": "200; a detected spoof (Spoof=T on a spoof-marked document) is Passed=N with 212, borrowed "
    "from the hosted CheckResult: no SubCode table was found",
    "DocOcr.Ocr": "its default T (CardOcr's); with F no ocrIdInfo is answered",
    "DocOcr.ExtIdInfo": "spoofInfo only with Spoof=T (IdSpoof=T), idFaceQualityScore only with IdFaceQuality=T",
    "DocOcr.CardSide": "the national-emblem side answers the same fields as the portrait side",
    "CardOcr.Regions": "Hong Kong, its picture limits DocOcr's (its replacement): no page was found",
    "CardOcr.ExtIdInfo": "repeats ExtCardInfo (the SDK: 'the additional result information', no example)",
    "DocOcrMax.Regions": "DocOcrMax is offered where DocOcrMaxV2's newer page says (Hong Kong too)",
    "DocOcrMax.AutoClassification": "OcrModel 1 or 2 reads the type from the document's mark; an unmarked or "
    "untyped document is GLB03002; a type the region does not read answers 401 UnqualifiedPhoto",
    "DocOcrMax.Authorize": "accepted; the answer does not change (no page shows how it shows)",
    "EkycVerify.Passed": "Y or N, as EkycVerifyV2's SDK model and both examples say; EkycVerify's says T or F",
    "EkycVerify.SubCode": "205 (an attack: the SDK's example) first, then 212 (a detected spoof) and 204 (not the "
    "document's holder), both borrowed from the hosted CheckResult",
    "EkycVerify.Authority": "with Authorize=T, DocName and DocNo and no document picture, the authority's photo is "
    "taken to show the face's person; authorityComparisonScore only with Authorize=T",
    "EkycVerify.FaceQualityCheck": "its values are not documented: not checked",
    "EkycVerifyV2.Regions": "Hong Kong, as EkycVerify: no page of EkycVerifyV2 was found",
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _doc_type(params: Mapping[str, str], allowed: Mapping[str, str] | frozenset[str]) -> str:
    required(params, "DocType")
    if params["DocType"] not in allowed:
        raise invalid("DocType", "Not a document type this operation reads here.")
    return params["DocType"]


def _document(found: Picture, doc_type: str) -> tuple[str, str | None]:
    """(what the document's fields derive from, its holder): the hosted flow's seed for the holder's own document,
    so that both read the same. A picture with no document of ``doc_type`` in it is refused."""
    marks = found.marks
    if marks is None:
        return f"picture:{found.identity}", found.face
    if marks.kind != "document":
        raise refused("UnqualifiedPhoto", "No identity document was found in the picture.")
    if marks.document and marks.document != doc_type:
        raise refused("UnqualifiedPhoto", f"The picture shows a {marks.document} document, not a {doc_type}.")
    return (f"person:{marks.person}" if marks.person else f"picture:{found.identity}"), marks.person


def _spoofed(found: Picture, checked: bool) -> bool:
    return checked and found.marks is not None and found.marks.spoof


def _id_info(doc_type: str, seed: str, spoofed: bool, read: Reader, *, keys: tuple[str, ...]) -> dict[str, Any]:
    """ExtIdInfo's ``keys`` (of ocrIdInfo, ocrIdPassed, spoofInfo) as the hosted flow builds them."""
    outcome = data.OUTCOMES["document_spoof" if spoofed else "pass"]
    info = data.ext_id_info(doc_type, seed, outcome, False, read=read)
    return {key: value for key, value in info.items() if key in keys}


def _verdict(result: dict[str, Any], spoofed: bool) -> dict[str, Any]:
    return {
        "TransactionId": new_transaction_id(),
        "Passed": "N" if spoofed else "Y",
        "SubCode": "212" if spoofed else "200",
        **result,
    }


# -- DocOcr, DocOcrV2, CardOcr (ID_OCR_MIN) --------------------------------------------------------------------


def doc_ocr(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DocOcr``: read a greater-China document (eight-digit DocType) from a picture."""
    return _read_card(state, params, "DocOcr", "")


def doc_ocr_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DocOcrV2``: the same, the picture also as a file stream (``IdOcrPictureFile``)."""
    return _read_card(state, params, "DocOcrV2", "IdOcrPictureFile")


def card_ocr(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``CardOcr``: DocOcr's predecessor (the API metadata marks it deprecated): no CardSide nor IdThreshold, and
    the fields read under ``ExtCardInfo``."""
    return _read_card(state, params, "CardOcr", "")


def _read_card(state: SimulatorState, params: Mapping[str, str], action: str, stream: str) -> dict[str, Any]:
    offered_in(state, MIN_REGIONS, action)
    one_of(params, "ProductCode", ("ID_OCR_MIN",))
    ids(params)
    doc_type = _doc_type(params, DEFAULT_DOC_TYPES)
    if action != "CardOcr":
        option(params, "CardSide", ("OCR_ID_FACE", "OCR_ID_NATIONAL_EMBLEM"), "OCR_ID_FACE")
        option(params, "IdThreshold", THRESHOLDS, "3")
    ocr = option(params, "Ocr", TRUE_FALSE, "T") == "T"
    face_quality = option(params, "IdFaceQuality", TRUE_FALSE, "F") == "T"
    spoof = option(params, "Spoof", TRUE_FALSE, "F") == "T"
    found = picture(params, "IdOcrPictureBase64", "IdOcrPictureUrl", stream, DOCUMENT_LIMITS)
    seed, _ = _document(found, doc_type)
    spoofed = _spoofed(found, spoof)
    keys = tuple(key for key, wanted in (("ocrIdInfo", ocr), ("spoofInfo", spoof)) if wanted)
    info = _id_info(doc_type, seed, spoofed, None, keys=keys)
    if face_quality:
        info["idFaceQualityScore"] = round(80 + _score(f"{seed}:portrait", False) / 2, 2)
    answer = {"ExtIdInfo": _json(info)}
    if action == "CardOcr":
        answer["ExtCardInfo"] = answer["ExtIdInfo"]
    return _verdict(answer, spoofed)


# -- DocOcrMax, DocOcrMaxV2 (ID_OCR_MAX) -----------------------------------------------------------------------


def doc_ocr_max(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DocOcrMax``: read a global document (country code and five digits) with the large model."""
    return _read_global(state, params, "DocOcrMax", "")


def doc_ocr_max_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DocOcrMaxV2``: the same without the deprecated Spoof and Prompt, the picture also as ``IdOcrPictureFile``."""
    return _read_global(state, params, "DocOcrMaxV2", "IdOcrPictureFile")


def _read_global(state: SimulatorState, params: Mapping[str, str], action: str, stream: str) -> dict[str, Any]:
    """OcrModel 0 reads the DocType given; 1 and 2 classify the document themselves, so DocType must be empty."""
    offered_in(state, MAX_REGIONS, action)
    one_of(params, "ProductCode", ("ID_OCR_MAX",))
    ids(params)
    scene_code(params)
    model = option(params, "OcrModel", ("0", "1", "2"), "0")
    option(params, "DocPage", ("01", "02"), "01")
    option(params, "IdThreshold", THRESHOLDS, "3")
    option(params, "Authorize", TRUE_FALSE, "F")
    option(params, "OcrValueStandard", ("0", "1"), "0")
    spoof = option(params, "IdSpoof", TRUE_FALSE, "F") == "T"
    if not stream:
        option(params, "Spoof", TRUE_FALSE, "F")  # deprecated: accepted, ignored
    readable = MAX_REGION_DOC_TYPES.get(state.region, frozenset(GLOBAL_DOC_TYPES))
    if model == "0":
        doc_type = _doc_type(params, readable)
    elif params.get("DocType"):
        raise invalid("DocType", "Leave it empty when OcrModel is 1 or 2.")
    found = picture(params, "IdOcrPictureBase64", "IdOcrPictureUrl", stream, MAX_LIMITS)
    if model != "0":
        marks = found.marks
        doc_type = (marks.document if marks and marks.kind == "document" else "") or GLOBAL_PASSPORT
        if doc_type not in readable:
            raise refused("UnqualifiedPhoto", f"No document of a type read in {state.region} was found.")
    seed, _ = _document(found, doc_type)
    spoofed = _spoofed(found, spoof)
    keys = ("ocrIdInfo", "spoofInfo") if spoof else ("ocrIdInfo",)
    info = {"docType": doc_type, **_id_info(doc_type, seed, spoofed, documents.ocr_fields, keys=keys)}
    return _verdict({"ExtIdInfo": _json(info)}, spoofed)


# -- EkycVerify, EkycVerifyV2 (eKYC_MIN) -----------------------------------------------------------------------


def ekyc_verify(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``EkycVerify``: a document and a face, server-side: is the face live and the document's holder's?"""
    return _verify(state, params, "EkycVerify", streams=False)


def ekyc_verify_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``EkycVerifyV2``: the same, each picture also as a file stream."""
    return _verify(state, params, "EkycVerifyV2", streams=True)


def _verify(state: SimulatorState, params: Mapping[str, str], action: str, *, streams: bool) -> dict[str, Any]:
    offered_in(state, MIN_REGIONS, action)
    one_of(params, "ProductCode", ("eKYC_MIN",))
    ids(params)
    doc_type = _doc_type(params, DEFAULT_DOC_TYPES)
    authorize = option(params, "Authorize", TRUE_FALSE, "F") == "T"
    spoof = option(params, "IdSpoof", TRUE_FALSE, "F") == "T"
    option(params, "Crop", TRUE_FALSE, "F")
    option(params, "IdThreshold", THRESHOLDS, "3")
    if params.get("DocNo") and not DOC_NO.fullmatch(params["DocNo"]):
        raise invalid("DocNo", "18 letters and digits.")
    face = picture(params, "FacePictureBase64", "FacePictureUrl", "FacePictureFile" if streams else "")
    person = face_in(face)
    id_stream = "IdOcrPictureFile" if streams else ""
    given = any(params.get(name) for name in ("IdOcrPictureBase64", "IdOcrPictureUrl", id_stream) if name)
    by_authority = authorize and doc_type == MAINLAND_ID_CARD and bool(params.get("DocName") and params.get("DocNo"))
    answer: dict[str, Any] = {}
    spoofed = False
    holder: str | None = person  # UNDOCUMENTED["EkycVerify.Authority"]
    if given or not by_authority:
        document = picture(params, "IdOcrPictureBase64", "IdOcrPictureUrl", id_stream, DOCUMENT_LIMITS)
        seed, holder = _document(document, doc_type)
        spoofed = _spoofed(document, spoof)
        keys = ("ocrIdInfo", "ocrIdPassed", "spoofInfo") if spoof else ("ocrIdInfo", "ocrIdPassed")
        answer["ExtIdInfo"] = _json(_id_info(doc_type, seed, spoofed, None, keys=keys))
    same = person == holder
    face_info: dict[str, Any] = {
        "faceAttack": "N" if face.live else "Y",
        "faceComparisonScore": _score(f"{person}:{holder}", same),
        "facePassed": "Y" if face.live and same else "N",
    }
    if authorize:
        face_info["authorityComparisonScore"] = _score(f"{person}:authority", same)
    sub_code = "205" if not face.live else "212" if spoofed else "204" if not same else "200"
    return {
        "TransactionId": new_transaction_id(),
        "Passed": "Y" if sub_code == "200" else "N",
        "SubCode": sub_code,
        "ExtFaceInfo": _json(face_info),
        **answer,
    }
