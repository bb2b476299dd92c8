"""Demo pages: choose a document, start (through the app's API and JS helper), see the outcome; a payout page
that asks the user to confirm it is them (a re-verification) before it shows; and checks from the user's own
pictures (uploaded files or a camera selfie), answered in one request."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from django_ekyc import services
from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureCheck
from django_ekyc.conf import ekyc_settings
from django_ekyc.decorators import reverification_required
from django_ekyc.models import KycTransaction
from django_ekyc.offering import account_region, offered_products
from django_ekyc.outcomes import describe


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
    reverify = kyc.purpose == "reverify"
    context = {
        "transaction": kyc,
        "outcome": describe(kyc),  # the app's words for the state, in the request's language, as its result page
        "next": request.session.get(NEXT_KEY) if reverify else None,
        # Starting again starts the same kind of verification (a re-verification's product is the site's).
        "retry": {"purpose": "reverify"} if reverify else {"product": kyc.product_code, "doc_type": kyc.doc_type},
    }
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


# The pictures a check may take, in the order the page asks for them, each with its label.
PICTURE_FIELDS = (
    ("document", "A picture of your document"),
    ("face", "A picture of your face"),
    ("reference", "The face to compare with"),
)
SAMPLES = (  # development mode: simulated pictures to download, by their /_sim/sample-picture query
    ("A face of alice", "alice-face.png", "kind=face&person=alice"),
    ("A face of bob", "bob-face.png", "kind=face&person=bob"),
    ("A passport of alice", "alice-passport.png", "kind=document&person=alice&document=GLB03002"),
    ("A deepfake face of alice", "alice-deepfake.png", "kind=face&person=alice&deepfake=1"),
)


def picture_check_choice(check: PictureCheck, region: str) -> dict[str, object]:
    """A check as the page offers it: its code, label, the pictures it takes and the documents it reads."""
    return {
        "code": check.code,
        "label": gettext(check.product.label),
        "pictures": [{"name": picture.name, "label": gettext(picture.label)} for picture in check.pictures],
        "doc_types": {code: gettext(label) for code, label in check.doc_types_in(region).items()},
    }


def picture_check_choices(request: HttpRequest) -> list[dict[str, object]]:
    """The checks from pictures the site offers in its region; and the step-up from one face picture, for a user
    who passed a verification, where the site allows it."""
    region = account_region()
    choices = [
        picture_check_choice(PICTURE_CHECKS[code], region)
        for code in ekyc_settings.PICTURE_CHECKS
        if code in PICTURE_CHECKS and region in PICTURE_CHECKS[code].regions
    ]
    if ekyc_settings.REVERIFY_FROM_PICTURE and ekyc_settings.REVERIFY_PRODUCT and services.is_verified(request.user):
        face = {"name": "face", "label": gettext("A picture of your face")}
        choices.append(
            {"code": "reverify", "label": gettext("Confirm it is you (one face picture)"), "pictures": [face]}
        )
    return choices


@login_required
@require_GET
@ensure_csrf_cookie
def checks(request: HttpRequest) -> HttpResponse:
    """Checks from the user's own pictures: the page posts them to the app's API (``ekyc/api/checks/``)."""
    uses_simulator = getattr(settings, "EKYC_USES_SIMULATOR", False)
    simulator = (ekyc_settings.SIMULATOR_URL or ekyc_settings.ENDPOINT or "").rstrip("/") if uses_simulator else ""
    samples = [(label, name, f"{simulator}/_sim/sample-picture?{query}") for label, name, query in SAMPLES]
    context = {
        "checks": picture_check_choices(request),
        "picture_fields": [(name, gettext(label)) for name, label in PICTURE_FIELDS],
        "samples": samples if simulator else [],
    }
    return render(request, "example_project/checks.html", context)
