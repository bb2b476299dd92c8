"""Faces, over HTTP against the simulator: duplicate persons, re-verification, and faces leaving the library."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from django_ekyc import services
from django_ekyc.models import (
    DuplicateMatch,
    EventKind,
    FaceRecord,
    FaceStatus,
    KycTransaction,
    Purpose,
    Status,
)
from django_ekyc.services import face_deletion, faces, references
from django_ekyc.signals import duplicate_person_found
from tests.face_support import LIBRARY, faces_in_library, reverify, site
from tests.helpers import LIST_URL, api_client

pytestmark = pytest.mark.django_db(transaction=True)

# -- duplicate persons ---------------------------------------------------------------------------------------


def test_a_passed_verification_registers_the_face(library, verified, user, duplicates):
    kyc = verified(user, "alice")
    assert kyc.status == Status.PASSED and kyc.face_status == FaceStatus.REGISTERED
    record = FaceRecord.objects.get()
    assert (record.user, record.transaction, record.face_group) == (user, kyc, LIBRARY)
    assert faces_in_library(library) == {references.face_key_for(kyc.merchant_user_id): "alice"}
    assert duplicates == []
    # The face went in the signed body, never in the URL; the stored result keeps no image.
    [search] = library.control.calls("FaceVerifyIntl")
    assert "SourceFacePicture" in search["form"] and "SourceFacePicture" not in search["query"]
    sent = search["params"]
    assert (sent["ProductCode"], sent["AutoRegistration"], sent["FaceRegisterGroupCode"]) == (
        "FACE_IDU_MIN",
        "0",
        LIBRARY,
    )
    assert "faceImg" not in kyc.result["ext_face_info"] and kyc.reference_face is None
    assert kyc.events.filter(kind=EventKind.FACE, code=FaceStatus.REGISTERED).count() == 1


def test_a_second_account_of_the_same_person_is_flagged_exactly_once(library, verified, user, other_user, duplicates):
    first = verified(user, "alice")
    second = verified(other_user, "alice")
    assert second.status == Status.PASSED  # the verification itself stands; the site's policy decides
    assert second.face_status == FaceStatus.DUPLICATE
    match = DuplicateMatch.objects.get(transaction=second)
    assert match.matched_transaction == first and match.face_group == LIBRARY
    assert duplicates == [{"signal": duplicate_person_found, "transaction": second, "matches": [first]}]
    # The provider registered nothing for the second account: one person, one face.
    assert list(faces_in_library(library).values()) == ["alice"]
    # Every later way of learning the result finds it settled: no second search, no second signal.
    services.refresh(second)
    faces.settle_face(second, source="sync")
    services.sync_waiting()
    assert len(library.control.calls("FaceVerifyIntl")) == 2
    assert len(duplicates) == 1 and DuplicateMatch.objects.count() == 1


def test_a_search_that_must_not_register_still_names_the_library(library, verified, user):
    """FACE_IDU_MIN requires FaceRegisterGroupCode on every FaceVerifyIntl search: a later verification of the same
    user searches without registering (AutoRegistration=1) and names the library it searched."""
    verified(user, "alice")
    later = verified(user, "alice")
    assert later.face_status == FaceStatus.REFERENCE
    first, second = (call["params"] for call in library.control.calls("FaceVerifyIntl"))
    assert (first["AutoRegistration"], second["AutoRegistration"]) == ("0", "1")
    assert first["FaceRegisterGroupCode"] == second["FaceRegisterGroupCode"] == second["FaceGroupCodes"] == LIBRARY
    assert list(faces_in_library(library).values()) == ["alice"]


def test_duplicates_are_found_through_the_operation_the_catalogue_names(
    library, verified, user, other_user, duplicates, monkeypatch
):
    """The FACE_IDU_MIN pages disagree on the operation; with the catalogue entry naming FaceDuplicationCheckIntl
    (en, zh, ja), the face work registers and flags the same way."""
    import dataclasses

    from django_ekyc.client import faces as client_faces

    entry = dataclasses.replace(client_faces.SEARCH, operation="FaceDuplicationCheckIntl")
    monkeypatch.setattr(client_faces, "SEARCH", entry)
    first = verified(user, "alice")
    second = verified(other_user, "alice")
    assert (first.face_status, second.face_status) == (FaceStatus.REGISTERED, FaceStatus.DUPLICATE)
    assert DuplicateMatch.objects.get(transaction=second).matched_transaction == first and len(duplicates) == 1
    calls = library.control.calls("FaceDuplicationCheckIntl")
    assert len(calls) == 2 and library.control.calls("FaceVerifyIntl") == []
    assert all(call["params"]["Liveness"] == "0" for call in calls)


def test_a_new_person_is_not_flagged(library, verified, user, other_user, duplicates):
    verified(user, "alice")
    second = verified(other_user, "bob")
    assert second.face_status == FaceStatus.REGISTERED
    assert duplicates == [] and not DuplicateMatch.objects.exists()
    assert sorted(faces_in_library(library).values()) == ["alice", "bob"]


def test_the_user_never_learns_of_another_account(library, verified, user, other_user):
    verified(user, "alice")
    second = verified(other_user, "alice")
    answer = api_client(other_user).get(f"{LIST_URL}{second.public_id}/").json()
    assert answer["status"] == "passed"
    assert not {"face_status", "duplicate_matches", "other_accounts"} & set(answer)
    assert "duplicate" not in str(answer)


def test_a_failed_verification_registers_nothing(library, verified, user):
    kyc = verified(user, "alice", outcome="face_mismatch")
    assert kyc.face_status == FaceStatus.NONE
    assert library.control.calls("FaceVerifyIntl") == [] and faces_in_library(library) == {}


def test_a_provider_failure_leaves_the_face_pending_and_sync_registers_it(library, start, user):
    kyc = start().transaction
    library.control.add_fault("internal_error", action="FaceVerifyIntl", count=1)
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    assert kyc.status == Status.PASSED and kyc.face_status == FaceStatus.PENDING  # the user is not held up
    assert services.sync_waiting().faces_registered == 0  # not at once: the provider may still be down
    report = services.sync_waiting(now=timezone.now() + faces.FACE_RETRY)
    kyc.refresh_from_db()
    assert kyc.face_status == FaceStatus.REGISTERED and report.faces_registered == 1
    # Sync searched once more with the face kept from the completion (no second CheckResult), then dropped it.
    assert len(library.control.calls("CheckResult")) == 1 and kyc.reference_face is None
    assert len(library.control.calls("FaceVerifyIntl")) == 2


def test_a_refusal_is_not_retried(library, start, user):
    kyc = start().transaction
    library.control.add_fault("error", action="FaceVerifyIntl", status=400, code="InvalidParameter")
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    services.sync_waiting()
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED and kyc.face_status == FaceStatus.NOT_REGISTERED
    services.sync_waiting(now=timezone.now() + faces.FACE_RETRY)
    assert len(library.control.calls("FaceVerifyIntl")) == 1
    assert kyc.events.filter(kind=EventKind.FACE, message="refused: InvalidParameter").exists()


def test_only_one_claim_searches(library, start, finish, user):
    """Two callers settling the same verification's face: the second finds it claimed and does nothing."""
    kyc = start().transaction
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    assert kyc.face_status == FaceStatus.PENDING
    # Another host holds it, within its lease: nobody else searches.
    lease_end = timezone.now() + faces.FACE_LEASE
    KycTransaction.objects.filter(pk=kyc.pk).update(face_status=FaceStatus.CHECKING, next_check_at=lease_end)
    assert faces.settle_face(kyc, source="sync").face_status == FaceStatus.CHECKING
    assert services.sync_waiting().faces_registered == 0
    assert library.control.calls("FaceVerifyIntl") == []
    # Its host died: once the lease is over, the next pass takes it.
    assert services.sync_waiting(now=lease_end + timedelta(seconds=1)).faces_registered == 1
    assert len(library.control.calls("FaceVerifyIntl")) == 1


# -- re-verification -----------------------------------------------------------------------------------------


def test_the_same_person_reverifies_and_passes(library, verified, user):
    first = verified(user, "alice")
    client = api_client(user)
    response = reverify(client)
    assert response.status_code == 201, response.content
    assert response.json()["purpose"] == "reverify" and response.json()["product_code"] == "FACE_IDU"
    kyc = KycTransaction.objects.get(public_id=response.json()["id"])
    assert kyc.reverify_of == first
    sent = library.control.calls("Initialize")[-1]["params"]
    assert sent["ProductCode"] == "FACE_IDU" and sent["VerifyModel"] == "0"
    assert sent["FaceGroupCodes"] == LIBRARY and sent["AutoRegistration"] == "1"  # search, do not register
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.passed, kyc.error_code) == (Status.PASSED, True, "")
    assert services.is_reverified(user, max_age=60) and services.is_reverified(user, max_age=timedelta(minutes=1))
    # A re-verification is not a new identity verification, and adds no face.
    assert services.latest_verification(user) == first
    assert list(faces_in_library(library).values()) == ["alice"]


def test_another_person_fails_reverification(library, verified, user):
    verified(user, "alice")
    response = reverify(api_client(user))
    kyc = KycTransaction.objects.get(public_id=response.json()["id"])
    library.control.complete(kyc.transaction_id, "pass", person="mallory")
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.passed, kyc.error_code) == (Status.FAILED, False, "not_the_same_person")
    assert not services.is_reverified(user)


def test_another_accounts_face_does_not_reverify_a_user(library, verified, user, other_user):
    """Bob's face is in the library under his own key: it is not Alice's, whoever's account asks."""
    verified(user, "alice")
    verified(other_user, "bob")
    kyc = KycTransaction.objects.get(public_id=reverify(api_client(user)).json()["id"])
    library.control.complete(kyc.transaction_id, "pass", person="bob")
    assert services.refresh(kyc).error_code == "not_the_same_person"


def test_a_never_verified_user_is_refused_before_anything_is_sent(library, user):
    response = reverify(api_client(user))
    assert response.status_code == 409
    assert response.json()["code"] == "no_verification_to_compare"
    assert library.control.calls() == [] and not KycTransaction.objects.exists()


def test_reverification_is_refused_when_the_site_has_not_turned_it_on(simulator, verified, user):
    verified(user, "alice")
    response = reverify(api_client(user))
    assert response.status_code == 400
    assert response.json()["fields"]["purpose"][0]["code"] == "reverify_not_enabled"


@pytest.mark.parametrize(
    "fields", [{"product_code": "eKYC"}, {"doc_type": "01000000"}, {"options": {"show_guide_page": "1"}}]
)
def test_the_request_cannot_choose_how_a_reverification_is_done(library, verified, user, fields):
    verified(user, "alice")
    calls = len(library.control.calls())
    response = reverify(api_client(user), **fields)
    assert response.status_code == 400
    [name] = fields
    assert response.json()["fields"][name][0]["code"] == "not_for_reverify"
    assert len(library.control.calls()) == calls


def test_face_verify_compares_with_the_kept_reference_face(simulator, verified, user):
    with site(REVERIFY_PRODUCT="FACE_VERIFY"):
        first = verified(user, "alice")
        assert first.reference_face and first.reference_face["image"]
        assert "faceImg" not in first.result["ext_face_info"]  # kept once, encrypted, for this purpose only
        with connection.cursor() as cursor:
            cursor.execute("SELECT reference_face FROM django_ekyc_kyctransaction WHERE id = %s", [first.pk])
            assert first.reference_face["image"] not in str(cursor.fetchone()[0])
        client = api_client(user)
        same = KycTransaction.objects.get(public_id=reverify(client).json()["id"])
        sent = simulator.control.calls("Initialize")[-1]
        assert sent["params"]["ProductCode"] == "FACE_VERIFY"
        assert "FacePictureBase64" in sent["form"] and "FacePictureBase64" not in sent["query"]
        simulator.control.complete(same.transaction_id, "pass", person="alice")
        assert services.refresh(same).status == Status.PASSED
        other = KycTransaction.objects.get(public_id=reverify(client).json()["id"])
        simulator.control.complete(other.transaction_id, "pass", person="mallory")
        other = services.refresh(other)
        assert (other.status, other.sub_code, other.error_code) == (Status.FAILED, "204", "not_the_same_person")


def test_without_reverification_no_face_is_kept(simulator, verified, user):
    kyc = verified(user, "alice")
    assert kyc.reference_face is None
    assert simulator.control.calls("CheckResult")[-1]["params"]["IsReturnImage"] == "N"


def test_max_age_accepts_seconds_or_a_timedelta(library, verified, user):
    verified(user, "alice")
    kyc = KycTransaction.objects.get(public_id=reverify(api_client(user)).json()["id"])
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    services.refresh(kyc)
    KycTransaction.objects.filter(pk=kyc.pk).update(completed_at=timezone.now() - timedelta(minutes=10))
    assert services.is_reverified(user, max_age=3600)
    assert not services.is_reverified(user, max_age=300)
    assert not services.is_reverified(user, max_age=timedelta(minutes=5))
    assert services.is_verified(user, max_age=60)
    with pytest.raises(TypeError):
        services.is_reverified(user, max_age="300")  # type: ignore[arg-type]


# -- faces leave the library ---------------------------------------------------------------------------------


def test_deleting_a_user_removes_their_face_from_the_library(library, verified, user, other_user):
    verified(user, "alice")
    verified(other_user, "bob")
    user.delete()
    assert list(faces_in_library(library).values()) == ["bob"]
    record = FaceRecord.objects.get(delete_reason="user_deleted")
    assert record.user is None and record.deleted_at is not None
    [deletion] = library.control.calls("DeleteFaceRecordV2")
    assert deletion["params"]["FaceGroupCode"] == LIBRARY


def test_a_deletion_the_provider_could_not_make_is_retried(library, verified, user):
    verified(user, "alice")
    library.control.add_fault("unavailable", action="DeleteFaceRecordV2", count=-1)
    user.delete()
    record = FaceRecord.objects.get()
    assert record.deleted_at is None and record.last_error  # still pending, not forgotten
    assert len(faces_in_library(library)) == 1
    library.control.clear_faults()
    assert services.sync_waiting().faces_deleted == 1
    assert faces_in_library(library) == {}
    record.refresh_from_db()
    assert record.deleted_at is not None


def test_retention_takes_the_face_out_of_the_library_and_records_it(library, verified, user):
    kyc = verified(user, "alice")
    services.purge_identity_data(kyc)
    assert faces_in_library(library) == {}
    kinds = list(kyc.events.filter(kind=EventKind.FACE).values_list("code", flat=True))
    assert kinds == [FaceStatus.REGISTERED, "deleted"]
    assert kyc.events.filter(action="DeleteFaceRecordV2", code="Success").exists()
    # With no face left, there is nothing to re-verify against.
    assert reverify(api_client(user)).json()["code"] == "no_verification_to_compare"


def test_retention_purges_the_reference_face(simulator, verified, user):
    with site(REVERIFY_PRODUCT="FACE_VERIFY"):
        kyc = verified(user, "alice")
        purged = services.purge_identity_data(kyc)
    assert purged.reference_face is None
    kyc.refresh_from_db()
    assert kyc.reference_face is None and kyc.result is None


def test_a_later_verification_keeps_the_face_when_an_earlier_one_is_purged(library, verified, user):
    first = verified(user, "alice")
    second = verified(user, "alice")
    assert second.face_status == FaceStatus.REFERENCE  # its own face, already there: not a duplicate
    assert FaceRecord.objects.get().transaction == second
    services.purge_identity_data(first)
    assert len(faces_in_library(library)) == 1


def test_a_reverification_is_a_transaction_like_any_other(library, verified, user, completed_signals):
    verified(user, "alice")
    kyc = KycTransaction.objects.get(public_id=reverify(api_client(user)).json()["id"])
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    assert kyc.purpose == Purpose.REVERIFY
    assert [call["transaction"] for call in completed_signals.calls][-1] == kyc
    assert list(kyc.events.values_list("action", flat=True).exclude(action="")) == ["Initialize", "CheckResult"]


# -- staff review --------------------------------------------------------------------------------------------


def test_staff_filter_flagged_verifications_and_follow_the_other_accounts(
    library, verified, user, other_user, client, django_user_model
):
    first = verified(user, "alice")
    second = verified(other_user, "alice")
    verified(django_user_model.objects.create_user("carol", password="pw"), "carol")
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    listing = client.get("/admin/django_ekyc/kyctransaction/?face_status__exact=duplicate").content.decode()
    assert str(second.public_id) in listing
    assert str(first.public_id) not in listing and "carol" not in listing
    page = client.get(f"/admin/django_ekyc/kyctransaction/{second.pk}/change/").content.decode()
    assert f"/admin/django_ekyc/kyctransaction/{first.pk}/change/" in page and "alice" in page
    faces_page = client.get("/admin/django_ekyc/facerecord/").content.decode()
    assert LIBRARY in faces_page


# -- what can go wrong ---------------------------------------------------------------------------------------


def test_a_result_the_provider_no_longer_has_leaves_no_face_to_register(library, start):
    kyc = start().transaction
    library.control.add_fault("internal_error", action="FaceVerifyIntl")
    library.control.complete(kyc.transaction_id, "pass", person="alice")
    kyc = services.refresh(kyc)
    # Completed without its face at hand (by an earlier version, say), and 30 days on the provider deleted it.
    KycTransaction.objects.filter(pk=kyc.pk).update(reference_face=None)
    library.control.forget(kyc.transaction_id)
    services.sync_waiting(now=timezone.now() + faces.FACE_RETRY)
    kyc.refresh_from_db()
    assert kyc.face_status == FaceStatus.NO_FACE
    assert kyc.events.filter(kind=EventKind.FACE, code=FaceStatus.NO_FACE).exists()


def test_a_search_that_registers_nothing_and_finds_nobody_is_recorded(library, start, finish):
    from django_ekyc.results import FaceSearchResult

    kyc = finish(start().transaction, person="alice")
    KycTransaction.objects.filter(pk=kyc.pk).update(face_status=FaceStatus.CHECKING)
    search = FaceSearchResult(request_id="r", passed=False, sub_code="206", registered=False)
    kyc = faces._apply(kyc, searched(kyc, search), "sync")
    assert kyc.face_status == FaceStatus.NOT_REGISTERED
    assert kyc.events.filter(kind=EventKind.FACE, code=FaceStatus.NOT_REGISTERED, message__contains="206").exists()


class RefusingClient:
    """The provider answers Deleted=N while the face is still there: the deletion must stay pending."""

    def delete_face_records(self, **kwargs: Any) -> Any:
        from django_ekyc.results import FaceDeletionResult

        return FaceDeletionResult(request_id="r", deleted=False)

    def query_face_records(self, **kwargs: Any) -> Any:
        from django_ekyc.results import FaceRecord as ProviderFace
        from django_ekyc.results import FaceRecordPage

        return FaceRecordPage(request_id="r", total=1, records=(ProviderFace("1", "f", "k"),))


def test_a_deletion_the_provider_refuses_stays_pending(library, verified, user):
    kyc = verified(user, "alice")
    [face_id] = face_deletion.forget_faces(FaceRecord.objects.all(), reason="retention")
    report = face_deletion.delete_pending_faces([face_id], client=RefusingClient())  # type: ignore[arg-type]
    assert (report.deleted, report.deletion_failures) == (0, 1)
    face = FaceRecord.objects.get()
    assert face.deleted_at is None and face.last_error == "Deleted.N" and face.delete_attempts == 1
    assert kyc.events.filter(action="DeleteFaceRecordV2").exists()


def test_a_user_deletion_never_fails_because_the_face_could_not_go(library, verified, user, monkeypatch):
    verified(user, "alice")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away after the commit")

    monkeypatch.setattr(face_deletion, "delete_pending_faces", broken)
    user.delete()  # no exception: the deletion stands, the face stays pending for the next pass
    assert FaceRecord.objects.deletion_pending().count() == 1


def flagged_search(kyc: KycTransaction, other_key: str) -> Any:
    from django_ekyc.results import FaceMatch, FaceSearchResult

    match = FaceMatch(face_group=LIBRARY, face_id="f1", merchant_user_id=other_key)
    return FaceSearchResult(request_id="r", passed=True, sub_code="200", matches=(match,))


def unsaved_call(kyc: KycTransaction) -> Any:
    from django_ekyc.models import KycTransactionEvent

    return KycTransactionEvent(
        transaction_id=kyc.pk, kind=EventKind.PROVIDER_CALL, source="sync", action="FaceVerifyIntl"
    )


def searched(kyc: KycTransaction, search: Any) -> Any:
    """What a first verification's library search found, as the face work hands it on to be settled."""
    outcome = faces._Outcome(None, blocked=False)
    outcome.search, outcome.records = search, [unsaved_call(kyc)]
    return outcome


def test_a_search_is_settled_once_even_when_two_hosts_made_it(library, verified, user, other_user, duplicates):
    """Two hosts searched (the first one's lease ran out): the first to settle flags; the second changes nothing."""
    first = verified(user, "alice")
    second = verified(other_user, "bob")
    KycTransaction.objects.filter(pk=second.pk).update(face_status=FaceStatus.CHECKING)
    search = flagged_search(second, references.face_key_for(first.merchant_user_id))
    faces._apply(second, searched(second, search), "sync")
    faces._apply(second, searched(second, search), "sync")
    assert len(duplicates) == 1 and DuplicateMatch.objects.filter(transaction=second).count() == 1


def test_the_duplicate_signal_waits_for_the_commit(library, verified, user, other_user, duplicates):
    from django.db import transaction

    first = verified(user, "alice")
    second = verified(other_user, "bob")
    KycTransaction.objects.filter(pk=second.pk).update(face_status=FaceStatus.CHECKING)
    search = flagged_search(second, references.face_key_for(first.merchant_user_id))

    class RolledBack(Exception):
        pass

    def settle_then_fail() -> None:
        with transaction.atomic():
            faces._apply(second, searched(second, search), "sync")
            assert duplicates == []  # not before the commit
            raise RolledBack

    with pytest.raises(RolledBack):
        settle_then_fail()
    assert duplicates == [] and not DuplicateMatch.objects.exists()
    second.refresh_from_db()
    assert second.face_status == FaceStatus.CHECKING  # nothing of it stands: the next pass searches again
