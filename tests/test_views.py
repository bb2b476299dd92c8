"""The ReturnUrl landing and the CallbackUrl endpoint, the callback over real HTTP from the simulator."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_ekyc.models import KycTransaction, Status

from .helpers import callback_token, initialize_params, return_path, shop_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_return_shows_the_outcome_from_the_provider_and_no_identity_data(client, start, simulator):
    kyc = start().transaction
    finished = simulator.control.complete(kyc.transaction_id, "pass")
    forged = return_path(initialize_params(simulator)) + "?response=" + '{"resultCode":"1001"}'
    response = client.get(forged)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="passed"' in html and "Identity verified" in html
    kyc.refresh_from_db()
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    for value in (ocr["givenname"], ocr["passportNo"], kyc.transaction_id, kyc.merchant_biz_id):
        assert value not in html
    assert finished["redirect_url"].startswith("http://testserver" + return_path(initialize_params(simulator)))


def test_return_before_the_result_says_still_checking(client, start, simulator):
    start()
    response = client.get(return_path(initialize_params(simulator)))
    assert response.status_code == 200 and 'data-status="initialized"' in response.content.decode()


def test_return_with_an_unknown_token_is_404(client, simulator):
    response = client.get("/ekyc/return/forged-token/")
    assert response.status_code == 404 and 'data-status="unknown"' in response.content.decode()
    assert simulator.control.calls() == []


def test_return_redirects_to_the_configured_page(client, start, simulator):
    kyc = start().transaction
    with override_settings(EKYC=simulator.ekyc_settings(RESULT_REDIRECT_URL="/done/{id}/")):
        response = client.get(return_path(initialize_params(simulator)))
    assert response.status_code == 302 and response["Location"] == f"/done/{kyc.public_id}/"


@pytest.mark.parametrize("target", ["https://evil.example/{id}", "//evil.example/x", "javascript:alert(1)"])
def test_return_never_redirects_off_site(client, start, simulator, target):
    start()
    with override_settings(EKYC=simulator.ekyc_settings(RESULT_REDIRECT_URL=target)):
        response = client.get(return_path(initialize_params(simulator)))
    assert response.status_code == 200  # the result page instead


def test_return_is_get_only(client, start, simulator):
    start()
    assert client.post(return_path(initialize_params(simulator))).status_code == 405


def test_callback_over_http_from_the_simulator_completes_the_transaction(
    live_server, simulator, start, completed_signals
):
    kyc = start(build_url=lambda path: live_server.url + path).transaction
    params = initialize_params(simulator)
    assert params["CallbackUrl"] == f"{live_server.url}/ekyc/callback/"
    finished = simulator.control.complete(kyc.transaction_id, "pass")
    assert finished["callback"]["status"] == 200
    kyc.refresh_from_db()
    assert (kyc.status, kyc.passed) == (Status.PASSED, True)
    assert kyc.events.filter(source="callback", action="CheckResult", code="Success").exists()
    assert len(completed_signals.calls) == 1


def test_callback_with_a_wrong_token_changes_nothing(client, start, simulator):
    kyc = start(build_url=shop_url).transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    before = list(kyc.events.values_list("id", flat=True))
    response = client.get(
        "/ekyc/callback/",
        {"transactionId": kyc.transaction_id, "passed": "Y", "subCode": "200", "callbackToken": "forged"},
    )
    assert response.status_code == 403 and response.json()["code"] == "invalid_callback_token"
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED
    assert list(kyc.events.values_list("id", flat=True)) == before
    assert simulator.control.calls("CheckResult") == []


def test_callback_for_an_unknown_transaction(client, simulator):
    response = client.get("/ekyc/callback/", {"transactionId": "hksnope", "callbackToken": "x"})
    assert response.status_code == 404 and response.json()["code"] == "unknown_transaction"


def test_callback_while_the_provider_is_down_asks_to_be_called_again(client, start, simulator):
    kyc = start(build_url=shop_url).transaction
    token = callback_token(initialize_params(simulator))
    simulator.control.add_fault("internal_error", action="CheckResult")
    response = client.get("/ekyc/callback/", {"transactionId": kyc.transaction_id, "callbackToken": token})
    assert response.status_code == 503 and response.json()["code"] == "provider_unavailable"
    assert KycTransaction.objects.get().status == Status.INITIALIZED


def test_reloading_the_return_page_asks_the_provider_once_per_interval(client, start, simulator):
    start()
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=60)):
        for _ in range(10):
            assert client.get(return_path(initialize_params(simulator))).status_code == 200
    assert len(simulator.control.calls("CheckResult")) == 1
