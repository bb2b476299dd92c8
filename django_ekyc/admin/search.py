"""Finding a verification from the change list: by provider id, public id or user, with a safe query string."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseBadRequest
from django.utils.translation import gettext

from django_ekyc.models import KycTransaction
from django_ekyc.validation import has_unsafe_text

# A search for a user lists the verifications of at most this many matching users.
USER_MATCHES = 100

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
            return HttpResponseBadRequest(gettext("The query string contains characters that are not allowed."))
        return super().changelist_view(request, extra_context)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return _user_search_fields()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[KycTransaction], search_term: str
    ) -> tuple[QuerySet[KycTransaction], bool]:
        """An id (the provider's transaction id, the merchant business id, the public id) is looked up exactly, on
        its unique index; anything else is a user, looked up in the user table first, then on the
        ``(user, created_at)`` index: no search reads the verifications' table beyond what it finds."""
        term = search_term.strip()
        if not term:
            return queryset, False
        by_id = Q(transaction_id=term) | Q(merchant_biz_id=term)
        with contextlib.suppress(ValueError):
            by_id |= Q(public_id=uuid.UUID(term))
        if KycTransaction.objects.filter(by_id).exists():
            return queryset.filter(by_id), False
        matching = Q()
        for field in _user_search_fields():
            matching |= Q(**{f"{field.removeprefix('user__')}__icontains": term})
        users = list(get_user_model().objects.filter(matching).values_list("pk", flat=True)[:USER_MATCHES])
        return queryset.filter(user_id__in=users), False
