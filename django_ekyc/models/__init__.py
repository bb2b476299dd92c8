"""The app's models: verification attempts, their history, and what the face library found."""

from django_ekyc.models.faces import DuplicateMatch, FaceRecord, FaceRecordQuerySet
from django_ekyc.models.history import EventKind, EventSource, KycTransactionEvent
from django_ekyc.models.transaction import (
    ALLOWED_TRANSITIONS,
    FLAGGED_STATUSES,
    IMAGE_FIELDS,
    REFERENCE_STATUSES,
    TERMINAL_STATUSES,
    FaceStatus,
    KycTransaction,
    KycTransactionQuerySet,
    Purpose,
    Status,
    User,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "FLAGGED_STATUSES",
    "IMAGE_FIELDS",
    "REFERENCE_STATUSES",
    "TERMINAL_STATUSES",
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
