"""Retention with a reason: each kind of record kept by its rule, counted from completion or the end of the
relationship; legal holds suspend every purge; a user's deletion erases what may go and keeps the rest,
pseudonymised; the purge counts per rule before it acts, and records what it did."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from django_ekyc import services
from django_ekyc.chain import first_break
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError, InvalidInput
from django_ekyc.models import (
    AuditEntry,
    AuditKind,
    Consent,
    EventKind,
    KycSubject,
    KycTransaction,
    KycTransactionEvent,
    LegalHold,
    PurgeRun,
    ReviewDecision,
)
from django_ekyc.retention_policy import clean_retention
from django_ekyc.services.consent import ConsentText, record_consent
from tests.face_support import site

pytestmark = pytest.mark.django_db(transaction=True)
LONG_AGO = timedelta(days=4000)


@pytest.fixture
def staff(django_user_model):
    member = django_user_model.objects.create_user("keeper", password="pw", is_staff=True)
    codenames = ["add_legalhold", "change_legalhold", "view_legalhold", "view_kycsubject", "change_kycsubject"]
    member.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return django_user_model.objects.get(pk=member.pk)


@pytest.fixture
def finished(start, finish):
    """A passed verification of the user, completed long ago."""

    def make(owner=None, ago: timedelta = LONG_AGO) -> KycTransaction:
        kyc = finish(start(owner).transaction)
        KycTransaction.objects.filter(pk=kyc.pk).update(completed_at=timezone.now() - ago)
        kyc.refresh_from_db()
        return kyc

    return make


def kept(kyc: KycTransaction) -> Any:
    """The verification as stored now (None once deleted)."""
    return KycTransaction.objects.filter(pk=kyc.pk).first()


def chain_holds(kyc: KycTransaction) -> bool:
    rows = KycTransactionEvent.objects.filter(transaction=kyc).order_by("seq")
    links = [row.as_link(kyc.public_id) for row in rows]
    return first_break(links, expected_length=KycTransaction.objects.get(pk=kyc.pk).history_seq) is None


# -- the rules -------------------------------------------------------------------------------------------------


def test_the_defaults_keep_the_decision_trail_five_years_after_the_relationship():
    policy = ekyc_settings.RETENTION
    assert (policy["identity"].days, policy["identity"].counted_from, policy["identity"].on_erasure) == (
        90,
        "completion",
        "erase",
    )
    assert (policy["decisions"].days, policy["decisions"].counted_from, policy["decisions"].on_erasure) == (
        1825,
        "relationship_end",
        "keep",
    )
    assert "AML" in policy["decisions"].basis


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"faces": {}}, "Unknown kind"),
        ({"identity": {"DAYS": -1}}, "DAYS"),
        ({"identity": {"DAYS": True}}, "DAYS"),
        ({"identity": {"FROM": "signup"}}, "FROM"),
        ({"identity": {"ON_ERASURE": "maybe"}}, "ON_ERASURE"),
        ({"identity": {"BASIS": " "}}, "BASIS"),
        ({"identity": {"DAYZ": 3}}, "Unknown key"),
        ({"identity": 90}, "must be a dict"),
    ],
)
def test_a_bad_rule_is_a_configuration_error(value, message):
    with pytest.raises(EkycConfigurationError, match=message):
        clean_retention(value)


def test_a_policy_is_taken_as_it_is_and_pictures_leave_only_pictures():
    from django_ekyc.services.identity import without_images

    policy = clean_retention({"identity": {"DAYS": 7}})
    assert clean_retention(policy) is policy and policy["identity"].days == 7
    assert without_images(None) is None
    assert without_images({"pictures": {"face": "x"}, "ext_face_info": {"faceImg": "x", "facePassed": "Y"}}) == {
        "ext_face_info": {"facePassed": "Y"}
    }


def test_the_old_setting_names_its_replacement():
    with site(RETENTION_DAYS=30), pytest.raises(EkycConfigurationError, match=r"RETENTION\['identity'\]\['DAYS'\]"):
        ekyc_settings.REGION  # noqa: B018 - any read loads the settings


def test_a_rule_counted_from_the_relationship_waits_for_its_end(finished, user):
    kyc = finished(user)
    with site(RETENTION={"identity": {"DAYS": 30, "FROM": "relationship_end"}}):
        services.run_purge(trigger="test")
        assert kept(kyc).result is not None  # long finished, but the relationship goes on
        services.end_relationship(user, at=timezone.now() - timedelta(days=10))
        services.run_purge(trigger="test")
        assert kept(kyc).result is not None  # ended 10 days ago: 20 to go
        services.resume_relationship(user)
        services.end_relationship(user, at=timezone.now() - timedelta(days=31))
        services.run_purge(trigger="test")
        assert kept(kyc).result is None
    entries = AuditEntry.objects.filter(chain=kyc.merchant_user_id, kind=AuditKind.RELATIONSHIP_ENDED)
    assert entries.count() == 3  # ended, resumed, ended again: each on the person's chain


def test_the_dry_run_counts_per_rule_and_the_purge_records_what_it_did(finished, user, other_user):
    old, recent = finished(user), finished(other_user, ago=timedelta(days=1))
    services.end_relationship(user, at=timezone.now() - LONG_AGO)
    out = io.StringIO()
    call_command("ekyc_purge", stdout=out)
    text = out.getvalue()
    assert "identity: 1 due" in text and "pictures: 1 due" in text and "decisions: 1 due" in text
    assert "Basis: AML record keeping" in text
    assert kept(old).result is not None and not PurgeRun.objects.exists()  # a dry run changes nothing

    call_command("ekyc_purge", "--apply", stdout=io.StringIO())
    run = PurgeRun.objects.get()
    assert run.trigger == "command" and run.finished_at is not None
    # identity data and pictures went first, then the whole verification (its rule: 5 years after the end)
    assert run.counts == {"identity": 1, "pictures": 0, "decisions": 1, "consent": 0}
    assert kept(old) is None and not KycTransactionEvent.objects.filter(transaction_id=old.pk).exists()
    assert kept(recent).result is not None


def test_pictures_can_go_before_the_text(finished, user, simulator):
    with site(STORE_IMAGES=True, RETENTION={"pictures": {"DAYS": 7}, "identity": {"DAYS": 365 * 5}}):
        kyc = finished(user, ago=timedelta(days=8))
        assert "idImage" in str(kyc.result)
        report = services.run_purge(trigger="test")
    left = kept(kyc)
    assert report.counts["pictures"] == 1 and report.counts["identity"] == 0
    assert "idImage" not in str(left.result) and left.ocr_fields  # the text stays
    assert left.pictures_purged_at is not None and left.identity_purged_at is None
    assert left.events.filter(kind=EventKind.PURGED, code="pictures").count() == 1


def test_the_decision_trail_goes_whole_with_its_decisions(finished, user, django_user_model):
    kyc = finished(user)
    staff_a = django_user_model.objects.create_superuser("a", "a@example.com", "pw")
    staff_b = django_user_model.objects.create_superuser("b", "b@example.com", "pw")
    policy = {"RULES": ["sub_code"], "SUB_CODES": ["200"], "FOUR_EYES": ["sub_code"], "APPROVE_FAILED": True}
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="sub_code")
    with site(REVIEW=policy):
        services.decide(kept(kyc), staff=staff_a, verdict="approve", reason="known_customer")
        services.decide(kept(kyc), staff=staff_b, verdict="approve", reason="known_customer")
    assert ReviewDecision.objects.filter(transaction=kyc).exclude(confirms=None).exists()  # four eyes: a pair
    with site(RETENTION={"decisions": {"DAYS": 30, "FROM": "completion"}}):
        services.run_purge(trigger="test")
    assert kept(kyc) is None and not ReviewDecision.objects.filter(transaction_id=kyc.pk).exists()


# -- legal holds -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("on", ["verification", "person"])
def test_a_legal_hold_suspends_every_purge_until_released(finished, user, staff, on):
    kyc = finished(user)
    services.end_relationship(user, at=timezone.now() - LONG_AGO)
    target = {"verification": kyc} if on == "verification" else {"user": user}
    hold = services.place_hold(staff=staff, reason="Regulator's notice 12/2026", **target)
    report = services.run_purge(trigger="test")
    assert report.counts == {"identity": 0, "pictures": 0, "decisions": 0, "consent": 0}
    assert kept(kyc).result is not None
    user.delete()  # an erasure under hold removes nothing either
    assert kept(kyc).result is not None and kept(kyc).user_id is None

    services.release_hold(hold, staff=staff, reason="Case closed")
    services.run_purge(trigger="test")
    assert kept(kyc) is None  # released: the rules apply again
    kinds = list(AuditEntry.objects.filter(chain=kyc.merchant_user_id).values_list("kind", flat=True))
    assert kinds == [
        AuditKind.RELATIONSHIP_ENDED,
        AuditKind.HOLD_PLACED,
        AuditKind.ERASED,
        AuditKind.HOLD_RELEASED,
        AuditKind.VERIFICATION_DELETED,  # the trace of a lawful deletion: which chain, and its head
    ]
    assert AuditEntry.objects.get(kind=AuditKind.HOLD_PLACED).actor == "keeper"
    trace = AuditEntry.objects.get(kind=AuditKind.VERIFICATION_DELETED).detail
    assert trace["verification"] == str(kyc.public_id) and trace["last_seq"] > kyc.history_seq
    assert len(trace["last_hash"]) == 64


def test_a_held_verification_cannot_be_deleted_by_any_cascade(finished, user, staff):
    from django.db.models import ProtectedError

    kyc = finished(user)
    services.place_hold(staff=staff, reason="Dispute", verification=kyc)
    with pytest.raises(ProtectedError):
        KycTransaction.objects.filter(pk=kyc.pk).delete()


def test_a_held_verification_refuses_a_direct_purge_and_its_pending_deletion_waits(finished, user, staff):
    kyc = finished(user)
    services.purge_identity_data(kyc)
    services.place_hold(staff=staff, reason="Dispute", verification=kyc)
    with pytest.raises(InvalidInput) as caught:
        services.purge_pictures(kept(kyc))
    assert caught.value.code == "under_legal_hold"
    assert list(services.provider_deletion_pending()) == []  # the provider's copy stays while held


def test_an_erased_persons_records_can_still_be_held(finished, user, staff, client):
    kyc = finished(user, ago=timedelta(days=1))
    person = kyc.merchant_user_id
    user.delete()
    client.force_login(staff)
    page = client.post("/admin/django_ekyc/legalhold/add/", {"person": person, "reason": "Regulator's notice"})
    assert page.status_code == 302
    assert LegalHold.objects.active().get().subject_reference == person
    later = timezone.now() + timedelta(days=5 * 365 + 1)
    assert services.run_purge(trigger="test", now=later).counts["decisions"] == 0
    unknown = client.post("/admin/django_ekyc/legalhold/add/", {"person": "0" * 64, "reason": "x"})
    assert unknown.status_code == 200 and LegalHold.objects.count() == 1


def test_a_hold_needs_a_reason_and_one_target(finished, user, staff):
    kyc = finished(user)
    with pytest.raises(InvalidInput) as caught:
        services.place_hold(staff=staff, reason=" ", verification=kyc)
    assert caught.value.code == "hold_reason_required"
    with pytest.raises(InvalidInput) as caught:
        services.place_hold(staff=staff, reason="why", verification=kyc, user=user)
    assert caught.value.code == "hold_target"


def test_holds_are_placed_and_released_in_the_admin_never_deleted(client, finished, user, staff):
    kyc = finished(user)
    client.force_login(staff)
    page = client.post(
        "/admin/django_ekyc/legalhold/add/", {"verification": str(kyc.public_id), "reason": "Investigation"}
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert hold.transaction_id == kyc.pk and hold.placed_by_name == "keeper"
    assert kyc.events.filter(kind=EventKind.HOLD, code="placed").exists() and chain_holds(kyc)
    refused = client.post(f"/admin/django_ekyc/legalhold/{hold.pk}/change/", {"release_reason": ""})
    assert refused.status_code == 200 and LegalHold.objects.active().exists()
    client.post(f"/admin/django_ekyc/legalhold/{hold.pk}/change/", {"release_reason": "Closed"})
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.release_reason == "Closed" and hold.released_by_name == "keeper"
    assert client.post(f"/admin/django_ekyc/legalhold/{hold.pk}/delete/", {"post": "yes"}).status_code == 403
    both = client.post("/admin/django_ekyc/legalhold/add/", {"user": user.pk, "verification": str(kyc.public_id),
                                                             "reason": "x"})  # fmt: skip
    assert both.status_code == 200 and LegalHold.objects.count() == 1


# -- erasure ---------------------------------------------------------------------------------------------------


def consent_of(user: Any) -> Consent:
    return record_consent(user, ConsentText("pictures", "1", "I agree."), "ID_OCR")


def test_an_erasure_removes_what_may_go_and_keeps_the_trail_pseudonymised(finished, user, library, simulator):
    kyc = finished(user, ago=timedelta(days=1))
    consent = consent_of(user)
    person = kyc.merchant_user_id
    user.delete()
    left = kept(kyc)
    assert left is not None and left.user_id is None and left.merchant_user_id == person
    assert left.result is None and left.identity_purged_at is not None  # identity: erased on request
    assert (left.status, left.passed, left.completed_at) == (kyc.status, kyc.passed, kyc.completed_at)
    assert chain_holds(left)
    subject = KycSubject.objects.get(reference=person)
    assert subject.user_id is None and subject.erased_at is not None and subject.relationship_ended_at is not None
    kept_consent = Consent.objects.get(pk=consent.pk)  # the proof of what was allowed: kept, pseudonymised
    assert kept_consent.user_id is None and kept_consent.subject_reference == person
    assert PurgeRun.objects.get().trigger == "erasure"
    assert AuditEntry.objects.filter(chain=person, kind=AuditKind.ERASED).count() == 1

    # five years after the erasure the trail and the consent go too
    later = timezone.now() + timedelta(days=5 * 365 + 1)
    report = services.run_purge(trigger="test", now=later)
    assert report.counts["decisions"] == 1 and report.counts["consent"] == 1
    assert kept(kyc) is None and not Consent.objects.exists()


def test_a_site_that_must_keep_identity_data_keeps_it_through_an_erasure(finished, user):
    kyc = finished(user, ago=timedelta(days=1))
    aml = {"DAYS": 5 * 365, "FROM": "relationship_end", "ON_ERASURE": "keep", "BASIS": "AMLO Sch. 2 s.20"}
    with site(RETENTION={"identity": aml, "pictures": aml}):
        user.delete()
        assert kept(kyc).result is not None and kept(kyc).user_id is None
        assert services.run_purge(trigger="test").counts["identity"] == 0
        later = timezone.now() + timedelta(days=5 * 365 + 1)
        assert services.run_purge(trigger="test", now=later).counts["identity"] == 1


def test_consent_stays_while_a_check_made_under_it_does(finished, user):
    consent = consent_of(user)
    kyc = finished(user)
    KycTransaction.objects.filter(pk=kyc.pk).update(consent=consent)
    user.delete()
    later = timezone.now() + timedelta(days=5 * 365 + 1)
    with site(RETENTION={"decisions": {"DAYS": 100 * 365}}):
        assert services.run_purge(trigger="test", now=later).counts["consent"] == 0
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_face_work_left_for_an_erased_person_registers_nothing(finished, user, library, simulator):
    from django_ekyc.models import FaceRecord, FaceStatus

    kyc = finished(user, ago=timedelta(days=1))
    KycTransaction.objects.filter(pk=kyc.pk).update(face_status=FaceStatus.PENDING)
    user.delete()
    registered = len(simulator.control.calls("AddFaceRecord"))
    settled = services.settle_face(kept(kyc), source="sync")
    assert settled.face_status == FaceStatus.NOT_REGISTERED
    assert len(simulator.control.calls("AddFaceRecord")) == registered
    assert not FaceRecord.objects.present().filter(transaction=kyc).exists()


def test_a_verification_page_shows_what_keeps_it(admin_client, finished, user, staff):
    kyc = finished(user)
    services.place_hold(staff=staff, reason="Dispute", user=user)
    page = admin_client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/").content.decode()
    assert "Legal holds" in page and "keeper" in page and "Dispute" not in page  # who held it; why is on the hold


def test_the_purge_is_a_task_too(finished, user):
    from django_ekyc.tasks import purge_records

    kyc = finished(user)
    counts = purge_records.enqueue().return_value
    assert counts == {"identity": 1, "pictures": 0, "decisions": 0, "consent": 0, "failures": 0, "faces_deleted": 0}
    assert kept(kyc).result is None and PurgeRun.objects.get().trigger == "task"


def test_the_purge_retries_what_the_provider_has_not_deleted(finished, user, simulator):
    finished(user)
    simulator.control.add_fault("internal_error", action="DeleteVerifyResult", count=-1)
    out, err = io.StringIO(), io.StringIO()
    call_command("ekyc_purge", "--apply", "--delete-at-provider", stdout=out, stderr=err)
    assert "identity: 1 record(s) purged" in out.getvalue() and "1 provider deletion(s) failed" in out.getvalue()
    assert "Retried 1 pending provider deletion(s); 1 still failed." in out.getvalue()
    assert "provider deletion failed" in err.getvalue()


# -- at scale ----------------------------------------------------------------------------------------------------


def test_the_identity_purge_is_set_based_and_decrypts_nothing(finished, user, monkeypatch):
    """The statements of a purge do not grow with its rows (a batch at a time), and no result is decrypted only to
    be thrown away; each purged row still gets its chained history row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_ekyc import fields

    def purge_counting() -> int:
        with CaptureQueriesContext(connection) as queries:
            services.run_purge(trigger="command", kinds=["identity"])
        return len(queries)

    finished(user)
    few = purge_counting()
    rows = [finished(user) for _ in range(4)]
    decrypted: list[Any] = []
    original = fields.EncryptedJSONField.from_db_value

    def counting(self: Any, value: Any, *args: Any) -> Any:
        decrypted.append(value)
        return original(self, value, *args)

    monkeypatch.setattr(fields.EncryptedJSONField, "from_db_value", counting)
    assert purge_counting() == few
    assert [value for value in decrypted if value] == []
    for kyc in rows:
        assert kept(kyc).identity_purged_at is not None and kept(kyc).result is None and chain_holds(kyc)
        assert KycTransactionEvent.objects.filter(transaction=kyc, kind=EventKind.PURGED, code="identity").count() == 1


def test_a_batched_purge_leaves_held_rows_and_purges_the_rest(finished, user, other_user, staff):
    held, free = finished(user), finished(other_user)
    services.place_hold(staff=staff, reason="investigation", user=user)
    services.run_purge(trigger="command", kinds=["identity"])
    assert kept(held).result is not None and kept(free).result is None


def test_a_hold_placed_after_the_batch_was_read_still_stops_its_purge(finished, user, other_user, staff):
    from django_ekyc.services import ledger_batch

    held, free = finished(user), finished(other_user)
    services.place_hold(staff=staff, reason="investigation", verification=held)  # after the candidates were read
    assert ledger_batch.purge_results([held.pk, free.pk], "retention") == [free.pk]
    assert kept(held).result is not None and kept(free).result is None


def test_the_holds_are_excluded_by_two_anti_joins_the_planner_can_estimate():
    """``NOT (EXISTS ... OR EXISTS ...)`` was estimated so badly at a million rows that PostgreSQL compiled the
    operator page's count (0.4 s of JIT for a few thousand rows): each kind of hold is its own ``NOT EXISTS``."""
    from django_ekyc.services.retention_rules import candidates

    for rows in (services.provider_deletion_pending(), candidates("identity", now=timezone.now())):
        sql = str(rows.query)
        assert sql.count('NOT (EXISTS(SELECT 1 AS "a" FROM "django_ekyc_legalhold"') == 2
        assert 'OR EXISTS(SELECT 1 AS "a" FROM "django_ekyc_legalhold"' not in sql
