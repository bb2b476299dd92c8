"""The ledger's set-based writes: many rows moved, or stripped, by one statement per batch.

Part of the ledger (:mod:`~django_ekyc.services.ledger`): what it does one row at a time for a person's request,
this does a batch at a time for background work (the stale expiry, the retention purge), so that a pass costs
the same few statements whatever the number of rows, and reads nothing it is about to throw away. Each batch is
one commit: its rows are locked (``skip_locked``: another host's batch is left to it), changed with one
``UPDATE``, and each gets its history row (chained: :meth:`~django_ekyc.models.HistoryQuerySet.bulk_create`) and
its outgoing event in the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from django_ekyc import metrics
from django_ekyc.models import EventKind, EventSource, KycTransaction, KycTransactionEvent
from django_ekyc.services import outbox, retention_rules, review_rules

BATCH = 500


def close_stale(from_status: str, to_status: str, code: str, cutoff: datetime, *, batch_size: int | None = None) -> int:
    """Move every row left in ``from_status`` since before ``cutoff`` to ``to_status`` (with ``code``), a batch at
    a time, oldest first, on the ``(status, created_at)`` index; how many moved."""
    stale = KycTransaction.objects.filter(status=from_status, created_at__lt=cutoff).order_by("created_at")
    batch_size = batch_size or BATCH
    moved = 0
    while True:
        with transaction.atomic():
            rows = list(stale.select_for_update(skip_locked=True).values_list("pk", "product_code")[:batch_size])
            if not rows:
                return moved
            now = timezone.now()
            values = {"status": to_status, "error_code": code, "updated_at": now, "completed_at": now}
            KycTransaction.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                **review_rules.with_review(values, to_status)
            )
            _write_history(
                [pk for pk, _ in rows],
                kind=EventKind.STATE_CHANGE,
                source=EventSource.EXPIRY,
                from_status=from_status,
                to_status=to_status,
                code=code,
            )
            products = [product for _, product in rows]
            transaction.on_commit(lambda products=products: _count_moves(products, to_status))  # type: ignore[misc]
        moved += len(rows)
        if len(rows) < batch_size:
            return moved


def purge_results(ids: Sequence[int], source: EventSource | str) -> list[int]:
    """Strip the identity data of the verifications ``ids`` not yet purged and under no legal hold (checked
    once their rows are locked, in order), keeping the decision: one UPDATE, nothing decrypted. The ids purged."""
    with transaction.atomic():
        still: QuerySet[KycTransaction] = KycTransaction.objects.filter(pk__in=list(ids), identity_purged_at=None)
        rows = list(still.select_for_update().order_by("pk").values_list("pk", flat=True))
        # Under the locks, in a statement of its own: a hold committed while this waited for a lock is seen (the
        # locking statement's snapshot predates it).
        free = KycTransaction.objects.filter(retention_rules.not_held(), pk__in=rows)
        locked = list(free.values_list("pk", flat=True))
        if not locked:
            return []
        now = timezone.now()
        KycTransaction.objects.filter(pk__in=locked).update(
            result=None,
            reference_face=None,  # a re-verification's reference picture is identity data too
            verify_log=None,  # the provider's log of the flow may carry what the user entered
            identity_purged_at=now,
            pictures_purged_at=Coalesce("pictures_purged_at", now),
            updated_at=now,
        )
        _write_history(locked, kind=EventKind.PURGED, source=source, code="identity")
    return locked


def _write_history(ids: Sequence[int], **values: Any) -> None:
    """One history row each (and its outgoing event), in the caller's transaction."""
    written = KycTransactionEvent.objects.bulk_create(
        KycTransactionEvent(transaction_id=pk, created_at=timezone.now(), **values) for pk in ids
    )
    for record in written:
        outbox.publish_history(record)


def _count_moves(products: list[str], to_status: str) -> None:
    for product in products:
        metrics.observe_state(product, to_status)
