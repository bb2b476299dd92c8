"""Staff decisions on verifications: approve, reject, or ask the user to verify again.

A decision is an append-only :class:`~django_ekyc.models.ReviewDecision` beside the provider's answer, never
rewriting ``status`` or ``passed``: the effective verdict is the latest decision, else the provider's (the
guards read it, :func:`~django_ekyc.models.transaction.effective_pass`). Of two reviewers deciding one verification
at once exactly one decision is recorded: the row is locked, the state the reviewer saw (:func:`seen_token`) is
compared, and the move is one conditional UPDATE from that state; the other reviewer is told.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, OperationalError
from django.db.models import F
from django.utils.translation import gettext as _

from django_ekyc import signals
from django_ekyc.client import EkycClient
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import (
    FLAGGED_STATUSES,
    OPEN_REVIEW,
    EventKind,
    EventSource,
    KycTransaction,
    KycTransactionQuerySet,
    ReviewDecision,
    ReviewState,
    Status,
    Verdict,
)
from django_ekyc.outcomes import effective_review
from django_ekyc.review_policy import ReviewPolicy
from django_ekyc.services import ledger, reference_review, review_rules

NOTE_LENGTH = 2000
STATE_AFTER = {
    Verdict.APPROVE: ReviewState.APPROVED,
    Verdict.REJECT: ReviewState.REJECTED,
    Verdict.REVERIFY: ReviewState.REVERIFY,
}


class _Lost(Exception):
    """Another decision moved the verification between the reviewer's reading and this one's writing."""


def decided_elsewhere() -> InvalidInput:
    return InvalidInput(
        "review", "decided_elsewhere", _("Someone else decided this verification meanwhile: read it again.")
    )


def seen_token(kyc: KycTransaction) -> str:
    """What a reviewer saw of the review (its state and the latest decision); a decision made on another is
    refused, so nobody decides on a page someone else has since changed."""
    latest = ReviewDecision.objects.filter(transaction_id=kyc.pk).order_by("-id").values_list("pk", flat=True)
    return f"{kyc.review}:{latest.first() or 0}"


def pending_approval(kyc: KycTransaction) -> ReviewDecision | None:
    """The first half of a four-eyes approval that waits for its second, if any."""
    if kyc.review != ReviewState.SECOND:
        return None
    return ReviewDecision.objects.filter(transaction_id=kyc.pk, effective=False).order_by("-id").first()


def decide(
    kyc: KycTransaction,
    *,
    staff: Any,
    verdict: str,
    reason: str,
    note: str = "",
    seen: str | None = None,
    client: EkycClient | None = None,
) -> ReviewDecision:
    """Record ``staff``'s decision on ``kyc``; ``seen`` is :func:`seen_token` as the reviewer read it (by default,
    now). Approving a flagged face makes it the user's reference face (the provider's face library too).

    Raises :class:`~django_ekyc.exceptions.InvalidInput`, and nothing changes, when the staff member lacks the
    permission (``not_permitted``), the verdict or reason is missing or unknown (``unknown_verdict``,
    ``reason_required``, ``unknown_reason``, ``note_too_long``), the verification does not wait for a decision
    (``not_in_review``), the provider did not pass it and the site does not let staff approve that
    (``cannot_approve``), the same person gives both halves of a four-eyes approval (``same_reviewer``), or
    someone decided meanwhile (``decided_elsewhere``); and :class:`~django_ekyc.exceptions.ProviderCallFailed`
    when the face library could not be updated."""
    policy = ekyc_settings.REVIEW
    require_permission(staff, "decide_kyctransaction")
    check_input(verdict, reason, note, policy)
    kyc.refresh_from_db()
    current = seen_token(kyc)
    if seen is not None and seen != current:
        raise decided_elsewhere()
    plan = _plan(kyc, staff, verdict, policy)
    fields = {"verdict": verdict, "reason": reason, "note": note.strip(), **plan}
    try:
        with ledger.keeping_history():  # the provider calls stay on record, whatever happens to the decision
            decision = _record(kyc, current, staff, fields, client)
    except (_Lost, IntegrityError, OperationalError):
        raise decided_elsewhere() from None
    kyc.refresh_from_db()
    return decision


def _plan(kyc: KycTransaction, staff: Any, verdict: str, policy: ReviewPolicy) -> dict[str, Any]:
    """Whether the decision takes effect now (four eyes: the second approval does) and which it confirms; the
    refusals of what the verification's state does not allow."""
    if kyc.review == ReviewState.NONE:
        raise InvalidInput("review", "not_in_review", _("This verification does not wait for a decision."))
    if verdict != Verdict.APPROVE:
        return {"effective": True, "confirms": None}
    check_approvable(kyc, policy)
    if kyc.face_status in FLAGGED_STATUSES:
        require_permission(staff, "accept_reference_face", _("You may not accept a face as the reference face."))
    first = pending_approval(kyc)
    if first is not None and first.staff_id == staff.pk:
        raise InvalidInput(
            "staff", "same_reviewer", _("A second approval must come from another person than the first.")
        )
    already_approved = effective_review(kyc) == ReviewState.APPROVED  # the verdict stays: nothing for four eyes
    two_needed = bool(review_rules.current_rules(kyc) & policy.four_eyes) and not already_approved
    return {"effective": first is not None or not two_needed, "confirms": first}


def require_permission(staff: Any, codename: str, message: str | None = None) -> None:
    if not (getattr(staff, "is_active", False) and staff.has_perm(f"django_ekyc.{codename}")):
        raise InvalidInput("staff", "not_permitted", message or _("You may not decide verifications."))


def check_input(verdict: str, reason: str, note: str, policy: ReviewPolicy) -> None:
    if verdict not in Verdict.values:
        raise InvalidInput("verdict", "unknown_verdict", _("Choose approve, reject or verify again."))
    if not (reason or "").strip():
        raise InvalidInput("reason", "reason_required", _("Give a reason for the decision."))
    if reason not in policy.reasons:
        raise InvalidInput("reason", "unknown_reason", _("Choose one of the site's reasons."))
    if len(note or "") > NOTE_LENGTH:
        raise InvalidInput("note", "note_too_long", _("The note is too long (2000 characters at most)."))


def check_approvable(kyc: KycTransaction, policy: ReviewPolicy) -> None:
    """Staff approve what the provider passed; what it failed, only where the site allows it."""
    if kyc.status == Status.PASSED or (kyc.status == Status.FAILED and policy.approve_failed):
        return
    raise InvalidInput(
        "verdict", "cannot_approve", _("The provider did not pass this verification: it cannot be approved.")
    )


def _record(
    kyc: KycTransaction,
    seen: str,
    staff: Any,
    fields: dict[str, Any],
    client: EkycClient | None,
) -> ReviewDecision:
    """Lock the row (an UPDATE: PostgreSQL's row lock, SQLite's write lock), check the state the reviewer saw,
    then the provider's part of accepting a face (under the lock: a reviewer who lost the race changed nothing
    there either), then the decision and its effect, in one commit."""
    KycTransaction.objects.filter(pk=kyc.pk).update(review=F("review"))
    locked = KycTransaction.objects.get(pk=kyc.pk)
    if seen_token(locked) != seen:
        raise _Lost
    acceptance = None
    if fields["effective"] and fields["verdict"] == Verdict.APPROVE and locked.face_status in FLAGGED_STATUSES:
        acceptance = reference_review.prepare_acceptance(locked, client)
        for record in acceptance.records:
            ledger.note(record)  # written with the decision, or alone if it does not stand
    decision = ReviewDecision.objects.create(
        transaction=locked,
        staff=staff,
        staff_name=staff.get_username(),
        rule=locked.review_rule,
        provider_status=locked.status,
        **fields,
    )
    values: dict[str, Any] = {"review": ReviewState.SECOND}
    if decision.effective:
        values = {"review": STATE_AFTER[Verdict(decision.verdict)], "review_decision": decision}
    moved = KycTransaction.objects.filter(
        pk=locked.pk, review=locked.review, review_decision_id=locked.review_decision_id
    ).update(**values)
    if not moved or (acceptance and not reference_review.apply_acceptance(locked, acceptance, staff=staff)):
        raise _Lost
    who = f"{staff.get_username()} (id {staff.pk})"
    half = "" if decision.effective else ", first of two approvals"
    message = f"{decision.verdict} by {who}{half}: {decision.reason}"
    code = decision.verdict if decision.effective else f"{decision.verdict}_first"
    ledger.record_event(locked, EventKind.REVIEW, EventSource.ADMIN, code=code, message=message)
    if decision.effective:
        locked.refresh_from_db()  # the signal's receivers read the decision's effect
        ledger.send_on_commit(signals.review_decided, locked, decision=decision, verdict=decision.verdict)
    return decision


def accept_reference_face(
    kyc: KycTransaction, *, staff: Any, reason: str, note: str = "", client: EkycClient | None = None
) -> KycTransaction:
    """Accept a flagged verification's face as its user's reference face: an approval (:func:`decide`), which
    takes the ``accept_reference_face`` permission besides ``decide_kyctransaction``."""
    kyc.refresh_from_db()
    reference_review.check_acceptable(kyc)
    decide(kyc, staff=staff, verdict=Verdict.APPROVE, reason=reason, note=note, client=client)
    return kyc


def queue() -> KycTransactionQuerySet:
    """The verifications waiting for a person, oldest first."""
    return KycTransaction.objects.filter(review__in=sorted(OPEN_REVIEW)).order_by("review_since", "id")
