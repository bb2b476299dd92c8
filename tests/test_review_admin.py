"""The review queue and the review panel in the admin: who sees them, what they show, and decisions posted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from django_ekyc.models import KycTransaction, ReviewDecision
from django_ekyc.services import review
from tests.test_review import DECIDER, staff_member

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "/admin/django_ekyc/reviewqueueitem/"


@pytest.fixture
def waiting(start, finish):
    """Three passed verifications flagged for review at different times, and one not flagged."""
    now = timezone.now()
    rows = []
    for hours, rule in ((1, "duplicate"), (5, "deepfake"), (3, "duplicate")):
        kyc = finish(start().transaction, "pass")
        KycTransaction.objects.filter(pk=kyc.pk).update(
            review="waiting", review_rule=rule, review_since=now - timedelta(hours=hours)
        )
        kyc.refresh_from_db()
        rows.append(kyc)
    finish(start().transaction, "pass")
    return rows


def test_the_queue_lists_what_waits_oldest_first_and_counts_it(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "reader", ["review_kyctransaction"]))
    page = client.get(QUEUE).content.decode()
    positions = [page.index(str(kyc.public_id)[:8]) for kyc in (waiting[1], waiting[2], waiting[0])]
    assert positions == sorted(positions)  # 5 h, 3 h, 1 h
    assert "3 waiting; the oldest for 5\xa0hours." in page
    only_deepfake = client.get(QUEUE + "?review_rule__exact=deepfake").content.decode()
    assert str(waiting[1].public_id)[:8] in only_deepfake and str(waiting[0].public_id)[:8] not in only_deepfake


def test_the_queue_takes_its_own_permission(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "plain", ["view_kyctransaction"]))
    assert client.get(QUEUE).status_code == 403


def test_a_decider_records_a_decision_from_the_panel(client, django_user_model, waiting):
    decider = staff_member(django_user_model, "decider", DECIDER)
    client.force_login(decider)
    kyc = waiting[0]
    page = client.get(f"{QUEUE}{kyc.pk}/change/").content.decode()
    assert 'id="review-decision"' in page and "Suspected fraud" in page
    response = client.post(
        f"{QUEUE}{kyc.pk}/decide/",
        {
            "review_verdict": "reject",
            "review_reason": "suspected_fraud",
            "review_note": "seen twice",
            "review_seen": review.seen_token(kyc),
        },
        follow=True,
    )
    assert "Decision recorded: Rejected by staff." in response.content.decode()
    decision = ReviewDecision.objects.get(transaction=kyc)
    assert (decision.staff, decision.note, decision.rule) == (decider, "seen twice", "duplicate")
    assert LogEntry.objects.filter(object_id=str(kyc.pk), user=decider).exists()
    after = client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/").content.decode()
    assert "decider" in after and "seen twice" in after


def test_a_refused_decision_says_why_and_changes_nothing(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "decider", DECIDER))
    kyc = waiting[0]
    response = client.post(f"{QUEUE}{kyc.pk}/decide/", {"review_verdict": "reject", "review_reason": ""}, follow=True)
    assert "Give a reason for the decision." in response.content.decode()
    assert not ReviewDecision.objects.exists()


def test_readers_see_the_panel_without_the_form_and_cannot_post(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "reader", ["view_kyctransaction", "review_kyctransaction"]))
    kyc = waiting[0]
    page = client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/").content.decode()
    assert 'id="review-state"' in page and 'id="review-decision"' not in page
    posted = client.post(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/decide/", {"review_verdict": "reject"})
    assert posted.status_code == 403 and not ReviewDecision.objects.exists()
    assert client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/decide/").status_code in (403, 405)


def report_in_admin(client: Any, staff: Any, kyc: Any) -> Any:
    client.force_login(staff)
    return client.post(
        "/admin/django_ekyc/kyctransaction/", {"action": "report_fraud", "_selected_action": [kyc.pk]}, follow=True
    )


def test_staff_report_a_confirmed_fraud_to_the_provider_on_record(client, django_user_model, waiting, simulator):
    reporter = staff_member(django_user_model, "reporter", ["view_kyctransaction", "report_fraud"])
    kyc = waiting[0]
    page = report_in_admin(client, reporter, kyc).content.decode()
    assert "the provider took the report" in page
    [sent] = simulator.control.calls("FraudResultCallBack")
    assert (sent["params"]["CertifyId"], sent["params"]["ResultCode"]) == (kyc.transaction_id, "REJECT")
    event = kyc.events.get(kind="review", code="fraud_reported")
    assert "reporter" in event.message and "Success=true" in event.message
    assert kyc.events.filter(kind="provider_call", action="FraudResultCallBack").exists()
    assert LogEntry.objects.filter(object_id=str(kyc.pk), user=reporter).exists()


def test_reporting_fraud_takes_its_own_permission(client, django_user_model, waiting, simulator):
    decider = staff_member(django_user_model, "decider", DECIDER)  # may decide, not report
    report_in_admin(client, decider, waiting[0])
    assert simulator.control.calls("FraudResultCallBack") == []


def test_the_list_links_to_the_queue_and_the_operators_view_by_permission(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "lead", ["view_kyctransaction", "review_kyctransaction"]))
    page = client.get("/admin/django_ekyc/kyctransaction/").content.decode()
    assert 'id="ekyc-review-queue-link"' in page and 'id="ekyc-operations-link"' not in page
    client.force_login(staff_member(django_user_model, "ops", ["view_kyctransaction", "view_operations"]))
    page = client.get("/admin/django_ekyc/kyctransaction/").content.decode()
    assert 'href="/admin/django_ekyc/kyctransaction/operations/"' in page and "ekyc-review-queue-link" not in page


def test_the_panel_takes_the_review_permission(client, django_user_model, waiting):
    client.force_login(staff_member(django_user_model, "plain", ["view_kyctransaction"]))
    page = client.get(f"/admin/django_ekyc/kyctransaction/{waiting[0].pk}/change/").content.decode()
    assert page.count("<h2") and 'id="review-state"' not in page
