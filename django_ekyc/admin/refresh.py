"""The staff action that asks the provider again about selected verifications, within the page's deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_ekyc import services
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import ProviderCallFailed
from django_ekyc.models import EventSource, KycTransaction

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object


class ProviderRefresh(_Admin):
    """Mixed into the transactions' admin: the ``refresh_from_provider`` action, for the ``refresh`` permission."""

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.refresh_kyctransaction")

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
        # Two messages, not one sentence with two counts: each count is a real plural, in every language's forms.
        self.message_user(request, answered_message(refreshed))
        if failed:
            self.message_user(request, unasked_message(failed), messages.WARNING)


def answered_message(count: int) -> str:
    return ngettext(
        "Refreshed %(count)d transaction from the provider.",
        "Refreshed %(count)d transactions from the provider.",
        count,
    ) % {"count": count}


def unasked_message(count: int) -> str:
    return ngettext(
        "%(count)d transaction could not be refreshed (its code is above).",
        "%(count)d transactions could not be refreshed (their codes are above).",
        count,
    ) % {"count": count}
