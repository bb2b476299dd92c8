"""The review queue: the verifications waiting for a person, oldest first, with how many wait and since when.

Seen with ``review_kyctransaction``; a row opens the verification's page, where the review panel records a
decision (``decide_kyctransaction``). The filters' choices come from code, and the list is read on the
``(review, review_since)`` index, so the page costs the same at any size of the table.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Min, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_ekyc.admin.filters import ProductFilter
from django_ekyc.admin.transactions import KycTransactionAdmin
from django_ekyc.models import OPEN_REVIEW, KycTransaction, ReviewQueueItem


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(KycTransactionAdmin):
    # The queue's own columns and filters (other tuples than the verifications' list: hence the ignores).
    list_display = ("short_id", "user", "what", "reviewed_for", "review", "waiting", "outcome")  # type: ignore[assignment]
    list_filter = ("review_rule", "review", ProductFilter, "channel", "status")  # type: ignore[assignment]
    ordering = ("review_since", "id")
    actions = ()  # type: ignore[assignment]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KycTransaction]:
        return super().get_queryset(request).filter(review__in=sorted(OPEN_REVIEW))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_review_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_review_permission(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    @admin.display(description=_("reviewed for"), ordering="review_rule")
    def reviewed_for(self, obj: KycTransaction) -> str:
        return obj.get_review_rule_display() or "-"

    @admin.display(description=_("waiting"), ordering="review_since")
    def waiting(self, obj: KycTransaction) -> str:
        return timesince(obj.review_since) if obj.review_since else "-"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The list, and above it how many wait (by rule) and since when the oldest does."""
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["subtitle"] = self.summary()
        return response

    def summary(self) -> str:
        rows = (
            ReviewQueueItem.objects.filter(review__in=sorted(OPEN_REVIEW))
            .values("review_rule")
            .annotate(count=Count("id"), oldest=Min("review_since"))
            .order_by()
        )
        counted = list(rows)
        total = sum(row["count"] for row in counted)
        if not total:
            return gettext("Nothing waits for a review.")
        oldest = min(row["oldest"] for row in counted if row["oldest"] is not None)
        return gettext("%(count)d waiting; the oldest for %(age)s.") % {
            "count": total,
            "age": timesince(oldest, timezone.now()),
        }
