"""The site's record of its face library: which verification each registered face stands for, and the duplicate
persons a search found. Called inside the commit that settles a verification's face."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from django_ekyc import signals
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import DuplicateMatch, FaceRecord, KycTransaction
from django_ekyc.results import FaceMatch, FaceSearchResult
from django_ekyc.services.references import face_key_for


def keep_face_record(kyc: KycTransaction, face_id: str) -> None:
    """The face the provider registered (or found registered under the user's key) stands for this verification."""
    FaceRecord.objects.update_or_create(
        account=kyc.account,
        face_group=str(ekyc_settings.FACE_LIBRARY),
        face_key=face_key_for(kyc.merchant_user_id),
        delete_requested_at=None,
        defaults={"user_id": kyc.user_id, "transaction": kyc, **({"face_id": face_id} if face_id else {})},
    )


def move_face_record(record: FaceRecord, kyc: KycTransaction) -> None:
    """The library's face (unchanged at the provider) now stands for a newer verification of the same person."""
    FaceRecord.objects.filter(pk=record.pk, delete_requested_at=None).update(transaction=kyc)


def flag_duplicates(kyc: KycTransaction, search: FaceSearchResult) -> None:
    """Record the other accounts whose face matched, and tell the site once the commit stands."""
    own = face_key_for(kyc.merchant_user_id)
    matched = _record_duplicates(kyc, [match for match in search.matches if match.merchant_user_id != own])
    transaction.on_commit(
        lambda: signals.duplicate_person_found.send(sender=KycTransaction, transaction=kyc, matches=matched)
    )


def _record_duplicates(kyc: KycTransaction, matches: Iterable[FaceMatch]) -> list[KycTransaction]:
    """One row per other account whose face matched; the matching verifications, for the signal."""
    matched: list[KycTransaction] = []
    for match in matches:
        face = (
            FaceRecord.objects.present()
            .filter(account=kyc.account, face_group=match.face_group, face_key=match.merchant_user_id)
            .select_related("transaction")
            .first()
        )
        other = face.transaction if face is not None else None
        DuplicateMatch.objects.get_or_create(
            transaction=kyc,
            merchant_user_id=match.merchant_user_id,
            defaults={
                "face_record": face,
                "matched_transaction": other,
                "face_group": match.face_group,
                "face_id": match.face_id,
            },
        )
        if other is not None and other not in matched:
            matched.append(other)
    return matched
