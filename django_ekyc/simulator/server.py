"""The simulator's HTTP server: provider API at ``/``, hosted page, web-SDK stand-in, ``/_sim/`` control.

Built on the standard library's threading HTTP server so that it needs nothing
beyond django-ekyc itself and can run inside a test process. It speaks
HTTP/1.1 with keep-alive like the real endpoint, which matters for measuring
connection reuse, and it tracks its connections so that :meth:`Simulator.stop`
leaves no thread behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from django_ekyc.simulator import gateway, pages, provider
from django_ekyc.simulator.state import FAULT_ACTIONS, FAULT_KINDS, Fault, SimulatorState, new_request_id

logger = logging.getLogger("django_ekyc.simulator")

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPE = "application/json;charset=utf-8"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=dict(headers))

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        return cls(status, text.encode("utf-8"), content_type="text/html;charset=utf-8")


def api_error(status: int, code: str, message: str, request_id: str, **headers: str) -> Reply:
    body = {"RequestId": request_id, "HostId": "cloudauth-intl.simulator", "Code": code, "Message": message}
    return Reply.json(status, body, **{"x-acs-request-id": request_id, **headers})


class SimulatorApp:
    """Routes requests; independent of the socket layer so that it reads top to bottom."""

    def __init__(self, state: SimulatorState, public_url: str, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.stopping = threading.Event()

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes, peer: str = "") -> Reply:
        parts = urlsplit(target)
        path = parts.path
        if path == "/":
            return self.api(method, parts.query, headers, body, peer)
        if path == "/cdn/jsvm_all.js" and method == "GET":
            return Reply(200, pages.WEB_SDK_JS.encode(), content_type="application/javascript;charset=utf-8")
        if path == "/1.0.0/index.html" and method == "GET":
            return self.hosted_page(parse_qs(parts.query).get("clientcfg", [""])[0])
        if path == "/1.0.0/submit" and method == "POST":
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            return self.hosted_submit(form.get("clientcfg", ""), form.get("outcome", ""))
        if path.startswith("/_sim/"):
            return self.control(method, path, body)
        return Reply.html(404, pages.message_page("Not found", "Nothing here."))

    # -- provider API -------------------------------------------------------------

    def api(self, method: str, query: str, headers: Mapping[str, str], body: bytes, peer: str = "") -> Reply:
        request_id = new_request_id()
        generation = self.state.generation
        action = headers.get("x-acs-action", "")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        reply = self._api_reply(method, query, headers, body, params, request_id)
        self._record(action, params, headers, reply, query=query, peer=peer, generation=generation)
        return reply

    def _api_reply(
        self, method: str, query: str, headers: Mapping[str, str], body: bytes, params: dict[str, str], request_id: str
    ) -> Reply:
        incoming = gateway.IncomingRequest(method, "/", parse_qsl(query, keep_blank_values=True), headers, body)
        try:
            gateway.authenticate(incoming, self.state, self.clock())
            action = gateway.resolve_action(headers)
        except gateway.GatewayError as err:
            return api_error(err.status, err.code, err.message, request_id)
        fault = self.state.take_fault(action)
        if fault is not None:
            faulty = self._fault_reply(fault, request_id)
            if faulty is not None:
                return faulty
        try:
            if action == "Initialize":
                result = provider.initialize(self.state, params, self.public_url)
            elif action == "CheckResult":
                result = provider.check_result(self.state, params)
            else:
                result = provider.delete_verify_result(self.state, params)
        except provider.ProviderError as err:
            return api_error(err.status, err.code, err.message, request_id)
        payload = {"RequestId": request_id, "Code": "Success", "Message": "success", "Result": result}
        return Reply.json(200, payload, **{"x-acs-request-id": request_id})

    def _fault_reply(self, fault: Fault, request_id: str) -> Reply | None:
        if fault.fault == "slow":
            self.stopping.wait(fault.delay_ms / 1000)
            return None  # then answer normally, too late for a short timeout
        if fault.fault == "drop":
            return Reply(0, drop=True)
        if fault.fault == "malformed":
            return Reply(200, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if fault.fault == "throttle":
            headers = {"x-acs-retry-after": str(fault.retry_after)}
            return api_error(
                403, "Throttling.Api", "Request was denied due to api flow control.", request_id, **headers
            )
        if fault.fault == "internal_error":
            return api_error(500, "InternalError", "An internal error occurred.", request_id)
        if fault.fault == "unavailable":
            return api_error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
                request_id,
            )
        return api_error(
            fault.status or 400, fault.code or "InternalError", fault.message or "Injected error.", request_id
        )

    def _record(
        self,
        action: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        reply: Reply,
        *,
        query: str,
        peer: str,
        generation: int,
    ) -> None:
        shown = dict(headers)
        if "authorization" in shown:
            # Keep who signed and what, drop the signature itself.
            shown["authorization"] = re.sub(r",\s*Signature=[0-9a-fA-F]*", "", shown["authorization"])
        code = None
        if reply.content_type == JSON_TYPE and reply.body:
            code = json.loads(reply.body).get("Code")
        self.state.record(
            {
                "action": action,
                "params": dict(params),
                "query": query,  # the raw query string, to see where parameters travelled
                "headers": shown,
                "peer": peer,  # client address:port, to count connections
                "status": None if reply.drop else reply.status,
                "code": code,
                "received_at": self.clock(),
            },
            generation,
        )

    # -- hosted page --------------------------------------------------------------

    def hosted_page(self, page_token: str) -> Reply:
        try:
            tx = provider.open_page(self.state, page_token)
        except provider.FlowError as err:
            return Reply.html(err.status, pages.message_page("Verification unavailable", err.message))
        return Reply.html(200, pages.verification_page(tx))

    def hosted_submit(self, page_token: str, outcome: str) -> Reply:
        with self.state.lock:
            transaction_id = self.state.pages.get(page_token, "")
        try:
            finished = provider.complete(self.state, transaction_id, outcome)
        except provider.FlowError as err:
            return Reply.html(err.status, pages.message_page("Verification unavailable", err.message))
        return Reply(303, b"", content_type="text/plain", headers={"Location": finished["redirect_url"]})

    # -- /_sim/ control -------------------------------------------------------------

    def control(self, method: str, path: str, body: bytes) -> Reply:
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return Reply.json(400, {"error": "The body must be JSON."})
        if not isinstance(payload, dict):
            return Reply.json(400, {"error": "The body must be a JSON object."})
        match = re.fullmatch(r"/_sim/transactions/([A-Za-z0-9]+)(/complete)?", path)
        if match:
            return self._control_transaction(method, match[1], bool(match[2]), payload)
        routes: dict[tuple[str, str], Callable[[dict[str, Any]], Reply]] = {
            ("GET", "/_sim/health"): lambda _: Reply.json(200, {"status": "ok"}),
            ("GET", "/_sim/calls"): lambda _: Reply.json(200, {"calls": list(self.state.calls)}),
            ("POST", "/_sim/reset"): self._reset,
            ("POST", "/_sim/faults"): self._add_fault,
            ("GET", "/_sim/faults"): lambda _: Reply.json(200, {"faults": [f.as_dict() for f in self.state.faults]}),
            ("DELETE", "/_sim/faults"): self._clear_faults,
        }
        route = routes.get((method, path))
        if route is None:
            return Reply.json(404, {"error": f"No control endpoint {method} {path}."})
        return route(payload)

    def _reset(self, _: dict[str, Any]) -> Reply:
        self.state.reset()
        return Reply.json(200, {"status": "reset"})

    def _clear_faults(self, _: dict[str, Any]) -> Reply:
        with self.state.lock:
            self.state.faults.clear()
        return Reply.json(200, {"faults": []})

    def _add_fault(self, payload: dict[str, Any]) -> Reply:
        try:
            fault = parse_fault(payload)
        except ValueError as err:
            return Reply.json(400, {"error": str(err)})
        with self.state.lock:
            self.state.faults.append(fault)
        return Reply.json(201, fault.as_dict())

    def _control_transaction(self, method: str, transaction_id: str, complete: bool, payload: dict[str, Any]) -> Reply:
        if complete and method == "POST":
            try:
                return Reply.json(200, provider.complete(self.state, transaction_id, str(payload.get("outcome", ""))))
            except provider.FlowError as err:
                return Reply.json(err.status, {"error": err.message})
        with self.state.lock:
            tx = self.state.transactions.get(transaction_id)
            if tx is not None and method == "DELETE" and not complete:
                # The provider forgets results (after 30 days, or DeleteVerifyResult).
                del self.state.transactions[transaction_id]
                return Reply.json(200, {"deleted": transaction_id})
        if tx is None:
            return Reply.json(404, {"error": "Unknown TransactionId."})
        if method == "GET" and not complete:
            return Reply.json(200, {k: v for k, v in tx.__dict__.items() if k != "page_token"})
        return Reply.json(405, {"error": "Method not allowed."})


def parse_fault(payload: Mapping[str, Any]) -> Fault:
    action, kind = payload.get("action", "*"), payload.get("fault")
    if action not in FAULT_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(sorted(FAULT_ACTIONS))}.")
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault must be one of {', '.join(sorted(FAULT_KINDS))}.")
    numbers = {
        name: payload.get(name, default) for name, default in (("count", 1), ("delay_ms", 0), ("retry_after", 1))
    }
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
        raise ValueError("count, delay_ms and retry_after must be integers.")
    if numbers["count"] == 0 or numbers["count"] < -1 or numbers["delay_ms"] < 0:
        raise ValueError("count must be positive (or -1 for every call); delay_ms must not be negative.")
    if kind == "error" and not isinstance(payload.get("code"), str):
        raise ValueError("An 'error' fault needs a 'code' (and optionally 'status' and 'message').")
    return Fault(
        action=action,
        fault=kind,
        count=numbers["count"],
        delay_ms=numbers["delay_ms"],
        retry_after=numbers["retry_after"],
        code=payload.get("code"),
        status=payload.get("status"),
        message=payload.get("message"),
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ekyc-simulator"
    timeout = 60  # an idle keep-alive connection is closed after this long
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _SimulatorHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._write(Reply.json(413, {"error": "Request body too large."}))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            peer = f"{self.client_address[0]}:{self.client_address[1]}"
            reply = self.server.app.handle(self.command, self.path, headers, body, peer)
        except Exception:  # a simulator bug must show as a 500, not a dropped socket
            logger.exception("simulator failed on %s %s", self.command, urlsplit(self.path).path)
            reply = api_error(500, "InternalError", "The simulator failed; see its log.", new_request_id())
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        # Paths only: query strings and bodies can carry tokens.
        logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, args[1] if len(args) > 1 else "")


class _SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins every handler thread

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timeout in a test, a closed tab) is routine.
        logger.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def close_open_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they can end."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Simulator:
    """A running simulator: ``start()`` in a background thread, or ``serve_forever()``.

    ``credentials`` maps AccessKey IDs to secrets the gateway accepts.
    ``public_url`` is the base the TransactionUrl points at, for when browsers
    reach the simulator under another name than the one it binds to.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = SimulatorState(credentials=dict(credentials))
        self.app = SimulatorApp(self.state, public_url or "", clock)
        self.httpd = _SimulatorHTTPServer((host, port), self.app)
        bound_host, bound_port = str(self.httpd.server_address[0]), int(self.httpd.server_address[1])
        self.url = f"http://{bound_host}:{bound_port}"
        self.app.public_url = (public_url or self.url).rstrip("/")
        self._thread: threading.Thread | None = None

    def start(self) -> Simulator:
        self._thread = threading.Thread(target=self.serve_forever, name="ekyc-simulator", daemon=False)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        """Stop accepting, end open connections and join every thread the simulator started."""
        self.app.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()  # waits for serve_forever(), so only when it runs
        self.httpd.close_open_connections()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
