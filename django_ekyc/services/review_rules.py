"""Which verifications wait for a person, and the values that put one in the review queue.

A verification enters the queue in the same statement that raises its flag (a face or deepfake flag, a failure
with a sub code the site reviews, an answer the provider left pending), and only if it was not there or decided
already: one conditional UPDATE, no extra query, whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from django_ekyc.conf import ekyc_settings
from django_ekyc.models import DeepfakeStatus, FaceStatus, KycTransaction, ReviewRule, ReviewState, Status

FACE_RULES: Mapping[str, str] = {
    FaceStatus.DUPLICATE: ReviewRule.DUPLICATE,
    FaceStatus.REFERENCE_CONFLICT: ReviewRule.REFERENCE_CONFLICT,
    FaceStatus.DOCUMENT_CONFLICT: ReviewRule.DOCUMENT_CONFLICT,
    FaceStatus.UNVERIFIED_REFERENCE: ReviewRule.UNVERIFIED_REFERENCE,
}
DEEPFAKE_RULES: Mapping[str, str] = {
    DeepfakeStatus.FLAGGED: ReviewRule.DEEPFAKE,
    DeepfakeStatus.SUSPICIOUS: ReviewRule.DEEPFAKE,
}
REVIEW_FIELDS = ("review", "review_rule", "review_since")


def rule_for(values: Mapping[str, Any], to_status: str | None = None) -> str | None:
    """The rule that a row's new ``values`` (and the state it moves to) raise, if any."""
    face = values.get("face_status")
    if isinstance(face, str) and face in FACE_RULES:
        return FACE_RULES[face]
    deepfake = values.get("deepfake")
    if isinstance(deepfake, str) and deepfake in DEEPFAKE_RULES:
        return DEEPFAKE_RULES[deepfake]
    if to_status == Status.FAILED and values.get("sub_code") in ekyc_settings.REVIEW.sub_codes:
        return ReviewRule.SUB_CODE
    return None


def entering(rule: str | None, now: datetime | None = None) -> dict[str, Any]:
    """UPDATE values that put the row in the queue for ``rule``, unless it is in it already, or decided (an
    approval for another flag re-opens: a person has not seen this one; a rejection stands); nothing when the
    site does not review ``rule``."""
    if rule is None or rule not in ekyc_settings.REVIEW.rules:
        return {}
    # Not in the queue yet; or approved for another flag than this new one, which a person has not seen.
    fresh = Q(review=ReviewState.NONE) | (Q(review=ReviewState.APPROVED) & ~Q(review_rule=rule))
    return {
        "review": Case(When(fresh, then=Value(ReviewState.WAITING)), default=F("review")),
        "review_rule": Case(When(fresh, then=Value(rule)), default=F("review_rule")),
        "review_since": Case(
            When(fresh, then=Value(now or timezone.now())), default=F("review_since"), output_field=DateTimeField()
        ),
    }


def leaving_pending() -> dict[str, Any]:
    """UPDATE values that take a row out of the queue when the provider answers what it had left pending: the
    person it waited for has nothing left to decide (a first approval of four eyes stays)."""
    pending = Q(review=ReviewState.WAITING, review_rule=ReviewRule.PENDING)
    return {
        "review": Case(When(pending, then=Value(ReviewState.NONE)), default=F("review")),
        "review_rule": Case(When(pending, then=Value("")), default=F("review_rule")),
        "review_since": Case(When(pending, then=None), default=F("review_since"), output_field=DateTimeField()),
    }


def with_review(values: Mapping[str, Any], to_status: str | None = None) -> dict[str, Any]:
    """``values`` and what they do to the queue: enter it for the rule they raise; leave a pending answer's."""
    entry = entering(rule_for(values, to_status))
    if not entry and to_status is not None and to_status != Status.INITIALIZED:
        entry = leaving_pending()
    return {**values, **entry}


def reread_review(kyc: KycTransaction, values: Mapping[str, Any]) -> None:
    """After an UPDATE with queue expressions, read back what they made of the row: only when they could have
    changed it as far as this copy knows (an entry, or leaving a pending answer), so a plain completion costs no
    extra query."""
    if not any(name in values for name in REVIEW_FIELDS):
        return
    could_leave = kyc.review == ReviewState.WAITING and kyc.review_rule == ReviewRule.PENDING
    if rule_for(values, values.get("status")) is not None or could_leave:
        kyc.refresh_from_db(fields=list(REVIEW_FIELDS))


def current_rules(kyc: KycTransaction) -> frozenset[str]:
    """Every rule the verification's state raises now (several flags may have come, after the one it entered
    the queue for): four eyes apply if any of them asks for it."""
    rules = {kyc.review_rule} if kyc.review_rule else set()
    for raised in (
        rule_for({"face_status": kyc.face_status}),
        rule_for({"deepfake": kyc.deepfake}),
        rule_for({"sub_code": kyc.sub_code}, str(kyc.status)),
    ):
        if raised is not None:
            rules.add(raised)
    return frozenset(rules)


def enter_review(kyc: KycTransaction, rule: str) -> bool:
    """Put ``kyc`` in the queue for ``rule`` on its own (a pending answer); whether it entered."""
    entry = entering(rule)
    if not entry:
        return False
    entered = KycTransaction.objects.filter(pk=kyc.pk, review=ReviewState.NONE).update(**entry)
    if entered:
        kyc.refresh_from_db(fields=list(REVIEW_FIELDS))
    return bool(entered)
