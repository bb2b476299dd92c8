"""Which records each retention rule (``EKYC["RETENTION"]``) has come due for, as querysets: counted from the
verification's completion (a consent's withdrawal) or from the end of the person's relationship, at once for the
kinds a person's erasure removes, and never while a legal hold stands on the verification or the person."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from django_ekyc.conf import ekyc_settings
from django_ekyc.models import TERMINAL_STATUSES, Consent, KycSubject, KycTransaction, LegalHold, Status
from django_ekyc.retention_policy import COMPLETION, ERASE, RetentionRule

# The finished verifications whose identity data and pictures a rule may strip (an error never had any).
WITH_RESULTS = [Status.PASSED, Status.FAILED, Status.EXPIRED]


def rule_for(kind: str) -> RetentionRule:
    return ekyc_settings.RETENTION[kind]


def held() -> Q:
    """Verifications under an active legal hold: their own, or their person's."""
    own, persons = _holds()
    return Q(own) | Q(persons)


def not_held() -> Q:
    """Verifications under no active hold, as two ``NOT EXISTS`` (anti-joins): ``~held()`` is one ``NOT (EXISTS OR
    EXISTS)``, which PostgreSQL estimates so badly on a large table that it compiles the query (JIT: 0.4 s for a
    count of a few thousand rows at a million)."""
    own, persons = _holds()
    return ~Q(own) & ~Q(persons)


def _holds() -> tuple[Exists, Exists]:
    active = LegalHold.objects.active()
    own = Exists(active.filter(transaction=OuterRef("pk")))
    persons = Exists(active.filter(subject_reference=OuterRef("merchant_user_id")))
    return own, persons


def _due(rule: RetentionRule, now: datetime, *, completed: str, person: str) -> Q:
    """Rows the rule has come due for: ``completed`` and ``person`` name the row's completion and pseudonym."""
    cutoff = now - timedelta(days=rule.days)
    if rule.counted_from == COMPLETION:
        due = Q(**{f"{completed}__lt": cutoff})
    else:
        ended = KycSubject.objects.filter(reference=OuterRef(person), relationship_ended_at__lt=cutoff)
        due = Q(Exists(ended))
    if rule.on_erasure == ERASE:
        due |= Q(Exists(KycSubject.objects.filter(reference=OuterRef(person), erased_at__isnull=False)))
    return due


def candidates(kind: str, *, now: datetime, person: str | None = None) -> QuerySet[KycTransaction] | QuerySet[Consent]:
    """The records of ``kind`` due for purging at ``now`` (of one ``person`` only, for an erasure)."""
    rule = rule_for(kind)
    if kind == "consent":
        consents = Consent.objects.filter(_due(rule, now, completed="withdrawn_at", person="subject_reference"))
        persons_held = Exists(LegalHold.objects.active().filter(subject_reference=OuterRef("subject_reference")))
        # A consent stays while a verification made under it does: it is what that check was allowed by.
        in_use = Exists(KycTransaction.objects.filter(consent=OuterRef("pk")))
        consents = consents.exclude(persons_held).exclude(in_use)
        return (consents if person is None else consents.filter(subject_reference=person)).order_by("id")
    rows = KycTransaction.objects.filter(_due(rule, now, completed="completed_at", person="merchant_user_id"))
    if kind == "identity":
        rows = rows.filter(status__in=WITH_RESULTS, identity_purged_at=None)
    elif kind == "pictures":
        rows = rows.filter(status__in=WITH_RESULTS, pictures_purged_at=None, identity_purged_at=None)
    else:
        rows = rows.filter(status__in=TERMINAL_STATUSES)
    rows = rows.filter(not_held())
    return (rows if person is None else rows.filter(merchant_user_id=person)).order_by("completed_at", "id")


def is_held(kyc: KycTransaction) -> bool:
    return KycTransaction.objects.filter(pk=kyc.pk).filter(held()).exists()
