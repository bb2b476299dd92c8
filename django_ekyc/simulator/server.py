"""The simulator's router and HTTP server, and the public :class:`Simulator`.

:class:`SimulatorApp` routes each request by path: the provider API at ``/``
(:mod:`.api`), the ``/_sim/`` control routes (:mod:`.control`), and the hosted
page and web-SDK stand-in (:mod:`.hosted`). The server is the standard
library's threading HTTP server, so that the simulator needs nothing beyond
django-ekyc itself and can run inside a test process. It speaks HTTP/1.1 with
keep-alive like the real endpoint, which matters for measuring connection
reuse, and it tracks its connections so that :meth:`Simulator.stop` leaves no
thread behind.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from django_ekyc.catalogue.regions import DEFAULT_REGION, REGIONS
from django_ekyc.simulator import control, hosted, pages
from django_ekyc.simulator.api import ProviderApi
from django_ekyc.simulator.messages import Reply, Request, api_error, new_request_id
from django_ekyc.simulator.state import SimulatorState

logger = logging.getLogger("django_ekyc.simulator")

MAX_BODY_BYTES = 16 * 1024 * 1024  # the provider takes 10 MB for DocOcrMax: a larger body is refused


class SimulatorApp:
    """Routes requests; independent of the socket layer so that it reads top to bottom."""

    def __init__(self, state: SimulatorState, public_url: str, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.stopping = threading.Event()
        self.api = ProviderApi(state, clock, wait=self.stopping.wait)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes, peer: str = "") -> Reply:
        parts = urlsplit(target)
        request = Request(method, parts.path, parts.query, headers, body, peer)
        if request.path == "/":
            return self.api.handle(request, self.public_url)
        if request.path.startswith("/_sim/"):
            return control.handle(self.state, request)
        reply = hosted.handle(self.state, request)
        if reply is None:
            return Reply.html(404, pages.message_page("Not found", "Nothing here."))
        return reply


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
    reach the simulator under another name than the one it binds to. ``region``
    is the provider's region it stands for (products and documents differ by region).
    ``face_groups`` are the face libraries that exist from the start.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
        region: str = DEFAULT_REGION,
        face_groups: Iterable[str] = (),
    ) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.state = SimulatorState(credentials=dict(credentials), region=region)
        for code in face_groups:  # the face libraries the account created in the console
            self.state.create_face_group(code)
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
