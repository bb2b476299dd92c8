"""Deepfake screening of passed verifications (``DEEPFAKE_SCREENING``): flag, never fail.

A passed verification whose product shows a face is marked ``pending`` in the commit that completes it. The face is
then screened with ``DeepfakeDetectIntl`` (``FACE_DEEPFAKE``, where it runs in the verification's region): a check
from pictures at once, with the picture it already holds; a hosted one by a task or the next sync pass, which asks
the provider for the face again (pictures never travel through the task broker). The verdict is applied once: a
claim (``pending`` to ``screening``, with a lease for a host that dies) and a conditional update; a high or
suspicious risk sends ``deepfake_flagged`` after the commit. The verification's own status never changes.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from django_ekyc import signals
from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.catalogue.products import Channel
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycError, EkycNotCompleted, EkycPictureRejected
from django_ekyc.imaging import PictureProblem, imaging_available, prepare_picture
from django_ekyc.models import DeepfakeStatus, EventKind, EventSource, KycTransaction, Status
from django_ekyc.offering import account_region, get_product
from django_ekyc.results.pictures import PictureResult
from django_ekyc.services import ledger, review_rules

logger = logging.getLogger("django_ekyc.services")

SCREENING = next(check for check in PICTURE_CHECKS.values() if check.screens_deepfake)
LEASE = timedelta(minutes=10)
# The result's key of a face kept for a screening that failed (a check from pictures: no provider copy to ask).
KEPT_FACE = "screening_face"
RISKS = {"0": DeepfakeStatus.CLEAR, "1": DeepfakeStatus.FLAGGED, "2": DeepfakeStatus.SUSPICIOUS}
# Sent after the commit that marks a hosted verification for screening (the task layer may enqueue it).
deepfake_due = Signal()


def announce_screening(kyc: KycTransaction) -> None:
    if kyc.deepfake == DeepfakeStatus.PENDING:
        transaction.on_commit(lambda: deepfake_due.send(sender=KycTransaction, transaction=kyc))


def wants_screening(kyc: KycTransaction, passed: bool) -> bool:
    """Whether a verification completing with ``passed`` is to be screened: the setting, a face to screen (not the
    deepfake check itself, not a document reading), and the check offered in its region."""
    if not (ekyc_settings.DEEPFAKE_SCREENING and passed) or kyc.product_code == SCREENING.code:
        return False
    check = PICTURE_CHECKS.get(kyc.product_code)
    if check is not None and not any(picture.kind == "face" for picture in check.pictures):
        return False
    product = get_product(kyc.product_code)
    return product is not None and account_region(kyc.account) in SCREENING.regions


def screen(
    kyc: KycTransaction,
    *,
    face: str | None = None,
    source: EventSource | str = EventSource.SYNC,
    client: EkycClient | None = None,
    now: datetime | None = None,
) -> KycTransaction:
    """Screen one pending verification's face (base64 ``face``, else fetched again with CheckResult), once."""
    now = now or timezone.now()
    if not _claim(kyc, now):
        kyc.refresh_from_db()
        return kyc
    client = client or get_client(kyc.account)
    try:
        picture = face or _kept_face(kyc) or _fetch_face(kyc, source, client)
        prepared = _prepared(picture)
        if prepared is None:
            return _settle(kyc, DeepfakeStatus.UNSCREENED, None, source)
        result, record = ledger.recorded_call(
            kyc,
            SCREENING.operation,
            source,
            lambda: client.detect_deepfake(merchant_biz_id=uuid.uuid4().hex, face=prepared),
        )
    except EkycPictureRejected:
        return _settle(kyc, DeepfakeStatus.UNSCREENED, None, source)
    except EkycError:
        _release(kyc)  # the provider may answer later: the next pass tries again
        raise
    record.save()
    return _settle(kyc, RISKS.get(result.risk, DeepfakeStatus.UNSCREENED), result, source)


def screen_pending(*, limit: int = 50, now: datetime | None = None, client: EkycClient | None = None) -> int:
    """The background pass: screen pending verifications (and those whose host's lease ran out); returns how many
    were settled. A provider failure leaves one for the next pass."""
    now = now or timezone.now()
    done = 0
    for kyc in _due(now)[:limit]:
        try:
            screen(kyc, source=EventSource.SYNC, client=client, now=now)
        except EkycError as err:
            logger.warning("eKYC deepfake screening of %s left for later: %s", kyc.public_id, ledger.code_of(err))
            continue
        done += 1
    return done


def _due(now: datetime) -> Any:
    takeable = Q(deepfake=DeepfakeStatus.PENDING) | Q(deepfake=DeepfakeStatus.SCREENING, deepfake_at__lt=now - LEASE)
    rows = KycTransaction.objects.filter(takeable, status=Status.PASSED)
    return rows.order_by(F("deepfake_at").asc(nulls_first=True), "id")


def _claim(kyc: KycTransaction, now: datetime) -> bool:
    return bool(_due(now).filter(pk=kyc.pk).update(deepfake=DeepfakeStatus.SCREENING, deepfake_at=now))


def _release(kyc: KycTransaction) -> None:
    KycTransaction.objects.filter(pk=kyc.pk, deepfake=DeepfakeStatus.SCREENING).update(deepfake=DeepfakeStatus.PENDING)


def keep_face_for_screening(kyc: KycTransaction, face: str) -> None:
    """A check from pictures whose screening failed: an encrypted copy of its face (inside the result, so the
    retention purge removes it too) for the background pass, dropped once the screening is settled."""
    if isinstance(kyc.result, dict):
        kept = {**kyc.result, KEPT_FACE: face}
        KycTransaction.objects.filter(pk=kyc.pk, deepfake=DeepfakeStatus.PENDING).update(result=kept)


def _kept_face(kyc: KycTransaction) -> str | None:
    return str(kyc.result.get(KEPT_FACE) or "") or None if isinstance(kyc.result, dict) else None


def _fetch_face(kyc: KycTransaction, source: EventSource | str, client: EkycClient) -> str | None:
    """The face of a hosted verification, asked of the provider again; a check from pictures has none there (its
    TransactionId is the check's), nor one the provider has forgotten."""
    if kyc.channel == Channel.SERVER or not kyc.transaction_id:
        return None
    try:
        result, record = ledger.recorded_check_result(kyc, source, client, with_images=True)
    except EkycNotCompleted:
        return None
    except EkycError as err:
        if err.code == "TransactionIdInvalid":
            return None
        raise
    record.save()
    face = result.ext_face_info.get("faceImg") or result.ext_face_info.get("faceImage")
    return str(face) if face else None


def _prepared(picture: str | None) -> str | None:
    """The face as DeepfakeDetectIntl takes it (JPEG, within its size), or None when there is none to send."""
    if not picture or not imaging_available():
        return None
    try:
        data = base64.b64decode(picture, validate=True)
        return prepare_picture(data, SCREENING.limits).base64
    except (binascii.Error, ValueError, PictureProblem):
        return None


def _settle(
    kyc: KycTransaction, status: DeepfakeStatus, result: PictureResult | None, source: EventSource | str
) -> KycTransaction:
    values: dict[str, Any] = {"deepfake": status, "deepfake_at": timezone.now()}
    if isinstance(kyc.result, dict):
        stored = {name: part for name, part in kyc.result.items() if name != KEPT_FACE}  # a kept face goes now
        if result is not None:
            risk = {"risk": result.risk, "risk_tags": list(result.risk_tags), "risk_scores": dict(result.risk_scores)}
            stored["deepfake"] = risk
        values["result"] = stored
    with transaction.atomic():  # the flag, its history row and its event for other systems: one commit
        moved = KycTransaction.objects.filter(pk=kyc.pk, deepfake=DeepfakeStatus.SCREENING).update(
            **review_rules.with_review(values)
        )
        if moved:
            ledger.record_event(
                kyc, EventKind.FACE, source, action=SCREENING.operation, code=f"deepfake_{status or 'none'}"
            )
    kyc.refresh_from_db()
    if moved and status in (DeepfakeStatus.FLAGGED, DeepfakeStatus.SUSPICIOUS) and result is not None:
        ledger.send_on_commit(signals.deepfake_flagged, kyc, risk=result.risk, tags=list(result.risk_tags))
    return kyc
