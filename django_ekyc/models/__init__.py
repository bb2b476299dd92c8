"""The app's models: verification attempts, their history, and what the face library found."""

from django_ekyc.models.consent import Consent, ConsentQuerySet
from django_ekyc.models.faces import DuplicateMatch, FaceRecord, FaceRecordQuerySet
from django_ekyc.models.history import EventKind, EventSource, KycTransactionEvent
from django_ekyc.models.transaction import (
    ALLOWED_TRANSITIONS,
    CHECK_TRANSITIONS,
    DEEPFAKE_FLAGS,
    FLAGGED_STATUSES,
    IMAGE_FIELDS,
    REFERENCE_STATUSES,
    TERMINAL_STATUSES,
    DeepfakeStatus,
    FaceStatus,
    KycTransaction,
    KycTransactionQuerySet,
    Purpose,
    Status,
    User,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CHECK_TRANSITIONS",
    "DEEPFAKE_FLAGS",
    "FLAGGED_STATUSES",
    "IMAGE_FIELDS",
    "REFERENCE_STATUSES",
    "TERMINAL_STATUSES",
    "Consent",
    "ConsentQuerySet",
    "DeepfakeStatus",
    "DuplicateMatch",
    "EventKind",
    "EventSource",
    "FaceRecord",
    "FaceRecordQuerySet",
    "FaceStatus",
    "KycTransaction",
    "KycTransactionEvent",
    "KycTransactionQuerySet",
    "Purpose",
    "Status",
    "User",
]
