"""OpenTelemetry spans of provider calls, one per attempt, against the simulator over real HTTP.

The spans go to the SDK's in-memory exporter through a tracer of the test's own (the global provider is never
set, so no test leaks spans into another). Without opentelemetry-sdk those tests skip; the no-op test runs.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pytest

from django_ekyc import exceptions as exc
from django_ekyc import tracing
from tests.test_metrics import dead_endpoint, secret_flow, waiting_limiter


@pytest.fixture
def spans(monkeypatch):
    """The finished spans of the test, as the SDK's in-memory exporter holds them."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer(tracing.TRACER_NAME))
    yield exporter
    provider.shutdown()


def attempts(exporter: Any, action: str) -> list[Any]:
    return [span for span in exporter.get_finished_spans() if span.name == f"eKYC {action}"]


def test_one_span_per_attempt_with_its_answer(spans, ekyc_client, simulator, initialize_kwargs):
    from opentelemetry.trace import SpanKind, StatusCode

    simulator.control.add_fault("throttle", action="Initialize", count=1, retry_after=100)
    started = ekyc_client.initialize(**initialize_kwargs)
    throttled, answered = attempts(spans, "Initialize")
    assert throttled.kind is SpanKind.CLIENT
    assert dict(throttled.attributes) == {
        "ekyc.operation": "Initialize",
        "ekyc.attempt": 1,
        "ekyc.code": "Throttling.Api",
        "error.type": "Throttling.Api",
        "http.response.status_code": 403,
        "ekyc.request_id": throttled.attributes["ekyc.request_id"],
    }
    assert throttled.attributes["ekyc.request_id"] and throttled.status.status_code is StatusCode.ERROR
    assert throttled.status.description == "Throttling.Api" and throttled.events == ()
    assert dict(answered.attributes) == {
        "ekyc.operation": "Initialize",
        "ekyc.attempt": 2,
        "http.request.resend_count": 1,
        "ekyc.code": "Success",
        "http.response.status_code": 200,
        "ekyc.request_id": started.request_id,
    }
    assert answered.status.status_code is StatusCode.UNSET


def test_attempts_are_children_of_the_callers_span(spans, ekyc_client, initialize_kwargs):
    with tracing.tracer().start_as_current_span("a site's request") as parent:
        ekyc_client.initialize(**initialize_kwargs)
    [attempt] = attempts(spans, "Initialize")
    assert attempt.parent.span_id == parent.get_span_context().span_id


def test_a_wait_for_a_slot_is_an_event_of_the_attempt(spans, make_client, initialize_kwargs):
    make_client(rate_limiter=waiting_limiter(0.25, 0.5)).initialize(**initialize_kwargs)
    [attempt] = attempts(spans, "Initialize")
    [event] = attempt.events
    assert (event.name, dict(event.attributes)) == ("ekyc.ratelimit.wait", {"ekyc.wait_seconds": 0.75})


def test_a_refused_attempt_has_the_limiters_code_and_no_status(spans, make_client, initialize_kwargs):
    with pytest.raises(exc.EkycRateLimited):
        make_client(rate_limiter=waiting_limiter(2.0, max_wait=1.0)).initialize(**initialize_kwargs)
    [attempt] = attempts(spans, "Initialize")
    assert attempt.attributes["ekyc.code"] == "RateLimited.Local"
    assert "http.response.status_code" not in attempt.attributes


def test_no_answer_has_the_kind_of_failure(spans, initialize_kwargs, sleeps):
    from django_ekyc.client import EkycClient

    client = EkycClient(
        access_key_id="id", access_key_secret="s", endpoint=dead_endpoint(), sleep=sleeps, max_retries=0
    )
    with client, pytest.raises(exc.EkycTransportError):
        client.initialize(**initialize_kwargs)
    [attempt] = attempts(spans, "Initialize")
    assert attempt.attributes["ekyc.code"] == "EkycTransportError"
    assert "http.response.status_code" not in attempt.attributes and "ekyc.request_id" not in attempt.attributes


def test_no_span_carries_a_secret_or_an_identity(spans, make_client, simulator, initialize_kwargs):
    seen = secret_flow(make_client, simulator, initialize_kwargs)
    finished = spans.get_finished_spans()
    assert [span.name for span in finished] == ["eKYC Initialize", "eKYC CheckResult"]
    shown = "\n".join(span.to_json() for span in finished)
    assert [value for value in seen["secrets"] if value in shown] == []
    assert all(json.loads(span.to_json())["events"] == [] for span in finished)


def test_without_a_tracer_provider_nothing_is_recorded(ekyc_client, initialize_kwargs, monkeypatch):
    """opentelemetry-api alone, as a site with instrumented libraries but no SDK has it: spans do not record."""
    pytest.importorskip("opentelemetry.trace")
    from opentelemetry.trace import NoOpTracer

    monkeypatch.setattr(tracing, "_tracer", NoOpTracer())
    with tracing.attempt_span("Initialize", 1) as attempt:
        assert attempt.span is None
    assert ekyc_client.initialize(**initialize_kwargs).transaction_id


# -- without opentelemetry -------------------------------------------------------------------------------------


@pytest.fixture
def without_opentelemetry(monkeypatch):
    """django_ekyc.tracing reloaded as if opentelemetry were not installed, then put back as it was."""
    saved = dict(vars(tracing))
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    for name in [name for name in sys.modules if name.startswith("opentelemetry.")]:
        monkeypatch.setitem(sys.modules, name, None)
    try:
        yield importlib.reload(tracing)
    finally:
        vars(tracing).clear()
        vars(tracing).update(saved)


def test_without_opentelemetry_an_attempt_is_a_no_op(without_opentelemetry, make_client, initialize_kwargs):
    reloaded = without_opentelemetry
    assert not reloaded.tracing_available
    first, second = reloaded.attempt_span("Initialize", 1), reloaded.attempt_span("CheckResult", 2)
    assert first is second  # one shared null context: nothing built per attempt
    with first as attempt:
        attempt.waited(1.0)
        attempt.answered({"RequestId": "x"})
        attempt.failed(exc.EkycTimeout("late"))
        assert attempt.span is None
    assert make_client(rate_limiter=waiting_limiter(0.1)).initialize(**initialize_kwargs).transaction_id
