"""The identity data (OCR) on a verification's page: masked by default, revealed by permission and on record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from django_ekyc.admin.display import definition_list, unreadable
from django_ekyc.models import KycTransaction
from django_ekyc.services import exports

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object

MASK = "\u2022" * 6


def _mask(value: Any) -> str:
    """The same mark for every value: no character of it, not even its length, shows."""
    return MASK


def _ocr_view(obj: KycTransaction) -> dict[str, Any]:
    return unreadable(obj) or obj.ocr_fields


class IdentityReveal(_Admin):
    """Mixed into the transactions' admin: the masked OCR fields, and the POST-only view that reveals them."""

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
            exports.record_reveal(obj, request.user)  # and on the verification's tamper-evident history
        return response

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result(self, obj: KycTransaction) -> str:
        return definition_list(_ocr_view(obj))

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result_masked(self, obj: KycTransaction) -> str:
        fields = _ocr_view(obj)
        masked = {key: _mask(value) for key, value in fields.items()}
        return format_html('{}<p class="help">{}</p>', definition_list(masked), _("Masked."))

    @admin.display(description=_("Document fields read (OCR)"))
    def ocr_result_revealable(self, obj: KycTransaction) -> str:
        fields = _ocr_view(obj)
        if not fields:
            return definition_list(fields)
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
        return format_html("{}{}", definition_list(masked), hint)
