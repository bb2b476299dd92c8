"""The auditor's trail: an export of a period verifies against its manifest; a changed, cut or forged record, in
the database or in the files, is found at its place; the commands fail on a break; two writers cannot fork a
chain; a reveal of identity data is on the verification's history."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection
from django.utils import timezone

from django_ekyc.chain import GENESIS, link_hash
from django_ekyc.models import AuditEntry, EventKind, EventSource, KycTransaction, KycTransactionEvent
from django_ekyc.services import ledger, trail
from django_ekyc.services.consent import consent_text, record_consent
from django_ekyc.services.exports import person_of
from django_ekyc.services.trail import export_trail, verify_database
from django_ekyc.services.trail_files import verify_trail_files
from tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def no_query(*args: Any) -> None:
    raise AssertionError("the check of an export's files queried the database")


@pytest.fixture
def period(start, finish, user, other_user):
    """Two people's verifications, one started before the period begins (its chain is exported whole), a consent;
    the period: from between the two starts to now."""
    early = start().transaction
    begins = timezone.now()
    late = finish(start(other_user).transaction, "pass")
    early = finish(early, "pass")
    record_consent(user, consent_text("pictures"), "ID_OCR_FACE")
    early.refresh_from_db()
    late.refresh_from_db()
    return begins, timezone.now() + timedelta(seconds=1), early, late


def test_an_export_verifies_and_holds_whole_chains_without_identity_data(tmp_path, period, user, monkeypatch):
    monkeypatch.setattr(trail, "PAGE", 1)  # every page of one row: the paging is exercised
    monkeypatch.setattr(trail, "CHUNK", 1)
    begins, ends, early, late = period
    manifest = export_trail(begins, ends, tmp_path, actor="auditor")
    with connection.execute_wrapper(no_query):  # the files' check reads the files only, as an auditor's copy
        assert verify_trail_files(tmp_path) == []
    assert trail.verify_trail_files is verify_trail_files  # still importable where the command imports it
    rows = lines(tmp_path / "verifications.jsonl")
    assert {row["public_id"] for row in rows} == {str(early.public_id), str(late.public_id)}
    assert not {"result", "reference_face", "verify_log", "user_id"} & set(rows[0])
    events = lines(tmp_path / "events.jsonl")
    mine = [event for event in events if event["transaction"] == str(early.public_id)]
    assert [event["seq"] for event in mine] == list(range(1, early.history_seq + 1))  # from seq 1, before the period
    assert mine[0]["created_at"] < begins.isoformat() and mine[0]["prev_hash"] == GENESIS
    first = {key: value for key, value in mine[0].items() if key not in ("prev_hash", "hash")}
    assert link_hash(GENESIS, first) == mine[0]["hash"]  # the formula of docs/audit.md, from the file alone
    audit = lines(tmp_path / "audit.jsonl")
    assert [(entry["chain"], entry["kind"]) for entry in audit] == [(person_of(user), "consent_given")]
    assert [consent["subject_reference"] for consent in lines(tmp_path / "consents.jsonl")] == [person_of(user)]
    data = manifest.data
    assert data["chains"]["verifications"][str(early.public_id)] == {"seq": mine[-1]["seq"], "hash": mine[-1]["hash"]}
    assert data["files"]["events.jsonl"]["lines"] == len(events)
    [day] = data["days"].values()
    in_period = [event["hash"] for event in events if event["created_at"] >= begins.isoformat()]
    assert day == {
        "events": len(in_period),
        "sha256": hashlib.sha256("".join(f"{h}\n" for h in in_period).encode()).hexdigest(),
    }
    written = (tmp_path / "manifest.json").read_bytes()
    entry = AuditEntry.objects.get(chain="site", kind="trail_exported")
    assert entry.actor == "auditor" and entry.detail["manifest_sha256"] == hashlib.sha256(written).hexdigest()
    with pytest.raises(FileExistsError):
        export_trail(begins, ends, tmp_path, actor="auditor")


def test_the_database_verifies_and_a_changed_record_is_found_at_its_place(period, monkeypatch):
    monkeypatch.setattr(trail, "PAGE", 1)
    _begins, _ends, early, late = period
    check = verify_database()
    assert check == [] and check.chains == 2 + 1 and check.records == early.history_seq + late.history_seq + 1
    KycTransactionEvent.objects.filter(transaction=early, seq=2).update(message="nothing happened")
    [problem] = verify_database()
    assert (problem.chain, problem.seq) == (f"verification {early.public_id}", 2)
    assert "changed after it was written" in problem.problem


def test_a_record_cut_from_the_end_is_found_by_the_count(period):
    _begins, _ends, early, _late = period
    KycTransactionEvent.objects.filter(transaction=early, seq=early.history_seq).delete()
    [problem] = verify_database()
    assert (problem.chain, problem.seq) == (f"verification {early.public_id}", early.history_seq)
    assert f"{early.history_seq} were written" in problem.problem


def test_a_changed_audit_entry_is_found(period, user):
    AuditEntry.objects.filter(chain=person_of(user), seq=1).update(actor="mallory")
    [problem] = verify_database()
    assert (problem.chain, problem.seq) == (f"audit {person_of(user)}", 1)


def test_an_edited_file_fails_its_hash_and_its_chain(tmp_path, period):
    begins, ends, early, _late = period
    export_trail(begins, ends, tmp_path, actor="auditor")
    path = tmp_path / "events.jsonl"
    events = lines(path)
    index = next(
        i for i, event in enumerate(events) if event["transaction"] == str(early.public_id) and event["seq"] == 3
    )
    events[index]["code"] = "Forged"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    problems = [(problem.chain, problem.seq) for problem in verify_trail_files(tmp_path)]
    assert problems[0] == ("file events.jsonl", None)
    assert (f"verification {early.public_id}", 3) in problems


def test_the_commands_and_their_exit_statuses(tmp_path, period, capsys):
    _begins, _ends, early, _late = period
    today = timezone.localdate().isoformat()
    out = io.StringIO()
    call_command("ekyc_export_trail", "--from", today, "--to", today, "--out", str(tmp_path), "--actor", "auditor",
                 stdout=out)  # fmt: skip
    assert "manifest.json (SHA-256 " in out.getvalue()
    out = io.StringIO()
    call_command("ekyc_verify_trail", "--dir", str(tmp_path), stdout=out)
    assert out.getvalue().startswith("OK: ")
    out = io.StringIO()
    call_command("ekyc_verify_trail", stdout=out)
    assert out.getvalue().strip().startswith("OK: 4 chains")  # two verifications, a person, and the site
    with pytest.raises(CommandError, match="already holds an export"):
        call_command("ekyc_export_trail", "--from", today, "--to", today, "--out", str(tmp_path))
    with pytest.raises(CommandError, match="before"):
        call_command("ekyc_export_trail", "--from", today, "--to", "2000-01-01", "--out", str(tmp_path / "x"))
    KycTransactionEvent.objects.filter(transaction=early, seq=1).update(code="Forged")
    with pytest.raises(SystemExit) as exit_status:
        ManagementUtility(["manage.py", "ekyc_verify_trail"]).execute()
    assert exit_status.value.code == 1
    printed = capsys.readouterr()
    assert f"verification {early.public_id} #1: " in printed.out and "1 problem found in" in printed.err
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("ekyc_verify_trail", "--dir", str(tmp_path), stdout=io.StringIO())


def test_a_reveal_is_on_the_history(client, django_user_model, start, finish):
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    kyc = finish(start().transaction, "pass")
    kyc.refresh_from_db()
    assert client.post(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/reveal/").status_code == 200
    event = KycTransactionEvent.objects.get(transaction=kyc, kind=EventKind.REVEAL)
    assert (event.source, event.message, event.seq) == ("admin", "by staff", kyc.history_seq + 1)
    assert verify_database() == []


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_two_writers_cannot_fork_a_chain(start):
    kyc = start().transaction
    before = KycTransaction.objects.get(pk=kyc.pk).history_seq
    rows = 25

    def writer(name: str) -> Any:
        def run() -> None:
            for number in range(rows):
                ledger.record_event(kyc, EventKind.STATE_CHANGE, EventSource.SYNC, message=f"{name} {number}")

        return run

    assert run_together([writer("a"), writer("b")]) == []
    kyc.refresh_from_db()
    assert kyc.history_seq == before + 2 * rows
    seqs = list(KycTransactionEvent.objects.filter(transaction=kyc).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, kyc.history_seq + 1))
    assert verify_database() == []
