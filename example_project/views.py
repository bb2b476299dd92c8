"""Demo pages: choose a document, start (through the app's API and JS helper), see the outcome; and a payout page
that asks the user to confirm it is them (a re-verification) before it shows."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from django_ekyc import services
from django_ekyc.conf import ekyc_settings
from django_ekyc.decorators import reverification_required
from django_ekyc.models import KycTransaction
from django_ekyc.offering import account_region, offered_products


def product_choices() -> list[dict[str, object]]:
    """The products the site offers, each with the documents it reads in the site's region (none: a face only)."""
    region = account_region()
    return [
        {
            "code": product.code,
            "label": gettext(product.label),
            "doc_types": {code: gettext(label) for code, label in product.doc_types_in(region).items()},
        }
        for product in offered_products()
        if region in product.regions
    ]


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "products": product_choices(),
        "uses_simulator": getattr(settings, "EKYC_USES_SIMULATOR", False),
        "endpoint": ekyc_settings.ENDPOINT,
        "verified": services.latest_verification(request.user),
        "attempts": KycTransaction.objects.for_user(request.user)[:10],
    }
    return render(request, "example_project/home.html", context)


@login_required
@require_GET
def verification(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where EKYC["RESULT_REDIRECT_URL"] sends the user after the provider's page; after a re-verification that
    passed, it offers the way back to the page that asked for it."""
    kyc = get_object_or_404(KycTransaction.objects.for_user(request.user), public_id=public_id)
    context = {"transaction": kyc, "next": request.session.get(NEXT_KEY) if kyc.purpose == "reverify" else None}
    return render(request, "example_project/verification.html", context)


NEXT_KEY = "demo_reverify_next"


@login_required
@require_GET
def confirm_it_is_you(request: HttpRequest) -> HttpResponse:
    """EKYC["REVERIFY_URL"]: where a guarded page sends a user who must re-verify first."""
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        request.session[NEXT_KEY] = next_url
    context = {
        "uses_simulator": getattr(settings, "EKYC_USES_SIMULATOR", False),
        "verified": services.is_verified(request.user),
    }
    return render(request, "example_project/confirm.html", context)


@reverification_required(max_age=5 * 60)
@require_GET
def payout(request: HttpRequest) -> HttpResponse:
    """A high-risk page: shown only to a user who re-verified in the last five minutes."""
    return render(request, "example_project/payout.html", {"since": services.latest_reverification(request.user)})
