"""The demo's checks from pictures (``/checks/``) in Debian's Chromium: uploads, a camera selfie, consent, keyboard.

The page posts the user's pictures to ``ekyc/api/checks/`` on pytest-django's live server, which calls the
session's simulator; the pictures are the simulator's samples (whose face or document is in their pixels) or a
frame of Chromium's fake camera. Every wait is Playwright's own (auto-waiting, ``expect``): nothing is timed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from django_ekyc.models import Consent, KycTransaction, Status
from django_ekyc.services.consent import DEFAULT_VERSION
from django_ekyc.simulator.picture_marks import marks_of, sample_picture

from ..picture_support import HONG_KONG_CHECKS
from . import test_browser
from .axe import assert_accessible
from .test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, sign_in, verify_in_browser

pytestmark = pytest.mark.django_db(transaction=True)
# The browser tests' fixtures: Chromium, the demo site on the live server (and the simulator), a superuser's page.
browser, demo_site, page = test_browser.browser, test_browser.demo_site, test_browser.page

WAIT = 30_000  # milliseconds: generous, for a loaded machine; never a sleep
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
def checks_site(demo_site):
    """The demo site offering the Hong Kong checks from pictures, and the step-up from one."""
    from django.conf import settings

    with override_settings(EKYC={**settings.EKYC, "PICTURE_CHECKS": HONG_KONG_CHECKS, "REVERIFY_FROM_PICTURE": True}):
        yield demo_site


def open_checks(page, site: str) -> None:
    page.goto(f"{site}/checks/")
    expect(page.locator("#consent-text")).to_contain_text("Alibaba Cloud ID Verification", timeout=WAIT)
    expect(page.locator("#consent")).to_be_enabled(timeout=WAIT)
    expect(page.locator("#consent")).not_to_be_checked()  # never ticked for the user


def choose(page, selector: str, name: str, data: bytes, mime_type: str = "image/png") -> None:
    page.set_input_files(selector, {"name": name, "mimeType": mime_type, "buffer": data})


def passport(person: str = "alice") -> bytes:
    return sample_picture(kind="document", person=person, document="GLB03002")


def face(person: str = "alice") -> bytes:
    return sample_picture(kind="face", person=person)


def settled(page, status: str | re.Pattern[str]) -> None:
    expect(page.locator("#result")).to_have_attribute("data-status", status, timeout=WAIT)


def check_requests(page) -> list[str]:
    """The URLs of every request the page makes to the checks endpoint, from now on."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/ekyc/api/checks/" in request.url else None)
    return sent


def assert_passport_read(page, site: str) -> KycTransaction:
    """The answer of a passport reading, on the page and on record; staff see the consent in the admin."""
    settled(page, "passed")
    kyc = KycTransaction.objects.get()
    assert (kyc.channel, kyc.product_code, kyc.doc_type, kyc.status) == ("server", "ID_OCR_MAX", "GLB03002", "passed")
    assert kyc.document.number
    result = page.locator("#result")
    expect(result).to_contain_text("Check passed")
    expect(result).to_contain_text("Status: passed")
    expect(result).to_contain_text(kyc.document.number)
    consent = Consent.objects.get()
    assert kyc.consent == consent and (consent.version, consent.check_code) == (DEFAULT_VERSION, "ID_OCR_MAX")
    page.goto(f"{site}/admin/django_ekyc/kyctransaction/{kyc.pk}/change/")
    expect(page.locator("body")).to_contain_text(f"pictures v{DEFAULT_VERSION}", timeout=WAIT)
    expect(page.locator("body")).to_contain_text("withdrawn: no")
    return kyc


def test_a_passport_read_from_an_upload_and_staff_see_the_consent(page, checks_site):
    open_checks(page, checks_site)
    page.select_option("#check", "ID_OCR_MAX")
    expect(page.locator("#face")).to_be_hidden()  # a reading check takes the document only
    page.select_option("#doc_type", "GLB03002")
    choose(page, "#document", "passport.png", passport())
    page.check("#consent")
    page.click("#submit")
    settled(page, "passed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checks-passport.png"), full_page=True)
    assert_passport_read(page, checks_site)


def test_two_faces_of_different_people_fail_the_comparison(page, checks_site):
    open_checks(page, checks_site)
    page.select_option("#check", "FACE_COMPARE")
    expect(page.locator("#doc_type")).to_be_hidden()  # a comparison reads no document
    choose(page, "#face", "alice.png", face("alice"))
    choose(page, "#reference", "bob.png", face("bob"))
    page.check("#consent")
    page.click("#submit")
    settled(page, "failed")
    result = page.locator("#result")
    expect(result).to_contain_text("Check failed")
    expect(result).to_contain_text("The two faces did not match")
    kyc = KycTransaction.objects.get()
    assert (kyc.product_code, kyc.status, kyc.error_code) == ("FACE_COMPARE", Status.FAILED, "faces_differ")
    assert kyc.passed is False


def test_without_the_consent_ticked_nothing_is_sent_and_the_server_refuses_too(page, checks_site, simulator):
    open_checks(page, checks_site)
    sent = check_requests(page)
    page.select_option("#check", "ID_OCR_MAX")
    page.select_option("#doc_type", "GLB03002")
    choose(page, "#document", "passport.png", passport())
    page.click("#submit")
    error = page.locator("#consent-error")
    expect(error).to_contain_text("Tick the box to agree to the consent text", timeout=WAIT)
    expect(page.locator("#consent")).to_be_focused()
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result")).to_have_attribute("data-status", "")
    assert sent == [] and simulator.control.calls() == []
    assert not KycTransaction.objects.exists() and not Consent.objects.exists()

    # The same request without the page's check: the server refuses it, under the consent field.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    document = {"name": "passport.png", "mimeType": "image/png", "buffer": passport()}
    answer = page.request.post(
        f"{checks_site}/ekyc/api/checks/",
        multipart={"check": "ID_OCR_MAX", "doc_type": "GLB03002", "document": document},
        headers={"X-CSRFToken": token},
    )
    assert answer.status == 400
    assert answer.json()["fields"]["consent"][0]["code"] == "consent_required"
    assert simulator.control.calls() == [] and not KycTransaction.objects.exists()


@pytest.fixture
def camera_page(browser, checks_site, django_user_model) -> Iterator[object]:
    """A signed-in page in a Chromium of its own, with a fake camera and the permission to use it."""
    django_user_model.objects.create_user("camera", "camera@example.com", "camera-password")
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_CAMERA])
    try:
        context = chromium.new_context(permissions=["camera"])
        camera_page = context.new_page()
        camera_page.set_default_timeout(WAIT)
        sign_in(camera_page, checks_site, "camera", "camera-password")
        yield camera_page
        context.close()
    finally:
        chromium.close()


def test_a_selfie_from_the_camera_is_checked_for_liveness(camera_page, checks_site, simulator):
    page = camera_page
    open_checks(page, checks_site)
    page.select_option("#check", "FACE_LIVENESS_MIN_PRO")
    page.click("#camera-start")
    expect(page.locator("#camera-video")).to_be_visible(timeout=WAIT)
    page.click("#camera-capture")  # waits until the camera plays
    expect(page.locator("#camera-status")).to_contain_text("Selfie taken", timeout=WAIT)
    expect(page.locator("#selfie-preview")).to_be_visible()
    expect(page.locator("#camera-video")).to_be_hidden()  # the camera is off once the picture is taken
    page.check("#consent")
    page.click("#submit")
    settled(page, re.compile(r"^(passed|failed)$"))
    expect(page.locator("#result h3")).to_contain_text(re.compile(r"Check (passed|failed)"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checks-selfie.png"), full_page=True)
    kyc = KycTransaction.objects.get()
    assert (kyc.product_code, kyc.channel) == ("FACE_LIVENESS_MIN_PRO", "server")
    assert kyc.status in (Status.PASSED, Status.FAILED)
    sent = base64.b64decode(simulator.control.calls("FaceLivenessV2")[-1]["params"]["FacePictureBase64"])
    assert sent.startswith(b"\xff\xd8\xff")  # the canvas frame, as a JPEG


def test_a_passport_read_with_the_keyboard_only(page, checks_site):
    open_checks(page, checks_site)
    focused = page_focus(page)
    for _ in range(40):  # from the top of the page, Tab until the check's select
        if focused() == "check":
            break
        page.keyboard.press("Tab")
    assert focused() == "check"
    select_by_keyboard(page, "#check", "ID_OCR_MAX")
    page.keyboard.press("Tab")
    assert focused() == "doc_type"
    select_by_keyboard(page, "#doc_type", "GLB03002")
    page.keyboard.press("Tab")
    assert focused() == "document"  # the face and reference rows are hidden: not in the tab order
    choose(page, "#document", "passport.png", passport())
    page.keyboard.press("Tab")
    assert focused() == "consent"
    page.keyboard.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused() == "submit"
    page.keyboard.press("Enter")
    assert_passport_read(page, checks_site)


def page_focus(page) -> Callable[[], str]:
    return lambda: page.evaluate("document.activeElement && document.activeElement.id")


def select_by_keyboard(page, selector: str, value: str) -> None:
    """Arrow keys on the focused select until ``value`` is chosen (each press changes it, as in Chromium)."""
    options = page.eval_on_selector_all(f"{selector} option", "options => options.map(o => o.value)")
    page.keyboard.press("Home")
    for _ in options:
        if page.input_value(selector) == value:
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value(selector) == value


def test_a_verified_user_confirms_it_is_them_from_one_picture(page, checks_site):
    page.goto(f"{checks_site}/checks/")
    assert page.locator("#check option[value=reverify]").count() == 0  # nobody to compare with yet
    page.goto(f"{checks_site}/")  # the hosted verification first, of alice
    verify_in_browser(page, checks_site, "#outcome-pass", "01000000", "checks-reverify-first", person="alice")
    open_checks(page, checks_site)
    page.select_option("#check", "reverify")
    expect(page.locator("#reference")).to_be_hidden()
    choose(page, "#face", "alice.png", face("alice"))
    page.check("#consent")
    page.click("#submit")
    settled(page, "passed")
    step_up = KycTransaction.objects.get(purpose="reverify")
    assert (step_up.channel, step_up.status) == ("server", Status.PASSED)
    assert step_up.reverify_of == KycTransaction.objects.get(purpose="verify")


def test_development_mode_offers_sample_pictures_from_the_simulator(page, checks_site, simulator):
    page.goto(f"{checks_site}/checks/")
    links = page.locator("#samples a")
    expect(links).to_have_count(4)
    hrefs = [links.nth(index).get_attribute("href") for index in range(4)]
    assert all(href.startswith(f"{simulator.url}/_sim/sample-picture?") for href in hrefs)
    people = []
    for href in hrefs:
        answer = page.request.get(href)
        assert answer.status == 200 and answer.headers["content-type"] == "image/png"
        marks = marks_of(answer.body())
        people.append((marks.kind, marks.person, marks.document, marks.deepfake))
    assert people == [
        ("face", "alice", "", False),
        ("face", "bob", "", False),
        ("document", "alice", "GLB03002", False),
        ("face", "alice", "", True),
    ]


def test_the_checks_page_has_no_serious_accessibility_violation(page, checks_site):
    open_checks(page, checks_site)
    assert_accessible(page, "before a check")

    page.select_option("#check", "FACE_COMPARE")
    page.click("#submit")  # nothing chosen, nothing agreed: the page's own errors
    expect(page.locator("#face-error")).to_contain_text("Choose a picture", timeout=WAIT)
    expect(page.locator("#face")).to_be_focused()
    expect(page.locator("#consent-error")).to_contain_text("Tick the box")
    assert_accessible(page, "the page's field errors")

    page.select_option("#check", "FACE_LIVENESS_MIN")
    choose(page, "#face", "not-a-picture.png", b"this is not a picture")
    page.check("#consent")
    with page.expect_response("**/ekyc/api/checks/", timeout=WAIT) as refusal:
        page.click("#submit")  # the server's errors, under the field they concern
    assert refusal.value.status == 400
    assert refusal.value.json()["fields"]["face"][0]["code"] == "picture_not_an_image"
    expect(page.locator("#face-error")).not_to_be_empty(timeout=WAIT)
    expect(page.locator("#face")).to_be_focused()
    expect(page.locator("#face")).to_have_attribute("aria-invalid", "true")
    assert not KycTransaction.objects.exists()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checks-field-error.png"), full_page=True)
    assert_accessible(page, "the server's field errors")

    choose(page, "#face", "alice.png", face("alice"))
    page.click("#submit")
    settled(page, re.compile(r"^(passed|failed)$"))
    expect(page.locator("#face-error")).to_be_empty()
    assert_accessible(page, "after a result")
