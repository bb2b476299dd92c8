"""Settings for the Celery and RQ workers that tests/test_task_engines.py runs as subprocesses, and the same
engine settings for the test process that enqueues (:func:`engine_settings`).

The worker gets the suite's settings with the database of the test (``DATABASE_URL``: a SQLite file), the
simulator's ``EKYC`` (``EKYC_TEST_EKYC``, JSON) and the engine's settings (``EKYC_TEST_ENGINE``, ``EKYC_TEST_QUEUE``,
``EKYC_TEST_BROKER``). Each test run has a queue (and, for Celery, a key prefix) of its own, so that runs sharing a
Redis never take each other's jobs.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tests.settings import *  # noqa: F403
from tests.settings import EKYC as _EKYC
from tests.settings import INSTALLED_APPS as _APPS

# What docs/tasks.md tells a site to schedule with celery beat, by task name.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "ekyc-sync": {"task": "django_ekyc.tasks.sync_waiting_transactions", "schedule": 60.0},
    "ekyc-webhooks": {"task": "django_ekyc.tasks.deliver_webhooks", "schedule": 10.0},
    "ekyc-purge": {
        "task": "django_ekyc.tasks.purge_records",
        "schedule": 24 * 3600.0,
        "kwargs": {"delete_at_provider": True},
    },
}


def engine_settings(engine: str, queue: str, broker: str) -> dict[str, Any]:
    """The settings of one engine (``celery`` or ``rq``) on its own queue of the Redis at ``broker``."""
    if engine == "celery":
        return {
            "TASKS": {
                "default": {
                    "BACKEND": "django_tasks_celery.CeleryBackend",
                    "OPTIONS": {"CELERY_APP": "tests.celery_app.app"},
                }
            },
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_BROKER_TRANSPORT_OPTIONS": {"global_keyprefix": f"{queue}:"},
            "CELERY_BEAT_SCHEDULE": BEAT_SCHEDULE,
        }
    if engine == "rq":
        # Tasks are declared on the queue "default" (the backend refuses a task whose queue it lacks); the test
        # enqueues on its own queue with Task.using(queue_name=...).
        return {
            "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", queue]}},
            "RQ_QUEUES": {"default": {"URL": broker}, queue: {"URL": broker}},
        }
    raise ValueError(f"unknown task engine {engine!r}")


if os.environ.get("EKYC_TEST_ENGINE"):  # in the worker
    DATABASES = {"default": env.db("DATABASE_URL")}  # noqa: F405
    EKYC = {**_EKYC, **json.loads(os.environ.get("EKYC_TEST_EKYC", "{}"))}
    INSTALLED_APPS = [*_APPS, "django_rq"] if os.environ["EKYC_TEST_ENGINE"] == "rq" else list(_APPS)
    globals().update(
        engine_settings(os.environ["EKYC_TEST_ENGINE"], os.environ["EKYC_TEST_QUEUE"], os.environ["EKYC_TEST_BROKER"])
    )
