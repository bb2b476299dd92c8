"""Background sync on a real task engine: passes enqueued on the ORM backend, two ``db_worker`` processes running
them against PostgreSQL. Every due transaction is checked exactly once, and the quota holds."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from django_ekyc import services
from django_ekyc.models import KycTransaction, Status
from django_ekyc.testing import running_simulator

from .helpers import META_INFO, redis_url, shop_url
from .test_ratelimit import busiest_span, needs_redis

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers in other processes need PostgreSQL"),
    needs_redis,
]
RATE = 6  # background work may use half: 3 calls a second


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(simulator_port: str) -> dict[str, str]:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DJANGO_DEBUG="false",
        DJANGO_SILENCED_SYSTEM_CHECKS="django_ekyc.E001,django_ekyc.W002,django_ekyc.W003",
        DATABASE_URL=database_url(),
        CACHE_URL=redis_url("task_worker"),
        EKYC_SIMULATOR_PORT=simulator_port,
        EKYC_RATE_LIMIT=str(RATE),
        EKYC_ENCRYPTION_KEYS=",".join(settings.TEST_ENCRYPTION_KEYS),
        EKYC_LOG_LEVEL="WARNING",
    )
    return env


def test_two_workers_check_every_due_transaction_once_within_the_quota(user):
    import redis

    redis.Redis.from_url(redis_url("task_worker")).flushdb()
    with running_simulator("demo-access-key-id", "demo-access-key-secret", face_groups=["demofaces"]) as sim:
        with override_settings(EKYC=sim.ekyc_settings(RATE_LIMIT=None)):
            started = [
                services.start_verification(user=user, meta_info=META_INFO, doc_type="01000000", build_url=shop_url)
                for _ in range(12)
            ]
        for done in started[::2]:
            sim.control.complete(str(done.transaction.transaction_id), "pass")
        KycTransaction.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
        tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
        with override_settings(TASKS=tasks):
            from django_ekyc.tasks import sync_waiting_transactions

            for _ in range(6):  # passes of 3: the workers share them
                sync_waiting_transactions.enqueue(batch_size=3)
        env = worker_env(sim.url.rsplit(":", 1)[1])
        command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
        workers = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
        assert all(worker.returncode == 0 for worker in workers), outputs
        checks = sim.control.calls("CheckResult")

    per_transaction = collections.Counter(call["params"]["TransactionId"] for call in checks)
    assert set(per_transaction) == {s.transaction.transaction_id for s in started}
    assert set(per_transaction.values()) == {1}  # each due transaction checked once, by one worker
    assert {kyc.status for kyc in KycTransaction.objects.filter(pk__in=[s.transaction.pk for s in started[::2]])} == {
        Status.PASSED
    }
    assert KycTransaction.objects.filter(status=Status.INITIALIZED).count() == 6
    # background work on a site limit of 6 a second, with no user calling, uses all of it but the slot kept for the
    # first user to come back, however many workers run
    assert busiest_span([call["received_at"] for call in checks], span=0.98) <= RATE - 1
