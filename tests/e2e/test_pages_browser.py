"""The app's own pages in Debian's Chromium: every result state and the start button pass axe, in every language.

The waiting page asks the server again without reloading (its timers run on Playwright's clock, paused, so that
a check happens only when the test moves the clock: nothing is timed); the start button keeps the focus, says
"Starting…" and the API's own words for an error in its live region. Same fixtures as the demo's browser tests:
Chromium, the example project (plus a page with the tag's start button, ``tests/e2e/urls.py``) on the live
server, the session's simulator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from django_ekyc.models import KycTransaction

from ..helpers import initialize_params, return_path
from . import test_browser
from .axe import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)
browser, demo_site, page = test_browser.browser, test_browser.demo_site, test_browser.page

WAIT = 30_000  # milliseconds: generous, for a loaded machine; never a sleep
RECHECK = 5_000  # the page's cadence (views.RECHECK_SECONDS), in the browser's clock
LANGUAGES = {"zh-Hans": "zh-hans", "zh-Hant": "zh-hant", "id": "id", "ms": "ms", "th": "th", "vi": "vi"}
# The waiting page's heading in each language (the catalogues'), to show the page is in it.
WAITING = {
    "zh-hans": "正在等待结果",
    "zh-hant": "正在等待結果",
    "id": "Menunggu hasil",
    "ms": "Menunggu keputusan",
    "th": "กำลังรอผลการยืนยัน",
    "vi": "Đang chờ kết quả",
}


@pytest.fixture
def site(demo_site) -> Iterator[str]:
    """The demo site with the app's own result page, a start-button page, and the request's language."""
    from django.conf import settings

    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.middleware.common.CommonMiddleware"), LOCALE_MIDDLEWARE)
    ekyc = {**settings.EKYC, "RESULT_REDIRECT_URL": None, "REFRESH_MIN_INTERVAL": 0}
    with override_settings(ROOT_URLCONF="tests.e2e.urls", MIDDLEWARE=middleware, EKYC=ekyc):
        yield demo_site


LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"


@pytest.fixture
def waiting(site, start, simulator) -> str:
    """The URL of a verification's result page while its result is not in."""
    start()
    return site + return_path(initialize_params(simulator))


def paused_clock(tab) -> None:
    """The page's timers fire only when the test runs the clock."""
    now = datetime(2026, 1, 5, 9, 0)
    tab.clock.install(time=now)
    tab.clock.pause_at(now + timedelta(seconds=1))


# What the page does once a check is answered (ekyc-result.js's data-state): its next check is due, it stopped,
# or it shows the result. Never "asking": the answer is not handled yet.
SETTLED = re.compile(r"^(waiting|stopped|done)$")


def checks_made(tab) -> int:
    """The checks the page sent (its own count: it counts as it calls fetch, before any event reaches Python)."""
    return int(tab.get_attribute("#ekyc-live", "data-checks"))


def check_once(tab) -> None:
    """Move the clock to the next check, and wait until the page has handled the server's answer: its next
    timer is set (or it stopped) before the test moves the clock again."""
    live = tab.locator("#ekyc-live")
    expect(live).to_have_attribute("data-state", SETTLED)
    before = checks_made(tab)
    tab.clock.run_for(RECHECK)
    expect(live).to_have_attribute("data-checks", str(before + 1))
    expect(live).to_have_attribute("data-state", SETTLED)


def test_the_waiting_page_shows_the_result_without_reloading(page, waiting, simulator):
    paused_clock(page)
    page.goto(waiting)
    assert page.locator("meta[http-equiv]").count() == 0  # no reload, no meta refresh
    live = page.locator("#ekyc-live")
    assert live.get_attribute("role") == "status"
    expect(live).to_contain_text("Waiting for the result: this page checks again by itself every 5 seconds.")
    assert page.title().startswith("Waiting for the result – ")
    page.evaluate("window.samePage = true")  # gone if the page reloads

    check_once(page)  # still waiting: the page stays as it is
    assert page.get_attribute("#ekyc-result", "data-status") == "initialized"

    simulator.control.complete(KycTransaction.objects.get().transaction_id, "pass")
    check_once(page)
    expect(page.locator("#ekyc-result")).to_have_attribute("data-status", "passed")
    assert page.evaluate("window.samePage") is True and page.url == waiting
    assert page.title().startswith("Identity verified – ")
    assert page.evaluate("document.activeElement.id") == "ekyc-heading"  # the focus moves to the result
    expect(live).to_have_attribute("data-state", "done")
    expect(live).to_have_text("")  # the heading is said once, as the focus reaches it: not again here
    page.clock.resume()  # axe waits on timers of its own; the page has none left
    assert_accessible(page, "verified, after waiting")


def test_pausing_stops_the_checks_until_resumed(page, waiting, simulator):
    paused_clock(page)
    page.goto(waiting)
    live = page.locator("#ekyc-live")
    pause = page.locator("#ekyc-pause")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(live).to_contain_text("Automatic checks paused.")
    expect(live).to_have_attribute("data-state", "paused")
    simulator.control.complete(KycTransaction.objects.get().transaction_id, "pass")
    page.clock.run_for(12 * RECHECK)  # every check the page would make, had it not been paused
    # A timer left running would have sent its fetch inside run_for: the page's count says it at once.
    assert checks_made(page) == 0 and page.get_attribute("#ekyc-result", "data-status") == "initialized"
    assert page.evaluate("document.activeElement.id") == "ekyc-pause"
    pause.click()  # resumed: asks at once
    assert checks_made(page) == 1
    expect(page.locator("#ekyc-result")).to_have_attribute("data-status", "passed")
    expect(live).to_have_attribute("data-state", "done")


def test_after_the_last_check_the_person_decides(page, waiting):
    paused_clock(page)
    page.goto(waiting)
    live = page.locator("#ekyc-live")
    for _ in range(5):
        check_once(page)
    page.focus("#ekyc-pause")  # where a keyboard user may be when the checks stop
    check_once(page)  # the sixth and last (views.RECHECKS)
    expect(live).to_have_text("No result yet. Check again in a moment, or start again.")
    expect(live).to_have_attribute("data-state", "stopped")
    expect(page.locator("#ekyc-pause")).to_be_hidden()
    # The hidden button gave the focus to the way on; it did not fall to the page's body.
    assert page.evaluate("document.activeElement.id") == "ekyc-check-again"
    page.clock.run_for(12 * RECHECK)
    assert checks_made(page) == 6  # no timer left: a seventh would have been counted inside run_for
    page.click("#ekyc-check-again")  # the link a page without scripts has too: a reload
    expect(page.locator("#ekyc-live")).to_contain_text("Waiting for the result")


def result_page(site: str, simulator, start, outcome: str | None) -> str:
    kyc = start().transaction
    if outcome:
        simulator.control.complete(kyc.transaction_id, outcome)
    return site + return_path(initialize_params(simulator))


@pytest.mark.parametrize(
    ("outcome", "status", "title"),
    [
        ("pass", "passed", "Identity verified"),
        ("face_mismatch", "failed", "Verification failed"),
        ("document_spoof", "failed", "Verification failed"),
        ("quit", "initialized", "Waiting for the result"),
        (None, "initialized", "Waiting for the result"),
    ],
)
def test_each_result_page_passes_axe(page, site, simulator, start, outcome, status, title):
    page.goto(result_page(site, simulator, start, outcome))
    assert page.get_attribute("#ekyc-result", "data-status") == status
    assert page.title().startswith(f"{title} – ") and page.locator("main").count() == 1
    assert page.get_attribute("#ekyc-back", "href") == "/"
    if status == "initialized":
        assert page.locator("meta[http-equiv]").count() == 0
        expect(page.locator("#ekyc-live")).to_contain_text("Waiting for the result")  # announced
    assert_accessible(page, outcome or "waiting")


def test_the_unknown_link_page_passes_axe_and_leads_back(page, site):
    page.goto(f"{site}/ekyc/return/forged-token-0000000/")
    assert page.title().startswith("Unknown verification – ")
    assert page.get_attribute("#ekyc-back", "href") == "/"
    assert_accessible(page, "unknown link")
    page.click("#ekyc-back")
    page.wait_for_url(f"{site}/")


def test_the_unavailable_page_passes_axe_and_leads_back(page, site, simulator, start, monkeypatch):
    from django.db import OperationalError

    from django_ekyc.client import EkycClient

    def database_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection")

    url = result_page(site, simulator, start, "pass")
    monkeypatch.setattr(EkycClient, "check_result", database_down)
    response = page.goto(url)
    assert response is not None and response.status == 503
    assert page.title().startswith("Temporarily unavailable – ")
    assert page.get_attribute("#ekyc-back", "href") == "/"
    assert_accessible(page, "unavailable")


def said_by(tab, selector: str) -> None:
    """Record every text the element is given, and the button's aria-busy, as they change."""
    tab.evaluate(
        """selector => {
          window.said = []; window.busy = [];
          const status = document.querySelector(selector), button = document.getElementById("verify");
          new MutationObserver(() => window.said.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
          new MutationObserver(() => window.busy.push(button.getAttribute("aria-busy")))
            .observe(button, {attributes: true, attributeFilter: ["aria-busy"]});
        }""",
        selector,
    )


def test_the_start_button_keeps_the_focus_and_says_the_apis_words(browser, site, django_user_model):
    django_user_model.objects.create_user("thai", "thai@example.com", "thai-password")
    context = browser.new_context(extra_http_headers={"Accept-Language": "th"})
    try:
        tab = context.new_page()
        tab.set_default_timeout(WAIT)
        test_browser.sign_in(tab, site, "thai", "thai-password")
        tab.goto(f"{site}/start-button/?doc_type=99999999")  # not a document the product reads
        assert tab.get_attribute("html", "lang") == "th"
        assert_accessible(tab, "start button")
        button = tab.locator("#verify")
        status = tab.locator("#verify-status")
        assert status.get_attribute("role") == "status" and button.get_attribute("aria-describedby") == "verify-status"
        said_by(tab, "#verify-status")
        button.focus()
        tab.keyboard.press("Enter")
        # The refused field's own message, in the page's language: not the generic "could not start".
        expect(status).to_contain_text("ไม่รู้จักประเภทเอกสารนี้")
        assert tab.evaluate("document.activeElement.id") == "verify"  # the focus never left the button
        starting = tab.evaluate("JSON.parse(document.getElementById('ekyc-messages').textContent).starting")
        assert tab.evaluate("window.said")[0] == starting  # "Starting…" was said in the live region
        assert tab.evaluate("window.busy") == ["true", None]  # busy while starting, then not
        assert button.get_attribute("aria-disabled") is None and button.is_enabled()
        assert status.get_attribute("data-state") == "error"
        assert_accessible(tab, "start button, after an error")
    finally:
        context.close()


def test_the_start_pages_pass_axe(page, site, start, finish, django_user_model):
    page.goto(f"{site}/start-button/")
    assert_accessible(page, "start button")
    page.goto(f"{site}/")
    assert_accessible(page, "the demo's start page")
    finish(start(owner=django_user_model.objects.get(username="demo")).transaction, "pass")
    page.goto(f"{site}/confirm-it-is-you/")
    assert page.locator("[data-ekyc-start]").count() == 1  # the tag's button, for a re-verification
    assert_accessible(page, "the demo's re-verification page")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_pages_in_each_language(browser, site, simulator, start, language):
    context = browser.new_context(extra_http_headers={"Accept-Language": language})
    try:
        tab = context.new_page()
        tab.set_default_timeout(WAIT)
        code = LANGUAGES[language]
        tab.goto(result_page(site, simulator, start, "quit"))
        assert tab.get_attribute("html", "lang") == code
        assert tab.inner_text("#ekyc-heading") == WAITING[code]
        assert tab.title().startswith(WAITING[code])
        assert_accessible(tab, f"waiting, {language}")
        tab.goto(result_page(site, simulator, start, "face_mismatch"))
        assert tab.get_attribute("html", "lang") == code
        assert_accessible(tab, f"failed, {language}")
        tab.goto(f"{site}/ekyc/return/forged-token-0000000/")
        assert tab.get_attribute("html", "lang") == code
        assert_accessible(tab, f"unknown link, {language}")
        tab.goto(f"{site}/start-button/")
        assert tab.get_attribute("html", "lang") == code
        assert_accessible(tab, f"start button, {language}")
    finally:
        context.close()
