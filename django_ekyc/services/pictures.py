"""Checks from the site's own pictures: one billed call, recorded like every verification.

:func:`run_picture_check` checks everything it can before anything is saved (the check is offered here, in this
region, the pictures are images within its limits, the consent the request carries is the current text), then,
in one commit, holds the user's daily budget, records the consent and opens the attempt; then it makes the one
call, outside any lock, and applies the verdict once through the ledger (``created`` to ``passed``, ``failed`` or
``error``). A picture the provider refuses fails the attempt with the provider's code.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from django_ekyc import signals
from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureCheck, PictureKind
from django_ekyc.catalogue.products import Channel
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import (
    CheckBudgetExhausted,
    EkycError,
    EkycPictureRejected,
    InvalidInput,
    ProviderCallFailed,
)
from django_ekyc.imaging import PictureProblem, PreparedPicture, prepare_picture
from django_ekyc.models import DeepfakeStatus, EventSource, KycTransaction, Purpose, Status
from django_ekyc.offering import account_region
from django_ekyc.results.pictures import PictureResult
from django_ekyc.services import deepfake, ledger
from django_ekyc.services.consent import ConsentText, check_consent, record_consent
from django_ekyc.services.identity import stored_picture_result
from django_ekyc.services.site import hash_token, merchant_user_id_for

logger = logging.getLogger("django_ekyc.services")
BUDGET_WINDOW = timedelta(hours=24)
# (the client, the prepared pictures, the attempt) -> the provider's answer: one call, or a step-up's several.
Call = Callable[[EkycClient, Mapping[str, PreparedPicture], KycTransaction], PictureResult]


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


def offered_check(code: str) -> PictureCheck:
    """The check ``code``, if the site offers it (``PICTURE_CHECKS``) and the catalogue knows it."""
    check = PICTURE_CHECKS.get(code)
    if check is None or code not in ekyc_settings.PICTURE_CHECKS:
        offered = ", ".join(ekyc_settings.PICTURE_CHECKS) or _("none")
        raise InvalidInput("check", "check_not_offered", _("This site offers no such check (it offers: %s).") % offered)
    return check


def prepared_pictures(check: PictureCheck, pictures: Mapping[str, bytes]) -> dict[str, PreparedPicture]:
    """Each picture the check takes, decoded and checked; the first problem is refused under its field."""
    prepared = {}
    for picture in check.pictures:
        data = pictures.get(picture.name)
        if not data:
            raise InvalidInput(picture.name, "picture_required", _("This check needs this picture."))
        try:
            prepared[picture.name] = prepare_picture(data, check.limits)
        except PictureProblem as problem:
            raise InvalidInput(picture.name, problem.code, problem.message) from problem
    return prepared


def plan_check(
    *,
    user: AbstractBaseUser,
    check_code: str,
    pictures: Mapping[str, bytes],
    consent_version: str,
    doc_type: str = "",
    account: str = "",
) -> CheckPlan:
    """Everything a check needs, validated before anything is saved or sent."""
    check = offered_check(check_code)
    if account_region(account) not in check.regions:
        raise InvalidInput("check", "check_not_in_region", _("This check is not offered in the site's region."))
    if check.doc_types and doc_type not in check.doc_types:
        raise InvalidInput("doc_type", "unknown_doc_type", _("This check does not read this kind of document."))
    if not check.doc_types and doc_type:
        raise InvalidInput("doc_type", "doc_type_not_applicable", _("This check reads no document."))
    consent = check_consent(check.consent_purpose, consent_version)
    return CheckPlan(check, user, account, prepared_pictures(check, pictures), consent, doc_type)


def run_picture_check(
    *,
    user: AbstractBaseUser,
    check_code: str,
    pictures: Mapping[str, bytes],
    consent_version: str,
    doc_type: str = "",
    account: str = "",
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Run one check from pictures (raw bytes, by the names of its entry: ``face``, ``reference``, ``document``).

    ``consent_version`` is the version of the consent text the user agreed to in this request (their own act).
    Raises :class:`~django_ekyc.exceptions.InvalidInput` before anything is saved or sent,
    :class:`~django_ekyc.exceptions.CheckBudgetExhausted` when the user's daily budget is spent (nothing saved),
    and :class:`~django_ekyc.exceptions.ProviderCallFailed` with the attempt (``failed`` with the provider's code
    when it refused a picture, else ``error``)."""
    plan = plan_check(
        user=user,
        check_code=check_code,
        pictures=pictures,
        consent_version=consent_version,
        doc_type=doc_type,
        account=account,
    )
    return execute(plan, single_call, source=source, client=client)


def single_call(client: EkycClient, pictures: Mapping[str, PreparedPicture], kyc: KycTransaction) -> PictureResult:
    return client.check_pictures(
        kyc.product_code,
        merchant_biz_id=kyc.merchant_biz_id,
        merchant_user_id=kyc.merchant_user_id,
        pictures={name: picture.base64 for name, picture in pictures.items()},
        doc_type=kyc.doc_type,
        options=ekyc_settings.PICTURE_CHECK_OPTIONS.get(kyc.product_code),
    )


def execute(
    plan: CheckPlan,
    call: Call,
    *,
    verdict: Callable[[KycTransaction, PictureResult], tuple[bool, str]] | None = None,
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Open the attempt (budget, consent, row: one commit), make the call, apply the verdict once."""
    kyc = open_check(plan)
    client = client or get_client(kyc.account)
    try:
        result, record = ledger.recorded_call(
            kyc, plan.check.operation, source, lambda: call(client, plan.pictures, kyc)
        )
    except EkycError as err:
        raise _failed(kyc, err, source) from err
    passed, error_code = (verdict or check_verdict)(kyc, result)
    screening = {"deepfake": DeepfakeStatus.PENDING} if deepfake.wants_screening(kyc, passed) else {}
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
    )
    if changed:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=passed)
    if changed and screening:
        screen_now(kyc, plan, source, client)
    return kyc


def screen_now(kyc: KycTransaction, plan: CheckPlan, source: EventSource | str, client: EkycClient) -> None:
    """The deepfake screening of a passed check, with the face it holds (no broker, no second fetch); a provider
    failure leaves it pending for the background pass, and never fails the check."""
    face = next((plan.pictures[p.name] for p in plan.check.pictures if p.kind == PictureKind.FACE), None)
    try:
        deepfake.screen(kyc, face=face.base64 if face else None, source=source, client=client)
    except EkycError as err:
        logger.warning("eKYC deepfake screening of %s left for later: %s", kyc.public_id, ledger.code_of(err))


def open_check(plan: CheckPlan) -> KycTransaction:
    """In one commit: the user's budget held (their row locked, so two requests cannot both take the last
    check), the consent recorded, the attempt saved, before the provider is called."""
    with transaction.atomic():
        _hold_budget(plan.user)
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


def _hold_budget(user: AbstractBaseUser) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    limit = ekyc_settings.PICTURE_CHECK_DAILY_LIMIT
    since = timezone.now() - BUDGET_WINDOW
    used = KycTransaction.objects.filter(user_id=user.pk, channel=Channel.SERVER.value, created_at__gte=since)
    if used.count() >= limit:
        raise CheckBudgetExhausted(limit)


def _failed(kyc: KycTransaction, err: EkycError, source: EventSource | str) -> ProviderCallFailed:
    """A picture refused is the check's answer (``failed``, the provider's code); anything else an ``error``."""
    refused = isinstance(err, EkycPictureRejected)
    kyc, changed = ledger.transition(
        kyc,
        Status.FAILED if refused else Status.ERROR,
        source,
        from_status=Status.CREATED,
        passed=False if refused else None,
        error_code=ledger.code_of(err),
        error_message=err.message[: ledger.MESSAGE_LENGTH],
    )
    if changed and refused:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=False)
    return ProviderCallFailed(kyc, err)


def check_verdict(kyc: KycTransaction, result: PictureResult) -> tuple[bool, str]:
    """(passed, this app's code for why not): the provider's verdict, explained by what the check looks at."""
    check = PICTURE_CHECKS[kyc.product_code]
    if result.passed:
        return True, ""
    if check.screens_deepfake:
        return False, "deepfake_suspected"
    if check.checks_liveness and result.attacked:
        return False, "liveness_failed"
    if check.compares_faces and result.comparison_score is not None and not check.reads_document:
        return False, "faces_differ"
    return False, ""


def identity_of(kyc: KycTransaction) -> Mapping[str, Any]:
    """What a reading check found on the document, for its user: the normalised facts, never the images."""
    facts = kyc.document
    return {name: value for name, value in vars(facts).items() if value} if kyc.ocr_fields else {}
