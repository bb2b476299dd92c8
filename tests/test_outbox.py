"""The outbox's writing side: every state change, flag, decision, purge and hold writes its event for other
systems in the same commit as the change, or neither is written; no identity data in what is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from django_ekyc import services
from django_ekyc.models import KycTransaction, OutboxEvent, Status, WebhookDelivery
from django_ekyc.services import ledger, outbox
from tests.face_support import site

pytestmark = pytest.mark.django_db(transaction=True)
ENDPOINT = {"URL": "http://127.0.0.1:9/hook", "SECRET": "a-secret-of-sixteen-chars"}


@pytest.fixture
def hooked():
    """One endpoint that takes every event, one that takes only decisions."""
    endpoints = {"core": ENDPOINT, "crm": {**ENDPOINT, "EVENTS": ["verification.reviewed"]}}
    with site(WEBHOOKS={"ENDPOINTS": endpoints}):
        yield


def types_of(kyc: KycTransaction) -> list[str]:
    return list(OutboxEvent.objects.filter(transaction=kyc).order_by("id").values_list("type", flat=True))


def test_nothing_is_written_without_an_endpoint(start, finish):
    finish(start().transaction)
    assert not OutboxEvent.objects.exists()


def test_each_state_change_is_an_event_in_order_without_identity_data(hooked, start, finish):
    kyc = finish(start().transaction)
    assert types_of(kyc) == ["verification.initialized", "verification.passed"]
    passed = OutboxEvent.objects.get(type="verification.passed")
    data = passed.payload["data"]
    assert passed.payload["id"] == str(passed.event_id) and passed.ordering_key == f"verification:{kyc.public_id}"
    assert data["verification"] == str(kyc.public_id) and data["status"] == Status.PASSED and data["passed"] is True
    assert data["change"] == {"kind": "state_change", "code": "200", "seq": data["change"]["seq"],
                              "from": "initialized", "to": "passed"}  # fmt: skip
    passport = kyc.ocr_fields["passportNo"]
    assert passport not in str(passed.payload) and "ocr" not in str(passed.payload).lower()
    # one delivery per endpoint taking the type: the CRM takes decisions only
    assert list(WebhookDelivery.objects.filter(event=passed).values_list("endpoint", flat=True)) == ["core"]


def test_an_event_commits_with_its_change_or_not_at_all(hooked, start, simulator, monkeypatch):
    kyc = start().transaction
    before = OutboxEvent.objects.count()

    def move_then_fail() -> None:
        with transaction.atomic():
            ledger.transition(kyc, Status.EXPIRED, "expiry")
            raise RuntimeError("the caller's block fails after the move")

    with pytest.raises(RuntimeError):
        move_then_fail()
    assert OutboxEvent.objects.count() == before and KycTransaction.objects.get(pk=kyc.pk).status == Status.INITIALIZED

    def broken(record):
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr(outbox, "publish_history", broken)
    with pytest.raises(RuntimeError):
        ledger.transition(kyc, Status.EXPIRED, "expiry")
    # the move did not happen without its event: other systems never miss a change that committed
    assert KycTransaction.objects.get(pk=kyc.pk).status == Status.INITIALIZED


def test_decisions_purges_and_holds_are_events_too(hooked, start, finish, django_user_model):
    kyc = finish(start().transaction, "face_mismatch")
    staff = django_user_model.objects.create_superuser("staff", "s@example.com", "pw")
    with site(WEBHOOKS={"ENDPOINTS": {"core": ENDPOINT}}, REVIEW={"SUB_CODES": ["204"], "APPROVE_FAILED": True}):
        KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="sub_code")
        services.decide(KycTransaction.objects.get(pk=kyc.pk), staff=staff, verdict="reject", reason="suspected_fraud")
        hold = services.place_hold(staff=staff, reason="Investigation", verification=kyc)
        services.release_hold(hold, staff=staff, reason="Closed")
        services.purge_identity_data(kyc)
    assert types_of(kyc)[-4:] == [
        "verification.reviewed",
        "verification.legal_hold",
        "verification.legal_hold",
        "verification.purged",
    ]
    reviewed = OutboxEvent.objects.get(type="verification.reviewed")
    assert reviewed.payload["data"]["verdict"] == "failed" and reviewed.payload["data"]["change"]["code"] == "reject"


def test_a_persons_relationship_end_and_erasure_are_events_about_the_person(hooked, start, finish, user):
    kyc = finish(start().transaction)
    services.end_relationship(user, at=timezone.now() - timedelta(days=1))
    user.delete()
    ended, erased = OutboxEvent.objects.filter(type__startswith="person.").order_by("id")
    assert (ended.type, erased.type) == ("person.relationship_ended", "person.erased")
    assert ended.ordering_key == erased.ordering_key == f"person:{kyc.merchant_user_id}"
    assert erased.payload["data"]["person"] == kyc.merchant_user_id
    assert types_of(kyc)[-1] == "verification.purged"  # the erasure purged its identity data
