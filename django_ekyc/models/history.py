"""``KycTransactionEvent``: the history of a transaction, one row per provider call and per state change.

The history is append-only and tamper-evident: each row is a link of its transaction's hash chain
(:mod:`django_ekyc.chain`), numbered from 1, written under the transaction's row lock, and never edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_ekyc.chain import GENESIS, Link, link_hash
from django_ekyc.models.transaction import KycTransaction

# What each history row's hash covers (with its transaction's public id and its place in the chain).
CHAINED_FIELDS = (
    "created_at",
    "kind",
    "source",
    "action",
    "from_status",
    "to_status",
    "code",
    "http_status",
    "request_id",
    "message",
    "duration_ms",
)


class EventSource(models.TextChoices):
    """What caused a provider call or a state change."""

    API = "api", _("API (the user's frontend)")
    REFRESH = "refresh", _("Refresh (site code)")
    RETURN = "return", _("Return page")
    CALLBACK = "callback", _("Provider callback")
    SYNC = "sync", _("Background sync")
    EXPIRY = "expiry", _("Expiry")
    RETENTION = "retention", _("Retention")
    ADMIN = "admin", _("Staff (admin)")
    ERASURE = "erasure", _("Erasure of the user")


class EventKind(models.TextChoices):
    PROVIDER_CALL = "provider_call", _("Provider call")
    STATE_CHANGE = "state_change", _("State change")
    REJECTED = "rejected", _("Rejected request")
    PURGED = "purged", _("Identity data purged")
    FACE = "face", _("Face library")
    REVIEW = "review", _("Staff review")
    HOLD = "hold", _("Legal hold")
    REVEAL = "reveal", _("Identity data revealed")


class HistoryQuerySet(models.QuerySet["KycTransactionEvent"]):
    def bulk_create(self, objs: Iterable[KycTransactionEvent], *args: Any, **kwargs: Any) -> list[KycTransactionEvent]:
        """Rows written together are chained too, in the order given, each transaction's under its row lock: one
        UPDATE per number of rows a transaction gets and one SELECT of every chain's head, however many
        transactions the rows belong to."""
        rows = list(objs)
        with transaction.atomic(savepoint=False):  # the caller's transaction, if any: no savepoint round trips
            by_transaction: dict[int, list[KycTransactionEvent]] = {}
            for row in rows:
                by_transaction.setdefault(row.transaction_id, []).append(row)
            _link_all(by_transaction)
            return super().bulk_create(rows, *args, **kwargs)

    def append_counted(self, transaction_id: int, rows: list[KycTransactionEvent]) -> list[KycTransactionEvent]:
        """Chain and insert ``rows`` of one transaction whose caller has already added ``len(rows)`` to its
        ``history_seq`` in an UPDATE of its own in this transaction (that UPDATE is the chain's lock): one SELECT
        of the head and one INSERT."""
        with transaction.atomic(savepoint=False):
            _link_heads({transaction_id: rows})
            return super().bulk_create(rows)


def _link_all(by_transaction: dict[int, list[KycTransactionEvent]]) -> None:
    """Give each transaction's rows the next places of its chain (the row locks first: the UPDATEs)."""
    by_count: dict[int, list[int]] = {}
    for transaction_id, own in by_transaction.items():
        by_count.setdefault(len(own), []).append(transaction_id)
    for count, ids in by_count.items():
        KycTransaction.objects.filter(pk__in=ids).update(history_seq=F("history_seq") + count)
    _link_heads(by_transaction)


def _link_heads(by_transaction: dict[int, list[KycTransactionEvent]]) -> None:
    """Number and hash the rows after each chain's head (their count already added to ``history_seq``)."""
    last = KycTransactionEvent.objects.filter(transaction_id=OuterRef("pk")).order_by("-seq")
    heads = (
        KycTransaction.objects.filter(pk__in=list(by_transaction))
        .annotate(prev=Subquery(last.values("hash")[:1]))
        .values_list("pk", "public_id", "history_seq", "prev")
    )
    linked = 0
    for transaction_id, public_id, seq, prev in heads:
        own = by_transaction[transaction_id]
        linked += 1
        prev = prev or GENESIS
        for place, row in enumerate(own, start=seq - len(own) + 1):
            row.seq, row.prev_hash = place, prev
            row.hash = prev = link_hash(prev, row.chain_content(public_id))
    if linked != len(by_transaction):
        raise KycTransaction.DoesNotExist("A history row names a transaction that does not exist.")


class KycTransactionEvent(models.Model):
    """One provider call or one state change of a transaction: its audit trail."""

    transaction = models.ForeignKey(KycTransaction, on_delete=models.CASCADE, related_name="events")
    # Set before the row is hashed (not auto_now_add, which would set it after).
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=EventSource.choices)
    action = models.CharField(_("provider action"), max_length=32, blank=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    code = models.CharField(_("code"), max_length=64, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    request_id = models.CharField(_("provider request id"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    # The row's link in its transaction's hash chain.
    seq = models.PositiveIntegerField(_("number"), default=0, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash (SHA-256)"), max_length=64, blank=True, editable=False)

    objects = HistoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("KYC transaction event")
        verbose_name_plural = _("KYC transaction events")
        ordering = ("created_at", "id")
        # The operator's view reads the provider calls of the last days by when they were made.
        indexes = [models.Index(fields=["kind", "created_at"], name="ekyc_event_kind_created")]
        # One row per place in a chain: two writers that missed the lock cannot both extend it.
        constraints = [models.UniqueConstraint(fields=["transaction", "seq"], name="ekyc_event_chain_link")]

    def __str__(self) -> str:
        what = self.action or f"{self.from_status} -> {self.to_status}"
        return f"{self.kind}: {what} {self.code}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Append the row to its transaction's chain (under the transaction's row lock: an UPDATE, PostgreSQL's
        row lock and SQLite's write lock); a written row is never changed."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("A history row is never edited: write a new one.")
        with transaction.atomic(savepoint=False):  # the caller's transaction, if any: no savepoint round trips
            self.created_at = timezone.now()
            _link_all({self.transaction_id: [self]})
            super().save(*args, **kwargs)

    def chain_content(self, transaction_public_id: Any) -> dict[str, Any]:
        """What the row's hash covers."""
        content = {name: getattr(self, name) for name in CHAINED_FIELDS}
        return {"transaction": transaction_public_id, "seq": self.seq, **content}

    def as_link(self, transaction_public_id: Any) -> Link:
        return Link(self.seq, self.prev_hash, self.hash, self.chain_content(transaction_public_id))
