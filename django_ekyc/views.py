"""The ReturnUrl landing and the CallbackUrl endpoint.

Both only prompt a CheckResult with the ids we stored: nothing the browser's
``response`` parameter or the callback's ``passed`` says is believed.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from django_ekyc import services
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import (
    CallbackTokenMismatch,
    EkycError,
    EkycRateLimitUnavailable,
    ProviderCallFailed,
    TransactionNotFound,
)
from django_ekyc.models import KycTransaction
from django_ekyc.outcomes import describe, verdict
from django_ekyc.results._base import TRANSACTION_ID_RE

logger = logging.getLogger("django_ekyc.views")


def result_redirect_url(request: HttpRequest, kyc: KycTransaction) -> str | None:
    """``RESULT_REDIRECT_URL`` for this transaction, or None when unset or not a safe target."""
    template = ekyc_settings.RESULT_REDIRECT_URL
    if not template:
        return None
    url = str(template).replace("{id}", str(kyc.public_id))
    allowed = {request.get_host(), *(h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*")}
    if url_has_allowed_host_and_scheme(url, allowed_hosts=allowed, require_https=request.is_secure()):
        return url
    logger.warning("EKYC RESULT_REDIRECT_URL points off-site; rendering the result page instead")
    return None


# The shapes of what the provider and the browser hand back: anything else is refused before a query.
RETURN_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,128}")
CALLBACK_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def returned(token: str) -> KycTransaction | str:
    """The verification of a return link, after asking the provider; or why there is none to show: ``unknown``
    (no such link: 404) or ``unavailable`` (the database is down: 503)."""
    try:
        if not RETURN_TOKEN_RE.fullmatch(token):
            raise TransactionNotFound("Not a return token.")
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):
            return services.handle_return(token)
    except TransactionNotFound:
        return "unknown"
    except (OperationalError, InterfaceError):
        logger.error("database unavailable on an eKYC return")
        return "unavailable"


@never_cache
@require_GET
@transaction.non_atomic_requests
def return_view(request: HttpRequest, token: str) -> HttpResponse:
    kyc = returned(token)
    if isinstance(kyc, str):
        return render(request, RESULT_TEMPLATE, no_result_context(request, kyc), status=NO_RESULTS[kyc][0])
    redirect_to = result_redirect_url(request, kyc)
    if redirect_to:
        return HttpResponseRedirect(redirect_to)
    return render(request, RESULT_TEMPLATE, result_context(request, kyc, token))


@never_cache
@require_GET
@transaction.non_atomic_requests
def return_status_view(request: HttpRequest, token: str) -> JsonResponse:
    """The waiting page's script asks here instead of reloading the page: the state, when to ask again (the
    server decides: ``recheck_url`` is empty once the page should stop), and the result's HTML once it is in.
    It reveals what the page does, to whoever holds the same link; the provider is asked at most once per
    ``REFRESH_MIN_INTERVAL`` however often it is called."""
    kyc = returned(token)
    if isinstance(kyc, str):
        context = no_result_context(request, kyc)
        status = NO_RESULTS[kyc][0]
    else:
        context, status = result_context(request, kyc, token), 200
    waiting = bool(context.get("waiting"))
    answer: dict[str, object] = {
        "status": context["verdict"],
        "waiting": waiting,
        "title": context["document_title"],
        "heading": str(context["heading"]),
        "recheck_url": context.get("recheck_url", ""),
        "recheck_seconds": context.get("recheck_seconds", RECHECK_SECONDS),
    }
    if not waiting:
        answer["html"] = render_to_string(RESULT_BODY_TEMPLATE, context, request)
    return JsonResponse(answer, status=status)


RESULT_TEMPLATE = "django_ekyc/result.html"
RESULT_BODY_TEMPLATE = "django_ekyc/result_body.html"  # the part the waiting page's script swaps in

# While the result is not in, the page's script asks again by itself: every 5 seconds, 6 times (the provider's
# answer usually follows the user's return within seconds); then the person decides ("Check again").
RECHECK_SECONDS = 5
RECHECKS = 6


def result_context(request: HttpRequest, kyc: KycTransaction, token: str = "") -> dict[str, object]:
    """The result page's context; ``token``, the return link's, gives the waiting page its links."""
    outcome = describe(kyc)
    checks = _int(request.GET.get("check"))
    recheck = bool(token) and outcome.waiting and checks < RECHECKS
    status_url = reverse("django_ekyc:return-status", args=[token]) if token else ""
    return {
        **page_context(request, outcome.title),
        "transaction": kyc,
        "outcome": outcome,
        "verdict": verdict(kyc),  # the effective verdict, as the API says it: never the provider's under a decision
        "waiting": outcome.waiting,
        "verify_url": _start_page(kyc),
        # A new attempt of the same kind (a re-verification's product is the site's, never the page's).
        "retry_purpose": "reverify" if kyc.purpose == "reverify" else "",
        "retry_product": "" if kyc.purpose == "reverify" else kyc.product_code,
        "retry_doc_type": "" if kyc.purpose == "reverify" else kyc.doc_type,
        "page_url": reverse("django_ekyc:return", args=[token]) if token else "",  # the no-script "Check again"
        "recheck_url": f"{status_url}?check={checks + 1}" if recheck else "",
        "recheck_seconds": RECHECK_SECONDS,
        "recheck_messages": recheck_messages() if recheck else {},
    }


def recheck_messages() -> dict[str, str]:
    """What the waiting page's script may say in its live region, in the request's language."""
    return {
        "waiting": ngettext(
            "Waiting for the result: this page checks again by itself every %(seconds)d second.",
            "Waiting for the result: this page checks again by itself every %(seconds)d seconds.",
            RECHECK_SECONDS,
        )
        % {"seconds": RECHECK_SECONDS},
        "paused": gettext("Automatic checks paused. Press the button again to resume them."),
        "resumed": gettext("Automatic checks resumed."),
        "stopped": gettext("No result yet. Check again in a moment, or start again."),
        "failed": gettext("The result could not be checked just now. Check again in a moment."),
    }


# Why a link shows no verification: its answer's status, and the page's heading.
NO_RESULTS: dict[str, tuple[int, Promise]] = {
    "unknown": (404, _("Unknown verification")),
    "unavailable": (503, _("Temporarily unavailable")),
}


def no_result_context(request: HttpRequest, reason: str) -> dict[str, object]:
    """The page for a link that shows no verification: ``unknown`` or ``unavailable``."""
    return {
        **page_context(request, NO_RESULTS[reason][1]),
        "transaction": None,
        "unavailable": reason == "unavailable",
        "verdict": reason,
    }


def page_context(request: HttpRequest, heading: Promise | str) -> dict[str, object]:
    """What every result page has: its heading, its ``<title>`` (the heading and the site), the way back."""
    site = _site_name(request)
    home = ekyc_settings.HOME_URL
    # Translators: a page's title: what the page says, then the site's name.
    title = gettext("%(page)s – %(site)s") % {"page": heading, "site": site} if site else str(heading)
    return {
        "heading": heading,
        "document_title": title,
        "home_url": resolve_url(home) if home else "",  # no target, no link
    }


def _site_name(request: HttpRequest) -> str:
    """The Sites framework's name of this site where it is installed and knows this site, else the host the
    request named: every result page must render, the one that says the database is down included, whether the
    database is down, or the Sites framework has no ``SITE_ID`` and no row for this host."""
    try:
        return get_current_site(request).name
    except (OperationalError, InterfaceError, ObjectDoesNotExist, ImproperlyConfigured):
        return request.get_host()


def _start_page(kyc: KycTransaction) -> str:
    """The site's page to start again (``VERIFY_URL``, or ``REVERIFY_URL`` for a re-verification), if it has one."""
    page = ekyc_settings.REVERIFY_URL if kyc.purpose == "reverify" else ekyc_settings.VERIFY_URL
    return resolve_url(page) if page else ""


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 4 else 0


@csrf_exempt  # called by the provider, not by a browser form
@never_cache
@require_GET
@transaction.non_atomic_requests
def callback_view(request: HttpRequest) -> HttpResponse:
    transaction_id = request.GET.get("transactionId", "")
    token = request.GET.get("callbackToken", "")
    if not TRANSACTION_ID_RE.fullmatch(transaction_id) or (token and not CALLBACK_TOKEN_RE.fullmatch(token)):
        return JsonResponse(
            {"code": "invalid_callback", "detail": "transactionId or callbackToken is not well formed."}, status=400
        )
    try:
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):
            kyc = services.handle_callback(transaction_id, token)
    except (OperationalError, InterfaceError):
        # Nothing is lost: the provider calls again on a non-2xx answer, and sync catches up otherwise.
        logger.error("database unavailable on an eKYC callback")
        return JsonResponse({"code": "database_unavailable", "detail": "Try again later."}, status=503)
    except TransactionNotFound:
        return JsonResponse({"code": "unknown_transaction", "detail": "Unknown transactionId."}, status=404)
    except CallbackTokenMismatch:
        return JsonResponse(
            {"code": "invalid_callback_token", "detail": "The callback token is not valid."}, status=403
        )
    except ProviderCallFailed as failure:
        # Not confirmed yet: a non-2xx answer lets the provider call again.
        return _not_confirmed(failure.error)
    return JsonResponse({"code": "ok", "status": kyc.status})


def _not_confirmed(error: EkycError) -> JsonResponse:
    """The callback could not confirm the result (503, so that the provider calls again): the provider failed, or
    the cache is down and the rate limit could not be asked, so nothing was sent."""
    code = error.code or type(error).__name__
    if isinstance(error, EkycRateLimitUnavailable):
        logger.error("cache unavailable on an eKYC callback: nothing sent to the provider")
        return JsonResponse({"code": "cache_unavailable", "detail": "Try again later."}, status=503)
    return JsonResponse({"code": "provider_unavailable", "detail": f"Result not confirmed ({code})."}, status=503)
