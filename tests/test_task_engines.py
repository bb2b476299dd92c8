"""The tasks on the engines shops run: each maintenance task run through Django's immediate backend, every task
name docs/tasks.md gives resolving to its task, and real Celery and RQ worker processes running our tasks from a
Redis broker against the test's database (a SQLite file both processes open).

Celery (``django-tasks-celery``) needs Django 6's ``django.tasks``: on Django 5.2 its test is skipped, and the
Django 6 run (tox ``py312-django61``) runs it. Under ``CI=true`` a missing engine fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from django_ekyc import services, tasks
from django_ekyc.models import FaceRecord, KycTransaction, PurgeRun, Status
from django_ekyc.services import face_deletion

from .helpers import redis_url, start_body
from .task_engine_settings import BEAT_SCHEDULE, engine_settings
from .test_ratelimit import redis_available

ROOT = Path(__file__).resolve().parent.parent
LONG_AGO = timedelta(days=400)
DEADLINE = 90.0  # seconds a worker has to show its effect: generous, for a loaded machine


def started(user: Any) -> KycTransaction:
    """A verification of ``user`` started at the simulator."""
    return services.start_verification(
        user=user, **start_body(), build_url=lambda path: f"http://testserver{path}"
    ).transaction


def finished(simulator: Any, user: Any) -> KycTransaction:
    """A verification of ``user`` passed at the simulator, refreshed, and completed long ago (due for the purge)."""
    simulator.control.complete((kyc := started(user)).transaction_id, "pass")
    kyc = services.refresh(kyc)
    age(kyc)
    return kyc


def age(kyc: KycTransaction) -> None:
    KycTransaction.objects.filter(pk=kyc.pk).update(completed_at=timezone.now() - LONG_AGO)


# -- the maintenance tasks, on the immediate backend ----------------------------------------------------------


@pytest.mark.django_db
def test_the_purge_task_purges_only_the_kinds_asked_for(simulator, user):
    kyc = finished(simulator, user)
    counts = tasks.purge_records.enqueue(kinds=["pictures"]).return_value
    assert counts == {"pictures": 1, "failures": 0, "faces_deleted": 0}
    assert KycTransaction.objects.get(pk=kyc.pk).identity_purged_at is None  # identity was not asked for
    run = PurgeRun.objects.get()
    assert run.trigger == "task" and run.counts == {"pictures": 1}


@pytest.mark.django_db
def test_the_purge_task_refuses_an_unknown_kind_before_anything_runs(simulator, user):
    result = tasks.purge_records.enqueue(kinds=["identity", "selfies"])
    assert result.status == "FAILED" and "selfies" in result.errors[-1].traceback
    assert not PurgeRun.objects.exists()


@pytest.mark.django_db
def test_the_provider_deletions_task_retries_what_the_provider_failed(simulator, user):
    kyc = finished(simulator, user)
    simulator.control.add_fault("internal_error", action="DeleteVerifyResult", count=-1)
    first = tasks.purge_records.enqueue(delete_at_provider=True).return_value
    assert first["identity"] == 1 and first["failures"] == 1  # one verification: the run's attempt and its retry
    assert KycTransaction.objects.get(pk=kyc.pk).provider_deleted_at is None
    assert tasks.retry_provider_deletions.enqueue().return_value == {"retried": 1, "failed": 1}
    simulator.control.clear_faults()
    assert tasks.retry_provider_deletions.enqueue().return_value == {"retried": 1, "failed": 0}
    assert KycTransaction.objects.get(pk=kyc.pk).provider_deleted_at is not None
    assert tasks.retry_provider_deletions.enqueue().return_value == {"retried": 0, "failed": 0}  # nothing left


@pytest.mark.django_db
def test_the_purge_counts_each_failed_provider_deletion_once(simulator, user):
    """``failures`` counts verifications, as docs/tasks.md says: one pending from an earlier run and one the run
    purges, both failing, are two, though the pass asked the provider three times."""
    finished(simulator, user)
    simulator.control.add_fault("internal_error", action="DeleteVerifyResult", count=-1)
    assert tasks.purge_records.enqueue(delete_at_provider=True).return_value["failures"] == 1
    finished(simulator, user)
    second = tasks.purge_records.enqueue(delete_at_provider=True).return_value
    assert (second["identity"], second["failures"]) == (1, 2)
    assert PurgeRun.objects.latest("started_at").failures == 1  # the run's own record: the one it purged
    simulator.control.clear_faults()
    assert tasks.purge_records.enqueue(delete_at_provider=True).return_value["failures"] == 0
    assert not KycTransaction.objects.filter(provider_deleted_at=None).exists()


@pytest.mark.django_db
def test_the_face_deletions_task_takes_the_marked_faces_out_of_the_library(verified, library, user):
    from .face_support import faces_in_library

    verified(user, "alice")
    assert len(faces_in_library(library)) == 1
    face_deletion.forget_faces(FaceRecord.objects.all(), reason="retention")
    assert tasks.delete_pending_faces.enqueue(batch_size=10).return_value == {"deleted": 1, "failed": 0}
    assert faces_in_library(library) == {}
    assert FaceRecord.objects.get().deleted_at is not None
    assert tasks.delete_pending_faces.enqueue().return_value == {"deleted": 0, "failed": 0}


def test_every_task_name_the_docs_give_is_that_task():
    """A scheduler calls a task by the name the docs give it: each must import, as that very task."""
    text = (ROOT / "docs" / "tasks.md").read_text()
    names = set(re.findall(r"django_ekyc\.tasks\.([a-z_]+)", text))
    declared = {name for name in tasks.__all__ if hasattr(getattr(tasks, name), "module_path")}
    assert names >= declared, f"docs/tasks.md does not name {sorted(declared - names)}"
    for name in names:
        task = import_string(f"django_ekyc.tasks.{name}")
        assert task.module_path == f"django_ekyc.tasks.{name}"
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in text  # the tested beat schedule is the documented one


# -- real workers ------------------------------------------------------------------------------------------


def require(*modules: str) -> None:
    """Skip (fail under CI) where an engine is not installed, or Redis is not running."""
    missing = [module for module in modules if find_spec(module) is None]
    problem = f"needs {', '.join(missing)} (pip install django-ekyc[celery] / [rq])" if missing else ""
    if not problem and not redis_available():
        problem = "needs Redis on 127.0.0.1:6379"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the task engines: {problem}")
        pytest.skip(problem)


@pytest.fixture
def shared_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """The test's database is a migrated SQLite file, which the worker opens too (pytest-django's own is in
    memory, in this process only); the suite's connection is put back afterwards. Its URL."""
    path = tmp_path / "db.sqlite3"
    config = connections.configure_settings({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}})
    saved = connections["default"]
    connections["default"] = load_backend(config["default"]["ENGINE"]).DatabaseWrapper(config["default"], "default")
    try:
        with django_db_blocker.unblock():
            call_command("migrate", verbosity=0)
            yield f"sqlite:///{path}"
    finally:
        connections["default"].close()
        connections["default"] = saved


# RQ's lock of its registries' cleaning, which a worker takes (and leaves to expire): the run's when it made it.
RQ_CLEANING_LOCK = "rq:clean_groups"


@pytest.fixture
def job_ids() -> list[str]:
    """The ids of the jobs a test enqueued: RQ names its job, result and execution keys by them."""
    return []


@pytest.fixture
def queue(job_ids: list[str]) -> Iterator[str]:
    """A queue (and key prefix) of this test's own. What the run left in Redis is removed afterwards, and checked
    gone: the keys with the queue's name (the queue, its registries, Celery's prefixed keys, the RQ worker named
    after it) and those with the id of a job in ``job_ids``."""
    import redis

    name = f"ekyc-test-{uuid.uuid4().hex[:12]}"
    if not redis_available():  # the test skips (or fails, under CI) for want of Redis: nothing to clean
        yield name
        return
    broker = redis.Redis.from_url(redis_url("task_worker"))
    lock_was_there = bool(broker.exists(RQ_CLEANING_LOCK))
    try:
        yield name
    finally:
        patterns = [f"*{name}*", *(f"*{job}*" for job in job_ids)]
        left = {key for pattern in patterns for key in broker.scan_iter(match=pattern)}
        if not lock_was_there:
            left.add(RQ_CLEANING_LOCK.encode())
        if left:
            broker.delete(*left)
        broker.srem("rq:queues", f"rq:queue:{name}")
        broker.srem("rq:workers", f"rq:worker:{name}")  # a worker that was killed stays registered
        remaining = sorted(key.decode() for pattern in patterns for key in broker.scan_iter(match=pattern))
        registered = [
            key for key in ("rq:queues", "rq:workers") if any(name.encode() in m for m in broker.smembers(key))
        ]
        broker.close()
        assert (remaining, registered) == ([], []), "the run's Redis keys were not all removed"


def worker_env(engine: str, queue: str, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.task_engine_settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database,
        EKYC_TEST_ENGINE=engine,
        EKYC_TEST_QUEUE=queue,
        EKYC_TEST_BROKER=redis_url("task_worker"),
        EKYC_TEST_EKYC=json.dumps(settings.EKYC),
        DJANGO_SILENCED_SYSTEM_CHECKS="django_ekyc.W016",
    )
    return env


def wait_for(condition: Callable[[], bool], what: str, worker: subprocess.Popen[str]) -> None:
    """Poll until ``condition`` holds; fail with the worker's output if it dies or the deadline passes."""
    until = time.monotonic() + DEADLINE
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}:\n{worker.communicate()[0]}")
        if time.monotonic() > until:
            worker.kill()
            pytest.fail(f"timed out waiting for {what}:\n{worker.communicate()[0]}")
        time.sleep(0.1)


def stop(worker: subprocess.Popen[str]) -> str:
    """Stop a worker as its supervisor would (SIGTERM: a warm shutdown), killing it if it does not go; its output."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        return worker.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0]


def due_verification(simulator: Any) -> KycTransaction:
    """A started verification the user finished at the provider, due for background sync. (Not pytest-django's
    ``django_user_model``: it asks for ``db``, which would wrap the shared database in a transaction the worker
    cannot see.)"""
    user = get_user_model().objects.create_user(username="engine", password="pw")
    kyc = started(user)
    simulator.control.complete(kyc.transaction_id, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    return kyc


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A worker process of the engine, its output collected for the failure message."""
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_an_rq_worker_with_the_job_class_runs_the_sync_task(shared_database, queue, job_ids, simulator):
    require("django_tasks_rq", "django_rq", "rq")
    kyc = due_verification(simulator)
    with override_settings(**engine_settings("rq", queue, redis_url("task_worker"))):
        result = tasks.sync_waiting_transactions.using(queue_name=queue).enqueue(batch_size=10)
    job_ids.append(result.id)  # for the cleanup
    command = [sys.executable, "manage.py", "rqworker", "--burst", "--job-class", "django_tasks_rq.backend.Job"]
    command += ["--name", queue, queue]  # the worker's keys (rq:worker:<name>...) carry the queue's name
    worker = spawn(command, worker_env("rq", queue, shared_database))
    try:
        output = worker.communicate(timeout=DEADLINE)[0]  # --burst: it stops once the queue is empty
    except subprocess.TimeoutExpired:
        pytest.fail(f"the RQ worker did not finish its burst:\n{stop(worker)}")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert KycTransaction.objects.get(pk=kyc.pk).status == Status.PASSED, output
    assert "Successfully completed django_ekyc.tasks.sync_waiting_transactions(batch_size=10) job" in output
    assert result.id in output
    with override_settings(**engine_settings("rq", queue, redis_url("task_worker"))):
        assert tasks.sync_waiting_transactions.get_result(result.id).return_value["completed"] == 1


@pytest.mark.skipif(find_spec("django.tasks") is None, reason="django-tasks-celery needs Django 6 (django.tasks)")
def test_a_celery_worker_runs_the_tasks_enqueued_and_scheduled_by_name(shared_database, queue, simulator):
    require("celery", "django_tasks_celery")
    kyc = due_verification(simulator)
    command = [sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker", "--pool", "solo"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO", "-Q", queue]
    worker = spawn(command, worker_env("celery", queue, shared_database))
    try:
        with override_settings(**engine_settings("celery", queue, redis_url("task_worker"))):
            tasks.sync_waiting_transactions.enqueue(batch_size=10)  # django.tasks' API, Celery underneath
            stored = KycTransaction.objects.filter(pk=kyc.pk)
            wait_for(lambda: stored.get().status == Status.PASSED, "the sync pass", worker)

            # What celery beat sends for the documented entry: the task's name, and its kwargs.
            from tests.celery_app import app

            age(kyc)
            entry = BEAT_SCHEDULE["ekyc-purge"]
            app.send_task(entry["task"], kwargs=entry["kwargs"], queue=queue)
            runs = PurgeRun.objects.filter(trigger="task", finished_at__isnull=False)
            wait_for(runs.exists, "the purge sent by name", worker)
    finally:
        output = stop(worker)
    assert runs.get().counts["identity"] == 1, output
    assert stored.get().identity_purged_at is not None and stored.get().provider_deleted_at is not None
    assert worker.returncode == 0, output
