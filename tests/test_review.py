"""Staff decisions over HTTP against the simulator: what enters the review queue, what a decision changes (the
effective verdict the guards and the user's API read), four eyes, and every refusal changing nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings

from django_ekyc import services
from django_ekyc.models import EventKind, KycTransaction, ReviewDecision, ReviewState, Status
from django_ekyc.permissions import IsVerified
from django_ekyc.services import ledger, ledger_purge, review, review_rules
from django_ekyc.signals import review_decided
from tests.face_support import faces_in_library, site
from tests.helpers import api_client, initialize_params, return_path, shop_url
from tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

DECIDER = ["view_kyctransaction", "review_kyctransaction", "decide_kyctransaction", "accept_reference_face"]


def staff_member(django_user_model: Any, name: str, codenames: list[str]) -> Any:
    member = django_user_model.objects.create_user(name, password="pw", is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return django_user_model.objects.get(pk=member.pk)  # no cached permissions


@pytest.fixture
def decider(django_user_model):
    return staff_member(django_user_model, "decider", DECIDER)


@pytest.fixture
def second(django_user_model):
    return staff_member(django_user_model, "second", DECIDER)


@pytest.fixture
def reader(django_user_model):
    return staff_member(django_user_model, "reader", ["view_kyctransaction", "review_kyctransaction"])


@pytest.fixture
def reviewed():
    """The site reviews failures with sub code 204 (the face did not match the document), two approving."""
    with site(REVIEW={"SUB_CODES": ["204"], "FOUR_EYES": ["sub_code"], "APPROVE_FAILED": True}):
        yield


@pytest.fixture
def decisions():
    seen: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(kwargs)

    review_decided.connect(receiver)
    yield seen
    review_decided.disconnect(receiver)


@pytest.fixture
def failed_face(start, finish, user, reviewed):
    """A verification the provider failed with 204, waiting for a person."""
    return finish(start().transaction, "face_mismatch")


def _state(kyc: KycTransaction) -> tuple[str, str, int]:
    kyc.refresh_from_db()
    return kyc.review, kyc.status, ReviewDecision.objects.filter(transaction=kyc).count()


# -- what enters the queue -------------------------------------------------------------------------------------


def test_a_failure_with_a_listed_sub_code_waits_for_a_person(failed_face):
    assert (failed_face.review, failed_face.review_rule) == ("waiting", "sub_code")
    assert failed_face.review_since is not None
    assert list(review.queue()) == [failed_face]


def test_other_failures_and_passes_do_not(start, finish, reviewed):
    assert finish(start().transaction, "liveness_attack").review == ""  # 205 is not listed
    assert finish(start().transaction, "pass").review == ""
    assert not review.queue().exists()


def test_a_rule_the_site_does_not_review_puts_nothing_in_the_queue(start, finish):
    with site(REVIEW={"SUB_CODES": ["204"], "RULES": ["duplicate"]}):
        assert finish(start().transaction, "face_mismatch").review == ""


def test_a_pending_answer_waits_and_leaves_the_queue_when_the_provider_answers(start, finish):
    kyc = finish(start().transaction, "pending")
    assert (kyc.status, kyc.review, kyc.review_rule) == (Status.INITIALIZED, "waiting", "pending")
    # The simulator keeps a pending verdict pending; the provider's later answer as the ledger applies it:
    kyc, moved = ledger.transition(kyc, Status.PASSED, "sync", passed=True, sub_code="200")
    assert moved and (kyc.status, kyc.review, kyc.review_rule, kyc.review_since) == (Status.PASSED, "", "", None)


def test_a_reference_conflict_waits_and_approving_it_accepts_the_face(library, verified, user, decider, decisions):
    first = verified(user, "ada")
    flagged = verified(user, "mallory")
    assert (flagged.review, flagged.review_rule) == ("waiting", "reference_conflict")
    review.decide(flagged, staff=decider, verdict="approve", reason="same_person")
    flagged.refresh_from_db()
    assert (flagged.face_status, flagged.review) == ("accepted", "approved")
    assert first.pk != flagged.pk and [d["verdict"] for d in decisions] == ["approve"]


# -- what a decision changes ------------------------------------------------------------------------------------


def test_a_rejection_stops_a_pass_from_counting_everywhere(start, finish, user, decider, decisions):
    kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    assert services.is_verified(user)
    decision = review.decide(kyc, staff=decider, verdict="reject", reason="suspected_fraud", note="two accounts")
    assert not services.is_verified(user)
    assert not IsVerified().has_permission(type("R", (), {"user": user})(), None)
    kyc.refresh_from_db()
    assert (kyc.status, kyc.passed, kyc.review, kyc.review_decision) == (Status.PASSED, True, "rejected", decision)
    body = api_client(user).get(f"/ekyc/api/transactions/{kyc.public_id}/").json()
    assert (body["status"], body["verdict"], body["passed"]) == ("failed", "failed", False)
    assert "duplicate" not in str(body) and "fraud" not in str(body).lower()  # never the flag, never the reason
    event = kyc.events.get(kind=EventKind.REVIEW)
    assert (event.code, event.source) == ("reject", "admin") and "decider" in event.message
    assert decisions == [{"signal": review_decided, "sender": KycTransaction, "transaction": kyc,
                          "decision": decision, "verdict": "reject"}]  # fmt: skip


def test_asking_to_verify_again_tells_the_user_and_stops_the_pass(start, finish, user, decider, client):
    kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="deepfake")
    review.decide(kyc, staff=decider, verdict="reverify", reason="unreadable")
    assert not services.is_verified(user)
    body = api_client(user).get(f"/ekyc/api/transactions/{kyc.public_id}/").json()
    assert body["verdict"] == "verify_again" and body["message"] == "We need you to verify your identity again."


def test_the_result_page_asks_the_user_to_verify_again(start, finish, simulator, decider, client):
    kyc = finish(start(build_url=shop_url).transaction, "pass")
    path = return_path(initialize_params(simulator))
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    review.decide(kyc, staff=decider, verdict="reverify", reason="unreadable")
    page = client.get(path, follow=True).content.decode()
    assert ("Please verify again" in page and 'id="ekyc-try-again"' in page) or "ekyc-start" in page
    assert "Identity verified" not in page


def test_a_failure_waiting_for_a_person_reads_in_review_to_the_user(failed_face, user):
    body = api_client(user).get(f"/ekyc/api/transactions/{failed_face.public_id}/").json()
    assert (body["verdict"], body["status"]) == ("in_review", "failed")
    assert "204" not in body["message"]


def test_four_eyes_takes_two_people_and_the_first_alone_counts_for_nothing(
    failed_face, user, decider, second, decisions
):
    first = review.decide(failed_face, staff=decider, verdict="approve", reason="checked_documents")
    assert not first.effective and _state(failed_face)[0] == ReviewState.SECOND
    assert not services.is_verified(user) and decisions == []
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(failed_face, staff=decider, verdict="approve", reason="checked_documents")
    assert refused.value.code == "same_reviewer" and _state(failed_face) == ("second", "failed", 1)
    confirmed = review.decide(failed_face, staff=second, verdict="approve", reason="checked_documents")
    assert confirmed.effective and confirmed.confirms == first
    assert _state(failed_face) == ("approved", "failed", 2)  # the provider's verdict is never rewritten
    assert services.is_verified(user) and [d["decision"] for d in decisions] == [confirmed]


def test_a_rejection_needs_one_person_even_under_four_eyes(failed_face, decider, second):
    review.decide(failed_face, staff=decider, verdict="approve", reason="checked_documents")
    review.decide(failed_face, staff=decider, verdict="reject", reason="suspected_fraud")
    assert _state(failed_face) == ("rejected", "failed", 2)


def test_a_later_decision_supersedes_and_none_is_ever_edited(start, finish, user, decider):
    kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    rejected = review.decide(kyc, staff=decider, verdict="reject", reason="suspected_fraud")
    review.decide(kyc, staff=decider, verdict="approve", reason="known_customer")
    assert services.is_verified(user) and _state(kyc) == ("approved", "passed", 2)
    rejected.note = "rewritten"
    with pytest.raises(ValueError, match="never edited"):
        rejected.save()


# -- refusals change nothing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"verdict": "approve", "reason": ""}, "reason_required"),
        ({"verdict": "approve", "reason": "because"}, "unknown_reason"),
        ({"verdict": "maybe", "reason": "other"}, "unknown_verdict"),
        ({"verdict": "reject", "reason": "other", "note": "x" * 2001}, "note_too_long"),
    ],
)
def test_bad_input_is_refused(failed_face, decider, fields, code):
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(failed_face, staff=decider, **fields)
    assert refused.value.code == code and _state(failed_face) == ("waiting", "failed", 0)


def test_someone_without_the_permission_is_refused(failed_face, reader):
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(failed_face, staff=reader, verdict="reject", reason="other")
    assert refused.value.code == "not_permitted" and _state(failed_face) == ("waiting", "failed", 0)


def test_a_verification_not_waiting_for_a_decision_is_refused(start, finish, decider):
    kyc = finish(start().transaction, "pass")
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(kyc, staff=decider, verdict="reject", reason="other")
    assert refused.value.code == "not_in_review" and _state(kyc) == ("", "passed", 0)


def test_a_failure_is_not_approved_unless_the_site_allows_it(start, finish, user, decider):
    with site(REVIEW={"SUB_CODES": ["204"]}):
        kyc = finish(start().transaction, "face_mismatch")
        with pytest.raises(services.InvalidInput) as refused:
            review.decide(kyc, staff=decider, verdict="approve", reason="checked_documents")
    assert refused.value.code == "cannot_approve" and _state(kyc) == ("waiting", "failed", 0)
    assert not services.is_verified(user)


def test_a_decision_on_a_page_someone_changed_since_is_refused(failed_face, decider, second):
    seen = review.seen_token(failed_face)
    review.decide(failed_face, staff=second, verdict="reject", reason="other")
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(failed_face, staff=decider, verdict="reverify", reason="other", seen=seen)
    assert refused.value.code == "decided_elsewhere" and _state(failed_face) == ("rejected", "failed", 1)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
@pytest.mark.parametrize("verdicts", [("reject", "reverify"), ("approve", "approve")])
def test_two_reviewers_at_once_record_exactly_one_decision(failed_face, decider, second, verdicts, monkeypatch):
    seen = review.seen_token(failed_face)
    outcomes: list[str] = []
    both_checked = threading.Barrier(2, timeout=30)
    record = review._record

    def record_when_both_checked(*args: Any) -> Any:
        both_checked.wait()  # both reviewers read the same state and passed every check: now they write
        return record(*args)

    monkeypatch.setattr(review, "_record", record_when_both_checked)

    def deciding(staff: Any, verdict: str) -> Any:
        def run() -> None:
            try:
                review.decide(failed_face.__class__.objects.get(pk=failed_face.pk), staff=staff, verdict=verdict,
                              reason="other", seen=seen)  # fmt: skip
                outcomes.append("decided")
            except services.InvalidInput as refused:
                outcomes.append(refused.code)

        return run

    assert run_together([deciding(decider, verdicts[0]), deciding(second, verdicts[1])]) == []
    assert sorted(outcomes) == ["decided", "decided_elsewhere"]
    assert ReviewDecision.objects.filter(transaction=failed_face).count() == 1
    assert failed_face.events.filter(kind=EventKind.REVIEW).count() == 1


def test_the_review_setting_is_checked(settings):
    from django_ekyc.conf import ekyc_settings
    from django_ekyc.exceptions import EkycConfigurationError

    bads: list[dict[str, Any]] = [{"RULES": ["typo"]}, {"REASONS": {}}, {"APPROVE_FAILED": "yes"}, {"FOUR_EYES": ["x"]}]
    for bad in [*bads, {"X": 1}]:
        with override_settings(EKYC={**settings.EKYC, "REVIEW": bad}), pytest.raises(EkycConfigurationError):
            ekyc_settings.REVIEW  # noqa: B018


def test_the_settings_and_the_models_name_the_same_rules():
    from django_ekyc import review_policy
    from django_ekyc.models import ReviewRule

    assert set(ReviewRule.values) == set(review_policy.RULES)


def test_a_first_approval_after_a_rejection_leaves_the_rejection_standing(start, finish, user, decider, second):
    with site(REVIEW={"FOUR_EYES": ["duplicate"]}):
        kyc = finish(start().transaction, "pass")
        KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
        review.decide(kyc, staff=decider, verdict="reject", reason="suspected_fraud")
        review.decide(kyc, staff=decider, verdict="approve", reason="known_customer")  # the first of two
        assert _state(kyc)[0] == "second" and not services.is_verified(user)
        assert api_client(user).get(f"/ekyc/api/transactions/{kyc.public_id}/").json()["verdict"] == "failed"
        review.decide(kyc, staff=second, verdict="approve", reason="known_customer")
    assert _state(kyc) == ("approved", "passed", 3) and services.is_verified(user)


# -- what a review found -----------------------------------------------------------------------------------------


def test_four_eyes_apply_for_any_flag_the_verification_carries_now(start, finish, user, decider):
    with site(REVIEW={"SUB_CODES": ["204"], "FOUR_EYES": ["sub_code"], "APPROVE_FAILED": True}):
        kyc = finish(start().transaction, "pending")
        assert (kyc.review, kyc.review_rule) == ("waiting", "pending")
        kyc, _ = ledger.transition(kyc, Status.FAILED, "sync", passed=False, sub_code="204")  # a reviewed failure
        first = review.decide(kyc, staff=decider, verdict="approve", reason="checked_documents")
    assert not first.effective and not services.is_verified(user)


def test_a_new_flag_on_an_approved_verification_reopens_its_review(start, finish, decider):
    kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    review.decide(kyc, staff=decider, verdict="approve", reason="known_customer")
    KycTransaction.objects.filter(pk=kyc.pk).update(**review_rules.with_review({"deepfake": "flagged"}))
    kyc.refresh_from_db()
    assert (kyc.review, kyc.review_rule) == ("waiting", "deepfake") and list(review.queue()) == [kyc]


def test_a_rejection_stands_when_a_new_flag_comes(start, finish, user, decider):
    kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    review.decide(kyc, staff=decider, verdict="reject", reason="suspected_fraud")
    KycTransaction.objects.filter(pk=kyc.pk).update(**review_rules.with_review({"deepfake": "flagged"}))
    assert _state(kyc)[0] == "rejected" and not services.is_verified(user)


def test_approving_again_keeps_the_approval_and_the_api_agrees_with_the_guards(failed_face, user, decider, second):
    review.decide(failed_face, staff=decider, verdict="approve", reason="checked_documents")
    review.decide(failed_face, staff=second, verdict="approve", reason="checked_documents")
    again = review.decide(failed_face, staff=decider, verdict="approve", reason="known_customer")
    assert again.effective and _state(failed_face)[0] == "approved"
    body = api_client(user).get(f"/ekyc/api/transactions/{failed_face.public_id}/").json()
    assert body["verdict"] == "passed" and services.is_verified(user)


def test_the_signal_carries_the_decisions_effect(failed_face, decider, decisions):
    review.decide(failed_face, staff=decider, verdict="reject", reason="other")
    [sent] = decisions
    assert (sent["transaction"].review, sent["transaction"].review_decision) == ("rejected", sent["decision"])


def test_a_flagged_face_is_not_accepted_without_the_face_permission(library, verified, user, django_user_model):
    verified(user, "ada")
    flagged = verified(user, "mallory")
    no_faces = staff_member(django_user_model, "no_faces", ["review_kyctransaction", "decide_kyctransaction"])
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(flagged, staff=no_faces, verdict="approve", reason="same_person")
    assert refused.value.message == "You may not accept a face as the reference face."
    assert _state(flagged) == ("waiting", "passed", 0) and library.control.calls("FaceVerifyIntl")[-1:] != []


def test_the_purge_takes_the_providers_log_of_the_flow_too(start, decider):
    kyc = start().transaction
    KycTransaction.objects.filter(pk=kyc.pk).update(verify_log={"log_info": ["typed"]}, stopped_at="OCR_SCAN")
    purged = ledger_purge.purge_result(kyc, "retention")
    assert purged.verify_log is None and purged.stopped_at == "OCR_SCAN"


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_a_reviewer_who_loses_the_race_changes_nothing_at_the_provider(
    library, verified, user, decider, second, monkeypatch
):
    verified(user, "ada")
    flagged = verified(user, "mallory")
    library_before = faces_in_library(library)
    record = review._record

    def another_reviewer_rejects() -> None:
        try:
            review.decide(KycTransaction.objects.get(pk=flagged.pk), staff=second, verdict="reject", reason="other")
        finally:
            connection.close()

    def reject_first_then_record(*args: Any) -> Any:
        monkeypatch.setattr(review, "_record", record)  # the other reviewer records as usual
        rejecting = threading.Thread(target=another_reviewer_rejects)
        rejecting.start()
        rejecting.join()  # another reviewer's rejection commits between this one's checks and its lock
        return record(*args)

    monkeypatch.setattr(review, "_record", reject_first_then_record)
    with pytest.raises(services.InvalidInput) as refused:
        review.decide(flagged, staff=decider, verdict="approve", reason="same_person")
    assert refused.value.code == "decided_elsewhere" and _state(flagged)[0] == "rejected"
    assert faces_in_library(library) == library_before  # the loser asked nothing of the provider


def test_a_face_approval_the_provider_fails_keeps_every_call_on_record(library, verified, user, decider):
    verified(user, "ada")
    flagged = verified(user, "mallory")
    KycTransaction.objects.filter(pk=flagged.pk).update(reference_face=None)  # the face must be fetched again
    library.control.add_fault("internal_error", action="FaceVerifyIntl", count=-1)
    with pytest.raises(services.ProviderCallFailed):
        review.decide(flagged, staff=decider, verdict="approve", reason="same_person")
    calls = list(flagged.events.filter(source="admin").values_list("action", "code"))
    assert ("CheckResult", "Success") in calls and [a for a, _ in calls].count("FaceVerifyIntl") >= 1
    assert _state(flagged) == ("waiting", "passed", 0)  # no decision, the flag stays


def test_the_apps_reasons_are_shown_in_the_readers_language():
    from django.utils import translation

    from django_ekyc.conf import ekyc_settings

    with translation.override("zh-hans"):
        assert str(ekyc_settings.REVIEW.reasons["suspected_fraud"]) == "疑似欺诈"
    with translation.override("en"):
        assert str(ekyc_settings.REVIEW.reasons["suspected_fraud"]) == "Suspected fraud"
