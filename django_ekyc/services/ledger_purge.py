"""The ledger's retention writes: identity data and pictures stripped from a verification, a verification whose own
retention ended deleted with its history (leaving a trace on its person's audit chain), the provider's deletion
noted. Part of the ledger (:mod:`~django_ekyc.services.ledger`), kept apart because only retention calls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from django_ekyc.models import (
    AuditKind,
    EventKind,
    EventSource,
    KycTransaction,
    KycTransactionEvent,
    LegalHold,
    ReviewDecision,
)
from django_ekyc.services import retention_rules
from django_ekyc.services.audit import audit
from django_ekyc.services.ledger import record_event


def purge_result(kyc: KycTransaction, source: EventSource | str) -> KycTransaction:
    """Strip the identity data (once), keeping the decision; the purge is on record."""
    with transaction.atomic():
        locked = KycTransaction.objects.select_for_update().get(pk=kyc.pk)
        if locked.identity_purged_at is None:
            locked.result = None
            locked.reference_face = None  # a re-verification's reference picture is identity data too
            locked.verify_log = None  # the provider's log of the flow may carry what the user entered
            locked.identity_purged_at = timezone.now()
            locked.pictures_purged_at = locked.pictures_purged_at or locked.identity_purged_at
            fields = ["result", "reference_face", "verify_log", "identity_purged_at", "pictures_purged_at"]
            locked.save(update_fields=[*fields, "updated_at"])
            record_event(locked, EventKind.PURGED, source, code="identity")
    return locked


def purge_pictures(kyc: KycTransaction, source: EventSource | str, stripped: Callable[[Any], Any]) -> KycTransaction:
    """Take the pictures out (once): ``stripped(result)`` is the result without them; the reference face goes."""
    with transaction.atomic():
        locked = KycTransaction.objects.select_for_update().get(pk=kyc.pk)
        if locked.pictures_purged_at is None and locked.identity_purged_at is None:
            locked.result = stripped(locked.result)
            locked.reference_face = None
            locked.pictures_purged_at = timezone.now()
            locked.save(update_fields=["result", "reference_face", "pictures_purged_at", "updated_at"])
            record_event(locked, EventKind.PURGED, source, code="pictures")
    return locked


def delete_records(rows: models.QuerySet[KycTransaction]) -> int:
    """Delete verifications whose own retention has ended, with their history and decisions; how many went.

    A second approval of four eyes points at the first (PROTECT), so the decisions go confirmers first; released
    holds go with them (the person's audit chain keeps who held and released them); an active hold refuses."""
    with transaction.atomic():
        # Held meanwhile? Checked again under the lock: a held verification never goes.
        locked = list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
        # Checked in a statement of its own, under the locks: it sees a hold committed while this waited.
        free = KycTransaction.objects.filter(retention_rules.not_held(), pk__in=locked)
        ids = list(free.values_list("pk", flat=True))
        _leave_a_trace(ids)
        LegalHold.objects.filter(transaction_id__in=ids, released_at__isnull=False).delete()
        decisions = ReviewDecision.objects.filter(transaction_id__in=ids)
        decisions.exclude(confirms=None).delete()
        decisions.delete()
        _deleted, by_model = KycTransaction.objects.filter(pk__in=ids).delete()
    return by_model.get(KycTransaction._meta.label, 0)


def _leave_a_trace(ids: list[int]) -> None:
    """What a deleted verification leaves on its person's audit chain: its id and its history chain's head, so that
    an auditor tells a verification whose retention ended from one cut out of the records."""
    last = KycTransactionEvent.objects.filter(transaction_id=models.OuterRef("pk")).order_by("-seq")
    rows = KycTransaction.objects.filter(pk__in=ids).annotate(head=models.Subquery(last.values("hash")[:1]))
    for public_id, person, seq, head in rows.values_list("public_id", "merchant_user_id", "history_seq", "head"):
        audit(person, AuditKind.VERIFICATION_DELETED, verification=str(public_id), last_seq=seq, last_hash=head or "")


def mark_deleted_at_provider(kyc: KycTransaction) -> None:
    kyc.provider_deleted_at = timezone.now()
    kyc.save(update_fields=["provider_deleted_at", "updated_at"])
