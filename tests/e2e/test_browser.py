"""The demo flow in Debian's Chromium, driven by Playwright: sign in, start, finish on the hosted page, come back.

Runs the example project's pages on pytest-django's live server against the
session's simulator over real HTTP. Needs ``/usr/bin/chromium`` (``make test``
and ``.ci/run`` install it with apt-get).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from django_ekyc.models import KycTransaction, Status

from ..helpers import initialize_params

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = os.environ.get("EKYC_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network and a root user, as this machine's Chromium needs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(os.environ.get("EKYC_E2E_SCREENSHOTS", Path(tempfile.gettempdir()) / "ekyc-e2e"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does) or set EKYC_CHROMIUM")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which
    # makes Django refuse ORM calls from the test body; they are synchronous
    # here, so allow them for the duration of the browser.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_site(live_server, simulator):
    """The example project's pages on the live server, talking to the simulator."""
    ekyc = simulator.ekyc_settings(
        RESULT_REDIRECT_URL="/verifications/{id}/",
        RETRY_BACKOFF=0.01,
        PRODUCTS=["eKYC", "eKYC_PRO", "FACE_LIVENESS_PRO"],
    )
    with override_settings(
        ROOT_URLCONF="example_project.urls",
        EKYC=ekyc,
        EKYC_WEB_SDK_URL=f"{simulator.url}/cdn/jsvm_all.js",
        EKYC_USES_SIMULATOR=True,
        LOGIN_URL="/admin/login/",
    ):
        yield live_server.url


@pytest.fixture
def page(browser, demo_site, django_user_model):
    django_user_model.objects.create_superuser("demo", "demo@example.com", "demo-password")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{demo_site}/")
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{demo_site}/")
    yield page
    context.close()


def verify_in_browser(
    page, demo_site: str, outcome_button: str, doc_type: str | None, shot: str, product: str = "eKYC"
) -> None:
    page.select_option("#product", product)
    if doc_type is None:
        assert not page.is_visible("#doc_type")  # a liveness check reads no document
    else:
        page.select_option("#doc_type", doc_type)
    page.click("#start")
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")  # the provider's hosted page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}-hosted.png"))
    page.click(outcome_button)
    page.wait_for_url(f"{demo_site}/verifications/*/")
    page.screenshot(path=str(SCREENSHOTS / f"{shot}-result.png"))


def test_a_user_verifies_and_staff_see_it_in_the_admin(page, demo_site, simulator):
    verify_in_browser(page, demo_site, "#outcome-pass", "00000008", "pass")
    assert page.get_attribute("#result", "data-status") == "passed"
    assert "Identity verified" in page.inner_text("#result")

    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.doc_type, kyc.sub_code) == (Status.PASSED, "00000008", "200")
    meta_info = initialize_params(simulator)["MetaInfo"]
    assert '"deviceType":"web"' in meta_info and "Chrome" in meta_info  # from the browser, unchanged

    page.goto(f"{demo_site}/")
    assert page.is_visible("#verified-banner")

    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/")
    row = page.inner_text("#result_list")
    assert str(kyc.public_id) in row and "Passed" in row
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/{kyc.pk}/change/")
    assert "faceComparisonScore" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "admin-detail.png"), full_page=True)


def test_a_face_mismatch_fails(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-face_mismatch", "01000000", "face-mismatch")
    assert page.get_attribute("#result", "data-status") == "failed"
    assert "Verification failed" in page.inner_text("#result")
    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.sub_code, kyc.passed) == (Status.FAILED, "204", False)


def test_the_hosted_page_cannot_be_replayed(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "replay")
    kyc = KycTransaction.objects.get()
    page.go_back()  # back to the provider's page: single use
    page.go_back()
    assert KycTransaction.objects.get().status == Status.PASSED
    assert kyc.events.filter(kind="state_change").count() == 2


def test_an_ekyc_pro_passport(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-pass", "GLB03002", "ekyc-pro-passport", product="eKYC_PRO")
    assert page.get_attribute("#result", "data-status") == "passed"
    assert "Passport (global e-passport, read from the MRZ)" in page.inner_text("body")
    kyc = KycTransaction.objects.get()
    assert (kyc.product_code, kyc.doc_type, kyc.status) == ("eKYC_PRO", "GLB03002", Status.PASSED)
    assert kyc.ocr_fields["mrz"].startswith("P<")


def test_a_liveness_only_check(page, demo_site):
    page.select_option("#product", "FACE_LIVENESS_PRO")
    page.click("#start")
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")
    assert not page.is_visible("#outcome-face_mismatch") and not page.is_visible("#outcome-document_spoof")
    page.click("#outcome-liveness_attack")
    page.wait_for_url(f"{demo_site}/verifications/*/")
    page.screenshot(path=str(SCREENSHOTS / "liveness-result.png"))
    assert page.get_attribute("#result", "data-status") == "failed"
    kyc = KycTransaction.objects.get()
    assert (kyc.product_code, kyc.doc_type, kyc.sub_code) == ("FACE_LIVENESS_PRO", "", "205")
    assert kyc.face_checks["faceAttack"] == "Y" and kyc.ocr_fields == {}
