"""The provider's own records in the admin: reporting a confirmed fraud back to the provider
(``FraudResultCallBack``), a staff act with its own permission (``report_fraud``), on record in the verification's
history (who reported, what the provider answered) and in Django's admin log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput, ProviderCallFailed
from django_ekyc.models import KycTransaction
from django_ekyc.services import records

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object

CONFIRMED_FRAUD = "REJECT"  # FraudResultCallBack's ResultCode for a fraud the site confirmed


class FraudReporting(_Admin):
    """Mixed into the transactions' admin: the ``report_fraud`` action, for the ``report_fraud`` permission."""

    def has_report_fraud_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.report_fraud")

    @admin.action(description=_("Report the selected verifications to the provider as confirmed fraud"),
                  permissions=["report_fraud"])  # fmt: skip
    def report_fraud(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> None:
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):  # the page must answer within the worker's life
            for kyc in queryset:
                self._report_one(request, kyc)

    def _report_one(self, request: HttpRequest, kyc: KycTransaction) -> None:
        try:
            answer = records.report_fraud(kyc, staff=request.user, result_code=CONFIRMED_FRAUD)
        except InvalidInput as refused:
            self.message_user(request, f"{kyc.public_id}: {refused.message}", messages.WARNING)
            return
        except ProviderCallFailed as failure:
            code = failure.error.code or type(failure.error).__name__
            self.message_user(request, f"{kyc.public_id}: {code}", messages.ERROR)
            return
        self.log_change(request, kyc, f"Reported to the provider as confirmed fraud (Success={answer.success}).")
        if answer.success:
            self.message_user(request, gettext("%s: the provider took the report.") % kyc.public_id)
        else:
            said = answer.code or answer.message
            self.message_user(
                request, gettext("%(id)s: the provider did not take the report (%(said)s).") % {
                    "id": kyc.public_id, "said": said}, messages.WARNING,
            )  # fmt: skip
