"""Products, regions and channels through the start endpoint and the flow, against the simulator over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings

from django_ekyc import services
from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES
from django_ekyc.catalogue.products import CATALOGUE, Channel, channel_of
from django_ekyc.catalogue.regions import endpoint_for
from django_ekyc.models import KycTransaction, Status
from django_ekyc.offering import account_endpoint
from django_ekyc.testing import running_simulator

from .helpers import META_INFO

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = "/ekyc/api/transactions/"
OFFERED = ["eKYC", "eKYC_PRO", "FACE_LIVENESS_PRO"]
APP_META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "android", "appVersion": "1.0"})
PHONE_META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "h5", "ua": "Mozilla/5.0 (iPhone)"})


@pytest.fixture
def offering(simulator):
    """The site offers the three products of the example project."""
    with override_settings(EKYC=simulator.ekyc_settings(PRODUCTS=OFFERED, REFRESH_MIN_INTERVAL=0)):
        yield simulator


def post_start(api, **fields: object) -> Any:
    return api.post(LIST_URL, {"meta_info": META_INFO, **fields}, format="json")


def field_code(response, field: str) -> str:
    assert response.status_code == 400, response.content
    return response.json()["fields"][field][0]["code"]


def test_the_catalogue():
    assert set(CATALOGUE) >= {"eKYC", "eKYC_PRO", "FACE_LIVENESS_PRO", "FACE_LIVENESS"}
    pro = CATALOGUE["eKYC_PRO"]
    assert pro.reads_document and pro.regions == {"cn-hongkong", "ap-southeast-1", "ap-southeast-5", "ap-southeast-3"}
    assert set(pro.doc_types_in("ap-southeast-5")) == {"IDN01001", "GLB03002"}
    assert set(pro.doc_types_in("ap-southeast-3")) == {"MYS01001", "GLB03002"}
    assert "SGP01001" in pro.doc_types_in("ap-southeast-1")
    liveness = CATALOGUE["FACE_LIVENESS_PRO"]
    assert not liveness.reads_document and "ap-southeast-3" not in liveness.regions
    assert not liveness.accepts_parameter("IdSpoof") and liveness.accepts_parameter("SecurityLevel")
    assert CATALOGUE["eKYC"].regions == {"cn-hongkong"}


@pytest.mark.parametrize(
    ("meta_info", "channel"),
    [
        (META_INFO, Channel.WEB),
        (PHONE_META_INFO, Channel.WEB),
        (APP_META_INFO, Channel.APP),
        ('{"deviceType":"ios"}', Channel.APP),
        ("not json", Channel.WEB),
    ],
)
def test_the_channel_is_read_from_the_meta_info(meta_info, channel):
    assert channel_of(meta_info) is channel


@pytest.mark.parametrize(
    ("settings", "endpoint"),
    [
        ({}, "https://cloudauth-intl.cn-hongkong.aliyuncs.com"),
        ({"REGION": "ap-southeast-1"}, "https://cloudauth-intl.ap-southeast-1.aliyuncs.com"),
        ({"REGION": "ap-southeast-5", "VPC_ENDPOINT": True}, "https://cloudauth-intl-vpc.ap-southeast-5.aliyuncs.com"),
        ({"REGION": "ap-southeast-3", "ENDPOINT": "http://127.0.0.1:9"}, "http://127.0.0.1:9"),  # ENDPOINT wins
    ],
)
def test_the_region_picks_the_endpoint(settings, endpoint):
    with override_settings(EKYC=settings):
        assert account_endpoint() == endpoint
    assert endpoint_for("ap-southeast-3") == "https://cloudauth-intl.ap-southeast-3.aliyuncs.com"


def test_an_account_has_its_own_region():
    accounts = {"jakarta": {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b", "REGION": "ap-southeast-5"}}
    with override_settings(EKYC={"ACCOUNTS": accounts}):
        assert account_endpoint("jakarta") == "https://cloudauth-intl.ap-southeast-5.aliyuncs.com"
        assert account_endpoint() == "https://cloudauth-intl.cn-hongkong.aliyuncs.com"


# -- the start endpoint: product, document, channel ------------------------------------------------------


def test_a_product_the_site_offers(api, offering):
    response = post_start(api, product_code="eKYC_PRO", doc_type="GLB03002")
    assert response.status_code == 201, response.content
    assert (response.json()["product_code"], response.json()["channel"]) == ("eKYC_PRO", "web")
    params = offering.control.calls("Initialize")[0]["params"]
    assert (params["ProductCode"], params["DocType"]) == ("eKYC_PRO", "GLB03002")
    kyc = KycTransaction.objects.get()
    assert (kyc.product_code, kyc.channel, kyc.doc_type_label) == (
        "eKYC_PRO",
        "web",
        "Passport (global e-passport, read from the MRZ)",
    )


def test_no_product_code_means_the_default(api, offering):
    assert post_start(api, doc_type="01000000").json()["product_code"] == "eKYC"


@pytest.mark.parametrize("code", ["FACE_LIVENESS", "NO_SUCH_PRODUCT", "ekyc_pro"])
def test_a_product_the_site_does_not_offer_is_a_400(api, offering, code):
    assert field_code(post_start(api, product_code=code, doc_type="GLB03002"), "product_code") == "product_not_offered"
    assert KycTransaction.objects.count() == 0 and offering.control.calls() == []


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"product_code": "eKYC_PRO"}, "doc_type", "required"),
        ({"product_code": "eKYC_PRO", "doc_type": "01000000"}, "doc_type", "unknown_doc_type"),  # eKYC's code
        ({"product_code": "eKYC", "doc_type": "GLB03002"}, "doc_type", "unknown_doc_type"),  # eKYC_PRO's code
        ({"product_code": "FACE_LIVENESS_PRO", "doc_type": "GLB03002"}, "doc_type", "doc_type_not_applicable"),
        ({"product_code": "FACE_LIVENESS_PRO", "options": {"show_ocr_result": "0"}}, "options", "option_not_allowed"),
        ({"channel": "kiosk", "doc_type": "01000000"}, "channel", "invalid_channel"),
        ({"channel": "app", "doc_type": "01000000"}, "channel", "channel_mismatch"),  # a browser's MetaInfo
    ],
)
def test_what_does_not_fit_the_product_is_a_400(api, offering, fields, field, code):
    assert field_code(post_start(api, **fields), field) == code
    assert KycTransaction.objects.count() == 0 and offering.control.calls() == []


def test_an_option_the_product_does_not_take_is_a_400(api, simulator):
    with override_settings(
        EKYC=simulator.ekyc_settings(PRODUCTS=OFFERED, FRONTEND_OPTIONS=["show_ocr_result", "language_config"])
    ):
        response = post_start(api, product_code="FACE_LIVENESS_PRO", options={"show_ocr_result": "0"})
        assert field_code(response, "options") == "option_not_applicable"
        ok = post_start(api, product_code="FACE_LIVENESS_PRO", options={"language_config": {"en": {}}})
    assert ok.status_code == 201


def test_a_document_the_region_does_not_read_is_a_400_and_nothing_is_sent(api):
    with (
        running_simulator(region="ap-southeast-5") as jakarta,
        override_settings(EKYC=jakarta.ekyc_settings(PRODUCTS=["eKYC_PRO"])),
    ):
        refused = post_start(api, doc_type="MYS01001")  # a Malaysian ID in Jakarta
        assert field_code(refused, "doc_type") == "doc_type_not_in_region"
        assert jakarta.control.calls() == []
        assert post_start(api, doc_type="IDN01001").status_code == 201
        assert post_start(api, doc_type="GLB03002").status_code == 201


def test_a_product_the_region_does_not_run_is_a_400(api):
    with (
        running_simulator(region="ap-southeast-3") as kuala_lumpur,
        override_settings(EKYC=kuala_lumpur.ekyc_settings(PRODUCTS=["eKYC_PRO", "FACE_LIVENESS_PRO"])),
    ):
        response = post_start(api, product_code="FACE_LIVENESS_PRO")
        assert field_code(response, "product_code") == "product_not_in_region"
        assert kuala_lumpur.control.calls() == []


# -- liveness only ---------------------------------------------------------------------------------------


def test_a_liveness_check_needs_no_document_and_stores_no_document_data(api, offering, start):
    response = post_start(api, product_code="FACE_LIVENESS_PRO")
    assert response.status_code == 201, response.content
    params = offering.control.calls("Initialize")[0]["params"]
    assert params["ProductCode"] == "FACE_LIVENESS_PRO" and "DocType" not in params
    kyc = KycTransaction.objects.get()
    offering.control.complete(kyc.transaction_id, "pass")
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.doc_type, kyc.doc_type_label) == (Status.PASSED, "", "")
    assert kyc.ocr_fields == {} and kyc.document_checks == {}
    assert kyc.face_checks["faceAttack"] == "N" and "ext_id_info" not in kyc.result


def test_a_liveness_attack_fails_a_liveness_check(api, offering):
    post_start(api, product_code="FACE_LIVENESS_PRO")
    kyc = KycTransaction.objects.get()
    offering.control.complete(kyc.transaction_id, "liveness_attack")
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.sub_code, kyc.face_checks["faceAttack"]) == (Status.FAILED, "205", "Y")


def test_site_defaults_apply_only_where_the_product_takes_them(api, simulator):
    defaults = {"SecurityLevel": "02", "IdSpoof": "Y", "IdThreshold": "1"}
    per_product = {"eKYC_PRO": {"Pages": "01,02"}}
    with override_settings(
        EKYC=simulator.ekyc_settings(
            PRODUCTS=OFFERED, INITIALIZE_DEFAULTS=defaults, PRODUCT_INITIALIZE_DEFAULTS=per_product
        )
    ):
        post_start(api, product_code="FACE_LIVENESS_PRO")
        post_start(api, product_code="eKYC_PRO", doc_type="SGP01001")
    liveness, document = (call["params"] for call in simulator.control.calls("Initialize"))
    assert liveness["SecurityLevel"] == "02" and "IdSpoof" not in liveness and "Pages" not in liveness
    assert (document["IdSpoof"], document["IdThreshold"], document["Pages"]) == ("Y", "1", "01,02")


# -- native apps -----------------------------------------------------------------------------------------


def test_an_app_start_gets_what_the_app_sdk_needs_and_completes_when_the_app_reports_back(api, offering):
    response = post_start(api, product_code="eKYC_PRO", doc_type="GLB03002", meta_info=APP_META_INFO)
    assert response.status_code == 201, response.content
    answer = response.json()
    kyc = KycTransaction.objects.get()
    assert answer["channel"] == "app" and kyc.channel == "app"
    assert answer["transaction_id"] == kyc.transaction_id and answer["protocol"] and answer["client_cfg"]
    assert "transaction_url" not in answer
    params = offering.control.calls("Initialize")[0]["params"]
    assert "ReturnUrl" not in params  # the app SDK returns to the app, not to a URL
    # the phone: the app SDK's verify with the TransactionId and the Protocol, then the app asks its server
    sdk = offering.control.app_verify(answer["transaction_id"], answer["protocol"], "pass")
    assert sdk["code"] == "1000"
    refreshed = api.post(f"{LIST_URL}{answer['id']}/refresh/")
    assert (refreshed.status_code, refreshed.json()["status"]) == (200, "passed")


def test_the_app_sdk_refuses_a_protocol_of_another_transaction(api, offering):
    first = post_start(api, product_code="eKYC_PRO", doc_type="GLB03002", meta_info=APP_META_INFO).json()
    second = post_start(api, product_code="eKYC_PRO", doc_type="GLB03002", meta_info=APP_META_INFO).json()
    sdk = offering.control.app_verify(first["transaction_id"], second["protocol"], "pass")
    assert sdk["code"] == "1003"
    assert offering.control.transaction(first["transaction_id"])["outcome"] is None


def test_an_app_channel_can_be_named_and_must_match(api, offering):
    response = post_start(api, doc_type="01000000", meta_info=APP_META_INFO, channel="app")
    assert response.status_code == 201 and response.json()["channel"] == "app"
    assert field_code(post_start(api, doc_type="01000000", meta_info=APP_META_INFO, channel="web"), "channel") == (
        "channel_mismatch"
    )


def test_procedure_priority_keep_for_in_app_webviews_is_sent_to_browsers_only(api, simulator):
    with override_settings(EKYC=simulator.ekyc_settings(INITIALIZE_DEFAULTS={"ProcedurePriority": "keep"})):
        post_start(api, doc_type="01000000", meta_info=PHONE_META_INFO)
        post_start(api, doc_type="01000000", meta_info=APP_META_INFO)
    web, app = (call["params"] for call in simulator.control.calls("Initialize"))
    assert web["ProcedurePriority"] == "keep" and "ProcedurePriority" not in app


def test_a_phone_browser_gets_the_mobile_page(api, offering):
    url = post_start(api, doc_type="01000000", meta_info=PHONE_META_INFO).json()["transaction_url"]
    assert url.startswith(offering.url + "/h5/1.0.0/index.html?clientcfg=")
    assert post_start(api, doc_type="01000000").json()["transaction_url"].startswith(offering.url + "/1.0.0/")


# -- reading results by product --------------------------------------------------------------------------


def test_is_verified_can_ask_for_a_product(api, offering, user):
    post_start(api, product_code="FACE_LIVENESS_PRO")
    kyc = KycTransaction.objects.get()
    offering.control.complete(kyc.transaction_id, "pass")
    services.refresh(kyc)
    assert not services.is_verified(user)  # a liveness check verified no document: asked for, it counts
    assert services.is_verified(user, product="FACE_LIVENESS_PRO")
    assert not services.is_verified(user, product="eKYC_PRO")
    assert services.latest_verification(user, product="FACE_LIVENESS_PRO") == kyc


def test_a_product_reads_its_documents_only_where_it_runs():
    assert CATALOGUE["eKYC"].doc_types_in("cn-hongkong") == DEFAULT_DOC_TYPES
    assert CATALOGUE["eKYC"].doc_types_in("ap-southeast-1") == {}
    assert "GLB03002" in CATALOGUE["eKYC_PRO"].doc_types_in("cn-hongkong")
    assert set(CATALOGUE["eKYC_PRO"].doc_types_in("ap-southeast-5")) == {"IDN01001", "GLB03002"}


def test_staff_filter_by_product_and_channel(client, api, offering, django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    post_start(api, product_code="FACE_LIVENESS_PRO")
    post_start(api, product_code="eKYC_PRO", doc_type="GLB03002", meta_info=APP_META_INFO)
    liveness, app = KycTransaction.objects.order_by("id")
    url = "/admin/django_ekyc/kyctransaction/"
    html = client.get(url, {"product_code": "FACE_LIVENESS_PRO"}).content.decode()
    assert str(liveness.public_id) in html and str(app.public_id) not in html
    assert "Liveness check with deep-fake detection (FACE_LIVENESS_PRO)" in html  # choices from the table
    html = client.get(url, {"channel__exact": "app"}).content.decode()
    assert str(app.public_id) in html and str(liveness.public_id) not in html
    html = client.get(url, {"doc_type": "GLB03002"}).content.decode()
    assert str(app.public_id) in html and "Passport (global e-passport, read from the MRZ) (GLB03002)" in html
    assert str(liveness.public_id) not in client.get(url, {"product_code": "NOT_OFFERED"}).content.decode()
    detail = client.get(f"{url}{app.pk}/change/").content.decode()
    assert "eKYC_PRO" in detail and "Native app" in detail


def test_a_site_may_choose_custom_liveness_actions(api, simulator):
    """Model=TEMPLATE, the site's pool of liveness actions (TemplateConfig, required with it), is a site decision."""
    template = {"SecurityLevel": "02", "Model": "TEMPLATE", "TemplateConfig": "01,02,03", "TemplateRanCount": "2"}
    with override_settings(EKYC=simulator.ekyc_settings(INITIALIZE_DEFAULTS=template)):
        post_start(api, doc_type="01000000")
    [call] = simulator.control.calls("Initialize")
    assert (call["params"]["Model"], call["params"]["TemplateConfig"]) == ("TEMPLATE", "01,02,03")


def test_initialize_defaults_are_checked_against_the_operation():
    from django_ekyc.checks.products import check

    defaults = {"Model": "TEMPLATE", "SecurityLevel": "09", "NoSuchThing": "1"}
    with override_settings(EKYC={"INITIALIZE_DEFAULTS": defaults}):
        from django_ekyc.conf import ekyc_settings

        messages = [str(message.msg) for message in check(ekyc_settings)]
    assert any("SecurityLevel must be one of 01, 02" in message for message in messages)
    assert any("'NoSuchThing' is not an Initialize parameter" in message for message in messages)
    assert any("TEMPLATE needs TemplateConfig" in message for message in messages)
