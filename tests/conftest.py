"""Shared fixtures: one simulator per test session (reset before each test), clients pointed at it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import pytest

from django_ekyc.client import EkycClient, reset_client

from .helpers import META_INFO, api_client, initialize_params, start_body, start_via_api

if TYPE_CHECKING:  # imported by pytest as a plugin below, not here (it would then not be assertion-rewritten)
    from django_ekyc.testing import RunningSimulator

# The simulator fixtures (ekyc_simulator, ekyc_sim), loaded here as adopters load them, so that coverage,
# which starts with the session, measures the module too.
pytest_plugins = ["django_ekyc.testing"]


@pytest.fixture(scope="session", autouse=True)
def _no_thread_outlives_the_suite() -> Iterator[None]:
    """Everything the suite starts, it stops: checked once all other fixtures are torn down."""
    before = set(threading.enumerate())
    yield
    reset_client()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test served by the live server, so that CI runs them all under uvicorn too (``-m live_server``)."""
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live_server)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-django's live server (WSGI), or with ``EKYC_TEST_SERVER=uvicorn`` the site's ASGI application
    under uvicorn (tests/asgi_support.py): the same tests, under both kinds of server."""
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server: Any
    kind = os.environ.get("EKYC_TEST_SERVER", "wsgi")
    if kind not in ("wsgi", "uvicorn"):
        raise pytest.UsageError(f"EKYC_TEST_SERVER={kind!r}: 'wsgi' (the default) or 'uvicorn'")
    if kind == "uvicorn":
        from .asgi_support import UvicornLiveServer

        server = UvicornLiveServer(addr.split(":")[0])
    else:
        from pytest_django.live_server_helper import LiveServer

        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: no throttle counts, rate-limit windows or gates from another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def simulator(ekyc_sim: RunningSimulator) -> RunningSimulator:
    """The session's simulator with no transactions, faults or recorded calls; settings.EKYC points at it."""
    return ekyc_sim


class SleepRecorder:
    """Stands in for ``time.sleep`` in retry tests: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(simulator: RunningSimulator, sleeps: SleepRecorder) -> Iterator[object]:
    """Build clients against the simulator; every one is closed after the test."""
    made: list[EkycClient] = []

    def make(**options: object) -> EkycClient:
        defaults: dict[str, object] = {
            "access_key_id": simulator.access_key_id,
            "access_key_secret": simulator.access_key_secret,
            "endpoint": simulator.url,
            "timeout": (2.0, 5.0),
            "sleep": sleeps,
        }
        client = EkycClient(**{**defaults, **options})  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def ekyc_client(make_client) -> EkycClient:
    """An EkycClient pointed at the simulator (``client`` stays Django's test client)."""
    return make_client()


@pytest.fixture
def initialize_kwargs() -> dict[str, Any]:
    return {
        "merchant_biz_id": "e0c34a77f5ac40a5aa5e6ed20c35abcd",
        "merchant_user_id": "9f86d081884c7d659a2feaa0c55ad015",
        "meta_info": META_INFO,
        "parameters": {"DocType": "01000000", "ReturnUrl": "https://shop.example/ekyc/return/tok123/"},
    }


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", email="alice@example.com", password="pw")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", email="bob@example.com", password="pw")


@pytest.fixture
def api(user):
    return api_client(user)


@pytest.fixture
def start_payload() -> dict[str, object]:
    return start_body()


class SignalRecorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []  # sender and arguments
        self.arguments: list[dict[str, object]] = []  # the keyword arguments only (``signal`` included)

    def __call__(self, sender: object, **kwargs: object) -> None:
        self.calls.append({"sender": sender, **kwargs})
        self.arguments.append(kwargs)


def _recording(signal: Any) -> Iterator[SignalRecorder]:
    recorder = SignalRecorder()
    signal.connect(recorder)
    yield recorder
    signal.disconnect(recorder)


@pytest.fixture
def started_signals():
    from django_ekyc.signals import verification_started

    yield from _recording(verification_started)


@pytest.fixture
def completed_signals():
    from django_ekyc.signals import verification_completed

    yield from _recording(verification_completed)


@pytest.fixture
def start(simulator, user):
    """Start a verification through the service layer, as the API would, against the simulator."""
    from django_ekyc import services

    def run(owner=None, **overrides):
        kwargs = {
            "user": owner or user,
            **start_body(),
            "build_url": lambda path: f"http://testserver{path}",
            **overrides,
        }
        return services.start_verification(**kwargs)

    return run


@pytest.fixture
def api_start(api, simulator):
    """Start a verification through the API as ``api``'s user; it must answer 201.

    ``base_url`` sets ``PUBLIC_BASE_URL`` on top of the test's settings for the start (an https one makes the
    start issue a callback token); ``fields`` change the request body. Returns the transaction and the
    parameters of its Initialize call.
    """
    from django.conf import settings
    from django.test import override_settings

    def run(*, base_url=None, **fields):
        site = override_settings(EKYC={**settings.EKYC, "PUBLIC_BASE_URL": base_url}) if base_url else nullcontext()
        with site:
            kyc = start_via_api(api, **fields)
        return kyc, initialize_params(simulator)

    return run


@pytest.fixture
def finish(simulator):
    """Let the user finish a started transaction on the simulator with ``outcome`` (as ``person``: the same label is
    the same face); returns it refreshed."""
    from django_ekyc import services

    def run(kyc, outcome="pass", person=None, document=None):
        simulator.control.complete(kyc.transaction_id, outcome, person=person, document=document)
        return services.refresh(kyc)

    return run


@pytest.fixture
def library(simulator):
    """The site's face library exists at the provider, and the site uses it (re-verification: FACE_IDU)."""
    from tests.face_support import LIBRARY, site

    simulator.control.create_face_group(LIBRARY)
    with site(FACE_LIBRARY=LIBRARY, REVERIFY_PRODUCT="FACE_IDU"):
        yield simulator


def _arguments_sent(signal: Any) -> Iterator[list[dict[str, object]]]:
    """What ``signal`` is sent with (its keyword arguments, ``signal`` included), each time, while the test runs."""
    recording = _recording(signal)
    yield next(recording).arguments
    next(recording, None)


@pytest.fixture
def duplicates():
    from django_ekyc.signals import duplicate_person_found

    yield from _arguments_sent(duplicate_person_found)


@pytest.fixture
def conflicts():
    from django_ekyc.signals import reference_face_conflict

    yield from _arguments_sent(reference_face_conflict)


@pytest.fixture
def verified(start, finish):
    """A user's verification, finished by ``person`` (showing ``document``: default, the person's own) with
    ``outcome``, and its face work done as the task worker (or background sync) does it after the request.
    ``start_fields`` change what is started (another product or document)."""
    from django_ekyc.services import faces

    def run(owner, person, outcome="pass", document=None, **start_fields):
        kyc = finish(start(owner, **start_fields).transaction, outcome, person=person, document=document)
        faces.settle_pending_faces()
        kyc.refresh_from_db()
        return kyc

    return run
