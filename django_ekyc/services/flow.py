"""The verification flow: start a verification, then learn its outcome from the provider (refresh, the
return page, the callback). Every write goes through :mod:`~django_ekyc.services.ledger`."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_ekyc import signals
from django_ekyc.catalogue.products import Channel
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import (
    CallbackTokenMismatch,
    EkycError,
    EkycNotCompleted,
    ProviderCallFailed,
    TransactionNotFound,
)
from django_ekyc.models import (
    DeepfakeStatus,
    EventSource,
    KycTransaction,
    KycTransactionEvent,
    Purpose,
    ReviewRule,
    Status,
)
from django_ekyc.offering import account_region, get_product
from django_ekyc.results import VerificationResult
from django_ekyc.services import deepfake, faces, ledger, references, review_rules
from django_ekyc.services.identity import stored_result
from django_ekyc.services.site import callback_url_for, hash_token, merchant_user_id_for
from django_ekyc.validation import (
    validate_channel,
    validate_doc_type,
    validate_meta_info,
    validate_options,
    validate_product,
    validate_region,
    validate_scene_code,
)

logger = logging.getLogger("django_ekyc.services")

# The code EkycClient.check_result raises with for Passed=P: the verdict is pending, updated to Y or N later.
PENDING_VERDICT = "Passed.P"

# Checks a person prompts (the refresh endpoint, the return page) are gated per transaction; the provider's
# callback, sync and staff are not: they are rare, and each one may be the one that completes it.
GATED_SOURCES = frozenset({EventSource.API, EventSource.RETURN})


@dataclass(frozen=True)
class Started:
    """A started verification, with what the user's device needs to go on; none of it is stored.

    A browser goes to ``transaction_url`` (single-use: hand it over once). An app passes the transaction's
    ``transaction_id`` and ``protocol`` (and ``client_cfg`` where the provider gives one) to the app SDK's
    ``verify``.
    """

    transaction: KycTransaction
    transaction_url: str
    protocol: str | None = None
    client_cfg: str | None = None


def start_verification(
    *,
    user: AbstractBaseUser,
    meta_info: str,
    build_url: Callable[[str], str],
    doc_type: str = "",
    product_code: str = "",
    channel: str = "",
    scene_code: str = "",
    options: Mapping[str, Any] | None = None,
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
    account: str = "",
) -> Started:
    """Validate, save the attempt, call Initialize, and record the outcome.

    ``product_code`` is one of the site's ``PRODUCTS`` (empty: the first); ``doc_type`` is required
    where that product reads a document, in the account's region; ``channel`` (``web`` or ``app``) defaults to
    what the MetaInfo says. Raises :class:`~django_ekyc.exceptions.InvalidInput` before anything is saved or
    sent, and :class:`~django_ekyc.exceptions.ProviderCallFailed` (with the transaction, now in ``error``) when
    the provider refuses or cannot be reached.
    """
    product = validate_product(product_code)
    region = account_region(account)  # an unknown account fails here, before anything is saved
    validate_region(product, region)
    doc_type = validate_doc_type(doc_type, product, region)
    meta = validate_meta_info(meta_info)
    device = validate_channel(channel, meta)
    scene_code = validate_scene_code(scene_code)
    params = validate_options(options, product=product)
    return open_and_initialize(
        Attempt(user=user, account=account, product_code=product.code, channel=device, doc_type=doc_type),
        meta_info=meta.text,
        build_url=build_url,
        scene_code=scene_code,
        options=params,
        source=source,
        client=client,
    )


@dataclass(frozen=True)
class Attempt:
    """What a new attempt is, decided and validated by the caller (a verification or a re-verification)."""

    user: AbstractBaseUser
    account: str
    product_code: str
    channel: Channel
    doc_type: str = ""
    purpose: str = Purpose.VERIFY
    reverify_of: KycTransaction | None = None


def open_and_initialize(
    attempt: Attempt,
    *,
    meta_info: str,
    build_url: Callable[[str], str],
    scene_code: str = "",
    options: Mapping[str, str] | None = None,
    provider_parameters: Mapping[str, str] | None = None,
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> Started:
    """Save the attempt, call Initialize, and record the outcome.

    ``options`` are the site's Initialize options and are stored with the attempt; ``provider_parameters``
    (a reference face, a face library) are sent but never stored.
    """
    params = dict(options or {})
    client = client or get_client(attempt.account)
    return_token, callback_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    kyc = ledger.open_attempt(
        user=attempt.user,
        account=attempt.account,
        product_code=attempt.product_code,
        channel=attempt.channel.value,
        purpose=attempt.purpose,
        reverify_of=attempt.reverify_of,
        merchant_biz_id=uuid.uuid4().hex,
        merchant_user_id=merchant_user_id_for(attempt.user),
        doc_type=attempt.doc_type,
        scene_code=scene_code,
        options=params,
        return_token_hash=hash_token(return_token),
        callback_token_hash=hash_token(callback_token),
    )
    callback_url = callback_url_for(build_url)
    web = attempt.channel is Channel.WEB
    sent = {
        **params,
        **(provider_parameters or {}),
        "DocType": attempt.doc_type,
        # An app gets no redirect: the app SDK hands the result to the app, which asks us (refresh).
        "ReturnUrl": build_url(reverse("django_ekyc:return", args=[return_token])) if web else "",
        "SceneCode": scene_code,
        "CallbackUrl": callback_url or "",
        "CallbackToken": callback_token if callback_url else "",
    }
    try:
        started, record = ledger.recorded_call(
            kyc,
            "Initialize",
            source,
            lambda: client.initialize(
                product_code=attempt.product_code,
                merchant_biz_id=kyc.merchant_biz_id,
                merchant_user_id=kyc.merchant_user_id,
                meta_info=meta_info,
                channel=attempt.channel,
                parameters={name: value for name, value in sent.items() if value},
            ),
        )
    except EkycError as err:
        kyc, _ = ledger.transition(
            kyc, Status.ERROR, source, error_code=ledger.code_of(err), error_message=err.message[:500]
        )
        raise ProviderCallFailed(kyc, err) from err
    first_check = timezone.now() + timedelta(seconds=ekyc_settings.SYNC_INTERVAL)
    kyc, changed = ledger.transition(
        kyc, Status.INITIALIZED, source, record=record, transaction_id=started.transaction_id, next_check_at=first_check
    )
    if changed:
        ledger.send_on_commit(signals.verification_started, kyc)
    return Started(kyc, started.transaction_url, started.protocol, started.client_cfg)


def refresh(
    kyc: KycTransaction,
    *,
    source: EventSource | str = EventSource.REFRESH,
    client: EkycClient | None = None,
    claimed: bool = False,
) -> KycTransaction:
    """Ask the provider (CheckResult, with the stored ids) and apply its answer once.

    A transaction that is final, or not yet initialized, is returned as it is; so is one whose user
    prompted a check less than ``REFRESH_MIN_INTERVAL`` seconds after the last one (no call, no history
    row), so that nobody can spend the site's provider quota by hammering one transaction.
    ``ProcessNotCompleted`` leaves it waiting; ``TransactionIdInvalid`` expires it (the provider no longer
    knows it). Other failures raise :class:`~django_ekyc.exceptions.ProviderCallFailed` and leave the state.

    ``claimed`` is for background sync, whose claim has just read the row and noted the check: no second read.
    """
    if not claimed:
        kyc.refresh_from_db()
    if kyc.status != Status.INITIALIZED or not kyc.transaction_id:
        return kyc
    gate = ekyc_settings.REFRESH_MIN_INTERVAL if source in GATED_SOURCES else 0
    if not claimed and not ledger.take_check_slot(kyc, min_interval=gate):
        return kyc
    client = client or get_client(kyc.account)
    try:
        # Images when a reference face is kept (the library's face work fetches its own); stored only with
        # STORE_IMAGES.
        images = ekyc_settings.STORE_IMAGES or faces.wants_face_image(kyc)
        result, record = ledger.recorded_check_result(kyc, source, client, with_images=images)
    except EkycNotCompleted as pending:
        if pending.code == PENDING_VERDICT:  # the provider has the answer but not the verdict: a person may decide
            review_rules.enter_review(kyc, ReviewRule.PENDING)
        return kyc
    except EkycError as err:
        if err.code == "TransactionIdInvalid":
            kyc, _ = ledger.transition(
                kyc, Status.EXPIRED, source, error_code=err.code, error_message=err.message[:500]
            )
            return kyc
        raise ProviderCallFailed(kyc, err) from err
    return _complete(kyc, result, source, record)


def _complete(
    kyc: KycTransaction, result: VerificationResult, source: EventSource | str, record: KycTransactionEvent
) -> KycTransaction:
    passed, error_code = result.passed, ""
    if kyc.purpose == Purpose.REVERIFY:
        passed, error_code = same_person(kyc, result)
    screening = {"deepfake": DeepfakeStatus.PENDING} if deepfake.wants_screening(kyc, passed) else {}
    kyc, changed = ledger.transition(
        kyc,
        Status.PASSED if passed else Status.FAILED,
        source,
        record=record,
        passed=passed,
        sub_code=result.sub_code or "",
        error_code=error_code,
        result=stored_result(result),
        **faces.completion_fields(kyc, result),
        **screening,
    )
    if changed:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=passed)
        # Done by a task or the next sync pass: the user does not wait for them.
        faces.announce_face_work(kyc)
        deepfake.announce_screening(kyc)
    return kyc


def same_person(kyc: KycTransaction, result: VerificationResult) -> tuple[bool, str]:
    """A re-verification's verdict: (passed, error code).

    A product that compares with a supplied picture (``FACE_VERIFY``) answers it: the provider's ``Passed``. One
    that searches the face library (``FACE_IDU``) passes the user when the search found their own registered face
    and the liveness check saw no attack; the provider's ``Passed`` is not relied on there, because what it means
    for a search that finds a face is not documented.
    """
    product = get_product(kyc.product_code)
    if product is None or not product.searches_library:
        return result.passed, "" if result.passed else "not_the_same_person"
    own_key = references.face_key_for(kyc.merchant_user_id)
    found_self = any(match.merchant_user_id == own_key for match in result.face_matches)
    if result.face_attacked:
        return False, "liveness_failed"
    return (True, "") if found_self else (False, "not_the_same_person")


def handle_return(token: str) -> KycTransaction:
    """The user is back from the hosted page: look the outcome up with the provider, never in the URL.

    A provider failure is logged and swallowed: the landing then shows the
    transaction as still being checked, and a callback or refresh finishes it.
    """
    kyc = KycTransaction.objects.filter(return_token_hash=hash_token(token)).first()
    if kyc is None:
        raise TransactionNotFound("No verification matches this return link.")
    try:
        return refresh(kyc, source=EventSource.RETURN)
    except ProviderCallFailed as failure:
        logger.warning("eKYC result for %s not available on return: %s", kyc.public_id, ledger.code_of(failure.error))
        return failure.transaction


def handle_callback(transaction_id: str, token: str) -> KycTransaction:
    """The provider says a verification ended: check its token, then confirm with CheckResult.

    The callback's own ``passed`` is not trusted either; it only prompts a refresh.
    """
    kyc = KycTransaction.objects.filter(transaction_id=transaction_id).first() if transaction_id else None
    if kyc is None:
        raise TransactionNotFound("No verification has this transaction id.")
    if not token or not constant_time_compare(hash_token(token), kyc.callback_token_hash):
        logger.warning("eKYC callback for %s refused: wrong token", kyc.public_id)
        raise CallbackTokenMismatch("The callback token does not match.")
    return refresh(kyc, source=EventSource.CALLBACK)
