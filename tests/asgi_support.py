"""The test site under an ASGI server: uvicorn in a thread, in place of Django's WSGI live server.

``EKYC_TEST_SERVER=uvicorn`` makes the ``live_server`` fixture (tests/conftest.py) serve the site's ASGI
application (static files included, as the WSGI live server does) with uvicorn, so that the live-server and
browser tests prove the synchronous views work there too. Django runs each ASGI request's synchronous code in a
thread of its own; with SQLite in memory those threads use the test's connection, as Django's live server shares
it with its request threads: with a connection each, SQLite's shared cache would lock a table between them
("database table is locked", no waiting) whenever a test writes while a request reads.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.signals import request_started
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import modify_settings


def _in_memory(conn: BaseDatabaseWrapper) -> bool:
    return bool(conn.is_in_memory_db())  # type: ignore[attr-defined]  # SQLite's wrapper has it


class UvicornLiveServer:
    """What pytest-django's ``LiveServer`` offers its tests (``url``, ``+``, ``stop``), served by uvicorn."""

    def __init__(self, host: str = "localhost") -> None:
        import uvicorn

        from example_project.asgi import application

        self.host = host
        self.shared: dict[str, BaseDatabaseWrapper] = {
            conn.alias: conn for conn in connections.all() if conn.vendor == "sqlite" and _in_memory(conn)
        }
        # Enabled and disabled around each test by pytest-django's _live_server_helper.
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": host})
        self._socket = socket.create_server((host, 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),
            lifespan="off",  # Django answers HTTP only
            log_config=None,  # leave the suite's logging alone
            access_log=False,  # quiet, as Django's live server is
            timeout_graceful_shutdown=5,  # a browser's idle keep-alive connection does not hold the stop
        )
        self.server = uvicorn.Server(config)
        self._threads_before = set(threading.enumerate())
        self.thread = threading.Thread(target=self._serve, name="uvicorn-live-server")
        self.error: BaseException | None = None
        self.start()

    def _serve(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self._socket]))
        except BaseException as err:  # reported by start(): a server that cannot serve fails the first test
            self.error = err
        finally:
            connections.close_all()

    def _share_connections(self, **kwargs: Any) -> None:
        """In each request's thread, before the view: the test's in-memory database, not a new one."""
        for alias, conn in self.shared.items():
            connections[alias] = conn

    def start(self) -> None:
        for conn in self.shared.values():
            conn.inc_thread_sharing()
        request_started.connect(self._share_connections, dispatch_uid=id(self))
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            self.thread.join(0.05)
        if not self.server.started:
            self.stop()
            raise RuntimeError(f"uvicorn did not start: {self.error!r}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()
        self._socket.close()
        request_started.disconnect(dispatch_uid=id(self))
        for conn in self.shared.values():
            conn.dec_thread_sharing()
        # asgiref ends each request's worker thread from a short-lived thread of its own ("Thread-N (join)"), which
        # may still be finishing: wait for those, so that none outlives the suite.
        for thread in set(threading.enumerate()) - self._threads_before:
            if thread.name.endswith("(join)"):
                thread.join(10)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.url

    def __add__(self, other: str) -> str:
        return f"{self}{other}"

    def __repr__(self) -> str:
        return f"<UvicornLiveServer listening at {self.url}>"
