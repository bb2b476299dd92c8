"""Faces leaving the provider's face library: a deleted user's, a purged verification's.

The site's :class:`~django_ekyc.models.FaceRecord` rows outlive the user on purpose: each records that its face was
deleted at the provider (``DeleteFaceRecordV2``), or is still to be, and the deletion is retried until the provider
confirms it (``ekyc_purge``, background sync).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from django_ekyc.client import EkycClient, get_client
from django_ekyc.exceptions import EkycDeletionRefused, EkycError, EkycRateLimited
from django_ekyc.models import EventKind, EventSource, FaceRecord
from django_ekyc.ratelimit import background_calls
from django_ekyc.services import ledger

logger = logging.getLogger("django_ekyc.services")


@dataclass
class FaceReport:
    """What one pass over the face library's to-do did."""

    registered: int = 0
    duplicates: int = 0
    conflicts: int = 0
    failures: int = 0
    deleted: int = 0
    deletion_failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def forget_faces(records: Iterable[FaceRecord] | FaceRecord, *, reason: str) -> list[int]:
    """Mark faces for deletion at the provider (the site's copy of the fact stays); their ids."""
    ids = [records.pk] if isinstance(records, FaceRecord) else [record.pk for record in records]
    FaceRecord.objects.filter(pk__in=ids, delete_requested_at=None).update(
        delete_requested_at=timezone.now(), delete_reason=reason
    )
    return ids


def delete_quietly(ids: list[int]) -> None:
    """Delete now, or leave pending for the next purge (a provider that cannot be reached must not fail the
    commit this follows)."""
    try:
        delete_pending_faces(ids)
    except Exception:
        logger.exception("eKYC faces could not be deleted now; ekyc_purge retries")


def delete_pending_faces(
    ids: Iterable[int] | None = None, *, client: EkycClient | None = None, batch_size: int = 100
) -> FaceReport:
    """Ask the provider to delete the faces marked for deletion (``DeleteFaceRecordV2``), until it confirms.

    A face the provider answers it did not delete is looked up (``QueryFaceRecord``): gone already counts as
    deleted, anything else stays pending for the next pass. What happened is recorded on the face record, and
    in the verification's history while the verification exists.
    """
    report = FaceReport()
    pending = FaceRecord.objects.deletion_pending().select_related("transaction")
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    with background_calls():
        for face in list(pending[:batch_size]):
            try:
                _delete_one(face, client or get_client(face.account))
            except EkycError as err:
                if isinstance(err, EkycRateLimited):
                    break
                report.deletion_failures += 1
                FaceRecord.objects.filter(pk=face.pk).update(
                    delete_attempts=face.delete_attempts + 1, last_error=ledger.code_of(err)[:64]
                )
                logger.warning("eKYC face %s not deleted at the provider: %s", face.pk, ledger.code_of(err))
                continue
            report.deleted += 1
    return report


def _delete_one(face: FaceRecord, client: EkycClient) -> None:
    kyc = face.transaction
    call = functools.partial(client.delete_face_records, merchant_user_id=face.face_key, face_group=face.face_group)
    if kyc is not None:
        deletion, record = ledger.recorded_call(kyc, "DeleteFaceRecordV2", EventSource.RETENTION, call)
        record.message = f"face deletion ({face.delete_reason})"
        record.save()
    else:
        deletion = call()
    if not deletion.deleted:
        page = client.query_face_records(face_group=face.face_group, merchant_user_id=face.face_key)
        if page.total:
            raise _refused(deletion.request_id)
    FaceRecord.objects.filter(pk=face.pk).update(
        deleted_at=timezone.now(), delete_attempts=face.delete_attempts + 1, last_error=""
    )
    if kyc is not None:
        ledger.record_event(kyc, EventKind.FACE, EventSource.RETENTION, code="deleted", message=face.delete_reason)
    logger.info("eKYC face %s deleted at the provider (%s)", face.pk, face.delete_reason)


def _refused(request_id: str) -> EkycError:
    return EkycDeletionRefused(
        "The provider did not delete the face.", action="DeleteFaceRecordV2", code="Deleted.N", request_id=request_id
    )
