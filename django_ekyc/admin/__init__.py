"""Staff review of verifications: read-only, because the flow alone creates and moves them; staff decide only what
the flow leaves to them (a flagged face, :mod:`django_ekyc.admin.faces`).

Importing the package registers both admins (:mod:`~django_ekyc.admin.transactions` assembles the verifications'
admin from this package's other modules, one concern each).
"""

from __future__ import annotations

from django_ekyc.admin.events import KycTransactionEventInline
from django_ekyc.admin.faces import FaceRecordAdmin
from django_ekyc.admin.filters import ChoicesFromCodeFilter, DocTypeFilter, ProductFilter
from django_ekyc.admin.identity import MASK
from django_ekyc.admin.transactions import KycTransactionAdmin

__all__ = [
    "MASK",
    "ChoicesFromCodeFilter",
    "DocTypeFilter",
    "FaceRecordAdmin",
    "KycTransactionAdmin",
    "KycTransactionEventInline",
    "ProductFilter",
]
