"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 that checks each request's signature with
:func:`django_ekyc.webhooks.verify`, drops duplicates by event id as a receiver must, and can fail or stall."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.test import override_settings

from django_ekyc import webhooks

SECRET = "receiver-shared-secret-0123456789"


@dataclass
class Arrival:
    """One request as the receiver saw it."""

    event_id: str
    type: str
    key: str  # the verification (or person) it is about
    data: dict[str, Any]
    answered: int  # the status it was answered with
    duplicate: bool = False


@dataclass
class Receiver:
    """What arrived, and how to answer: 500 to the first ``fail_first`` requests; the first request waits for
    ``release`` before it is answered when ``stall_first`` (it is processed first: the answer is what gets lost)."""

    url: str = ""
    secret: str = SECRET
    fail_first: int = 0
    stall_first: bool = False
    arrivals: list[Arrival] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why requests whose signature did not verify were refused
    processed: list[Arrival] = field(default_factory=list)  # each event once, in the order first processed
    stalled: threading.Event = field(default_factory=threading.Event)  # the first request is being held
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        return [arrival.event_id for arrival in self.processed]

    def order_of(self, key: str) -> list[str]:
        """The types of one verification's events, in the order processed."""
        return [arrival.type for arrival in self.processed if arrival.key == key]

    def answer(self, body: bytes, headers: Any) -> int:
        try:
            event_id = webhooks.verify(self.secret, body, headers)
        except webhooks.WebhookSignatureError as err:
            with self.lock:
                self.rejected.append(str(err))
            return 400
        payload = json.loads(body)
        data = payload["data"]
        key = data.get("verification") or f"person:{data.get('person')}"
        with self.lock:
            arrival = Arrival(event_id, payload["type"], key, data, 200)
            first = not self.arrivals
            self.arrivals.append(arrival)
            if self.fail_first > 0:
                self.fail_first -= 1
                arrival.answered = 500
                return 500
            arrival.duplicate = event_id in {seen.event_id for seen in self.processed}
            if not arrival.duplicate:  # a receiver drops a duplicate by its id, and acknowledges it
                self.processed.append(arrival)
        if first and self.stall_first:
            self.stalled.set()
            self.release.wait(timeout=120)
        return 200


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every request's thread: none outlives the test

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a worker killed mid-request leaves a broken pipe behind: expected here


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.answer(body, {key: value for key, value in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A receiver running on a free port of 127.0.0.1 for the block's duration; stopped (and every request
    thread joined) at its end, a stalled request released first."""
    receiver = Receiver(**options)
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ekyc/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def endpoint(receiver: Receiver, **options: Any) -> dict[str, Any]:
    return {"URL": receiver.url, "SECRET": receiver.secret, **options}


def webhooks_config(endpoints: dict[str, dict[str, Any]], **policy: Any) -> dict[str, Any]:
    return {"ENDPOINTS": endpoints, **policy}


def webhooks_on(endpoints: dict[str, dict[str, Any]], **policy: Any) -> Any:
    """``override_settings`` with these endpoints added to the test's ``settings.EKYC``."""
    return override_settings(EKYC={**settings.EKYC, "WEBHOOKS": webhooks_config(endpoints, **policy)})
