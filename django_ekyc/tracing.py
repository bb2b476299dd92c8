"""OpenTelemetry spans of provider calls, where the site has ``opentelemetry-api``; without it, nothing at all.

One span per **attempt**, not one per call with the attempts as events: each attempt is a request of its own,
signed anew, with its own duration, HTTP status, ``RequestId`` and code, which is what a span holds and what the
provider's support asks for. The attempts of one call are sibling spans under the caller's span (a Django
request, a task), and the retry policy's wait is the gap between them. A span covers the attempt as the client
makes it: the wait for a slot of the site's rate limit (an event, ``ekyc.ratelimit.wait``) and the HTTP request.

Attributes: ``ekyc.operation``, ``ekyc.code``, ``http.response.status_code`` (when an answer came),
``ekyc.request_id``, ``ekyc.attempt`` (1 for the first) and ``http.request.resend_count`` on retries. Never the
AccessKey, the signature, tokens or identity data: the parameters and the answer's fields are not attributes,
and a failure's message (which could echo a parameter) is not recorded, only its code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from django_ekyc import __version__
from django_ekyc.metrics import SUCCESS, outcome_code

try:
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:
    tracing_available = False
else:
    tracing_available = True

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

__all__ = ["AttemptSpan", "attempt_span"]

TRACER_NAME = "django_ekyc"
WAIT_EVENT = "ekyc.ratelimit.wait"


class AttemptSpan:
    """What one attempt tells its span; every method does nothing when nobody records (``span`` is None)."""

    __slots__ = ("span",)

    def __init__(self, span: Span | None) -> None:
        self.span = span

    def waited(self, seconds: float) -> None:
        """The attempt waited ``seconds`` for a slot of the site's rate limit."""
        if self.span is not None and seconds > 0:
            self.span.add_event(WAIT_EVENT, {"ekyc.wait_seconds": seconds})

    def answered(self, body: Mapping[str, Any]) -> None:
        if self.span is not None:
            self.span.set_attribute("ekyc.code", SUCCESS)
            self.span.set_attribute("http.response.status_code", 200)
            self.span.set_attribute("ekyc.request_id", str(body.get("RequestId") or ""))

    def failed(self, error: BaseException) -> None:
        """The provider's code (or the kind of failure) and status; the message is left out on purpose."""
        if self.span is None:
            return
        code = outcome_code(error)
        self.span.set_attribute("ekyc.code", code)
        self.span.set_attribute("error.type", code)
        status = getattr(error, "status", None)
        if isinstance(status, int):
            self.span.set_attribute("http.response.status_code", status)
        request_id = getattr(error, "request_id", None)
        if request_id:
            self.span.set_attribute("ekyc.request_id", str(request_id))
        self.span.set_status(Status(StatusCode.ERROR, code))


_NOTHING = nullcontext(AttemptSpan(None))
_tracer: Tracer | None = None


def tracer() -> Tracer:
    """The app's tracer, from the global provider (a proxy until the site sets one, so import order is free)."""
    global _tracer
    if _tracer is None:
        _tracer = trace.get_tracer(TRACER_NAME, __version__)
    return _tracer


def attempt_span(operation: str, attempt: int) -> AbstractContextManager[AttemptSpan]:
    """The span of attempt ``attempt`` (1 for the first) of ``operation``, current while the attempt runs."""
    if not tracing_available:
        return _NOTHING
    return _recording(operation, attempt)


@contextmanager
def _recording(operation: str, attempt: int) -> Iterator[AttemptSpan]:
    attributes: dict[str, str | int] = {"ekyc.operation": operation, "ekyc.attempt": attempt}
    if attempt > 1:
        attributes["http.request.resend_count"] = attempt - 1
    with tracer().start_as_current_span(
        f"eKYC {operation}",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,  # the message could echo a parameter: failed() records the code
        set_status_on_exception=False,
    ) as span:
        recorder = AttemptSpan(span if span.is_recording() else None)
        try:
            yield recorder
        except Exception as err:
            recorder.failed(err)
            raise
