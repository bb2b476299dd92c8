"""A person's access request: the command and the admin action export everything held about them (JSON and a
readable page), escaped, without their legal holds nor the staff's notes and review flags, on their audit chain;
after their user is deleted, by their pseudonym."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_ekyc.models import AuditEntry, EventKind, EventSource, KycTransaction, LegalHold, ReviewRule
from django_ekyc.services import ledger, review
from django_ekyc.services.consent import consent_text, record_consent
from django_ekyc.services.exports import FORMAT, export_person, person_of

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/django_ekyc/kyctransaction/"
MARKUP = "<script>alert('x')</script> & two accounts"
NOTE = "Same face as account Oscar-Kilo: part of the ring under investigation"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")


@pytest.fixture
def record(user, start, finish, simulator, staff):
    """The user's passed verification (its pictures kept), reviewed for a duplicate face and decided with a note,
    a reveal by a staff member whose name is markup, a consent, and a legal hold."""
    keep_images = simulator.ekyc_settings(ENCRYPTION_KEYS=settings.TEST_ENCRYPTION_KEYS, STORE_IMAGES=True)
    with override_settings(EKYC=keep_images):
        kyc = finish(start().transaction, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(review="waiting", review_rule="duplicate")
    review.decide(kyc, staff=staff, verdict="reject", reason="suspected_fraud", note=NOTE)
    ledger.record_event(kyc, EventKind.REVEAL, EventSource.ADMIN, message=f"by {MARKUP}")
    record_consent(user, consent_text("pictures"), "ID_OCR_FACE")
    LegalHold.objects.create(subject_reference=person_of(user), reason="fraud investigation", placed_by_name="staff")
    ledger.record_event(kyc, EventKind.HOLD, EventSource.ADMIN, message="legal hold placed: fraud investigation")
    kyc.refresh_from_db()
    return kyc


def exported(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str, list[str]]:
    out = io.StringIO()
    call_command("ekyc_export_person", *args, "--out", str(tmp_path), "--actor", "dpo", stdout=out)
    paths = out.getvalue().split()
    data = json.loads(Path(paths[0]).read_text(encoding="utf-8"))
    return data, Path(paths[1]).read_text(encoding="utf-8"), paths


def test_the_command_exports_everything_held_about_the_person(tmp_path, user, record):
    person = person_of(user)
    data, html, paths = exported(tmp_path, "--user", str(user.pk))
    assert paths == [str(tmp_path / f"{person[:12]}.json"), str(tmp_path / f"{person[:12]}.html")]
    assert (data["format"], data["version"]) == (FORMAT, 1)
    assert data["person"]["pseudonym"] == person
    assert data["person"]["user"] == {"id": user.pk, "username": "alice"}
    [verification] = data["verifications"]
    assert verification["id"] == str(record.public_id)
    assert (verification["status"], verification["passed"], verification["verdict"]) == ("passed", True, "failed")
    assert verification["review"] == "rejected" and verification["options"] == record.options
    [decision] = verification["decisions"]
    assert (decision["verdict"], decision["reason"], decision["by"]) == ("reject", "suspected_fraud", "staff")
    assert decision["at"] and decision["took_effect"] is True
    assert [event["kind"] for event in verification["history"]][-2:] == ["review", "reveal"]
    identity = verification["identity_data"]
    passport = record.ocr_fields["passportNo"]
    assert identity["state"] == "held" and identity["ocr_fields"]["passportNo"] == passport
    assert identity["document"]["number"] == passport and identity["face_checks"]
    assert identity["images"]["ext_id_info.idImage"].startswith("iVBOR")
    assert "idImage" not in json.dumps(identity["other_results"])
    [consent] = data["consents"]
    assert (consent["purpose"], consent["check"]) == ("pictures", "ID_OCR_FACE") and consent["withdrawn_at"] is None
    assert [entry["kind"] for entry in data["consent_audit"]] == ["consent_given"]
    # The page: every part of it, every value escaped, the pictures inline.
    assert passport in html and "Identity data" in html and "pictures" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; two accounts" in html and "<script>" not in html
    assert "Suspected fraud" in html and "(suspected_fraud)" in html  # the reason, in words and as its code
    assert '<img src="data:image/png;base64,iVBOR' in html
    # A legal hold never shows: not the hold, not the history row that records it.
    for text in (json.dumps(data), html):
        assert "investigation" not in text and "legal hold" not in text.lower()
    assert "hold" not in [event["kind"] for event in verification["history"]]
    # Nor the staff's note, nor the rule the decision was reviewed for (a flag may reveal an investigation).
    assert "note" not in decision and "rule" not in decision and "duplicate" not in json.dumps(decision)
    for text in (json.dumps(data), html):
        assert "Oscar-Kilo" not in text and "under investigation" not in text
    assert "Reviewed for" not in html and str(ReviewRule.DUPLICATE.label) not in html and ">Note<" not in html
    # The export is on the person's audit chain, with who made it.
    entry = AuditEntry.objects.get(chain=person, kind="exported")
    assert entry.actor == "dpo" and entry.detail == {"verifications": 1, "consents": 1, "face_records": 0}


def test_a_purged_or_unreadable_result_says_so(tmp_path, user, record, simulator):
    from cryptography.fernet import Fernet

    with override_settings(EKYC=simulator.ekyc_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()])):
        export = export_person(person_of(user), actor="dpo")
    assert export.data["verifications"][0]["identity_data"] == {"state": "unreadable"}
    assert "a key the site no longer has" in export.html()
    from django_ekyc.services import ledger_purge

    ledger_purge.purge_result(record, "retention")  # the fixture's hold would refuse the service
    export = export_person(person_of(user), actor="dpo")
    identity = export.data["verifications"][0]["identity_data"]
    assert identity["state"] == "purged" and identity["purged_at"]
    assert "Purged on" in export.html() and record.ocr_fields["passportNo"] not in export.html()


def test_an_erased_person_is_exported_by_their_pseudonym(tmp_path, user, record):
    person = person_of(user)
    user.delete()
    with pytest.raises(CommandError, match="No such user"):
        call_command("ekyc_export_person", "--username", "alice", "--out", str(tmp_path))
    data, html, _paths = exported(tmp_path, "--person", person)
    assert data["person"]["user"] is None and data["person"]["pseudonym"] == person
    [verification] = data["verifications"]
    assert verification["id"] == str(record.public_id) and verification["decisions"][0]["by"] == "staff"
    assert len(data["consents"]) == 1 and "deleted" in html
    assert AuditEntry.objects.filter(chain=person, kind="exported").count() == 1


def test_nothing_held_is_a_clear_error_and_is_not_audited(tmp_path, simulator):
    with pytest.raises(CommandError, match="holds nothing"):
        call_command("ekyc_export_person", "--person", "0" * 64, "--out", str(tmp_path))
    with pytest.raises(CommandError, match="No such user"):
        call_command("ekyc_export_person", "--user", "999", "--out", str(tmp_path))
    assert not AuditEntry.objects.exists() and not list(tmp_path.iterdir())


@pytest.fixture
def export_action(monkeypatch):
    """The action on the verifications' admin (wired here until the admin class takes the mixin)."""
    from django_ekyc.admin.exports import PersonExportAdminMixin
    from django_ekyc.admin.transactions import KycTransactionAdmin

    if not issubclass(KycTransactionAdmin, PersonExportAdminMixin):
        for name in ("has_export_permission", "export_person_data"):
            monkeypatch.setattr(KycTransactionAdmin, name, getattr(PersonExportAdminMixin, name), raising=False)
    if "export_person_data" not in KycTransactionAdmin.actions:
        monkeypatch.setattr(KycTransactionAdmin, "actions", (*KycTransactionAdmin.actions, "export_person_data"))


def test_the_admin_action_downloads_a_zip_and_is_on_record(
    client, staff, user, other_user, record, start, export_action
):
    client.force_login(staff)
    assert "export_person_data" in client.get(LIST).content.decode()
    response = client.post(LIST, {"action": "export_person_data", "_selected_action": [record.pk]})
    assert response["Content-Type"] == "application/zip"
    stem = person_of(user)[:12]
    assert response["Content-Disposition"] == f'attachment; filename="{stem}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [f"{stem}.html", f"{stem}.json"]
    assert json.loads(archive.read(f"{stem}.json"))["verifications"][0]["id"] == str(record.public_id)
    [logged] = LogEntry.objects.filter(object_id=str(record.pk))
    assert logged.user == staff and logged.get_change_message() == "Exported the person's data (access request)."
    assert AuditEntry.objects.get(chain=person_of(user), kind="exported").actor == "staff"
    # Several people: one zip, both files of each.
    theirs = start(other_user).transaction
    response = client.post(LIST, {"action": "export_person_data", "_selected_action": [record.pk, theirs.pk]})
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    other = person_of(other_user)[:12]
    assert sorted(names) == sorted([f"{stem}.json", f"{stem}.html", f"{other}.json", f"{other}.html"])
    assert LogEntry.objects.count() == 3


def test_the_admin_action_needs_its_permission(client, django_user_model, record, export_action):
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_kyctransaction"))
    client.force_login(viewer)
    assert "export_person_data" not in client.get(LIST).content.decode()
    response = client.post(LIST, {"action": "export_person_data", "_selected_action": [record.pk]})
    assert response.get("Content-Type") != "application/zip"
    assert not AuditEntry.objects.filter(kind="exported").exists() and not LogEntry.objects.exists()
    viewer.user_permissions.add(Permission.objects.get(codename="export_subject_data"))
    viewer = django_user_model.objects.get(pk=viewer.pk)
    client.force_login(viewer)
    assert "export_person_data" in client.get(LIST).content.decode()
