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
