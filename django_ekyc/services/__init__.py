"""The verification flow and everything that changes a ``KycTransaction``.

Views, the API, the admin and commands call these functions; nothing else changes a transaction. The package,
by job:

- :mod:`~django_ekyc.services.ledger`: the only code that writes a transaction or its history (recorded
  provider calls, one-way transitions, on-commit signals);
- :mod:`~django_ekyc.services.flow`: start a verification, refresh it, handle the return and the callback;
- :mod:`~django_ekyc.services.sync`: background sync and expiry;
- :mod:`~django_ekyc.services.retention`: purging identity data, deletion at the provider;
- :mod:`~django_ekyc.services.identity`: what is kept of a provider's result;
- :mod:`~django_ekyc.services.faces`: the site's face library (registration, duplicate persons, deletion);
- :mod:`~django_ekyc.services.reverify`: re-verification of the same person, and its guard.

The names below are the public surface; the old names of the errors (``FlowError``, ``ProviderFailure``,
``UnknownTransaction``, ``CallbackRejected``) keep working.
"""

from __future__ import annotations

from django_ekyc.exceptions import (
    CallbackTokenMismatch,
    InvalidInput,
    NothingToCompare,
    ProviderCallFailed,
    TransactionNotFound,
    VerificationError,
)
from django_ekyc.models import KycTransaction, User
from django_ekyc.services.faces import (
    FaceReport,
    delete_pending_faces,
    face_key_for,
    register_face,
    register_pending_faces,
)
from django_ekyc.services.flow import (
    Started,
    absolute_url_builder,
    handle_callback,
    handle_return,
    hash_token,
    merchant_user_id_for,
    refresh,
    resolve_account,
    start_verification,
)
from django_ekyc.services.identity import IMAGE_FIELDS, stored_result
from django_ekyc.services.ledger import fit_columns
from django_ekyc.services.retention import provider_deletion_pending, purge_candidates, purge_identity_data
from django_ekyc.services.reverify import (
    MaxAge,
    as_max_age,
    is_reverified,
    latest_reverification,
    start_reverification,
)
from django_ekyc.services.sync import CLAIM_LEASE, SyncReport, expire_stale, sync_waiting

# Names of the errors before they moved to django_ekyc.exceptions.
FlowError = VerificationError
ProviderFailure = ProviderCallFailed
UnknownTransaction = TransactionNotFound
CallbackRejected = CallbackTokenMismatch

__all__ = [
    "CLAIM_LEASE",
    "IMAGE_FIELDS",
    "CallbackRejected",
    "CallbackTokenMismatch",
    "FaceReport",
    "FlowError",
    "InvalidInput",
    "MaxAge",
    "NothingToCompare",
    "ProviderCallFailed",
    "ProviderFailure",
    "Started",
    "SyncReport",
    "TransactionNotFound",
    "UnknownTransaction",
    "VerificationError",
    "absolute_url_builder",
    "as_max_age",
    "delete_pending_faces",
    "expire_stale",
    "face_key_for",
    "fit_columns",
    "handle_callback",
    "handle_return",
    "hash_token",
    "is_reverified",
    "is_verified",
    "latest_reverification",
    "latest_verification",
    "merchant_user_id_for",
    "provider_deletion_pending",
    "purge_candidates",
    "purge_identity_data",
    "refresh",
    "register_face",
    "register_pending_faces",
    "resolve_account",
    "start_reverification",
    "start_verification",
    "stored_result",
    "sync_waiting",
]


def latest_verification(user: User, *, max_age: MaxAge = None, product: str | None = None) -> KycTransaction | None:
    """The user's most recent passed verification (within ``max_age``, seconds or a timedelta; of ``product``
    if given). Re-verifications do not count: they prove the person again, not their identity."""
    return KycTransaction.objects.latest_passed(user, max_age=as_max_age(max_age), product=product)


def is_verified(user: User, *, max_age: MaxAge = None, product: str | None = None) -> bool:
    """Whether the user passed a verification (within ``max_age``, seconds or a timedelta; of ``product``, a
    ProductCode, if given)."""
    return latest_verification(user, max_age=max_age, product=product) is not None
