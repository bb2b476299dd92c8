"""What a document says, under one set of names, read from the provider's ``ocrIdInfo`` by its documented keys.

The provider names the fields it reads per document, and differently per product:

- eKYC_PRO (and ID_OCR_PRO) documents, by certificate code: snake_case, from Alibaba Cloud ID Verification's
  "Certificate OCR fields" page, https://www.alibabacloud.com/help/en/ekyc/latest/certificate-ocr-field-list
  (last updated 2026-03-28; the 2026-02-27 revision has the same names). GLB03002: ``surname``, ``given_names``,
  ``sex``, ``date_of_birth``, ``passport_number``, ``nationality``, ``date_of_expiry``, ``country_code``; the
  Chinese resident identity card: ``name``, ``id_number``, ``date_of_birth``, ``sex``, ``address``, ``ethnicity``...
- eKYC's greater-China documents, by eight-digit code: camelCase, from the "return field" page,
  https://www.alibabacloud.com/help/en/ekyc/latest/return-field (the Hong Kong identity card: ``name``,
  ``englishName``, ``sex``, ``birthDate``, ``idNumber``...; the e-passport 01000000: ``surname``, ``givenname``,
  ``sex``, ``birthDate``, ``passportNo``...).

:func:`document_facts` reads both through one table, :data:`FACT_KEYS` (the keys that carry each fact, in order;
the first non-empty one wins), so that a site never compares document codes to find a name or a number. Dates
come out as ISO ``YYYY-MM-DD`` when they are in a documented format (:data:`DATE_FORMATS`: the pages give
``yyyy-mm-dd`` and no other), otherwise as the provider wrote them. Pure Python, no Django: the simulator's tests
use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["DocumentFacts", "document_facts"]

# The keys that carry each fact, eKYC_PRO's snake_case first, then eKYC's camelCase. A key goes here only if one of
# the pages above documents it for some document.
FACT_KEYS: Mapping[str, tuple[str, ...]] = {
    "number": ("passport_number", "id_number", "passportNo", "idNumber"),
    "full_name": ("name",),
    "surname": ("surname",),
    "given_names": ("given_names", "givenname"),
    "date_of_birth": ("date_of_birth", "birthDate"),
    "date_of_expiry": ("date_of_expiry", "expiryDate"),
    "nationality": ("nationality",),
    "sex": ("sex",),
}
DATES = frozenset({"date_of_birth", "date_of_expiry"})
# The date formats the pages document ("yyyy-mm-dd format": GLB03002 and the e-passport 01000000).
DATE_FORMATS = ("%Y-%m-%d",)


@dataclass(frozen=True)
class DocumentFacts:
    """The facts a document's fields state; None for a fact the document does not carry (or was not read)."""

    number: str | None = None
    full_name: str | None = None
    surname: str | None = None
    given_names: str | None = None
    date_of_birth: str | None = None  # ISO YYYY-MM-DD when documented-format, else the text read
    date_of_expiry: str | None = None
    nationality: str | None = None
    sex: str | None = None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list | tuple):
        return None
    text = " ".join(str(value).split())
    return text or None


def _date(text: str) -> str:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text


def _first(ocr: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((text for key in keys if (text := _text(ocr.get(key))) is not None), None)


def document_facts(ocr: Mapping[str, Any] | None) -> DocumentFacts:
    """The facts of one ``ocrIdInfo`` (a mapping of the provider's keys to what it read), by :data:`FACT_KEYS`.

    ``full_name`` is the document's ``name`` or, for a document read as surname and given names (a passport's
    machine-readable zone), the two in the zone's order: surname first.
    """
    fields = ocr if isinstance(ocr, Mapping) else {}
    facts = {fact: _first(fields, keys) for fact, keys in FACT_KEYS.items()}
    for fact in DATES:
        if facts[fact] is not None:
            facts[fact] = _date(str(facts[fact]))
    if facts["full_name"] is None:
        parts = [part for part in (facts["surname"], facts["given_names"]) if part]
        facts["full_name"] = " ".join(parts) or None
    return DocumentFacts(**facts)
