"""The admin's faces: the site's face library records, and the staff decision about a flagged face.

A flagged verification (another person than the user's reference face, another document, a reference set by a
check without a document) keeps its flag until a staff member with the ``accept_reference_face`` permission
accepts its face as the user's reference: on record in the verification's history and in Django's admin log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from django_ekyc import services
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput, ProviderCallFailed
from django_ekyc.models import FLAGGED_STATUSES, FaceRecord, KycTransaction
from django_ekyc.services import references

if TYPE_CHECKING:
    _FaceRecordAdmin = admin.ModelAdmin[FaceRecord]
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _FaceRecordAdmin = admin.ModelAdmin
    _Admin = object


class ReadOnly(_Admin):
    """Staff read these rows; only the flow creates, changes and deletes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReferenceFaceReview(_Admin):
    """Mixed into the transactions' admin: which face is the user's reference, and accepting a flagged one."""

    @admin.display(description=_("The user's reference face"))
    def reference_face_of(self, obj: KycTransaction) -> str:
        """Which verification the user's reference face comes from now (a link), for a flagged one to be judged."""
        reference = references.current_reference(obj.user_id)
        if reference is None:
            return "-"
        held = reference.transaction
        url = reverse(f"admin:{held._meta.app_label}_{held._meta.model_name}_change", args=[quote(held.pk)])
        label = _("this verification") if held.pk == obj.pk else held.public_id
        return format_html('<a href="{}">{}</a> ({})', url, label, held.get_face_status_display())

    def has_accept_reference_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.accept_reference_face")

    @admin.action(
        description=_("Accept the face of the selected flagged verifications as their user's reference face"),
        permissions=["accept_reference"],
    )
    def accept_reference_face(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):  # the page must answer within the worker's life
            self._accept_each(request, queryset)

    def _accept_each(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        accepted = 0
        for kyc in queryset.filter(face_status__in=FLAGGED_STATUSES):
            try:
                services.accept_reference_face(kyc, staff=request.user)
            except InvalidInput as refused:
                self.message_user(request, f"{kyc.public_id}: {refused.message}", messages.WARNING)
                continue
            except ProviderCallFailed as failure:
                code = failure.error.code or type(failure.error).__name__
                self.message_user(request, f"{kyc.public_id}: {code}", messages.WARNING)
                continue
            self.log_change(request, kyc, "Accepted its face as the user's reference face.")
            accepted += 1
        self.message_user(request, f"Accepted {accepted} face(s) as the reference; only flagged ones can be.")


@admin.register(FaceRecord)
class FaceRecordAdmin(ReadOnly, _FaceRecordAdmin):
    """The faces the site registered in its face library, and what became of them (deleted with the user or
    by retention). Read-only: the flow registers and deletes them."""

    list_display = ("face_group", "short_key", "user", "registered_at", "delete_reason", "deleted_at")
    list_filter = ("face_group", "delete_reason")
    list_select_related = ("user",)
    show_full_result_count = False
    raw_id_fields = ("user", "transaction")
    readonly_fields = (
        "face_group",
        "face_key",
        "account",
        "user",
        "transaction",
        "face_id",
        "registered_at",
        "delete_requested_at",
        "delete_reason",
        "deleted_at",
        "delete_attempts",
        "last_error",
    )

    @admin.display(description=_("face key"))
    def short_key(self, obj: FaceRecord) -> str:
        return f"{obj.face_key[:12]}\u2026"
