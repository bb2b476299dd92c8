"""Encrypt the stored results (Fernet), and record purges and provider-side deletions."""

from typing import Any

from django.db import migrations, models

import django_ekyc.fields


def encrypt_results(apps: Any, schema_editor: Any) -> None:
    KycTransaction = apps.get_model("django_ekyc", "KycTransaction")
    for row in KycTransaction.objects.exclude(result_plain=None).iterator():
        row.result = row.result_plain
        row.save(update_fields=["result"])


def decrypt_results(apps: Any, schema_editor: Any) -> None:
    KycTransaction = apps.get_model("django_ekyc", "KycTransaction")
    for row in KycTransaction.objects.exclude(result=None).iterator():
        row.result_plain = row.result
        row.save(update_fields=["result_plain"])


class Migration(migrations.Migration):
    dependencies = [("django_ekyc", "0001_kyc_transaction_and_history")]

    operations = [
        migrations.RenameField("kyctransaction", "result", "result_plain"),
        migrations.AddField(
            model_name="kyctransaction",
            name="result",
            field=django_ekyc.fields.EncryptedJSONField(blank=True, null=True, verbose_name="result"),
        ),
        migrations.RunPython(encrypt_results, decrypt_results),
        migrations.RemoveField("kyctransaction", "result_plain"),
        migrations.AddField(
            model_name="kyctransaction",
            name="identity_purged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="identity data purged"),
        ),
        migrations.AddField(
            model_name="kyctransaction",
            name="provider_deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="deleted at the provider"),
        ),
        migrations.AlterModelOptions(
            name="kyctransaction",
            options={
                "ordering": ("-created_at", "-id"),
                "permissions": [
                    ("refresh_kyctransaction", "Can refresh a KYC transaction from the provider"),
                    ("view_identity_data", "Can reveal the identity data of a KYC transaction"),
                ],
                "verbose_name": "KYC transaction",
                "verbose_name_plural": "KYC transactions",
            },
        ),
        migrations.AlterField(
            model_name="kyctransactionevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("provider_call", "Provider call"),
                    ("state_change", "State change"),
                    ("rejected", "Rejected request"),
                    ("purged", "Identity data purged"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
    ]
