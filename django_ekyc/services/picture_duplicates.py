"""One person, one account, checked on a picture: the face the user sends searched in the site's face library.

``FACE_IDU_MIN`` (the library search, ``FaceVerifyIntl``) looks for the person in ``FACE_LIBRARY``; a face of
another account is a duplicate person, recorded as the hosted flow records one (a ``DuplicateMatch`` per other
account, ``duplicate_person_found`` once after the commit, ``face_status`` ``duplicate``) and the check fails with
no code the user could read it from. Nothing is
registered: only a verified document may put a face in the library (a still picture never sets the reference).
"""

from __future__ import annotations

import dataclasses

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from django_ekyc import signals
from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycError, InvalidInput
from django_ekyc.models import EventSource, FaceStatus, KycTransaction, Status
from django_ekyc.results import FaceSearchResult, PictureResult
from django_ekyc.services import duplicates, ledger, references
from django_ekyc.services.identity import stored_picture_result
from django_ekyc.services.pictures import _failed, open_check, plan_check

SEARCH = next(check for check in PICTURE_CHECKS.values() if check.searches_library)


def check_duplicates(
    *,
    user: AbstractBaseUser,
    face: bytes,
    consent_version: str,
    account: str = "",
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Search the site's face library for the person in ``face``; passed when no other account has them."""
    if not ekyc_settings.FACE_LIBRARY:
        raise InvalidInput("check", "check_not_offered", _("This site has no face library to search."))
    plan = plan_check(
        user=user, check_code=SEARCH.code, pictures={"face": face}, consent_version=consent_version, account=account
    )
    kyc = open_check(plan)
    client = client or get_client(kyc.account)
    own_key = references.face_key_for(kyc.merchant_user_id)
    try:
        search, record = ledger.recorded_call(
            kyc,
            SEARCH.operation,
            source,
            lambda: client.search_face(
                merchant_biz_id=kyc.merchant_biz_id,
                merchant_user_id=own_key,
                face_picture=plan.pictures["face"].base64,
                face_groups=[str(ekyc_settings.FACE_LIBRARY)],
            ),
        )
    except EkycError as err:
        raise _failed(kyc, err, source) from err
    others = [match for match in search.matches if match.merchant_user_id != own_key]
    with transaction.atomic():
        kyc, changed = ledger.transition(
            kyc,
            Status.FAILED if others else Status.PASSED,
            source,
            record=record,
            from_status=Status.CREATED,
            passed=not others,
            sub_code=search.sub_code or "",
            # The user is never told that another account exists: staff read face_status, the API a plain failure.
            transaction_id=search.transaction_id or None,
            face_status=FaceStatus.DUPLICATE if others else FaceStatus.NOT_REGISTERED,
            result=stored_picture_result(_as_picture_result(search, bool(others)), plan.pictures),
        )
        if changed and others:
            duplicates.flag_duplicates(kyc, dataclasses.replace(search, matches=tuple(others)))
    if changed:
        ledger.send_on_commit(signals.verification_completed, kyc, passed=not others)
    return kyc


def _as_picture_result(search: FaceSearchResult, duplicate: bool) -> PictureResult:
    scores = [match.score for match in search.matches if match.score is not None]
    return PictureResult(
        request_id=search.request_id,
        passed=not duplicate,
        transaction_id=search.transaction_id,
        sub_code=search.sub_code or "",
        comparison_score=max(scores) if scores else None,
        attacked=search.attacked if search.attack_score is not None else None,
        quality=search.quality,
    )
