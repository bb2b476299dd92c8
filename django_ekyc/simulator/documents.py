"""Fictitious fields read from eKYC_PRO's global documents, under the names the provider documents.

The keys are those of Alibaba Cloud ID Verification's "Certificate OCR fields" page,
https://www.alibabacloud.com/help/en/ekyc/latest/certificate-ocr-field-list (last updated 2026-03-28; the
2026-02-27 revision has the same names): snake_case, one list per certificate code. Where the page gives a format
(GLB03002: dates ``yyyy-mm-dd``, sex ``F`` or ``M``, three-letter ISO 3166-1 country codes) the values follow it;
where it gives none, dates are ``yyyy-mm-dd`` too.

The copy of the page consulted shows the global passports (GLB03002, GLB03001) and the Chinese documents (resident
identity card, passport, driving licence), then stops: the lists of the other documents (the Indonesian KTP, the
MyKad, the NRIC, the Thai card, the national passports...) could not be read. Those answer a stand-in made of
documented names (:data:`GENERIC_CARD`, :data:`GENERIC_PASSPORT`) and are the codes of
:data:`UNVERIFIED_DOC_TYPES`: do not build on their field names. Every name and number is invented, derived from
the document's seed so that repeated CheckResult calls agree; numbers keep their document's shape (an Indonesian
NIK carries the birth date, an NRIC its check letter, a MyKad its holder's sex).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from django_ekyc.catalogue.documents import GLOBAL_DOC_TYPES
from django_ekyc.simulator.data import mainland_id_number

Fields = dict[str, str]
Number = Callable[[random.Random, date, str], str]  # (rng, birth date, sex "M"/"F") -> the document's number

LATIN_SURNAMES = ("TAN", "LIM", "SANTOS", "NGUYEN", "WIJAYA", "RAHMAN", "SILVA", "KIM")
LATIN_GIVEN = ("WEI LING", "MARIA", "ANH", "BUDI", "NUR AISYAH", "JOSE", "MIN JUN", "SITI")
CHINESE_NAMES = (("ZHANG WEI", "张伟"), ("WANG FANG", "王芳"), ("LI NA", "李娜"), ("LIU YANG", "刘洋"))

# The field lists, in the page's order. GENERIC_CARD is what the page documents for both of the identity cards it
# shows (the Chinese resident identity card and driving licence); GENERIC_PASSPORT is GLB03001's list (a passport
# read from its visual zone), which the Chinese passport repeats.
MRZ_PASSPORT = (
    "surname",
    "given_names",
    "sex",
    "date_of_birth",
    "passport_number",
    "nationality",
    "date_of_expiry",
    "country_code",
)
GENERIC_PASSPORT = (
    "name",
    "passport_number",
    "nationality",
    "date_of_birth",
    "place_of_birth",
    "date_of_issue",
    "date_of_expiry",
    "place_of_issue",
    "sex",
    "type",
)
CHINESE_PASSPORT = ("name", "name_cn", *GENERIC_PASSPORT[1:])
CHINESE_ID_CARD = (
    "name",
    "id_number",
    "date_of_birth",
    "sex",
    "address",
    "ethnicity",
    "origin_of_issue",
    "date_of_issue",
    "date_of_expiry",
)
CHINESE_DRIVING_LICENCE = (
    "name",
    "id_number",
    "nationality",
    "sex",
    "address",
    "date_of_birth",
    "date_of_first_issue",
    "class",
    "date_of_issue",
    "date_of_expiry",
)
GENERIC_CARD = ("name", "id_number", "sex", "date_of_birth", "date_of_expiry")


def _birth(rng: random.Random) -> date:
    return date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))


def _issue(rng: random.Random) -> date:
    return date(2017, 1, 1) + timedelta(days=rng.randint(0, 365 * 8))


def _years_later(day: date, years: int) -> date:
    return date(day.year + years, day.month, min(day.day, 28) if day.month == 2 else day.day)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


# -- numbers, by document: values, not names, so they keep each document's real shape -----------------------


def _nik(rng: random.Random, birth: date, sex: str) -> str:
    """IDN01001: the NIK is a region, the birth date (day + 40 for women) and a serial."""
    day = birth.day + (40 if sex == "F" else 0)
    return f"3171{_digits(rng, 2)}{day:02d}{birth:%m%y}{_digits(rng, 4)}"


def _mykad(rng: random.Random, birth: date, sex: str) -> str:
    """MYS01001: the birth date, a place-of-birth code and a serial, odd for men."""
    serial = f"{_digits(rng, 3)}{rng.choice('13579' if sex == 'M' else '02468')}"
    return f"{birth:%y%m%d}-{rng.choice(('10', '14', '08'))}-{serial}"


def _nric(rng: random.Random, birth: date, sex: str) -> str:
    """SGP01001: seven digits and their check letter."""
    body = _digits(rng, 7)
    weights = (2, 7, 6, 5, 4, 3, 2)
    return f"S{body}" + "JZIHGFEDCBA"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _thai_id(rng: random.Random, birth: date, sex: str) -> str:
    """THA01001: twelve digits and their mod-11 check digit."""
    body = _digits(rng, 12)
    return body + str((11 - sum(int(d) * (13 - i) for i, d in enumerate(body)) % 11) % 10)


def _mainland(rng: random.Random, birth: date, sex: str) -> str:
    return mainland_id_number(rng, birth)


def _card_number(rng: random.Random, birth: date, sex: str) -> str:
    return f"{rng.choice('ABCDEFGH')}{_digits(rng, 9)}"


def _passport_number(rng: random.Random, birth: date, sex: str) -> str:
    return f"{rng.choice('KEAP')}{_digits(rng, 7)}{rng.choice('ABCDEFGH')}"


NUMBERS: dict[str, Number] = {
    "IDN01001": _nik,
    "MYS01001": _mykad,
    "SGP01001": _nric,
    "THA01001": _thai_id,
    "CHN01001": _mainland,
    "CHN02001": _mainland,  # a Chinese driving licence's number is its holder's identity card number
}
# The country a document is issued by (three-letter ISO 3166-1): its first three letters, but for global passports.
PASSPORT_COUNTRIES = ("SGP", "MYS", "IDN", "PHL", "THA", "VNM")


def _country(doc_type: str, rng: random.Random) -> str:
    return rng.choice(PASSPORT_COUNTRIES) if doc_type.startswith("GLB") else doc_type[:3]


def _values(doc_type: str, rng: random.Random) -> Fields:
    """Every value a document of ``doc_type`` could carry; the document's list picks the ones it has."""
    surname, given = rng.choice(LATIN_SURNAMES), rng.choice(LATIN_GIVEN)
    english, chinese = rng.choice(CHINESE_NAMES)
    birth, sex, issued = _birth(rng), rng.choice("MF"), _issue(rng)
    country = _country(doc_type, rng)
    passport = doc_type.startswith("GLB") or doc_type[3:5] == "03"
    number = (_passport_number if passport else NUMBERS.get(doc_type, _card_number))(rng, birth, sex)
    chinese_card = doc_type in ("CHN01001", "CHN02001")
    return {
        "surname": surname,
        "given_names": given,
        "name": chinese if chinese_card else (english if doc_type == "CHN03001" else f"{surname} {given}"),
        "name_cn": chinese,
        "sex": ("男" if sex == "M" else "女") if chinese_card else sex,
        "date_of_birth": birth.isoformat(),
        "passport_number": number,
        "id_number": number,
        "nationality": country,
        "country_code": country,
        "place_of_birth": rng.choice(("SINGAPORE", "KUALA LUMPUR", "JAKARTA", "MANILA", "BEIJING")),
        "place_of_issue": rng.choice(("SINGAPORE", "KUALA LUMPUR", "JAKARTA", "MANILA", "BEIJING")),
        "date_of_issue": issued.isoformat(),
        "date_of_first_issue": issued.isoformat(),
        "date_of_expiry": _years_later(issued, 10).isoformat(),
        "type": "P",
        "address": "北京市东城区示例路1号" if chinese_card else f"NO {rng.randint(1, 99)} JALAN CONTOH",
        "ethnicity": "汉",
        "origin_of_issue": "北京市公安局东城分局",
        "class": "C1",
    }


SHAPES: dict[str, tuple[str, ...]] = {
    "GLB03002": MRZ_PASSPORT,
    "GLB03001": GENERIC_PASSPORT,
    "CHN01001": CHINESE_ID_CARD,
    "CHN03001": CHINESE_PASSPORT,
    "CHN02001": CHINESE_DRIVING_LICENCE,
}
# Documents whose own field list the consulted copy of the page does not show: they answer a stand-in of
# documented names (a passport GLB03001's list, a card GENERIC_CARD).
UNVERIFIED_DOC_TYPES = frozenset(GLOBAL_DOC_TYPES) - frozenset(SHAPES)


def fields_of(doc_type: str) -> tuple[str, ...]:
    """The names a document of ``doc_type`` answers: its documented list, else the stand-in of its kind."""
    if doc_type in SHAPES:
        return SHAPES[doc_type]
    return GENERIC_PASSPORT if doc_type[3:5] == "03" else GENERIC_CARD


def ocr_fields(doc_type: str, rng: random.Random) -> Fields:
    """The ``ocrIdInfo`` of a document of ``doc_type``: exactly the names of :func:`fields_of`."""
    values = _values(doc_type, rng)
    return {name: values[name] for name in fields_of(doc_type)}
