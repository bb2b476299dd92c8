"""Legal holds: staff suspend every purge of a person's records, or of one verification, until they release it.

Placing and releasing are audited (the person's audit chain; the verification's history for a hold on one) and
never undone by deleting: a hold is released, with the reason, by someone with the permission to change it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import AuditKind, EventKind, EventSource, KycTransaction, LegalHold
from django_ekyc.services import ledger
from django_ekyc.services.audit import actor_of, audit
from django_ekyc.services.site import merchant_user_id_for


def place_hold(
    *,
    staff: Any,
    reason: str,
    user: Any | None = None,
    verification: KycTransaction | None = None,
    person: str = "",
) -> LegalHold:
    """Hold a person's records (``user``, or ``person``: the pseudonym of one whose user is gone) or one
    ``verification``: no purge, erasure or cascade removes them."""
    if not reason.strip():
        raise InvalidInput("reason", "hold_reason_required", str(_("Say why the records are held.")))
    if sum(target is not None and target != "" for target in (user, verification, person)) != 1:
        raise InvalidInput("target", "hold_target", str(_("Hold either a person or one verification.")))
    actor = actor_of(staff)
    with transaction.atomic():
        # The audit chain first, then the verification's row: the order an erasure takes them in (no deadlock).
        if verification is not None:
            hold = LegalHold.objects.create(
                transaction=verification, reason=reason, placed_by=staff, placed_by_name=actor
            )
            audit(verification.merchant_user_id, AuditKind.HOLD_PLACED, actor=actor, hold=hold.pk, reason=reason,
                  verification=str(verification.public_id))  # fmt: skip
            ledger.record_event(verification, EventKind.HOLD, EventSource.ADMIN, code="placed", message=f"by {actor}")
        else:
            person = person or merchant_user_id_for(user)  # type: ignore[arg-type]  # one target: checked above
            hold = LegalHold.objects.create(
                subject_reference=person, reason=reason, placed_by=staff, placed_by_name=actor
            )
            audit(person, AuditKind.HOLD_PLACED, actor=actor, hold=hold.pk, reason=reason, verification="")
    return hold


def release_hold(hold: LegalHold, *, staff: Any, reason: str) -> LegalHold:
    """Release an active hold (once); the purges it suspended apply again from their next run."""
    if not reason.strip():
        raise InvalidInput("reason", "hold_reason_required", str(_("Say why the hold is released.")))
    actor = actor_of(staff)
    with transaction.atomic():
        released = LegalHold.objects.filter(pk=hold.pk, released_at=None).update(
            released_at=timezone.now(), released_by_name=actor, release_reason=reason
        )
        hold.refresh_from_db()
        if released:
            person = hold.subject_reference or (hold.transaction.merchant_user_id if hold.transaction else "")
            audit(person, AuditKind.HOLD_RELEASED, actor=actor, hold=hold.pk, reason=reason, verification=_public(hold))
            if hold.transaction is not None:
                ledger.record_event(
                    hold.transaction, EventKind.HOLD, EventSource.ADMIN, code="released", message=f"by {actor}"
                )
    return hold


def _public(hold: LegalHold) -> str:
    return str(hold.transaction.public_id) if hold.transaction is not None else ""
