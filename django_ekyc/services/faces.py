"""Faces in the site's face library (``FACE_LIBRARY``): register a passed verification's face, flag one person
behind several accounts, and take a user's faces out of the library when the user or their identity data goes.

The provider keeps the library; the site keeps :class:`~django_ekyc.models.FaceRecord` rows, one per face it
registered, so that a search's matches lead back to accounts and a user's faces can be found to be deleted.

Registration runs once per passed verification, claimed with a conditional UPDATE (``pending`` -> ``checking``)
and settled with another (``checking`` -> the outcome), so two hosts, a return and a callback never search twice
for the same verification nor send ``duplicate_person_found`` twice. The search is ``FaceVerifyIntl``
(``FACE_IDU_MIN``, mode 0): the provider searches the library and registers the face only when it finds nobody.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from django_ekyc import signals
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import (
    EkycBadRequest,
    EkycDeletionRefused,
    EkycError,
    EkycNotCompleted,
    EkycRateLimited,
    ProviderCallFailed,
)
from django_ekyc.models import (
    DuplicateMatch,
    EventKind,
    EventSource,
    FaceRecord,
    FaceStatus,
    KycTransaction,
    KycTransactionEvent,
    Purpose,
    Status,
)
from django_ekyc.products import CATALOGUE, ResultKind
from django_ekyc.ratelimit import background_calls
from django_ekyc.results import FaceMatch, FaceSearchResult, VerificationResult
from django_ekyc.services import ledger

__all__ = [
    "FACE_LEASE",
    "FACE_RETRY",
    "FaceReport",
    "delete_pending_faces",
    "face_key_for",
    "forget_faces",
    "forget_user_faces",
    "keeps_reference_face",
    "register_face",
    "register_pending_faces",
    "wants_face_image",
]

logger = logging.getLogger("django_ekyc.services")

# A claimed registration is left alone by other hosts this long, even if its host dies mid-search.
FACE_LEASE = timedelta(minutes=5)
# After a provider failure that may pass (throttling, an outage), the next attempt waits this long.
FACE_RETRY = timedelta(minutes=5)
# Products whose result carries the live face (ExtFaceInfo.faceImg): the ones a face can be registered from.
FACE_RESULTS = frozenset({ResultKind.DOCUMENT, ResultKind.LIVENESS})


def face_key_for(merchant_user_id: str) -> str:
    """The key a user's face is registered under: the provider takes at most 32 characters, so the first 32 of
    the user's keyed hash (128 bits: as stable, and as meaningless to the provider)."""
    return merchant_user_id[:32]


def _has_face(kyc: KycTransaction) -> bool:
    product = CATALOGUE.get(kyc.product_code)
    return product is not None and product.result in FACE_RESULTS


def keeps_reference_face(kyc: KycTransaction) -> bool:
    """A passed verification keeps an encrypted copy of its face only where re-verification compares with a
    picture the site supplies (``REVERIFY_PRODUCT = FACE_VERIFY``)."""
    return ekyc_settings.REVERIFY_PRODUCT == "FACE_VERIFY" and kyc.purpose == Purpose.VERIFY and _has_face(kyc)


def wants_face_image(kyc: KycTransaction) -> bool:
    """Whether CheckResult must return the images: to search the library or keep a reference face. The image is
    then used and dropped (kept in the stored result only with ``STORE_IMAGES``)."""
    library = bool(ekyc_settings.FACE_LIBRARY) and kyc.purpose == Purpose.VERIFY and _has_face(kyc)
    return library or keeps_reference_face(kyc)


def completion_fields(kyc: KycTransaction, result: VerificationResult) -> dict[str, object]:
    """What a passed verification's completion writes besides the result: the reference face, and the face
    library's to-do, in the same UPDATE as the state change."""
    if not result.passed or kyc.purpose != Purpose.VERIFY:
        return {}
    fields: dict[str, object] = {}
    if keeps_reference_face(kyc) and result.face_image:
        fields["reference_face"] = {"image": result.face_image}
    if ekyc_settings.FACE_LIBRARY and _has_face(kyc):
        fields.update(face_status=FaceStatus.PENDING, next_check_at=None)
    return fields


# -- registration and duplicates -------------------------------------------------------------------------------


def register_face(
    kyc: KycTransaction,
    face_image: str | None,
    *,
    source: EventSource | str,
    client: EkycClient | None = None,
    now: datetime | None = None,
) -> KycTransaction:
    """Search the library for a passed verification's face and register it (once, whoever calls).

    Without a picture (the result came without images) the face is fetched again with CheckResult. A provider
    failure that may pass leaves the verification ``pending``, for :func:`register_pending_faces` to retry after
    ``FACE_RETRY``; a refusal (a library that does not exist, a picture it rejects) settles it as not registered,
    since asking again would be refused again.
    """
    if not _claim(kyc, now or timezone.now()):
        kyc.refresh_from_db()
        return kyc
    client = client or get_client(kyc.account)
    try:
        image = face_image or _fetch_face_image(kyc, source, client)
        if not image:
            return _settle(kyc, FaceStatus.NO_FACE, source, message="The result holds no face picture.")
        search, record = ledger.recorded_call(
            kyc,
            "FaceVerifyIntl",
            source,
            functools.partial(
                client.search_face,
                merchant_biz_id=kyc.merchant_biz_id,
                merchant_user_id=face_key_for(kyc.merchant_user_id),
                face_picture=image,
                face_groups=[str(ekyc_settings.FACE_LIBRARY)],
                register_into=str(ekyc_settings.FACE_LIBRARY),
                extra={"UpdateFaceIfUserExists": "Y"},
            ),
        )
    except EkycBadRequest as err:
        return _settle(kyc, FaceStatus.NOT_REGISTERED, source, message=f"refused: {ledger.code_of(err)}")
    except EkycError as err:
        _unclaim(kyc, (now or timezone.now()) + FACE_RETRY)
        raise ProviderCallFailed(kyc, err) from err
    return _apply_search(kyc, search, record, source)


def _claim(kyc: KycTransaction, now: datetime) -> bool:
    """Take the registration: ``pending``, or ``checking`` whose host's lease ran out."""
    takeable = Q(face_status=FaceStatus.PENDING) | Q(face_status=FaceStatus.CHECKING, next_check_at__lt=now)
    return bool(
        KycTransaction.objects.filter(takeable, pk=kyc.pk, status=Status.PASSED).update(
            face_status=FaceStatus.CHECKING, next_check_at=now + FACE_LEASE
        )
    )


def _unclaim(kyc: KycTransaction, retry_at: datetime) -> None:
    KycTransaction.objects.filter(pk=kyc.pk, face_status=FaceStatus.CHECKING).update(
        face_status=FaceStatus.PENDING, next_check_at=retry_at
    )


def _fetch_face_image(kyc: KycTransaction, source: EventSource | str, client: EkycClient) -> str | None:
    try:
        result, record = ledger.recorded_check_result(kyc, source, client, with_images=True)
    except EkycNotCompleted:
        return None
    except EkycError as err:
        if err.code == "TransactionIdInvalid":  # the provider no longer has it: no face to search with
            return None
        raise
    record.save()
    return result.face_image


def _apply_search(
    kyc: KycTransaction, search: FaceSearchResult, record: KycTransactionEvent, source: EventSource | str
) -> KycTransaction:
    key = face_key_for(kyc.merchant_user_id)
    others = [match for match in search.matches if match.merchant_user_id != key]
    own = [match for match in search.matches if match.merchant_user_id == key]
    if others:
        status, message = FaceStatus.DUPLICATE, f"{len(others)} other account(s) hold this face"
    elif search.registered or own:
        status, message = FaceStatus.REGISTERED, "registered" if search.registered else "already registered"
    else:
        status, message = FaceStatus.NOT_REGISTERED, f"not registered (SubCode {search.sub_code or '-'})"
    with transaction.atomic():
        record.save()
        moved = _settle_row(kyc, status, source, message)
        if moved and status == FaceStatus.REGISTERED:
            _keep_face_record(kyc, search.registration_id or (own[0].face_id if own else ""))
        if moved and others:
            matched = _record_duplicates(kyc, others)
            transaction.on_commit(
                lambda: signals.duplicate_person_found.send(sender=KycTransaction, transaction=kyc, matches=matched)
            )
    kyc.refresh_from_db()
    return kyc


def _settle(kyc: KycTransaction, status: str, source: EventSource | str, *, message: str) -> KycTransaction:
    with transaction.atomic():
        _settle_row(kyc, status, source, message)
    kyc.refresh_from_db()
    return kyc


def _settle_row(kyc: KycTransaction, status: str, source: EventSource | str, message: str) -> bool:
    """``checking`` -> the outcome, once: of two hosts that both searched (a lease ran out), one settles."""
    moved = KycTransaction.objects.filter(pk=kyc.pk, face_status=FaceStatus.CHECKING).update(
        face_status=status, next_check_at=None
    )
    if moved:
        ledger.record_event(kyc, EventKind.FACE, source, code=status, message=message)
    return bool(moved)


def _keep_face_record(kyc: KycTransaction, face_id: str) -> None:
    """The face now stands for this verification (a user who verified again keeps one face, the latest proof)."""
    FaceRecord.objects.update_or_create(
        account=kyc.account,
        face_group=str(ekyc_settings.FACE_LIBRARY),
        face_key=face_key_for(kyc.merchant_user_id),
        delete_requested_at=None,
        defaults={"user_id": kyc.user_id, "transaction": kyc, **({"face_id": face_id} if face_id else {})},
    )


def _record_duplicates(kyc: KycTransaction, matches: Iterable[FaceMatch]) -> list[KycTransaction]:
    """One row per other account whose face matched; the matching verifications, for the signal."""
    matched: list[KycTransaction] = []
    for match in matches:
        face = (
            FaceRecord.objects.present()
            .filter(account=kyc.account, face_group=match.face_group, face_key=match.merchant_user_id)
            .select_related("transaction")
            .first()
        )
        other = face.transaction if face is not None else None
        DuplicateMatch.objects.get_or_create(
            transaction=kyc,
            merchant_user_id=match.merchant_user_id,
            defaults={
                "face_record": face,
                "matched_transaction": other,
                "face_group": match.face_group,
                "face_id": match.face_id,
            },
        )
        if other is not None and other not in matched:
            matched.append(other)
    return matched


@dataclass
class FaceReport:
    """What one pass over the face library's to-do did."""

    registered: int = 0
    duplicates: int = 0
    failures: int = 0
    deleted: int = 0
    deletion_failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def register_pending_faces(*, batch_size: int = 50, now: datetime | None = None) -> FaceReport:
    """Retry the registrations a provider failure left pending (and those whose host died mid-search)."""
    now = now or timezone.now()
    report = FaceReport()
    waited = Q(next_check_at=None) | Q(next_check_at__lte=now)
    due = (Q(face_status=FaceStatus.PENDING) & waited) | Q(face_status=FaceStatus.CHECKING, next_check_at__lt=now)
    rows = KycTransaction.objects.filter(due, status=Status.PASSED).order_by("completed_at", "id")[:batch_size]
    with background_calls():
        for kyc in list(rows):
            try:
                kyc = register_face(kyc, None, source=EventSource.SYNC, now=now)
            except ProviderCallFailed as failure:
                if isinstance(failure.error, EkycRateLimited):
                    break
                report.failures += 1
                continue
            report.registered += kyc.face_status == FaceStatus.REGISTERED
            report.duplicates += kyc.face_status == FaceStatus.DUPLICATE
    return report


# -- deletion ------------------------------------------------------------------------------------------------


def forget_faces(records: Iterable[FaceRecord] | FaceRecord, *, reason: str) -> list[int]:
    """Mark faces for deletion at the provider (the site's copy of the fact stays); their ids."""
    ids = [records.pk] if isinstance(records, FaceRecord) else [record.pk for record in records]
    FaceRecord.objects.filter(pk__in=ids, delete_requested_at=None).update(
        delete_requested_at=timezone.now(), delete_reason=reason
    )
    return ids


def forget_user_faces(sender: object, instance: object, **kwargs: object) -> None:
    """``pre_delete`` of the user model: the user's faces leave the provider's library once the deletion
    commits (and stay pending, retried by ``ekyc_purge``, if the provider cannot be reached then)."""
    user_id = getattr(instance, "pk", None)
    if user_id is None:
        return
    ids = forget_faces(FaceRecord.objects.present().filter(user_id=user_id), reason="user_deleted")
    if ids:
        transaction.on_commit(lambda: _delete_quietly(ids))


def _delete_quietly(ids: list[int]) -> None:
    try:
        delete_pending_faces(ids)
    except Exception:
        logger.exception("eKYC faces of a deleted user could not be deleted now; ekyc_purge retries")


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
