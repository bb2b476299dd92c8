"""Staff review of verifications: read-only, because the flow alone creates and moves them; staff decide only what
the flow leaves to them (a flagged face, :mod:`django_ekyc.admin.faces`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc import services
from django_ekyc.admin.faces import FaceRecordAdmin as FaceRecordAdmin
from django_ekyc.admin.faces import ReadOnly, ReferenceFaceReview
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import ProviderCallFailed
from django_ekyc.models import EventSource, FaceRecord, KycTransaction, KycTransactionEvent, Purpose, Status
from django_ekyc.offering import doc_types_for, offered_products
from django_ekyc.outcomes import reason as reason_in_words
from django_ekyc.validation import has_unsafe_text

if TYPE_CHECKING:  # django-stubs makes these generic; Django's runtime classes are not subscriptable
    _EventInline = admin.TabularInline[KycTransactionEvent, KycTransaction]
    _TransactionAdmin = admin.ModelAdmin[KycTransaction]
    _FaceRecordAdmin = admin.ModelAdmin[FaceRecord]
else:
    _EventInline = admin.TabularInline
    _TransactionAdmin = admin.ModelAdmin
    _FaceRecordAdmin = admin.ModelAdmin


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


class ChoicesFromCodeFilter(admin.SimpleListFilter):
    """A filter whose choices come from code or settings: a value outside them matches nothing and never
    reaches SQL, and no DISTINCT over the table is run to find them."""

    field = ""

    def choices_by_value(self) -> dict[str, str]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(self.choices_by_value().items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> QuerySet[KycTransaction]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(**{self.field: value}) if value in self.choices_by_value() else queryset.none()


class ProductFilter(ChoicesFromCodeFilter):
    title = _("product")
    parameter_name = field = "product_code"

    def choices_by_value(self) -> dict[str, str]:
        return {product.code: f"{gettext(product.label)} ({product.code})" for product in offered_products()}


class DocTypeFilter(ChoicesFromCodeFilter):
    title = _("document type")
    parameter_name = field = "doc_type"

    def choices_by_value(self) -> dict[str, str]:
        choices: dict[str, str] = {}
        for product in offered_products():
            for region in sorted(product.regions):
                for code, label in doc_types_for(product, region).items():
                    choices.setdefault(code, f"{gettext(label)} ({code})")
        return choices


@admin.register(KycTransaction)
class KycTransactionAdmin(ReadOnly, ReferenceFaceReview, _TransactionAdmin):
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
        "created_at",
    )
    list_select_related = ("user",)
    show_full_result_count = False  # one COUNT(*) per page, not two
    raw_id_fields = ("user",)
    inlines = (KycTransactionEventInline,)
    actions = ("refresh_from_provider", "accept_reference_face")
    readonly_fields = (
        "public_id",
        "user",
        "status",
        "product_code",
        "channel",
        "account",
        "doc_type",
        "scene_code",
        "options",
        "passed",
        "sub_code",
        "error_code",
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
                        "product_code",
                        "channel",
                        "doc_type",
                        "scene_code",
                        "options",
                    )
                },
            ),
            (_("Decision"), {"fields": ("passed", "sub_code", "error_code", "error_message", "completed_at")}),
            (_("Checks"), {"fields": ("checks", "face_result")}),
            (
                _("Faces"),
                {"fields": ("purpose", "reverify_of_link", "face_status", "reference_face_of", "other_accounts")},
            ),
            (_("Identity data (OCR)"), {"fields": (ocr, "identity_purged_at", "provider_deleted_at")}),
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

    def has_identity_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.view_identity_data")

    def _revealing(self, request: HttpRequest) -> bool:
        return getattr(request, "_ekyc_reveal", False) is True

    def get_urls(self) -> list[Any]:
        reveal = path(
            "<path:object_id>/reveal/",
            self.admin_site.admin_view(self.reveal_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_reveal",
        )
        return [reveal, *super().get_urls()]

    def reveal_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show the unmasked identity data: a POST (CSRF-checked by the admin), by permission, on record.

        Only a reveal that showed someone's data is written to the admin log; a refused one changes nothing.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_identity_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        request._ekyc_reveal = True  # type: ignore[attr-defined]
        request.method = "GET"  # render the read-only change page, revealed
        response = super().change_view(request, object_id)
        if obj.ocr_fields:
            # Every look at someone's documents is on record, in Django's admin log.
            self.log_change(request, obj, "Revealed identity data.")
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # NUL and lone surrogates cannot reach a database query (PostgreSQL refuses them with an error).
        texts = [text for key, values in request.GET.lists() for text in (key, *values)]
        if any(has_unsafe_text(text) for text in texts):
            return HttpResponseBadRequest("The query string contains characters that are not allowed.")
        return super().changelist_view(request, extra_context)

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

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.refresh_kyctransaction")

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result(self, obj: KycTransaction) -> str:
        return _definition_list(_ocr_view(obj))

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result_masked(self, obj: KycTransaction) -> str:
        fields = _ocr_view(obj)
        masked = {key: _mask(value) for key, value in fields.items()}
        return format_html('{}<p class="help">{}</p>', _definition_list(masked), _("Masked."))

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result_revealable(self, obj: KycTransaction) -> str:
        fields = _ocr_view(obj)
        if not fields:
            return _definition_list(fields)
        masked = {key: _mask(value) for key, value in fields.items()}
        reveal_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_reveal", args=[quote(obj.pk)]
        )
        # The change page is itself a form (with its CSRF token): the button posts it to the reveal view.
        hint = format_html(
            '<p class="help">{} <button type="submit" formaction="{}" formmethod="post" '
            'id="reveal-identity">{}</button></p>',
            _("Masked."),
            reveal_url,
            _("Reveal (this is recorded)"),
        )
        return format_html("{}{}", _definition_list(masked), hint)

    @admin.display(description=_("Document checks"))
    def checks(self, obj: KycTransaction) -> str:
        return _definition_list(_unreadable(obj) or obj.document_checks)

    @admin.display(description=_("Face comparison and liveness"))
    def face_result(self, obj: KycTransaction) -> str:
        return _definition_list(_unreadable(obj) or obj.face_checks)

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
        return _change_link(obj.reverify_of) if obj.reverify_of else "-"

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
                rows.append((format_html("{} ({})", other.user, _change_link(other)), match.face_group))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} &middot; {}</li>", rows))

    @admin.action(description=_("Refresh selected transactions from the provider"), permissions=["refresh"])
    def refresh_from_provider(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):  # the page must answer within the worker's life
            self._refresh_each(request, queryset)

    def _refresh_each(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        refreshed, failed = 0, 0
        for kyc in queryset:
            try:
                services.refresh(kyc, source=EventSource.ADMIN)
                refreshed += 1
            except ProviderCallFailed as failure:
                failed += 1
                self.message_user(
                    request, f"{kyc.public_id}: {failure.error.code or type(failure.error).__name__}", messages.WARNING
                )
        self.message_user(request, f"Asked the provider about {refreshed} transaction(s); {failed} failed.")


def _change_link(obj: KycTransaction) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[quote(obj.pk)])
    return format_html('<a href="{}">{}</a>', url, obj.public_id)


MASK = "\u2022" * 6


def _mask(value: Any) -> str:
    """The same mark for every value: no character of it, not even its length, shows."""
    return MASK


def _unreadable(obj: KycTransaction) -> dict[str, str]:
    return {"-": "encrypted with a key that is no longer configured"} if obj.result_unreadable else {}


def _ocr_view(obj: KycTransaction) -> dict[str, Any]:
    return _unreadable(obj) or obj.ocr_fields
