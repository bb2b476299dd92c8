"""The verifications' admin: what staff read on the change list and a verification's page, assembled from mixins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from django_ekyc.admin.consent import ConsentDisplay
from django_ekyc.admin.display import change_link, checks_list, code_and_words, unreadable
from django_ekyc.admin.events import KycTransactionEventInline
from django_ekyc.admin.exports import PersonExportAdminMixin
from django_ekyc.admin.faces import ReadOnly, ReferenceFaceReview
from django_ekyc.admin.filters import DocTypeFilter, ProductFilter
from django_ekyc.admin.identity import IdentityReveal
from django_ekyc.admin.operator import OperatorView
from django_ekyc.admin.paging import LargeTableList
from django_ekyc.admin.records import FraudReporting
from django_ekyc.admin.refresh import ProviderRefresh
from django_ekyc.admin.retention import RetentionDisplay
from django_ekyc.admin.review import ReviewDecisions
from django_ekyc.admin.search import TransactionSearch
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.outcomes import CODE_MESSAGES
from django_ekyc.outcomes import reason as reason_in_words

if TYPE_CHECKING:  # django-stubs makes these generic; Django's runtime classes are not subscriptable
    _TransactionAdmin = admin.ModelAdmin[KycTransaction]
else:
    _TransactionAdmin = admin.ModelAdmin


@admin.register(KycTransaction)
class KycTransactionAdmin(
    ReadOnly,
    OperatorView,
    ReviewDecisions,
    ReferenceFaceReview,
    IdentityReveal,
    ProviderRefresh,
    FraudReporting,
    TransactionSearch,
    LargeTableList,
    ConsentDisplay,
    RetentionDisplay,
    PersonExportAdminMixin,
    _TransactionAdmin,
):
    # What a reviewer reads, narrow enough for a 1280-pixel screen: names, not codes; the rest is on the page.
    list_display = ("short_id", "user", "what", "outcome", "face_library", "created_at")
    list_display_links = ("short_id",)
    # Every filter's choices come from code or settings, never from a DISTINCT over the table, and
    # there is no date hierarchy (a DISTINCT over dates): the page costs the same at any size.
    list_filter = (
        "status",
        "passed",
        "purpose",
        ProductFilter,
        "channel",
        DocTypeFilter,
        # "duplicate": one person behind several accounts (a face library match); "reference_conflict" and
        # "document_conflict": not the person (or the document) of the user's reference face; for review.
        "face_status",
        "deepfake",
        "review",
        "created_at",
    )
    list_select_related = ("user",)
    show_full_result_count = False  # one COUNT(*) per page, not two
    raw_id_fields = ("user",)
    inlines = (KycTransactionEventInline,)
    actions = ("refresh_from_provider", "report_fraud", "export_person_data")
    readonly_fields = (
        "public_id",
        "user",
        "status",
        "product",
        "channel",
        "account",
        "document",
        "scene_code",
        "options",
        "passed",
        "sub_code_in_words",
        "error_code_in_words",
        "error_message",
        "completed_at",
        "checks",
        "face_result",
        "transaction_id",
        "merchant_biz_id",
        "merchant_user_id",
        "created_at",
        "updated_at",
        "identity_purged_at",
        "provider_deleted_at",
        "ocr_result",
        "ocr_result_masked",
        "ocr_result_revealable",
        "purpose",
        "reverify_of_link",
        "face_status",
        "reference_face_of",
        "other_accounts",
        "consent_given",
        "picture_scores",
        "deepfake",
        "review_panel",
        "review_panel_decidable",
        "stopped_at",
        "retention_state",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if self._revealing(request):
            ocr = "ocr_result"
        else:
            ocr = "ocr_result_revealable" if self.has_identity_permission(request) else "ocr_result_masked"
        return (
            (
                None,
                {
                    "fields": (
                        "public_id",
                        "user",
                        "status",
                        "product",
                        "channel",
                        "document",
                        "scene_code",
                        "options",
                    )
                },
            ),
            (
                _("Decision"),
                {
                    "fields": (
                        "passed",
                        "sub_code_in_words",
                        "error_code_in_words",
                        "error_message",
                        "completed_at",
                        "stopped_at",
                    )
                },
            ),
            *self.review_fieldsets(request),
            (_("Checks"), {"fields": ("checks", "face_result", "picture_scores", "consent_given")}),
            (
                _("Faces"),
                {
                    "fields": (
                        "purpose",
                        "reverify_of_link",
                        "face_status",
                        "deepfake",
                        "reference_face_of",
                        "other_accounts",
                    )
                },
            ),
            (_("Identity data (OCR)"), {"fields": (ocr, "identity_purged_at", "provider_deleted_at")}),
            (_("Retention"), {"fields": ("retention_state",)}),
            (
                _("Provider"),
                {
                    "fields": (
                        "account",
                        "transaction_id",
                        "merchant_biz_id",
                        "merchant_user_id",
                        "created_at",
                        "updated_at",
                    )
                },
            ),
        )

    @admin.display(description=_("product"))
    def product(self, obj: KycTransaction) -> str:
        return code_and_words(obj.product_label, obj.product_code)

    @admin.display(description=_("document type"))
    def document(self, obj: KycTransaction) -> str:
        """The document's name, as the list shows it, with its code beside it (the filter and the provider's)."""
        return code_and_words(obj.doc_type_label, obj.doc_type)

    @admin.display(description=_("sub code"))
    def sub_code_in_words(self, obj: KycTransaction) -> str:
        return code_and_words(CODE_MESSAGES.get(obj.sub_code), obj.sub_code)

    @admin.display(description=_("error code"))
    def error_code_in_words(self, obj: KycTransaction) -> str:
        return code_and_words(CODE_MESSAGES.get(obj.error_code), obj.error_code)

    @admin.display(description=_("Document checks"))
    def checks(self, obj: KycTransaction) -> str:
        return checks_list(unreadable(obj) or obj.document_checks)

    @admin.display(description=_("Face comparison and liveness"))
    def face_result(self, obj: KycTransaction) -> str:
        return checks_list(unreadable(obj) or obj.face_checks)

    @admin.display(description=_("verification"), ordering="public_id")
    def short_id(self, obj: KycTransaction) -> str:
        """The first block of the public id (searchable whole); the full id is on the page and in the tooltip."""
        return format_html('<span title="{}">{}</span>', obj.public_id, str(obj.public_id)[:8])

    @admin.display(description=_("face library"), ordering="face_status")
    def face_library(self, obj: KycTransaction) -> str:
        return obj.get_face_status_display() if obj.face_status else "-"

    @admin.display(description=_("check"), ordering="product_code")
    def what(self, obj: KycTransaction) -> str:
        """The product and the document, by name; a re-verification says so."""
        product = format_html('<span title="{}">{}</span>', obj.product_label, obj.product_code)
        kind = _("Re-verification") if obj.purpose == Purpose.REVERIFY else obj.doc_type_label
        return format_html("{}<br><small>{}</small>", product, kind) if kind else product

    @admin.display(description=_("outcome"), ordering="status")
    def outcome(self, obj: KycTransaction) -> str:
        """The status, and why in words (the sub code or the app's error code in the tooltip)."""
        code = obj.error_code or obj.sub_code
        if not code or obj.status == Status.PASSED:
            return obj.get_status_display()
        words = reason_in_words(obj) or code
        return format_html('{}<br><small title="{}">{}</small>', obj.get_status_display(), code, words)

    @admin.display(description=_("Re-verifies"))
    def reverify_of_link(self, obj: KycTransaction) -> str:
        return change_link(obj.reverify_of) if obj.reverify_of else "-"

    @admin.display(description=_("Same person as (other accounts)"))
    def other_accounts(self, obj: KycTransaction) -> str:
        """The other accounts whose registered face matched this verification's: staff only, never the user."""
        matches = list(obj.duplicate_matches.select_related("matched_transaction__user"))
        if not matches:
            return "-"
        rows: list[tuple[object, str]] = []
        for match in matches:
            other = match.matched_transaction
            if other is None:
                rows.append((_("an account since deleted"), match.face_group))
            else:
                rows.append((format_html("{} ({})", other.user, change_link(other)), match.face_group))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} &middot; {}</li>", rows))
