"""The API with DRF SimpleJWT, as a single-page app or a mobile app signs in: a token from the site's token view,
a start with ``Authorization: Bearer``, no CSRF token needed, and a bad or expired token refused 401 in our error
shape (``authentication_failed``, never SimpleJWT's ``token_not_valid`` or its dict of messages)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import path
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.views import TokenObtainPairView

from django_ekyc.models import KycTransaction
from tests import urls

from .helpers import LIST_URL, start_body

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # SimpleJWT signs with SECRET_KEY unless SIMPLE_JWT["SIGNING_KEY"] is set (read once, when it is imported): the
    # suite's test key is shorter than PyJWT recommends for HS256. A site sets a long key.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

# This module is the site's URLconf while its tests run: the suite's, and SimpleJWT's token view.
urlpatterns: list[Any] = [path("api/token/", TokenObtainPairView.as_view(), name="token"), *urls.urlpatterns]

JWT_FIRST = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
}


@pytest.fixture
def jwt_site() -> Iterator[None]:
    """A site whose ``REST_FRAMEWORK`` puts JWTAuthentication first. DRF copies the setting onto ``APIView`` when
    it is imported (a site's settings are read at startup, before that): it is copied here the same way."""
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **JWT_FIRST}, ROOT_URLCONF=__name__):
        before = APIView.authentication_classes
        APIView.authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
        try:
            yield
        finally:
            APIView.authentication_classes = before


def bearer(token: str) -> APIClient:
    """A client that sends the token, and that Django's CSRF check would refuse were it a session's request."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_from_the_sites_view_starts_a_verification(jwt_site, simulator, user):
    tokens = APIClient().post("/api/token/", {"username": "alice", "password": "pw"}, format="json")
    assert tokens.status_code == 200, tokens.content
    client = bearer(tokens.json()["access"])
    started = client.post(LIST_URL, start_body(), format="json")
    assert started.status_code == 201, started.content
    assert started.json()["transaction_url"].startswith(simulator.url)
    assert KycTransaction.objects.get().user == user
    assert [t["id"] for t in client.get(LIST_URL).json()] == [started.json()["id"]]


@pytest.mark.parametrize("token", ["not-a-token", "expired"])
def test_a_bad_token_is_refused_401_in_our_error_shape(jwt_site, simulator, user, token):
    if token == "expired":
        access = AccessToken.for_user(user)
        access.set_exp(lifetime=-timedelta(seconds=1))
        token = str(access)
    response = bearer(token).post(LIST_URL, start_body(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"code": "authentication_failed", "detail": "Given token not valid for any token type"}
    assert simulator.control.calls() == [] and not KycTransaction.objects.exists()


def test_without_a_token_the_answer_is_401_not_authenticated(jwt_site, simulator):
    response = APIClient().post(LIST_URL, start_body(), format="json")
    assert response.status_code == 401  # 401, not 403: the first authentication class names its scheme
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
