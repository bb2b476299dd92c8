"""``EncryptedJSONField``: JSON stored as a Fernet token, readable only with the configured keys."""

from __future__ import annotations

from typing import Any

from django.db import models

from django_ekyc.crypto import decrypt_json, encrypt_json
from django_ekyc.exceptions import UnreadableIdentityData


class Ciphertext:
    """A stored token passed through as is: a value whose key is gone (shown as such, and written
    back unchanged if saved), or a token re-encrypted by ``ekyc_reencrypt``."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<encrypted with an unknown key>"


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    description = "JSON, encrypted with Fernet"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            return decrypt_json(value)
        except UnreadableIdentityData:
            return Ciphertext(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return value.token
        return encrypt_json(value)
