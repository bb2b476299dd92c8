"""Retention: each kind of record removed when its rule (``EKYC["RETENTION"]``) says, and the provider's copy.

:func:`run_purge` is the one pass the command, the task and a person's erasure run: per rule, what is due
(:mod:`~django_ekyc.services.retention_rules`), counted for a dry run, removed and recorded (a ``PurgeRun``)
otherwise. Identity data and pictures are stripped from the verification, which stays; the decision trail and
consents go whole once their own, longer, rule ends. Nothing under a legal hold is touched.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from django_ekyc.client import EkycClient, get_client
from django_ekyc.exceptions import EkycDeletionRefused, EkycError, InvalidInput, ProviderCallFailed
from django_ekyc.models import EventSource, FaceRecord, KycTransaction, KycTransactionQuerySet, PurgeRun
from django_ekyc.ratelimit import background_calls
from django_ekyc.retention_policy import KINDS
from django_ekyc.services import face_deletion, ledger, ledger_batch, ledger_purge
from django_ekyc.services.identity import without_images
from django_ekyc.services.retention_rules import candidates, is_held, not_held

logger = logging.getLogger("django_ekyc.services")

# What DeleteVerifyResult deletes, one call each (its DeleteType values): the images, then everything else.
DELETE_TYPES = ("Img", "Text")
BATCH = 500
# The encrypted columns a deletion at the provider does not read.
ENCRYPTED = ("result", "reference_face", "verify_log")


@dataclass
class PurgeReport:
    """What a purge did (or, for a dry run, would do), per rule; and the provider deletions that failed."""

    counts: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    run: PurgeRun | None = None


def purge_candidates(*, now: datetime | None = None) -> KycTransactionQuerySet:
    """Finished verifications whose identity data the ``identity`` rule has come due for."""
    return candidates("identity", now=now or timezone.now())  # type: ignore[return-value]


def provider_deletion_pending() -> KycTransactionQuerySet:
    """Purged here, but the provider's copy is not confirmed deleted yet: to be retried (not while held)."""
    return (
        KycTransaction.objects.filter(
            identity_purged_at__isnull=False, provider_deleted_at=None, transaction_id__isnull=False
        )
        .filter(not_held())
        .order_by("identity_purged_at", "id")
    )


def retry_provider_deletions() -> tuple[int, list[tuple[KycTransaction, ProviderCallFailed]]]:
    """Ask the provider again to delete what it refused or failed to before (until it confirms); a verification
    held since the list was read waits for the release. How many were retried, and the failures."""
    retried, failures = 0, []
    for kyc in provider_deletion_pending().iterator():
        try:
            purge_identity_data(kyc, delete_at_provider=True)
        except ProviderCallFailed as failure:
            failures.append((kyc, failure))
        except InvalidInput:
            continue
        retried += 1
    return retried, failures


def dry_run(*, now: datetime | None = None, kinds: Iterable[str] = KINDS) -> PurgeReport:
    """How many records each rule would remove now; nothing is changed."""
    now = now or timezone.now()
    return PurgeReport({kind: candidates(kind, now=now).count() for kind in kinds})


def run_purge(
    *,
    trigger: str,
    now: datetime | None = None,
    kinds: Iterable[str] = KINDS,
    person: str | None = None,
    delete_at_provider: bool = False,
    source: EventSource | str = EventSource.RETENTION,
) -> PurgeReport:
    """Remove what each rule has come due for (of one ``person`` only, for an erasure), and record the run."""
    now = now or timezone.now()
    run = PurgeRun.objects.create(trigger=trigger, started_at=now)
    report = PurgeReport(run=run)
    for kind in kinds:
        due: Any = candidates(kind, now=now, person=person)
        report.counts[kind] = _PURGES[kind](due, report, delete_at_provider=delete_at_provider, source=source)
    run.counts, run.failures, run.finished_at = report.counts, report.failures, timezone.now()
    run.save(update_fields=["counts", "failures", "finished_at"])
    return report


def _purge_identity(due: KycTransactionQuerySet, report: PurgeReport, **options: Any) -> int:
    """A batch at a time: the due ids (on the completion index), one UPDATE for the batch, then the faces and,
    if asked, the provider's copies; nothing decrypted only to be thrown away."""
    purged, source = 0, options.get("source", EventSource.RETENTION)
    while ids := list(due.values_list("pk", flat=True)[:BATCH]):
        done = ledger_batch.purge_results(ids, source)
        if not done:
            break  # held or taken by another host since the read: left to them, and to the next run
        purged += len(done)
        _forget_faces(done)
        if options.get("delete_at_provider"):
            _delete_batch_at_provider(done, source, report)
    return purged


def _delete_batch_at_provider(ids: list[int], source: EventSource | str, report: PurgeReport) -> None:
    pending = KycTransaction.objects.filter(pk__in=ids, transaction_id__isnull=False, provider_deleted_at=None)
    with background_calls():  # nobody waits for a deletion: it yields to the calls users wait for
        for kyc in pending.defer(*ENCRYPTED).order_by("id"):
            try:
                _delete_at_provider(kyc, source, get_client(kyc.account))
            except ProviderCallFailed as failure:
                logger.warning("eKYC provider deletion failed for %s: %s", kyc.public_id, failure.error.code)
                report.failures += 1


def _purge_pictures(due: KycTransactionQuerySet, report: PurgeReport, **options: Any) -> int:
    """Row by row (each result is decrypted once, under its lock, to keep its text), the due ids read a batch
    at a time."""
    purged, source = 0, options.get("source", EventSource.RETENTION)
    while ids := list(due.values_list("pk", flat=True)[:BATCH]):
        before = purged
        for pk in ids:
            kept = _strip_pictures(KycTransaction(pk=pk), source)
            purged += kept.pictures_purged_at is not None
        if purged == before:
            break  # none could be purged (taken by another host): left to the next run
    return purged


def _delete_decisions(due: KycTransactionQuerySet, report: PurgeReport, **options: object) -> int:
    deleted = 0
    while ids := list(due.values_list("pk", flat=True)[:BATCH]):
        gone = ledger_purge.delete_records(KycTransaction.objects.filter(pk__in=ids))
        deleted += gone
        if not gone:
            break
    return deleted


def _delete_consents(due: object, report: PurgeReport, **options: object) -> int:
    deleted, _by_model = due.delete()  # type: ignore[attr-defined]
    return int(deleted)


_PURGES = {
    "identity": _purge_identity,
    "pictures": _purge_pictures,
    "decisions": _delete_decisions,
    "consent": _delete_consents,
}


def purge_pictures(kyc: KycTransaction, *, source: EventSource | str = EventSource.RETENTION) -> KycTransaction:
    """Take the pictures out of a verification (the images in its result, its reference face) and its face out
    of the face library; the text of the result stays until the ``identity`` rule. Refused under a legal hold."""
    refuse_if_held(kyc)
    return _strip_pictures(kyc, source)


def _strip_pictures(kyc: KycTransaction, source: EventSource | str) -> KycTransaction:
    purged = ledger_purge.purge_pictures(kyc, source, without_images)
    _forget_face(purged)
    return purged


def purge_identity_data(
    kyc: KycTransaction,
    *,
    delete_at_provider: bool = False,
    source: EventSource | str = EventSource.RETENTION,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Strip the identity data, keeping the decision (who, when, passed, sub code).

    With ``delete_at_provider`` the provider is asked to delete its copy too (DeleteVerifyResult); a
    provider that no longer knows the transaction counts as deleted. Provider failures raise
    :class:`~django_ekyc.exceptions.ProviderCallFailed` after the local purge, which stands. A verification under
    a legal hold (its own or its person's) is refused: :class:`~django_ekyc.exceptions.InvalidInput`
    ``under_legal_hold``.
    """
    refuse_if_held(kyc)
    return _strip_identity(kyc, delete_at_provider=delete_at_provider, source=source, client=client)


def _strip_identity(
    kyc: KycTransaction, *, delete_at_provider: bool, source: EventSource | str, client: EkycClient | None = None
) -> KycTransaction:
    """:func:`purge_identity_data` for a row the rules chose (holds excluded in the same query)."""
    purged = ledger_purge.purge_result(kyc, source)
    _forget_face(purged)
    if delete_at_provider and purged.transaction_id and purged.provider_deleted_at is None:
        with background_calls():  # nobody waits for a deletion: it yields to the calls users wait for
            _delete_at_provider(purged, source, client or get_client(purged.account))
    return purged


def refuse_if_held(kyc: KycTransaction) -> None:
    if is_held(kyc):
        raise InvalidInput(
            "verification",
            "under_legal_hold",
            str(_("This verification is under a legal hold: nothing of it is purged.")),
        )


def _forget_face(kyc: KycTransaction) -> None:
    _forget_faces([kyc.pk])


def _forget_faces(ids: list[int]) -> None:
    """The faces purged verifications registered leave the library too (unless a later verification of the
    user vouches for one: its face record then points at that one)."""
    faces = FaceRecord.objects.present().filter(transaction_id__in=ids)
    forgotten = face_deletion.forget_faces(faces, reason="retention")
    if forgotten:  # after the commit: no provider call inside a transaction (an erasure's, say)
        transaction.on_commit(lambda: face_deletion.delete_quietly(forgotten))


def _delete_at_provider(kyc: KycTransaction, source: EventSource | str, client: EkycClient) -> None:
    """Delete both kinds of data the provider keeps (DeleteVerifyResult's ``DeleteType``: the images, then the
    text); record the deletion only
    when the provider confirmed each one (``DeleteResult=Y``), so that a refusal stays pending for a retry."""
    # "Y" protects results nobody has read; a transaction that never produced one has nothing to protect.
    after_query = "Y" if kyc.passed is not None else "N"
    for delete_type in DELETE_TYPES:
        try:
            deletion, record = ledger.recorded_call(
                kyc,
                "DeleteVerifyResult",
                source,
                functools.partial(
                    client.delete_verify_result,
                    transaction_id=str(kyc.transaction_id),
                    delete_type=delete_type,
                    delete_after_query=after_query,
                    product_code=kyc.product_code,
                ),
            )
        except EkycError as err:
            if err.code == "TransactionIdInvalid":  # already gone is what we wanted
                break
            raise ProviderCallFailed(kyc, err) from err
        if not deletion.deleted:
            record.code, record.message = "DeleteResult.N", f"DeleteType={delete_type}: not deleted"
            record.save()
            refused = EkycDeletionRefused(
                f"The provider did not delete the {delete_type} data.",
                action="DeleteVerifyResult",
                code="DeleteResult.N",
                request_id=deletion.request_id,
            )
            raise ProviderCallFailed(kyc, refused)
        record.message = f"DeleteType={delete_type}"
        record.save()
    ledger_purge.mark_deleted_at_provider(kyc)
