"""Retention: strip identity data past its time, and have the provider delete its copy."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.utils import timezone

from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycDeletionRefused, EkycError, ProviderCallFailed
from django_ekyc.models import EventSource, FaceRecord, KycTransaction, KycTransactionQuerySet, Status
from django_ekyc.ratelimit import background_calls
from django_ekyc.services import face_deletion, ledger

# What DeleteVerifyResult deletes, one call each (its DeleteType values): the images, then everything else.
DELETE_TYPES = ("Img", "Text")


def purge_candidates(*, older_than_days: int | None = None, now: datetime | None = None) -> KycTransactionQuerySet:
    """Finished transactions whose identity data is older than the retention period."""
    days = ekyc_settings.RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return KycTransaction.objects.filter(
        status__in=[Status.PASSED, Status.FAILED, Status.EXPIRED], completed_at__lt=cutoff, identity_purged_at=None
    ).order_by("completed_at", "id")


def provider_deletion_pending() -> KycTransactionQuerySet:
    """Purged here, but the provider's copy is not confirmed deleted yet: to be retried."""
    return KycTransaction.objects.filter(
        identity_purged_at__isnull=False, provider_deleted_at=None, transaction_id__isnull=False
    ).order_by("identity_purged_at", "id")


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
    :class:`~django_ekyc.exceptions.ProviderCallFailed` after the local purge, which stands.
    """
    purged = ledger.purge_result(kyc, source)
    _forget_face(purged)
    if delete_at_provider and purged.transaction_id and purged.provider_deleted_at is None:
        with background_calls():  # nobody waits for a deletion: it yields to the calls users wait for
            _delete_at_provider(purged, source, client or get_client(purged.account))
    return purged


def _forget_face(kyc: KycTransaction) -> None:
    """The face a purged verification registered leaves the library too (unless a later verification of the
    user vouches for it: the face record then points at that one)."""
    ids = face_deletion.forget_faces(FaceRecord.objects.present().filter(transaction=kyc), reason="retention")
    if ids:
        face_deletion.delete_pending_faces(ids)


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
    ledger.mark_deleted_at_provider(kyc)
