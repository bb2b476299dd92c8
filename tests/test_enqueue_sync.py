"""``manage.py ekyc_enqueue_sync`` says what became of the pass: enqueued for a worker, run inline because no
worker backend is configured (with its counts), or kept by a backend that runs nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from importlib.util import find_spec

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from django_ekyc.models import KycTransaction, Status

pytestmark = pytest.mark.django_db(transaction=True)

TASKS_PACKAGE = "django.tasks" if find_spec("django.tasks") else "django_tasks"  # Django 6, or the 5.2 backport


def backend(name: str) -> dict[str, dict[str, str]]:
    return {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.{name}"}}


def a_result_waiting_to_be_fetched(start, simulator) -> KycTransaction:
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    KycTransaction.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    return kyc


def enqueue_sync() -> str:
    out = io.StringIO()
    call_command("ekyc_enqueue_sync", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("tasks", [None, backend("immediate.ImmediateBackend")])
def test_without_a_worker_backend_it_says_the_pass_ran_inline_and_what_it_did(start, simulator, tasks):
    kyc = a_result_waiting_to_be_fetched(start, simulator)
    with override_settings(**({"TASKS": tasks} if tasks else {})):  # none: Django's default, ImmediateBackend
        said = enqueue_sync()
    assert said.startswith("No task worker backend is configured: ran the sync pass inline: checked=1, completed=1,")
    assert "Enqueued" not in said
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED


def test_with_a_backend_that_runs_nothing_it_says_nothing_will_run_it(start, simulator):
    kyc = a_result_waiting_to_be_fetched(start, simulator)
    with override_settings(TASKS=backend("dummy.DummyBackend")):
        said = enqueue_sync()
    assert "The task backend 'default' runs no tasks" in said and "nothing will run it" in said
    assert "Enqueued" not in said
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED


def test_with_a_worker_backend_the_pass_is_enqueued_for_it(start, simulator):
    kyc = a_result_waiting_to_be_fetched(start, simulator)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        said = enqueue_sync()
    assert said.startswith("Enqueued sync pass ")
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED  # a worker's to do


def test_a_pass_that_fails_inline_is_an_error(monkeypatch):
    from django_ekyc import services

    def failing(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "sync_waiting", failing)
    with pytest.raises(CommandError, match=r"ran the sync pass inline, and it failed:(.|\n)*the database went away"):
        enqueue_sync()
