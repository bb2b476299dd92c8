"""Checks of the encryption of identity data: E004 / W004, E005."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.conf import EkycSettings


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return _encryption(ekyc.ENCRYPTION_KEYS)


def _encryption(keys: Sequence[str]) -> list[CheckMessage]:
    if not keys:
        message = "EKYC ENCRYPTION_KEYS is empty: identity data is encrypted with a key derived from SECRET_KEY."
        hint = "Generate one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        if settings.DEBUG:
            return [Warning(message, hint=hint, id="django_ekyc.W004")]
        return [Error(message, hint=hint, id="django_ekyc.E004")]
    for position, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return [Error(f"EKYC ENCRYPTION_KEYS[{position}] is not a Fernet key.", id="django_ekyc.E005")]
    return []
