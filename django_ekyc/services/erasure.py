"""A person's relationship with the site, and their erasure: what a user's deletion removes and what it keeps.

Deleting a user is a data-subject erasure. It removes at once what the retention rules let an erasure remove
(``ON_ERASURE: "erase"``: by default the identity data and the pictures, and the faces in the provider's library)
and keeps, pseudonymised, what a rule must keep (by default the decision trail and the consents, until their own
retention ends): the verifications lose their user (``SET_NULL``), never their history. Nothing under a legal hold
is removed. See ``docs/retention.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from django_ekyc.models import AuditKind, Consent, EventSource, FaceRecord, KycSubject, KycTransaction, LegalHold
from django_ekyc.retention_policy import ERASE
from django_ekyc.services import face_deletion, outbox
from django_ekyc.services.audit import audit
from django_ekyc.services.retention import run_purge
from django_ekyc.services.retention_rules import held, rule_for
from django_ekyc.services.site import merchant_user_id_for


def subject_for(user: Any) -> KycSubject:
    """The user's person record, created the first time it matters (found by the user first: a pseudonym derived
    from ``SECRET_KEY`` changes when the key is rotated, the person does not)."""
    subject = KycSubject.objects.filter(user=user).first()
    if subject is None:
        subject, _created = KycSubject.objects.get_or_create(
            reference=merchant_user_id_for(user), defaults={"user": user}
        )
    return subject


def persons_of(user: Any) -> list[str]:
    """Every pseudonym the user's records carry (one, unless ``SECRET_KEY`` was rotated without
    ``MERCHANT_USER_ID_KEY``): the current one first."""
    found = [merchant_user_id_for(user)]
    found += KycTransaction.objects.filter(user_id=user.pk).values_list("merchant_user_id", flat=True).distinct()
    found += Consent.objects.filter(user_id=user.pk).values_list("subject_reference", flat=True).distinct()
    found += KycSubject.objects.filter(user_id=user.pk).values_list("reference", flat=True)
    return [person for person in dict.fromkeys(found) if person]


def end_relationship(user: Any, *, at: datetime | None = None, actor: str = "") -> KycSubject:
    """Mark the end of the site's business relationship with ``user`` (an account closed, a contract ended): the
    rules counted from ``relationship_end`` start counting, for every pseudonym their records carry. Marking it
    again keeps the first date."""
    at = at or timezone.now()
    with transaction.atomic():
        subject = subject_for(user)
        for person in persons_of(user):
            found, _created = KycSubject.objects.get_or_create(reference=person)
            if KycSubject.objects.filter(pk=found.pk, relationship_ended_at=None).update(relationship_ended_at=at):
                audit(person, AuditKind.RELATIONSHIP_ENDED, actor=actor, ended=at)
                outbox.publish(
                    "person.relationship_ended",
                    {"person": person, "user": user.pk, "ended": at.isoformat()},
                    person=person,
                )
        subject.refresh_from_db()
    return subject


def resume_relationship(user: Any, *, actor: str = "") -> KycSubject:
    """The relationship goes on after all (the customer came back): the rules counted from its end stop."""
    with transaction.atomic():
        subject = subject_for(user)
        for person in persons_of(user):
            ended = KycSubject.objects.filter(reference=person, erased_at=None).exclude(relationship_ended_at=None)
            if ended.update(relationship_ended_at=None):
                audit(person, AuditKind.RELATIONSHIP_ENDED, actor=actor, ended=None)
        subject.refresh_from_db()
    return subject


def person_is_held(person: str) -> bool:
    return LegalHold.objects.active().filter(subject_reference=person).exists()


def erase_user(sender: object, instance: Any, **kwargs: object) -> None:
    """``pre_delete`` of the user model, inside the deletion's transaction: record the erasure, end the
    relationship (if the site had not), take the user's faces out of the library and purge at once what the rules
    let an erasure remove; the rest stays, pseudonymised. A user with no records here (staff, say) leaves none."""
    if getattr(instance, "pk", None) is None or not _has_records(instance):
        return
    now, persons = timezone.now(), persons_of(instance)
    _forget_faces(instance.pk, persons=persons)  # first: the faces go as the user's (the purge would say retention)
    for person in persons:
        subject, _created = KycSubject.objects.get_or_create(reference=person)
        KycSubject.objects.filter(pk=subject.pk).update(
            erased_at=now, relationship_ended_at=Coalesce("relationship_ended_at", Value(now))
        )
        audit(person, AuditKind.ERASED, held=person_is_held(person))
        data = {"person": person, "user": instance.pk, "erased": now.isoformat()}
        outbox.publish("person.erased", data, person=person)
        run_purge(trigger="erasure", now=now, person=person, source=EventSource.ERASURE)


def _has_records(user: Any) -> bool:
    return (
        KycTransaction.objects.filter(user_id=user.pk).exists()
        or Consent.objects.filter(user_id=user.pk).exists()
        or KycSubject.objects.filter(user_id=user.pk).exists()
        or FaceRecord.objects.filter(user_id=user.pk).exists()
    )


def _forget_faces(user_id: int, *, persons: list[str]) -> None:
    """The user's faces leave the provider's library once the deletion commits (and stay pending, retried by
    ``ekyc_purge``, if the provider cannot be reached then): those an erasure may remove (the ``pictures`` rule),
    not a held verification's or a held person's."""
    if rule_for("pictures").on_erasure != ERASE or any(person_is_held(person) for person in persons):
        return  # they go with their verification's pictures, when the rule (and any hold) lets them
    held_verifications = KycTransaction.objects.filter(held())
    faces = FaceRecord.objects.present().filter(user_id=user_id).exclude(transaction__in=held_verifications)
    ids = face_deletion.forget_faces(faces, reason="user_deleted")
    if ids:
        transaction.on_commit(lambda: face_deletion.delete_quietly(ids))
