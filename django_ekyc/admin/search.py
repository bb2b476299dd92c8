"""Finding a verification from the change list: by provider id, user or public id, with a safe query string."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBadRequest

from django_ekyc.models import KycTransaction
from django_ekyc.validation import has_unsafe_text

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object


def _user_search_fields() -> tuple[str, ...]:
    """Search by the user model's own username field, and email when it has one (custom user models)."""
    user_model = get_user_model()
    fields = [f"user__{user_model.USERNAME_FIELD}"]
    email_field = getattr(user_model, "EMAIL_FIELD", "email")
    if email_field != user_model.USERNAME_FIELD and any(f.name == email_field for f in user_model._meta.fields):
        fields.append(f"user__{email_field}")
    return tuple(fields)


class TransactionSearch(_Admin):
    """Mixed into the transactions' admin: exact ids and the user's name, and no unsafe text reaching SQL."""

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
