"""Temporary credentials, as STS hands them out: an AccessKey ID that starts with ``STS.``, its secret, a security
token and an expiry; and how the gateway judges the token a request carries.

The simulator issues them (``POST`` or ``GET /_sim/sts``) or registers the ones a test brings. A request signed
with such a key must carry its token in ``x-acs-security-token``, as the official SDK sends it. The codes are the
gateway's public ones (Alibaba Cloud's common error code list: ``MissingSecurityToken``,
``InvalidSecurityToken.Expired``, ``.Malformed``, ``.MismatchWithAccessKey``); ``cloudauth-intl``'s own pages do
not list them, and their status is 400 in the lists that give one (one product's pages give 403 for ``Expired``).
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django_ekyc.simulator.errors import SimulatedApiError

STS_PREFIX = "STS."
DEFAULT_DURATION_SECONDS = 3600  # AssumeRole's default DurationSeconds
# AssumeRole's longest DurationSeconds (a RAM role's longest session, 12 hours; its shortest is 900). The simulator
# takes any validity up to this long either way: shorter than 900 seconds, and negative (already expired), for tests.
MAX_DURATION_SECONDS = 43200
EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # STS's Expiration, and what a credentials URI answers


@dataclass(frozen=True)
class TemporaryCredential:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expires_at: float  # seconds since the epoch

    def as_dict(self) -> dict[str, str]:
        """Shaped as STS's ``Credentials`` object (and a credentials URI's answer, with ``Code``)."""
        return {
            "AccessKeyId": self.access_key_id,
            "AccessKeySecret": self.access_key_secret,
            "SecurityToken": self.security_token,
            "Expiration": datetime.fromtimestamp(self.expires_at, UTC).strftime(EXPIRATION_FORMAT),
        }


def issue(duration_seconds: float = DEFAULT_DURATION_SECONDS, now: float | None = None) -> TemporaryCredential:
    """New random temporary credentials, valid ``duration_seconds`` from ``now``."""
    started = time.time() if now is None else now
    return TemporaryCredential(
        access_key_id=STS_PREFIX + secrets.token_hex(12),
        access_key_secret=secrets.token_urlsafe(24),
        security_token="CAIS" + secrets.token_urlsafe(96),  # STS tokens are long opaque strings
        expires_at=started + duration_seconds,
    )


def from_payload(payload: Mapping[str, Any], now: float | None = None) -> TemporaryCredential:
    """What ``POST /_sim/sts`` asks for: ``duration_seconds`` (or ``expires_at``, epoch seconds), and optionally
    the ``access_key_id`` (``STS.``...), ``access_key_secret`` and ``security_token`` a test brings. Raises
    ValueError on a value that cannot be, before anything is issued: the validity is a finite number of seconds,
    at most :data:`MAX_DURATION_SECONDS` either side of now."""
    started = time.time() if now is None else now
    duration = payload.get("duration_seconds", DEFAULT_DURATION_SECONDS)
    if not _within_range(duration, 0.0):
        raise ValueError(
            f"duration_seconds: a number of seconds from -{MAX_DURATION_SECONDS} to {MAX_DURATION_SECONDS} "
            "(negative: already expired)."
        )
    fresh = issue(float(duration), started)
    expires_at = payload.get("expires_at", fresh.expires_at)
    if not _within_range(expires_at, started):
        raise ValueError(f"expires_at: seconds since the epoch, at most {MAX_DURATION_SECONDS} from now.")
    values = {name: payload.get(name) for name in ("access_key_id", "access_key_secret", "security_token")}
    if any(value is not None and (not isinstance(value, str) or not value) for value in values.values()):
        raise ValueError("access_key_id, access_key_secret and security_token are non-empty strings.")
    key_id = values["access_key_id"] or fresh.access_key_id
    if not key_id.startswith(STS_PREFIX):
        raise ValueError(f"access_key_id: a temporary AccessKey ID starts with {STS_PREFIX!r}.")
    return TemporaryCredential(
        key_id,
        values["access_key_secret"] or fresh.access_key_secret,
        values["security_token"] or fresh.security_token,
        float(expires_at),
    )


def _within_range(value: Any, origin: float) -> bool:
    """A number (not a bool), finite, at most MAX_DURATION_SECONDS from ``origin``: NaN and 1e300 are not."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        seconds = float(value)  # an integer too large for a float overflows
    except OverflowError:
        return False
    return math.isfinite(seconds) and abs(seconds - origin) <= MAX_DURATION_SECONDS


def check_token(
    temporary: TemporaryCredential | None,
    token: str | None,
    holder_of: Callable[[str], str | None],
    now: float,
) -> None:
    """Refuse a temporary key's request without its own, unexpired token. A long-lived key's request is not
    judged by a token it may carry (the provider's pages do not say; the simulator ignores it).

    ``holder_of(token)`` is the AccessKey ID a token was issued with (None: never issued)."""
    if temporary is None:
        return
    if not token:
        raise SimulatedApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for a temporary AccessKey.")
    if token != temporary.security_token:
        if holder_of(token) is not None:
            raise SimulatedApiError(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            )
        raise SimulatedApiError(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
    if now >= temporary.expires_at:
        raise SimulatedApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
