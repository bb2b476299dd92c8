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
