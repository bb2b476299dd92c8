"""DRF permissions that guard an endpoint behind a verification: ``IsVerified`` and ``IsReverified``.

Use them after ``IsAuthenticated``. A user who does not qualify gets 403 with the stable code
``verification_required`` or ``reverification_required``, so a frontend knows to start one (``purpose``
``"reverify"`` for the second). ``IsReverified.within(seconds)`` (or a ``timedelta``) sets how recent the
re-verification must be; ``IsVerified.within(...)`` likewise.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from django_ekyc import services
from django_ekyc.services.reverify import MaxAge, as_max_age

__all__ = ["IsReverified", "IsVerified"]


class _VerificationPermission(BasePermission):
    max_age: ClassVar[MaxAge] = None
    code: ClassVar[str] = ""
    detail: ClassVar[Any] = ""

    @classmethod
    def within(cls, max_age: MaxAge) -> type[_VerificationPermission]:
        """This permission with another ``max_age`` (seconds or a timedelta)."""
        as_max_age(max_age)
        return type(f"{cls.__name__}Within", (cls,), {"max_age": max_age})

    def qualifies(self, user: Any) -> bool:
        raise NotImplementedError

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # IsAuthenticated (or DRF) answers 401/403 for a signed-out user
        if not self.qualifies(request.user):
            raise PermissionDenied(self.detail, code=self.code)
        return True


class IsVerified(_VerificationPermission):
    """The user passed identity verification (within ``max_age``, if set)."""

    code = "verification_required"
    detail = _("Verify your identity first.")

    def qualifies(self, user: Any) -> bool:
        return services.is_verified(user, max_age=self.max_age)


class IsReverified(_VerificationPermission):
    """The user re-verified within ``max_age`` (default 15 minutes)."""

    max_age = 15 * 60
    code = "reverification_required"
    detail = _("Confirm it is you: verify your face again.")

    def qualifies(self, user: Any) -> bool:
        return services.is_reverified(user, max_age=self.max_age)
