"""The documented, normalised reading of ``ocrIdInfo``: every document the simulator reads, and the pages' names."""

from __future__ import annotations

import random

import pytest

from django_ekyc.catalogue.document_fields import DocumentFacts, document_facts
from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES, GLOBAL_DOC_TYPES
from django_ekyc.simulator import data, documents

# Literal example under the names of the "Certificate OCR fields" page, GLB03002 (dates yyyy-mm-dd).
GLB03002_EXAMPLE = {
    "surname": "TAN",
    "given_names": "WEI LING",
    "sex": "F",
    "date_of_birth": "1988-07-02",
    "passport_number": "K1234567A",
    "nationality": "SGP",
    "date_of_expiry": "2031-05-30",
    "country_code": "SGP",
}
# The Chinese resident identity card's names on the same page.
CHN01001_EXAMPLE = {
    "name": "张伟",
    "id_number": "11010119880702001X",
    "date_of_birth": "1988-07-02",
    "sex": "男",
    "address": "北京市东城区示例路1号",
    "ethnicity": "汉",
}
# The e-passport 01000000 of eKYC, under the "return field" page's names.
EKYC_PASSPORT_EXAMPLE = {"surname": "CHAN", "givenname": "TAI MAN", "sex": "M", "birthDate": "1980-01-31"}


def test_a_documented_mrz_passport():
    assert document_facts(GLB03002_EXAMPLE) == DocumentFacts(
        number="K1234567A",
        full_name="TAN WEI LING",
        surname="TAN",
        given_names="WEI LING",
        date_of_birth="1988-07-02",
        date_of_expiry="2031-05-30",
        nationality="SGP",
        sex="F",
    )


def test_a_documented_identity_card():
    facts = document_facts(CHN01001_EXAMPLE)
    assert (facts.number, facts.full_name, facts.date_of_birth, facts.sex) == (
        "11010119880702001X",
        "张伟",
        "1988-07-02",
        "男",
    )
    assert facts.surname is facts.given_names is facts.date_of_expiry is facts.nationality is None


def test_ekyc_camel_case_names():
    facts = document_facts({**EKYC_PASSPORT_EXAMPLE, "passportNo": "K12345678"})
    assert (facts.number, facts.full_name, facts.given_names, facts.date_of_birth) == (
        "K12345678",
        "CHAN TAI MAN",
        "TAI MAN",
        "1980-01-31",
    )


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1988-07-02", "1988-07-02"),
        ("1988-7-2", "1988-07-02"),  # the documented yyyy-mm-dd, without the zeros
        (" 1988-07-02 ", "1988-07-02"),
        ("02-07-1988", "02-07-1988"),  # not a documented format: as written
        ("1988-02-30", "1988-02-30"),  # not a date: as written
        ("SEUMUR HIDUP", "SEUMUR HIDUP"),
    ],
)
def test_dates_are_normalised_from_documented_formats(written, read):
    facts = document_facts({"date_of_birth": written, "date_of_expiry": written})
    assert facts.date_of_birth == facts.date_of_expiry == read


def test_unknown_or_empty_keys_give_none():
    assert document_facts({"givenName": "X", "passportNumber": "K1", "dob": "1990-01-01", "mrz": "P<"}) == (
        DocumentFacts()
    )
    assert document_facts({"name": "", "passport_number": "  ", "sex": None, "id_number": {"x": 1}}) == DocumentFacts()
    assert document_facts({}) == document_facts(None) == DocumentFacts()


def test_the_first_documented_key_wins():
    assert document_facts({"passport_number": "P1", "idNumber": "I1"}).number == "P1"
    assert document_facts({"id_number": 12345}).number == "12345"


@pytest.mark.parametrize("doc_type", sorted(GLOBAL_DOC_TYPES))
def test_every_simulated_global_document_is_read(doc_type):
    ocr = documents.ocr_fields(doc_type, random.Random(doc_type))
    assert set(ocr) == set(documents.fields_of(doc_type))
    facts = document_facts(ocr)
    assert facts.number and facts.full_name and facts.sex
    assert facts.date_of_birth == ocr["date_of_birth"] and len(facts.date_of_birth) == 10
    assert facts.date_of_birth.count("-") == 2  # ISO, as the simulator writes dates


@pytest.mark.parametrize("doc_type", sorted(DEFAULT_DOC_TYPES))
def test_every_simulated_greater_china_document_is_read(doc_type):
    ocr = data.ext_id_info(doc_type, "seed-" + doc_type, data.OUTCOMES["pass"], with_images=False)["ocrIdInfo"]
    facts = document_facts(ocr)
    assert facts.number and facts.full_name and facts.sex
    assert facts.date_of_birth and facts.date_of_birth == ocr["birthDate"]


def test_the_simulator_stays_deterministic():
    for doc_type in (*GLOBAL_DOC_TYPES, *DEFAULT_DOC_TYPES):
        read = documents.ocr_fields if doc_type in GLOBAL_DOC_TYPES else None
        first = data.ext_id_info(doc_type, "same", data.OUTCOMES["pass"], False, read=read)
        assert first == data.ext_id_info(doc_type, "same", data.OUTCOMES["pass"], False, read=read)


def test_unverified_documents_are_exactly_those_without_a_documented_list():
    assert frozenset(GLOBAL_DOC_TYPES) - frozenset(documents.SHAPES) == documents.UNVERIFIED_DOC_TYPES
    assert "GLB03002" not in documents.UNVERIFIED_DOC_TYPES and "IDN01001" in documents.UNVERIFIED_DOC_TYPES
