"""The verification flow and everything that changes a ``KycTransaction``.

Views, the API, the admin and commands call these functions; nothing else changes a transaction. The package,
by job:

- :mod:`~django_ekyc.services.ledger`: the only code that writes a transaction or its history (recorded
  provider calls, one-way transitions, on-commit signals);
- :mod:`~django_ekyc.services.flow`: start a verification, refresh it, handle the return and the callback;
- :mod:`~django_ekyc.services.sync`: background sync and expiry;
- :mod:`~django_ekyc.services.retention`: the retention rules applied (identity data, pictures, the decision
  trail, consents), deletion at the provider; :mod:`~django_ekyc.services.erasure`: the end of a relationship and
  a user's erasure; :mod:`~django_ekyc.services.holds`: legal holds;
- :mod:`~django_ekyc.services.outbox`: events for other systems, written with the change they report;
- :mod:`~django_ekyc.services.identity`: what is kept of a provider's result;
- :mod:`~django_ekyc.services.references`: the user's reference face and the rule that guards it;
- :mod:`~django_ekyc.services.faces`: the face work after a verification (comparison with the reference, the
  face library's search and registration, duplicate persons); :mod:`~django_ekyc.services.face_deletion`: faces
  leaving the library;
- :mod:`~django_ekyc.services.review`: staff decisions (approve, reject, verify again; four eyes), the review
  queue (:mod:`~django_ekyc.services.review_rules` puts verifications in it); accepting a flagged face is one of
  them (:mod:`~django_ekyc.services.reference_review`, its provider part);
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
from django_ekyc.models import IMAGE_FIELDS, KycTransaction, User
from django_ekyc.models.transaction import ProductCodes
from django_ekyc.services.erasure import end_relationship, resume_relationship
from django_ekyc.services.face_deletion import FaceReport, delete_pending_faces
from django_ekyc.services.faces import settle_face, settle_pending_faces
from django_ekyc.services.flow import Started, handle_callback, handle_return, refresh, start_verification
from django_ekyc.services.holds import place_hold, release_hold
from django_ekyc.services.identity import stored_result
from django_ekyc.services.ledger import fit_columns
from django_ekyc.services.references import face_key_for
from django_ekyc.services.retention import (
    PurgeReport,
    dry_run,
    provider_deletion_pending,
    purge_candidates,
    purge_identity_data,
    purge_pictures,
    run_purge,
)
from django_ekyc.services.reverify import (
    MaxAge,
    as_max_age,
    is_reverified,
    latest_reverification,
    start_reverification,
)
from django_ekyc.services.review import accept_reference_face, decide
from django_ekyc.services.review import queue as review_queue
from django_ekyc.services.site import absolute_url_builder, hash_token, merchant_user_id_for, resolve_account
from django_ekyc.services.sync import CLAIM_LEASE, SyncReport, expire_stale, sync_waiting

__all__ = [
    "CLAIM_LEASE",
    "IMAGE_FIELDS",
    "CallbackTokenMismatch",
    "FaceReport",
    "InvalidInput",
    "MaxAge",
    "NothingToCompare",
    "ProviderCallFailed",
    "PurgeReport",
    "Started",
    "SyncReport",
    "TransactionNotFound",
    "VerificationError",
    "absolute_url_builder",
    "accept_reference_face",
    "as_max_age",
    "decide",
    "delete_pending_faces",
    "dry_run",
    "end_relationship",
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
    "place_hold",
    "provider_deletion_pending",
    "purge_candidates",
    "purge_identity_data",
    "purge_pictures",
    "refresh",
    "release_hold",
    "resolve_account",
    "resume_relationship",
    "review_queue",
    "run_purge",
    "settle_face",
    "settle_pending_faces",
    "start_reverification",
    "start_verification",
    "stored_result",
    "sync_waiting",
]


def latest_verification(user: User, *, max_age: MaxAge = None, product: ProductCodes = None) -> KycTransaction | None:
    """The user's most recent passed verification (within ``max_age``, seconds or a timedelta), or None.

    By default only a product that verifies a document counts (eKYC, eKYC_PRO: ``Product.verifies_document``);
    ``product``, one ProductCode or an iterable of them, names the products that count instead (a liveness check
    counts only when asked for, ``product="FACE_LIVENESS_PRO"``). An unknown code raises ``ValueError``.
    Re-verifications do not count: they prove the person again, not their identity."""
    return KycTransaction.objects.latest_passed(user, max_age=as_max_age(max_age), product=product)


def is_verified(user: User, *, max_age: MaxAge = None, product: ProductCodes = None) -> bool:
    """Whether the user passed a verification that verified a document (within ``max_age``); ``product`` as
    :func:`latest_verification` takes it."""
    return latest_verification(user, max_age=max_age, product=product) is not None
