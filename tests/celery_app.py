"""The Celery app of the Celery worker test (tests/test_task_engines.py), as docs/tasks.md tells a site to write
its own: configured from Django's settings (the ``CELERY_`` names), with the apps' ``tasks`` modules discovered."""

from __future__ import annotations

from celery import Celery  # type: ignore[import-untyped,import-not-found,unused-ignore]

app = Celery("django_ekyc_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
