"""Signed webhooks from the outbox: signatures a receiver can check, every event delivered at least once and in
order per verification to a real receiving server, retried until acknowledged, a killed worker's delivery tried
again after its lease; the admin, resending and pruning."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from django_ekyc import services, webhooks
from django_ekyc.models import KycTransaction, OutboxEvent, WebhookDelivery
from django_ekyc.services.webhook_delivery import backoff, deliver_due, prune_delivered, resend, run

from .webhook_support import SECRET, Receiver, endpoint, receiving, webhooks_config, webhooks_on

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"id": "7d3f0c1e-0000-4000-8000-000000000001", "type": "verification.passed", "data": {}}).encode()
EVENT_ID = "7d3f0c1e-0000-4000-8000-000000000001"
NOW = 1_800_000_000


# -- signing and verifying ------------------------------------------------------------------------------------


def test_a_signed_body_verifies_and_gives_its_event_id():
    headers = webhooks.signed_headers(SECRET, EVENT_ID, BODY, now=NOW)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers == {"Ekyc-Event-Id": EVENT_ID, "Ekyc-Timestamp": str(NOW), "Ekyc-Signature": f"v1={expected}"}
    assert webhooks.verify(SECRET, BODY, headers, now=NOW + 299) == EVENT_ID
    lowered = {key.lower(): value for key, value in headers.items()}  # header names are case-insensitive
    assert webhooks.verify(SECRET, BODY, lowered, now=NOW) == EVENT_ID


def _tampered(headers: dict[str, str]) -> dict[str, Any]:
    return {"body": BODY.replace(b"passed", b"failed"), "headers": headers}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_tampered, id="tampered body"),
        pytest.param(lambda headers: {"secret": "another-secret-0123456789"}, id="wrong secret"),
        pytest.param(lambda headers: {"now": NOW + 301}, id="replayed later"),
        pytest.param(lambda headers: {"now": NOW - 301}, id="from the future"),
        pytest.param(lambda headers: {"headers": {**headers, "Ekyc-Signature": "v0=abc"}}, id="unknown scheme"),
        pytest.param(lambda headers: {"headers": {**headers, "Ekyc-Timestamp": "soon"}}, id="bad timestamp"),
        pytest.param(lambda headers: {"headers": {**headers, "Ekyc-Event-Id": "other"}}, id="id not the body's"),
        *(
            pytest.param(
                lambda headers, name=name: {"headers": {k: v for k, v in headers.items() if k != name}}, id=name
            )
            for name in ("Ekyc-Signature", "Ekyc-Timestamp", "Ekyc-Event-Id")
        ),
    ],
)
def test_what_is_not_ours_as_sent_then_is_refused(change: Callable[[dict[str, str]], dict[str, Any]]):
    headers = webhooks.signed_headers(SECRET, EVENT_ID, BODY, now=NOW)
    given: dict[str, Any] = {"secret": SECRET, "body": BODY, "headers": headers, "now": NOW, **change(headers)}
    with pytest.raises(webhooks.WebhookSignatureError):
        webhooks.verify(given["secret"], given["body"], given["headers"], now=given["now"])
    assert issubclass(webhooks.WebhookSignatureError, ValueError)


def test_signatures_are_compared_in_constant_time(monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # what django_ekyc.webhooks calls
    headers = webhooks.signed_headers(SECRET, EVENT_ID, BODY, now=NOW)
    webhooks.verify(SECRET, BODY, headers, now=NOW)
    assert len(compared) == 1 and compared[0][0] == compared[0][1]


def test_backoff_doubles_with_jitter_up_to_the_cap():
    for attempts in range(1, 30):
        ceiling = min(300.0, 10.0 * 2 ** (attempts - 1))
        assert ceiling / 2 <= backoff(attempts, 300.0) <= ceiling


# -- delivering to a real receiver ------------------------------------------------------------------------


def completed(start: Callable[..., Any], simulator: Any, count: int = 1, outcome: str = "pass") -> list[KycTransaction]:
    """``count`` verifications started, then finished with ``outcome``: two events each."""
    started = [start().transaction for _ in range(count)]
    for kyc in started:
        simulator.control.complete(kyc.transaction_id, outcome)
        services.refresh(kyc)
    return started


def key(kyc: KycTransaction) -> str:
    return str(kyc.public_id)


def test_a_verifications_events_arrive_signed_in_order_with_identity_only_where_allowed(start, simulator):
    with receiving() as plain, receiving() as crm:
        endpoints = {"plain": endpoint(plain), "crm": endpoint(crm, INCLUDE_IDENTITY=True)}
        with webhooks_on(endpoints):
            (kyc,) = completed(start, simulator)
            total = run(interval=None, until_idle=True)
    assert total.delivered == 4 and total.failed == 0
    for receiver in (plain, crm):
        assert receiver.rejected == []  # every request's signature verified in the receiver
        assert receiver.order_of(key(kyc)) == ["verification.initialized", "verification.passed"]
        assert receiver.ids() == [str(event.event_id) for event in OutboxEvent.objects.order_by("id")]
    assert all("identity" not in arrival.data for arrival in plain.arrivals)
    identity = crm.processed[-1].data["identity"]
    assert identity["document"]["number"] == kyc.document.number and identity["face_checks"]
    assert all("identity" not in event.payload["data"] for event in OutboxEvent.objects.all())  # never stored
    passed = crm.processed[-1].data
    assert (passed["status"], passed["passed"], passed["change"]["from"]) == ("passed", True, "initialized")
    assert set(WebhookDelivery.objects.values_list("attempts", "last_status")) == {(1, 200)}
    assert not WebhookDelivery.objects.filter(delivered_at=None).exists()


def test_identity_data_is_read_at_delivery_and_not_sent_once_purged(start, simulator):
    with receiving() as crm, webhooks_on({"crm": endpoint(crm, INCLUDE_IDENTITY=True)}):
        (kyc,) = completed(start, simulator)
        KycTransaction.objects.filter(pk=kyc.pk).update(identity_purged_at=timezone.now())
        run(interval=None, until_idle=True)
    assert len(crm.processed) == 2 and all("identity" not in arrival.data for arrival in crm.processed)


def deliver_as_time_goes_on(passes: int = 60) -> int:
    """Passes at the moments deliveries come due (the clock jumps to the next one: no sleeping); how many."""
    clock = timezone.now()
    for done in range(1, passes + 1):
        deliver_due(now=clock)
        pending = WebhookDelivery.objects.filter(delivered_at=None)
        if not pending.exists():
            return done
        later = pending.filter(next_attempt_at__gt=clock).order_by("next_attempt_at").first()
        clock = later.next_attempt_at + timedelta(milliseconds=1) if later else clock + timedelta(seconds=1)
    raise AssertionError("still undelivered after every pass")


def assert_head_of_line(receiver: Receiver) -> None:
    """No event reached the receiver while an earlier one of its verification was not yet acknowledged."""
    acknowledged: dict[str, list[str]] = {}
    for arrival in receiver.arrivals:
        if arrival.type == "verification.passed":
            assert "verification.initialized" in acknowledged.get(arrival.key, []), arrival
        if arrival.answered == 200:
            acknowledged.setdefault(arrival.key, []).append(arrival.type)


def test_a_failing_receiver_gets_every_event_in_order_once_it_recovers(start, simulator, caplog):
    with receiving(fail_first=3) as receiver, webhooks_on({"main": endpoint(receiver)}, MAX_BACKOFF=30):
        first, second = completed(start, simulator, 2)
        report = deliver_due()
        assert (report.claimed, report.failed) == (2, 2)  # the two heads; the passed events wait behind them
        assert set(WebhookDelivery.objects.filter(event__type="verification.passed").values_list("attempts")) == {(0,)}
        failed = WebhookDelivery.objects.filter(attempts=1).first()
        assert failed and failed.last_status == 500 and failed.last_error == "HTTP 500" and failed.delivered_at is None
        assert timedelta(seconds=5) <= failed.next_attempt_at - timezone.now() <= timedelta(seconds=10)
        deliver_as_time_goes_on()
    assert receiver.rejected == []
    for kyc in (first, second):
        assert receiver.order_of(key(kyc)) == ["verification.initialized", "verification.passed"]
    assert_head_of_line(receiver)
    tries = {str(row.event.event_id): row.attempts for row in WebhookDelivery.objects.select_related("event")}
    assert sum(tries.values()) == len(receiver.arrivals) == 4 + 3  # every try counted, every failure retried
    assert all(row.last_status == 200 for row in WebhookDelivery.objects.all())
    logged = caplog.text
    assert "HTTP 500" in logged and SECRET not in logged and receiver.url not in logged and key(first) not in logged


def test_a_receiver_that_does_not_verify_the_signature_is_not_acknowledged(start, simulator):
    with (
        receiving(secret="a-secret-from-another-site") as receiver,
        webhooks_on({"main": endpoint(receiver, SECRET=SECRET)}),
    ):
        completed(start, simulator)
        assert deliver_due().failed == 1
    assert receiver.rejected == ["signature does not match"] and receiver.processed == []
    row = WebhookDelivery.objects.get(event__type="verification.initialized")
    assert (row.last_status, row.last_error, row.delivered_at) == (400, "HTTP 400", None)


def test_an_unreachable_endpoint_is_retried_and_its_error_says_nothing_secret(start, simulator, caplog):
    closed = {"URL": "http://127.0.0.1:9/hooks/?token=abc", "SECRET": SECRET}
    with webhooks_on({"main": closed}, MAX_BACKOFF=30):
        completed(start, simulator)
        assert deliver_due().failed == 1
        assert deliver_due(now=timezone.now() + timedelta(seconds=60)).failed == 1  # never gives up
    row = WebhookDelivery.objects.get(attempts=2)
    assert (row.last_status, row.last_error, row.delivered_at) == (None, "ConnectionError", None)
    assert "token=abc" not in caplog.text and SECRET not in caplog.text


def test_deliveries_to_an_endpoint_no_longer_configured_are_left_alone(start, simulator, caplog):
    with receiving() as receiver:
        with webhooks_on({"gone": endpoint(receiver)}):
            completed(start, simulator)
        with webhooks_on({"other": endpoint(receiver)}), caplog.at_level(logging.WARNING, "django_ekyc.webhooks"):
            assert deliver_due().claimed == 0
    assert receiver.arrivals == []
    assert set(WebhookDelivery.objects.values_list("endpoint", "attempts", "delivered_at")) == {("gone", 0, None)}
    assert [record.getMessage() for record in caplog.records].count(
        "eKYC webhooks left for endpoint(s) no longer configured: gone"
    ) == 1  # once per pass, not once per delivery


class Killed(BaseException):
    """A worker dying in the middle of a POST: nothing after it runs."""


def test_a_claimed_delivery_is_leased_and_tried_again_only_after_the_lease(start, simulator):
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}, LEASE=60):
        completed(start, simulator)
        claimed_at = timezone.now()
        second_worker: list[int] = []

        class Dying(requests.Session):
            def post(self, *args: Any, **kwargs: Any) -> Any:
                second_worker.append(deliver_due(now=claimed_at).claimed)  # another worker's pass, meanwhile
                raise Killed

        with pytest.raises(Killed), Dying() as dying:
            deliver_due(now=claimed_at, session=dying)
        assert second_worker == [0]  # the delivery under way is not sent twice at once
        assert deliver_due(now=claimed_at + timedelta(seconds=59)).claimed == 0
        assert receiver.arrivals == []
        assert deliver_due(now=claimed_at + timedelta(seconds=61)).delivered == 1  # the lease ended: at least once
    row = WebhookDelivery.objects.get(event__type="verification.initialized")
    assert row.attempts == 2 and row.delivered_at is not None


def test_a_worker_whose_lease_ran_out_mid_batch_does_not_send_what_another_took(start, simulator):
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}, LEASE=60):
        completed(start, simulator, 2)  # two verifications: two heads of line, one batch
        claimed_at = timezone.now()
        others: list[int] = []

        class Slow(requests.Session):
            def post(self, *args: Any, **kwargs: Any) -> Any:
                if not others:  # the first send takes longer than the lease: another worker claims the rest
                    others.append(deliver_due(now=claimed_at + timedelta(seconds=61)).delivered)
                return super().post(*args, **kwargs)

        with Slow() as slow:
            report = deliver_due(now=claimed_at, session=slow)
    assert report.claimed == 2 and others == [2]
    # each event went once: the slow worker sent its first, found the second taken, and left it
    assert [arrival.duplicate for arrival in receiver.arrivals].count(True) == 1  # only the first, sent by both
    assert len(receiver.processed) == 2


def test_resend_sends_delivered_events_again_and_the_receiver_drops_the_duplicates(start, simulator):
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}):
        completed(start, simulator)
        run(interval=None, until_idle=True)
        assert resend(WebhookDelivery.objects.filter(event__type="verification.initialized")) == 1
        assert WebhookDelivery.objects.filter(delivered_at=None).count() == 1
        assert run(interval=None, until_idle=True).delivered == 1
    assert [arrival.duplicate for arrival in receiver.arrivals] == [False, False, True]
    assert receiver.arrivals[-1].event_id == receiver.processed[0].event_id and len(receiver.processed) == 2


def test_prune_deletes_old_events_every_endpoint_acknowledged(start, simulator):
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}, KEEP_DAYS=7):
        completed(start, simulator, 2)
        deliver_due()  # the two initialized events are delivered; the passed ones are not yet
        old = timezone.now() - timedelta(days=8)
        OutboxEvent.objects.update(created_at=old)
        kept = OutboxEvent.objects.filter(type="verification.initialized").order_by("id").last()
        OutboxEvent.objects.filter(pk=kept.pk).update(created_at=timezone.now())  # recent, delivered
        bare = OutboxEvent.objects.create(type="person.erased", ordering_key="person:x", created_at=old)
        assert prune_delivered() == 2  # the old delivered one, and the one with no delivery
    assert not OutboxEvent.objects.filter(pk=bare.pk).exists()
    assert set(OutboxEvent.objects.values_list("type", flat=True)) == {
        "verification.initialized",
        "verification.passed",
    }
    assert OutboxEvent.objects.filter(type="verification.passed").count() == 2  # still owed: kept, however old


def test_the_command_and_the_task_deliver_and_report_their_counts(start, simulator):
    from django_ekyc.tasks import deliver_webhooks

    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}):
        completed(start, simulator)
        assert deliver_webhooks.enqueue(batch_size=10).return_value == {"delivered": 1, "failed": 0, "claimed": 1}
        out = io.StringIO()
        call_command("ekyc_deliver_webhooks", "--until-idle", stdout=out)
        call_command("ekyc_deliver_webhooks", stdout=out)
    assert out.getvalue().splitlines() == [
        "Claimed 1: 1 delivered, 0 failed (to be retried).",
        "Claimed 0: 0 delivered, 0 failed (to be retried).",
    ]
    assert len(receiver.processed) == 2


def test_the_loop_stops_between_passes(start, simulator):
    stop = threading.Event()
    seen: list[int] = []
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}):
        completed(start, simulator)

        def each(report: Any) -> None:
            seen.append(report.delivered)
            if len(seen) == 2:
                stop.set()

        total = run(interval=0.01, until_idle=False, stop=stop, on_pass=each)
    assert seen == [1, 1] and total.delivered == 2 and len(receiver.processed) == 2


# -- a worker killed mid-delivery (PostgreSQL: workers in other processes) --------------------------------


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    until = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < until, f"timed out waiting for {what}"
        time.sleep(0.05)


def worker(config: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    from .test_task_worker import database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.webhook_worker_settings",
        DATABASE_URL=database_url(),
        EKYC_TEST_WEBHOOKS=json.dumps(config),
    )
    command = [sys.executable, "manage.py", "ekyc_deliver_webhooks", "--loop", "--interval", "0.1"]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="workers in other processes need PostgreSQL")
def test_a_worker_killed_mid_delivery_leaves_it_to_another_after_the_lease(start, simulator, tmp_path):
    log = tmp_path / "workers.log"
    workers: list[subprocess.Popen[bytes]] = []
    with receiving(stall_first=True) as receiver:
        config = webhooks_config({"main": endpoint(receiver)}, LEASE=1, TIMEOUT=120)
        with override_settings(EKYC={**settings.EKYC, "WEBHOOKS": config}):
            started = completed(start, simulator, 2)
        try:
            workers.append(worker(config, log))
            wait_for(receiver.stalled.is_set, "the first delivery to reach the receiver")
            workers[0].kill()  # SIGKILL while it waits for the answer: it records nothing
            workers[0].wait(timeout=60)
            stalled = receiver.processed[0].event_id
            assert WebhookDelivery.objects.get(event__event_id=stalled).delivered_at is None
            workers.append(worker(config, log))
            pending = WebhookDelivery.objects.filter(delivered_at=None)
            wait_for(lambda: not pending.exists(), "every delivery to be acknowledged")
            workers[1].send_signal(signal.SIGTERM)  # the supervisor's stop: between passes, cleanly
            assert workers[1].wait(timeout=60) == 0, log.read_text()
        finally:
            for process in workers:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=60)
    assert receiver.rejected == [], log.read_text()
    for kyc in started:  # every event at least once, in order per verification
        assert receiver.order_of(key(kyc)) == ["verification.initialized", "verification.passed"]
    assert_head_of_line(receiver)
    again = [arrival for arrival in receiver.arrivals if arrival.duplicate]
    assert [arrival.event_id for arrival in again] == [stalled]  # sent again after the lease; dropped by its id
    assert WebhookDelivery.objects.get(event__event_id=stalled).attempts == 2
    assert "Stopped. Claimed " in log.read_text()


# -- the admin --------------------------------------------------------------------------------------------

DELIVERIES = "/admin/django_ekyc/webhookdelivery/"
EVENTS = "/admin/django_ekyc/outboxevent/"


@pytest.fixture
def delivered(start, simulator):
    """Two delivered events and their deliveries (one endpoint)."""
    with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}):
        completed(start, simulator)
        run(interval=None, until_idle=True)
        yield receiver


def test_the_admin_shows_events_and_deliveries_and_never_the_secret(client, django_user_model, delivered):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    event = OutboxEvent.objects.order_by("id").first()
    row = WebhookDelivery.objects.get(event=event)
    pages = {
        url: client.get(url)
        for url in (DELIVERIES, EVENTS, f"{EVENTS}{event.pk}/change/", f"{DELIVERIES}{row.pk}/change/")
    }
    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(pages, 200)
    html = {url: page.content.decode() for url, page in pages.items()}
    assert "delivered 1/1" in html[EVENTS] and "verification.initialized" in html[EVENTS]
    assert str(event.event_id) in html[DELIVERIES] and "main" in html[DELIVERIES]
    assert "&quot;type&quot;: &quot;verification.initialized&quot;" in html[f"{EVENTS}{event.pk}/change/"]
    assert all(SECRET not in text and delivered.url not in text for text in html.values())
    assert str(event.event_id) not in client.get(f"{DELIVERIES}?delivered=no").content.decode()
    assert "Send again" in html[DELIVERIES]


def test_the_pending_summary_says_how_far_a_delivery_got(start, simulator, client, django_user_model):
    with receiving(fail_first=3) as receiver, webhooks_on({"main": endpoint(receiver)}):
        completed(start, simulator)
        deliver_due()
        deliver_due(now=timezone.now() + timedelta(seconds=60))
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    html = client.get(EVENTS).content.decode()
    assert "pending (2 attempts, next " in html and "last HTTP 500)" in html and "not tried yet" in html


def test_send_again_requeues_for_those_who_may_change_deliveries(client, django_user_model, delivered):
    staff = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(staff)
    row = WebhookDelivery.objects.order_by("id").first()
    assert "send_again" not in client.get(DELIVERIES).content.decode()
    client.post(DELIVERIES, {"action": "send_again", "_selected_action": [row.pk]})
    assert WebhookDelivery.objects.get(pk=row.pk).delivered_at is not None  # not allowed: nothing changed

    staff.user_permissions.add(Permission.objects.get(codename="change_webhookdelivery"))
    answer = client.post(DELIVERIES, {"action": "send_again", "_selected_action": [row.pk]}, follow=True)
    assert "1 delivery will be sent again on the worker" in answer.content.decode()
    assert WebhookDelivery.objects.get(pk=row.pk).delivered_at is None


def test_the_loop_stops_on_sigterm_between_passes_and_refuses_bad_options(start, simulator):
    class StopAfterFirstPass(io.StringIO):
        """The command's output: the first pass's line is written, then the service manager stops it."""

        def write(self, text: str) -> int:
            if "Claimed" in text and "Stopped" not in text:
                os.kill(os.getpid(), signal.SIGTERM)  # handled in this (the main) thread, before the next pass
            return super().write(text)

    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        with receiving() as receiver, webhooks_on({"main": endpoint(receiver)}):
            completed(start, simulator)
            out = StopAfterFirstPass()
            call_command("ekyc_deliver_webhooks", "--loop", "--interval", "0.01", stdout=out)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    assert "Stopped." in out.getvalue() and len(receiver.processed) == 1  # one pass: the next event waits
    with pytest.raises(CommandError, match="must be positive"):
        call_command("ekyc_deliver_webhooks", "--batch", "0")
