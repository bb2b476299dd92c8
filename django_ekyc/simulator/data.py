"""Realistic, fictitious verification results.

Each transaction gets its own invented person, derived from its TransactionId
so that repeated CheckResult calls agree; every name and number is made up.

``ocrIdInfo`` of eKYC's greater-China documents uses the names of the provider's
"return field" page (https://www.alibabacloud.com/help/en/ekyc/latest/return-field):
camelCase, per eight-digit document code (eKYC_PRO's global documents are
:mod:`django_ekyc.simulator.documents`). The copy of the page consulted shows the
Hong Kong identity card, the three travel permits and the start of the e-passport's
list (``surname``, ``givenname``, ``sex``, ``birthDate`` in yyyy-mm-dd, ``passportNo``)
and stops there: the fields of :data:`UNVERIFIED_OCR_FIELDS` could not be checked.
Where the page gives no format, dates are yyyy-mm-dd.

The contents of ``ExtBasicInfo``, ``ExtRiskInfo``, ``ExtInfo`` and ``EkycResult`` are
the simulator's invention (the SDK's CheckResult model documents each only as a JSON
string): :data:`INVENTED_FIELDS` lists them. Do not build on them.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django_ekyc.catalogue.documents import MAINLAND_ID_CARD, PASSPORT
from django_ekyc.simulator.jpeg_marks import jpeg_marks_of
from django_ekyc.simulator.picture_marks import marks_of, sample_picture

# Fields the simulator answers that the provider does not document, by part of the CheckResult ``Result``. The SDK's
# model (alibabacloud_cloudauth_intl20220809, CheckResultResponseBodyResult) documents ExtBasicInfo, ExtRiskInfo,
# ExtInfo and EkycResult only as JSON strings ("The extended basic information", "The risk information"...), and
# names no key inside them; it documents ExtSourceInfo's keys (govId, fullName, dob, selfiePhoto...), which are real.
INVENTED_FIELDS: dict[str, frozenset[str]] = {
    "ExtBasicInfo": frozenset({"certifyId", "productCode", "docType"}),
    "ExtRiskInfo": frozenset({"riskLevel", "riskTags"}),
    "ExtInfo": frozenset({"certifyId", "clientResultCode"}),
    "EkycResult": frozenset({"passed", "subCode"}),
    "ExtFaceInfo": frozenset({"faceAttackType"}),  # of a liveness-only check
}
# ocrIdInfo fields of eKYC's documents the consulted copy of the "return field" page does not show (it is cut
# after the e-passport's passportNo): kept from earlier versions of the simulator, unchecked.
UNVERIFIED_OCR_FIELDS: dict[str, frozenset[str]] = {
    PASSPORT: frozenset({"nationality", "countryCode", "expiryDate"}),
    MAINLAND_ID_CARD: frozenset({"name", "sex", "ethnicity", "birthDate", "address", "idNumber"}),
    "000000011": frozenset({"name", "englishName", "sex", "birthDate", "idNumber", "firstIssueDate"}),  # Macao card
}
HONG_KONG_ID_CARDS = ("00000006", "00000008")
# The travel permits, each with its documented fields beyond name, englishName, sex, birthDate and idNumber.
PERMITS: dict[str, tuple[str, ...]] = {
    "00000007": ("issueDate", "expiryDate", "placeOfIssue", "originOfIssue"),
    "00000009": ("issueDate", "expiryDate", "originOfIssue"),
    "000000012": ("issueDate", "expiryDate", "originOfIssue", "placeOfIssue"),
}
PERMIT_NUMBER_PREFIXES = {"00000007": "C", "00000009": "H", "000000012": ""}


@dataclass(frozen=True)
class Outcome:
    """What the person at the hosted page did, and what the provider concludes."""

    name: str
    passed: bool
    sub_code: str | None  # None: the flow ended without a result
    client_code: str  # the ``resultCode`` the hosted page hands to ReturnUrl
    # CheckResult's Passed when it is neither Y nor N: "P", pending, which only an older eKYC CheckResult page
    # (2024-01) documents ("later updated to Y or N"); the SDK lists Y and N.
    verdict: str | None = None


OUTCOMES: dict[str, Outcome] = {
    "pass": Outcome("pass", True, "200", "1000"),
    "face_mismatch": Outcome("face_mismatch", False, "204", "1001"),
    "liveness_attack": Outcome("liveness_attack", False, "205", "1001"),
    "document_spoof": Outcome("document_spoof", False, "212", "1001"),
    "quit": Outcome("quit", False, None, "1006"),
    "pending": Outcome("pending", False, "200", "1000", verdict="P"),
}

SURNAMES = ("CHAN", "WONG", "LEUNG", "NG", "HO", "LAU", "CHEUNG", "LI")
GIVEN_NAMES = ("TAI MAN", "SIU MING", "KA YAN", "WING SZE", "CHI KEUNG", "MEI LING")
CHINESE_NAMES = ("陳大文", "黃小明", "梁家欣", "吳詠詩", "何志強", "劉美玲")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PERSON_KEYWORD = b"ekyc-simulator-person"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(size: int = 8, shade: int = 128, person: str | None = None) -> str:
    """A tiny grey PNG, base64-encoded: stands in for document and face images. A face names the person it
    shows in a text chunk: the simulator's faces are the same when, and only when, the labels are."""
    rows = b"".join(b"\x00" + bytes([shade]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    text = _chunk(b"tEXt", PERSON_KEYWORD + b"\x00" + person.encode("utf-8")) if person else b""
    png = PNG_SIGNATURE + _chunk(b"IHDR", header) + text + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    return base64.b64encode(png).decode("ascii")


def face_picture(person: str) -> str:
    """A face picture of ``person`` (base64 PNG, 640x480 as the provider's faces are about), as CheckResult
    returns and a site may supply: its person is in a text chunk and in its pixels (:mod:`.picture_marks`)."""
    return base64.b64encode(sample_picture(kind="face", person=person)).decode("ascii")


def person_in(picture: str) -> str | None:
    """Who a face picture shows: the person its text chunk names, else the one its pixels' marks name (a simulated
    picture a site re-encoded, :mod:`.picture_marks`); None when it is not a picture of a face."""
    try:
        data = base64.b64decode(picture, validate=True)
    except ValueError:
        return None
    if not data.startswith(PNG_SIGNATURE):
        jpeg = jpeg_marks_of(data)  # a simulated JPEG: its marks are its dimensions
        return jpeg.person if jpeg is not None else None
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"tEXt" and body.startswith(PERSON_KEYWORD + b"\x00"):
            return body[len(PERSON_KEYWORD) + 1 :].decode("utf-8", "replace") or None
        position += 12 + length
    marks = marks_of(data)
    return marks.person if marks is not None and marks.kind == "face" else None


def _years_later(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    return date(day.year + years, day.month, min(day.day, 28) if day.month == 2 else day.day)


def mainland_id_number(rng: random.Random, birth: date) -> str:
    body = "110101" + birth.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _ocr_fields(doc_type: str, rng: random.Random) -> dict[str, str]:
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    birth = date(1970, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
    issued = date(2018, 1, 1) + timedelta(days=rng.randint(0, 365 * 5))
    sex = rng.choice(("M", "F"))
    if doc_type == PASSPORT:  # read from the machine-readable zone, which carries no issue date
        return {
            "surname": surname,
            "givenname": given,
            "sex": sex,
            "nationality": "CHN",
            "countryCode": "CHN",
            "passportNo": f"K{rng.randint(10**7, 10**8 - 1)}",
            "birthDate": birth.isoformat(),  # documented: yyyy-mm-dd
            "expiryDate": _years_later(issued, 10).isoformat(),
        }
    if doc_type == MAINLAND_ID_CARD:
        return {
            "name": rng.choice(CHINESE_NAMES),
            "sex": "男" if sex == "M" else "女",
            "ethnicity": "汉",
            "birthDate": birth.isoformat(),
            "address": "北京市东城区示例路1号",
            "idNumber": mainland_id_number(rng, birth),
        }
    person = {"name": rng.choice(CHINESE_NAMES), "englishName": f"{surname}, {given.title()}", "sex": sex}
    person["birthDate"] = birth.isoformat()
    if doc_type in PERMITS:
        person["idNumber"] = f"{PERMIT_NUMBER_PREFIXES[doc_type]}{rng.randint(10**7, 10**8 - 1)}"
        more = {
            "issueDate": issued.isoformat(),
            "expiryDate": _years_later(issued, 10).isoformat(),
            "placeOfIssue": "广东",
            "originOfIssue": "公安部出入境管理局",
        }
        return {**person, **{name: more[name] for name in PERMITS[doc_type]}}
    # The Hong Kong identity card (and, unchecked, the Macao one): firstIssueDate is a month and a year.
    person["idNumber"] = f"{rng.choice('ACEGKPRZ')}{rng.randint(100000, 999999)}({rng.randint(0, 9)})"
    person["firstIssueDate"] = issued.strftime("%Y-%m")
    return person


def ext_id_info(
    doc_type: str,
    transaction_id: str,
    outcome: Outcome,
    with_images: bool,
    read: Callable[[str, random.Random], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """``ExtIdInfo``: the fields read (by ``read``, eKYC's greater-China documents by default), the checks."""
    rng = random.Random(transaction_id)
    spoofed = outcome.sub_code == "212"
    info: dict[str, Any] = {
        "ocrIdInfo": (read or _ocr_fields)(doc_type, rng),
        "ocrIdPassed": "N" if spoofed else "Y",
        "spoofInfo": {"spoofResult": "Y" if spoofed else "N", "spoofType": ["SCREEN_REMARK"] if spoofed else []},
    }
    if with_images:
        info["idImage"] = _png(shade=200)
        if doc_type == MAINLAND_ID_CARD:
            info["idBackImage"] = _png(shade=180)
    return info


def ext_face_info(
    transaction_id: str, outcome: Outcome, with_images: bool, person: str | None = None
) -> dict[str, Any]:
    rng = random.Random(transaction_id[::-1])
    mismatch, attack = outcome.sub_code == "204", outcome.sub_code == "205"
    score = round(rng.uniform(20, 45) if mismatch else rng.uniform(85, 99), 2)
    info: dict[str, Any] = {
        "faceAttack": "Y" if attack else "N",
        "faceComparisonScore": score,
        "facePassed": "N" if (mismatch or attack) else "Y",
        "faceQualityScore": round(rng.uniform(70, 95), 2),
    }
    if with_images:
        info["faceImg"] = face_picture(person or transaction_id)
    return info


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def ext_risk_info(transaction_id: str, outcome: Outcome) -> dict[str, Any]:
    """Device and behaviour risk: invented (``INVENTED_FIELDS["ExtRiskInfo"]``); the provider names no key of it."""
    attack = outcome.sub_code in ("205", "212")
    return {"riskLevel": "HIGH" if attack else "LOW", "riskTags": ["SUSPICIOUS_DEVICE"] if attack else []}


def ext_source_info(transaction_id: str, outcome: Outcome) -> dict[str, Any]:
    """The authoritative-source comparison (``Authorize=T``): scores of 1.0 are a full match."""
    rng = random.Random(transaction_id + "source")
    match = outcome.passed
    return {
        "govId": 1.0,
        "fullName": 1.0 if match else 0.0,
        "selfiePhoto": round(rng.uniform(0.85, 0.99) if match else rng.uniform(0.2, 0.5), 2),
    }


def ext_liveness_info(
    transaction_id: str, outcome: Outcome, with_images: bool, person: str | None = None
) -> dict[str, Any]:
    """``ExtFaceInfo`` of a liveness-only check: the attack verdict and quality, no comparison (invented)."""
    rng = random.Random(transaction_id[::-1])
    attack = outcome.sub_code == "205"
    info: dict[str, Any] = {
        "faceAttack": "Y" if attack else "N",
        # invented (INVENTED_FIELDS["ExtFaceInfo"])
        "faceAttackType": [rng.choice(("DEEPFAKE", "SCREEN_REPLAY", "MASK"))] if attack else [],
        "facePassed": "N" if attack else "Y",
        "faceQualityScore": round(rng.uniform(70, 95), 2),
    }
    if with_images:
        info["faceImg"] = face_picture(person or transaction_id)
    return info


def check_result_payload(
    *,
    transaction_id: str,
    doc_type: str,
    outcome: Outcome,
    with_images: bool,
    authorize: bool = False,
    product_code: str = "eKYC",
    id_info: dict[str, Any] | None = None,
    face_info: dict[str, Any] | None = None,
    person: str | None = None,
) -> dict[str, str]:
    """The ``Result`` object of a CheckResult answer; ``Ext*`` values and ``EkycResult`` are JSON strings.

    ``id_info`` and ``face_info`` default to eKYC's document and face comparison; a product that reads no
    document passes ``id_info={}`` (and then no ``ExtIdInfo`` is answered).
    """
    if id_info is None:
        id_info = ext_id_info(doc_type, transaction_id, outcome, with_images)
    # ExtBasicInfo, ExtRiskInfo, ExtInfo and EkycResult: invented contents, see INVENTED_FIELDS.
    basic = {"certifyId": transaction_id, "productCode": product_code, **({"docType": doc_type} if doc_type else {})}
    payload = {
        "Passed": outcome.verdict or ("Y" if outcome.passed else "N"),
        "SubCode": str(outcome.sub_code),
        "ExtFaceInfo": _json(
            face_info if face_info is not None else ext_face_info(transaction_id, outcome, with_images, person)
        ),
        "ExtBasicInfo": _json(basic),
        "ExtRiskInfo": _json(ext_risk_info(transaction_id, outcome)),
        "ExtInfo": _json({"certifyId": transaction_id, "clientResultCode": outcome.client_code}),
        "EkycResult": _json({"passed": "Y" if outcome.passed else "N", "subCode": str(outcome.sub_code)}),
    }
    if id_info:
        payload["ExtIdInfo"] = _json(id_info)
    if authorize:
        payload["ExtSourceInfo"] = _json(ext_source_info(transaction_id, outcome))
    return payload
