"""Staff review of verifications: read-only, because the flow alone creates and moves them; staff decide what the
flow leaves to them (:mod:`django_ekyc.admin.review`: approve, reject, verify again; :mod:`django_ekyc.admin.queue`:
the verifications that wait for a person).

Importing the package registers both admins (:mod:`~django_ekyc.admin.transactions` assembles the verifications'
admin from this package's other modules, one concern each).
"""

from __future__ import annotations

from django_ekyc.admin import outbox as outbox  # registers the outbox's admins (events, webhook deliveries)
from django_ekyc.admin.consent import ConsentAdmin
from django_ekyc.admin.faces import FaceRecordAdmin
from django_ekyc.admin.queue import ReviewQueueAdmin
from django_ekyc.admin.retention import AuditEntryAdmin, KycSubjectAdmin, LegalHoldAdmin, PurgeRunAdmin
from django_ekyc.admin.transactions import KycTransactionAdmin

# A site may subclass or re-register these (admin.site.unregister(KycTransaction), then its own subclass).
__all__ = [
    "AuditEntryAdmin",
    "ConsentAdmin",
    "FaceRecordAdmin",
    "KycSubjectAdmin",
    "KycTransactionAdmin",
    "LegalHoldAdmin",
    "PurgeRunAdmin",
    "ReviewQueueAdmin",
]
