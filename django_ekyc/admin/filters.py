"""The change list's filters whose choices come from code or settings, so the page costs the same at any size."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.models import KycTransaction
from django_ekyc.offering import offered_products


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
                for code, label in product.doc_types_in(region).items():
                    choices.setdefault(code, f"{gettext(label)} ({code})")
        return choices
