"""Helpers for testing code that uses django-ekyc, without the network.

``running_simulator()`` starts the simulator on a free port in a background
thread and stops it (joining every thread) on exit; ``SimulatorControl``
drives its ``/_sim/`` endpoints over HTTP, as a browser or the provider would::

    from django_ekyc.testing import running_simulator

    with running_simulator() as sim:
        with override_settings(EKYC=sim.ekyc_settings()):
            ...  # code under test calls Initialize / CheckResult
            sim.control.complete(transaction_id, "pass")

With pytest, ``pytest_plugins = ["django_ekyc.testing"]`` in a ``conftest.py``
adds two fixtures: ``ekyc_simulator`` (one simulator for the session) and
``ekyc_sim`` (that simulator, reset, with ``settings.EKYC`` pointing at it for
the duration of one test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

from django_ekyc.simulator import Simulator

TEST_ACCESS_KEY_ID = "LTAI-test-access-key-id"
TEST_ACCESS_KEY_SECRET = "test-access-key-secret-not-real"  # noqa: S105 - accepted only by the simulator


class SimulatorControl:
    """A client for the simulator's ``/_sim/`` control and fault-injection endpoints."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = self.session.request(method, f"{self.url}{path}", json=payload, timeout=self.timeout)
        if response.status_code >= 400:
            raise AssertionError(f"simulator {method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def complete(
        self, transaction_id: str, outcome: str = "pass", person: str | None = None, document: str | None = None
    ) -> dict[str, Any]:
        """End the hosted flow as the user would; returns the redirect URL and callback report. ``person``
        names who did it: the same label is the same face (default: a new person); ``document`` whose document
        was shown: the same label is the same document (default: the person's own)."""
        payload = {
            "outcome": outcome,
            **({"person": person} if person else {}),
            **({"document": document} if document else {}),
        }
        return self._request("POST", f"/_sim/transactions/{transaction_id}/complete", payload)  # type: ignore[no-any-return]

    def app_verify(
        self, transaction_id: str, protocol: str, outcome: str = "pass", person: str | None = None
    ) -> dict[str, Any]:
        """Do what the app SDK's ``verify`` does on a phone: returns its result code (``1000`` suggests a pass)."""
        payload = {"transaction_id": transaction_id, "protocol": protocol, "outcome": outcome}
        if person:
            payload["person"] = person
        return self._request("POST", "/_sim/app/verify", payload)  # type: ignore[no-any-return]

    def create_face_group(self, code: str) -> None:
        """Create a face library, as the provider's console does."""
        self._request("POST", "/_sim/face-groups", {"code": code})

    def face_groups(self) -> dict[str, list[dict[str, Any]]]:
        """Every face library and its faces (``merchant_user_id``, ``person``, ``face_id``...)."""
        return self._request("GET", "/_sim/face-groups")["face_groups"]  # type: ignore[no-any-return]

    def temporary_credentials(self, duration_seconds: float = 3600, **values: Any) -> dict[str, Any]:
        """Temporary credentials the simulator accepts until they expire, shaped as STS gives them
        (``AccessKeyId``, ``AccessKeySecret``, ``SecurityToken``, ``Expiration``). ``values`` may bring them:
        ``access_key_id`` (``STS.``...), ``access_key_secret``, ``security_token``, ``expires_at`` (epoch seconds)."""
        payload = {"duration_seconds": duration_seconds, **values}
        return self._request("POST", "/_sim/sts", payload)  # type: ignore[no-any-return]

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        return self._request("GET", f"/_sim/transactions/{transaction_id}")  # type: ignore[no-any-return]

    def forget(self, transaction_id: str) -> None:
        """Make the provider forget a transaction, as it does after 30 days."""
        self._request("DELETE", f"/_sim/transactions/{transaction_id}")

    def add_fault(self, fault: str, action: str = "*", count: int = 1, **options: Any) -> dict[str, Any]:
        """Inject ``fault`` into the next ``count`` calls of ``action`` (``-1``: every call)."""
        return self._request("POST", "/_sim/faults", {"fault": fault, "action": action, "count": count, **options})  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self._request("DELETE", "/_sim/faults")

    def calls(self, action: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self._request("GET", "/_sim/calls")["calls"]
        return [call for call in calls if action is None or call["action"] == action]

    def reset(self) -> None:
        self._request("POST", "/_sim/reset")

    def close(self) -> None:
        self.session.close()


@dataclass
class RunningSimulator:
    simulator: Simulator
    control: SimulatorControl
    access_key_id: str
    access_key_secret: str

    @property
    def url(self) -> str:
        return self.simulator.url

    def ekyc_settings(self, **overrides: Any) -> dict[str, Any]:
        """A ``settings.EKYC`` dict pointing at this simulator.

        The site's own settings are kept (``PRODUCTS``, ``VERIFY_URL``, ``FACE_LIBRARY``, ``ENCRYPTION_KEYS``...,
        so data written under these settings stays readable under the site's own); what reaches the provider is
        replaced: the AccessKey, the endpoint, the region, and other accounts and development mode are dropped.
        """
        from django.conf import settings

        site = dict(getattr(settings, "EKYC", {}) or {}) if settings.configured else {}
        for name in ("ENDPOINT", "SIMULATOR_URL", "ACCOUNTS", "ACCOUNT_RESOLVER", "VPC_ENDPOINT"):
            site.pop(name, None)
        return {
            **site,
            "ACCESS_KEY_ID": self.access_key_id,
            "ACCESS_KEY_SECRET": self.access_key_secret,
            "ENDPOINT": self.url,
            "REGION": self.simulator.state.region,
            **overrides,
        }


@contextmanager
def running_simulator(
    access_key_id: str = TEST_ACCESS_KEY_ID,
    access_key_secret: str = TEST_ACCESS_KEY_SECRET,
    **options: Any,
) -> Iterator[RunningSimulator]:
    """Run a simulator on a free loopback port for the duration of the block."""
    simulator = Simulator({access_key_id: access_key_secret}, **options).start()
    control = SimulatorControl(simulator.url)
    try:
        yield RunningSimulator(simulator, control, access_key_id, access_key_secret)
    finally:
        control.close()
        simulator.stop()


try:
    import pytest
except ImportError:  # pytest is a test-time tool, not a dependency of the app
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def ekyc_simulator() -> Iterator[RunningSimulator]:
        """One simulator for the whole test session, stopped at its end."""
        with running_simulator() as sim:
            yield sim

    @pytest.fixture
    def ekyc_sim(ekyc_simulator: RunningSimulator) -> Iterator[RunningSimulator]:
        """The session's simulator, emptied, with ``settings.EKYC`` pointing at it."""
        from django.test import override_settings

        ekyc_simulator.control.reset()
        # No site-wide rate limit and no spacing of refreshes in tests: a test completes a verification and
        # asks again at once, and the simulator enforces no quota.
        overrides = {"RETRY_BACKOFF": 0.01, "RATE_LIMIT": None, "REFRESH_MIN_INTERVAL": 0}
        with override_settings(EKYC=ekyc_simulator.ekyc_settings(**overrides)):
            yield ekyc_simulator
