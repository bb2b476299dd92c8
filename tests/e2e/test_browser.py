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

from django_ekyc.models import FaceStatus, KycTransaction, Status
from django_ekyc.services import settle_pending_faces

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
        message = f"{CHROMIUM} is missing: install Debian's chromium (make test does, as root) or set EKYC_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests
        pytest.skip(message)
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
    """The example project's pages on the live server, talking to the simulator, with the demo's face library."""
    simulator.control.create_face_group("e2efaces")
    ekyc = simulator.ekyc_settings(
        RESULT_REDIRECT_URL="/verifications/{id}/",
        RETRY_BACKOFF=0.01,
        PRODUCTS=["eKYC", "eKYC_PRO", "FACE_LIVENESS_PRO"],
        FACE_LIBRARY="e2efaces",
        REVERIFY_PRODUCT="FACE_IDU",
        REVERIFY_URL="/confirm-it-is-you/",
        WEB_SDK_URL=f"{simulator.url}/cdn/jsvm_all.js",
    )
    with override_settings(
        ROOT_URLCONF="example_project.urls",
        EKYC=ekyc,
        EKYC_USES_SIMULATOR=True,
        LOGIN_URL="/accounts/login/",
    ):
        yield live_server.url


def sign_in(page, demo_site: str, username: str, password: str) -> None:
    page.goto(f"{demo_site}/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{demo_site}/")


@pytest.fixture
def page(browser, demo_site, django_user_model):
    django_user_model.objects.create_superuser("demo", "demo@example.com", "demo-password")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, demo_site, "demo", "demo-password")
    yield page
    context.close()


def verify_in_browser(
    page,
    demo_site: str,
    outcome_button: str,
    doc_type: str | None,
    shot: str,
    product: str = "eKYC",
    person: str | None = None,
) -> None:
    page.select_option("#product", product)
    if doc_type is None:
        assert not page.is_visible("#doc_type")  # a liveness check reads no document
    else:
        page.select_option("#doc_type", doc_type)
    page.click("#start")
    finish_hosted_page(page, demo_site, outcome_button, shot, person)


def finish_hosted_page(page, demo_site: str, outcome_button: str, shot: str, person: str | None = None) -> None:
    """On the provider's page: who is in front of the camera (the simulator's face), and how it ends."""
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if person:
        page.fill("#person", person)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}-hosted.png"))
    page.click(outcome_button)
    page.wait_for_url(f"{demo_site}/verifications/*/")
    page.screenshot(path=str(SCREENSHOTS / f"{shot}-result.png"))
    settle_pending_faces()  # the task worker's job after the request (the demo runs one)


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
    assert str(kyc.public_id)[:8] in row and "Passed" in row
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
    assert kyc.ocr_fields["passport_number"] and len(kyc.ocr_fields["country_code"]) == 3


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


def test_a_payout_page_asks_the_user_to_confirm_it_is_them(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "reverify-first", person="alice")
    page.goto(f"{demo_site}/payout/")
    page.wait_for_url(f"{demo_site}/confirm-it-is-you/?next=**")  # guarded: re-verify first
    page.click("#reverify")
    finish_hosted_page(page, demo_site, "#outcome-pass", "reverify-same", person="alice")
    assert "It is you" in page.inner_text("#result")
    page.click("#continue")
    page.wait_for_url(f"{demo_site}/payout/")
    assert page.is_visible("#payout")
    reverification = KycTransaction.objects.get(purpose="reverify")
    assert (reverification.product_code, reverification.status) == ("FACE_IDU", Status.PASSED)


def test_someone_else_cannot_pass_the_payout_check(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "reverify-owner", person="alice")
    page.goto(f"{demo_site}/confirm-it-is-you/?next=/payout/")
    page.click("#reverify")
    finish_hosted_page(page, demo_site, "#outcome-pass", "reverify-other", person="mallory")
    assert "could not confirm" in page.inner_text("#result")
    page.goto(f"{demo_site}/payout/")
    page.wait_for_url(f"{demo_site}/confirm-it-is-you/?next=**")


def test_a_second_account_of_the_same_person_is_flagged_for_staff(page, demo_site, django_user_model):
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "duplicate-first", person="alice")
    django_user_model.objects.create_user("demo2", "demo2@example.com", "demo2-password")
    page.click("#sign-out")
    sign_in(page, demo_site, "demo2", "demo2-password")
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "duplicate-second", person="alice")
    assert page.get_attribute("#result", "data-status") == "passed"  # the user is told nothing
    page.click("#sign-out")
    sign_in(page, demo_site, "demo", "demo-password")
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/?face_status__exact=duplicate")
    flagged = KycTransaction.objects.get(face_status="duplicate")
    assert str(flagged.public_id)[:8] in page.inner_text("#result_list")
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/{flagged.pk}/change/")
    page.screenshot(path=str(SCREENSHOTS / "admin-duplicate.png"), full_page=True)
    assert "demo (" in page.inner_text("body")  # the other account, linked


def test_a_second_person_in_the_same_account_is_flagged_and_cannot_pass_the_payout(page, demo_site):
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "reference-owner", person="alice")
    # Someone in alice's session verifies with their own document and face: it passes, and is flagged.
    page.goto(f"{demo_site}/")
    verify_in_browser(page, demo_site, "#outcome-pass", "01000000", "reference-other", person="mallory")
    assert page.get_attribute("#result", "data-status") == "passed"
    flagged = KycTransaction.objects.get(face_status=FaceStatus.REFERENCE_CONFLICT)
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/?face_status__exact=reference_conflict")
    assert str(flagged.public_id)[:8] in page.inner_text("#result_list")
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/{flagged.pk}/change/")
    page.screenshot(path=str(SCREENSHOTS / "admin-reference-conflict.png"), full_page=True)
    assert "Not the person of the user's reference face" in page.inner_text("body")
    # The reference is still alice's: mallory cannot pass the payout's check.
    page.goto(f"{demo_site}/confirm-it-is-you/?next=/payout/")
    page.click("#reverify")
    finish_hosted_page(page, demo_site, "#outcome-pass", "reference-reverify", person="mallory")
    assert "could not confirm" in page.inner_text("#result")


def test_loading_a_page_starts_nothing_pressing_its_button_does(page, own_result_page):
    for _ in range(3):
        page.goto(f"{own_result_page}/")  # a page binding DjangoEkyc.bind by hand
    assert not KycTransaction.objects.exists()
    page.click("#start")
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")
    page.click("#outcome-face_mismatch")
    page.wait_for_url(f"{own_result_page}/ekyc/return/**")
    for _ in range(2):
        page.reload()  # a page with {% ekyc_start_button %} ("Try again")
        assert page.is_visible("[data-ekyc-start]")
    assert KycTransaction.objects.count() == 1


@pytest.fixture
def own_result_page(demo_site, simulator):
    """The app's own result page (no RESULT_REDIRECT_URL), in a site that lets a failed user try again."""
    from django.conf import settings

    with override_settings(EKYC={**settings.EKYC, "RESULT_REDIRECT_URL": None}):
        yield demo_site


def test_the_result_page_explains_and_lets_the_user_try_again(page, own_result_page):
    page.select_option("#doc_type", "01000000")
    page.click("#start")
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")
    page.click("#outcome-face_mismatch")
    page.wait_for_url(f"{own_result_page}/ekyc/return/**")
    assert "The face did not match the photo on the document." in page.inner_text("#ekyc-result")
    page.screenshot(path=str(SCREENSHOTS / "result-page-failed.png"))
    page.click("[data-ekyc-start]")  # try again: the same document, a new verification
    page.wait_for_url("**/1.0.0/index.html?clientcfg=*")
    assert [kyc.doc_type for kyc in KycTransaction.objects.all()] == ["01000000", "01000000"]
    page.click("#outcome-pass")
    page.wait_for_url(f"{own_result_page}/ekyc/return/**")
    page.click("#ekyc-back")
    page.wait_for_url(f"{own_result_page}/")


def test_the_admin_list_reads_at_1280_pixels(page, demo_site, start, finish):
    for outcome in ("pass", "face_mismatch", "document_spoof"):
        finish(start(product_code="eKYC").transaction, outcome)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{demo_site}/admin/django_ekyc/kyctransaction/")
    page.screenshot(path=str(SCREENSHOTS / "admin-list-1280.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # the table fits its box: no column cut off, no sideways scrolling
    assert page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results'); return r.scrollWidth <= r.clientWidth; })()"
    )
    assert "The face did not match the photo on the document." in page.inner_text("#result_list")
