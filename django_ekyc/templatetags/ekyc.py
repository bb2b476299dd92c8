"""Template tags: ``{% load ekyc %}``.

- ``{% ekyc_scripts %}``: the provider's web SDK script (the simulator's in development mode), this app's helper
  ``ekyc.js`` and its messages in the page's language; once per page, before any start button.
- ``{% ekyc_web_sdk %}``: the web SDK script alone (for a frontend that starts verifications its own way).
- ``{% ekyc_messages %}``: the helper's messages alone, for a page that imports the ES module ``ekyc.mjs``.
- ``{% ekyc_start_button _("Verify my identity") product_code="eKYC" doc_type="01000000" %}``: a button that starts
  a verification when the user presses it (never on page load), with a place for its error message;
  ``purpose="reverify"`` starts a re-verification.
- ``{% if request.user|ekyc_verified %}``, ``{% if request.user|ekyc_verified:600 %}`` (within ten minutes),
  ``{% if request.user|ekyc_verified_of:"eKYC_PRO,FACE_LIVENESS_PRO" %}`` (of these products, any age),
  ``{% if request.user|ekyc_reverified:300 %}``: the guards of :mod:`django_ekyc.decorators`, for templates.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from django_ekyc import services
from django_ekyc.offering import web_sdk_url

register = template.Library()


def script_messages() -> dict[str, str]:
    """What ekyc.js may have to say, in the request's language."""
    return {
        "sdk_missing": _("The verification service did not load. Reload the page and try again."),
        "network": _("No connection to the site. Check your network and try again."),
        "start_failed": _("The verification could not start. Please try again."),
        "starting": _("Starting…"),
    }


@register.simple_tag
def ekyc_web_sdk() -> SafeString:
    return format_html('<script src="{}"></script>', web_sdk_url())


@register.simple_tag
def ekyc_messages() -> SafeString:
    return json_script(script_messages(), "ekyc-messages")


@register.simple_tag
def ekyc_scripts() -> SafeString:
    return format_html(
        '{}\n{}\n<script src="{}"></script>', ekyc_web_sdk(), ekyc_messages(), static("django_ekyc/ekyc.js")
    )


@register.inclusion_tag("django_ekyc/tags/start_button.html", takes_context=True)
def ekyc_start_button(
    context: template.Context,
    label: str = "",
    *,
    product_code: str = "",
    doc_type: str = "",
    purpose: str = "",
    css_class: str = "ekyc-start",
    button_id: str = "",
) -> dict[str, Any]:
    return {
        "button_id": button_id or f"ekyc-start-{secrets.token_hex(4)}",
        "label": label or (_("Confirm it is me") if purpose == "reverify" else _("Verify my identity")),
        "url": reverse("django_ekyc:transaction-list"),
        "product_code": product_code,
        "doc_type": doc_type,
        "purpose": purpose,
        "css_class": css_class,
        "csrf_token": context.get("csrf_token", ""),
    }


@register.filter
def ekyc_verified(user: Any, max_age: Any = None) -> bool:
    """Whether ``user`` passed a verification of a product that verifies a document (within ``max_age`` seconds,
    if given)."""
    return services.is_verified(user, max_age=_seconds(max_age))


@register.filter
def ekyc_verified_of(user: Any, product: Any) -> bool:
    """Whether ``user`` passed a verification of one of ``product``: ProductCodes separated by commas, or a list
    from the context. An unknown code raises ``ValueError`` when the page renders: never a silent False."""
    codes = [code.strip() for code in product.split(",") if code.strip()] if isinstance(product, str) else product
    return services.is_verified(user, product=codes)


@register.filter
def ekyc_reverified(user: Any, max_age: Any = 15 * 60) -> bool:
    """Whether ``user`` re-verified within ``max_age`` seconds (default 15 minutes)."""
    return services.is_reverified(user, max_age=_seconds(max_age))


def _seconds(value: Any) -> Any:
    """A template passes numbers as text or numbers; a timedelta from the context goes through."""
    if isinstance(value, str):
        return float(value) if value.strip() else None
    return value
