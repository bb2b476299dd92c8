"""The example project's ASGI application under uvicorn: pages, the API and static files, from real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.test import override_settings

from .asgi_support import UvicornLiveServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def uvicorn_site() -> Iterator[UvicornLiveServer]:
    server = UvicornLiveServer("127.0.0.1")
    try:
        with override_settings(
            ROOT_URLCONF="example_project.urls", LOGIN_URL="/accounts/login/", LOGIN_REDIRECT_URL="/"
        ):
            yield server
    finally:
        server.stop()


def test_the_site_its_api_and_its_static_files_answer_under_uvicorn(uvicorn_site, django_user_model, simulator):
    django_user_model.objects.create_user("asgi", password="asgi-password")
    with requests.Session() as browser:
        login = browser.get(f"{uvicorn_site}/accounts/login/", timeout=10)
        assert login.status_code == 200 and login.headers["server"] == "uvicorn"
        signed_in = browser.post(
            f"{uvicorn_site}/accounts/login/",
            {"username": "asgi", "password": "asgi-password", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": f"{uvicorn_site}/accounts/login/"},
            timeout=10,
        )
        assert (signed_in.status_code, signed_in.url) == (
            200,
            f"{uvicorn_site}/",
        )  # a session, written by a synchronous view in ASGI's thread
        listing = browser.get(f"{uvicorn_site}/ekyc/api/transactions/", timeout=10)
        assert (listing.status_code, listing.json()) == (200, [])
        script = browser.get(f"{uvicorn_site}/static/django_ekyc/ekyc.js", timeout=10)
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
