"""Step-up from the site's camera: is the person in this picture the one who passed verification?

Two checks, both the server's choice: passive liveness of the still picture (``FACE_LIVENESS_MIN_PRO`` or
``FACE_LIVENESS_MIN``, whichever runs in the reference's region), then the comparison with the user's reference
face as re-verification compares it (``REVERIFY_PRODUCT``): a search of ``FACE_LIBRARY`` for the user's own face
(``FACE_IDU_MIN``), or ``FaceCompare`` with the kept picture. Nothing in the request picks the reference or the
checks. A still picture is weaker evidence than the hosted flow (no active liveness, a picture can be injected):
``is_reverified(..., hosted_only=True)`` lets a site refuse it for its riskiest actions.
"""

from __future__ import annotations

import dataclasses
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureCheck
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import EventSource, KycTransaction, Purpose
from django_ekyc.offering import account_region
from django_ekyc.results.pictures import PictureResult
from django_ekyc.services import references
from django_ekyc.services.consent import check_consent
from django_ekyc.services.picture_attempts import CheckPlan, complete, open_check, recorded, refuse_when_spent
from django_ekyc.services.pictures import prepared_pictures, single_call
from django_ekyc.services.reverify import reference_for

# The liveness checks a step-up may use, in the catalogue's order (the large model first), and how it compares.
LIVENESS_CHECKS = tuple(check for check in PICTURE_CHECKS.values() if check.checks_liveness)
COMPARISON = next(check for check in PICTURE_CHECKS.values() if check.compares_faces and not check.reads_document)
LIBRARY_SEARCH = next(check for check in PICTURE_CHECKS.values() if check.searches_library)


def liveness_check_in(region: str) -> PictureCheck:
    for check in LIVENESS_CHECKS:
        if region in check.regions:
            return check
    raise InvalidInput("check", "check_not_in_region", _("No liveness check from a picture runs in this region."))


def reverify_from_picture(
    *,
    user: AbstractBaseUser,
    face: bytes,
    consent_version: str,
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Re-verify ``user`` from one face picture the site captured (``REVERIFY_FROM_PICTURE``).

    Refused before anything is saved or sent: the setting off (``reverify_not_enabled``), no reference to compare
    with (:class:`~django_ekyc.exceptions.NothingToCompare`), a bad picture or consent (``InvalidInput``)."""
    if not ekyc_settings.REVERIFY_FROM_PICTURE or not ekyc_settings.REVERIFY_PRODUCT:
        raise InvalidInput("purpose", "reverify_not_enabled", _("Re-verification is not enabled on this site."))
    reference = reference_for(user)
    check = liveness_check_in(account_region(reference.account))
    consent = check_consent(check.consent_purpose, consent_version)
    refuse_when_spent(user)
    plan = CheckPlan(
        check=check,
        user=user,
        account=reference.account,
        pictures=prepared_pictures(check, {"face": face}),
        consent=consent,
        purpose=Purpose.REVERIFY,
        reverify_of=reference,
    )
    client = client or get_client(reference.account)
    kyc = open_check(plan)
    picture = plan.pictures["face"].base64
    live, record = recorded(kyc, check.operation, source, lambda: single_call(client, plan.pictures, kyc))
    if not live.passed or live.attacked:
        return complete(kyc, plan, live, record, (False, "liveness_failed"), source=source, client=client)
    record.save()  # the liveness call is history whatever the comparison does
    (same, score), record = recorded(
        kyc, _comparison_operation(), source, lambda: _same_person(client, kyc, reference, picture)
    )
    result = dataclasses.replace(live, comparison_score=score)
    verdict = (True, "") if same else (False, "not_the_same_person")
    return complete(kyc, plan, result, record, verdict, source=source, client=client)


def _comparison_operation() -> str:
    return (LIBRARY_SEARCH if references.library_reverification() else COMPARISON).operation


def _same_person(
    client: EkycClient, kyc: KycTransaction, reference: KycTransaction, picture: str
) -> tuple[bool, float | None]:
    """(same person?, the comparison score): the user's own face found in the library, or FaceCompare with the
    kept picture. A call of its own, with a business id of its own (the provider asks for unique ones)."""
    if references.library_reverification():
        found = client.search_face(
            merchant_biz_id=uuid.uuid4().hex,
            merchant_user_id=references.face_key_for(kyc.merchant_user_id),
            face_picture=picture,
            face_groups=[str(ekyc_settings.FACE_LIBRARY)],
        )
        own_key = references.face_key_for(kyc.merchant_user_id)
        mine = [match for match in found.matches if match.merchant_user_id == own_key]
        return bool(mine), mine[0].score if mine else None
    compared: PictureResult = client.check_pictures(
        COMPARISON.code,
        merchant_biz_id=uuid.uuid4().hex,
        pictures={"face": picture, "reference": references.kept_picture(reference) or ""},
    )
    return compared.passed, compared.comparison_score
