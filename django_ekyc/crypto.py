"""Encryption at rest for identity data: Fernet with several keys for rotation.

``EKYC["ENCRYPTION_KEYS"]`` lists Fernet keys; the first encrypts and every one
decrypts (``MultiFernet``), so rotating is: put a new key first, run
``manage.py ekyc_reencrypt``, then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError, UnreadableIdentityData

_lock = threading.Lock()
_cached: MultiFernet | None = None


def development_key() -> bytes:
    """A key derived from SECRET_KEY, used only when no key is configured (flagged by a system check)."""
    digest = hashlib.sha256(f"django_ekyc.encryption:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> list[str]:
    return list(ekyc_settings.ENCRYPTION_KEYS)


def _build() -> MultiFernet:
    keys = configured_keys()
    try:
        fernets = [Fernet(key) for key in keys] or [Fernet(development_key())]
    except ValueError as err:  # never echo the key itself
        raise EkycConfigurationError(
            "EKYC['ENCRYPTION_KEYS'] must hold Fernet keys (32 url-safe base64 bytes)."
        ) from err
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    global _cached
    with _lock:
        if _cached is None:
            _cached = _build()
        return _cached


def encrypt_json(value: Any) -> str:
    return fernet().encrypt(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as err:
        raise UnreadableIdentityData("Identity data was encrypted with a key that is not configured.") from err


def rotate(token: str) -> str:
    """Re-encrypt a stored value under the first key."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as err:
        raise UnreadableIdentityData("Identity data was encrypted with a key that is not configured.") from err


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in ("EKYC", "SECRET_KEY"):
        with _lock:
            _cached = None
