"""Background work as tasks for Django's tasks framework.

``django.tasks`` on Django 6, the ``django-tasks`` backport on 5.2. Any engine runs them: the ORM backend
(``django-tasks-db`` and ``manage.py db_worker``), Celery (``django-tasks-celery``), RQ (``django-tasks-rq``);
each task is called by its name (``django_ekyc.tasks.<function>``) from the engine's scheduler, cron or
django-crontask (docs/tasks.md has the recipes). The periodic trigger of sync without a scheduler is
``manage.py ekyc_enqueue_sync`` (cron every minute, or ``--every 60``). Each run is one pass of
:func:`django_ekyc.services.sync_waiting`, safe to overlap with runs on other workers and hosts. The maintenance
tasks (:func:`purge_records`, :func:`retry_provider_deletions`, :func:`delete_pending_faces`) run the same code
as ``manage.py ekyc_purge`` (:mod:`django_ekyc.tasks_passes`).

:func:`settle_face` does the face work of one passed verification (the library search, the comparison with the
user's reference face): enqueued after the completion commits when the site runs a task worker, so that no return,
callback or refresh waits for it; without one, the next sync pass does it.
"""

from __future__ import annotations

import logging
from typing import Any

try:
    from django.tasks import task, task_backends  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2
    from django_tasks import task, task_backends  # type: ignore[no-redef,assignment,unused-ignore]

from django_ekyc import services, tasks_passes
from django_ekyc.exceptions import EkycError
from django_ekyc.models import EventSource, KycTransaction
from django_ekyc.ratelimit import background_calls
from django_ekyc.services import deepfake, faces, webhook_delivery

logger = logging.getLogger("django_ekyc.tasks")

# Backends that run a task in the caller's process at once (or never): no worker elsewhere does the work.
INLINE_BACKENDS = frozenset({"ImmediateBackend", "DummyBackend"})


def runs_in_background(alias: str = "default") -> bool:
    """Whether the site's task backend hands tasks to a worker elsewhere (not ``ImmediateBackend``, Django's
    default, which would run the task inside the request that enqueued it)."""
    try:
        backend = task_backends[alias]
    except Exception:  # no TASKS setting for the alias, or a backend that cannot be loaded
        return False
    return type(backend).__name__ not in INLINE_BACKENDS


@task()  # type: ignore[untyped-decorator,unused-ignore]
def sync_waiting_transactions(batch_size: int = 100) -> dict[str, int]:
    """Refresh due waiting transactions and expire stale ones; returns the pass's counts."""
    return services.sync_waiting(batch_size=batch_size).as_dict()


@task()  # type: ignore[untyped-decorator,unused-ignore]
def settle_face(transaction_pk: int) -> str:
    """The face work of one passed verification (see :mod:`django_ekyc.services.faces`); returns its face
    status. A provider failure leaves it pending for background sync, which retries it."""
    kyc = KycTransaction.objects.filter(pk=transaction_pk).first()
    if kyc is None:
        return ""
    with background_calls():
        try:
            kyc = faces.settle_face(kyc, source=EventSource.SYNC)
        except services.ProviderCallFailed as failure:
            logger.warning("eKYC face of %s left for sync: %s", kyc.public_id, failure.error.code or failure.error)
            return str(failure.transaction.face_status)
    return str(kyc.face_status)


@task()  # type: ignore[untyped-decorator,unused-ignore]
def screen_deepfake(transaction_pk: int) -> str:
    """The deepfake screening of one passed verification (:mod:`django_ekyc.services.deepfake`); returns its
    status. The face is fetched from the provider again: no picture travels through the broker."""
    kyc = KycTransaction.objects.filter(pk=transaction_pk).first()
    if kyc is None:
        return ""
    with background_calls():
        try:
            kyc = deepfake.screen(kyc, source=EventSource.SYNC)
        except EkycError as err:
            logger.warning("eKYC deepfake screening of %s left for sync: %s", kyc.public_id, err.code or err)
    return str(kyc.deepfake)


@task()  # type: ignore[untyped-decorator,unused-ignore]
def deliver_webhooks(batch_size: int = 50) -> dict[str, int]:
    """One pass of webhook delivery (:func:`django_ekyc.services.webhook_delivery.deliver_due`): the outbox's due
    events POSTed to their endpoints; returns the pass's counts. Safe to overlap with other workers' passes."""
    return webhook_delivery.deliver_due(batch_size=batch_size).as_dict()


@task()  # type: ignore[untyped-decorator,unused-ignore]
def purge_records(delete_at_provider: bool = False, kinds: list[str] | None = None) -> dict[str, int]:
    """What ``manage.py ekyc_purge --apply`` does (:func:`django_ekyc.tasks_passes.purge`, recorded as a purge run
    with the trigger ``task``): the retention rules (``kinds``: some of them only), then the deletions still
    pending at the provider (with ``delete_at_provider`` the verifications' results; the faces always). Returns
    what each rule removed and how many provider deletions failed. Schedule it daily."""
    with background_calls():  # an unknown kind is refused before anything runs
        return tasks_passes.purge(trigger="task", kinds=kinds, delete_at_provider=delete_at_provider).as_dict()


@task()  # type: ignore[untyped-decorator,unused-ignore]
def retry_provider_deletions() -> dict[str, int]:
    """The verification results purged here that the provider has not confirmed deleted, asked again
    (``DeleteVerifyResult``; never while held); returns how many were retried and how many failed again. The
    daily ``purge_records(delete_at_provider=True)`` does it too: schedule this one where a purge runs seldom."""
    with background_calls():
        return tasks_passes.retry_provider_deletions().as_dict()


@task()  # type: ignore[untyped-decorator,unused-ignore]
def delete_pending_faces(batch_size: int = 100) -> dict[str, int]:
    """The faces marked for deletion (a deleted user's, a purged verification's) asked out of the provider's face
    library, until it confirms (``DeleteFaceRecordV2``); returns how many went and how many failed (they stay
    pending for the next pass)."""
    with background_calls():  # the provider's quota, at the share background work may take
        faces = services.delete_pending_faces(batch_size=batch_size)
    return {"deleted": faces.deleted, "failed": faces.deletion_failures}


def _hand_over(task_: Any, transaction: KycTransaction, what: str) -> None:
    """Enqueue ``task_`` for a transaction where the site runs a task worker; without one (or if enqueuing fails)
    the work stays pending and the next sync pass does it: nothing runs in the request."""
    if not runs_in_background():
        return
    try:
        task_.enqueue(transaction.pk)
    except Exception:
        logger.exception("eKYC %s of %s not enqueued; background sync does it", what, transaction.public_id)


def enqueue_deepfake_screening(sender: object, transaction: KycTransaction, **kwargs: object) -> None:
    """``deepfake_due``: hand a verification's deepfake screening to the task worker."""
    _hand_over(screen_deepfake, transaction, "deepfake screening")


def enqueue_face_work(sender: object, transaction: KycTransaction, **kwargs: object) -> None:
    """``face_work_due``: hand a verification's face work to the task worker."""
    _hand_over(settle_face, transaction, "face work")


__all__: list[Any] = [
    "delete_pending_faces",
    "deliver_webhooks",
    "enqueue_deepfake_screening",
    "enqueue_face_work",
    "purge_records",
    "retry_provider_deletions",
    "runs_in_background",
    "screen_deepfake",
    "settle_face",
    "sync_waiting_transactions",
]
