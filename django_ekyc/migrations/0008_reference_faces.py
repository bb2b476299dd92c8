from typing import Any

from django.db import migrations, models
from django.db.models import F

# Reference faces set before the rule "only a check that verified a document sets the reference": a liveness-only
# check's face in the library (or kept as the FACE_VERIFY reference) is flagged for staff, not silently kept; a
# document verification's kept reference becomes a reference of its own.


def flag_references_without_a_document(apps: Any, schema_editor: Any) -> None:
    from django_ekyc.catalogue.products import CATALOGUE

    documents = [code for code, product in CATALOGUE.items() if product.sets_reference_face]
    transactions = apps.get_model("django_ekyc", "KycTransaction")
    faces = apps.get_model("django_ekyc", "FaceRecord")
    in_library = faces.objects.filter(delete_requested_at=None, transaction__isnull=False).values("transaction_id")
    undocumented = transactions.objects.filter(status="passed", purpose="verify").exclude(product_code__in=documents)
    undocumented.filter(pk__in=in_library).update(face_status="unverified_reference")
    undocumented.filter(reference_face__isnull=False).update(face_status="unverified_reference")
    documented = transactions.objects.filter(status="passed", purpose="verify", product_code__in=documents)
    documented.filter(face_status="", reference_face__isnull=False).update(face_status="reference")
    documented.filter(face_status__in=["registered", "reference"]).update(reference_at=F("completed_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('django_ekyc', '0007_faces'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='kyctransaction',
            options={'ordering': ('-created_at', '-id'), 'permissions': [('refresh_kyctransaction', 'Can refresh a KYC transaction from the provider'), ('view_identity_data', 'Can reveal the identity data of a KYC transaction'), ('accept_reference_face', "Can accept a flagged face as the user's reference face")], 'verbose_name': 'KYC transaction', 'verbose_name_plural': 'KYC transactions'},
        ),
        migrations.AddField(
            model_name='kyctransaction',
            name='reference_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='reference face since'),
        ),
        migrations.AlterField(
            model_name='kyctransaction',
            name='face_status',
            field=models.CharField(blank=True, choices=[('', 'Not searched'), ('pending', 'To compare and register'), ('checking', 'Being compared'), ('registered', "Registered in the face library: the user's reference face"), ('reference', "The user's reference face"), ('accepted', "Accepted by staff as the user's reference face"), ('duplicate', 'Already registered for another user'), ('reference_conflict', "Not the person of the user's reference face: review"), ('document_conflict', "The reference's face with another document: review"), ('unverified_reference', 'Reference set by a check without a document: review'), ('not_registered', 'Searched; the provider did not register it'), ('no_face', 'No face picture to search with')], default='', max_length=24, verbose_name='face'),
        ),
        migrations.RunPython(flag_references_without_a_document, migrations.RunPython.noop),
    ]
