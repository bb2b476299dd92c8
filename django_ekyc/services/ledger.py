"""The state ledger: the only code that writes a ``KycTransaction`` or its history.

Provider calls happen outside any lock (they can take seconds); each result is then applied with a
conditional UPDATE that only moves the row from the one state it may come from, so a return, a callback and
a refresh racing for the same transaction complete it exactly once, and each signal is sent once, after the
commit. Every provider call and every state change leaves a ``KycTransactionEvent``; provider strings are cut
to their columns so that no answer can cost an attempt its history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import DatabaseError, models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from django_ekyc import metrics
from django_ekyc.client import EkycClient
from django_ekyc.exceptions import EkycError, EkycRateLimited, EkycRateLimitUnavailable
from django_ekyc.models import (
    ALLOWED_TRANSITIONS,
    CHECK_TRANSITIONS,
    TERMINAL_STATUSES,
    EventKind,
    EventSource,
    KycTransaction,
    KycTransactionEvent,
    Status,
)
from django_ekyc.results import VerificationResult
from django_ekyc.services import outbox, review_rules

logger = logging.getLogger("django_ekyc.services")

T = TypeVar("T")
MESSAGE_LENGTH = 500
# The history rows written inside the current keeping_history() block, if any.
_written: ContextVar[list[KycTransactionEvent] | None] = ContextVar("ekyc_history_written", default=None)
# The code of a call the site's own rate limit kept from the provider (a ``rejected`` event).
RATE_LIMITED = "rate_limited"
RATE_LIMIT_UNAVAILABLE = "rate_limit_unavailable"  # the limiter could not be asked (its cache is down)


def open_attempt(**fields: Any) -> KycTransaction:
    """Save a new attempt, before the provider is called, so that no request can lose it."""
    return KycTransaction.objects.create(**fields)


def code_of(err: EkycError) -> str:
    """The provider's code, or the kind of failure when there was no answer."""
    return err.code or type(err).__name__


def recorded_call(
    kyc: KycTransaction, action: str, source: EventSource | str, call: Callable[[], T]
) -> tuple[T, KycTransactionEvent]:
    """Run one provider call. A failure is recorded at once; a success is returned with its
    history row unsaved, for the caller to write in the same commit as the state change it causes.
    The site's own rate limit refusing a call is not a provider call: nothing was sent, and it is recorded as a
    rejected request (``rate_limited``), so that operators see how often the quota stood in the way."""
    started = time.monotonic()
    try:
        result = call()
    except EkycRateLimited as held:
        code = RATE_LIMIT_UNAVAILABLE if isinstance(held, EkycRateLimitUnavailable) else RATE_LIMITED
        record_event(kyc, EventKind.REJECTED, source, started, action=action, code=code)
        raise
    except EkycError as err:
        outcome = {"code": code_of(err), "http_status": err.status, "request_id": err.request_id or ""}
        record_event(
            kyc,
            EventKind.PROVIDER_CALL,
            source,
            started,
            action=action,
            message=err.message[:MESSAGE_LENGTH],
            **outcome,
        )
        raise
    values = {"source": source, "action": action, "request_id": getattr(result, "request_id", "")}
    record = KycTransactionEvent(
        transaction_id=kyc.pk,
        kind=EventKind.PROVIDER_CALL,
        code="Success",
        http_status=200,
        duration_ms=int((time.monotonic() - started) * 1000),
        **fit_columns(KycTransactionEvent, values),
    )
    return result, record


def recorded_check_result(
    kyc: KycTransaction, source: EventSource | str, client: EkycClient, *, with_images: bool
) -> tuple[VerificationResult, KycTransactionEvent]:
    """CheckResult for a transaction, with its stored ids, as a :func:`recorded_call`."""
    return recorded_call(
        kyc,
        "CheckResult",
        source,
        lambda: client.check_result(
            merchant_biz_id=kyc.merchant_biz_id,
            transaction_id=str(kyc.transaction_id),
            is_return_image=with_images,
            product_code=kyc.product_code,
        ),
    )


def record_event(
    kyc: KycTransaction, kind: str, source: EventSource | str, started: float | None = None, **fields: Any
) -> None:
    duration = None if started is None else int((time.monotonic() - started) * 1000)
    values = fit_columns(KycTransactionEvent, {"kind": kind, "source": source, **fields})
    # A change's event for other systems commits with its history row, or neither (no savepoint: one statement less
    # each way, and a failure here fails the caller's block anyway).
    with transaction.atomic(savepoint=False):
        record = KycTransactionEvent.objects.create(transaction_id=kyc.pk, duration_ms=duration, **values)
        outbox.publish_history(record)
    note(record)


def transition(
    kyc: KycTransaction,
    to_status: str,
    source: EventSource | str,
    *,
    record: KycTransactionEvent | None = None,
    from_status: str | None = None,
    **fields: Any,
) -> tuple[KycTransaction, bool]:
    """Move to ``to_status`` if the move is allowed; return (the row, moved?).

    ``from_status`` names the state a check from pictures moves from (``created``: it is one call, no waiting);
    by default the one state of the hosted flow that may lead to ``to_status``.

    The move is one conditional ``UPDATE ... WHERE status = <the only state it may come from>``:
    the database locks the row and re-checks the condition, so of several racing callers exactly
    one moves it, and a terminal state never moves again. ``record`` (the provider call that led
    here) is written in the same commit; if that commit fails, it is still written on its own.
    """
    try:
        with transaction.atomic():
            moved = _move(kyc, to_status, source, fields, from_status, record)
    except DatabaseError:
        if record is not None:
            save_alone(record)
        raise
    if not moved:
        kyc.refresh_from_db()
    return kyc, moved


def _move(
    kyc: KycTransaction,
    to_status: str,
    source: EventSource | str,
    fields: dict[str, Any],
    from_status: str | None,
    record: KycTransactionEvent | None,
) -> bool:
    if from_status is None:
        [from_status] = [state for state, targets in ALLOWED_TRANSITIONS.items() if to_status in targets]
    elif to_status not in CHECK_TRANSITIONS.get(from_status, frozenset()):
        raise ValueError(f"A check cannot move from {from_status} to {to_status}.")
    now = timezone.now()
    values = {**fit_columns(KycTransaction, fields), "status": to_status, "updated_at": now}
    if to_status in TERMINAL_STATUSES:
        values["completed_at"] = now
    queued = review_rules.with_review(values, to_status)
    written = 2 if record is not None else 1  # the call and the move: the chain's length grows in the same UPDATE
    moving = KycTransaction.objects.filter(pk=kyc.pk, status=from_status)
    if not moving.update(**queued, history_seq=F("history_seq") + written):
        if record is not None:
            record.save()  # the call is on record, though another caller made the move
        return False
    for name, value in values.items():
        setattr(kyc, name, value)
    review_rules.reread_review(kyc, queued)
    product = kyc.product_code
    transaction.on_commit(lambda: metrics.observe_state(product, to_status))  # a rolled-back move is not counted
    code = fields.get("error_code") or fields.get("sub_code") or ""
    change = {"kind": EventKind.STATE_CHANGE, "source": source, "from_status": from_status, "to_status": to_status}
    _write_change(kyc, record, fit_columns(KycTransactionEvent, {**change, "code": code}))
    return True


def _write_change(kyc: KycTransaction, call: KycTransactionEvent | None, change: dict[str, Any]) -> None:
    """The provider call that led to a move and the move itself, written together after the move's UPDATE (which
    counted them): the chain's head read once, both rows in one INSERT."""
    moved = KycTransactionEvent(transaction_id=kyc.pk, created_at=timezone.now(), **change)
    KycTransactionEvent.objects.append_counted(kyc.pk, [call, moved] if call is not None else [moved])
    outbox.publish_history(moved)
    note(moved)


@contextmanager
def keeping_history() -> Iterator[None]:
    """Run a block in one transaction; if it fails, the history rows it wrote or meant to write (the provider
    calls made: :func:`record_event`, :func:`write`, :func:`note`) are written again after the rollback, each
    once: what was asked of the provider stays on record whatever happens here."""
    written: list[KycTransactionEvent] = []
    token = _written.set(written)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for record in {id(record): record for record in written}.values():
            save_alone(record)
        raise
    finally:
        _written.reset(token)


def note(record: KycTransactionEvent) -> None:
    """A history row this block wrote or must write: kept by :func:`keeping_history` if the block fails."""
    written = _written.get()
    if written is not None:
        written.append(record)


def write(record: KycTransactionEvent) -> None:
    """Save a provider call's history row (kept even if the enclosing :func:`keeping_history` block fails)."""
    record.save()
    note(record)


def save_alone(record: KycTransactionEvent) -> None:
    """Keep the provider call on record even when the state change that follows it failed."""
    record.pk = None
    try:
        with transaction.atomic():
            record.save()
    except DatabaseError:
        logger.exception("could not record a provider call for transaction %s", record.transaction_id)


def send_on_commit(signal: Signal, kyc: KycTransaction, **kwargs: Any) -> None:
    """Send once the caller's transaction commits; never, if it rolls back."""
    transaction.on_commit(lambda: signal.send(sender=KycTransaction, transaction=kyc, **kwargs))


def take_check_slot(kyc: KycTransaction, *, min_interval: float) -> bool:
    """Note that the provider is being asked now; with ``min_interval``, only if nobody asked within it.

    One conditional UPDATE: of any number of concurrent requests, in any process, one wins the slot.
    """
    now = timezone.now()
    rows = KycTransaction.objects.filter(pk=kyc.pk)
    if min_interval > 0:
        rows = rows.filter(Q(last_checked_at=None) | Q(last_checked_at__lte=now - timedelta(seconds=min_interval)))
    return bool(rows.update(last_checked_at=now))


def schedule_check(kyc: KycTransaction, at: datetime, *, attempts: int | None = None) -> None:
    """When background sync should next ask about a transaction that is still waiting."""
    values: dict[str, Any] = {"next_check_at": at}
    if attempts is not None:
        values["check_attempts"] = attempts
    KycTransaction.objects.filter(pk=kyc.pk, status=kyc.status).update(**values)


def release(ids: list[int], at: datetime) -> None:
    """Hand claimed rows back to the next pass (this one stopped before checking them)."""
    KycTransaction.objects.filter(pk__in=ids, status=Status.INITIALIZED).update(next_check_at=at)


def claim_due(batch_size: int, now: datetime, lease: timedelta) -> list[int]:
    """The ids of waiting transactions whose next check is due (oldest due first), claimed for ``lease`` so that no
    other host takes them. Ids only, read in the ``(status, next_check_at)`` index's order: the claim costs the
    same at any size of the table or of the backlog, and holds no row in memory."""
    waiting = KycTransaction.objects.select_for_update(skip_locked=True).filter(status=Status.INITIALIZED)
    with transaction.atomic():
        # Rows from before checks were scheduled first (none since), then the due ones in the order they fell due.
        claimed = list(waiting.filter(next_check_at=None).order_by("id").values_list("pk", flat=True)[:batch_size])
        if len(claimed) < batch_size:
            due = waiting.filter(next_check_at__lte=now).order_by("next_check_at", "id").values_list("pk", flat=True)
            claimed += list(due[: batch_size - len(claimed)])
        # The lease, and the check about to be made (user-prompted checks are spaced from it).
        KycTransaction.objects.filter(pk__in=claimed).update(next_check_at=now + lease, last_checked_at=timezone.now())
    return claimed


def fit_columns(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Cut strings to their column's length: a provider's overlong ``Code`` or ``RequestId`` must not cost
    the attempt its history (PostgreSQL refuses the whole row; SQLite would store it whole)."""
    fitted = dict(values)
    for name, value in values.items():
        limit = _max_lengths(model).get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            fitted[name] = value[:limit]
    return fitted


def _max_lengths(model: type[models.Model]) -> dict[str, int]:
    return {
        field.name: field.max_length
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField) and field.max_length
    }
