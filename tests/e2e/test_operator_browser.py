"""The operator's view in Debian's Chromium: the charts render, read at a glance, and pass axe's checks.

Same fixtures as the demo's browser tests (Chromium through Playwright, the example project on pytest-django's
live server with the session's simulator, a signed-in superuser); the rows are written in bulk, not through the
flow, since the page only reads them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from django_ekyc.models import EventKind, KycTransaction, KycTransactionEvent, Status

from . import test_browser
from .axe import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)
browser, demo_site, page = test_browser.browser, test_browser.demo_site, test_browser.page

SCREENSHOT = Path("/tmp/ekyc-operator.png")  # noqa: S108 - where the brief asks for it
OPERATIONS = "/admin/django_ekyc/kyctransaction/operations/"


def fill(django_user_model) -> None:
    owner = django_user_model.objects.get(username="demo")
    mix = [
        (Status.PASSED, "200", "eKYC", "00000008", 14),
        (Status.FAILED, "204", "eKYC", "00000008", 4),
        (Status.FAILED, "212", "eKYC_PRO", "GLB03002", 2),
        (Status.EXPIRED, "", "eKYC", "01000000", 5),
        (Status.INITIALIZED, "", "FACE_LIVENESS_PRO", "", 2),
    ]
    rows = [
        KycTransaction(
            user=owner,
            status=status,
            sub_code=sub_code,
            product_code=product,
            doc_type=doc_type,
            stopped_at="DocumentCapture" if status == Status.EXPIRED and n % 2 else "",
            merchant_biz_id=uuid.uuid4().hex,
            merchant_user_id="0" * 64,
            return_token_hash=uuid.uuid4().hex * 2,
            callback_token_hash="c" * 64,
        )
        for status, sub_code, product, doc_type, count in mix
        for n in range(count)
    ]
    created = KycTransaction.objects.bulk_create(rows)
    KycTransaction.objects.filter(pk=created[0].pk).update(
        review="waiting", review_rule="sub_code", review_since=timezone.now() - timedelta(hours=5)
    )
    calls = [
        KycTransactionEvent(
            transaction=created[n % len(created)],
            kind=EventKind.PROVIDER_CALL,
            source="api",
            action="Initialize" if n % 3 else "CheckResult",
            code="Throttling.Api" if n % 17 == 0 else "Success",
            duration_ms=40 + (n * 37) % 900,
        )
        for n in range(120)
    ]
    KycTransactionEvent.objects.bulk_create(calls)


def test_the_operator_reads_the_page_at_a_glance(page, demo_site, django_user_model):
    fill(django_user_model)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo_site}{OPERATIONS}")
    assert page.locator("#chart-funnel title").first.text_content() == "The verification funnel"
    assert page.locator("#table-funnel").inner_text().count("27") >= 1  # started
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    box = page.locator("#chart-funnel").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150  # drawn, not collapsed
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert_accessible(page, "operator view")


def test_a_bad_period_is_explained_in_the_browser(page, demo_site):
    page.goto(f"{demo_site}{OPERATIONS}?period=forever")
    assert "Showing the default period instead" in page.inner_text("#period-errors")
    page.select_option("#id_period", "24h")
    page.click("#period-form input[type=submit]")
    page.wait_for_url("**?period=24h**")
    assert "Last 24 hours" in page.inner_text("#period")
