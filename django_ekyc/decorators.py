"""View decorators that guard an action behind a verification: ``verification_required`` (the user passed
identity verification) and ``reverification_required`` (the user proved recently that they are still that person).

A signed-out user goes to the login page, as with ``login_required``. A signed-in user who does not qualify goes
to ``VERIFY_URL`` / ``REVERIFY_URL`` with ``?next=`` (where the site lets them verify), or gets 403 when the
setting is None. ``max_age`` is seconds or a ``timedelta``: how recent the proof must be. ``product`` (one
ProductCode or several) says which verifications count; by default those of a product that verifies a document.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from django_ekyc import services
from django_ekyc.conf import ekyc_settings
from django_ekyc.models.transaction import ProductCodes, as_product_codes
from django_ekyc.services.reverify import MaxAge, as_max_age

__all__ = ["reverification_required", "verification_required"]

View = TypeVar("View", bound=Callable[..., HttpResponse])


def verification_required(view: View | None = None, *, max_age: MaxAge = None, product: ProductCodes = None) -> Any:
    """Let the view run only for a user who passed verification (within ``max_age``) of one of ``product``: by
    default a product that verifies a document. A wrong ``max_age`` or an unknown ProductCode fails when the
    view is decorated, not at the first request."""
    as_max_age(max_age)
    codes = as_product_codes(product)
    return _guard(view, lambda user: services.is_verified(user, max_age=max_age, product=codes), "VERIFY_URL")


@overload
def reverification_required(view: View, *, max_age: MaxAge = 15 * 60, hosted_only: bool = False) -> View: ...


@overload
def reverification_required(
    view: None = None, *, max_age: MaxAge = 15 * 60, hosted_only: bool = False
) -> Callable[[View], View]: ...


def reverification_required(view: View | None = None, *, max_age: MaxAge = 15 * 60, hosted_only: bool = False) -> Any:
    """Let the view run only for a user who re-verified within ``max_age`` (default 15 minutes); with
    ``hosted_only``, not by a still picture the site captured."""
    as_max_age(max_age)
    return _guard(
        view, lambda user: services.is_reverified(user, max_age=max_age, hosted_only=hosted_only), "REVERIFY_URL"
    )


def _guard(view: View | None, qualifies: Callable[[Any], bool], url_setting: str) -> Any:
    def decorate(function: View) -> View:
        @wraps(function)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not qualifies(request.user):
                target = getattr(ekyc_settings, url_setting)
                if target is None:
                    raise PermissionDenied
                return redirect_to_login(request.get_full_path(), resolve_url(target))
            return function(request, *args, **kwargs)

        return cast(View, guarded)

    return decorate if view is None else decorate(view)
