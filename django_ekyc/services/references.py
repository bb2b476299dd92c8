"""The user's reference face: the face re-verification trusts, and the rule that guards it.

Re-verification exists to stop a session holder who is not the person, so what it compares with must not be
something a session holder can set:

- only a passed check that verified a document sets the reference (the product's entry says so:
  :attr:`~django_ekyc.catalogue.products.Product.sets_reference_face`); a liveness-only check never touches it, nor the
  face library;
- a later document verification replaces it only when the provider says its face is the same person as the
  reference (the library search finds the user's own key, or ``FaceVerifyIntl`` compares the two pictures) and,
  for the same kind of document, the document number is the same;
- otherwise the verification is flagged (``reference_conflict``, ``document_conflict``), the
  ``reference_face_conflict`` signal is sent once after the commit, and the reference stays until staff accept
  the new face (:func:`accept_reference_face`, on record).

Until the comparison is done the new verification counts as a verification, and the old reference stays.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from django_ekyc.catalogue.document_fields import document_facts
from django_ekyc.catalogue.products import Product
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import (
    REFERENCE_STATUSES,
    FaceRecord,
    FaceStatus,
    KycTransaction,
    Purpose,
    Status,
)
from django_ekyc.offering import get_product


def face_key_for(merchant_user_id: str) -> str:
    """The key a user's face is registered under: the provider takes at most 32 characters, so the first 32 of
    the user's keyed hash (128 bits: as stable, and as meaningless to the provider)."""
    return merchant_user_id[:32]


def reverify_product() -> Product | None:
    """The product re-verification uses (``REVERIFY_PRODUCT``), None when it is off."""
    return get_product(ekyc_settings.REVERIFY_PRODUCT or "")


def library_reverification() -> bool:
    """Re-verification searches the face library for the user's own face (rather than comparing with a kept
    picture)."""
    product = reverify_product()
    return product is not None and product.searches_library


def _sets_reference(kyc: KycTransaction) -> bool:
    product = get_product(kyc.product_code)
    return kyc.purpose == Purpose.VERIFY and product is not None and product.sets_reference_face


def keeps_reference_face(kyc: KycTransaction) -> bool:
    """A passed document verification keeps an encrypted copy of its face where re-verification compares with a
    picture the site supplies, or where the site needs it to compare later verifications with it."""
    product = reverify_product()
    return product is not None and product.compares_supplied_face and _sets_reference(kyc)


def face_work_enabled() -> bool:
    """Whether the site does face work after verifications at all: a face library, or kept reference faces."""
    product = reverify_product()
    return bool(ekyc_settings.FACE_LIBRARY) or (product is not None and product.compares_supplied_face)


def face_work_needed(kyc: KycTransaction) -> bool:
    """Whether a passed verification has face work after it: the library search (``FACE_LIBRARY``), or the
    comparison with the user's reference face (a kept reference)."""
    return _sets_reference(kyc) and (bool(ekyc_settings.FACE_LIBRARY) or keeps_reference_face(kyc))


@dataclass(frozen=True)
class Reference:
    """The user's reference: the verification it comes from, its face in the library (if any), its kept picture
    (if any). ``trusted`` is False for a reference set by a check without a document (flagged for staff)."""

    transaction: KycTransaction
    library_face: FaceRecord | None
    picture: str | None
    trusted: bool = True


def current_reference(user_id: Any, *, other_than: KycTransaction | None = None) -> Reference | None:
    """The user's reference face now, or None when there is none to compare with.

    With a face library, the face the library holds under the user's key is the reference (what re-verification
    by search finds), whatever verification it came from; otherwise, the latest verification accepted as the
    reference whose picture is kept.
    """
    if user_id is None:  # an erased person's: nobody's reference
        return None
    if ekyc_settings.FACE_LIBRARY:
        record = (
            FaceRecord.objects.present()
            .filter(user_id=user_id, face_group=str(ekyc_settings.FACE_LIBRARY), transaction__isnull=False)
            .select_related("transaction")
            .first()
        )
        if record is not None and record.transaction is not None and record.transaction != other_than:
            kyc = record.transaction
            return Reference(kyc, record, kept_picture(kyc), trusted=kyc.face_status in REFERENCE_STATUSES)
    rows = _references(user_id).exclude(reference_face=None)
    if other_than is not None:
        rows = rows.exclude(pk=other_than.pk)
    kyc = rows.order_by("-reference_at", "-id").first()
    return None if kyc is None else Reference(kyc, None, kept_picture(kyc))


def _references(user_id: Any) -> Any:
    return KycTransaction.objects.filter(
        user_id=user_id,
        status=Status.PASSED,
        purpose=Purpose.VERIFY,
        face_status__in=REFERENCE_STATUSES,
        identity_purged_at=None,
    )


def kept_picture(kyc: KycTransaction) -> str | None:
    """The encrypted copy of a verification's face, if it kept one."""
    face = kyc.reference_face if isinstance(kyc.reference_face, dict) else {}
    return str(face.get("image") or "") or None


def first_reference_fields(kyc: KycTransaction) -> dict[str, Any]:
    """What a passed document verification writes at completion when it becomes the user's first reference with
    no provider call (no face library, nothing to compare with); empty otherwise (the face work decides)."""
    if ekyc_settings.FACE_LIBRARY or not keeps_reference_face(kyc):
        return {}
    if current_reference(kyc.user_id, other_than=kyc) is not None or has_untrusted_reference(kyc):
        return {}
    return {"face_status": FaceStatus.REFERENCE, "reference_at": timezone.now(), "next_check_at": None}


def has_untrusted_reference(kyc: KycTransaction) -> bool:
    """Whether the user has a reference set by a check without a document, flagged for staff: later
    verifications wait for their decision."""
    return kyc.user_id is not None and (
        KycTransaction.objects.filter(user_id=kyc.user_id, face_status=FaceStatus.UNVERIFIED_REFERENCE)
        .exclude(pk=kyc.pk)
        .exists()
    )


def document_fingerprint(kyc: KycTransaction) -> str | None:
    """A keyed hash of the document number read (None when none was read): compared, never shown."""
    number = document_facts(kyc.ocr_fields).number or ""  # by the provider's documented keys
    normalised = "".join(char for char in number.upper() if char.isalnum())
    if not normalised:
        return None
    key = f"django_ekyc.document:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{kyc.doc_type}:{normalised}".encode(), "sha256").hexdigest()


def same_document(kyc: KycTransaction, reference: KycTransaction) -> bool | None:
    """Whether two verifications read the same document: None when it cannot be told (another kind of document,
    or a number not read), since a person may hold an ID card and a passport."""
    if kyc.doc_type != reference.doc_type:
        return None
    mine, theirs = document_fingerprint(kyc), document_fingerprint(reference)
    if mine is None or theirs is None:
        return None
    return hmac.compare_digest(mine, theirs)
