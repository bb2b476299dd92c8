"""Fictitious fields read from eKYC_PRO's global documents, one shape per kind of document.

The provider documents ``ocrIdInfo`` per certificate code; the shapes here follow each document as printed
(the machine-readable zone of a passport, with real check digits; the fields of an Indonesian KTP or a
Malaysian MyKad...). Every name and number is invented, derived from the TransactionId so that repeated
CheckResult calls agree.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

Fields = dict[str, str]

LATIN_SURNAMES = ("TAN", "LIM", "SANTOS", "NGUYEN", "WIJAYA", "RAHMAN", "SILVA", "KIM")
LATIN_GIVEN = ("WEI LING", "MARIA", "ANH", "BUDI", "NUR AISYAH", "JOSE", "MIN JUN", "SITI")
MRZ_WEIGHTS = (7, 3, 1)


def _birth(rng: random.Random) -> date:
    return date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))


def _expiry(rng: random.Random) -> date:
    return date(2027, 1, 1) + timedelta(days=rng.randint(0, 365 * 8))


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def mrz_check_digit(text: str) -> str:
    """ICAO 9303: digits as themselves, letters A=10..Z=35, filler 0; weights 7, 3, 1."""

    def value(char: str) -> int:
        if char.isdigit():
            return int(char)
        return ord(char) - 55 if char.isalpha() else 0

    return str(sum(value(char) * MRZ_WEIGHTS[index % 3] for index, char in enumerate(text)) % 10)


def _mrz(surname: str, given: str, number: str, country: str, birth: date, sex: str, expiry: date) -> str:
    """The two 44-character lines of a passport's machine-readable zone (TD3)."""
    name = f"{surname}<<{given}".replace(" ", "<")
    line1 = f"P<{country}{name}".ljust(44, "<")[:44]
    document = number.ljust(9, "<")
    born, expires, personal = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d"), "<" * 14
    parts = [
        document + mrz_check_digit(document),
        born + mrz_check_digit(born),
        expires + mrz_check_digit(expires),
        personal + mrz_check_digit(personal),
    ]
    composite = mrz_check_digit("".join(parts))
    line2 = f"{parts[0]}{country}{parts[1]}{sex}{parts[2]}{parts[3]}{composite}"
    return f"{line1}\n{line2}"


def passport(rng: random.Random) -> Fields:
    """GLB03002: read from the MRZ, so fields come in the passport's fixed format."""
    surname, given = rng.choice(LATIN_SURNAMES), rng.choice(LATIN_GIVEN)
    country = rng.choice(("SGP", "MYS", "IDN", "PHL", "THA", "VNM"))
    birth, expiry, sex = _birth(rng), _expiry(rng), rng.choice("MF")
    number = f"{rng.choice('KEAP')}{_digits(rng, 7)}{rng.choice('ABCDEFGH')}"
    return {
        "surname": surname,
        "givenname": given,
        "passportNo": number,
        "nationality": country,
        "countryCode": country,
        "sex": sex,
        "birthDate": birth.isoformat(),
        "expiryDate": expiry.isoformat(),
        "mrz": _mrz(surname, given, number, country, birth, sex, expiry),
    }


def indonesia_ktp(rng: random.Random) -> Fields:
    """IDN01001: the Kartu Tanda Penduduk; the NIK encodes the region and the birth date (+40 for women)."""
    birth, female = _birth(rng), rng.random() < 0.5
    day = birth.day + (40 if female else 0)
    nik = f"3171{_digits(rng, 2)}{day:02d}{birth:%m%y}{_digits(rng, 4)}"
    return {
        "nik": nik,
        "name": f"{rng.choice(('BUDI', 'SITI', 'AGUS', 'DEWI'))} {rng.choice(('SANTOSO', 'RAHAYU', 'WIJAYA'))}",
        "placeOfBirth": rng.choice(("JAKARTA", "BANDUNG", "SURABAYA")),
        "birthDate": birth.strftime("%d-%m-%Y"),
        "sex": "PEREMPUAN" if female else "LAKI-LAKI",
        "bloodType": rng.choice(("A", "B", "AB", "O", "-")),
        "address": f"JL. CONTOH NO. {rng.randint(1, 99)}",
        "rtRw": f"{rng.randint(1, 12):03d}/{rng.randint(1, 9):03d}",
        "village": "GAMBIR",
        "district": "GAMBIR",
        "city": "JAKARTA PUSAT",
        "province": "DKI JAKARTA",
        "religion": rng.choice(("ISLAM", "KRISTEN", "BUDDHA", "HINDU")),
        "maritalStatus": rng.choice(("BELUM KAWIN", "KAWIN")),
        "occupation": "KARYAWAN SWASTA",
        "nationality": "WNI",
        "validUntil": "SEUMUR HIDUP",
    }


def malaysia_mykad(rng: random.Random) -> Fields:
    """MYS01001: the MyKad number is the birth date, a place-of-birth code and a serial (odd for men)."""
    birth, male = _birth(rng), rng.random() < 0.5
    serial = f"{_digits(rng, 3)}{rng.choice('13579' if male else '02468')}"
    return {
        "idNumber": f"{birth:%y%m%d}-{rng.choice(('10', '14', '08'))}-{serial}",
        "name": f"{rng.choice(('AHMAD', 'NUR AISYAH', 'TAN WEI', 'SITI'))} BIN ABDULLAH",
        "address": f"NO {rng.randint(1, 99)} JALAN CONTOH, 50450 KUALA LUMPUR",
        "sex": "LELAKI" if male else "PEREMPUAN",
        "religion": rng.choice(("ISLAM", "BUDDHA", "KRISTIAN", "")),
        "citizenship": "WARGANEGARA",
    }


def singapore_nric(rng: random.Random) -> Fields:
    """SGP01001: an NRIC number with its check letter."""
    body = _digits(rng, 7)
    weights = (2, 7, 6, 5, 4, 3, 2)
    check = "JZIHGFEDCBA"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return {
        "idNumber": f"S{body}{check}",
        "name": f"{rng.choice(LATIN_SURNAMES)} {rng.choice(LATIN_GIVEN)}",
        "sex": rng.choice("MF"),
        "birthDate": _birth(rng).strftime("%d-%m-%Y"),
        "race": rng.choice(("CHINESE", "MALAY", "INDIAN")),
        "countryOfBirth": "SINGAPORE",
    }


def thailand_id(rng: random.Random) -> Fields:
    """THA01001: a 13-digit number with its mod-11 check digit."""
    body = _digits(rng, 12)
    check = (11 - sum(int(d) * (13 - i) for i, d in enumerate(body)) % 11) % 10
    birth = _birth(rng)
    return {
        "idNumber": f"{body}{check}",
        "nameEn": f"{rng.choice(('Somchai', 'Malee', 'Niran'))} {rng.choice(('Jaidee', 'Sukhum'))}",
        "birthDate": birth.isoformat(),
        "religion": "Buddhism",
        "address": f"{rng.randint(1, 199)} Moo 3, Bangkok",
        "expiryDate": _expiry(rng).isoformat(),
    }


def generic_id(rng: random.Random) -> Fields:
    """Any other document of the table: the fields every identity document carries."""
    return {
        "name": f"{rng.choice(LATIN_SURNAMES)} {rng.choice(LATIN_GIVEN)}",
        "idNumber": f"{rng.choice('ABCDEFGH')}{_digits(rng, 9)}",
        "sex": rng.choice("MF"),
        "birthDate": _birth(rng).isoformat(),
        "expiryDate": _expiry(rng).isoformat(),
    }


SHAPES: dict[str, Callable[[random.Random], Fields]] = {
    "GLB03002": passport,
    "GLB03001": passport,
    "CHN03001": passport,
    "VNM03001": passport,
    "SGP03001": passport,
    "THA03001": passport,
    "PHL03001": passport,
    "KOR03001": passport,
    "IDN01001": indonesia_ktp,
    "MYS01001": malaysia_mykad,
    "SGP01001": singapore_nric,
    "THA01001": thailand_id,
}


def ocr_fields(doc_type: str, rng: random.Random) -> Fields:
    return {"docType": doc_type, **SHAPES.get(doc_type, generic_id)(rng)}
