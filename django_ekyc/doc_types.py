"""The provider's document types, kept in one table that a site can override.

The table is the one the Initialize documentation gives. Two codes there have
nine digits (``000000011``, ``000000012``) where every other code has eight; a
third-party copy lists ``00000012``. We keep the documented values and let a
site replace the table through ``EKYC["DOC_TYPES"]`` if its account says otherwise.
"""

from __future__ import annotations

DEFAULT_DOC_TYPES: dict[str, str] = {
    "01000000": "Passport (global)",
    "00000006": "Hong Kong (China) identity card (2003 version)",
    "00000008": "Hong Kong (China) identity card (2018 version)",
    "00000007": "Exit-entry Permit for Travelling to and from Hong Kong and Macao",
    "00000009": "Mainland Travel Permit for Hong Kong and Macao Residents",
    "000000011": "Macao (China) identity card",
    "000000012": "Mainland Travel Permit for Taiwan Residents",
    "00000001": "Chinese mainland second-generation resident identity card",
}

# Only this document can be checked against official data sources (Authorize=T).
MAINLAND_ID_CARD = "00000001"
PASSPORT = "01000000"


# eKYC_PRO (and ID_OCR_MAX) certificate codes: a country code and five digits. From the provider's certificate
# code table (2025-12 / 2026-03). HKG02001 (Hong Kong driving licence) has no face photo and is not for eKYC_PRO.
GLOBAL_PASSPORT = "GLB03002"
GLOBAL_DOC_TYPES: dict[str, str] = {
    "GLB03002": "Passport (global e-passport, read from the MRZ)",
    "GLB03001": "Passport (global, by OCR; being withdrawn)",
    "CHN01001": "Chinese mainland resident identity card",
    "CHN03001": "Chinese passport",
    "CHN02001": "Chinese mainland driving licence",
    "CHN05001": "Exit-entry Permit for Travelling to and from Hong Kong and Macao",
    "CHN05002": "Mainland Travel Permit for Taiwan Residents",
    "CHN05003": "Mainland Travel Permit for Hong Kong and Macao Residents",
    "CHN05004": "Exit-entry Permit for Travelling to and from Taiwan",
    "CHN06001": "Foreign permanent resident ID card (Chinese mainland)",
    "HKG01001": "Hong Kong (China) identity card (2003 version)",
    "HKG01002": "Hong Kong (China) identity card (2018 version)",
    "HKG07001": "Hong Kong (China) taxi driver identity plate",
    "MAC01001": "Macao (China) identity card (2023 version)",
    "MAC01002": "Macao (China) identity card (2013 version)",
    "MAC01003": "Macao (China) identity card (2002 version)",
    "TWN01001": "Taiwan (China) identity card",
    "VNM01001": "Vietnam identity card (2021, chip)",
    "VNM03001": "Vietnam passport",
    "MYS01001": "Malaysia identity card (MyKad)",
    "MYS02001": "Malaysia driving licence",
    "IDN01001": "Indonesia identity card (KTP)",
    "SGP01001": "Singapore identity card (NRIC)",
    "SGP02001": "Singapore driving licence",
    "SGP03001": "Singapore passport",
    "THA01001": "Thailand identity card",
    "THA02001": "Thailand driving licence (private car)",
    "THA03001": "Thailand passport",
    "PHL01001": "Philippines national ID",
    "PHL01002": "Philippines UMID",
    "PHL02001": "Philippines driving licence",
    "PHL03001": "Philippines passport",
    "PHL04001": "Philippines SSS card",
    "PHL07001": "Philippines voter's ID",
    "PHL07002": "Philippines professional ID (PRC)",
    "PHL07003": "Philippines postal ID",
    "PHL07004": "Philippines TIN ID (old)",
    "PHL07005": "Philippines TIN ID (new)",
    "PHL99001": "Philippines PhilHealth ID",
    "KOR01001": "South Korea resident registration card",
    "KOR02001": "South Korea driving licence",
    "KOR03001": "South Korea passport",
}
# Documents with a back page: Pages=01,02 reads both sides.
TWO_SIDED_DOC_TYPES = frozenset({"CHN01001", "TWN01001", "VNM01001", "MYS01001", "SGP01001"})
