"""Re-verification: is the person doing this now the one who passed verification?

The reference is always the server's: the face the user registered in the site's face library when they passed
(``REVERIFY_PRODUCT = "FACE_IDU"``, a liveness check searched against ``FACE_LIBRARY``), or an encrypted copy of
the face of their latest passed verification (``"FACE_VERIFY"``, a liveness check compared with that picture,
which the site supplies). Nothing in the request picks the reference, the product or its parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from django_ekyc.catalogue.products import Channel, Product
from django_ekyc.client import EkycClient
from django_ekyc.client.faces import MAX_RETURN_FACES
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput, NothingToCompare
from django_ekyc.models import EventSource, KycTransaction, Purpose, User
from django_ekyc.offering import account_region, get_product
from django_ekyc.services import references
from django_ekyc.services.flow import Attempt, Started, open_and_initialize
from django_ekyc.validation import validate_channel, validate_meta_info, validate_region

MaxAge = timedelta | int | float | None


def as_max_age(value: MaxAge) -> timedelta | None:
    """``max_age`` as a guard takes it: seconds or a ``timedelta`` (None: any age)."""
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TypeError("max_age must be a number of seconds or a timedelta.")
    return timedelta(seconds=value)


def reference_for(user: AbstractBaseUser) -> KycTransaction:
    """The verification a re-verification compares with: the one the user's reference face comes from (a passed
    document verification, or a face staff accepted), with what ``REVERIFY_PRODUCT`` needs (the face in the
    library, or a kept picture). A reference that awaits a staff decision is not one."""
    reference = references.current_reference(user.pk) if user.pk is not None else None
    usable = reference is not None and reference.trusted
    if usable and reference is not None and references.library_reverification():
        usable = reference.library_face is not None
    elif usable and reference is not None:
        usable = reference.picture is not None
    if reference is None or not usable:
        raise NothingToCompare(_("There is no passed verification to compare with: verify first."))
    return reference.transaction


def start_reverification(
    *,
    user: AbstractBaseUser,
    meta_info: str,
    build_url: Callable[[str], str],
    channel: str = "",
    source: EventSource | str = EventSource.API,
    client: EkycClient | None = None,
) -> Started:
    """Start a face check of ``user`` against their own latest passed verification.

    Raises :class:`~django_ekyc.exceptions.InvalidInput` when re-verification is off or the input is bad, and
    :class:`~django_ekyc.exceptions.NothingToCompare` when the user has no passed verification to compare with;
    both before anything is saved or sent.
    """
    product_code = ekyc_settings.REVERIFY_PRODUCT
    product = get_product(product_code or "")
    if product is None:
        raise InvalidInput("purpose", "reverify_not_enabled", _("Re-verification is not enabled on this site."))
    meta = validate_meta_info(meta_info)
    device = validate_channel(channel, meta)
    reference = reference_for(user)
    validate_region(product, account_region(reference.account))
    return open_and_initialize(
        Attempt(
            user=user,
            account=reference.account,
            product_code=product.code,
            channel=device,
            purpose=Purpose.REVERIFY,
            reverify_of=reference,
        ),
        meta_info=meta.text,
        build_url=build_url,
        provider_parameters=_reference_parameters(product, reference),
        source=source,
        client=client,
    )


def _reference_parameters(product: Product, reference: KycTransaction) -> dict[str, str]:
    if product.compares_supplied_face:
        # The picture travels in the signed form body (as the SDK sends FacePictureBase64), never in a URL.
        return {"FacePictureBase64": references.kept_picture(reference) or ""}
    return {
        "VerifyModel": "0",  # search the library
        "FaceGroupCodes": str(ekyc_settings.FACE_LIBRARY),
        "ReturnFaces": str(MAX_RETURN_FACES),
        "AutoRegistration": "1",  # the provider's "do not register": a re-verification adds no face
    }


def latest_reverification(user: User, *, max_age: MaxAge = None, hosted_only: bool = False) -> KycTransaction | None:
    """The user's most recent passed re-verification within ``max_age`` (seconds or a timedelta); with
    ``hosted_only``, on the provider's page or app SDK only, not from a still picture the site captured."""
    found = KycTransaction.objects.latest_passed(user, max_age=as_max_age(max_age), purpose=Purpose.REVERIFY)
    if found is None or not hosted_only or found.channel != Channel.SERVER:
        return found
    rows = KycTransaction.objects.passed(max_age=as_max_age(max_age), purpose=Purpose.REVERIFY).for_user(user)
    return rows.exclude(channel=Channel.SERVER).order_by("-completed_at", "-id").first()


def is_reverified(user: User, *, max_age: MaxAge = None, hosted_only: bool = False) -> bool:
    """Whether the user proved within ``max_age`` (seconds or a timedelta) that they are still the person who
    passed verification: the guard for a high-risk action (a large withdrawal, new payout details). A step-up from
    a picture the site captured counts unless ``hosted_only``: it has no active liveness."""
    return latest_reverification(user, max_age=max_age, hosted_only=hosted_only) is not None
