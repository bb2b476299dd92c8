"""The face work after a passed document verification: compare it with the user's reference face, search the
site's face library (``FACE_LIBRARY``) for other accounts, and register the face when it becomes the reference.

The rule it applies is :mod:`~django_ekyc.services.references`'. The work runs once per verification, claimed with
a conditional UPDATE (``pending`` -> ``checking``) and settled with another (``checking`` -> the outcome), so two
hosts, a task and a sync pass never search twice for the same verification nor send a signal twice. It runs in the
task worker (:func:`django_ekyc.tasks.settle_face`) or, without one, in background sync: never in the request
that completed the verification, so no user waits for the library.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from django_ekyc import signals
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycBadRequest, EkycError, EkycNotCompleted, EkycRateLimited, ProviderCallFailed
from django_ekyc.models import (
    REFERENCE_STATUSES,
    EventKind,
    EventSource,
    FaceStatus,
    KycTransaction,
    KycTransactionEvent,
    Purpose,
    Status,
)
from django_ekyc.ratelimit import background_calls
from django_ekyc.results import FaceSearchResult, VerificationResult
from django_ekyc.services import duplicates, ledger, references, review_rules
from django_ekyc.services.face_deletion import FaceReport
from django_ekyc.services.references import face_key_for

logger = logging.getLogger("django_ekyc.services")

# A claimed settlement is left alone by other hosts this long, even if its host dies mid-search.
FACE_LEASE = timedelta(minutes=5)
# After a provider failure that may pass (throttling, an outage), the next attempt waits this long.
FACE_RETRY = timedelta(minutes=5)
# Sent (sender=KycTransaction, transaction=...) after the commit that left a verification's face work pending:
# the task layer enqueues it on a worker; without one, background sync does it.
face_work_due = Signal()


def wants_face_image(kyc: KycTransaction) -> bool:
    """Whether CheckResult must return the images: for the face work after a document verification. The face is
    kept encrypted until that work is done (for good only as a kept reference face), so that the work costs the
    provider's quota no second CheckResult; the stored result keeps images only with ``STORE_IMAGES``."""
    return references.face_work_needed(kyc)


def completion_fields(kyc: KycTransaction, result: VerificationResult) -> dict[str, Any]:
    """What a passed verification's completion writes besides the result, in the same UPDATE as the state change:
    the kept reference face, and the face work to do (or, with nothing to compare, the first reference)."""
    if not result.passed or kyc.purpose != Purpose.VERIFY or not references.face_work_needed(kyc):
        return {}
    fields: dict[str, object] = {"face_status": FaceStatus.PENDING, "next_check_at": None}
    if result.face_image:
        fields["reference_face"] = {"image": result.face_image}
        fields.update(references.first_reference_fields(kyc))
    return fields


def announce_face_work(kyc: KycTransaction) -> None:
    """After the commit, say that a verification's face work is due (the task layer may enqueue it)."""
    if kyc.face_status == FaceStatus.PENDING:
        transaction.on_commit(lambda: face_work_due.send(sender=KycTransaction, transaction=kyc))


# -- the face work ---------------------------------------------------------------------------------------------


def settle_face(
    kyc: KycTransaction,
    face_image: str | None = None,
    *,
    source: EventSource | str,
    client: EkycClient | None = None,
    now: datetime | None = None,
) -> KycTransaction:
    """Compare a passed verification's face with the user's reference, search the library, settle the outcome.

    Once, whoever calls. Without a picture the face is fetched again with CheckResult. A provider failure that may
    pass leaves it ``pending``, for :func:`settle_pending_faces` to retry after ``FACE_RETRY``; a refusal (a
    library that does not exist, a picture it rejects) settles it as not registered, since asking again would be
    refused again.
    """
    now = now or timezone.now()
    if not _claim(kyc, now):
        kyc.refresh_from_db()
        return kyc
    if kyc.user_id is None:  # the person was erased meanwhile: no face of theirs goes into the library
        return _settle(kyc, FaceStatus.NOT_REGISTERED, source, "The user was erased.", [])
    client = client or get_client(kyc.account)
    try:
        image = face_image or references.kept_picture(kyc) or _fetch_face_image(kyc, source, client)
        if not image:
            return _settle(kyc, FaceStatus.NO_FACE, source, "The result holds no face picture.", [])
        outcome = _compare(kyc, image, source, client)
    except EkycBadRequest as err:
        return _settle(kyc, FaceStatus.NOT_REGISTERED, source, f"refused: {ledger.code_of(err)}", [])
    except EkycError as err:
        _unclaim(kyc, now + FACE_RETRY)
        raise ProviderCallFailed(kyc, err) from err
    return _apply(kyc, outcome, source)


class _Outcome:
    """What the provider said of a face: its search (if any), whether it is the reference's person, the calls."""

    def __init__(self, reference: references.Reference | None, blocked: bool) -> None:
        self.reference, self.blocked = reference, blocked
        self.search: FaceSearchResult | None = None
        self.same_person: bool | None = None
        self.records: list[KycTransactionEvent] = []


def _compare(kyc: KycTransaction, image: str, source: EventSource | str, client: EkycClient) -> _Outcome:
    reference = references.current_reference(kyc.user_id, other_than=kyc)
    blocked = (reference is not None and not reference.trusted) or (
        reference is None and references.has_untrusted_reference(kyc)
    )
    outcome = _Outcome(reference, blocked)
    library = ekyc_settings.FACE_LIBRARY
    if library:
        # Registered only as a first reference: the provider registers a face only when it finds nobody, and a
        # later face must first prove to be the reference's person (UpdateFaceIfUserExists is never sent).
        register = reference is None and not blocked
        outcome.search, record = ledger.recorded_call(
            kyc, "FaceVerifyIntl", source, _search(kyc, image, client, register)
        )
        outcome.records.append(record)
    if reference is None or blocked:
        return outcome
    if reference.library_face is not None and outcome.search is not None:
        own = face_key_for(kyc.merchant_user_id)
        outcome.same_person = any(match.merchant_user_id == own for match in outcome.search.matches)
    elif reference.picture:
        compare = functools.partial(
            client.compare_faces,
            merchant_biz_id=kyc.merchant_biz_id,
            face_picture=image,
            reference_picture=reference.picture,
        )
        compared, record = ledger.recorded_call(kyc, "FaceVerifyIntl", source, compare)
        outcome.same_person = compared.passed
        outcome.records.append(record)
    return outcome


def _search(kyc: KycTransaction, image: str, client: EkycClient, register: bool) -> Any:
    library = str(ekyc_settings.FACE_LIBRARY)
    return functools.partial(
        client.search_face,
        merchant_biz_id=kyc.merchant_biz_id,
        merchant_user_id=face_key_for(kyc.merchant_user_id),
        face_picture=image,
        face_groups=[library],
        register_into=library if register else None,
    )


def _verdict(kyc: KycTransaction, outcome: _Outcome) -> tuple[str, str]:
    """The face status a settled comparison leads to, and why (for the history)."""
    search, reference = outcome.search, outcome.reference
    own = face_key_for(kyc.merchant_user_id)
    others = [match for match in (search.matches if search else ()) if match.merchant_user_id != own]
    if others:
        return FaceStatus.DUPLICATE, f"{len(others)} other account(s) hold this face"
    if outcome.blocked:
        return FaceStatus.REFERENCE_CONFLICT, "the user's reference face awaits a staff decision"
    if reference is None:
        if search is None:
            return FaceStatus.REFERENCE, "the user's first reference face"
        if search.registered or any(match.merchant_user_id == own for match in search.matches):
            return FaceStatus.REGISTERED, "registered" if search.registered else "already registered"
        return FaceStatus.NOT_REGISTERED, f"not registered (SubCode {search.sub_code or '-'})"
    if not outcome.same_person:
        return FaceStatus.REFERENCE_CONFLICT, f"not the person of the reference ({reference.transaction.public_id})"
    if references.same_document(kyc, reference.transaction) is False:
        return (
            FaceStatus.DOCUMENT_CONFLICT,
            f"another document than the reference's ({reference.transaction.public_id})",
        )
    return FaceStatus.REFERENCE, f"the same person as the reference ({reference.transaction.public_id})"


def _apply(kyc: KycTransaction, outcome: _Outcome, source: EventSource | str) -> KycTransaction:
    status, message = _verdict(kyc, outcome)
    with transaction.atomic():
        moved = _settle_row(kyc, status, source, message, outcome.records)
        if moved:
            _after_settling(kyc, status, outcome)
    kyc.refresh_from_db()
    return kyc


def _after_settling(kyc: KycTransaction, status: str, outcome: _Outcome) -> None:
    """The consequences of a settled comparison, in its commit: the library's record, the flags, the signals."""
    search, reference = outcome.search, outcome.reference
    if status == FaceStatus.REGISTERED:
        duplicates.keep_face_record(kyc, search.registration_id if search else "")
    elif status == FaceStatus.REFERENCE and reference is not None and reference.library_face is not None:
        duplicates.move_face_record(reference.library_face, kyc)  # the same face now stands for the newer proof
    elif status == FaceStatus.DUPLICATE and search is not None:
        duplicates.flag_duplicates(kyc, search)
    elif status in (FaceStatus.REFERENCE_CONFLICT, FaceStatus.DOCUMENT_CONFLICT):
        held = reference.transaction if reference is not None else None
        transaction.on_commit(
            lambda: signals.reference_face_conflict.send(
                sender=KycTransaction, transaction=kyc, reference=held, reason=status
            )
        )


def _claim(kyc: KycTransaction, now: datetime) -> bool:
    """Take the face work: ``pending``, or ``checking`` whose host's lease ran out."""
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


def _settle(
    kyc: KycTransaction, status: str, source: EventSource | str, message: str, records: list[KycTransactionEvent]
) -> KycTransaction:
    with transaction.atomic():
        _settle_row(kyc, status, source, message, records)
    kyc.refresh_from_db()
    return kyc


def _settle_row(
    kyc: KycTransaction, status: str, source: EventSource | str, message: str, records: list[KycTransactionEvent]
) -> bool:
    """``checking`` -> the outcome, once: of two hosts that both searched (a lease ran out), one settles. The
    provider calls that led here are recorded either way."""
    for record in records:
        record.save()
    values: dict[str, Any] = {"face_status": status, "next_check_at": None}
    if status in REFERENCE_STATUSES:
        values["reference_at"] = timezone.now()
    if not references.keeps_reference_face(kyc):
        values["reference_face"] = None  # the face was kept for this work only
    moved = KycTransaction.objects.filter(pk=kyc.pk, face_status=FaceStatus.CHECKING).update(
        **review_rules.with_review(values)
    )
    if moved:
        ledger.record_event(kyc, EventKind.FACE, source, code=status, message=message)
    return bool(moved)


def settle_pending_faces(*, batch_size: int = 50, now: datetime | None = None) -> FaceReport:
    """The face work no task did: left pending (no task worker, a provider failure), or whose host died."""
    now = now or timezone.now()
    report = FaceReport()
    waited = Q(next_check_at=None) | Q(next_check_at__lte=now)
    due = (Q(face_status=FaceStatus.PENDING) & waited) | Q(face_status=FaceStatus.CHECKING, next_check_at__lt=now)
    rows = KycTransaction.objects.filter(due, status=Status.PASSED).order_by("completed_at", "id")[:batch_size]
    with background_calls():
        for kyc in list(rows):
            try:
                kyc = settle_face(kyc, source=EventSource.SYNC, now=now)
            except ProviderCallFailed as failure:
                if isinstance(failure.error, EkycRateLimited):
                    break
                report.failures += 1
                continue
            report.registered += kyc.face_status in REFERENCE_STATUSES
            report.duplicates += kyc.face_status == FaceStatus.DUPLICATE
            report.conflicts += kyc.face_status in (FaceStatus.REFERENCE_CONFLICT, FaceStatus.DOCUMENT_CONFLICT)
    return report
