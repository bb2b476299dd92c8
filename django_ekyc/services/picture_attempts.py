"""The attempt of a check from pictures: opened with the user's budget and consent in one commit, its calls
recorded, closed once, whatever goes wrong between.

Used by every check from pictures (:mod:`~django_ekyc.services.pictures`, the step-up, the library search): the
attempt is saved before the provider is called; any failure after that closes it (``failed`` for a picture the
provider refused, ``error`` otherwise, ``not_sent`` when the site's own limit kept the call from leaving, which the
budget does not count) and never leaves it ``created``.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from django_ekyc import signals
from django_ekyc.catalogue.pictures import PictureCheck, PictureKind
from django_ekyc.catalogue.products import Channel
from django_ekyc.client import EkycClient
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import (
    CheckBudgetExhausted,
    EkycError,
    EkycPictureRejected,
    EkycRateLimited,
    ProviderCallFailed,
)
from django_ekyc.imaging import PreparedPicture
from django_ekyc.models import DeepfakeStatus, EventSource, KycTransaction, KycTransactionEvent, Purpose, Status
from django_ekyc.results.pictures import PictureResult
from django_ekyc.services import deepfake, ledger
from django_ekyc.services.consent import ConsentText, record_consent
from django_ekyc.services.identity import stored_picture_result
from django_ekyc.services.site import hash_token, merchant_user_id_for

logger = logging.getLogger("django_ekyc.services")
T = TypeVar("T")
BUDGET_WINDOW = timedelta(hours=24)
# The code of an attempt whose call never left (the site's own rate limit): the daily budget does not count it.
NOT_SENT = "not_sent"


@dataclass(frozen=True)
class CheckPlan:
    """A check validated and ready: what it is, for whom, with which pictures, under which consent text."""

    check: PictureCheck
    user: AbstractBaseUser
    account: str
    pictures: Mapping[str, PreparedPicture]
    consent: ConsentText
    doc_type: str = ""
    purpose: str = Purpose.VERIFY
    reverify_of: KycTransaction | None = None


def checks_used(user: AbstractBaseUser) -> int:
    """The user's checks from pictures in the last 24 hours that reached (or may have reached) the provider."""
    since = timezone.now() - BUDGET_WINDOW
    rows = KycTransaction.objects.filter(user_id=user.pk, channel=Channel.SERVER.value, created_at__gte=since)
    return rows.exclude(error_code=NOT_SENT).count()


def refuse_when_spent(user: AbstractBaseUser) -> None:
    """The budget, read without a lock: spent, and nothing is decoded or saved (the commit holds it for real)."""
    if checks_used(user) >= ekyc_settings.PICTURE_CHECK_DAILY_LIMIT:
        raise CheckBudgetExhausted(ekyc_settings.PICTURE_CHECK_DAILY_LIMIT)


def open_check(plan: CheckPlan) -> KycTransaction:
    """In one commit: the user's budget held (their row locked, so two requests cannot both take the last
    check), the consent recorded, the attempt saved, before the provider is called."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=plan.user.pk).exists()
        refuse_when_spent(plan.user)
        consent = record_consent(plan.user, plan.consent, plan.check.code)
        return ledger.open_attempt(
            user=plan.user,
            account=plan.account,
            product_code=plan.check.code,
            channel=Channel.SERVER.value,
            purpose=plan.purpose,
            reverify_of=plan.reverify_of,
            merchant_biz_id=uuid.uuid4().hex,
            merchant_user_id=merchant_user_id_for(plan.user),
            doc_type=plan.doc_type,
            consent=consent,
            options=dict(ekyc_settings.PICTURE_CHECK_OPTIONS.get(plan.check.code) or {}),
            return_token_hash=hash_token(secrets.token_urlsafe(32)),  # no return page: a token nobody holds
        )


def recorded(
    kyc: KycTransaction, action: str, source: EventSource | str, call: Callable[[], T]
) -> tuple[T, KycTransactionEvent]:
    """One provider call of an open attempt (:func:`~django_ekyc.services.ledger.recorded_call`); a failure closes
    the attempt and raises :class:`~django_ekyc.exceptions.ProviderCallFailed`, an unexpected one closes it too."""
    try:
        return ledger.recorded_call(kyc, action, source, call)
    except EkycError as err:
        raise failed(kyc, err, source) from err
    except Exception:
        ledger.transition(kyc, Status.ERROR, source, from_status=Status.CREATED, error_code="internal_error")
        raise


def failed(kyc: KycTransaction, err: EkycError, source: EventSource | str) -> ProviderCallFailed:
    """A picture refused is the check's answer (``failed``, the provider's code); the site's own limit an ``error``
    that was never sent (``not_sent``); anything else an ``error`` with the provider's code."""
    refused = isinstance(err, EkycPictureRejected)
    code = NOT_SENT if isinstance(err, EkycRateLimited) else ledger.code_of(err)
    kyc, changed = ledger.transition(
        kyc,
        Status.FAILED if refused else Status.ERROR,
        source,
        from_status=Status.CREATED,
        passed=False if refused else None,
        error_code=code,
        error_message=err.message[: ledger.MESSAGE_LENGTH],
    )
    if changed and refused:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=False)
    return ProviderCallFailed(kyc, err)


def complete(
    kyc: KycTransaction,
    plan: CheckPlan,
    result: PictureResult,
    record: KycTransactionEvent,
    verdict: tuple[bool, str],
    *,
    source: EventSource | str,
    client: EkycClient,
    fields: Mapping[str, Any] | None = None,
    after: Callable[[KycTransaction], None] | None = None,
) -> KycTransaction:
    """Apply the verdict once (``created`` to ``passed`` or ``failed``), in one commit with ``after``'s writes;
    the completion signal after it; a passed face then screened for deepfakes with the picture at hand."""
    passed, error_code = verdict
    screening = {"deepfake": DeepfakeStatus.PENDING} if deepfake.wants_screening(kyc, passed) else {}
    with transaction.atomic():
        kyc, changed = ledger.transition(
            kyc,
            Status.PASSED if passed else Status.FAILED,
            source,
            record=record,
            from_status=Status.CREATED,
            passed=passed,
            sub_code=result.sub_code,
            error_code=error_code,
            transaction_id=result.transaction_id or None,
            result=stored_picture_result(result, plan.pictures),
            **screening,
            **(fields or {}),
        )
        if changed and after is not None:
            after(kyc)
    if changed:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=passed)
    if changed and screening:
        screen_now(kyc, plan, source, client)
    return kyc


def screen_now(kyc: KycTransaction, plan: CheckPlan, source: EventSource | str, client: EkycClient) -> None:
    """The deepfake screening of a passed check, with the face it holds (no broker, no second fetch). A provider
    failure keeps an encrypted copy of the face for the background pass (dropped once screened, or purged with
    the result), and never fails the check."""
    face = next((plan.pictures[p.name] for p in plan.check.pictures if p.kind == PictureKind.FACE), None)
    try:
        deepfake.screen(kyc, face=face.base64 if face else None, source=source, client=client)
    except EkycError as err:
        logger.warning("eKYC deepfake screening of %s left for later: %s", kyc.public_id, ledger.code_of(err))
        if face is not None:
            deepfake.keep_face_for_screening(kyc, face.base64)
