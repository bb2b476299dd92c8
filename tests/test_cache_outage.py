"""The cache (Redis) is down: the API answers JSON 503 ``cache_unavailable``, the callback asks to be called again,
the return page stays readable, nothing goes to the provider without a rate-limit slot, and nothing is lost.

The cache is a real Redis cache on a port nothing listens on: the redis client's own errors, not mocks.
"""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings
from rest_framework.throttling import UserRateThrottle

from django_ekyc import exceptions as exc
from django_ekyc.api.views import KycTransactionViewSet
from django_ekyc.client.configured import rate_limiter
from django_ekyc.models import KycTransaction, Status
from django_ekyc.services import sync_waiting
from tests.helpers import throttle_rates

from .helpers import LIST_URL, callback_token, initialize_params, return_path, shop_url, start_body

pytestmark = pytest.mark.django_db(transaction=True)


def dead_port() -> int:
    """A loopback port nothing listens on (bound once by the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cache_down(simulator):
    """Settings with the default cache on a dead Redis port and the site's rate limit on (it counts there)."""
    location = f"redis://127.0.0.1:{dead_port()}/0"
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}

    def down(**ekyc: object) -> override_settings:
        return override_settings(CACHES=caches, EKYC=simulator.ekyc_settings(RATE_LIMIT=10, **ekyc))

    return down


def provider_calls(simulator) -> list[dict[str, object]]:
    return simulator.control.calls()


# -- the client: no slot, no call ------------------------------------------------------------------------


def test_the_client_sends_nothing_when_the_limiter_cannot_be_asked(
    make_client, simulator, initialize_kwargs, cache_down
):
    with cache_down():
        client = make_client(rate_limiter=rate_limiter("default"))
        with pytest.raises(exc.EkycRateLimitUnavailable) as caught:
            client.initialize(**initialize_kwargs)
    assert isinstance(caught.value, exc.EkycRateLimited)  # not a provider call: not recorded, sync defers
    assert provider_calls(simulator) == []


# -- the API ---------------------------------------------------------------------------------------------


class SiteThrottle(UserRateThrottle):
    """A site's DEFAULT_THROTTLE_CLASSES entry: it counts in the cache on every route."""

    rate = "1000/minute"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", LIST_URL), ("get", "{detail}"), ("post", LIST_URL), ("post", "{detail}refresh/")],
)
def test_every_api_route_answers_json_503_when_its_throttles_cannot_count(
    api, api_start, simulator, cache_down, monkeypatch, method, path
):
    kyc, _ = api_start()
    monkeypatch.setattr(KycTransactionViewSet, "throttle_classes", [SiteThrottle])
    calls = len(provider_calls(simulator))
    with cache_down():
        url = path.format(detail=f"{LIST_URL}{kyc.public_id}/")
        response = getattr(api, method)(url, start_body() if path == LIST_URL and method == "post" else None)
    assert (response.status_code, response.json()["code"]) == (503, "cache_unavailable")
    assert len(provider_calls(simulator)) == calls
    assert KycTransaction.objects.count() == 1


def test_start_answers_503_before_saving_anything(api, simulator, cache_down):
    with cache_down():
        response = api.post(LIST_URL, start_body(), format="json")
    assert (response.status_code, response.json()["code"]) == (503, "cache_unavailable")
    assert provider_calls(simulator) == [] and not KycTransaction.objects.exists()


def test_a_start_past_the_throttles_keeps_its_attempt_and_sends_nothing(api, simulator, cache_down):
    """No start throttle: the attempt is saved, then the rate limit cannot be asked."""
    with cache_down(), throttle_rates(start=None):
        response = api.post(LIST_URL, start_body(), format="json")
    body = response.json()
    assert (response.status_code, body["code"]) == (503, "cache_unavailable")
    assert provider_calls(simulator) == []
    kyc = KycTransaction.objects.get(public_id=body["transaction"]["id"])
    assert kyc.status == Status.ERROR and kyc.events.exists()


@pytest.mark.parametrize("throttled", [True, False])
def test_refresh_answers_503_and_completes_once_the_cache_is_back(api, api_start, simulator, cache_down, throttled):
    kyc, _ = api_start()
    simulator.control.complete(kyc.transaction_id, "pass")
    rates = {} if throttled else {"refresh": None}
    with cache_down(), throttle_rates(**rates):
        response = api.post(f"{LIST_URL}{kyc.public_id}/refresh/")
    assert (response.status_code, response.json()["code"]) == (503, "cache_unavailable")
    assert simulator.control.calls("CheckResult") == []
    assert api.post(f"{LIST_URL}{kyc.public_id}/refresh/").json()["status"] == Status.PASSED


# -- the views and background sync -----------------------------------------------------------------------


def test_the_callback_answers_503_so_the_provider_calls_again(client, start, simulator, cache_down):
    kyc = start(build_url=shop_url).transaction
    query = {"transactionId": kyc.transaction_id, "callbackToken": callback_token(initialize_params(simulator))}
    simulator.control.complete(kyc.transaction_id, "pass")
    with cache_down():
        response = client.get("/ekyc/callback/", query)
    assert (response.status_code, response.json()["code"]) == (503, "cache_unavailable")
    assert simulator.control.calls("CheckResult") == []
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED
    assert client.get("/ekyc/callback/", query).json() == {"code": "ok", "status": "passed"}


def test_the_return_page_stays_readable(client, start, simulator, cache_down):
    kyc = start().transaction
    path = return_path(initialize_params(simulator))
    simulator.control.complete(kyc.transaction_id, "pass")
    with cache_down():
        response = client.get(path)
    assert response.status_code == 200 and response.context["outcome"].waiting  # it asks again by itself
    assert simulator.control.calls("CheckResult") == []
    assert client.get(path).context["transaction"].status == Status.PASSED


def test_sync_hands_its_rows_to_the_next_pass(start, simulator, cache_down):
    kyc = start().transaction
    KycTransaction.objects.filter(pk=kyc.pk).update(next_check_at=None)
    with cache_down():
        report = sync_waiting()
    assert (report.checked, report.deferred) == (0, 1)
    assert simulator.control.calls("CheckResult") == []
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED
    assert not kyc.events.filter(action="CheckResult", kind="provider_call").exists()  # nothing was sent
    [held] = kyc.events.filter(action="CheckResult")  # but the operators see the call that could not be made
    assert (held.kind, held.code) == ("rejected", "rate_limit_unavailable")
