"""Run the demo: database, demo user, the provider simulator, the site, a task worker and the sync trigger,
all stopped together.

Used by ``make demo``. With ``EKYC_ACCESS_KEY_ID`` set (a real account), the
simulator is not started and the site talks to Alibaba Cloud.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts._support import wait_until_up  # noqa: E402

MANAGE = [sys.executable, str(ROOT / "manage.py")]
SITE = os.environ.get("DEMO_ADDRESS", "127.0.0.1:8000")
SIMULATOR_PORT = os.environ.get("EKYC_SIMULATOR_PORT", "8765")


DEMO_DATABASE = ROOT / ".demo" / "db.sqlite3"


def set_aside_a_database_from_before_the_squash(database: Path = DEMO_DATABASE) -> Path | None:
    """A demo database migrated by the development chain (0001..0013, replaced by one initial migration before the
    first release) cannot take the new one: keep it beside, as ``db.sqlite3.old`` (``.old.1``, ``.old.2``... when
    one is there already: an older copy is never overwritten), and start a new one. Returns where it went."""
    if "DATABASE_URL" in os.environ or not database.exists():
        return None
    on_disk = {path.stem for path in (ROOT / "django_ekyc" / "migrations").glob("0*.py")}
    with closing(sqlite3.connect(database)) as db:
        try:
            applied = {name for (name,) in db.execute("SELECT name FROM django_migrations WHERE app='django_ekyc'")}
        except sqlite3.OperationalError:  # not migrated yet
            return None
    if not applied - on_disk:
        return None
    aside = database.with_name(f"{database.name}.old")
    number = 0
    while aside.exists():
        number += 1
        aside = database.with_name(f"{database.name}.old.{number}")
    database.rename(aside)  # never replace(): that would overwrite a copy kept before
    print(f"The demo database predates django-ekyc's initial migration: kept as {aside.name}")
    return aside


def manage(*args: str) -> None:
    subprocess.run([*MANAGE, *args], cwd=ROOT, check=True)


def ensure_demo_users() -> None:
    """``demo`` (staff: the admin too) and ``demo2``, a second account to show a duplicate person."""
    code = (
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        "U.objects.filter(username='demo').exists() or "
        "U.objects.create_superuser('demo', 'demo@example.com', 'demo'); "
        "U.objects.filter(username='demo2').exists() or "
        "U.objects.create_user('demo2', 'demo2@example.com', 'demo2')"
    )
    manage("shell", "-c", code)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    (ROOT / ".demo").mkdir(exist_ok=True)
    set_aside_a_database_from_before_the_squash()
    manage("migrate", "--noinput", "-v", "0")
    ensure_demo_users()
    # Stopped by Ctrl-C or by kill alike, the demo takes its children with it.
    signal.signal(signal.SIGTERM, _interrupt)
    children: list[subprocess.Popen[bytes]] = []
    try:
        if not os.environ.get("EKYC_ACCESS_KEY_ID"):
            children.append(subprocess.Popen([*MANAGE, "ekyc_simulator", "--port", SIMULATOR_PORT], cwd=ROOT))
            wait_until_up(f"http://127.0.0.1:{SIMULATOR_PORT}/_sim/health")
        site = subprocess.Popen([*MANAGE, "runserver", SITE, "--noreload"], cwd=ROOT)
        children.append(site)
        # Background sync: a task worker, and the periodic trigger that enqueues a pass every minute.
        children.append(subprocess.Popen([*MANAGE, "db_worker", "--interval", "2", "--no-reload"], cwd=ROOT))
        children.append(subprocess.Popen([*MANAGE, "ekyc_enqueue_sync", "--every", "60"], cwd=ROOT))
        wait_until_up(f"http://{SITE}/admin/login/")
        print(
            f"\n  Demo site: http://{SITE}/   (staff user demo, password demo; a second account: demo2, demo2)\n",
            flush=True,
        )
        site.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.terminate()
            child.wait(timeout=10)


if __name__ == "__main__":
    main()
