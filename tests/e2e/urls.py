"""The example project's URLs in the request's language, and a page with the app's own start button.

The live server's middleware is fixed when it starts, so ``override_settings(MIDDLEWARE=...)`` cannot add
``LocaleMiddleware``: every view here runs inside it instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template import engines
from django.urls import URLPattern, URLResolver, path

from example_project.urls import urlpatterns as example_urlpatterns

START_PAGE = """{% extends "django_ekyc/base.html" %}{% load i18n ekyc %}
{% block content %}
<h1>{% translate "Identity verification" %}</h1>
<p>{% ekyc_start_button doc_type=doc_type button_id="verify" %}</p>
{% ekyc_scripts %}
{% endblock %}"""


def start_page(request: HttpRequest) -> HttpResponse:
    """The tag's button, as a site renders it; ``?doc_type=`` picks the document (a wrong one: a field error)."""
    page = engines["django"].from_string(START_PAGE)
    return HttpResponse(page.render({"doc_type": request.GET.get("doc_type", "01000000")}, request))


def localized(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)  # keeps csrf_exempt and the other marks of the view
    def in_language(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return LocaleMiddleware(lambda req: view(req, *args, **kwargs))(request)

    return in_language


def localize(patterns: Sequence[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Copies of ``patterns`` (the originals serve the other tests) whose views run in the request's language."""
    copies: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            copies.append(
                URLResolver(
                    entry.pattern, localize(entry.url_patterns), entry.default_kwargs, entry.app_name, entry.namespace
                )
            )
        else:
            copies.append(URLPattern(entry.pattern, localized(entry.callback), entry.default_args, entry.name))
    return copies


start_button = path("start-button/", start_page, name="start-button")
urlpatterns = localize([start_button, *cast("list[URLPattern | URLResolver]", example_urlpatterns)])
