"""Checks from the site's own pictures: one billed call, recorded like every verification.

:func:`run_picture_check` checks everything it can before anything is saved (the check is offered here, in this
region, for this document, the user's budget is not spent, the consent the request carries is the current text,
the pictures are images within the check's limits), then opens the attempt in one commit with the budget held
and the consent recorded (:mod:`~django_ekyc.services.picture_attempts`), makes the one call, outside any lock,
and applies the verdict once through the ledger (``created`` to ``passed``, ``failed`` or ``error``). A picture the
provider refuses fails the attempt with the provider's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureCheck
from django_ekyc.client import EkycClient, get_client
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.imaging import PictureProblem, PreparedPicture, prepare_picture
from django_ekyc.models import EventSource, KycTransaction
from django_ekyc.offering import account_region
from django_ekyc.results.pictures import PictureResult
from django_ekyc.services.consent import check_consent
from django_ekyc.services.picture_attempts import CheckPlan, complete, open_check, recorded, refuse_when_spent
from django_ekyc.text import join_list

__all__ = ["run_picture_check"]


def offered_check(code: str) -> PictureCheck:
    """The check ``code``, if the site offers it (``PICTURE_CHECKS``) and the catalogue knows it."""
    check = PICTURE_CHECKS.get(code)
    if check is None or code not in ekyc_settings.PICTURE_CHECKS:
        offered = join_list(ekyc_settings.PICTURE_CHECKS) or _("none")
        raise InvalidInput("check", "check_not_offered", _("This site offers no such check (it offers: %s).") % offered)
    return check


def prepared_pictures(check: PictureCheck, pictures: Mapping[str, bytes]) -> dict[str, PreparedPicture]:
    """Each picture the check takes, decoded and checked; the first problem is refused under its field."""
    prepared = {}
    for picture in check.pictures:
        data = pictures.get(picture.name)
        if not data:
            raise InvalidInput(picture.name, "picture_required", _("This check needs this picture."))
        try:
            prepared[picture.name] = prepare_picture(data, check.limits_for(picture))
        except PictureProblem as problem:
            raise InvalidInput(picture.name, problem.code, problem.message) from problem
    return prepared


def plan_check(
    *,
    user: AbstractBaseUser,
    check_code: str,
    pictures: Mapping[str, bytes],
    consent_version: str,
    doc_type: str = "",
    account: str = "",
) -> CheckPlan:
    """Everything a check needs, validated before anything is saved or sent."""
    check = offered_check(check_code)
    region = account_region(account)
    if region not in check.regions:
        raise InvalidInput("check", "check_not_in_region", _("This check is not offered in the site's region."))
    _check_doc_type(check, doc_type, region)
    consent = check_consent(check.consent_purpose, consent_version)
    refuse_when_spent(user)  # before any picture is decoded: a spent budget costs the site nothing
    return CheckPlan(check, user, account, prepared_pictures(check, pictures), consent, doc_type)


def _check_doc_type(check: PictureCheck, doc_type: str, region: str) -> None:
    if check.doc_types and doc_type not in check.doc_types:
        raise InvalidInput("doc_type", "unknown_doc_type", _("This check does not read this kind of document."))
    if check.doc_types and doc_type not in check.doc_types_in(region):
        raise InvalidInput("doc_type", "doc_type_not_in_region", _("This check does not read it in this region."))
    if not check.doc_types and doc_type:
        raise InvalidInput("doc_type", "doc_type_not_applicable", _("This check reads no document."))


def run_picture_check(
    *,
    user: AbstractBaseUser,
    check_code: str,
    pictures: Mapping[str, bytes],
    consent_version: str,
    doc_type: str = "",
    account: str = "",
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> KycTransaction:
    """Run one check from pictures (raw bytes, by the names of its entry: ``face``, ``reference``, ``document``).

    ``consent_version`` is the version of the consent text the user agreed to in this request (their own act).
    Raises :class:`~django_ekyc.exceptions.InvalidInput` before anything is saved or sent,
    :class:`~django_ekyc.exceptions.CheckBudgetExhausted` when the user's daily budget is spent (nothing saved),
    and :class:`~django_ekyc.exceptions.ProviderCallFailed` with the attempt (``failed`` with the provider's code
    when it refused a picture, else ``error``)."""
    plan = plan_check(
        user=user,
        check_code=check_code,
        pictures=pictures,
        consent_version=consent_version,
        doc_type=doc_type,
        account=account,
    )
    if plan.check.searches_library:
        raise InvalidInput("check", "check_not_offered", _("A face library search runs through check_duplicates()."))
    return execute(plan, source=source, client=client)


def single_call(client: EkycClient, pictures: Mapping[str, PreparedPicture], kyc: KycTransaction) -> PictureResult:
    """The check's one call, as its catalogue entry builds it, with the site's options."""
    return client.check_pictures(
        kyc.product_code,
        merchant_biz_id=kyc.merchant_biz_id,
        merchant_user_id=kyc.merchant_user_id,
        pictures={name: picture.base64 for name, picture in pictures.items()},
        doc_type=kyc.doc_type,
        options=ekyc_settings.PICTURE_CHECK_OPTIONS.get(kyc.product_code),
    )


def execute(plan: CheckPlan, *, source: EventSource | str, client: EkycClient | None) -> KycTransaction:
    """Open the attempt, make the call, apply the verdict once. The client is had before the attempt is opened:
    a site that cannot call the provider saves nothing."""
    client = client or get_client(plan.account)
    kyc = open_check(plan)
    result, record = recorded(kyc, plan.check.operation, source, lambda: single_call(client, plan.pictures, kyc))
    return complete(kyc, plan, result, record, check_verdict(kyc, result), source=source, client=client)


def check_verdict(kyc: KycTransaction, result: PictureResult) -> tuple[bool, str]:
    """(passed, this app's code for why not): the provider's verdict, explained by what the check looks at."""
    check = PICTURE_CHECKS[kyc.product_code]
    if result.passed:
        return True, ""
    if check.screens_deepfake:
        return False, "deepfake_suspected"
    if check.checks_liveness and result.attacked:
        return False, "liveness_failed"
    if check.compares_faces and result.comparison_score is not None and not check.reads_document:
        return False, "faces_differ"
    return False, ""


def identity_of(kyc: KycTransaction) -> Mapping[str, Any]:
    """What a reading check found on the document, for its user: the normalised facts, never the images."""
    facts = kyc.document
    return {name: value for name, value in vars(facts).items() if value} if kyc.ocr_fields else {}
