"""Staff decide about a flagged face: accept it as the user's reference face (the face re-verification trusts).

A flag (another person than the reference, another document, a reference set without a document) never resolves
by itself; only a staff member with the ``accept_reference_face`` permission moves it, and the decision is on
record in the verification's history (who, when) and in Django's admin log.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
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


def accept_reference_face(kyc: KycTransaction, *, staff: Any, client: EkycClient | None = None) -> KycTransaction:
    """Make a flagged verification's face the user's reference, on a staff member's decision.

    With a face library whose entry for the user holds another face, the library's entry is replaced with this
    verification's face (``FaceVerifyIntl`` with ``UpdateFaceIfUserExists=Y``), so that re-verification finds it.
    Raises :class:`~django_ekyc.exceptions.InvalidInput` (``not_flagged``, ``face_of_another_account``) and
    :class:`~django_ekyc.exceptions.ProviderCallFailed`; nothing changes then.
    """
    kyc.refresh_from_db()
    if kyc.status != Status.PASSED or kyc.face_status not in FLAGGED_STATUSES:
        raise InvalidInput("face_status", "not_flagged", _("Only a flagged face can be accepted as the reference."))
    records: list[KycTransactionEvent] = []
    face_id = ""
    if ekyc_settings.FACE_LIBRARY and kyc.face_status != FaceStatus.UNVERIFIED_REFERENCE:
        face_id, records = _replace_library_face(kyc, client or get_client(kyc.account))
    with transaction.atomic():
        for record in records:
            record.save()
        moved = KycTransaction.objects.filter(pk=kyc.pk, face_status=kyc.face_status).update(
            face_status=FaceStatus.ACCEPTED, reference_at=timezone.now(), next_check_at=None
        )
        if moved:
            if ekyc_settings.FACE_LIBRARY and kyc.face_status != FaceStatus.UNVERIFIED_REFERENCE:
                _library_entry_is(kyc, face_id)
            who = f"{staff.get_username()} (id {staff.pk})"
            message = f"accepted as the reference face by {who}, was {kyc.face_status}"
            ledger.record_event(kyc, EventKind.FACE, EventSource.ADMIN, code=FaceStatus.ACCEPTED, message=message)
    kyc.refresh_from_db()
    return kyc


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
    except EkycError as err:
        raise ProviderCallFailed(kyc, err) from err
    records.append(record)
    own = references.face_key_for(kyc.merchant_user_id)
    if any(match.merchant_user_id != own for match in search.matches):
        for done in records:
            done.save()
        raise InvalidInput(
            "face_status", "face_of_another_account", _("This face is registered for another account: not accepted.")
        )
    return search.registration_id, records


def _library_entry_is(kyc: KycTransaction, face_id: str) -> None:
    """The user's entry in the library now holds this verification's face."""
    present = FaceRecord.objects.present().filter(user_id=kyc.user_id, face_group=str(ekyc_settings.FACE_LIBRARY))
    if present.exists():
        present.update(transaction=kyc, **({"face_id": face_id} if face_id else {}))
    else:
        duplicates.keep_face_record(kyc, face_id)
