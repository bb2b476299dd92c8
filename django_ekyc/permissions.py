"""DRF permissions that guard an endpoint behind a verification: ``IsVerified`` and ``IsReverified``.

Use them after ``IsAuthenticated``. They answer True or False, as DRF permissions do, so that they compose with
``|``, ``&`` and ``~``; when one of them is what refuses, DRF answers 403 with its ``message`` and ``code``
(``verification_required`` or ``reverification_required``), so a frontend knows to start a verification
(``purpose`` ``"reverify"`` for the second). ``IsReverified.within(seconds)`` (or a ``timedelta``) sets how recent
the re-verification must be, ``IsVerified.within(...)`` likewise; ``IsVerified.of("eKYC_PRO", ...)`` which
products count (by default those that verify a document).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, cast

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from django_ekyc import services
from django_ekyc.models.transaction import ProductCodes, as_product_codes
from django_ekyc.services.reverify import MaxAge, as_max_age

__all__ = ["IsReverified", "IsVerified"]


class _VerificationPermission(BasePermission):
    max_age: ClassVar[MaxAge] = None
    # Read by DRF's APIView.permission_denied when this permission refuses.
    code: ClassVar[str] = ""
    message: ClassVar[Any] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        as_max_age(cls.max_age)  # a wrong max_age fails where the class is made, not at the first request

    @classmethod
    def within(cls, max_age: MaxAge) -> type[Self]:
        """This permission with another ``max_age`` (seconds or a timedelta)."""
        return cast(type[Self], type(f"{cls.__name__}Within", (cls,), {"max_age": max_age}))

    def qualifies(self, user: Any) -> bool:
        raise NotImplementedError

    def has_permission(self, request: Request, view: Any) -> bool:
        """False for a signed-out user (DRF then answers 401 or 403) and for one who does not qualify (403 with
        ``message`` and ``code``); never raises, so that ``IsVerified | IsAdminUser`` lets an admin through."""
        user = request.user
        return bool(user and user.is_authenticated and self.qualifies(user))


class IsVerified(_VerificationPermission):
    """The user passed a verification of one of ``product`` (by default: a product that verifies a document),
    within ``max_age`` if set."""

    product: ClassVar[ProductCodes] = None
    code = "verification_required"
    message = _("Verify your identity first.")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        as_product_codes(cls.product)  # an unknown ProductCode fails where the class is made

    @classmethod
    def of(cls, *product: str) -> type[Self]:
        """This permission counting the verifications of these ProductCodes instead of the default ones."""
        codes = as_product_codes(product)
        return cast(type[Self], type(f"{cls.__name__}Of", (cls,), {"product": codes}))

    def qualifies(self, user: Any) -> bool:
        return services.is_verified(user, max_age=self.max_age, product=self.product)


class IsReverified(_VerificationPermission):
    """The user re-verified within ``max_age`` (default 15 minutes)."""

    max_age = 15 * 60
    hosted_only: ClassVar[bool] = False
    code = "reverification_required"
    message = _("Confirm it is you: verify your face again.")

    def qualifies(self, user: Any) -> bool:
        return services.is_reverified(user, max_age=self.max_age, hosted_only=self.hosted_only)

    @classmethod
    def hosted(cls) -> type[Self]:
        """This permission counting only re-verifications on the provider's page or app SDK, not from a still
        picture the site captured (no active liveness)."""
        return cast(type[Self], type(f"{cls.__name__}Hosted", (cls,), {"hosted_only": True}))
