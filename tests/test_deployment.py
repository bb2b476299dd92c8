"""The example project deployed as a site would run it: gunicorn with several workers, a shared Redis cache,
and request logs. Limits hold across workers, and no token reaches any log line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from django_ekyc.testing import running_simulator

from .helpers import LIST_URL, start_body

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 7  # a database of its own, flushed before use


def reachable(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    url: str
    token: str
    log: Path
    simulator: object

    def post(self, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(  # noqa: S310 - our loopback site
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        return self._open(request)

    def get(self, path: str) -> int:
        return self._open(urllib.request.Request(self.url + path))[0]  # noqa: S310 - our loopback site

    @staticmethod
    def _open(request: urllib.request.Request) -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - our loopback site
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {}


def flush_redis_db() -> None:
    import redis

    redis.Redis(*REDIS, db=REDIS_DB).flushdb()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    if not reachable(REDIS):
        if os.environ.get("CI"):
            pytest.fail("Redis is required on 127.0.0.1:6379 in CI")
        pytest.skip("no Redis on 127.0.0.1:6379")
    flush_redis_db()
    workdir = tmp_path_factory.mktemp("site")
    log = workdir / "site.log"
    port = free_port()
    with running_simulator("demo-access-key-id", "demo-access-key-secret") as sim:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="example_project.settings",
            DJANGO_DEBUG="false",
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            CACHE_URL=f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
            EKYC_SIMULATOR_PORT=sim.url.rsplit(":", 1)[1],
            EKYC_START_THROTTLE_RATE="10/hour",
            EKYC_ENCRYPTION_KEYS="ZGVwbG95bWVudC10ZXN0LWtleS1ub3Qtc2VjcmV0LTA=",
            DJANGO_SILENCED_SYSTEM_CHECKS="django_ekyc.E001,django_ekyc.W002,django_ekyc.W003",
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        code = (
            "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
            "u = get_user_model().objects.create_user('site'); print(Token.objects.create(user=u).key)"
        )
        out = subprocess.run([*manage, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
        token = out.stdout.decode().strip().splitlines()[-1]
        gunicorn = [
            str(Path(sys.executable).parent / "gunicorn"),
            "example_project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--access-logfile",
            "-",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
            try:
                wait_until_up(f"http://127.0.0.1:{port}/admin/login/")
                yield Site(f"http://127.0.0.1:{port}", token, log, sim)
            finally:
                process.terminate()
                process.wait(timeout=30)
    flush_redis_db()


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - our loopback site
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_start_throttle_holds_across_workers(site):
    """4 workers with per-process counters let most of 20 throttled starts through; a shared cache does not."""
    statuses = [site.post(LIST_URL, start_body())[0] for _ in range(20)]
    assert statuses.count(201) == 10 and statuses.count(429) == 10


def test_no_token_reaches_the_request_logs(site):
    return_token, callback_token = "R" * 22 + "returntoken0123456789", "cbtoken-" + "Q" * 30
    assert site.get(f"/ekyc/return/{return_token}/") == 404  # django.request logs "Not Found: <path>"
    assert site.get(f"/ekyc/callback/?transactionId=hks0&callbackToken={callback_token}") == 404
    time.sleep(0.5)  # gunicorn writes the access log line after the answer
    text = site.log.read_text()
    assert "/ekyc/callback/?transactionId=hks0" in text  # the lines were written...
    assert "Not Found: /ekyc/return/[redacted]/" in text
    assert return_token not in text and callback_token not in text  # ...without the tokens
