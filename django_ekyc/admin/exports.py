"""A person's access request from the verifications' change list: the selected verifications' people, their data
as a zip (JSON and HTML per person), by the ``export_subject_data`` permission, on record (the person's audit
chain, with the staff member; and Django's admin log, per verification)."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_ekyc.models import KycTransaction
from django_ekyc.services.audit import actor_of
from django_ekyc.services.exports import NothingToExport, PersonExport, export_person

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object

LOGGED = "Exported the person's data (access request)."


def zipped(exports: list[PersonExport]) -> bytes:
    """Each person's two files, named by the start of their pseudonym (in full if two starts are the same)."""
    stems = [export.stem for export in exports]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for export in exports:
            stem = export.stem if stems.count(export.stem) == 1 else export.person
            archive.writestr(f"{stem}.json", export.json())
            archive.writestr(f"{stem}.html", export.html())
    return buffer.getvalue()


@admin.action(description=_("Export the data of the selected verifications' people (access request)"),
              permissions=["export"])  # fmt: skip
def export_person_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> HttpResponse:
    """One zip for the people of the selected verifications (the JSON and the page of each)."""
    verifications = list(queryset.order_by("created_at", "id"))
    people = list(dict.fromkeys(kyc.merchant_user_id for kyc in verifications))
    actor = actor_of(request.user)
    exports = []
    for person in people:
        try:
            exports.append(export_person(person, actor=actor))
        except NothingToExport:  # a verification always holds something: only if it went meanwhile
            continue
    for kyc in verifications:
        modeladmin.log_change(request, kyc, LOGGED)
    name = exports[0].stem if len(exports) == 1 else f"person-exports-{timezone.now():%Y%m%d-%H%M%S}"
    response = HttpResponse(zipped(exports), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    response["Cache-Control"] = "no-store"  # identity data: no cache keeps a copy
    return response


class PersonExportAdminMixin(_Admin):
    """Mixed into the transactions' admin: the ``export_person_data`` action, for ``export_subject_data``."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.export_subject_data")

    @admin.action(description=_("Export the data of the selected verifications' people (access request)"),
                  permissions=["export"])  # fmt: skip
    def export_person_data(self, request: HttpRequest, queryset: QuerySet[KycTransaction]) -> HttpResponse:
        return export_person_data(self, request, queryset)  # the module's function, above
