"""A verification's history (its events), shown read-only on its change page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from django_ekyc.models import KycTransaction, KycTransactionEvent

if TYPE_CHECKING:  # django-stubs makes these generic; Django's runtime classes are not subscriptable
    _EventInline = admin.TabularInline[KycTransactionEvent, KycTransaction]
else:
    _EventInline = admin.TabularInline


class KycTransactionEventInline(_EventInline):
    model = KycTransactionEvent
    fields = (
        "created_at",
        "kind",
        "source",
        "action",
        "from_status",
        "to_status",
        "code",
        "http_status",
        "request_id",
        "duration_ms",
        "message",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
