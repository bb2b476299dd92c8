"""Prometheus metrics and the structured fields of the client's log lines, against the simulator over real HTTP.

Each metrics test records into a fresh ``CollectorRegistry`` (``metrics.use_registry``), so counts start at 0.
Without prometheus_client those tests skip; the log tests and the no-op tests run regardless.
"""

from __future__ import annotations

import importlib
import json
import logging
import socket
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_ekyc import exceptions as exc
from django_ekyc import metrics
from django_ekyc.logging import RedactTokensFilter
from django_ekyc.ratelimit import Ask, CacheRateLimiter

from .helpers import META_INFO

CALLBACK_TOKEN = "cb-7f3e9a2d41c8b05e"
RETURN_TOKEN = "rt9Qk2LmXp4Zs8Vw1Bn6"
STS_TOKEN = "sts-token-6d1f0c9be27a"
# The fields every provider call's log line carries.
FIELDS = ("operation", "code", "status", "duration_ms", "request_id", "transaction_id", "attempt")


@pytest.fixture
def registry():
    """A fresh registry the client records into for one test."""
    prometheus_client = pytest.importorskip("prometheus_client")
    fresh = prometheus_client.CollectorRegistry()
    metrics.use_registry(fresh)
    yield fresh
    metrics.use_registry(None)


def sample(registry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


class WaitsThenFree:
    """A rate-limit log that is full for each wait in ``waits``, then admits."""

    def __init__(self, *waits: float) -> None:
        self.waits = list(waits)

    def take(self, ask: Ask, window: float, now: float | None) -> tuple[float, float]:
        return (self.waits.pop(0), 0.0) if self.waits else (0.0, now or 0.0)


def waiting_limiter(*waits: float, max_wait: float = 5.0, slept: list[float] | None = None) -> CacheRateLimiter:
    sleep = slept.append if slept is not None else (lambda seconds: None)
    return CacheRateLimiter(rate=10, max_wait=max_wait, margin=0.2, sleep=sleep, log=WaitsThenFree(*waits))


def dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def check(client: Any, started: Any, kwargs: dict[str, Any]) -> Any:
    return client.check_result(merchant_biz_id=kwargs["merchant_biz_id"], transaction_id=started.transaction_id)


# -- provider calls -------------------------------------------------------------------------------------------


def test_a_call_counts_once_with_its_code_and_duration(registry, ekyc_client, initialize_kwargs):
    ekyc_client.initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="Success") == 1
    assert sample(registry, "ekyc_provider_call_duration_seconds_count", operation="Initialize") == 1
    assert 0 < sample(registry, "ekyc_provider_call_duration_seconds_sum", operation="Initialize") < 5


def test_each_attempt_counts_with_its_own_code(registry, ekyc_client, simulator, initialize_kwargs):
    simulator.control.add_fault("throttle", action="Initialize", count=1, retry_after=100)
    ekyc_client.initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="Throttling.Api") == 1
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="Success") == 1
    assert sample(registry, "ekyc_provider_call_duration_seconds_count", operation="Initialize") == 2


def test_a_provider_error_counts_its_code(registry, make_client, simulator, initialize_kwargs):
    simulator.control.add_fault("error", action="Initialize", code="InvalidParameter", status=400)
    with pytest.raises(exc.EkycBadRequest):
        make_client(max_retries=0).initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="InvalidParameter") == 1


def test_no_answer_counts_the_kind_of_failure(registry, initialize_kwargs, sleeps):
    from django_ekyc.client import EkycClient

    client = EkycClient(access_key_id="id", access_key_secret="s", endpoint=dead_endpoint(), sleep=sleeps)
    with client, pytest.raises(exc.EkycTransportError):
        client.initialize(**initialize_kwargs)
    # Nothing was sent (connection refused), so Initialize was retried: three attempts.
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="EkycTransportError") == 3


@pytest.mark.parametrize("code", ["Not a code <script>", "X" * 65, "Bad\nCode"])
def test_a_code_that_is_not_a_code_is_other(registry, make_client, simulator, initialize_kwargs, code):
    simulator.control.add_fault("error", action="Initialize", code=code, status=400)
    with pytest.raises(exc.EkycBadRequest):
        make_client(max_retries=0).initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="Other") == 1


def test_distinct_codes_are_capped():
    bounded = metrics.BoundedValues(metrics._codes.shape, limit=2)
    assert [bounded(code) for code in ("A.One", "B.Two", "C.Three", "A.One")] == ["A.One", "B.Two", "Other", "A.One"]


# -- the site's rate limit -------------------------------------------------------------------------------------


def test_a_call_that_waited_for_a_slot_counts_its_wait(registry, make_client, initialize_kwargs):
    slept: list[float] = []
    client = make_client(rate_limiter=waiting_limiter(0.25, 0.5, slept=slept))
    client.initialize(**initialize_kwargs)
    assert slept == [0.25, 0.5]  # the limiter still sleeps through its own sleep
    assert sample(registry, "ekyc_ratelimit_waits_total", operation="Initialize") == 1
    assert sample(registry, "ekyc_ratelimit_wait_seconds_sum", operation="Initialize") == pytest.approx(0.75)
    assert sample(registry, "ekyc_ratelimit_wait_seconds_bucket", operation="Initialize", le="1.0") == 1
    client.initialize(**initialize_kwargs)  # a free slot: no wait
    assert sample(registry, "ekyc_ratelimit_waits_total", operation="Initialize") == 1


def test_the_limiters_sleep_is_wrapped_once(make_client, initialize_kwargs):
    from django_ekyc.client.slots import MeteredSleep

    slept: list[float] = []
    limiter = waiting_limiter(0.25, slept=slept)
    client = make_client(rate_limiter=limiter)
    client.initialize(**initialize_kwargs)
    client.initialize(**initialize_kwargs)
    assert isinstance(limiter.sleep, MeteredSleep) and limiter.sleep.sleep == slept.append
    assert slept == [0.25]


def test_a_refused_call_counts_as_refused_and_not_as_a_call(registry, make_client, initialize_kwargs):
    client = make_client(rate_limiter=waiting_limiter(2.0, max_wait=1.0))
    with pytest.raises(exc.EkycRateLimited):
        client.initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_ratelimit_refused_total", operation="Initialize", reason="no_slot") == 1
    assert sample(registry, "ekyc_provider_calls_total", operation="Initialize", code="RateLimited.Local") == 0
    assert sample(registry, "ekyc_ratelimit_waits_total", operation="Initialize") == 0


def test_a_limiter_that_cannot_be_asked_counts_as_cache_unavailable(registry, make_client, initialize_kwargs):
    class Unreachable:
        def take(self, *args: Any) -> tuple[float, float]:
            raise ConnectionRefusedError("cache down")

    client = make_client(rate_limiter=CacheRateLimiter(rate=10, margin=0.2, log=Unreachable()))
    with pytest.raises(exc.EkycRateLimitUnavailable):
        client.initialize(**initialize_kwargs)
    assert sample(registry, "ekyc_ratelimit_refused_total", operation="Initialize", reason="cache_unavailable") == 1


# -- states and the review queue -------------------------------------------------------------------------------


def test_states_reached_by_product(registry):
    metrics.observe_state("eKYC", "passed")
    metrics.observe_state("eKYC", "passed")
    metrics.observe_state("hks-not-a-product", "user@example.com")
    assert sample(registry, "ekyc_transaction_states_total", product="eKYC", status="passed") == 2
    assert sample(registry, "ekyc_transaction_states_total", product="Other", status="Other") == 1


def in_review(user, number: int, rule: str, review: str = "waiting", hours: float = 1) -> None:
    from django_ekyc.models import KycTransaction, Status

    KycTransaction.objects.create(
        user=user,
        status=Status.PASSED,
        passed=True,
        merchant_biz_id=f"queue{number}",
        merchant_user_id="u",
        return_token_hash=f"r{number}",
        callback_token_hash="c",
        review=review,
        review_rule=rule,
        review_since=timezone.now() - timedelta(hours=hours),
    )


@pytest.mark.django_db
def test_the_review_queue_is_read_at_scrape_time_only(registry, user, django_assert_num_queries):
    from django_ekyc.services.queue_metrics import register_review_queue_collector

    with django_assert_num_queries(0):
        register_review_queue_collector(registry)
    in_review(user, 1, "duplicate", hours=3)
    in_review(user, 2, "duplicate", review="second", hours=1)
    in_review(user, 3, "deepfake")
    in_review(user, 4, "deepfake", review="approved")  # decided: out of the queue
    with django_assert_num_queries(1):
        assert sample(registry, "ekyc_review_queue_transactions", rule="duplicate") == 2
    assert sample(registry, "ekyc_review_queue_transactions", rule="deepfake") == 1
    assert registry.get_sample_value("ekyc_review_queue_transactions", {"rule": "pending"}) == 0
    assert sample(registry, "ekyc_review_queue_oldest_seconds", rule="duplicate") == pytest.approx(3 * 3600, abs=60)


@pytest.mark.django_db
def test_a_rule_the_app_does_not_know_is_other(registry, user):
    from django_ekyc.services.queue_metrics import register_review_queue_collector

    register_review_queue_collector(registry)
    in_review(user, 1, "from_an_old_release")
    assert sample(registry, "ekyc_review_queue_transactions", rule="other") == 1


# -- nothing secret or personal in a label or a log field ------------------------------------------------------


def secret_flow(make_client, simulator, initialize_kwargs) -> dict[str, list[str]]:
    """A verification that carries every secret the client holds, to its identity data; returns what must not
    be seen anywhere, and the ids (a label never names one transaction)."""
    client = make_client(security_token=STS_TOKEN)
    parameters = {
        "DocType": "01000000",
        "ReturnUrl": f"https://shop.example/ekyc/return/{RETURN_TOKEN}/",
        "CallbackUrl": f"https://shop.example/ekyc/callback/?callbackToken={CALLBACK_TOKEN}",
    }
    started = client.initialize(**{**initialize_kwargs, "parameters": parameters})
    simulator.control.complete(started.transaction_id, "pass")
    result = check(client, started, initialize_kwargs)
    identity = [result.ocr_id_info[key] for key in ("givenname", "passportNo", "birthDate")]
    secrets = [simulator.access_key_secret, STS_TOKEN, CALLBACK_TOKEN, RETURN_TOKEN, META_INFO, *identity]
    ids = [started.transaction_id, initialize_kwargs["merchant_biz_id"], initialize_kwargs["merchant_user_id"]]
    return {"secrets": secrets, "ids": ids}


def test_no_label_carries_a_secret_an_identity_or_an_id(registry, make_client, simulator, initialize_kwargs):
    from prometheus_client import generate_latest

    seen = secret_flow(make_client, simulator, initialize_kwargs)
    text = generate_latest(registry).decode()
    assert "ekyc_provider_calls_total" in text
    assert [value for value in seen["secrets"] + seen["ids"] if value in text] == []


def test_no_log_field_carries_a_secret_or_an_identity(make_client, simulator, initialize_kwargs, caplog):
    caplog.set_level(logging.DEBUG)
    seen = secret_flow(make_client, simulator, initialize_kwargs)
    records = [record for record in caplog.records if record.name.startswith("django_ekyc")]
    assert len([record for record in records if hasattr(record, "attempt")]) == 2
    shown = "\n".join(json.dumps(vars(record), default=str) + record.getMessage() for record in records)
    assert [value for value in seen["secrets"] if value in shown] == []


# -- the log lines' fields -------------------------------------------------------------------------------------


def provider_lines(caplog: Any) -> list[Any]:  # log records, with the extra fields as attributes
    return [r for r in caplog.records if r.name == "django_ekyc.client" and r.levelno == logging.INFO]


def test_each_call_is_one_info_line_with_its_fields(ekyc_client, simulator, initialize_kwargs, caplog):
    caplog.set_level(logging.INFO, logger="django_ekyc.client")
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id, "pass")
    result = check(ekyc_client, started, initialize_kwargs)
    initialize, check_result = provider_lines(caplog)
    for record, action, answer in ((initialize, "Initialize", started), (check_result, "CheckResult", result)):
        fields = {name: getattr(record, name) for name in FIELDS}
        assert fields["duration_ms"] > 0
        assert {**fields, "duration_ms": 0} == {
            "operation": action,
            "code": "Success",
            "status": 200,
            "duration_ms": 0,
            "request_id": answer.request_id,
            "transaction_id": started.transaction_id,  # Initialize's answer gives it; CheckResult sends it
            "attempt": 1,
        }
        assert record.getMessage().startswith(f"eKYC {action} -> HTTP 200 Success [RequestId {fields['request_id']}]")
        json.dumps(fields)  # plain values, for a JSON formatter


def test_a_retried_call_has_a_line_per_attempt_and_a_warning(ekyc_client, simulator, initialize_kwargs, caplog):
    caplog.set_level(logging.INFO, logger="django_ekyc.client")
    simulator.control.add_fault("unavailable", action="Initialize", count=1)
    ekyc_client.initialize(**initialize_kwargs)
    first, second = provider_lines(caplog)
    assert (first.code, first.status, first.attempt) == ("ServiceUnavailable", 503, 1)
    assert (second.code, second.status, second.attempt) == ("Success", 200, 2)
    # Before the provider opened a transaction, the site's MerchantBizId names the call.
    assert first.transaction_id == initialize_kwargs["merchant_biz_id"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert (warning.operation, warning.code, warning.attempt, warning.request_id) == (
        "Initialize",
        "ServiceUnavailable",
        1,
        first.request_id,
    )
    assert warning.retry_in_s > 0


def test_no_answer_has_no_status_and_no_request_id(initialize_kwargs, sleeps, caplog):
    from django_ekyc.client import EkycClient

    caplog.set_level(logging.INFO, logger="django_ekyc.client")
    client = EkycClient(
        access_key_id="id", access_key_secret="s", endpoint=dead_endpoint(), sleep=sleeps, max_retries=0
    )
    with client, pytest.raises(exc.EkycTransportError):
        client.initialize(**initialize_kwargs)
    [line] = provider_lines(caplog)
    assert (line.code, line.status, line.request_id, line.attempt) == ("EkycTransportError", None, "", 1)
    assert line.getMessage().startswith("eKYC Initialize -> no answer (EkycTransportError) in ")


def test_the_redaction_filter_keeps_the_fields(ekyc_client, initialize_kwargs, caplog):
    caplog.set_level(logging.INFO, logger="django_ekyc.client")
    ekyc_client.initialize(**initialize_kwargs)
    [line] = provider_lines(caplog)
    message = line.getMessage()
    assert RedactTokensFilter().filter(line)
    assert line.getMessage() == message and line.operation == "Initialize" and line.code == "Success"


# -- without prometheus_client ---------------------------------------------------------------------------------


@pytest.fixture
def without_prometheus(monkeypatch):
    """django_ekyc.metrics (and the queue collector) reloaded as if prometheus_client were not installed; the
    modules are put back as they were afterwards (same objects, same registry: nothing registers twice)."""
    from django_ekyc.services import queue_metrics

    saved = {module: dict(vars(module)) for module in (metrics, queue_metrics)}
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    for name in [name for name in sys.modules if name.startswith("prometheus_client.")]:
        monkeypatch.setitem(sys.modules, name, None)
    try:
        yield importlib.reload(metrics), importlib.reload(queue_metrics)
    finally:
        for module, namespace in saved.items():
            vars(module).clear()
            vars(module).update(namespace)


@pytest.mark.django_db
def test_without_prometheus_every_hook_is_a_no_op(without_prometheus, ekyc_client, initialize_kwargs, caplog):
    reloaded, queue = without_prometheus
    assert not reloaded.prometheus_available and reloaded._active is None
    assert reloaded.use_registry(None) is None
    reloaded.observe_call("Initialize", "Success", 0.1)
    reloaded.observe_wait("Initialize", 0.1)
    reloaded.observe_refused("Initialize", "no_slot")
    reloaded.observe_state("eKYC", "passed")
    assert queue.register_review_queue_collector() is None
    caplog.set_level(logging.INFO, logger="django_ekyc.client")
    assert ekyc_client.initialize(**initialize_kwargs).transaction_id  # the client works, and still logs
    assert [line.code for line in provider_lines(caplog)] == ["Success"]


@pytest.mark.django_db(transaction=True)
def test_the_states_a_verification_reaches_are_counted_once_committed(registry, start, finish):
    kyc = finish(start().transaction, "pass")
    assert sample(registry, "ekyc_transaction_states_total", product=kyc.product_code, status="initialized") == 1
    assert sample(registry, "ekyc_transaction_states_total", product=kyc.product_code, status="passed") == 1
    from django_ekyc import services

    services.refresh(kyc)  # a final transaction moves no more, and counts no more
    assert sample(registry, "ekyc_transaction_states_total", product=kyc.product_code, status="passed") == 1
