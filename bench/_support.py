"""Shared plumbing for the benchmarks: free ports, child processes, a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

from scripts._support import free_port, wait_until_up  # noqa: E402

BIN = Path(PYTHON).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
SIM_KEY = ("demo-access-key-id", "demo-access-key-secret")
META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "web", "ua": "bench"})
START_BODY = {"doc_type": "01000000", "meta_info": META_INFO}


def direct_initialize(client: Any, merchant_biz_id: str) -> None:
    """One Initialize straight to the provider: the baseline the site's figures are compared with."""
    client.initialize(
        merchant_biz_id=merchant_biz_id,
        merchant_user_id="u",
        meta_info=META_INFO,
        parameters={"DocType": "01000000", "ReturnUrl": "https://x.example/r/"},
    )


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards; yields its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def child(command: list[str], env: dict[str, str], quiet: bool = True) -> Iterator[subprocess.Popen[bytes]]:
    out = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def site_env(database_url: str, simulator_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DEMO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": database_url,
            "EKYC_SIMULATOR_PORT": str(simulator_port),
            "DEMO_START_THROTTLE_RATE": "",
            "EKYC_RATE_LIMIT": "0",
            "EKYC_LOG_LEVEL": "WARNING",
            "EKYC_ENCRYPTION_KEYS": "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTAwMDAwMDA=",
            # The benchmark talks to the simulator with its demo key, with DEBUG off: expected.
            "DJANGO_SILENCED_SYSTEM_CHECKS": "django_ekyc.E001,django_ekyc.W002,django_ekyc.W003",
            **extra,
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def api_token(env: dict[str, str]) -> str:
    code = (
        "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
        "u, _ = get_user_model().objects.get_or_create(username='bench'); "
        "print(Token.objects.get_or_create(user=u)[0].key)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def timed(call: Any, samples: int, pace: float = 0.0) -> list[float]:
    """Milliseconds each of ``samples`` calls of ``call(index)`` took, one at a time, ``pace`` seconds apart."""
    import time

    times = []
    for index in range(samples):
        started = time.perf_counter()
        call(index)
        times.append((time.perf_counter() - started) * 1000)
        if pace:
            time.sleep(pace)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextlib.contextmanager
def site_under_gunicorn(database: str, threads: int, **env_overrides: str) -> Iterator[tuple[str, str, str]]:
    """The example project under gunicorn (1 worker, ``threads`` threads) and the simulator, on a fresh
    PostgreSQL database; yields (simulator URL, start endpoint URL, API token)."""
    sim_port, site_port = free_port(), free_port()
    with postgres_database(database) as database_url:
        env = site_env(database_url, sim_port, **env_overrides)
        manage(env, "migrate", "--noinput")
        token = api_token(env)
        simulator = [PYTHON, "manage.py", "ekyc_simulator", "--port", str(sim_port)]
        gunicorn = [
            str(BIN / "gunicorn"),
            "example_project.wsgi",
            "--bind",
            f"127.0.0.1:{site_port}",
            "--workers",
            "1",
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
        ]
        with child(simulator, env), child(gunicorn, env):
            sim_url = f"http://127.0.0.1:{sim_port}"
            wait_until_up(f"{sim_url}/_sim/health")
            wait_until_up(f"http://127.0.0.1:{site_port}/admin/login/")
            yield sim_url, f"http://127.0.0.1:{site_port}/ekyc/api/transactions/", token


@contextlib.contextmanager
def django_on_postgres(database: str, **env: str) -> Iterator[None]:
    """Django configured in this process (the example project's settings) on a fresh PostgreSQL database, migrated;
    for benchmarks that drive the services directly. ``env`` goes into the environment before setup."""
    with postgres_database(database) as database_url:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "example_project.settings",
                "DJANGO_DEBUG": "false",
                "DATABASE_URL": database_url,
                "EKYC_LOG_LEVEL": "WARNING",
                "EKYC_ENCRYPTION_KEYS": "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTAwMDAwMDA=",
                "DJANGO_SILENCED_SYSTEM_CHECKS": "django_ekyc.E001,django_ekyc.W002,django_ekyc.W003,django_ekyc.W007",
                **env,
            }
        )
        import django
        from django.core.management import call_command
        from django.db import connections

        django.setup()
        call_command("migrate", "--noinput", verbosity=0)
        try:
            yield
        finally:
            connections.close_all()


def demo_user() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get_or_create(username="bench")[0]
