"""Background sync as a task for Django's tasks framework.

``django.tasks`` on Django 6, the ``django-tasks`` backport on 5.2 (``pip install django-ekyc[tasks]``, which also
brings the ORM backend ``django-tasks-db`` and its worker, ``manage.py db_worker``). The periodic trigger is
``manage.py ekyc_enqueue_sync`` (cron every minute, or ``--every 60``). Each run is one pass of
:func:`django_ekyc.services.sync_waiting`, safe to overlap with runs on other workers and hosts.
"""

from __future__ import annotations

from typing import Any

try:
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2
    from django_tasks import task  # type: ignore[no-redef,unused-ignore]

from django_ekyc import services


@task()  # type: ignore[untyped-decorator,unused-ignore]
def sync_waiting_transactions(batch_size: int = 100) -> dict[str, int]:
    """Refresh due waiting transactions and expire stale ones; returns the pass's counts."""
    return services.sync_waiting(batch_size=batch_size).as_dict()


__all__: list[Any] = ["sync_waiting_transactions"]
