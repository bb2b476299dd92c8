"""The verification flow: the only code that changes a ``KycTransaction``'s state.

Provider calls happen outside any lock (they can take seconds); each result is
then applied with a conditional UPDATE that only moves the row from the one
state it may come from, so a return, a callback and a refresh racing for the
same transaction complete it exactly once and ``verification_completed`` is
sent once, after commit.
Every provider call and every state change leaves a ``KycTransactionEvent``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from django_ekyc import signals
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycDeletionRefused, EkycError, EkycNotCompleted
from django_ekyc.models import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    EventKind,
    KycTransaction,
    KycTransactionEvent,
    Status,
)
from django_ekyc.results import VerificationResult
from django_ekyc.validation import validate_doc_type, validate_meta_info, validate_options, validate_scene_code

logger = logging.getLogger("django_ekyc.services")

T = TypeVar("T")
# Fields of the Ext* results that carry images; never stored.
IMAGE_FIELDS = frozenset({"idImage", "idBackImage", "faceImg", "faceImage", "docVideo", "video"})
IMAGE_SUFFIXES = ("image", "img", "picture", "video", "base64", "imageurl", "videourl")


class FlowError(Exception):
    """Base of the errors the flow reports to its callers (views, API, admin)."""


class ProviderFailure(FlowError):
    """The provider call failed; the transaction (already updated) and the cause are attached."""

    def __init__(self, kyc_transaction: KycTransaction, error: EkycError) -> None:
        super().__init__(str(error))
        self.transaction = kyc_transaction
        self.error = error


class UnknownTransaction(FlowError):
    """No transaction matches the token or id given."""


class CallbackRejected(FlowError):
    """A callback's token does not match the transaction's."""


@dataclass(frozen=True)
class Started:
    """A started verification. ``transaction_url`` is single-use and not stored: hand it over once."""

    transaction: KycTransaction
    transaction_url: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def merchant_user_id_for(user: Any) -> str:
    """A keyed hash of the user's id: stable per user, meaningless to the provider."""
    key = ekyc_settings.MERCHANT_USER_ID_KEY or f"django_ekyc.merchant_user_id:{settings.SECRET_KEY}"
    return hmac.new(str(key).encode(), f"{user._meta.label_lower}:{user.pk}".encode(), hashlib.sha256).hexdigest()


def absolute_url_builder(request: Any) -> Callable[[str], str]:
    """Build absolute URLs from ``PUBLIC_BASE_URL`` or else from the (ALLOWED_HOSTS-checked) request."""
    base = ekyc_settings.PUBLIC_BASE_URL
    if base:
        return lambda path: str(base).rstrip("/") + path
    return lambda path: str(request.build_absolute_uri(path))


def _callback_url(build_url: Callable[[str], str]) -> str | None:
    """The provider only calls https URLs; loopback http is kept for the simulator."""
    if not ekyc_settings.CALLBACK_ENABLED:
        return None
    url = build_url(reverse("django_ekyc:callback"))
    host = urlsplit(url).hostname or ""
    if url.startswith("https://") or host in ("127.0.0.1", "localhost", "::1"):
        return url
    return None


# -- start ----------------------------------------------------------------------------------------


def start_verification(
    *,
    user: Any,
    doc_type: str,
    meta_info: str,
    build_url: Callable[[str], str],
    scene_code: str = "",
    options: Mapping[str, Any] | None = None,
    source: str = "api",
    client: EkycClient | None = None,
    account: str = "",
) -> Started:
    """Validate, save the attempt, call Initialize, and record the outcome.

    Raises :class:`~django_ekyc.validation.InvalidInput` before anything is
    saved or sent, and :class:`ProviderFailure` (with the transaction, now in
    ``error``) when the provider refuses or cannot be reached.
    """
    doc_type = validate_doc_type(doc_type)
    meta_info = validate_meta_info(meta_info)
    scene_code = validate_scene_code(scene_code)
    params = validate_options(options)
    return_token, callback_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    client = client or get_client(account)  # an unknown account fails here, before anything is saved
    kyc = KycTransaction.objects.create(
        user=user,
        account=account,
        merchant_biz_id=uuid.uuid4().hex,
        merchant_user_id=merchant_user_id_for(user),
        doc_type=doc_type,
        scene_code=scene_code,
        options=params,
        return_token_hash=hash_token(return_token),
        callback_token_hash=hash_token(callback_token),
    )
    callback_url = _callback_url(build_url)
    try:
        started, record = _recorded_call(
            kyc,
            "Initialize",
            source,
            lambda: client.initialize(
                merchant_biz_id=kyc.merchant_biz_id,
                merchant_user_id=kyc.merchant_user_id,
                meta_info=meta_info,
                doc_type=doc_type,
                return_url=build_url(reverse("django_ekyc:return", args=[return_token])),
                scene_code=scene_code or None,
                callback_url=callback_url,
                callback_token=callback_token if callback_url else None,
                extra=params,
            ),
        )
    except EkycError as err:
        kyc, _ = _transition(kyc, Status.ERROR, source, error_code=_code_of(err), error_message=err.message[:500])
        raise ProviderFailure(kyc, err) from err
    first_check = timezone.now() + timedelta(seconds=int(ekyc_settings.SYNC_INTERVAL))
    kyc, changed = _transition(
        kyc,
        Status.INITIALIZED,
        source,
        record=record,
        transaction_id=started.transaction_id,
        next_check_at=first_check,
    )
    if changed:
        _send_on_commit(signals.verification_started, kyc)
    return Started(kyc, started.transaction_url)


# -- refresh, return, callback ---------------------------------------------------------------------------------


# Checks a person prompts (the refresh endpoint, the return page) are gated per transaction; the provider's
# callback, sync and staff are not: they are rare, and each one may be the one that completes it.
GATED_SOURCES = frozenset({"api", "return"})


def refresh(kyc: KycTransaction, *, source: str = "refresh", client: EkycClient | None = None) -> KycTransaction:
    """Ask the provider (CheckResult, with the stored ids) and apply its answer once.

    A transaction that is final, or not yet initialized, is returned as it is; so is one whose user
    prompted a check less than ``REFRESH_MIN_INTERVAL`` seconds after the last one (no call, no history
    row), so that nobody can spend the site's provider quota by hammering one transaction.
    ``ProcessNotCompleted`` leaves it waiting; ``TransactionIdInvalid`` expires
    it (the provider no longer knows it). Other failures raise
    :class:`ProviderFailure` and leave the state alone.
    """
    kyc.refresh_from_db()
    if kyc.status != Status.INITIALIZED or not kyc.transaction_id:
        return kyc
    if not _take_check_slot(kyc, gated=source in GATED_SOURCES):
        return kyc
    client = client or get_client(kyc.account)
    try:
        result, record = _recorded_call(
            kyc,
            "CheckResult",
            source,
            lambda: client.check_result(
                merchant_biz_id=kyc.merchant_biz_id,
                transaction_id=str(kyc.transaction_id),
                is_return_image=bool(ekyc_settings.STORE_IMAGES),
            ),
        )
    except EkycNotCompleted:
        return kyc
    except EkycError as err:
        if err.code == "TransactionIdInvalid":
            kyc, _ = _transition(kyc, Status.EXPIRED, source, error_code=err.code, error_message=err.message[:500])
            return kyc
        raise ProviderFailure(kyc, err) from err
    return _complete(kyc, result, source, record)


def _take_check_slot(kyc: KycTransaction, *, gated: bool) -> bool:
    """Note that the provider is being asked now; for a gated check, only if nobody asked in the interval.

    One conditional UPDATE: of any number of concurrent requests, in any process, one wins the slot.
    """
    now = timezone.now()
    rows = KycTransaction.objects.filter(pk=kyc.pk)
    interval = int(ekyc_settings.REFRESH_MIN_INTERVAL)
    if gated and interval > 0:
        rows = rows.filter(Q(last_checked_at=None) | Q(last_checked_at__lte=now - timedelta(seconds=interval)))
    return bool(rows.update(last_checked_at=now))


def _complete(
    kyc: KycTransaction, result: VerificationResult, source: str, record: KycTransactionEvent
) -> KycTransaction:
    kyc, changed = _transition(
        kyc,
        Status.PASSED if result.passed else Status.FAILED,
        source,
        record=record,
        passed=result.passed,
        sub_code=result.sub_code or "",
        result=stored_result(result),
    )
    if changed:
        _send_on_commit(signals.verification_completed, kyc, passed=result.passed)
    return kyc


def handle_return(token: str) -> KycTransaction:
    """The user is back from the hosted page: look the outcome up with the provider, never in the URL.

    A provider failure is logged and swallowed: the landing then shows the
    transaction as still being checked, and a callback or refresh finishes it.
    """
    kyc = KycTransaction.objects.filter(return_token_hash=hash_token(token)).first()
    if kyc is None:
        raise UnknownTransaction("No verification matches this return link.")
    try:
        return refresh(kyc, source="return")
    except ProviderFailure as failure:
        logger.warning("eKYC result for %s not available on return: %s", kyc.public_id, failure.error.code)
        return failure.transaction


def handle_callback(transaction_id: str, token: str) -> KycTransaction:
    """The provider says a verification ended: check its token, then confirm with CheckResult.

    The callback's own ``passed`` is not trusted either; it only prompts a refresh.
    """
    kyc = KycTransaction.objects.filter(transaction_id=transaction_id).first() if transaction_id else None
    if kyc is None:
        raise UnknownTransaction("No verification has this transaction id.")
    if not token or not constant_time_compare(hash_token(token), kyc.callback_token_hash):
        logger.warning("eKYC callback for %s refused: wrong token", kyc.public_id)
        raise CallbackRejected("The callback token does not match.")
    return refresh(kyc, source="callback")


def expire_stale(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Close attempts left open past ``EXPIRE_AFTER``; safe to run from several hosts at once.

    Waiting transactions become ``expired``; rows still ``created`` (the process died between saving
    the attempt and recording the provider's answer) become ``error`` with code ``abandoned``.
    """
    cutoff = (now or timezone.now()) - (older_than or timedelta(seconds=int(ekyc_settings.EXPIRE_AFTER)))
    stale = KycTransaction.objects.filter(status__in=[Status.INITIALIZED, Status.CREATED], created_at__lt=cutoff)
    closed = 0
    for pk, status in stale.values_list("pk", "status"):
        to_status, code = (Status.EXPIRED, "expired") if status == Status.INITIALIZED else (Status.ERROR, "abandoned")
        _, changed = _transition(KycTransaction(pk=pk), to_status, "expiry", error_code=code)
        closed += changed
    return closed


# -- background sync -------------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What one pass of :func:`sync_waiting` did."""

    checked: int = 0
    completed: int = 0
    still_waiting: int = 0
    provider_failures: int = 0
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# A claimed transaction is skipped by other hosts for this long, even if its host dies mid-pass.
CLAIM_LEASE = timedelta(minutes=5)


def sync_waiting(*, batch_size: int = 100, now: datetime | None = None) -> SyncReport:
    """One pass of background sync: refresh the waiting transactions that are due, expire the stale ones.

    For users who close the tab before returning, and callbacks that never come. Safe to run from
    several hosts at once: due rows are claimed with ``select_for_update(skip_locked=True)`` and
    leased, so each is checked by one host; each check that finds no result doubles the wait
    before the next (``SYNC_INTERVAL`` up to ``SYNC_MAX_INTERVAL``). Scheduling the passes (cron,
    a task backend) is the site's; nothing here loops.
    """
    now = now or timezone.now()
    report = SyncReport(expired=expire_stale(now=now))
    for kyc in _claim_due(batch_size, now):
        report.checked += 1
        try:
            kyc = refresh(kyc, source="sync")
        except ProviderFailure as failure:
            report.provider_failures += 1
            kyc = failure.transaction
        if kyc.status == Status.INITIALIZED:
            report.still_waiting += 1
            _schedule_next_check(kyc, now)
        elif kyc.is_final:
            report.completed += 1
    return report


def _claim_due(batch_size: int, now: datetime) -> list[KycTransaction]:
    due = Q(next_check_at__lte=now) | Q(next_check_at=None)
    with transaction.atomic():
        claimed = list(
            KycTransaction.objects.select_for_update(skip_locked=True)
            .filter(due, status=Status.INITIALIZED)
            .order_by("next_check_at", "id")[:batch_size]
        )
        KycTransaction.objects.filter(pk__in=[kyc.pk for kyc in claimed]).update(next_check_at=now + CLAIM_LEASE)
    return claimed


def _schedule_next_check(kyc: KycTransaction, now: datetime) -> None:
    attempts = kyc.check_attempts + 1
    delay = min(int(ekyc_settings.SYNC_MAX_INTERVAL), int(ekyc_settings.SYNC_INTERVAL) * 2 ** (attempts - 1))
    KycTransaction.objects.filter(pk=kyc.pk, status=Status.INITIALIZED).update(
        check_attempts=attempts, next_check_at=now + timedelta(seconds=delay)
    )


# -- accounts --------------------------------------------------------------------------------------------------


def resolve_account(request: Any, user: Any) -> str:
    """The account a new verification uses: ``ACCOUNT_RESOLVER(request, user)``, or "" (the default)."""
    resolver = ekyc_settings.ACCOUNT_RESOLVER
    if not resolver:
        return ""
    function = import_string(resolver) if isinstance(resolver, str) else resolver
    return str(function(request, user) or "")


# -- retention -------------------------------------------------------------------------------------------------


def purge_candidates(*, older_than_days: int | None = None, now: datetime | None = None) -> Any:
    """Finished transactions whose identity data is older than the retention period."""
    days = int(ekyc_settings.RETENTION_DAYS if older_than_days is None else older_than_days)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return KycTransaction.objects.filter(
        status__in=[Status.PASSED, Status.FAILED, Status.EXPIRED], completed_at__lt=cutoff, identity_purged_at=None
    ).order_by("completed_at", "id")


def purge_identity_data(
    kyc: KycTransaction,
    *,
    delete_at_provider: bool = False,
    source: str = "retention",
    client: EkycClient | None = None,
) -> KycTransaction:
    """Strip the identity data, keeping the decision (who, when, passed, sub code).

    With ``delete_at_provider`` the provider is asked to delete its copy too
    (DeleteVerifyResult); a provider that no longer knows the transaction
    counts as deleted. Provider failures raise :class:`ProviderFailure` after
    the local purge, which stands.
    """
    with transaction.atomic():
        locked = KycTransaction.objects.select_for_update().get(pk=kyc.pk)
        if locked.identity_purged_at is None:
            locked.result = None
            locked.identity_purged_at = timezone.now()
            locked.save(update_fields=["result", "identity_purged_at", "updated_at"])
            _event(locked, EventKind.PURGED, source)
    if delete_at_provider and locked.transaction_id and locked.provider_deleted_at is None:
        _delete_at_provider(locked, source, client or get_client(locked.account))
    return locked


def provider_deletion_pending() -> Any:
    """Purged here, but the provider's copy is not confirmed deleted yet: to be retried."""
    return KycTransaction.objects.filter(
        identity_purged_at__isnull=False, provider_deleted_at=None, transaction_id__isnull=False
    ).order_by("identity_purged_at", "id")


def _delete_at_provider(kyc: KycTransaction, source: str, client: EkycClient) -> None:
    """Delete every kind of data the provider keeps (``PROVIDER_DELETE_TYPES``); record the deletion only
    when the provider confirmed each one (``DeleteResult=Y``), so that a refusal stays pending for a retry."""
    # "Y" protects results nobody has read; a transaction that never produced one has nothing to protect.
    after_query = "Y" if kyc.passed is not None else "N"
    for delete_type in ekyc_settings.PROVIDER_DELETE_TYPES:
        try:
            deletion, record = _recorded_call(
                kyc,
                "DeleteVerifyResult",
                source,
                functools.partial(
                    client.delete_verify_result,
                    transaction_id=str(kyc.transaction_id),
                    delete_type=delete_type,
                    delete_after_query=after_query,
                ),
            )
        except EkycError as err:
            if err.code == "TransactionIdInvalid":  # already gone is what we wanted
                break
            raise ProviderFailure(kyc, err) from err
        if not deletion.deleted:
            record.code, record.message = "DeleteResult.N", f"DeleteType={delete_type}: not deleted"
            record.save()
            refused = EkycDeletionRefused(
                f"The provider did not delete the {delete_type} data.",
                action="DeleteVerifyResult",
                code="DeleteResult.N",
                request_id=deletion.request_id,
            )
            raise ProviderFailure(kyc, refused)
        record.message = f"DeleteType={delete_type}"
        record.save()
    kyc.provider_deleted_at = timezone.now()
    kyc.save(update_fields=["provider_deleted_at", "updated_at"])


# -- queries ---------------------------------------------------------------------------------------------------


def latest_verification(user: Any, *, max_age: timedelta | None = None) -> KycTransaction | None:
    """The user's most recent passed verification (within ``max_age`` if given)."""
    if not getattr(user, "is_authenticated", False):
        return None
    passed = KycTransaction.objects.for_user(user).filter(status=Status.PASSED)
    if max_age is not None:
        passed = passed.filter(completed_at__gte=timezone.now() - max_age)
    return passed.order_by("-completed_at", "-id").first()


def is_verified(user: Any, *, max_age: timedelta | None = None) -> bool:
    return latest_verification(user, max_age=max_age) is not None


# -- internals -------------------------------------------------------------------------------------------------


def stored_result(result: VerificationResult) -> dict[str, Any]:
    """The parsed result as stored: every ``Ext*`` object and ``EkycResult``, images removed unless
    ``STORE_IMAGES`` (at any depth: a face picture may sit inside a nested object)."""
    parts = {
        "ext_id_info": result.ext_id_info,
        "ext_face_info": result.ext_face_info,
        "ext_basic_info": result.ext_basic_info,
        "ext_risk_info": result.ext_risk_info,
        "ext_info": result.ext_info,
        "ext_source_info": result.ext_source_info,
        "ekyc_result": result.ekyc_result,
    }
    keep_images = bool(ekyc_settings.STORE_IMAGES)
    return {name: _without_images(value, keep_images) for name, value in parts.items() if value}


def is_image_field(key: str) -> bool:
    lowered = key.lower()
    return key in IMAGE_FIELDS or lowered.endswith(IMAGE_SUFFIXES)


def _without_images(value: Any, keep_images: bool = False) -> Any:
    if keep_images:
        return _plain(value)
    if isinstance(value, Mapping):
        return {key: _without_images(item) for key, item in value.items() if not is_image_field(str(key))}
    if isinstance(value, list | tuple):
        return [_without_images(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Read-only mappings from the parsed answer, as plain JSON-serialisable values."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _code_of(err: EkycError) -> str:
    return err.code or type(err).__name__


def _recorded_call(
    kyc: KycTransaction, action: str, source: str, call: Callable[[], T]
) -> tuple[T, KycTransactionEvent]:
    """Run one provider call. A failure is recorded at once; a success is returned with its
    history row unsaved, for the caller to write in the same commit as the state change it causes."""
    started = time.monotonic()
    try:
        result = call()
    except EkycError as err:
        outcome = {"code": _code_of(err), "http_status": err.status, "request_id": err.request_id or ""}
        _event(kyc, EventKind.PROVIDER_CALL, source, started, action=action, message=err.message[:500], **outcome)
        raise
    values = {"source": source, "action": action, "request_id": getattr(result, "request_id", "")}
    record = KycTransactionEvent(
        transaction_id=kyc.pk,
        kind=EventKind.PROVIDER_CALL,
        code="Success",
        http_status=200,
        duration_ms=int((time.monotonic() - started) * 1000),
        **fit_columns(KycTransactionEvent, values),
    )
    return result, record


def _event(kyc: KycTransaction, kind: str, source: str, started: float | None = None, **fields: Any) -> None:
    duration = None if started is None else int((time.monotonic() - started) * 1000)
    values = fit_columns(KycTransactionEvent, {"kind": kind, "source": source, **fields})
    KycTransactionEvent.objects.create(transaction_id=kyc.pk, duration_ms=duration, **values)


def fit_columns(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Cut strings to their column's length: a provider's overlong ``Code`` or ``RequestId`` must not cost
    the attempt its history (PostgreSQL refuses the whole row; SQLite would store it whole)."""
    fitted = dict(values)
    for name, value in values.items():
        limit = _max_lengths(model).get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            fitted[name] = value[:limit]
    return fitted


def _max_lengths(model: type[models.Model]) -> dict[str, int]:
    return {
        field.name: field.max_length
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField) and field.max_length
    }


def _transition(
    kyc: KycTransaction,
    to_status: str,
    source: str,
    *,
    record: KycTransactionEvent | None = None,
    **fields: Any,
) -> tuple[KycTransaction, bool]:
    """Move to ``to_status`` if the move is allowed; return (the row, moved?).

    The move is one conditional ``UPDATE ... WHERE status = <the only state it may come from>``:
    the database locks the row and re-checks the condition, so of several racing callers exactly
    one moves it, and a terminal state never moves again. ``record`` (the provider call that led
    here) is written in the same commit; if that commit fails, it is still written on its own.
    """
    try:
        with transaction.atomic():
            if record is not None:
                record.save()
            moved = _move(kyc, to_status, source, fields)
    except DatabaseError:
        if record is not None:
            _save_alone(record)
        raise
    if not moved:
        kyc.refresh_from_db()
    return kyc, moved


def _move(kyc: KycTransaction, to_status: str, source: str, fields: dict[str, Any]) -> bool:
    [from_status] = [state for state, targets in ALLOWED_TRANSITIONS.items() if to_status in targets]
    now = timezone.now()
    values = {**fit_columns(KycTransaction, fields), "status": to_status, "updated_at": now}
    if to_status in TERMINAL_STATUSES:
        values["completed_at"] = now
    if not KycTransaction.objects.filter(pk=kyc.pk, status=from_status).update(**values):
        return False
    for name, value in values.items():
        setattr(kyc, name, value)
    code = fields.get("error_code") or fields.get("sub_code") or ""
    _event(kyc, EventKind.STATE_CHANGE, source, from_status=from_status, to_status=to_status, code=code)
    return True


def _save_alone(record: KycTransactionEvent) -> None:
    """Keep the provider call on record even when the state change that follows it failed."""
    record.pk = None
    try:
        with transaction.atomic():
            record.save()
    except DatabaseError:
        logger.exception("could not record a provider call for transaction %s", record.transaction_id)


def _send_on_commit(signal: Any, kyc: KycTransaction, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender=KycTransaction, transaction=kyc, **kwargs))
