"""The ReturnUrl landing and the CallbackUrl endpoint.

Both only prompt a CheckResult with the ids we stored: nothing the browser's
``response`` parameter or the callback's ``passed`` says is believed.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
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


@never_cache
@require_GET
@transaction.non_atomic_requests
def return_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if not RETURN_TOKEN_RE.fullmatch(token):
            raise TransactionNotFound("Not a return token.")
        with request_deadline(ekyc_settings.REQUEST_DEADLINE):
            kyc = services.handle_return(token)
    except TransactionNotFound:
        return render(request, "django_ekyc/result.html", {"transaction": None}, status=404)
    except (OperationalError, InterfaceError):
        logger.error("database unavailable on an eKYC return")
        return render(request, "django_ekyc/result.html", {"transaction": None, "unavailable": True}, status=503)
    redirect_to = result_redirect_url(request, kyc)
    if redirect_to:
        return HttpResponseRedirect(redirect_to)
    return render(request, "django_ekyc/result.html", result_context(request, kyc))


# While the result is not in, the page asks again by itself: every 5 seconds, 6 times (the provider's answer
# usually follows the user's return within seconds); then the person decides.
RECHECK_SECONDS = 5
RECHECKS = 6


def result_context(request: HttpRequest, kyc: KycTransaction) -> dict[str, object]:
    outcome = describe(kyc)
    checks = _int(request.GET.get("check"))
    recheck = outcome.waiting and checks < RECHECKS
    return {
        "transaction": kyc,
        "outcome": outcome,
        "verdict": verdict(kyc),  # the effective verdict, as the API says it: never the provider's under a decision
        "home_url": resolve_url(ekyc_settings.HOME_URL),
        "verify_url": _start_page(kyc),
        # A new attempt of the same kind (a re-verification's product is the site's, never the page's).
        "retry_purpose": "reverify" if kyc.purpose == "reverify" else "",
        "retry_product": "" if kyc.purpose == "reverify" else kyc.product_code,
        "retry_doc_type": "" if kyc.purpose == "reverify" else kyc.doc_type,
        "recheck_url": f"{request.path}?check={checks + 1}" if recheck else "",
        "recheck_seconds": RECHECK_SECONDS,
    }


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
