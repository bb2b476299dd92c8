"""The provider's document types: eKYC's eight-digit codes and eKYC_PRO's certificate codes, with their labels.

eKYC's table is the one the Initialize documentation gives. Two codes there have nine digits (``000000011``,
``000000012``) where every other code has eight; a third-party copy lists ``00000012``. We keep the documented
values: the catalogue is the one place to correct them.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks a label for translation (makemessages finds it by this name) without importing Django: the table is
    shared with the simulator, which runs without it. Labels are translated where they are shown."""
    return message


DEFAULT_DOC_TYPES: dict[str, str] = {
    "01000000": gettext_noop("Passport (global)"),
    "00000006": gettext_noop("Hong Kong (China) identity card (2003 version)"),
    "00000008": gettext_noop("Hong Kong (China) identity card (2018 version)"),
    "00000007": gettext_noop("Exit-entry Permit for Travelling to and from Hong Kong and Macao"),
    "00000009": gettext_noop("Mainland Travel Permit for Hong Kong and Macao Residents"),
    "000000011": gettext_noop("Macao (China) identity card"),
    "000000012": gettext_noop("Mainland Travel Permit for Taiwan Residents"),
    "00000001": gettext_noop("Chinese mainland second-generation resident identity card"),
}

# Only this document can be checked against official data sources (Authorize=T).
MAINLAND_ID_CARD = "00000001"
PASSPORT = "01000000"


# eKYC_PRO (and ID_OCR_MAX) certificate codes: a country code and five digits. From the provider's certificate
# code table (2025-12 / 2026-03). HKG02001 (Hong Kong driving licence) has no face photo and is not for eKYC_PRO.
GLOBAL_PASSPORT = "GLB03002"
GLOBAL_DOC_TYPES: dict[str, str] = {
    "GLB03002": gettext_noop("Passport (global e-passport, read from the MRZ)"),
    "GLB03001": gettext_noop("Passport (global, by OCR; being withdrawn)"),
    "CHN01001": gettext_noop("Chinese mainland resident identity card"),
    "CHN03001": gettext_noop("Chinese passport"),
    "CHN02001": gettext_noop("Chinese mainland driving licence"),
    "CHN05001": gettext_noop("Exit-entry Permit for Travelling to and from Hong Kong and Macao"),
    "CHN05002": gettext_noop("Mainland Travel Permit for Taiwan Residents"),
    "CHN05003": gettext_noop("Mainland Travel Permit for Hong Kong and Macao Residents"),
    "CHN05004": gettext_noop("Exit-entry Permit for Travelling to and from Taiwan"),
    "CHN06001": gettext_noop("Foreign permanent resident ID card (Chinese mainland)"),
    "HKG01001": gettext_noop("Hong Kong (China) identity card (2003 version)"),
    "HKG01002": gettext_noop("Hong Kong (China) identity card (2018 version)"),
    "HKG07001": gettext_noop("Hong Kong (China) taxi driver identity plate"),
    "MAC01001": gettext_noop("Macao (China) identity card (2023 version)"),
    "MAC01002": gettext_noop("Macao (China) identity card (2013 version)"),
    "MAC01003": gettext_noop("Macao (China) identity card (2002 version)"),
    "TWN01001": gettext_noop("Taiwan (China) identity card"),
    "VNM01001": gettext_noop("Vietnam identity card (2021, chip)"),
    "VNM03001": gettext_noop("Vietnam passport"),
    "MYS01001": gettext_noop("Malaysia identity card (MyKad)"),
    "MYS02001": gettext_noop("Malaysia driving licence"),
    "IDN01001": gettext_noop("Indonesia identity card (KTP)"),
    "SGP01001": gettext_noop("Singapore identity card (NRIC)"),
    "SGP02001": gettext_noop("Singapore driving licence"),
    "SGP03001": gettext_noop("Singapore passport"),
    "THA01001": gettext_noop("Thailand identity card"),
    "THA02001": gettext_noop("Thailand driving licence (private car)"),
    "THA03001": gettext_noop("Thailand passport"),
    "PHL01001": gettext_noop("Philippines national ID"),
    "PHL01002": gettext_noop("Philippines UMID"),
    "PHL02001": gettext_noop("Philippines driving licence"),
    "PHL03001": gettext_noop("Philippines passport"),
    "PHL04001": gettext_noop("Philippines SSS card"),
    "PHL07001": gettext_noop("Philippines voter's ID"),
    "PHL07002": gettext_noop("Philippines professional ID (PRC)"),
    "PHL07003": gettext_noop("Philippines postal ID"),
    "PHL07004": gettext_noop("Philippines TIN ID (old)"),
    "PHL07005": gettext_noop("Philippines TIN ID (new)"),
    "PHL99001": gettext_noop("Philippines PhilHealth ID"),
    "KOR01001": gettext_noop("South Korea resident registration card"),
    "KOR02001": gettext_noop("South Korea driving licence"),
    "KOR03001": gettext_noop("South Korea passport"),
}
# Documents with a back page: Pages=01,02 reads both sides.
TWO_SIDED_DOC_TYPES = frozenset({"CHN01001", "TWN01001", "VNM01001", "MYS01001", "SGP01001"})
