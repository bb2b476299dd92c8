"""The app's models: verification attempts, their history, and what the face library found."""

from django_ekyc.models.consent import Consent, ConsentQuerySet
from django_ekyc.models.faces import DuplicateMatch, FaceRecord, FaceRecordQuerySet
from django_ekyc.models.history import EventKind, EventSource, KycTransactionEvent
from django_ekyc.models.outbox import OutboxEvent, WebhookDelivery
from django_ekyc.models.records import AuditEntry, AuditKind, ChainHead, KycSubject, LegalHold, PurgeRun
from django_ekyc.models.review import ReviewDecision, ReviewQueueItem
from django_ekyc.models.states import (
    ALLOWED_TRANSITIONS,
    CHECK_TRANSITIONS,
    DECIDED_REVIEW,
    DEEPFAKE_FLAGS,
    FLAGGED_STATUSES,
    OPEN_REVIEW,
    REFERENCE_STATUSES,
    TERMINAL_STATUSES,
    DeepfakeStatus,
    FaceStatus,
    Purpose,
    ReviewRule,
    ReviewState,
    Status,
    Verdict,
)
from django_ekyc.models.stats import OperatorDaySummary
from django_ekyc.models.transaction import IMAGE_FIELDS, KycTransaction, KycTransactionQuerySet, User

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CHECK_TRANSITIONS",
    "DECIDED_REVIEW",
    "DEEPFAKE_FLAGS",
    "FLAGGED_STATUSES",
    "IMAGE_FIELDS",
    "OPEN_REVIEW",
    "REFERENCE_STATUSES",
    "TERMINAL_STATUSES",
    "AuditEntry",
    "AuditKind",
    "ChainHead",
    "Consent",
    "ConsentQuerySet",
    "DeepfakeStatus",
    "DuplicateMatch",
    "EventKind",
    "EventSource",
    "FaceRecord",
    "FaceRecordQuerySet",
    "FaceStatus",
    "KycSubject",
    "KycTransaction",
    "KycTransactionEvent",
    "KycTransactionQuerySet",
    "LegalHold",
    "OperatorDaySummary",
    "OutboxEvent",
    "PurgeRun",
    "Purpose",
    "ReviewDecision",
    "ReviewQueueItem",
    "ReviewRule",
    "ReviewState",
    "Status",
    "User",
    "Verdict",
    "WebhookDelivery",
]
