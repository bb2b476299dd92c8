"""The example project deployed as a site would run it: gunicorn with several workers, a shared Redis cache,
and request logs. Limits hold across workers, no token reaches any log line, and a slow provider never keeps a
request past the worker's life."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from django_ekyc.testing import running_simulator

from .helpers import LIST_URL, REDIS_DBS, start_body
from .test_deadline import arrived, slow

ROOT = Path(__file__).resolve().parent.parent
WORKER_TIMEOUT = 30  # gunicorn's default --timeout, which the site runs with
REDIS = ("127.0.0.1", 6379)
REDIS_DB = REDIS_DBS["deployment"]  # a database of its own, flushed before use (EKYC_TEST_REDIS_DB)


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


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the answer itself (an HTTPError with its status), not a request to follow."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Site:
    url: str
    token: str
    log: Path
    simulator: object
    env: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.log.parent / "db.sqlite3"

    def post(self, path: str, body: dict[str, object], token: str | None = None) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(  # noqa: S310 - our loopback site
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Token {token or self.token}", "Content-Type": "application/json"},
        )
        return self._open(request)

    def get(self, path: str) -> int:
        return self._open(urllib.request.Request(self.url + path))[0]  # noqa: S310 - our loopback site

    def answer(self, path: str, token: str | None = None) -> tuple[int, dict[str, object]]:
        """GET ``path`` as it answers (a redirect not followed), waiting up to just under the worker timeout."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310 - our loopback site
        return self._open(request, timeout=WORKER_TIMEOUT - 2, opener=urllib.request.build_opener(NoRedirects))

    def new_token(self, username: str) -> str:
        """An API token for a new user (each user has their own start throttle)."""
        code = (
            "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
            f"u = get_user_model().objects.create_user({username!r}); print(Token.objects.create(user=u).key)"
        )
        manage = [sys.executable, "manage.py", "shell", "-c", code]
        out = subprocess.run(manage, cwd=ROOT, env=self.env, check=True, capture_output=True)
        return out.stdout.decode().strip().splitlines()[-1]

    @staticmethod
    def _open(
        request: urllib.request.Request, timeout: float = 20, opener: urllib.request.OpenerDirector | None = None
    ) -> tuple[int, dict[str, object]]:
        try:
            with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as answer:
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
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_", "DEMO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="example_project.settings",
            DJANGO_DEBUG="false",
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            CACHE_URL=f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
            EKYC_SIMULATOR_PORT=sim.url.rsplit(":", 1)[1],
            DEMO_START_THROTTLE_RATE="10/hour",
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
                yield Site(f"http://127.0.0.1:{port}", token, log, sim, env)
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
    """4 workers with per-process counters let most of 20 throttled starts through; a shared cache does not.

    The throttle counts per user id in Redis. Another run of the suite on the same Redis database has a site whose
    first user has the same id: sharing that counter made this test see `2 == 10`. So the starts come from a user
    of this run's own, with an id no run alive at the same time has (this process's id)."""
    code = (
        "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
        f"u = get_user_model().objects.create_user('throttled', id={10**7 + os.getpid()}); "
        "print(Token.objects.create(user=u).key)"
    )
    manage = [sys.executable, "manage.py", "shell", "-c", code]
    token = subprocess.run(manage, cwd=ROOT, env=site.env, check=True, capture_output=True).stdout.decode().split()[-1]
    statuses = [site.post(LIST_URL, start_body(), token=token)[0] for _ in range(20)]
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


def test_a_slow_provider_never_outlives_the_worker(site):
    """CheckResult slower than the read timeout, every time. With TIMEOUT (3.05, 10) and two retries, a return or a
    callback would run past gunicorn's 30 s worker timeout (WORKER TIMEOUT, a 500, a worker lost); within
    REQUEST_DEADLINE they answer, each asks at most twice, and the transaction completes later with its history."""
    token = site.new_token("slow-provider")
    status, started = site.post(LIST_URL, start_body(), token=token)
    assert status == 201, started
    params = site.simulator.control.calls("Initialize")[-1]["params"]
    page = parse_qs(urlsplit(str(started["transaction_url"])).query)["clientcfg"][0]
    transaction_id = site.simulator.simulator.state.transaction_id_for_page(page)
    callback = f"/ekyc/callback/?transactionId={transaction_id}&callbackToken={params['CallbackToken']}"
    slow(site.simulator, "CheckResult", delay_ms=20_000)

    with ThreadPoolExecutor(2) as pool:
        (back, _), (called, answer) = pool.map(site.answer, [urlsplit(params["ReturnUrl"]).path, callback])

    assert back == 302  # to the site's result page (RESULT_REDIRECT_URL)
    assert (called, answer["code"]) == (503, "provider_unavailable")  # the provider calls again
    # Each request asked at most twice (the return may find the callback's check within REFRESH_MIN_INTERVAL and
    # ask nothing: which of the two comes first is the machine's choice).
    assert 1 <= arrived(site.simulator.url) <= 4
    time.sleep(0.5)  # gunicorn writes the access log line after the answer
    log = site.log.read_text()
    assert "WORKER TIMEOUT" not in log and '" 500 ' not in log

    site.simulator.control.clear_faults()
    assert site.simulator.control.complete(transaction_id, "pass")["callback"]["status"] == 200
    status, kyc = site.answer(f"{LIST_URL}{started['id']}/", token)
    assert (status, kyc["status"]) == (200, "passed")
    checks = history(site, str(started["id"]), "CheckResult")
    assert checks[-1] == "Success" and 2 <= len(checks) <= 5  # every slow call is on record, then the answer
    assert set(checks[:-1]) <= {"EkycDeadlineExceeded", "EkycTimeout"}


def history(site: Site, public_id: str, action: str) -> list[str]:
    """The codes of a transaction's recorded calls of ``action``, oldest first, read from the site's database."""
    with sqlite3.connect(site.database) as db:
        rows = db.execute(
            "SELECT e.code FROM django_ekyc_kyctransactionevent e JOIN django_ekyc_kyctransaction t "
            "ON e.transaction_id = t.id WHERE t.public_id = ? AND e.action = ? ORDER BY e.created_at, e.id",
            [public_id.replace("-", ""), action],
        ).fetchall()
    return [code for (code,) in rows]
