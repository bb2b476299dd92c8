"""One person, one account, checked on a picture the site holds: its face searched in the site's face library.

For the site's own code only (a picture its camera took, after a liveness check it trusts), never for a request
of the user: anyone can upload a stranger's photo, and the answer would tell whether that stranger has an
account here, and flag that account. The API refuses it.

``FACE_IDU_MIN`` (the library search, ``FaceVerifyIntl``) looks for the person in ``FACE_LIBRARY``; a face of
another account is a duplicate person, recorded as the hosted flow records one (a ``DuplicateMatch`` per other
account, ``duplicate_person_found`` once after the commit, ``face_status`` ``duplicate``) and the check fails with
no code the user could read it from. Nothing is
registered: only a verified document may put a face in the library (a still picture never sets the reference).
"""

from __future__ import annotations

import dataclasses

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import EventSource, FaceStatus, KycTransaction
from django_ekyc.results import FaceSearchResult, PictureResult
from django_ekyc.services import duplicates, references
from django_ekyc.services.picture_attempts import complete, open_check, recorded
from django_ekyc.services.pictures import plan_check

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
    client = client or get_client(account)
    kyc = open_check(plan)
    own_key = references.face_key_for(kyc.merchant_user_id)
    search, record = recorded(
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
    others = tuple(match for match in search.matches if match.merchant_user_id != own_key)

    def flag(settled: KycTransaction) -> None:
        if others:
            duplicates.flag_duplicates(settled, dataclasses.replace(search, matches=others))

    # The user is never told that another account exists: staff read face_status, the caller a plain failure.
    return complete(
        kyc,
        plan,
        _as_picture_result(search, bool(others)),
        record,
        (not others, ""),
        source=source,
        client=client,
        fields={"face_status": FaceStatus.DUPLICATE if others else FaceStatus.NOT_REGISTERED},
        after=flag,
    )


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
