"""The users' consents: read-only, as given in the frontend; shown with each check made under one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from django_ekyc.admin.display import definition_list
from django_ekyc.models import Consent, KycTransaction

if TYPE_CHECKING:
    _ConsentAdmin = admin.ModelAdmin[Consent]
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _ConsentAdmin = admin.ModelAdmin
    _Admin = object


@admin.register(Consent)
class ConsentAdmin(_ConsentAdmin):
    """Who agreed to which text, when, for which check; and whether they withdrew. Nobody edits a consent."""

    list_display = ("public_id", "user", "purpose", "version", "check_code", "given_at", "withdrawn_at")
    list_filter = ("purpose", "version", "withdrawn_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    show_full_result_count = False
    readonly_fields = (
        "public_id", "user", "purpose", "check_code", "version", "text_sha256", "language", "given_at", "withdrawn_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False


class ConsentDisplay(_Admin):
    """On a check's page: the consent it was made under, and its scores (no picture, no identity data)."""

    @admin.display(description=_("Consent"))
    def consent_given(self, obj: KycTransaction) -> str:
        consent = obj.consent
        if consent is None:
            return "-"
        withdrawn = consent.withdrawn_at.isoformat() if consent.withdrawn_at else _("no")
        return format_html(
            "{} v{} ({}), {} {}, {} {}",
            consent.purpose,
            consent.version,
            consent.language or "-",
            _("given"),
            consent.given_at.isoformat(),
            _("withdrawn:"),
            withdrawn,
        )

    @admin.display(description=_("Scores of a check from pictures"))
    def picture_scores(self, obj: KycTransaction) -> str:
        scores = obj.result_part("scores")
        return definition_list(dict(scores))
