"""The ReturnUrl landing and the CallbackUrl endpoint, the callback over real HTTP from the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


# -- the result pages: titles, the way back, the waiting page that asks again without reloading ------------------


def test_the_waiting_page_never_reloads_itself_and_offers_check_again(client, start, simulator):
    start()
    path = return_path(initialize_params(simulator))
    html = client.get(path).content.decode()
    assert "http-equiv" not in html  # no <meta http-equiv="refresh">: the script asks instead
    assert f'data-status-url="{path}status/?check=1"' in html and 'data-recheck-seconds="5"' in html
    assert f'id="ekyc-check-again" href="{path}"' in html  # without the script, the person reloads it
    assert 'id="ekyc-live" role="status"' in html and "ekyc-result.js" in html
    assert "<title>Waiting for the result – testserver</title>" in html


def test_the_waiting_page_stops_asking_after_the_last_check(client, start, simulator):
    start()
    path = return_path(initialize_params(simulator))
    html = client.get(f"{path}?check=6").content.decode()
    assert 'data-status-url=""' in html and "ekyc-result.js" not in html
    assert 'id="ekyc-check-again"' in html  # the person decides


@pytest.mark.parametrize(
    ("outcome", "title"),
    [("pass", "Identity verified"), ("face_mismatch", "Verification failed"), ("quit", "Waiting for the result")],
)
def test_each_outcome_has_its_own_title_and_a_main_landmark(client, start, simulator, outcome, title):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, outcome)
    html = client.get(return_path(initialize_params(simulator))).content.decode()
    assert f"<title>{title} – testserver</title>" in html and f'<h1 id="ekyc-heading">{title}</h1>' in html
    assert html.count("<main") == 1


@pytest.fixture
def database_down(monkeypatch):
    """The database connection fails while the return page asks the provider."""
    from django.db import OperationalError

    from django_ekyc.client import EkycClient

    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(EkycClient, "check_result", fail)


@pytest.mark.parametrize("home", ["/", "/account/"])
def test_the_unknown_and_unavailable_pages_lead_back_to_the_site(client, start, simulator, database_down, home):
    start()
    with override_settings(EKYC=simulator.ekyc_settings(HOME_URL=home)):
        unknown = client.get("/ekyc/return/forged-token-0000000/")
        down = client.get(return_path(initialize_params(simulator)))
    assert (unknown.status_code, down.status_code) == (404, 503)
    for response, title in ((unknown, "Unknown verification"), (down, "Temporarily unavailable")):
        html = response.content.decode()
        assert f'<a id="ekyc-back" href="{home}">' in html
        assert f"<title>{title} – testserver</title>" in html and "<main" in html


def test_without_a_home_url_the_pages_have_no_empty_back_link(client, simulator):
    with override_settings(EKYC=simulator.ekyc_settings(HOME_URL="")):
        html = client.get("/ekyc/return/forged-token-0000000/").content.decode()
    assert "ekyc-back" not in html and 'href=""' not in html


@pytest.fixture
def sites_framework() -> Iterator[Any]:
    """``django.contrib.sites`` installed, its table made, no ``SITE_ID``: a site whose Sites framework does not
    know the host the request names (``testserver``) unless the test adds its row. Returns the ``Site`` model."""
    from django.conf import settings
    from django.contrib import admin
    from django.db import connection

    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.sites"]):
        from django.contrib.sites.models import Site

        assert not getattr(settings, "SITE_ID", None)
        with connection.schema_editor() as editor:
            editor.create_model(Site)
        Site.objects.clear_cache()
        try:
            yield Site
        finally:
            Site.objects.clear_cache()
            with connection.schema_editor() as editor:
                editor.delete_model(Site)
            if admin.site.is_registered(Site):  # the admin's autodiscovery found it: gone with the app
                admin.site.unregister(Site)


def test_a_sites_framework_that_does_not_know_the_host_names_the_host(
    client, start, simulator, sites_framework, database_down
):
    sites_framework.objects.create(domain="shop.example", name="Another shop")  # a row, but not this host's
    start()
    path = return_path(initialize_params(simulator))
    unknown = client.get("/ekyc/return/forged-token-0000000/")
    down = client.get(path)
    status = status_of(client, path)
    assert (unknown.status_code, down.status_code, status.status_code) == (404, 503, 503)
    assert "<title>Unknown verification – testserver</title>" in unknown.content.decode()
    assert "<title>Temporarily unavailable – testserver</title>" in down.content.decode()
    assert status.json()["title"] == "Temporarily unavailable – testserver"


def test_a_sites_framework_that_knows_the_host_names_the_site(client, sites_framework):
    sites_framework.objects.create(domain="testserver", name="The Shop")
    html = client.get("/ekyc/return/forged-token-0000000/").content.decode()
    assert "<title>Unknown verification – The Shop</title>" in html


def status_of(client, path: str, check: int = 1):
    return client.get(f"{path}status/", {"check": check}, HTTP_ACCEPT="application/json")


def test_the_status_url_says_when_to_ask_again_until_the_last_check(client, start, simulator):
    start()
    path = return_path(initialize_params(simulator))
    first = status_of(client, path, 1)
    assert first.status_code == 200
    # never_cache's words: no copy kept by the browser or any cache between (the link is the person's own)
    assert {"no-cache", "no-store", "must-revalidate", "private", "max-age=0"} <= {
        part.strip() for part in first["Cache-Control"].split(",")
    }
    answer = first.json()
    assert (answer["status"], answer["waiting"], answer["recheck_seconds"]) == ("initialized", True, 5)
    assert answer["recheck_url"] == f"{path}status/?check=2" and "html" not in answer
    assert status_of(client, path, 5).json()["recheck_url"] == f"{path}status/?check=6"
    assert status_of(client, path, 6).json()["recheck_url"] == ""  # the server stops the page


def test_the_status_url_gives_the_result_once_it_is_in_and_no_identity_data(client, start, simulator):
    kyc = start().transaction
    path = return_path(initialize_params(simulator))
    assert status_of(client, path).json()["waiting"] is True
    simulator.control.complete(kyc.transaction_id, "pass")
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=0)):
        answer = status_of(client, path).json()
    assert (answer["status"], answer["waiting"], answer["recheck_url"]) == ("passed", False, "")
    assert answer["title"] == "Identity verified – testserver" and answer["heading"] == "Identity verified"
    assert 'data-status="passed"' in answer["html"] and '<a id="ekyc-back" href="/">' in answer["html"]
    kyc.refresh_from_db()
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    text = str(answer)
    for value in (ocr["givenname"], ocr["passportNo"], kyc.transaction_id, kyc.merchant_biz_id):
        assert value not in text


def test_the_status_url_of_an_unknown_link_is_404(client, simulator):
    response = status_of(client, "/ekyc/return/forged-token-0000000/")
    assert response.status_code == 404
    assert (response.json()["status"], response.json()["waiting"]) == ("unknown", False)
    assert simulator.control.calls() == []


def test_asking_the_status_url_often_asks_the_provider_once_per_interval(client, start, simulator):
    start()
    path = return_path(initialize_params(simulator))
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=60)):
        for _ in range(10):
            assert status_of(client, path).status_code == 200
    assert len(simulator.control.calls("CheckResult")) == 1


def test_the_status_url_is_get_only(client, start, simulator):
    start()
    assert client.post(f"{return_path(initialize_params(simulator))}status/").status_code == 405
