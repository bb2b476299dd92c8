"""Staff decide about a flagged face: accept it as the user's reference face (the face re-verification trusts).

A flag (another person than the reference, another document, a reference set without a document) never resolves
by itself: accepting the face is a staff decision (:func:`django_ekyc.services.review.decide`, an approval), and
this module is its provider part and its effect on the face, both on record in the verification's history.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycError, InvalidInput, ProviderCallFailed
from django_ekyc.models import (
    FLAGGED_STATUSES,
    EventKind,
    EventSource,
    FaceRecord,
    FaceStatus,
    KycTransaction,
    KycTransactionEvent,
    Status,
)
from django_ekyc.services import duplicates, ledger, references


@dataclass(frozen=True)
class Acceptance:
    """What the provider was asked for a flagged face to become the reference: the library's face id (when the
    library's entry was replaced) and the calls made, to be written with the decision."""

    face_status: str
    face_id: str = ""
    records: tuple[KycTransactionEvent, ...] = ()


def check_acceptable(kyc: KycTransaction) -> None:
    """Refuse (``not_flagged``) a face that is not flagged: only those wait for this decision."""
    if kyc.status != Status.PASSED or kyc.face_status not in FLAGGED_STATUSES:
        raise InvalidInput("face_status", "not_flagged", _("Only a flagged face can be accepted as the reference."))


def prepare_acceptance(kyc: KycTransaction, client: EkycClient | None = None) -> Acceptance:
    """The provider's part of accepting a flagged face (replacing the user's face in the library, with
    ``FaceVerifyIntl`` and ``UpdateFaceIfUserExists=Y``), before anything changes here. Raises
    :class:`~django_ekyc.exceptions.InvalidInput` (``not_flagged``, ``no_face``, ``face_of_another_account``)
    and :class:`~django_ekyc.exceptions.ProviderCallFailed`; the calls made are on record either way."""
    check_acceptable(kyc)
    if not ekyc_settings.FACE_LIBRARY or kyc.face_status == FaceStatus.UNVERIFIED_REFERENCE:
        return Acceptance(kyc.face_status)
    face_id, records = _replace_library_face(kyc, client or get_client(kyc.account))
    return Acceptance(kyc.face_status, face_id, tuple(records))


def apply_acceptance(kyc: KycTransaction, acceptance: Acceptance, *, staff: Any) -> bool:
    """Make the face the user's reference, in the caller's transaction; False if another decision moved the face
    first (the provider calls are written either way)."""
    for record in acceptance.records:
        ledger.write(record)
    moved = KycTransaction.objects.filter(pk=kyc.pk, face_status=acceptance.face_status).update(
        face_status=FaceStatus.ACCEPTED, reference_at=timezone.now(), next_check_at=None
    )
    if not moved:
        return False
    if ekyc_settings.FACE_LIBRARY and acceptance.face_status != FaceStatus.UNVERIFIED_REFERENCE:
        _library_entry_is(kyc, acceptance.face_id)
    who = f"{staff.get_username()} (id {staff.pk})"
    message = f"accepted as the reference face by {who}, was {acceptance.face_status}"
    ledger.record_event(kyc, EventKind.FACE, EventSource.ADMIN, code=FaceStatus.ACCEPTED, message=message)
    return True


def _replace_library_face(kyc: KycTransaction, client: EkycClient) -> tuple[str, list[KycTransactionEvent]]:
    image = references.kept_picture(kyc)
    records: list[KycTransactionEvent] = []
    try:
        if not image:
            result, record = ledger.recorded_check_result(kyc, EventSource.ADMIN, client, with_images=True)
            image, records = result.face_image, [record]
        if not image:
            raise InvalidInput("face_status", "no_face", _("The provider no longer has this verification's face."))
        library = str(ekyc_settings.FACE_LIBRARY)
        search, record = ledger.recorded_call(
            kyc,
            "FaceVerifyIntl",
            EventSource.ADMIN,
            functools.partial(
                client.search_face,
                merchant_biz_id=kyc.merchant_biz_id,
                merchant_user_id=references.face_key_for(kyc.merchant_user_id),
                face_picture=image,
                face_groups=[library],
                register_into=library,
                extra={"UpdateFaceIfUserExists": "Y"},
            ),
        )
    except (EkycError, InvalidInput) as err:
        for done in records:  # the calls that succeeded before this one stay on record
            ledger.write(done)
        if isinstance(err, InvalidInput):
            raise
        raise ProviderCallFailed(kyc, err) from err
    records.append(record)
    own = references.face_key_for(kyc.merchant_user_id)
    if any(match.merchant_user_id != own for match in search.matches):
        for done in records:
            ledger.write(done)
        raise InvalidInput(
            "face_status", "face_of_another_account", _("This face is registered for another account: not accepted.")
        )
    return search.registration_id, records


def _library_entry_is(kyc: KycTransaction, face_id: str) -> None:
    """The user's entry in the library now holds this verification's face."""
    if kyc.user_id is None:  # an erased person has no entry to hold it
        return
    present = FaceRecord.objects.present().filter(user_id=kyc.user_id, face_group=str(ekyc_settings.FACE_LIBRARY))
    if present.exists():
        present.update(transaction=kyc, **({"face_id": face_id} if face_id else {}))
    else:
        duplicates.keep_face_record(kyc, face_id)
