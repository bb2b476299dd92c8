"""The simulator's products: global documents by region, liveness-only results, the app mode, mobile and PC pages."""

from __future__ import annotations

import json

import pytest
import requests

from django_ekyc import exceptions as exc
from django_ekyc.catalogue.document_fields import document_facts
from django_ekyc.client import EkycClient
from django_ekyc.simulator.documents import MRZ_PASSPORT
from django_ekyc.testing import running_simulator

from .helpers import META_INFO

APP_META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "ios"})
PHONE_META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "h5"})


def start(
    client: EkycClient, product: str, doc_type: str | None = None, meta_info: str = META_INFO, extra=None, **kwargs
):
    parameters = {"DocType": doc_type, **(extra or {})}
    if meta_info != APP_META_INFO:
        parameters["ReturnUrl"] = "https://shop.example/ekyc/return/t/"
    return client.initialize(
        product_code=product,
        merchant_biz_id="simproducts01",
        merchant_user_id="user-hash",
        meta_info=meta_info,
        parameters={name: value for name, value in parameters.items() if value},
        **kwargs,
    )


def result(client: EkycClient, simulator, started, outcome: str = "pass"):
    simulator.control.complete(started.transaction_id, outcome)
    return client.check_result(merchant_biz_id="simproducts01", transaction_id=started.transaction_id)


def test_an_unknown_product_is_an_invalid_parameter(ekyc_client):
    with pytest.raises(exc.EkycBadRequest) as caught:
        start(ekyc_client, "FACE_SOMETHING", "01000000")
    assert (caught.value.code, "ProductCode" in caught.value.message) == ("InvalidParameter", True)


@pytest.mark.parametrize(("product", "doc_type"), [("eKYC", "GLB03002"), ("eKYC_PRO", "01000000")])
def test_each_product_reads_its_own_codes(ekyc_client, product, doc_type):
    with pytest.raises(exc.EkycBadRequest) as caught:
        start(ekyc_client, product, doc_type)
    assert caught.value.code == "InvalidParameter" and "DocType" in caught.value.message


def test_a_document_product_needs_its_document_type(ekyc_client):
    with pytest.raises(exc.EkycBadRequest) as caught:
        start(ekyc_client, "eKYC_PRO")
    assert (caught.value.code, "DocType" in caught.value.message) == ("MissingParameter", True)


@pytest.mark.parametrize(
    ("region", "doc_type", "accepted"),
    [
        ("ap-southeast-5", "IDN01001", True),
        ("ap-southeast-5", "GLB03002", True),
        ("ap-southeast-5", "MYS01001", False),
        ("ap-southeast-3", "MYS01001", True),
        ("ap-southeast-3", "SGP01001", False),
        ("ap-southeast-1", "PHL01001", True),
    ],
)
def test_region_limits_on_documents(region, doc_type, accepted):
    with running_simulator(region=region) as sim, client_for(sim) as client:
        if accepted:
            assert start(client, "eKYC_PRO", doc_type).transaction_id
        else:
            with pytest.raises(exc.EkycBadRequest) as caught:
                start(client, "eKYC_PRO", doc_type)
            assert caught.value.code == "InvalidParameter" and "DocType" in caught.value.message


@pytest.mark.parametrize(("region", "product"), [("ap-southeast-3", "FACE_LIVENESS_PRO"), ("ap-southeast-1", "eKYC")])
def test_region_limits_on_products(region, product):
    with running_simulator(region=region) as sim, client_for(sim) as client:
        with pytest.raises(exc.EkycBadRequest) as caught:
            start(client, product, "01000000" if product == "eKYC" else None)
        assert caught.value.code == "InvalidParameter" and "ProductCode" in caught.value.message


def client_for(sim) -> EkycClient:
    return EkycClient(access_key_id=sim.access_key_id, access_key_secret=sim.access_key_secret, endpoint=sim.url)


def test_a_global_passport_answers_the_documented_fields(ekyc_client, simulator):
    answer = result(ekyc_client, simulator, start(ekyc_client, "eKYC_PRO", "GLB03002"))
    ocr = answer.ocr_id_info
    # Certificate OCR fields, GLB03002: exactly these names, dates yyyy-mm-dd, sex F or M, alpha-3 country codes
    assert set(ocr) == set(MRZ_PASSPORT)
    assert ocr["sex"] in ("F", "M") and len(ocr["nationality"]) == len(ocr["country_code"]) == 3
    facts = document_facts(ocr)
    assert facts.number == ocr["passport_number"] and facts.date_of_birth == ocr["date_of_birth"]
    assert facts.full_name == f"{ocr['surname']} {ocr['given_names']}"
    assert answer.raw["Result"]["ExtBasicInfo"] and json.loads(answer.raw["Result"]["ExtBasicInfo"])["productCode"] == (
        "eKYC_PRO"
    )


@pytest.mark.parametrize(
    ("doc_type", "fields"),
    [
        ("CHN01001", {"name", "id_number", "date_of_birth", "sex", "address", "ethnicity", "origin_of_issue"}),
        ("CHN03001", {"name", "name_cn", "passport_number", "nationality", "place_of_issue", "type"}),
        ("GLB03001", {"name", "passport_number", "place_of_birth", "date_of_issue", "type"}),
        # not in the consulted copy of the page: the documented stand-in of their kind
        ("IDN01001", {"name", "id_number", "sex", "date_of_birth", "date_of_expiry"}),
        ("PHL03001", {"name", "passport_number", "nationality", "date_of_expiry"}),
    ],
)
def test_documents_answer_their_documented_fields(ekyc_client, simulator, doc_type, fields):
    ocr = result(ekyc_client, simulator, start(ekyc_client, "eKYC_PRO", doc_type)).ocr_id_info
    assert fields <= set(ocr) and all(key.islower() for key in ocr)  # snake_case, as the page names them
    assert document_facts(ocr).number


def test_an_indonesian_nik_carries_the_birth_date(ekyc_client, simulator):
    ocr = result(ekyc_client, simulator, start(ekyc_client, "eKYC_PRO", "IDN01001")).ocr_id_info
    year, month, day = ocr["date_of_birth"].split("-")
    nik_day = int(ocr["id_number"][6:8])
    assert (nik_day if nik_day <= 31 else nik_day - 40) == int(day) and ocr["id_number"][8:12] == month + year[2:]
    assert (nik_day > 40) == (ocr["sex"] == "F")


def test_a_liveness_check_answers_no_document_data(ekyc_client, simulator):
    answer = result(ekyc_client, simulator, start(ekyc_client, "FACE_LIVENESS_PRO"), "liveness_attack")
    assert (answer.passed, answer.sub_code) == (False, "205")
    assert "ExtIdInfo" not in answer.raw["Result"] and dict(answer.ext_id_info) == {}
    assert answer.ext_face_info["faceAttack"] == "Y" and answer.ext_face_info["faceAttackType"]


@pytest.mark.parametrize("outcome", ["face_mismatch", "document_spoof"])
def test_a_liveness_check_cannot_end_with_a_document_outcome(ekyc_client, simulator, outcome):
    started = start(ekyc_client, "FACE_LIVENESS_PRO")
    with pytest.raises(AssertionError, match="400"):
        simulator.control.complete(started.transaction_id, outcome)


def test_the_hosted_page_offers_what_the_product_can_end_with(ekyc_client, simulator):
    page = requests.get(start(ekyc_client, "FACE_LIVENESS_PRO").transaction_url, timeout=5).text
    assert 'data-outcome="pass"' in page.replace("'", '"') and "face_mismatch" not in page
    assert "Face liveness" in page and "FACE_LIVENESS_PRO" in page


def test_app_mode(ekyc_client, simulator):
    started = start(ekyc_client, "eKYC_PRO", "GLB03002", meta_info=APP_META_INFO)
    assert started.transaction_url == "" and started.protocol and started.client_cfg
    params = simulator.control.calls("Initialize")[0]["params"]
    assert "ReturnUrl" not in params  # an app needs none
    assert simulator.control.app_verify(started.transaction_id, "another-protocol")["code"] == "1003"
    answer = simulator.control.app_verify(started.transaction_id, started.protocol, "quit")
    assert (answer["code"], answer["subCode"]) == ("1006", "A1006_1")
    with pytest.raises(exc.EkycNotCompleted):
        ekyc_client.check_result(merchant_biz_id="simproducts01", transaction_id=started.transaction_id)


def test_an_app_transaction_has_no_page_and_its_completion_no_redirect(ekyc_client, simulator):
    started = start(ekyc_client, "eKYC", "01000000", meta_info=APP_META_INFO)
    page = requests.get(f"{simulator.url}/1.0.0/index.html?clientcfg={started.client_cfg}", timeout=5)
    assert page.status_code == 404
    assert simulator.control.complete(started.transaction_id, "pass")["redirect_url"] is None


def test_a_browser_needs_a_return_url(ekyc_client):
    with pytest.raises(exc.EkycBadRequest) as caught:
        ekyc_client.initialize(
            merchant_biz_id="simproducts01",
            merchant_user_id="u",
            meta_info=META_INFO,
            parameters={"DocType": "01000000"},
        )
    assert (caught.value.code, "ReturnUrl" in caught.value.message) == ("MissingParameter", True)


def test_phones_and_pcs_get_different_pages(ekyc_client, simulator):
    phone = start(ekyc_client, "eKYC", "01000000", meta_info=PHONE_META_INFO).transaction_url
    pc = start(ekyc_client, "eKYC", "01000000").transaction_url
    assert phone.startswith(f"{simulator.url}/h5/1.0.0/index.html?clientcfg=")
    assert pc.startswith(f"{simulator.url}/1.0.0/index.html?clientcfg=")
    assert requests.get(phone, timeout=5).status_code == 200
