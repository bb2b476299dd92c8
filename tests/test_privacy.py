"""Identity data: encrypted at rest, images only on request, key rotation, retention, provider deletion."""

from __future__ import annotations

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from django_ekyc import services
from django_ekyc.fields import Ciphertext
from django_ekyc.models import EventKind, KycTransaction, Status

pytestmark = pytest.mark.django_db(transaction=True)


def raw_result(kyc: KycTransaction) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT result FROM {KycTransaction._meta.db_table} WHERE id = %s", [kyc.pk])  # noqa: S608
        return cursor.fetchone()[0]


def with_keys(simulator: Any, keys: list[str], **extra: Any) -> Any:
    return override_settings(EKYC=simulator.ekyc_settings(ENCRYPTION_KEYS=keys, **extra))


def test_identity_data_is_encrypted_at_rest(start, finish):
    kyc = finish(start().transaction)
    stored = raw_result(kyc)
    passport = kyc.result["ext_id_info"]["ocrIdInfo"]["passportNo"]
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert passport not in stored and "ocrIdInfo" not in stored
    decrypted = Fernet(settings.TEST_ENCRYPTION_KEYS[0]).decrypt(stored.encode())
    assert passport.encode() in decrypted


def test_images_are_stored_only_when_a_site_opts_in(start, finish, simulator):
    kyc = finish(start().transaction)
    assert simulator.control.calls("CheckResult")[0]["params"]["IsReturnImage"] == "N"
    assert "idImage" not in str(kyc.result)
    with with_keys(simulator, settings.TEST_ENCRYPTION_KEYS, STORE_IMAGES=True):
        kyc = finish(start().transaction)
    assert simulator.control.calls("CheckResult")[-1]["params"]["IsReturnImage"] == "Y"
    assert kyc.result["ext_id_info"]["idImage"].startswith("iVBOR")
    assert "iVBOR" not in raw_result(kyc)  # images are encrypted like the rest


def test_key_rotation_with_reencrypt(start, finish, simulator):
    old_key, new_key = settings.TEST_ENCRYPTION_KEYS[1], Fernet.generate_key().decode()
    with with_keys(simulator, [old_key]):
        kyc = finish(start().transaction)
        expected = KycTransaction.objects.get(pk=kyc.pk).result
    with with_keys(simulator, [new_key, old_key]):
        assert KycTransaction.objects.get(pk=kyc.pk).result == expected  # old data still readable
        out = io.StringIO()
        call_command("ekyc_reencrypt", stdout=out)
        assert "Re-encrypted 1 result(s)." in out.getvalue()
    with with_keys(simulator, [new_key]):  # the old key can go now
        assert KycTransaction.objects.get(pk=kyc.pk).result == expected


def test_data_under_a_lost_key_is_reported_not_destroyed(start, finish, simulator, client, django_user_model):
    kyc = finish(start().transaction)
    token = raw_result(kyc)
    with with_keys(simulator, [Fernet.generate_key().decode()]):
        loaded = KycTransaction.objects.get(pk=kyc.pk)
        assert isinstance(loaded.result, Ciphertext)
        loaded.save()  # writing it back keeps the ciphertext as it was
        with pytest.raises(CommandError, match="1 result"):
            call_command("ekyc_reencrypt", stdout=io.StringIO())
        staff = django_user_model.objects.create_superuser("staff", "s@example.com", "pw")
        client.force_login(staff)
        page = client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/").content.decode()
        assert "encrypted with a key that is no longer configured" in page
    assert raw_result(kyc) == token


def test_retention_is_a_dry_run_until_applied(start, finish, simulator):
    old = finish(start().transaction)
    recent = finish(start().transaction, "face_mismatch")
    KycTransaction.objects.filter(pk=old.pk).update(completed_at=old.completed_at.replace(year=2020))
    out = io.StringIO()
    call_command("ekyc_purge", stdout=out)
    assert "identity: 1 due; kept 90 day(s) after completion" in out.getvalue()
    assert KycTransaction.objects.get(pk=old.pk).result is not None

    call_command("ekyc_purge", "--apply", stdout=io.StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.result is None and old.identity_purged_at is not None
    # the decision stays: who, when, passed or not, sub code
    assert (old.user_id, old.status, old.passed, old.sub_code) == (recent.user_id, Status.PASSED, True, "200")
    assert old.completed_at is not None
    assert old.events.filter(kind=EventKind.PURGED, source="retention").count() == 1
    assert recent.result is not None  # within the retention period
    assert simulator.control.calls("DeleteVerifyResult") == []


def test_retention_can_delete_at_the_provider(start, finish, simulator):
    kyc = finish(start().transaction)
    KycTransaction.objects.filter(pk=kyc.pk).update(completed_at=kyc.completed_at.replace(year=2020))
    call_command("ekyc_purge", "--apply", "--delete-at-provider", stdout=io.StringIO())
    kyc.refresh_from_db()
    assert kyc.provider_deleted_at is not None and kyc.result is None
    # both parameters the provider requires; images first, then the record
    assert [call["params"] for call in simulator.control.calls("DeleteVerifyResult")] == [
        {"TransactionId": kyc.transaction_id, "DeleteType": "Img", "DeleteAfterQuery": "Y"},
        {"TransactionId": kyc.transaction_id, "DeleteType": "Text", "DeleteAfterQuery": "Y"},
    ]
    deletions = kyc.events.filter(action="DeleteVerifyResult", code="Success")
    assert sorted(deletions.values_list("message", flat=True)) == ["DeleteType=Img", "DeleteType=Text"]
    with pytest.raises(AssertionError, match="404"):  # the provider no longer has it
        simulator.control.transaction(kyc.transaction_id)
    # purging again is harmless, and a provider that already forgot counts as deleted
    services.purge_identity_data(kyc, delete_at_provider=True)


def test_a_refused_deletion_is_not_recorded_and_stays_pending(start, simulator):
    """The provider answers Success with DeleteResult=N when it did not delete (here: DeleteAfterQuery=Y
    for a result it never handed out). That is not a deletion; a later run tries again."""
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    # a decision we hold without the provider having answered CheckResult (restored from a backup, say)
    KycTransaction.objects.filter(pk=kyc.pk).update(status=Status.PASSED, passed=True, completed_at=kyc.created_at)
    kyc.refresh_from_db()
    with pytest.raises(services.ProviderCallFailed) as caught:
        services.purge_identity_data(kyc, delete_at_provider=True)
    assert caught.value.error.code == "DeleteResult.N"
    kyc.refresh_from_db()
    assert kyc.identity_purged_at is not None and kyc.provider_deleted_at is None
    assert kyc.events.filter(action="DeleteVerifyResult", code="DeleteResult.N").count() == 1
    assert list(services.provider_deletion_pending()) == [kyc]
    # a later run, for a transaction with no result of ours to protect, deletes regardless (DeleteAfterQuery=N)
    out = io.StringIO()
    KycTransaction.objects.filter(pk=kyc.pk).update(passed=None)
    call_command("ekyc_purge", "--apply", "--delete-at-provider", stdout=out)
    kyc.refresh_from_db()
    assert kyc.provider_deleted_at is not None
    assert "Retried 1 pending provider deletion(s); 0 still failed." in out.getvalue()
    assert list(services.provider_deletion_pending()) == []


def test_provider_deletion_failure_keeps_the_local_purge(start, finish, simulator):
    kyc = finish(start().transaction)
    simulator.control.add_fault("internal_error", action="DeleteVerifyResult", count=-1)
    with pytest.raises(services.ProviderCallFailed):
        services.purge_identity_data(kyc, delete_at_provider=True)
    kyc.refresh_from_db()
    assert kyc.result is None and kyc.provider_deleted_at is None


def test_deleting_a_user_keeps_their_verifications_pseudonymised(start, finish, user):
    kyc = finish(start().transaction)
    events = kyc.events.count()
    user.delete()
    kept = KycTransaction.objects.get(pk=kyc.pk)
    assert kept.user_id is None and kept.merchant_user_id == kyc.merchant_user_id
    assert kept.result is None and kept.identity_purged_at is not None  # identity data: erased on request
    assert kept.events.count() == events + 1  # the history stays, and says what was purged
    assert (kept.status, kept.passed, kept.sub_code) == (kyc.status, kyc.passed, kyc.sub_code)


def test_client_delete_verify_result(make_client, simulator, initialize_kwargs):
    from django_ekyc.exceptions import EkycBadRequest

    client = make_client()
    started = client.initialize(**initialize_kwargs)
    refused = client.delete_verify_result(transaction_id=started.transaction_id, delete_type="Text")
    assert not refused.deleted  # DeleteAfterQuery=Y (the default) and nobody has read the result
    deleted = client.delete_verify_result(
        transaction_id=started.transaction_id, delete_type="Text", delete_after_query="N"
    )
    assert deleted.deleted and deleted.transaction_id == started.transaction_id and deleted.request_id
    with pytest.raises(EkycBadRequest) as caught:
        client.delete_verify_result(transaction_id=started.transaction_id, delete_type="Text")
    assert caught.value.code == "TransactionIdInvalid"
    sent = len(simulator.control.calls())
    with pytest.raises(ValueError, match="missing: DeleteAfterQuery, DeleteType"):  # the provider requires both
        client.call("DeleteVerifyResult", {"TransactionId": started.transaction_id}, idempotent=True)
    assert len(simulator.control.calls()) == sent
