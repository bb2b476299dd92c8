"""Fuzz the API with schemathesis against a live server: no request may produce a server error.

Starts, on free loopback ports, the provider simulator and the example project (``runserver``, a throwaway
SQLite database, a user with an API token), runs ``schemathesis run`` on the OpenAPI schema with the
``not_a_server_error`` check, and stops everything it started. Used by ``make fuzz`` and CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts._support import free_port, wait_until_up  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> int:
    site_port, simulator_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/fuzz.sqlite3",
            "EKYC_SIMULATOR_PORT": str(simulator_port),
            "DEMO_START_THROTTLE_RATE": "",  # let every generated start reach the validation
            "EKYC_LOG_LEVEL": "WARNING",
        }
        env.pop("EKYC_ACCESS_KEY_ID", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        create_user_code = (
            "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
            "user = get_user_model().objects.create_user('fuzz', 'fuzz@example.com', 'fuzz'); "
            "print(Token.objects.create(user=user).key)"
        )
        token = (
            subprocess.run(
                [*manage, "shell", "-c", create_user_code],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        children = [
            subprocess.Popen([*manage, "ekyc_simulator", "--port", str(simulator_port)], cwd=ROOT, env=env),
            subprocess.Popen(
                [*manage, "runserver", f"127.0.0.1:{site_port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_until_up(f"http://127.0.0.1:{simulator_port}/_sim/health")
            wait_until_up(f"http://127.0.0.1:{site_port}/admin/login/")
            command = [
                str(BIN / "schemathesis"),
                "run",
                f"http://127.0.0.1:{site_port}/ekyc/api/schema/?format=json",
                "--checks",
                "not_a_server_error",
                "--header",
                f"Authorization: Token {token}",
                "--max-examples",
                os.environ.get("FUZZ_MAX_EXAMPLES", "60"),
                "--seed",
                os.environ.get("FUZZ_SEED", "20261125"),
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--output-sanitize",
                "true",
            ]
            return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        finally:
            for child in reversed(children):
                child.terminate()
                child.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
