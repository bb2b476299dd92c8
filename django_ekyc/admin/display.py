"""The HTML pieces the transactions' read-only fields are drawn with, shared by the admin's mixins."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from django_ekyc.models import KycTransaction


def definition_list(data: Mapping[str, Any]) -> str:
    if not data:
        return "-"
    rows = format_html_join(
        "",
        "<dt>{}</dt><dd>{}</dd>",
        (
            (key, value if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False))
            for key, value in data.items()
        ),
    )
    return format_html('<dl class="ekyc-result">{}</dl>', rows)


def change_link(obj: KycTransaction) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[quote(obj.pk)])
    return format_html('<a href="{}">{}</a>', url, obj.public_id)


def unreadable(obj: KycTransaction) -> dict[str, str]:
    return {"-": "encrypted with a key that is no longer configured"} if obj.result_unreadable else {}
