"""Signed webhooks: how the outbox's worker signs what it sends, and how a receiver checks it.

Each delivery carries three headers: ``Ekyc-Event-Id`` (the event's UUID), ``Ekyc-Timestamp`` (unix seconds) and
``Ekyc-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>``. The timestamp is signed with the body,
so that a captured request cannot be replayed later than the receiver's tolerance; within it, a receiver drops a
duplicate by its event id (the worker delivers at least once: the same event may arrive twice). Pure Python, no
Django: a receiving site imports this module alone (see ``docs/webhooks.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookSignatureError",
    "sign",
    "signed_headers",
    "verify",
]

EVENT_ID_HEADER = "Ekyc-Event-Id"
TIMESTAMP_HEADER = "Ekyc-Timestamp"
SIGNATURE_HEADER = "Ekyc-Signature"
SCHEME = "v1"  # a later scheme gets another prefix; receivers accept the schemes they know


class WebhookSignatureError(ValueError):
    """A webhook request that is not ours, altered, or too old: answer it 400 and do nothing."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the endpoint's secret."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of one delivery of ``body`` (the exact bytes sent), signed at ``now`` (default: the clock)."""
    timestamp = int(time.time() if now is None else now)
    return {
        EVENT_ID_HEADER: str(event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SCHEME}={sign(secret, timestamp, body)}",
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (``request.headers``, a WSGI environ-like dict, a plain dict)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((given for key, given in headers.items() if key.lower() == lowered), None)
    if not value:
        raise WebhookSignatureError(f"missing {name} header")
    return str(value).strip()


def verify(
    secret: str, body: bytes, headers: Mapping[str, str], *, tolerance: float = 300, now: float | None = None
) -> str:
    """Check a received webhook; return its event id, or raise :class:`WebhookSignatureError`.

    ``body`` is the raw request body (``request.body``: not re-serialised JSON, whose bytes may differ). A
    signature is refused when a header is missing, when no ``v1=`` signature matches (compared in constant time:
    the comparison's duration says nothing of how much matched), or when the timestamp is more than
    ``tolerance`` seconds from ``now``: a replay. The id returned is the signed body's (``Ekyc-Event-Id`` must
    say the same). Within the tolerance a replay passes this check, so receivers also drop events whose id they
    have already processed.
    """
    event_id = _header(headers, EVENT_ID_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    given = _header(headers, SIGNATURE_HEADER)
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookSignatureError("malformed timestamp") from None
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        raise WebhookSignatureError("timestamp outside the tolerance (a replay, or a clock far off)")
    expected = sign(secret, timestamp, body).encode("ascii")
    candidates = [part.strip()[len(SCHEME) + 1 :] for part in given.split(",") if part.strip().startswith(f"{SCHEME}=")]
    # Every candidate is compared (no early exit on a match), each in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise WebhookSignatureError("signature does not match")
    # The header is not signed; the body's id is: a duplicate must not pass under another id.
    try:
        signed_id = json.loads(body).get("id")
    except (ValueError, AttributeError):
        raise WebhookSignatureError("the body is not an event") from None
    if str(signed_id) != event_id:
        raise WebhookSignatureError(f"{EVENT_ID_HEADER} is not the signed event's id")
    return event_id
