"""The API behind django-cors-headers, configured as docs/frontend.md says ("Another origin, tokens and JWT"): a
single-page app on another origin may call it with the session cookie (and the CSRF token) or a token, reads
``Retry-After`` on a 429, and any other origin gets no CORS headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .helpers import LIST_URL, start_body, throttle_rates

pytestmark = pytest.mark.django_db(transaction=True)

APP = "https://app.example"

# docs/frontend.md's settings ("Another origin, tokens and JWT"): CorsMiddleware as high as it can go, above
# CommonMiddleware.
SPA: dict[str, Any] = {
    "MIDDLEWARE": ["corsheaders.middleware.CorsMiddleware", *settings.MIDDLEWARE],
    "CORS_ALLOWED_ORIGINS": [APP],
    "CORS_ALLOW_CREDENTIALS": True,
    "CORS_EXPOSE_HEADERS": ["Retry-After"],
    "CORS_URLS_REGEX": r"^/ekyc/api/.*$",
    "CSRF_TRUSTED_ORIGINS": [APP],
}


@pytest.fixture
def spa_site() -> Any:
    with override_settings(**SPA):
        yield


def cross_origin(origin: str = APP) -> APIClient:
    """A browser on ``origin``: it sends the Origin header, over https, and Django checks CSRF as for a browser."""
    client = APIClient(enforce_csrf_checks=True, HTTP_ORIGIN=origin)
    client.defaults["wsgi.url_scheme"] = "https"
    return client


def test_the_preflight_allows_the_apps_origin_with_credentials(spa_site):
    response = cross_origin().options(
        LIST_URL,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken, authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-csrftoken", "authorization"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_another_origin_gets_no_cors_headers(spa_site, simulator, user):
    client = cross_origin("https://evil.example")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.get(LIST_URL)
    assert "Access-Control-Allow-Origin" not in response  # the browser keeps the answer from the page


def test_a_session_needs_the_csrf_token_and_a_trusted_origin(spa_site, simulator, user):
    client = cross_origin()
    client.force_login(user)
    client.get("/admin/login/", secure=True)  # sets the csrftoken cookie, as the site's page or a GET would
    token = client.cookies["csrftoken"].value
    missing = client.post(LIST_URL, start_body(), format="json", secure=True)
    assert (missing.status_code, missing.json()["code"]) == (403, "csrf_failed")
    assert missing["Access-Control-Allow-Origin"] == APP  # the app can read why
    with override_settings(CSRF_TRUSTED_ORIGINS=[]):
        untrusted = client.post(LIST_URL, start_body(), format="json", secure=True, HTTP_X_CSRFTOKEN=token)
    assert (untrusted.status_code, untrusted.json()["code"]) == (403, "csrf_failed")
    started = client.post(LIST_URL, start_body(), format="json", secure=True, HTTP_X_CSRFTOKEN=token)
    assert started.status_code == 201, started.content


def test_a_429_exposes_retry_after_to_the_app(spa_site, simulator, user):
    client = cross_origin()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with throttle_rates(start="1/hour"):
        assert client.post(LIST_URL, start_body(), format="json", secure=True).status_code == 201
        refused = client.post(LIST_URL, start_body(), format="json", secure=True)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert refused["Access-Control-Allow-Origin"] == APP
    assert refused["Access-Control-Expose-Headers"] == "Retry-After" and int(refused["Retry-After"]) > 0
