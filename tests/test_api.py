"""The DRF API: start, list, read, refresh; authentication, ownership, validation codes, provider faults."""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_ekyc.api.drf_answers import PARSE_ERROR, CsrfFailed, throttled_message
from django_ekyc.models import KycTransaction, Status
from tests.helpers import throttle_rates

from .helpers import LIST_URL, META_INFO, api_client, initialize_params

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = object()


def detail_url(kyc_or_id) -> str:
    public_id = getattr(kyc_or_id, "public_id", kyc_or_id)
    return f"{LIST_URL}{public_id}/"


def test_start_answers_201_with_the_transaction_url(api, simulator, start_payload, user):
    response = api.post(LIST_URL, start_payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    kyc = KycTransaction.objects.get()
    assert body["id"] == str(kyc.public_id) and body["status"] == "initialized"
    assert body["transaction_url"].startswith(simulator.url + "/1.0.0/index.html?clientcfg=")
    assert body["doc_type"] == "01000000" and body["doc_type_label"].startswith("Passport")
    assert "transaction_id" not in body and "merchant_biz_id" not in body
    assert kyc.user == user


def test_client_cannot_choose_urls_or_tokens(api, simulator, start_payload):
    payload = {**start_payload, "return_url": "https://evil.example/", "callback_token": "mine"}
    assert api.post(LIST_URL, payload, format="json").status_code == 201
    params = initialize_params(simulator)
    assert params["ReturnUrl"].startswith("http://testserver/ekyc/return/")
    assert "evil" not in str(params) and params.get("CallbackToken") != "mine"


def test_public_base_url_builds_the_return_and_callback_urls(api, simulator, start_payload):
    with override_settings(EKYC=simulator.ekyc_settings(PUBLIC_BASE_URL="https://shop.example")):
        assert api.post(LIST_URL, start_payload, format="json").status_code == 201
    params = initialize_params(simulator)
    assert params["ReturnUrl"].startswith("https://shop.example/ekyc/return/")
    assert params["CallbackUrl"] == "https://shop.example/ekyc/callback/"
    assert len(params["CallbackToken"]) >= 40


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"doc_type": MISSING}, "doc_type", "required"),
        ({"doc_type": "12345678"}, "doc_type", "unknown_doc_type"),
        ({"doc_type": ""}, "doc_type", "required"),
        ({"meta_info": None}, "meta_info", "null"),
        ({"meta_info": ""}, "meta_info", "required"),
        ({"meta_info": "y" * 10_001}, "meta_info", "meta_info_too_long"),
        ({"meta_info": "[1]"}, "meta_info", "meta_info_invalid"),
        ({"scene_code": "way_too_long_scene"}, "scene_code", "invalid_scene_code"),
        ({"options": {"show_guide_page": "2"}}, "options", "invalid_option_value"),
        ({"options": {"show_guide_page": ["1"]}}, "options", "invalid_option_value"),
        ({"options": {"language_config": ["x"]}}, "options", "invalid_json_option"),
        ({"options": {"model": "LIVENESS"}}, "options", "option_not_allowed"),
        ({"options": {"callback_url": "https://x"}}, "options", "unknown_option"),
        ({"options": {"style_config": "[]"}}, "options", "invalid_json_option"),
        ({"options": {"language_config": {"k": "v" * 20_001}}}, "options", "option_too_long"),
        ({"options": "id_spoof=Y"}, "options", "invalid_options"),
    ],
)
def test_validation_errors_have_stable_codes(api, simulator, start_payload, payload, field, code):
    body = {key: value for key, value in {**start_payload, **payload}.items() if value is not MISSING}
    response = api.post(LIST_URL, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_request"
    assert [e["code"] for e in data["fields"][field]] == [code]
    assert data["fields"][field][0]["message"]
    assert KycTransaction.objects.count() == 0 and simulator.control.calls() == []


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"fault": "throttle", "count": -1, "retry_after": 0}, 503, "provider_throttled"),  # no real wait
        ({"fault": "unavailable", "count": -1}, 503, "provider_unavailable"),
        ({"fault": "drop", "count": -1}, 503, "provider_unreachable"),
        ({"fault": "internal_error"}, 502, "provider_error"),
        ({"fault": "malformed"}, 502, "provider_error"),
        ({"fault": "error", "code": "InvalidParameter", "status": 400}, 502, "provider_rejected"),
        ({"fault": "error", "code": "Forbidden.RAMUserAccessDenied", "status": 403}, 502, "provider_auth_failed"),
    ],
)
def test_provider_faults_answer_502_or_503_with_the_stored_transaction(
    api, simulator, start_payload, fault, status, code
):
    simulator.control.add_fault(action="Initialize", **fault)
    response = api.post(LIST_URL, start_payload, format="json")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["detail"]
    kyc = KycTransaction.objects.get()
    assert body["transaction"]["id"] == str(kyc.public_id)
    assert body["transaction"]["status"] == kyc.status == Status.ERROR
    assert kyc.events.count() >= 2


def test_wrong_secret_is_a_502_and_never_shown(api, simulator, start_payload):
    with override_settings(EKYC=simulator.ekyc_settings(ACCESS_KEY_SECRET="wrong-secret-value")):
        response = api.post(LIST_URL, start_payload, format="json")
    assert response.status_code == 502 and response.json()["code"] == "provider_auth_failed"
    assert b"wrong-secret-value" not in response.content


def test_anonymous_is_refused(simulator, start_payload):
    response = APIClient().post(LIST_URL, start_payload, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
    assert simulator.control.calls() == []


def test_token_authentication_works(simulator, start_payload, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.post(LIST_URL, start_payload, format="json").status_code == 201
    assert client.get(LIST_URL).json()[0]["status"] == "initialized"


def test_session_authentication_enforces_csrf_in_words_a_catalogue_translates(simulator, start_payload, user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(LIST_URL, start_payload, format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "csrf_failed", "detail": str(CsrfFailed.default_detail)}  # not "CSRF Failed: "
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    assert client.post(LIST_URL, start_payload, format="json", HTTP_X_CSRFTOKEN=token).status_code == 201


@pytest.mark.parametrize("body", ["{not json", '{"doc_type": "01000000",', "\ufeff"])
def test_a_body_that_is_not_json_is_answered_in_our_words(api, simulator, body):
    response = api.post(LIST_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": str(PARSE_ERROR)}  # not "JSON parse error - ..."
    assert simulator.control.calls() == []


def test_users_see_only_their_own(api, simulator, start_payload, other_user):
    mine = api.post(LIST_URL, start_payload, format="json").json()["id"]
    theirs = api_client(other_user).post(LIST_URL, start_payload, format="json").json()["id"]
    assert [t["id"] for t in api.get(LIST_URL).json()] == [mine]
    assert api.get(detail_url(mine)).status_code == 200
    assert api.get(detail_url(theirs)).status_code == 404
    assert api.post(detail_url(theirs) + "refresh/").status_code == 404
    assert api.get(detail_url(uuid.uuid4())).status_code == 404
    assert api.get(f"{LIST_URL}1/").status_code == 404  # no sequential ids


def test_refresh_endpoint(api, simulator, start_payload):
    created = api.post(LIST_URL, start_payload, format="json").json()
    assert api.post(detail_url(created["id"]) + "refresh/").json()["status"] == "initialized"
    kyc = KycTransaction.objects.get()
    simulator.control.complete(kyc.transaction_id, "document_spoof")
    body = api.post(detail_url(created["id"]) + "refresh/").json()
    assert (body["status"], body["passed"], body["sub_code"], body["is_final"]) == ("failed", False, "212", True)
    assert "result" not in body  # identity data is not exposed by the API


def test_refresh_with_the_provider_down(api, simulator, start_payload):
    created = api.post(LIST_URL, start_payload, format="json").json()
    simulator.control.add_fault("unavailable", action="CheckResult", count=-1)
    response = api.post(detail_url(created["id"]) + "refresh/")
    assert response.status_code == 503 and response.json()["code"] == "provider_unavailable"
    assert response.json()["transaction"]["status"] == "initialized"


def test_starts_are_throttled_in_words_with_retry_after(api, simulator, start_payload):
    with throttle_rates(start="2/hour"):
        codes = [api.post(LIST_URL, start_payload, format="json").status_code for _ in range(2)]
        refused = api.post(LIST_URL, start_payload, format="json")
        assert codes == [201, 201] and refused.status_code == 429
        assert api.get(LIST_URL).status_code == 200  # reading is not throttled
    body = refused.json()
    # DRF's throttle waits the hour's rest: about 3600 seconds, which is 60 minutes in words.
    assert body["code"] == "throttled" and 3000 < body["retry_after"] <= 3600
    assert refused["Retry-After"] == str(body["retry_after"])
    assert body["detail"] == "Too many requests: try again in 60 minutes."
    assert KycTransaction.objects.count() == 2  # the refused start saved nothing


@pytest.mark.parametrize("wait", [0.0, 0.4, -2.0])
def test_a_throttle_wait_under_a_second_is_one_second_in_the_body_and_the_header(
    api, simulator, start_payload, monkeypatch, wait
):
    """A throttle may say to wait 0 (or less, its clock having moved): DRF then sends no Retry-After. The answer
    says 1 second in the body, the header and the words alike, never "0 seconds"."""
    from django_ekyc.api.throttling import StartVerificationThrottle

    monkeypatch.setattr(StartVerificationThrottle, "wait", lambda self: wait)
    with throttle_rates(start="1/hour"):
        assert api.post(LIST_URL, start_payload, format="json").status_code == 201
        refused = api.post(LIST_URL, start_payload, format="json")
    assert refused.status_code == 429
    body = refused.json()
    assert (body["retry_after"], refused.headers.get("Retry-After")) == (1, "1")
    assert body["detail"] == "Too many requests: try again in 1 second."


@pytest.mark.parametrize(
    ("wait", "words"),
    [
        (None, "try again later."),
        (1, "try again in 1 second."),
        (59, "try again in 59 seconds."),
        (60, "try again in 1 minute."),
        (3599, "try again in 60 minutes."),
        (7200, "try again in 2 hours."),
        (86_399, "try again in 24 hours."),
    ],
)
def test_a_throttles_wait_in_words(wait, words):
    assert throttled_message(wait) == f"Too many requests: {words}"


def test_openapi_schema_describes_only_this_api(client):
    response = client.get("/ekyc/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/ekyc/api/transactions/",
        "/ekyc/api/transactions/{id}/",
        "/ekyc/api/transactions/{id}/refresh/",
        "/ekyc/api/checks/",
        "/ekyc/api/consents/",
    }
    start = schema["paths"]["/ekyc/api/transactions/"]["post"]
    assert {"201", "400", "409", "413", "429", "502", "503"} <= set(start["responses"])
    body = schema["components"]["schemas"]["StartVerification"]
    assert set(body["properties"]) == {
        "purpose",
        "product_code",
        "doc_type",
        "channel",
        "meta_info",
        "scene_code",
        "options",
    }


@pytest.mark.parametrize(
    "options",
    [
        {"security_level": "01", "id_spoof": "N", "id_threshold": "3"},
        {"security_level": "01"},
        {"id_spoof": "N"},
        {"id_threshold": "3"},
        {"model": "LIVENESS"},
        {"doc_video": "N"},
        {"edit_ocr_result": "1"},
        {"show_album_icon": "1"},
        {"language_config": {"en": {}}, "security_level": "01"},
    ],
)
def test_the_frontend_cannot_weaken_a_verification(api, simulator, start_payload, options):
    with override_settings(
        EKYC=simulator.ekyc_settings(INITIALIZE_DEFAULTS={"SecurityLevel": "02", "IdSpoof": "Y", "IdThreshold": "1"})
    ):
        response = api.post(LIST_URL, {**start_payload, "options": options}, format="json")
    assert response.status_code == 400
    [error] = response.json()["fields"]["options"]
    assert error["code"] == "option_not_allowed"
    assert KycTransaction.objects.count() == 0 and simulator.control.calls() == []


def test_presentation_options_pass_and_the_sites_security_settings_stay(api, simulator, start_payload):
    defaults = {"SecurityLevel": "02", "IdSpoof": "Y", "IdThreshold": "1", "ShowGuidePage": "1"}
    options = {"show_guide_page": "0", "language_config": {"en": {"title": "Hi"}}, "style_config": "{}"}
    with override_settings(EKYC=simulator.ekyc_settings(INITIALIZE_DEFAULTS=defaults)):
        assert api.post(LIST_URL, {**start_payload, "options": options}, format="json").status_code == 201
    params = initialize_params(simulator)
    assert (params["SecurityLevel"], params["IdSpoof"], params["IdThreshold"]) == ("02", "Y", "1")
    assert (params["ShowGuidePage"], params["StyleConfig"]) == ("0", "{}")


def test_a_site_can_allow_more_presentation_options(api, simulator, start_payload):
    with override_settings(EKYC=simulator.ekyc_settings(FRONTEND_OPTIONS=["show_ocr_result"])):
        ok = api.post(LIST_URL, {**start_payload, "options": {"show_ocr_result": "0"}}, format="json")
        refused = api.post(LIST_URL, {**start_payload, "options": {"show_guide_page": "0"}}, format="json")
    assert ok.status_code == 201 and simulator.control.calls("Initialize")[0]["params"]["ShowOcrResult"] == "0"
    assert refused.json()["fields"]["options"][0]["code"] == "option_not_allowed"


def test_hammering_refresh_asks_the_provider_once_per_interval(api, simulator, start_payload):
    created = api.post(LIST_URL, start_payload, format="json").json()
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=60)), throttle_rates(refresh=None):
        answers = [api.post(detail_url(created["id"]) + "refresh/") for _ in range(30)]
    assert {(r.status_code, r.json()["status"]) for r in answers} == {(200, "initialized")}
    assert len(simulator.control.calls("CheckResult")) == 1
    assert KycTransaction.objects.get().events.count() == 3  # Initialize, its state change, one CheckResult


def test_refresh_is_throttled_per_user(api, simulator, start_payload, other_user):
    created = api.post(LIST_URL, start_payload, format="json").json()
    with throttle_rates(refresh="3/minute"):
        codes = [api.post(detail_url(created["id"]) + "refresh/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = api.post(detail_url(created["id"]) + "refresh/")
        assert refused.json()["code"] == "throttled"
        assert api_client(other_user).post(LIST_URL, start_payload, format="json").status_code == 201  # its own scope
        assert api.get(detail_url(created["id"])).status_code == 200  # reading is not throttled


def test_the_answer_is_drfs_own_rendering_with_fields_built_once(api, simulator, start_payload):
    """The fast path renders exactly what DRF's ModelSerializer would, for every state of a transaction."""
    from rest_framework import serializers as drf

    from django_ekyc.api.serializers import KycTransactionSerializer

    api.post(LIST_URL, start_payload, format="json")
    simulator.control.add_fault("internal_error", action="Initialize")
    api.post(LIST_URL, start_payload, format="json")
    done = KycTransaction.objects.filter(status=Status.INITIALIZED).get()
    simulator.control.complete(done.transaction_id, "face_mismatch")
    api.post(detail_url(done) + "refresh/")
    for kyc in KycTransaction.objects.all():
        fast = KycTransactionSerializer(kyc).data
        assert fast == drf.ModelSerializer.to_representation(KycTransactionSerializer(kyc), kyc)
    assert {row["status"] for row in api.get(LIST_URL).json()} == {"failed", "error"}


def test_a_reverification_refuses_a_scene_code_rather_than_dropping_it(api, simulator, start, finish, user):
    """The site decides how a re-verification is done: a ``scene_code`` is refused like ``product_code``."""
    with override_settings(EKYC=simulator.ekyc_settings(REVERIFY_PRODUCT="FACE_VERIFY")):
        finish(start().transaction, "pass", person="alice")
        calls = len(simulator.control.calls())
        body = {"purpose": "reverify", "meta_info": META_INFO}
        refused = api.post(LIST_URL, {**body, "scene_code": "SCENE01"}, format="json")
        assert refused.status_code == 400
        assert refused.json()["fields"]["scene_code"][0]["code"] == "not_for_reverify"
        assert len(simulator.control.calls()) == calls and KycTransaction.objects.count() == 1
        assert api.post(LIST_URL, body, format="json").status_code == 201  # the same start, without it


@override_settings(DEBUG=True, EKYC={}, SILENCED_SYSTEM_CHECKS=["django_ekyc.E018"])
def test_a_site_with_nothing_to_sign_with_answers_a_stable_error_not_a_500(api, start_payload, caplog):
    """The configuration check E018 reports, silenced: the start is refused clearly, before anything is saved."""
    response = api.post(LIST_URL, start_payload, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "not_configured"
    assert "ACCESS_KEY" not in response.json()["detail"]  # the operator's log says what, not the client
    assert not KycTransaction.objects.exists()
    assert "ACCESS_KEY_ID and ACCESS_KEY_SECRET" in caplog.text
