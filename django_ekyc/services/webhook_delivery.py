"""The outbox's delivering side: POST each due event to its endpoint, signed, until the endpoint acknowledges it.

At least once, in order per verification: a pass claims only the deliveries at the head of their line (no earlier
event of the same ordering key is still undelivered to that endpoint) and leases them (``next_attempt_at`` moves
``LEASE`` seconds on, in the claiming transaction), so that several workers never send one delivery at once and a
worker killed mid-delivery leaves it to be tried again once the lease ends. A 2xx answer acknowledges; anything else
is tried again after an exponential backoff with jitter, capped at ``MAX_BACKOFF``, for as long as it takes.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from django_ekyc import __version__, webhooks
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import KycTransaction, OutboxEvent, WebhookDelivery
from django_ekyc.webhook_policy import Endpoint

__all__ = ["DeliveryReport", "backoff", "deliver_due", "prune_delivered", "resend", "run"]

logger = logging.getLogger("django_ekyc.webhooks")

USER_AGENT = f"django-ekyc-webhooks/{__version__}"
FIRST_BACKOFF = 10.0  # seconds after the first failure; doubled after each further one
PRUNE_EVERY = 60.0  # seconds between two prunes in a loop
_jitter = random.SystemRandom()


@dataclass
class DeliveryReport:
    """What one pass (or a run of passes) did."""

    delivered: int = 0
    failed: int = 0
    claimed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.claimed += other.claimed


def backoff(attempts: int, max_backoff: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: doubling from :data:`FIRST_BACKOFF`, between half and
    all of it (jitter: endpoints that fail together are not all tried again at the same instant), at most
    ``max_backoff``."""
    ceiling = min(max_backoff, FIRST_BACKOFF * float(2 ** min(max(attempts - 1, 0), 32)))
    return float(ceiling * _jitter.uniform(0.5, 1.0))


def _due(now: datetime) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(delivered_at=None, next_attempt_at__lte=now)


def _claim(policy_lease: float, endpoints: list[str], batch_size: int, now: datetime) -> list[WebhookDelivery]:
    """Lease the due deliveries at the head of their line, in one transaction (rows another worker holds locked
    are skipped, not waited for)."""
    earlier = WebhookDelivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        ordering_key=OuterRef("ordering_key"),
        delivered_at=None,
        event_id__lt=OuterRef("event_id"),
    )
    with transaction.atomic():
        claimed = list(
            _due(now)
            .filter(endpoint__in=endpoints)
            .filter(~Exists(earlier))
            .select_for_update(skip_locked=True)
            .order_by("event_id")[:batch_size]
        )
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in claimed]).update(
                next_attempt_at=now + timedelta(seconds=policy_lease), attempts=F("attempts") + 1
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def _renew(row: WebhookDelivery, until: datetime) -> bool:
    """Extend this worker's lease just before it sends (a batch takes up to ``TIMEOUT`` a delivery): only while no
    other worker claimed the row since (a claim counts an attempt), so that one delivery is never sent twice at
    once, nor an older one after a newer."""
    return bool(
        WebhookDelivery.objects.filter(pk=row.pk, delivered_at=None, attempts=row.attempts).update(
            next_attempt_at=until
        )
    )


def _identity(kyc: KycTransaction | None) -> dict[str, Any] | None:
    """The identity data an endpoint allowed to have it gets, read now: none once purged, or without a result."""
    if kyc is None or kyc.identity_purged_at is not None or not kyc.result or kyc.result_unreadable:
        return None
    document: Any = kyc.document
    if is_dataclass(document) and not isinstance(document, type):
        document = asdict(document)
    return {"document": dict(document), "face_checks": kyc.face_checks}


def _body(event: OutboxEvent, endpoint: Endpoint, transactions: dict[int, KycTransaction]) -> bytes:
    payload = dict(event.payload)
    if endpoint.include_identity:
        identity = _identity(transactions.get(event.transaction_id)) if event.transaction_id else None
        if identity is not None:
            payload["data"] = {**payload.get("data", {}), "identity": identity}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _post(
    session: requests.Session, endpoint: Endpoint, event: OutboxEvent, body: bytes, timeout: float
) -> tuple[int | None, str]:
    """One try: (the HTTP status or None, a short error; empty when acknowledged). Never the secret, the URL (it
    may hold a token) or the body."""
    headers = {
        **webhooks.signed_headers(endpoint.secret, str(event.event_id), body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        answer = session.post(endpoint.url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as err:
        return None, type(err).__name__
    answer.close()
    return answer.status_code, "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


def deliver_due(
    *, batch_size: int = 50, now: datetime | None = None, session: requests.Session | None = None
) -> DeliveryReport:
    """One pass: claim up to ``batch_size`` due deliveries at the head of their line and POST each once.

    ``now`` stands for the clock (tests move it past a backoff); ``session`` is the HTTP session to send with (by
    default, one for the pass). Deliveries to an endpoint no longer configured are left as they are.
    """
    policy = ekyc_settings.WEBHOOKS
    clock = now or timezone.now()
    report = DeliveryReport()
    gone = _due(clock).exclude(endpoint__in=list(policy.endpoints)).order_by("endpoint")
    unknown = list(gone.values_list("endpoint", flat=True).distinct())
    if unknown:
        logger.warning("eKYC webhooks left for endpoint(s) no longer configured: %s", ", ".join(unknown))
    claimed = _claim(policy.lease, list(policy.endpoints), batch_size, clock)
    if not claimed:
        return report
    events = OutboxEvent.objects.in_bulk({row.event_id for row in claimed})
    wanted = {events[row.event_id].transaction_id for row in claimed if policy.endpoints[row.endpoint].include_identity}
    transactions = KycTransaction.objects.in_bulk([pk for pk in wanted if pk is not None])
    own_session = session is None
    http = session or requests.Session()
    lines: set[tuple[str, str]] = set()
    try:
        for row in claimed:
            report.claimed += 1
            if (row.endpoint, row.ordering_key) in lines:  # one per line and pass: the next waits for this one
                WebhookDelivery.objects.filter(pk=row.pk, delivered_at=None).update(
                    next_attempt_at=clock, attempts=F("attempts") - 1
                )
                continue
            lines.add((row.endpoint, row.ordering_key))
            if not _renew(row, (now or timezone.now()) + timedelta(seconds=policy.lease)):
                continue  # the lease ran out while earlier ones were sent, and another worker has it now
            endpoint, event = policy.endpoints[row.endpoint], events[row.event_id]
            status, error = _post(http, endpoint, event, _body(event, endpoint, transactions), policy.timeout)
            after = now or timezone.now()
            if not error:
                WebhookDelivery.objects.filter(pk=row.pk).update(delivered_at=after, last_status=status, last_error="")
                report.delivered += 1
                continue
            wait = backoff(row.attempts, policy.max_backoff)
            WebhookDelivery.objects.filter(pk=row.pk, delivered_at=None).update(
                last_status=status, last_error=error[:200], next_attempt_at=after + timedelta(seconds=wait)
            )
            report.failed += 1
            logger.warning(
                "eKYC webhook %s (%s) to %s failed, attempt %d: %s; again in %.0f s",
                event.event_id, event.type, row.endpoint, row.attempts, error, wait,
            )  # fmt: skip
    finally:
        if own_session:
            http.close()
    return report


def resend(deliveries: QuerySet[WebhookDelivery]) -> int:
    """Make the chosen deliveries due now; delivered ones go again (receivers drop the duplicate by its event id,
    so sending twice is safe). They keep their place in their line: an event resent waits for earlier ones."""
    return deliveries.update(delivered_at=None, next_attempt_at=timezone.now(), last_error="")


def prune_delivered(*, now: datetime | None = None) -> int:
    """Delete the events older than ``KEEP_DAYS`` that every endpoint acknowledged (or that have no delivery);
    returns how many. An undelivered event stays, however old: it is still owed."""
    cutoff = (now or timezone.now()) - timedelta(days=ekyc_settings.WEBHOOKS.keep_days)
    pending = WebhookDelivery.objects.filter(event=OuterRef("pk"), delivered_at=None)
    _, deleted = OutboxEvent.objects.filter(created_at__lt=cutoff).filter(~Exists(pending)).delete()
    return deleted.get(OutboxEvent._meta.label, 0)


def run(
    *,
    interval: float | None,
    until_idle: bool,
    stop: threading.Event | None = None,
    batch_size: int = 50,
    on_pass: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """The command's loop: one pass; or passes until one claims nothing (``until_idle``); or, with ``interval``,
    passes until ``stop`` is set, waiting ``interval`` seconds after a pass that found nothing. ``stop`` is only
    looked at between passes: a delivery under way finishes. Prunes delivered events at the start and once a
    minute. ``on_pass(report)`` is called after each pass that claimed something."""
    stop = stop or threading.Event()
    total = DeliveryReport()
    pruned_at: float | None = None
    while not stop.is_set():
        try:
            if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_EVERY:
                pruned_at = time.monotonic()
                if pruned := prune_delivered():
                    logger.info("eKYC webhooks: pruned %d delivered event(s)", pruned)
            report = deliver_due(batch_size=batch_size)
        except DatabaseError:
            if interval is None:
                raise
            logger.exception("eKYC webhook pass failed; trying again in %s s", interval)
            close_old_connections()
            stop.wait(interval)
            continue
        total.add(report)
        if report.claimed and on_pass is not None:
            on_pass(report)
        if interval is None:
            if not (until_idle and report.claimed):
                break
        elif not report.claimed:
            close_old_connections()  # a long-running loop must not keep a broken or stale connection
            stop.wait(interval)
    return total
