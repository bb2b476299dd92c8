"""Migration 0002 encrypts results that 0001 stored in clear, and can undo it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

APP = "django_ekyc"


def migrate_to(target: str) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([(APP, target)])
    executor.loader.build_graph()
    return executor.loader.project_state([(APP, target)]).apps


@pytest.fixture
def at_0001():
    apps = migrate_to("0001_kyc_transaction_and_history")
    yield apps
    call_command("migrate", APP, verbosity=0)  # back to the latest whatever happened


def test_existing_results_are_encrypted_then_readable(at_0001, user):
    old_model = at_0001.get_model(APP, "KycTransaction")
    plain = {"ext_id_info": {"ocrIdInfo": {"name": "CHAN TAI MAN", "idNumber": "A123456(3)"}}}
    row = old_model.objects.create(
        user_id=user.pk,
        status="passed",
        merchant_biz_id="b" * 32,
        merchant_user_id="u",
        doc_type="00000008",
        result=plain,
        return_token_hash="r" * 64,
        callback_token_hash="c" * 64,
    )
    at_0002 = migrate_to("0002_encrypt_identity_data")
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM django_ekyc_kyctransaction WHERE id = %s", [row.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAAA") and "CHAN" not in stored

    assert at_0002.get_model(APP, "KycTransaction").objects.get(pk=row.pk).result == plain

    back = migrate_to("0001_kyc_transaction_and_history")
    assert back.get_model(APP, "KycTransaction").objects.get(pk=row.pk).result == plain


@pytest.fixture
def at_0007():
    apps = migrate_to("0007_faces")
    yield apps
    call_command("migrate", APP, verbosity=0)


def test_references_set_by_a_liveness_check_are_flagged_for_staff(at_0007, user):
    """0008: a liveness check's face in the library, or kept as the reference, is flagged, not silently kept."""
    transactions = at_0007.get_model(APP, "KycTransaction")
    faces = at_0007.get_model(APP, "FaceRecord")

    def passed(n: int, product: str, **fields: Any) -> Any:
        return transactions.objects.create(
            user_id=user.pk,
            status="passed",
            purpose="verify",
            product_code=product,
            merchant_biz_id=f"{n}" * 32,
            merchant_user_id="u",
            return_token_hash=f"{n}" * 64,
            callback_token_hash="c" * 64,
            completed_at="2026-11-01T00:00:00Z",
            **fields,
        )

    ekyc = passed(1, "eKYC", face_status="registered")
    liveness = passed(2, "FACE_LIVENESS_PRO", face_status="registered")
    faces.objects.create(face_key="k", face_group="g", user_id=user.pk, transaction=liveness)
    kept_by_liveness = passed(3, "FACE_LIVENESS", reference_face={"image": "x"})
    kept_by_ekyc = passed(4, "eKYC_PRO", reference_face={"image": "y"})
    at_0008 = migrate_to("0008_reference_faces")
    status = dict(at_0008.get_model(APP, "KycTransaction").objects.values_list("pk", "face_status"))
    assert status[liveness.pk] == status[kept_by_liveness.pk] == "unverified_reference"
    assert (status[ekyc.pk], status[kept_by_ekyc.pk]) == ("registered", "reference")
    since = dict(at_0008.get_model(APP, "KycTransaction").objects.values_list("pk", "reference_at"))
    assert since[ekyc.pk] is not None and since[liveness.pk] is None


@pytest.fixture
def at_0009():
    apps = migrate_to("0009_picture_checks")
    yield apps
    call_command("migrate", APP, verbosity=0)


def test_what_was_flagged_before_the_queue_waits_in_it(at_0009, user):
    """0010: a face or deepfake flag raised by an earlier version is in the review queue, since its flag."""
    transactions = at_0009.get_model(APP, "KycTransaction")

    def passed(n: int, **fields: Any) -> Any:
        return transactions.objects.create(
            user_id=user.pk, status="passed", merchant_biz_id=f"{n}" * 32, merchant_user_id="u",
            return_token_hash=f"{n}" * 64, callback_token_hash="c" * 64, completed_at="2026-11-01T00:00:00Z",
            **fields,
        )  # fmt: skip

    conflict = passed(1, face_status="reference_conflict")
    deepfake = passed(2, deepfake="suspicious")
    plain = passed(3, face_status="registered")
    at_0010 = migrate_to("0010_review_and_provider_records")
    rows = at_0010.get_model(APP, "KycTransaction").objects
    review = {row.pk: (row.review, row.review_rule) for row in rows.all()}
    assert review == {
        conflict.pk: ("waiting", "reference_conflict"),
        deepfake.pk: ("waiting", "deepfake"),
        plain.pk: ("", ""),
    }
    assert str(rows.get(pk=conflict.pk).review_since.date()) == "2026-11-01"


@pytest.fixture
def at_0011():
    apps = migrate_to("0011_operator_day_summaries")
    yield apps
    call_command("migrate", APP, verbosity=0)


def test_the_history_written_before_is_chained_and_consents_get_their_person(at_0011, user):
    """0012: every existing history row becomes a link of its transaction's chain, which then verifies; a consent
    gets the pseudonym its user's verifications carry."""
    from django_ekyc.services.site import merchant_user_id_for
    from django_ekyc.services.trail import verify_database

    transactions = at_0011.get_model(APP, "KycTransaction")
    events = at_0011.get_model(APP, "KycTransactionEvent")
    consents = at_0011.get_model(APP, "Consent")
    kyc = transactions.objects.create(
        user_id=user.pk, status="passed", merchant_biz_id="1" * 32, merchant_user_id=merchant_user_id_for(user),
        return_token_hash="1" * 64, callback_token_hash="c" * 64,
    )  # fmt: skip
    for code in ("", "Success", "200"):
        events.objects.create(transaction=kyc, kind="state_change", source="api", code=code)
    consent = consents.objects.create(user_id=user.pk, purpose="pictures", check_code="ID_OCR", version="1",
                                      text_sha256="0" * 64)  # fmt: skip
    at_0012 = migrate_to("0012_retention_audit_outbox")
    rows = at_0012.get_model(APP, "KycTransactionEvent").objects.filter(transaction_id=kyc.pk).order_by("seq")
    assert [row.seq for row in rows] == [1, 2, 3] and rows[0].prev_hash == "0" * 64
    assert at_0012.get_model(APP, "KycTransaction").objects.get(pk=kyc.pk).history_seq == 3
    assert at_0012.get_model(APP, "Consent").objects.get(pk=consent.pk).subject_reference == kyc.merchant_user_id
    call_command("migrate", APP, verbosity=0)
    assert list(verify_database()) == []
