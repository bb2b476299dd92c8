"""The request deadline: the provider work of a request (attempts, retries, rate-limit waits) fits in
``REQUEST_DEADLINE``, and background work keeps the client's own timeouts and retries.

The client's tests run on a fake clock that only the client's waits move, so what they check does not depend on
how busy the machine is; the views' tests slow the simulator far past the deadline and check the outcome.
"""

from __future__ import annotations

import pytest
import requests
from django.test import override_settings

from django_ekyc import exceptions as exc
from django_ekyc.client.deadline import MIN_ATTEMPT, remaining, request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import EventKind, KycTransaction, Status
from django_ekyc.ratelimit import CacheRateLimiter
from django_ekyc.services import sync_waiting

from .helpers import LIST_URL, callback_token, initialize_params, return_path, shop_url, start_body


class FakeClock:
    """A monotonic clock that only the waits given to ``sleep`` move."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class AlwaysFull:
    """A rate-limit log whose second is always full: every take says to wait 0.3 s more."""

    def take(self, *args: object) -> tuple[float, float]:  # (key, capacity, rate, ...): always full
        return 0.3, 0.0


SLOW_CALLS = 50  # how many calls a slow fault delays: more than any test makes


def slow(simulator, action: str, delay_ms: int = 5000) -> None:
    """Delay the next calls of ``action``; :func:`arrived` counts them as they arrive (the simulator records a call
    only once it answers, after the delay)."""
    simulator.control.add_fault("slow", action=action, count=SLOW_CALLS, delay_ms=delay_ms)


def arrived(simulator_url: str) -> int:
    """How many calls the slow fault has met so far."""
    faults = requests.get(f"{simulator_url}/_sim/faults", timeout=10).json()["faults"]
    return sum(SLOW_CALLS - fault["count"] for fault in faults if fault["fault"] == "slow")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def transaction_id(ekyc_client, initialize_kwargs) -> str:
    return ekyc_client.initialize(**initialize_kwargs).transaction_id


def check(client, transaction_id: str) -> object:
    return client.check_result(merchant_biz_id="e0c34a77f5ac40a5aa5e6ed20c35abcd", transaction_id=transaction_id)


# -- the client ------------------------------------------------------------------------------------------


def test_blocks_nest_and_the_earlier_end_wins(clock):
    assert remaining() is None
    with request_deadline(1.0, clock=clock):
        with request_deadline(5.0, clock=clock):
            assert remaining() == 1.0
        with request_deadline(0.5, clock=clock):
            assert remaining() == 0.5
        with request_deadline(None):
            assert remaining() == 1.0
    assert remaining() is None


@pytest.mark.parametrize(("deadline", "calls", "waits"), [(1.0, 2, [0.6]), (None, 3, [0.6, 0.6])])
def test_a_retry_whose_wait_would_end_past_the_deadline_is_not_made(
    make_client, simulator, clock, transaction_id, deadline, calls, waits
):
    """Throttled with Retry-After 0.6 s: the second wait would end at 1.2 s, past a 1 s deadline. Without a
    deadline (background work), MAX_RETRIES decides."""
    client = make_client(sleep=clock.sleep)
    simulator.control.add_fault("throttle", action="CheckResult", count=-1, retry_after=600)
    with request_deadline(deadline, clock=clock), pytest.raises(exc.EkycThrottled):
        check(client, transaction_id)
    assert len(simulator.control.calls("CheckResult")) == calls
    assert clock.waits == waits


def test_an_attempt_is_cut_to_what_remains(make_client, simulator, transaction_id):
    """The read timeout (10 s) would wait for the slow answer (5 s); half a second of deadline does not."""
    client = make_client(timeout=(2.0, 10.0))
    slow(simulator, "CheckResult")
    with request_deadline(0.5), pytest.raises(exc.EkycDeadlineExceeded) as caught:
        check(client, transaction_id)
    assert caught.value.request_sent
    assert arrived(simulator.url) == 1  # cut by the deadline: never retried


def test_initialize_cut_by_the_deadline_is_never_sent_again(make_client, simulator, initialize_kwargs):
    client = make_client(timeout=(2.0, 10.0))
    slow(simulator, "Initialize")
    with request_deadline(0.5), pytest.raises(exc.EkycDeadlineExceeded) as caught:
        client.initialize(**initialize_kwargs)
    assert caught.value.request_sent
    assert arrived(simulator.url) == 1


def test_nothing_is_asked_or_sent_when_no_time_is_left(make_client, simulator, clock, transaction_id):
    asked: list[str] = []
    client = make_client(rate_limiter=asked.append)
    with request_deadline(1.0, clock=clock):
        clock.now = 1.0 - MIN_ATTEMPT / 2
        with pytest.raises(exc.EkycDeadlineExceeded) as caught:
            check(client, transaction_id)
    assert not caught.value.request_sent
    assert asked == [] and simulator.control.calls("CheckResult") == []


def test_the_rate_limit_wait_is_cut_to_the_deadline(make_client, simulator, clock, initialize_kwargs):
    """The limiter may wait 5 s for a slot; within a 1 s deadline it gives up before the deadline."""
    limiter = CacheRateLimiter(rate=10, max_wait=5.0, clock=clock, sleep=clock.sleep, log=AlwaysFull())
    client = make_client(rate_limiter=limiter, sleep=clock.sleep)
    with request_deadline(1.0, clock=clock), pytest.raises(exc.EkycRateLimited):
        client.initialize(**initialize_kwargs)
    assert clock.waits and clock.now < 1.0
    assert simulator.control.calls() == []


def test_the_deadline_setting_must_be_positive(simulator):
    with override_settings(EKYC=simulator.ekyc_settings(REQUEST_DEADLINE=0)), pytest.raises(exc.EkycConfigurationError):
        _ = ekyc_settings.REQUEST_DEADLINE


# -- the request paths: each enters the deadline, and the transaction stays completable -----------------

flow = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_deadline(simulator):
    """Half a second of provider work per request, with a read timeout that would wait for the slow answer."""
    with override_settings(EKYC=simulator.ekyc_settings(REQUEST_DEADLINE=0.5, TIMEOUT=(2.0, 10.0))):
        yield


def provider_calls(kyc: KycTransaction) -> list[str]:
    return list(kyc.events.filter(kind=EventKind.PROVIDER_CALL).values_list("code", flat=True))


@flow
def test_the_callback_answers_within_the_deadline_and_completes_later(client, start, simulator, short_deadline):
    kyc = start(build_url=shop_url).transaction
    query = {"transactionId": kyc.transaction_id, "callbackToken": callback_token(initialize_params(simulator))}
    simulator.control.complete(kyc.transaction_id, "pass")
    slow(simulator, "CheckResult")
    response = client.get("/ekyc/callback/", query)
    assert (response.status_code, response.json()["code"]) == (503, "provider_unavailable")
    assert arrived(simulator.url) == 1
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED and provider_calls(kyc) == ["Success", "EkycDeadlineExceeded"]
    simulator.control.clear_faults()
    assert client.get("/ekyc/callback/", query).json() == {"code": "ok", "status": "passed"}


@flow
def test_the_return_answers_within_the_deadline_and_completes_later(client, start, simulator, short_deadline):
    kyc = start().transaction
    path = return_path(initialize_params(simulator))
    simulator.control.complete(kyc.transaction_id, "pass")
    slow(simulator, "CheckResult")
    response = client.get(path)
    assert response.status_code == 200 and response.context["outcome"].waiting
    assert arrived(simulator.url) == 1
    simulator.control.clear_faults()
    assert client.get(path).context["transaction"].status == Status.PASSED


@flow
def test_refresh_answers_within_the_deadline(api, api_start, simulator, short_deadline):
    kyc, _ = api_start()
    simulator.control.complete(kyc.transaction_id, "pass")
    slow(simulator, "CheckResult")
    response = api.post(f"{LIST_URL}{kyc.public_id}/refresh/")
    assert (response.status_code, response.json()["code"]) == (503, "provider_unreachable")
    assert arrived(simulator.url) == 1
    simulator.control.clear_faults()
    assert api.post(f"{LIST_URL}{kyc.public_id}/refresh/").json()["status"] == Status.PASSED


@flow
def test_start_answers_within_the_deadline_and_sends_initialize_once(api, simulator, short_deadline):
    slow(simulator, "Initialize")
    response = api.post(LIST_URL, start_body(), format="json")
    assert (response.status_code, response.json()["code"]) == (503, "provider_unreachable")
    assert arrived(simulator.url) == 1
    assert KycTransaction.objects.get().status == Status.ERROR


@flow
def test_background_sync_has_no_request_deadline(start, simulator, short_deadline):
    """A CheckResult slower than REQUEST_DEADLINE (1 s against 0.5 s) still completes in sync."""
    kyc = start().transaction
    KycTransaction.objects.filter(pk=kyc.pk).update(next_check_at=None)
    simulator.control.complete(kyc.transaction_id, "pass")
    slow(simulator, "CheckResult", delay_ms=1000)
    assert sync_waiting().completed == 1
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED
