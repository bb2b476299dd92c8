"""Hash chains: what makes the history tamper-evident.

Each record carries ``hash = SHA-256(prev_hash + canonical JSON of its content)``, its predecessor's hash and its
place in the chain (``seq``, from 1). Changing, inserting or removing a record breaks every hash after it; an
exported chain head (the manifest of an auditor's export) pins the chain as it was, so that even a rewrite of the
whole chain by someone with the database in hand shows when compared with an earlier export. Pure: no ORM here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = "0" * 64  # the "previous hash" of a chain's first record


def canonical(value: Any) -> Any:
    """A value in the one form it is hashed in: datetimes in UTC ISO-8601 with microseconds, UUIDs and decimals as
    strings, mappings with sorted keys (by :func:`canonical_json`)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def canonical_json(content: Mapping[str, Any]) -> str:
    return json.dumps(canonical(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of a record whose predecessor's hash is ``prev_hash``."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(content)}".encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One record of a chain as stored: its place, the hashes it carries, and what was hashed."""

    seq: int
    prev_hash: str
    hash: str
    content: Mapping[str, Any]


@dataclass(frozen=True)
class Break:
    """The first place a chain does not hold, and why."""

    seq: int
    problem: str


def first_break(links: Iterable[Link], *, expected_length: int | None = None) -> Break | None:
    """Walk a chain in ``seq`` order; the first record that does not follow from the one before it, or None.

    ``expected_length`` (the count the chain's owner keeps) reveals records cut from its end."""
    prev_hash, seq = GENESIS, 0
    for link in links:
        seq += 1
        if link.seq != seq:
            return Break(seq, f"record {seq} is missing (found {link.seq})")
        if link.prev_hash != prev_hash:
            return Break(seq, "its previous hash is not the hash of the record before it")
        if link_hash(prev_hash, link.content) != link.hash:
            return Break(seq, "its content does not match its hash (changed after it was written)")
        prev_hash = link.hash
    if expected_length is not None and seq != expected_length:
        return Break(seq + 1, f"the chain ends at record {seq}, but {expected_length} were written")
    return None
