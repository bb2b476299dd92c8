"""What the site tells the provider about itself and its users: its URLs, the account a verification uses, and
the ids the provider sees (a keyed hash of the user, never the user's own id)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.module_loading import import_string

from django_ekyc.conf import ekyc_settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def merchant_user_id_for(user: AbstractBaseUser) -> str:
    """A keyed hash of the user's id: stable per user, meaningless to the provider."""
    key = ekyc_settings.MERCHANT_USER_ID_KEY or f"django_ekyc.merchant_user_id:{settings.SECRET_KEY}"
    return hmac.new(key.encode(), f"{user._meta.label_lower}:{user.pk}".encode(), hashlib.sha256).hexdigest()


def absolute_url_builder(request: HttpRequest) -> Callable[[str], str]:
    """Build absolute URLs from ``PUBLIC_BASE_URL`` or else from the (ALLOWED_HOSTS-checked) request."""
    base = ekyc_settings.PUBLIC_BASE_URL
    if base:
        return lambda path: base.rstrip("/") + path
    return lambda path: str(request.build_absolute_uri(path))


def resolve_account(request: HttpRequest, user: AbstractBaseUser) -> str:
    """The account a new verification uses: ``ACCOUNT_RESOLVER(request, user)``, or "" (the default)."""
    resolver = ekyc_settings.ACCOUNT_RESOLVER
    if not resolver:
        return ""
    function = import_string(resolver) if isinstance(resolver, str) else resolver
    return str(function(request, user) or "")


def callback_url_for(build_url: Callable[[str], str]) -> str | None:
    """The provider only calls https URLs; loopback http is kept for the simulator."""
    if not ekyc_settings.CALLBACK_ENABLED:
        return None
    url = build_url(reverse("django_ekyc:callback"))
    if url.startswith("https://") or (urlsplit(url).hostname or "") in LOOPBACK_HOSTS:
        return url
    return None
