"""The user's reference face, over HTTP against the simulator: only a document verification sets it, a later one
replaces it only for the same person (and document), anything else is flagged for staff; liveness-only checks
never touch it; staff accept a flagged face, on record."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from django_ekyc import services
from django_ekyc.models import EventKind, FaceRecord, FaceStatus, KycTransaction, Status
from django_ekyc.services import faces, references, review
from django_ekyc.signals import reference_face_conflict
from tests.face_support import LIBRARY, faces_in_library, reverify, site
from tests.helpers import api_client

pytestmark = pytest.mark.django_db(transaction=True)

HK_ID_CARD = "00000008"
LIVENESS = "FACE_LIVENESS_PRO"


@pytest.fixture
def reverified(finish):
    """Whether ``person`` passes a re-verification of ``owner`` (started through the API)."""

    def run(owner, person) -> bool:
        response = reverify(api_client(owner))
        assert response.status_code == 201, response.content
        kyc = KycTransaction.objects.get(public_id=response.json()["id"])
        return finish(kyc, "pass", person=person).status == Status.PASSED

    return run


def key_of(kyc: KycTransaction) -> str:
    return references.face_key_for(kyc.merchant_user_id)


# -- with a face library (re-verification searches it) ------------------------------------------------------


def test_a_second_person_in_the_same_account_is_flagged_and_the_reference_stays(
    library, verified, reverified, user, conflicts
):
    first = verified(user, "ada")
    second = verified(user, "mallory")  # someone in Ada's session, with their own document and face
    assert second.status == Status.PASSED  # it counts as a verification...
    assert second.face_status == FaceStatus.REFERENCE_CONFLICT  # ...but not as Ada's face
    assert faces_in_library(library) == {key_of(first): "ada"}  # the library still holds Ada
    assert FaceRecord.objects.get().transaction == first
    [search] = library.control.calls("FaceVerifyIntl")[1:]
    assert "UpdateFaceIfUserExists" not in search["params"] and search["params"]["AutoRegistration"] == "1"
    assert conflicts == [
        {"signal": reference_face_conflict, "transaction": second, "reference": first, "reason": "reference_conflict"}
    ]
    assert not reverified(user, "mallory")
    assert reverified(user, "ada")


def test_the_same_person_with_the_same_document_becomes_the_reference(library, verified, reverified, user, conflicts):
    verified(user, "ada")
    second = verified(user, "ada")
    assert second.face_status == FaceStatus.REFERENCE and second.reference_at is not None
    assert FaceRecord.objects.get().transaction == second  # the newer proof vouches for the same face
    assert conflicts == []
    assert reverified(user, "ada")
    assert KycTransaction.objects.filter(purpose="reverify").get().reverify_of == second


def test_the_same_face_with_another_document_number_is_flagged(library, verified, user, conflicts):
    first = verified(user, "ada")
    second = verified(user, "ada", document="someone-elses-passport")
    assert second.face_status == FaceStatus.DOCUMENT_CONFLICT
    assert FaceRecord.objects.get().transaction == first
    assert [call["reason"] for call in conflicts] == ["document_conflict"]
    assert second.events.filter(kind=EventKind.FACE, code="document_conflict").exists()


def test_another_kind_of_document_of_the_same_person_is_not_a_conflict(library, verified, user, conflicts):
    verified(user, "ada")  # her passport
    second = verified(user, "ada", doc_type=HK_ID_CARD)  # her identity card: another number, not another person
    assert second.face_status == FaceStatus.REFERENCE and conflicts == []


def test_a_liveness_check_never_touches_the_reference_or_the_library(
    library, verified, reverified, user, other_user, duplicates
):
    with site(PRODUCTS=["eKYC", LIVENESS]):
        first = verified(user, "ada")
        liveness = verified(user, "mallory", product_code=LIVENESS, doc_type="")
        assert liveness.status == Status.PASSED and liveness.face_status == FaceStatus.NONE
        assert len(library.control.calls("FaceVerifyIntl")) == 1  # Ada's registration, nothing since
        assert faces_in_library(library) == {key_of(first): "ada"}
        assert not reverified(user, "mallory")
        assert reverified(user, "ada")
        # Ada opening a second account is still one person behind two accounts.
        assert verified(other_user, "ada").face_status == FaceStatus.DUPLICATE and len(duplicates) == 1


def test_a_liveness_check_alone_leaves_nothing_to_reverify_against(library, verified, user):
    with site(PRODUCTS=["eKYC", LIVENESS]):
        verified(user, "ada", product_code=LIVENESS, doc_type="")
        assert faces_in_library(library) == {}
        assert reverify(api_client(user)).json()["code"] == "no_verification_to_compare"


def test_the_conflict_is_settled_once_whoever_settles_it(library, verified, start, finish, user, conflicts):
    from django_ekyc.services import references

    verified(user, "ada")
    second = verified(user, "mallory")
    faces.settle_face(second, source="sync")
    services.sync_waiting()
    assert len(conflicts) == 1 and second.events.filter(code="reference_conflict").count() == 1
    # Two hosts compared the same face (the first one's lease ran out): the first to settle flags, once.
    third = finish(start(user).transaction, person="eve")
    KycTransaction.objects.filter(pk=third.pk).update(face_status=FaceStatus.CHECKING)
    compared = faces._Outcome(references.current_reference(user.pk, other_than=third), blocked=False)
    compared.same_person = False
    faces._apply(third, compared, "sync")
    faces._apply(third, compared, "sync")
    assert len(conflicts) == 2 and third.events.filter(code="reference_conflict").count() == 1


def test_the_signal_waits_for_the_commit(library, verified, start, finish, user, conflicts):
    from django.db import transaction

    verified(user, "ada")
    second = finish(start(user).transaction, person="mallory")

    class RolledBack(Exception):
        pass

    def settle_then_fail() -> None:
        with transaction.atomic():
            faces.settle_face(second, source="sync")
            assert conflicts == []
            raise RolledBack

    with pytest.raises(RolledBack):
        settle_then_fail()
    second.refresh_from_db()
    assert conflicts == [] and second.face_status == FaceStatus.PENDING  # nothing of it stands


# -- without a face library (re-verification compares with a kept picture) --------------------------------


def test_a_kept_reference_is_replaced_only_by_the_same_person(simulator, verified, reverified, user, conflicts):
    with site(REVERIFY_PRODUCT="FACE_VERIFY"):
        first = verified(user, "ada")
        assert first.face_status == FaceStatus.REFERENCE  # the first one, at completion: nothing to compare with
        assert simulator.control.calls("FaceVerifyIntl") == []
        second = verified(user, "mallory")
        [compare] = simulator.control.calls("FaceVerifyIntl")
        assert compare["params"]["VerifyModel"] == "1" and {"SourceFacePicture", "TargetFacePicture"} <= set(
            compare["form"]
        )
        assert second.face_status == FaceStatus.REFERENCE_CONFLICT and len(conflicts) == 1
        assert not reverified(user, "mallory")
        assert reverified(user, "ada")
        third = verified(user, "ada")
        assert third.face_status == FaceStatus.REFERENCE
        assert KycTransaction.objects.filter(purpose="reverify").latest("id").reverify_of == first
        assert reverified(user, "ada")
        assert KycTransaction.objects.filter(purpose="reverify").latest("id").reverify_of == third


# -- the face work is not the request's ---------------------------------------------------------------------


def test_no_face_work_runs_in_the_request_that_completes(library, start, finish, user):
    kyc = finish(start(user).transaction, person="ada")
    assert kyc.status == Status.PASSED and kyc.face_status == FaceStatus.PENDING
    assert library.control.calls("FaceVerifyIntl") == []
    assert kyc.reference_face is not None  # the face, encrypted, for the work to come
    assert services.sync_waiting().faces_registered == 1  # the cron pass does it where no task worker runs
    kyc.refresh_from_db()
    assert kyc.reference_face is None  # kept for that work only (re-verification searches the library)
    # One CheckResult in all: the face came with the answer that completed it, at no second cost to the quota.
    assert [call["params"]["IsReturnImage"] for call in library.control.calls("CheckResult")] == ["Y"]


def test_with_a_task_worker_the_completion_enqueues_the_face_work(library, start, finish, user):
    from django.test import override_settings

    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=tasks):
        from django_tasks_db.models import DBTaskResult

        kyc = finish(start(user).transaction, person="ada")
        assert library.control.calls("FaceVerifyIntl") == []  # not in the request
        [queued] = DBTaskResult.objects.all()
        assert queued.task_path == "django_ekyc.tasks.settle_face" and queued.args_kwargs["args"] == [kyc.pk]
        from django_ekyc.tasks import settle_face

        assert settle_face.call(kyc.pk) == FaceStatus.REGISTERED  # what the worker runs
    kyc.refresh_from_db()
    assert kyc.face_status == FaceStatus.REGISTERED and len(library.control.calls("FaceVerifyIntl")) == 1


# -- staff decide ---------------------------------------------------------------------------------------------


@pytest.fixture
def reviewer(django_user_model):
    staff = django_user_model.objects.create_user("reviewer", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_kyctransaction",
                "accept_reference_face",
                "review_kyctransaction",
                "decide_kyctransaction",
            ]
        )
    )
    return staff


def accept_in_admin(client: Any, staff: Any, kyc: KycTransaction) -> Any:
    """An approval in the verification's review panel: accepting a flagged face is one of the decisions."""
    client.force_login(staff)
    return client.post(
        f"/admin/django_ekyc/kyctransaction/{kyc.pk}/decide/",
        {"review_verdict": "approve", "review_reason": "same_person", "review_seen": review.seen_token(kyc)},
        follow=True,
    )


def test_staff_accept_a_flagged_face_and_it_becomes_the_reference(
    library, verified, reverified, user, reviewer, client
):
    verified(user, "ada")
    second = verified(user, "mallory")
    listing = client.get("/admin/django_ekyc/kyctransaction/?face_status__exact=reference_conflict")
    assert listing.status_code == 302  # not signed in yet
    client.force_login(reviewer)
    page = client.get("/admin/django_ekyc/kyctransaction/?face_status__exact=reference_conflict").content.decode()
    assert str(second.public_id)[:8] in page and "Not the person of the user&#x27;s reference face" in page
    response = accept_in_admin(client, reviewer, second)
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.face_status == FaceStatus.ACCEPTED
    assert faces_in_library(library) == {key_of(second): "mallory"}  # the library's entry now holds the new face
    replace = library.control.calls("FaceVerifyIntl")[-1]["params"]
    assert replace["UpdateFaceIfUserExists"] == "Y" and replace["FaceRegisterGroupCode"] == LIBRARY
    event = second.events.get(kind=EventKind.FACE, code="accepted", source="admin")
    assert "reviewer" in event.message and "reference_conflict" in event.message
    assert LogEntry.objects.filter(object_id=str(second.pk), user=reviewer).exists()
    assert FaceRecord.objects.get().transaction == second
    assert reverified(user, "mallory")


def test_accepting_needs_its_own_permission(library, verified, user, client, django_user_model):
    verified(user, "ada")
    second = verified(user, "mallory")
    reader = django_user_model.objects.create_user("reader", password="pw", is_staff=True)
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_kyctransaction", "view_identity_data"]))
    assert accept_in_admin(client, reader, second).status_code == 403
    second.refresh_from_db()
    assert second.face_status == FaceStatus.REFERENCE_CONFLICT
    assert not second.events.filter(code="accepted").exists()


def test_only_a_flagged_face_can_be_accepted(library, verified, user, reviewer):
    kyc = verified(user, "ada")
    with pytest.raises(services.InvalidInput) as refused:
        services.accept_reference_face(kyc, staff=reviewer, reason="same_person")
    assert refused.value.code == "not_flagged"


def test_a_reference_awaiting_review_is_not_trusted_until_staff_accept_it(
    library, verified, reverified, user, reviewer, conflicts
):
    old = verified(user, "ada")
    # A reference flagged for review, as a site may mark one:
    KycTransaction.objects.filter(pk=old.pk).update(
        face_status=FaceStatus.UNVERIFIED_REFERENCE, review="waiting", review_rule="unverified_reference"
    )
    assert reverify(api_client(user)).json()["code"] == "no_verification_to_compare"
    later = verified(user, "ada")
    assert later.face_status == FaceStatus.REFERENCE_CONFLICT  # waits for the staff's decision
    assert conflicts[-1]["reference"] == old
    accepted = services.accept_reference_face(old, staff=reviewer, reason="checked_documents")
    assert accepted.face_status == FaceStatus.ACCEPTED
    assert len(library.control.calls("FaceVerifyIntl")) == 2  # its face is the library's already: no call
    assert reverified(user, "ada")
