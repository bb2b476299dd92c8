"""The auditor's trail: a period's verifications with their whole hash chains, as JSON-lines files and a manifest
that pins them (each file's SHA-256, each chain's head, a digest per day); and the check of the database against
the chains. The check of an export's files needs no database and lives in :mod:`django_ekyc.services.trail_files`
(with what the export and both checks share); ``verify_trail_files`` is importable from here too.

Tamper-evident, not tamper-proof: whoever can write the database can rewrite a whole chain consistently. What shows
that is a manifest kept outside the database (the auditor's copy): a later export's heads must extend it. Every
read streams (keyset pages of transactions, ``iterator()`` over their events), so a million rows never load at
once. See docs/audit.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain as chain_of_pages
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from django_ekyc.chain import Link, canonical, canonical_json, first_break
from django_ekyc.models import (
    AuditEntry,
    AuditKind,
    ChainHead,
    Consent,
    KycTransaction,
    KycTransactionEvent,
    ReviewDecision,
)
from django_ekyc.models.history import CHAINED_FIELDS
from django_ekyc.models.records import AUDIT_CHAINED_FIELDS, SITE_CHAIN
from django_ekyc.services.audit import audit
from django_ekyc.services.trail_files import FILES, Problem, TrailCheck, add_to_day, walk
from django_ekyc.services.trail_files import verify_trail_files as verify_trail_files  # where the commands import it

FORMAT = "django-ekyc/trail"
VERSION = 1
PAGE = 500  # transactions (or chains, or people) per query
CHUNK = 2000  # rows fetched at a time from a streamed query
# Identity data (and the token hashes) stay out of the trail: it is for an auditor, not about a person.
NOT_EXPORTED = {"result", "reference_face", "verify_log", "return_token_hash", "callback_token_hash", "user"}
EVENT_FIELDS = ("transaction_id", "seq", "prev_hash", "hash", *CHAINED_FIELDS)
AUDIT_FIELDS = (*AUDIT_CHAINED_FIELDS, "prev_hash", "hash")
DECISION_FIELDS = ("id", "transaction_id", "verdict", "reason", "note", "rule", "staff_name", "effective",
                   "confirms_id", "provider_status", "created_at")  # fmt: skip
CONSENT_FIELDS = ("public_id", "subject_reference", "purpose", "check_code", "version", "text_sha256", "language",
                  "given_at", "withdrawn_at")  # fmt: skip


@dataclass(frozen=True)
class TrailManifest:
    path: Path
    sha256: str
    data: dict[str, Any] = field(repr=False)


class _Lines:
    """A JSON-lines file being written (canonical JSON, one record a line), hashed as it is written."""

    def __init__(self, path: Path) -> None:
        self.file: IO[bytes] = path.open("wb")
        self.digest = hashlib.sha256()
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        line = (canonical_json(record) + "\n").encode()
        self.file.write(line)
        self.digest.update(line)
        self.count += 1

    def summary(self) -> dict[str, Any]:
        return {"sha256": self.digest.hexdigest(), "lines": self.count}


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _pages(rows: QuerySet[Any], key: str, *fields: str, distinct: bool = False) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in pages of PAGE, by ``key`` (keyset pagination: each page one indexed query)."""
    last = None
    while True:
        page = rows if last is None else rows.filter(**{f"{key}__gt": last})
        values = page.order_by(key).values(key, *fields)
        batch = list((values.distinct() if distinct else values)[:PAGE])
        if not batch:
            return
        yield batch
        last = batch[-1][key]


def _keys(rows: QuerySet[Any], key: str) -> Iterator[list[str]]:
    """The distinct values of ``key`` (chain names), a page at a time."""
    for page in _pages(rows, key, distinct=True):
        yield [row[key] for row in page]


# -- the export ------------------------------------------------------------------------------------------------------


def export_trail(start: datetime, end: datetime, out_dir: Path, *, actor: str) -> TrailManifest:
    """Write the trail of the verifications with history in [start, end) into ``out_dir``, and its manifest;
    the export is on the site's audit chain. Raises FileExistsError when ``out_dir`` holds a manifest already."""
    start, end, created = _aware(start), _aware(end), timezone.now()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "manifest.json"
    if target.exists():
        raise FileExistsError(target)
    files = {name: _Lines(out_dir / name) for name in FILES}
    try:
        verifications, days, people = _export_verifications(start, end, files)
        chains = _export_audit(start, end, files["audit.jsonl"], people)
        everyone = sorted(people)
        for batch in (everyone[first : first + PAGE] for first in range(0, len(everyone), PAGE)):
            rows = Consent.objects.filter(subject_reference__in=batch).order_by("subject_reference", "given_at", "id")
            for consent in rows.values(*CONSENT_FIELDS).iterator(chunk_size=CHUNK):
                files["consents.jsonl"].write(consent)
    finally:
        for lines in files.values():
            lines.file.close()
    data = {
        "format": FORMAT,
        "version": VERSION,
        "period": {"start": canonical(start), "end": canonical(end)},
        "created_at": canonical(created),
        "actor": actor,
        "files": {name: lines.summary() for name, lines in files.items()},
        "chains": {"verifications": verifications, "audit": chains},
        "days": {day: {"events": count, "sha256": digest.hexdigest()} for day, (count, digest) in sorted(days.items())},
    }
    text = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    target.write_bytes(text)
    sha256 = hashlib.sha256(text).hexdigest()
    audit(SITE_CHAIN, AuditKind.TRAIL_EXPORTED, actor=actor, start=canonical(start), end=canonical(end),
          manifest_sha256=sha256)  # fmt: skip
    return TrailManifest(target, sha256, data)


def _export_verifications(
    start: datetime, end: datetime, files: dict[str, _Lines]
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """verifications.jsonl, events.jsonl (each chain whole, from seq 1) and decisions.jsonl; the chain heads, the
    day digests and the people met."""
    heads: dict[str, Any] = {}
    days: dict[str, Any] = {}
    people: set[str] = set()
    fields = [f.attname for f in KycTransaction._meta.concrete_fields if f.name not in NOT_EXPORTED and f.name != "id"]
    touched = KycTransactionEvent.objects.filter(transaction=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    for batch in _pages(KycTransaction.objects.filter(Exists(touched)), "id", *fields):
        by_pk = {row["id"]: row for row in batch}
        for row in batch:
            files["verifications.jsonl"].write(row)
            people.add(row["merchant_user_id"])
        events = KycTransactionEvent.objects.filter(transaction_id__in=by_pk).order_by("transaction_id", "seq")
        for event in events.values(*EVENT_FIELDS).iterator(chunk_size=CHUNK):
            owner = by_pk[event.pop("transaction_id")]
            if event["seq"] > owner["history_seq"]:
                continue  # written after this export read the verification: the next export has it
            public_id = str(owner["public_id"])
            files["events.jsonl"].write({"transaction": public_id, **event})
            heads[public_id] = {"seq": event["seq"], "hash": event["hash"]}
            if start <= event["created_at"] < end:
                add_to_day(days, canonical(event["created_at"]), event["hash"])
        decisions = ReviewDecision.objects.filter(transaction_id__in=by_pk).order_by("transaction_id", "id")
        for decision in decisions.values(*DECISION_FIELDS).iterator(chunk_size=CHUNK):
            files["decisions.jsonl"].write({"transaction": by_pk[decision.pop("transaction_id")]["public_id"],
                                            **decision})  # fmt: skip
    people.discard("")
    return heads, days, people


def _export_audit(start: datetime, end: datetime, lines: _Lines, people: set[str]) -> dict[str, Any]:
    """audit.jsonl: every audit chain with an entry in the period, whole; their heads."""
    heads: dict[str, Any] = {}
    touched = AuditEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    for keys in _keys(touched, "chain"):
        lengths = dict(ChainHead.objects.filter(key__in=keys).values_list("key", "length"))
        entries = AuditEntry.objects.filter(chain__in=keys).order_by("chain", "seq").values(*AUDIT_FIELDS)
        for entry in entries.iterator(chunk_size=CHUNK):
            if entry["seq"] > lengths.get(entry["chain"], entry["seq"]):
                continue  # written after this export read the chain's length
            lines.write(entry)
            heads[entry["chain"]] = {"seq": entry["seq"], "hash": entry["hash"]}
        people.update(key for key in keys if key != SITE_CHAIN)
    return heads


# -- the checks ------------------------------------------------------------------------------------------------------


def _event_link(row: dict[str, Any], public_id: Any) -> Link:
    content = {"transaction": public_id, "seq": row["seq"], **{name: row[name] for name in CHAINED_FIELDS}}
    return Link(row["seq"], row["prev_hash"], row["hash"], content)


def _audit_link(row: dict[str, Any]) -> Link:
    return Link(row["seq"], row["prev_hash"], row["hash"], {name: row[name] for name in AUDIT_CHAINED_FIELDS})


def verify_database(*, start: datetime | None = None, end: datetime | None = None) -> TrailCheck:
    """Every verification's history (or those with history in [start, end)): its chain intact and as long as
    ``history_seq``; every audit chain (or those with an entry in the period) intact and as long as its ChainHead.
    The first break of each chain."""
    check = TrailCheck()
    period = {"created_at__gte": _aware(start)} if start is not None else {}
    if end is not None:
        period["created_at__lt"] = _aware(end)
    rows = KycTransaction.objects.all()
    if period:
        rows = rows.filter(Exists(KycTransactionEvent.objects.filter(transaction=OuterRef("pk"), **period)))
    for batch in _pages(rows, "id", "public_id", "history_seq"):
        _verify_histories({row["id"]: row for row in batch}, check)
    pages: Iterable[list[str]] = _keys(AuditEntry.objects.filter(**period), "chain")
    if not period:  # every chain the heads count, and any chain whose head is gone
        headless = AuditEntry.objects.exclude(chain__in=ChainHead.objects.values("key"))
        pages = chain_of_pages(_keys(ChainHead.objects.all(), "key"), _keys(headless, "chain"))
    for keys in pages:
        _verify_audit(keys, check)
    return check


def _verify_histories(by_pk: dict[int, dict[str, Any]], check: TrailCheck) -> None:
    """One page of verifications: their events streamed in chain order."""
    events = KycTransactionEvent.objects.filter(transaction_id__in=by_pk).order_by("transaction_id", "seq")
    lengths = {pk: owner["history_seq"] for pk, owner in by_pk.items()}
    rows = events.values(*EVENT_FIELDS).iterator(chunk_size=CHUNK)
    for pk in _suspects(
        rows, "transaction_id", lengths, lambda row: _event_link(row, by_pk[row["transaction_id"]]["public_id"]), check
    ):
        _confirm_transaction(pk, check)


def _verify_audit(keys: list[str], check: TrailCheck) -> None:
    """One page of audit chains, streamed in chain order."""
    lengths = dict.fromkeys(keys, 0) | dict(ChainHead.objects.filter(key__in=keys).values_list("key", "length"))
    entries = AuditEntry.objects.filter(chain__in=keys).order_by("chain", "seq").values(*AUDIT_FIELDS)
    for chain in _suspects(entries.iterator(chunk_size=CHUNK), "chain", lengths, _audit_link, check):
        _confirm_audit(chain, check)


def _suspects(rows: Iterable[dict[str, Any]], key: str, lengths: dict[Any, int], link: Callable[[dict[str, Any]], Link],
              check: TrailCheck) -> list[Any]:  # fmt: skip
    """The chains of ``lengths`` whose rows (in chain order) break, or that have none though rows were written:
    to be read again under their lock before they are reported."""
    seen, suspects = set(), []
    for name, group in groupby(rows, key=lambda row: row[key]):
        seen.add(name)
        found, _last = walk((link(row) for row in group), lengths.get(name, 0), check)
        if found is not None:
            suspects.append(name)
    for name, length in lengths.items():
        if name not in seen:
            check.chains += 1
            if length:
                suspects.append(name)  # every row cut
    return suspects


def _confirm_transaction(pk: int, check: TrailCheck) -> None:
    """A break seen while streaming, read again under the chain's lock (a writer that raced the read is done)."""
    with transaction.atomic():
        owner = KycTransaction.objects.select_for_update().filter(pk=pk).values("public_id", "history_seq").first()
        if owner is None:
            return
        events = KycTransactionEvent.objects.filter(transaction_id=pk).order_by("seq").values(*EVENT_FIELDS)
        links = (_event_link(row, owner["public_id"]) for row in events.iterator(chunk_size=CHUNK))
        found = first_break(links, expected_length=owner["history_seq"])
    if found is not None:
        check.append(Problem(f"verification {owner['public_id']}", found.seq, found.problem))


def _confirm_audit(chain: str, check: TrailCheck) -> None:
    with transaction.atomic():
        length = ChainHead.objects.select_for_update().filter(key=chain).values_list("length", flat=True).first()
        entries = AuditEntry.objects.filter(chain=chain).order_by("seq").values(*AUDIT_FIELDS)
        found = first_break(
            (_audit_link(row) for row in entries.iterator(chunk_size=CHUNK)), expected_length=length or 0
        )
    if found is not None:
        check.append(Problem(f"audit {chain}", found.seq, found.problem))
