"""A person's access request (a DSAR): everything the site holds about them, as JSON and as a readable page.

The export is built from the person's pseudonym (their verifications' ``merchant_user_id``), so that an erased
person, whose user is gone, can still be given their pseudonymised trail. Writing one is itself on the person's
audit chain (``exported``), with who made it. What staff do that the person must not learn of is left out: a
legal hold (an investigation, a regulator's notice) would be tipped off by its mention, so neither the holds nor
the history rows that record them are in it; nor are a staff decision's note and the rule it was reviewed for (a
flag such as the same face as another account), which may reveal a fraud investigation (see docs/audit.md).

This module collects the data; :mod:`django_ekyc.services.export_page` turns it into the readable page. Reveals of
their identity data are on record here too (:func:`record_reveal`): every look at someone's documents is on the
verification's tamper-evident history.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from django_ekyc.chain import canonical
from django_ekyc.fields import Ciphertext
from django_ekyc.models import (
    AuditEntry,
    AuditKind,
    Consent,
    EventKind,
    EventSource,
    FaceRecord,
    KycSubject,
    KycTransaction,
    ReviewDecision,
)
from django_ekyc.outcomes import verdict as effective_verdict
from django_ekyc.services import export_page, ledger
from django_ekyc.services.audit import actor_of, audit
from django_ekyc.services.identity import is_image_field
from django_ekyc.services.site import merchant_user_id_for

FORMAT = "django-ekyc/person-export"
VERSION = 1
CONSENT_KINDS = (AuditKind.CONSENT_GIVEN, AuditKind.CONSENT_WITHDRAWN)
# History rows a person's export leaves out: a legal hold must not tip off the person it is about.
HIDDEN_EVENTS = (EventKind.HOLD,)
# A fraud report to the provider (the call and its record) would tip off an investigation just as a hold would.
HIDDEN_ACTIONS = ("FraudResultCallBack",)


# What is exported of each row: {its name in the export: the model's field}.
VERIFICATION_FIELDS = {"id": "public_id", "product": "product_code", "channel": "channel", "document_type": "doc_type",
                       "purpose": "purpose", "status": "status", "passed": "passed", "sub_code": "sub_code",
                       "error_code": "error_code", "created_at": "created_at", "completed_at": "completed_at",
                       "review": "review", "face_status": "face_status", "deepfake": "deepfake",
                       "options": "options"}  # fmt: skip
# Not the decision's note nor the rule it was reviewed for: a staff note or a flag (the same face as another
# account) may reveal an investigation. The site discloses them at its own discretion, outside this export.
DECISION_FIELDS = {"verdict": "verdict", "reason": "reason", "by": "staff_name", "at": "created_at",
                   "took_effect": "effective"}  # fmt: skip
EVENT_FIELDS = {"at": "created_at", "kind": "kind", "source": "source", "action": "action",
                "from_status": "from_status", "to_status": "to_status", "code": "code",
                "message": "message"}  # fmt: skip
CONSENT_FIELDS = {"id": "public_id", "purpose": "purpose", "check": "check_code", "version": "version",
                  "text_sha256": "text_sha256", "language": "language", "given_at": "given_at",
                  "withdrawn_at": "withdrawn_at"}  # fmt: skip
AUDIT_FIELDS = {"seq": "seq", "at": "created_at", "kind": "kind", "detail": "detail"}
FACE_FIELDS = {"face_library": "face_group", "registered_at": "registered_at",
               "deletion_requested_at": "delete_requested_at", "deleted_at": "deleted_at"}  # fmt: skip


class NothingToExport(LookupError):
    """The site holds nothing about this pseudonym: no export is made, and nothing is audited."""


def person_of(user: AbstractBaseUser) -> str:
    """The pseudonym a user's records carry."""
    return merchant_user_id_for(user)


@dataclass(frozen=True)
class PersonExport:
    """One person's data: ``data`` (JSON-serialisable, versioned) and its readable page (:meth:`html`)."""

    person: str
    data: dict[str, Any]

    @property
    def stem(self) -> str:
        """The files' name: the start of the pseudonym (it names nobody)."""
        return self.person[:12]

    def json(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def html(self) -> str:
        """A self-contained page (no outside resource; pictures inline); every value is escaped by the template."""
        return export_page.render(self.data)


def export_person(person: str, *, actor: str) -> PersonExport:
    """Everything the site holds about ``person`` (a pseudonym), and the export on their audit chain.

    Raises :class:`NothingToExport` when the site holds nothing about them."""
    with transaction.atomic():
        subject = KycSubject.objects.filter(reference=person).select_related("user").first()
        user = _user_of(person, subject)
        mine = Q(merchant_user_id=person) | (Q(user_id=user.pk) if user is not None else Q(pk__in=[]))
        verifications = list(
            KycTransaction.objects.filter(mine).select_related("review_decision").order_by("created_at", "id")
        )
        consents = list(_consents_of(person, user))
        faces = list(_faces_of(person, user))
        consent_audit = list(AuditEntry.objects.filter(chain=person, kind__in=CONSENT_KINDS).order_by("seq"))
        if not (subject or verifications or consents or faces or AuditEntry.objects.filter(chain=person).exists()):
            raise NothingToExport(person)
        data = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now(),
            "person": {
                "pseudonym": person,
                "user": None if user is None else {"id": user.pk, "username": user.get_username()},
                "relationship_ended_at": subject.relationship_ended_at if subject else None,
                "erased_at": subject.erased_at if subject else None,
            },
            "verifications": [_verification(kyc) for kyc in verifications],
            "consents": [_pick(consent, CONSENT_FIELDS) for consent in consents],
            "consent_audit": [_pick(entry, AUDIT_FIELDS) for entry in consent_audit],
            "face_records": [_face(face) for face in faces],
            # Legal holds are deliberately absent: an investigation hold must not tip off the person.
        }
        counts = {"verifications": len(verifications), "consents": len(consents), "face_records": len(faces)}
        audit(person, AuditKind.EXPORTED, actor=actor, **counts)
    return PersonExport(person, canonical(data))


def record_reveal(kyc: KycTransaction, staff: Any) -> None:
    """A staff member's look at a verification's identity data, on its tamper-evident history."""
    ledger.record_event(kyc, EventKind.REVEAL, EventSource.ADMIN, message=f"by {actor_of(staff)}")


# -- what is collected -------------------------------------------------------------------------------------------


def _user_of(person: str, subject: KycSubject | None) -> Any:
    if subject is not None and subject.user_id is not None:
        return subject.user
    for rows in (
        KycTransaction.objects.filter(merchant_user_id=person),
        Consent.objects.filter(subject_reference=person),
    ):
        # Any linked row will do: unordered, the lookup stays on the pseudonym's index (ordered by creation,
        # PostgreSQL walked the whole creation index for a person without a linked user).
        linked = list(rows.exclude(user=None).order_by().values_list("user_id", flat=True)[:1])
        if linked:
            return get_user_model().objects.filter(pk=linked[0]).first()
    return None


def _consents_of(person: str, user: Any) -> models.QuerySet[Consent]:
    mine = Q(subject_reference=person) | (Q(user_id=user.pk) if user is not None else Q(pk__in=[]))
    return Consent.objects.filter(mine).order_by("given_at", "id")


def _faces_of(person: str, user: Any) -> models.QuerySet[FaceRecord]:
    mine = Q(face_key=person[:32]) | Q(transaction__merchant_user_id=person)
    if user is not None:
        mine |= Q(user_id=user.pk)
    return FaceRecord.objects.filter(mine).select_related("transaction").order_by("registered_at", "id")


def _verification(kyc: KycTransaction) -> dict[str, Any]:
    decisions = ReviewDecision.objects.filter(transaction=kyc).order_by("created_at", "id")
    events = kyc.events.exclude(kind__in=HIDDEN_EVENTS).exclude(action__in=HIDDEN_ACTIONS).order_by("seq")
    return {
        **_pick(kyc, VERIFICATION_FIELDS),
        "verdict": effective_verdict(kyc),
        "decisions": [_pick(decision, DECISION_FIELDS) for decision in decisions],
        "history": [_pick(event, EVENT_FIELDS) for event in events],
        "identity_data": _identity(kyc),
    }


def _identity(kyc: KycTransaction) -> dict[str, Any]:
    """What the site holds of the person's identity, or why it holds nothing (purged, or under a lost key)."""
    if kyc.identity_purged_at is not None:
        return {"state": "purged", "purged_at": kyc.identity_purged_at}
    if isinstance(kyc.result, Ciphertext):
        return {"state": "unreadable"}
    result = kyc.result if isinstance(kyc.result, Mapping) else {}
    images: dict[str, str] = {}
    _collect_images(result, "", images)
    face = kyc.reference_face
    if isinstance(face, Mapping) and face.get("image"):
        images["reference_face"] = str(face["image"])
    if not result and not images:
        return {"state": "none"}
    held: dict[str, Any] = {
        "state": "held",
        "document": {key: value for key, value in dataclasses.asdict(kyc.document).items() if value is not None},
        "ocr_fields": _without_images(kyc.ocr_fields),
        "document_checks": kyc.document_checks,
        "face_checks": _without_images(kyc.face_checks),
        "other_results": {
            name: _without_images(part) for name, part in result.items() if name not in ("ext_id_info", "ext_face_info")
        },
        "images": images,
        "pictures_purged_at": kyc.pictures_purged_at,
    }
    if isinstance(kyc.verify_log, Mapping | list):
        held["flow_log"] = kyc.verify_log
    return held


def _is_image(path: str) -> bool:
    return is_image_field(path.rsplit(".", 1)[-1]) or path.startswith("pictures.")


def _collect_images(value: Any, path: str, found: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _collect_images(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, str) and value and path and _is_image(path):
        found[path] = value


def _without_images(value: Any, path: str = "") -> Any:
    if isinstance(value, Mapping):
        return {
            key: _without_images(item, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
            if not _is_image(f"{path}.{key}" if path else str(key))
        }
    return value


def _pick(row: models.Model, fields: Mapping[str, str]) -> dict[str, Any]:
    return {name: getattr(row, attribute) for name, attribute in fields.items()}


def _face(face: FaceRecord) -> dict[str, Any]:
    return {**_pick(face, FACE_FIELDS), "verification": face.transaction.public_id if face.transaction else None}
