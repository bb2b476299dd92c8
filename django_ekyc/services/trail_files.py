"""The check of an exported trail: its files against its manifest, with no database (``ekyc_verify_trail --dir``).

An auditor checks an export on their own copy, so nothing here reads the database: only the files, and the hash
chain's rules (:mod:`django_ekyc.chain`). What the export and this check must agree on lives here too, and
:mod:`django_ekyc.services.trail` takes it from here (never the other way): the files' names, a day's digest, and
what a check reports (:class:`Problem`, :class:`TrailCheck`, a chain walked), which the database's check shares.
See docs/audit.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from django_ekyc.chain import Break, Link, first_break

FILES = ("verifications.jsonl", "events.jsonl", "decisions.jsonl", "audit.jsonl", "consents.jsonl")


@dataclass(frozen=True)
class Problem:
    """The first place a chain (or a file of an export) does not hold."""

    chain: str  # "verification <public id>", "audit <chain>", "file <name>", "day <date>", "manifest"
    seq: int | None
    problem: str

    def __str__(self) -> str:
        at = f" #{self.seq}" if self.seq is not None else ""
        return f"{self.chain}{at}: {self.problem}"


class TrailCheck(list[Problem]):
    """The problems found (empty: all holds), and how much was checked."""

    chains: int = 0
    records: int = 0


def add_to_day(days: dict[str, Any], created_at: str, hash_: str) -> None:
    """A day's digest: SHA-256 over the hashes (each followed by a newline) of its events, in the file's order."""
    day = datetime.fromisoformat(created_at).astimezone(UTC).date().isoformat()
    count, digest = days.setdefault(day, (0, hashlib.sha256()))
    digest.update(f"{hash_}\n".encode())
    days[day] = (count + 1, digest)


def walk(links: Iterable[Link], expected: int | None, check: TrailCheck) -> tuple[Break | None, Link | None]:
    """The chain's first break and its last record; every record is counted, even after a break."""
    last: list[Link] = []

    def counted() -> Iterator[Link]:
        for link in links:
            check.records += 1
            last[:] = [link]
            yield link

    stream = counted()
    found = first_break(stream, expected_length=expected)
    for _rest in stream:
        pass
    check.chains += 1
    return found, (last[0] if last else None)


def verify_trail_files(directory: Path) -> TrailCheck:
    """An export checked against its manifest: each file's SHA-256 and line count, each chain recomputed from the
    files (the first break of each), each chain's last record against the manifest's head, each day's digest."""
    check = TrailCheck()
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        files, heads = manifest["files"], manifest["chains"]
        start, end = (datetime.fromisoformat(manifest["period"][name]) for name in ("start", "end"))
    except (OSError, ValueError, KeyError, TypeError):
        check.append(Problem("manifest", None, _("manifest.json is missing or is not a trail's manifest.")))
        return check
    for name in FILES:
        _verify_file(directory / name, files.get(name) or {}, check)
    lengths = {
        str(row.get("public_id")): row.get("history_seq") for row in _read(directory, "verifications.jsonl", check)
    }
    days: dict[str, Any] = {}

    def on_event(row: dict[str, Any]) -> None:
        moment = row.get("created_at")
        if isinstance(moment, str) and start <= datetime.fromisoformat(moment) < end:
            add_to_day(days, moment, str(row.get("hash")))

    events = _read(directory, "events.jsonl", check, on_event)
    _verify_file_chains(events, "transaction", "verification", heads.get("verifications") or {}, lengths, check)
    audit_rows = _read(directory, "audit.jsonl", check)
    audit_lengths = {key: head.get("seq") for key, head in (heads.get("audit") or {}).items()}
    _verify_file_chains(audit_rows, "chain", "audit", heads.get("audit") or {}, audit_lengths, check)
    found = {day: {"events": count, "sha256": digest.hexdigest()} for day, (count, digest) in days.items()}
    for day in sorted({*found, *(manifest.get("days") or {})}):
        if found.get(day) != (manifest.get("days") or {}).get(day):
            check.append(Problem(f"day {day}", None, _("its digest is not the manifest's.")))
    return check


def _verify_file(path: Path, expected: dict[str, Any], check: TrailCheck) -> None:
    if not path.exists():
        check.append(Problem(f"file {path.name}", None, _("the file is missing.")))
        return
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
    if digest.hexdigest() != expected.get("sha256"):
        check.append(Problem(f"file {path.name}", None, _("its SHA-256 is not the manifest's: it changed since.")))
    if lines != expected.get("lines"):
        check.append(Problem(f"file {path.name}", None, _("it has %(lines)d lines, not the manifest's %(expected)s.")
                             % {"lines": lines, "expected": expected.get("lines")}))  # fmt: skip


def _read(
    directory: Path, name: str, check: TrailCheck, each: Callable[[dict[str, Any]], None] | None = None
) -> Iterator[dict[str, Any]]:
    """A JSON-lines file's records, one at a time; a line that is not a JSON object is reported and skipped."""
    path = directory / name
    if not path.exists():
        return
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                check.append(Problem(f"file {name}", None, _("line %d is not a JSON object.") % number))
                continue
            if each is not None:
                each(record)
            yield record


def _file_link(record: dict[str, Any]) -> Link:
    content = {key: value for key, value in record.items() if key not in ("prev_hash", "hash")}
    seq = record.get("seq")
    return Link(seq if isinstance(seq, int) else -1, str(record.get("prev_hash")), str(record.get("hash")), content)


def _verify_file_chains(
    records: Iterable[dict[str, Any]],
    key: str,
    label: str,
    heads: dict[str, Any],
    lengths: dict[str, Any],
    check: TrailCheck,
) -> None:
    """The chains of one file (its records grouped by ``key``, in seq order): each from seq 1 to its head."""
    seen: set[str] = set()
    for name, group in groupby(records, key=lambda record: str(record.get(key))):
        if name in seen:
            check.append(Problem(f"{label} {name}", None, _("its records are not together in the file.")))
            continue
        seen.add(name)
        expected = lengths.get(name)
        found, last = walk(
            (_file_link(record) for record in group), expected if isinstance(expected, int) else None, check
        )
        head = heads.get(name)
        if found is not None:
            check.append(Problem(f"{label} {name}", found.seq, found.problem))
        elif head is None or last is None or {"seq": last.seq, "hash": last.hash} != head:
            check.append(Problem(f"{label} {name}", last.seq if last else None,
                                 _("its last record is not the manifest's chain head.")))  # fmt: skip
    for name in sorted(set(heads) - seen):
        check.append(Problem(f"{label} {name}", None, _("the manifest names this chain, but the file lacks it.")))
