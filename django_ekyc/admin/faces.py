"""The admin's faces: the site's face library records, and the staff decision about a flagged face.

A flagged verification (another person than the user's reference face, another document, a reference set by a
check without a document) keeps its flag until a staff member approves it in the review panel
(:mod:`django_ekyc.admin.review`), which makes its face the user's reference: on record in the verification's
history and in Django's admin log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from django_ekyc.models import FaceRecord, KycTransaction
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
