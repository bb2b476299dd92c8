"""The demo's header: the languages a visitor may switch to."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

register = template.Library()

LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"


@register.simple_tag
def demo_languages() -> list[dict[str, Any]]:
    """``settings.LANGUAGES``, each with its own name; none where no LocaleMiddleware would honour the choice."""
    if LOCALE_MIDDLEWARE not in settings.MIDDLEWARE:
        return []
    return [{**get_language_info(code), "code": code} for code, _name in settings.LANGUAGES]
