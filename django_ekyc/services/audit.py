"""The audit of acts on a person's records: their consents, staff holds and exports, their erasure (AuditEntry,
hash-chained per person); and the site-wide chain of auditor's exports."""

from __future__ import annotations

from typing import Any

from django_ekyc.chain import canonical
from django_ekyc.models import AuditEntry, AuditKind
from django_ekyc.models.records import SITE_CHAIN


def actor_of(staff: Any) -> str:
    """A staff member as the audit names them: their username at the time (the record says who, even later)."""
    return str(staff.get_username()) if staff is not None and hasattr(staff, "get_username") else str(staff or "")


def audit(person: str, kind: AuditKind | str, *, actor: str = "", **detail: Any) -> AuditEntry:
    """One entry on ``person``'s chain (their pseudonym)."""
    entry = AuditEntry(chain=person or SITE_CHAIN, kind=kind, actor=actor, detail=canonical(detail))
    entry.save()
    return entry
