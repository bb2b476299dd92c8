"""The change list at any size of the table: a page costs what it shows, not what the table holds.

Three things grow with a table that Django's admin reads by default, and each is bounded here:

- **The count.** Pagination counts the matching rows (``COUNT(*)``: the whole table, or the whole of a filter).
  Here it counts up to :data:`COUNT_CAP` rows (a ``LIMIT`` inside the count): below the cap, the exact figure;
  at the cap, the list says it shows the first ``COUNT_CAP`` in its order, and the filters narrow it further.
- **Deep pages.** ``OFFSET`` reads every row it skips: with pages up to the cap only, the deepest page reads
  ``COUNT_CAP`` index entries, at 10,000 rows or at 10 million.
- **The encrypted columns.** The list shows none of them, and each would be decrypted for every listed row:
  they are deferred (the change page, which shows them, reads them).

An action on "all" the rows of a list beyond the cap is refused: the list cannot say how many that is.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from django_ekyc.models import KycTransaction
from django_ekyc.text import number_text

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object

COUNT_CAP = 10_000
# Columns no list shows, and which cost a decryption each (the change page reads them).
DEFERRED = ("result", "reference_face", "verify_log")


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Counts at most ``COUNT_CAP`` rows: the pages reach that far, no further."""

    @cached_property
    def _counted(self) -> int:
        """The matching rows, counted up to one past the cap (one query)."""
        object_list: Any = self.object_list
        if not isinstance(object_list, QuerySet):
            return len(object_list)
        return int(object_list.order_by()[: COUNT_CAP + 1].count())  # the order changes no count, and costs a sort

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        """More rows match than the pages reach."""
        return self._counted > COUNT_CAP


class LeanChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        return super().get_queryset(request, exclude_parameters).defer(*DEFERRED)


class LargeTableList(_Admin):
    """Mixed into the verifications' admins (the list and the review queue)."""

    paginator = CappedPaginator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LeanChangeList

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) if isinstance(response, TemplateResponse) else None
        changelist = (context or {}).get("cl")
        if changelist is not None and getattr(changelist.paginator, "capped", False):
            note = _(
                "More than %(count)s verifications match: the list shows the first %(count)s in this order. "
                "Narrow it with the filters."
            )
            messages.info(request, note % {"count": number_text(COUNT_CAP)})
        return response

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[KycTransaction], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        across = forms.BooleanField(required=False).to_python(request.POST.get("select_across"))  # as the action form
        if across and queryset.order_by()[COUNT_CAP : COUNT_CAP + 1].exists():
            self.message_user(
                request,
                _("An action applies to at most %(count)s verifications: narrow the list with the filters.")
                % {"count": number_text(COUNT_CAP)},
                messages.WARNING,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, *args, **kwargs)
