"""The DRF permissions compose: ``|``, ``&`` and ``~`` with DRF's own, through real views and URLs.

The views answer errors with the API's handler (``{"code", "detail"}``), as the app's own API does; the requests
go through Django's URL resolver, middleware and DRF's authentication (this module is the URLconf).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import path
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from django_ekyc.api.errors import ekyc_exception_handler
from django_ekyc.models import Purpose
from django_ekyc.permissions import IsReverified, IsVerified

from .helpers import api_client
from .test_guards import passed

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class Guarded(APIView):
    """A site's endpoint, answering errors in the API's format."""

    def get_exception_handler(self) -> Any:
        return ekyc_exception_handler

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def guarded(name: str, *permissions: Any) -> Any:
    view: type[Guarded] = type(name, (Guarded,), {"permission_classes": permissions})
    return path(f"{name}/", view.as_view())


urlpatterns = [
    guarded("profile", IsAuthenticated, IsVerified),
    guarded("payout", IsAuthenticated, IsReverified.within(300)),
    guarded("verified-or-admin", IsVerified | IsAdminUser),
    guarded("admin-or-verified", IsAdminUser | IsVerified),
    guarded("signed-in-and-verified", IsAuthenticated & IsVerified),
    guarded("not-yet-verified", IsAuthenticated, ~IsVerified),
    guarded("pro", IsAuthenticated, IsVerified.of("eKYC_PRO")),
]


@pytest.fixture
def admin(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="root", password="pw", is_staff=True)


def get(user: Any, name: str) -> Any:
    client = api_client(user) if user is not None else APIClient()
    return client.get(f"/{name}/")


def code(response: Any) -> str:
    return str(response.json()["code"])


def test_has_permission_answers_false_instead_of_raising(user):
    drf_request = Request(APIRequestFactory().get("/profile/"))
    drf_request.user = user
    assert IsVerified().has_permission(drf_request, None) is False
    assert IsReverified().has_permission(drf_request, None) is False
    assert (str(IsVerified.message), IsVerified.code) == ("Verify your identity first.", "verification_required")
    assert IsReverified.code == "reverification_required"


def test_a_refusal_answers_the_stable_code_in_the_apis_format(user):
    refused = get(user, "profile")
    assert refused.status_code == 403
    assert refused.json() == {"code": "verification_required", "detail": "Verify your identity first."}
    refused = get(user, "payout")
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "reverification_required",
        "detail": "Confirm it is you: verify your face again.",
    }
    passed(user)
    assert get(user, "profile").status_code == 200
    assert code(get(user, "payout")) == "reverification_required"
    passed(user, purpose=Purpose.REVERIFY, minutes_ago=1)
    assert get(user, "payout").status_code == 200


def test_a_signed_out_user_is_told_to_sign_in_not_to_verify():
    for name in ("profile", "verified-or-admin", "not-yet-verified"):
        refused = get(None, name)
        assert refused.status_code in (401, 403) and code(refused) == "not_authenticated", name


@pytest.mark.parametrize("name", ["verified-or-admin", "admin-or-verified"])
def test_or_lets_an_admin_through_who_is_not_verified(user, admin, name):
    assert get(admin, name).status_code == 200
    refused = get(user, name)
    # DRF's OR carries neither operand's message: the generic code (docs/guards.md says so).
    assert refused.status_code == 403 and code(refused) == "permission_denied"
    passed(user)
    assert get(user, name).status_code == 200


def test_and_needs_both(user, admin):
    assert get(admin, "signed-in-and-verified").status_code == 403
    assert get(user, "signed-in-and-verified").status_code == 403
    passed(user)
    assert get(user, "signed-in-and-verified").status_code == 200


def test_not_guards_what_only_an_unverified_user_may_do(user):
    assert get(user, "not-yet-verified").status_code == 200
    passed(user, product="FACE_LIVENESS_PRO")  # a liveness check is no verified identity
    assert get(user, "not-yet-verified").status_code == 200
    passed(user)
    refused = get(user, "not-yet-verified")
    assert refused.status_code == 403 and code(refused) == "permission_denied"


def test_a_liveness_check_does_not_pass_is_verified_and_of_names_the_products(user):
    passed(user, product="FACE_LIVENESS_PRO")
    assert code(get(user, "profile")) == "verification_required"
    passed(user)  # eKYC
    assert get(user, "profile").status_code == 200
    assert code(get(user, "pro")) == "verification_required"
    passed(user, product="eKYC_PRO")
    assert get(user, "pro").status_code == 200
