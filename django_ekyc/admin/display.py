"""The HTML pieces the transactions' read-only fields are drawn with, shared by the admin's mixins."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from django_ekyc.models import KycTransaction
from django_ekyc.outcomes import check_in_words
from django_ekyc.text import join_list


def _text(value: Any) -> str:
    if isinstance(value, list) and all(not isinstance(item, (dict, list)) for item in value):
        return join_list(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def definition_list(data: Mapping[str, Any]) -> str:
    if not data:
        return "-"
    rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((key, _text(value)) for key, value in data.items()))
    return format_html('<dl class="ekyc-result">{}</dl>', rows)


def checks_list(data: Mapping[str, Any]) -> str:
    """A result's checks in words (:func:`django_ekyc.outcomes.check_in_words`), as the change list says a sub code:
    the provider's key and its coded answer in the tooltips, a score as it is."""
    if not data:
        return "-"
    rows = []
    for key, value in data.items():
        name, meaning = check_in_words(str(key), value)
        answer = format_html('<span title="{}">{}</span>', _text(value), meaning) if meaning else _text(value)
        rows.append(format_html('<dt title="{}">{}</dt><dd>{}</dd>', key, name, answer))
    return format_html('<dl class="ekyc-result">{}</dl>', format_html_join("", "{}", ((row,) for row in rows)))


def code_and_words(words: object, code: str) -> str:
    """A label or a code's meaning, with the code beside it (staff quote it to the provider, or search for it)."""
    if not code:
        return "-"
    return format_html("{} <small>({})</small>", words, code) if words and str(words) != code else code


def change_link(obj: KycTransaction) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[quote(obj.pk)])
    return format_html('<a href="{}">{}</a>', url, obj.public_id)


def unreadable(obj: KycTransaction) -> dict[str, str]:
    return {"-": gettext("encrypted with a key that is no longer configured")} if obj.result_unreadable else {}
