"""Demo pages: start a verification with the client and read its result on return.

The demo keeps the ids it needs in the session. It only shows the core
(signed client, simulator, hosted page, CheckResult on return); the stored
``KycTransaction`` flow with its API and admin is the app's job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from django_ekyc.client import get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycError, EkycNotCompleted

SESSION_KEY = "ekyc_demo_attempts"


def merchant_user_id(user_pk: object) -> str:
    """A keyed hash: the provider never sees the site's user id."""
    return hmac.new(settings.SECRET_KEY.encode(), str(user_pk).encode(), hashlib.sha256).hexdigest()


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "doc_types": ekyc_settings.DOC_TYPES.items(),
        "web_sdk_url": getattr(settings, "EKYC_WEB_SDK_URL", ""),
        "uses_simulator": getattr(settings, "EKYC_USES_SIMULATOR", False),
        "endpoint": ekyc_settings.ENDPOINT,
    }
    return render(request, "example_project/home.html", context)


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    doc_type = request.POST.get("doc_type", "")
    meta_info = request.POST.get("meta_info", "")
    if doc_type not in ekyc_settings.DOC_TYPES:
        messages.error(request, "Choose one of the listed document types.")
        return redirect("home")
    try:
        json.loads(meta_info)
    except ValueError:
        messages.error(request, "The page could not read the device information (MetaInfo); reload and try again.")
        return redirect("home")
    token = secrets.token_urlsafe(24)
    biz_id = uuid.uuid4().hex
    try:
        started = get_client().initialize(
            merchant_biz_id=biz_id,
            merchant_user_id=merchant_user_id(request.user.pk),
            meta_info=meta_info,
            doc_type=doc_type,
            return_url=request.build_absolute_uri(reverse("demo-return", args=[token])),
        )
    except EkycError as err:
        messages.error(request, f"The provider refused to start: {err.code or type(err).__name__}.")
        return redirect("home")
    attempts = request.session.get(SESSION_KEY, {})
    attempts[token] = {"biz_id": biz_id, "transaction_id": started.transaction_id}
    request.session[SESSION_KEY] = attempts
    return HttpResponseRedirect(started.transaction_url)


@login_required
@require_GET
def came_back(request: HttpRequest, token: str) -> HttpResponse:
    attempt = request.session.get(SESSION_KEY, {}).get(token)
    if attempt is None:
        return render(request, "example_project/result.html", {"state": "unknown"}, status=404)
    # The browser's ?response= is display data anyone can forge: ask the provider.
    try:
        result = get_client().check_result(merchant_biz_id=attempt["biz_id"], transaction_id=attempt["transaction_id"])
    except EkycNotCompleted:
        return render(request, "example_project/result.html", {"state": "waiting"})
    except EkycError as err:
        return render(request, "example_project/result.html", {"state": "error", "code": err.code}, status=502)
    state = "verified" if result.passed else "failed"
    return render(request, "example_project/result.html", {"state": state, "sub_code": result.sub_code})
