"""Staff review of verifications: read-only, because the flow alone creates and moves them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from django_ekyc import services
from django_ekyc.models import KycTransaction, KycTransactionEvent

if TYPE_CHECKING:  # django-stubs makes these generic; Django's runtime classes are not subscriptable
    _EventInline = admin.TabularInline[KycTransactionEvent, KycTransaction]
    _TransactionAdmin = admin.ModelAdmin[KycTransaction]
else:
    _EventInline = admin.TabularInline
    _TransactionAdmin = admin.ModelAdmin


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


def _user_search_fields() -> tuple[str, ...]:
    """Search by the user model's own username field, and email when it has one (custom user models)."""
    user_model = get_user_model()
    fields = [f"user__{user_model.USERNAME_FIELD}"]
    email_field = getattr(user_model, "EMAIL_FIELD", "email")
    if email_field != user_model.USERNAME_FIELD and any(f.name == email_field for f in user_model._meta.fields):
        fields.append(f"user__{email_field}")
    return tuple(fields)


def _definition_list(data: Mapping[str, Any]) -> str:
    if not data:
        return "-"
    rows = format_html_join(
        "",
        "<dt>{}</dt><dd>{}</dd>",
        (
            (key, value if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False))
            for key, value in data.items()
        ),
    )
    return format_html('<dl class="ekyc-result">{}</dl>', rows)


@admin.register(KycTransaction)
class KycTransactionAdmin(_TransactionAdmin):
    list_display = ("public_id", "status", "user", "doc_type", "passed", "sub_code", "created_at", "completed_at")
    list_filter = ("status", "passed", "doc_type", "created_at")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    inlines = (KycTransactionEventInline,)
    actions = ("refresh_from_provider",)
    fieldsets = (
        (None, {"fields": ("public_id", "user", "status", "doc_type", "scene_code", "options")}),
        (_("Decision"), {"fields": ("passed", "sub_code", "error_code", "error_message", "completed_at")}),
        (_("Document (OCR)"), {"fields": ("ocr_result",)}),
        (_("Face"), {"fields": ("face_result",)}),
        (
            _("Provider"),
            {"fields": ("transaction_id", "merchant_biz_id", "merchant_user_id", "created_at", "updated_at")},
        ),
    )
    readonly_fields = (
        "public_id",
        "user",
        "status",
        "doc_type",
        "scene_code",
        "options",
        "passed",
        "sub_code",
        "error_code",
        "error_message",
        "completed_at",
        "ocr_result",
        "face_result",
        "transaction_id",
        "merchant_biz_id",
        "merchant_user_id",
        "created_at",
        "updated_at",
    )

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return ("=transaction_id", "=merchant_biz_id", *_user_search_fields())

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[KycTransaction], search_term: str
    ) -> tuple[QuerySet[KycTransaction], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            public_id = uuid.UUID(search_term.strip())
        except ValueError:
            return results, may_have_duplicates
        return results | queryset.filter(public_id=public_id), may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.refresh_kyctransaction")

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result(self, obj: KycTransaction) -> str:
        id_info = (obj.result or {}).get("ext_id_info") or {}
        return _definition_list({**(id_info.get("ocrIdInfo") or {}), **_checks(id_info)})

    @admin.display(description=_("Face comparison and liveness"))
    def face_result(self, obj: KycTransaction) -> str:
        return _definition_list((obj.result or {}).get("ext_face_info") or {})

    @admin.action(description=_("Refresh selected transactions from the provider"), permissions=["refresh"])
    def refresh_from_provider(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        refreshed, failed = 0, 0
        for kyc in queryset:
            try:
                services.refresh(kyc, source="admin")
                refreshed += 1
            except services.ProviderFailure as failure:
                failed += 1
                self.message_user(
                    request, f"{kyc.public_id}: {failure.error.code or type(failure.error).__name__}", messages.WARNING
                )
        self.message_user(request, f"Asked the provider about {refreshed} transaction(s); {failed} failed.")


def _checks(id_info: Mapping[str, Any]) -> dict[str, Any]:
    spoof = id_info.get("spoofInfo") or {}
    checks = {"ocrIdPassed": id_info.get("ocrIdPassed"), "spoofResult": spoof.get("spoofResult")}
    return {key: value for key, value in checks.items() if value is not None}
