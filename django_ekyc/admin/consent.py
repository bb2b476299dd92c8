"""The users' consents: read-only, as given in the frontend; shown with each check made under one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.admin.display import checks_list
from django_ekyc.models import Consent, KycTransaction
from django_ekyc.text import moment_text

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
        withdrawn = moment_text(consent.withdrawn_at) if consent.withdrawn_at else gettext("no")
        # One sentence with placeholders, not fragments: each language puts the parts in its own order.
        said = gettext("%(purpose)s v%(version)s (%(language)s), given %(given)s, withdrawn: %(withdrawn)s") % {
            "purpose": consent.purpose,
            "version": consent.version,
            "language": consent.language or "-",
            "given": moment_text(consent.given_at),
            "withdrawn": withdrawn,
        }
        return format_html("{}", said)

    @admin.display(description=_("Scores of a check from pictures"))
    def picture_scores(self, obj: KycTransaction) -> str:
        scores = obj.result_part("scores")
        return checks_list(dict(scores))
