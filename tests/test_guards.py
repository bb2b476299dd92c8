"""Guards for high-risk actions: the view decorators and the DRF permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from django_ekyc.decorators import reverification_required, verification_required
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.permissions import IsReverified, IsVerified

pytestmark = pytest.mark.django_db


def passed(user: Any, *, purpose: str = Purpose.VERIFY, minutes_ago: int = 0) -> KycTransaction:
    return KycTransaction.objects.create(
        user=user,
        status=Status.PASSED,
        purpose=purpose,
        passed=True,
        merchant_biz_id=f"guard{KycTransaction.objects.count()}",
        merchant_user_id="u",
        return_token_hash=f"r{KycTransaction.objects.count()}",
        callback_token_hash="c",
        completed_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def payout(request: HttpRequest) -> HttpResponse:
    return HttpResponse("payout form")


def request_as(user: Any, path: str = "/payout/?amount=5") -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = user
    return request


def test_a_signed_out_user_goes_to_the_login_page():
    from django.contrib.auth.models import AnonymousUser

    response = reverification_required(payout)(request_as(AnonymousUser()))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_a_user_who_has_not_reverified_is_refused_or_sent_to_reverify(user):
    from django.core.exceptions import PermissionDenied

    guarded = reverification_required(max_age=300)(payout)
    with pytest.raises(PermissionDenied):
        guarded(request_as(user))
    with override_settings(EKYC={"REVERIFY_URL": "/confirm-it-is-you/"}):
        response = guarded(request_as(user))
    assert response.status_code == 302
    assert response["Location"] == "/confirm-it-is-you/?next=/payout/%3Famount%3D5"


def test_a_recent_reverification_lets_the_view_run_and_an_old_one_does_not(user):
    guarded = reverification_required(payout, max_age=timedelta(minutes=5))
    passed(user)  # a verification is not a re-verification
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=10)
    with override_settings(EKYC={"REVERIFY_URL": "/again/"}):
        assert guarded(request_as(user)).status_code == 302
        passed(user, purpose=Purpose.REVERIFY, minutes_ago=1)
        assert guarded(request_as(user)).content == b"payout form"


def test_verification_required_counts_verifications_only(user):
    guarded = verification_required(payout)
    passed(user, purpose=Purpose.REVERIFY)
    with override_settings(EKYC={"VERIFY_URL": "/verify/"}):
        assert guarded(request_as(user))["Location"].startswith("/verify/?next=")
        passed(user)
        assert guarded(request_as(user)).status_code == 200


def test_a_wrong_max_age_fails_when_the_view_is_decorated():
    with pytest.raises(TypeError):
        reverification_required(max_age="5 minutes")  # type: ignore[call-overload]


class PayoutApi(APIView):
    permission_classes = (IsReverified.within(300),)

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class ProfileApi(APIView):
    permission_classes = (IsVerified,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def call(view: type[APIView], user: Any, method: str = "post") -> Any:
    request = getattr(APIRequestFactory(), method)("/api/payout/")
    force_authenticate(request, user=user)
    return view.as_view()(request)


def test_the_drf_permissions_answer_403_with_a_stable_code(user):
    refused = call(PayoutApi, user)
    assert refused.status_code == 403 and refused.data["detail"].code == "reverification_required"
    assert call(ProfileApi, user, "get").data["detail"].code == "verification_required"
    passed(user)
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=1)
    assert call(PayoutApi, user).status_code == 200
    assert call(ProfileApi, user, "get").status_code == 200


def test_an_old_reverification_does_not_pass_the_permission(user):
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=6)
    assert call(PayoutApi, user).status_code == 403
