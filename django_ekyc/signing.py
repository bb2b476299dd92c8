"""ACS3-HMAC-SHA256 request signing (Alibaba Cloud signature V3).

Pure standard library so that the client, the simulator and anyone debugging a
``SignatureDoesNotMatch`` can share one definition of the canonical request.
Both sides of the protocol live here: :func:`sign_request` for callers and
:func:`verify_request` for the simulator, which must reject exactly what the
provider's gateway rejects.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()

# Headers that must be covered by every signature we make or accept. Signing
# ``host`` binds the signature to the endpoint; the ``x-acs-*`` headers carry the
# action, version, time and nonce that make a signature unique and fresh.
REQUIRED_SIGNED_HEADERS = frozenset(
    {
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    }
)

_AUTHORIZATION_RE = re.compile(
    r"^(?P<algorithm>[A-Z0-9-]+)\s+"
    r"Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]+)$"
)


def percent_encode(value: str) -> str:
    """Encode per RFC 3986: only unreserved characters (``A-Za-z0-9-_.~``) stay literal.

    ``urllib.parse.quote`` with an empty ``safe`` set does exactly that, and
    encodes text as UTF-8 first, so spaces become ``%20`` (never ``+``), ``*``
    becomes ``%2A`` and ``~`` is kept, as the gateway expects.
    """
    return quote(value, safe="")


def encode_path(path: str) -> str:
    """Encode a request path, keeping the ``/`` separators."""
    return quote(path or "/", safe="/")


def canonical_query_string(params: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """Sort encoded ``key=value`` pairs by key (then value) and join them with ``&``."""
    items = params.items() if isinstance(params, Mapping) else params
    encoded = sorted((percent_encode(key), percent_encode(value)) for key, value in items)
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_headers(headers: Mapping[str, str], signed_headers: Iterable[str]) -> str:
    """Render the signed headers as ``name:value\\n`` lines, names lowercased and sorted."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return "".join(f"{name}:{lowered[name].strip()}\n" for name in sorted(signed_headers))


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] | Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    body_hash: str,
) -> str:
    names = sorted(name.lower() for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            encode_path(path),
            canonical_query_string(query),
            canonical_headers(headers, names),
            ";".join(names),
            body_hash,
        ]
    )


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def signature(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_header(access_key_id: str, signed_headers: Iterable[str], sig: str) -> str:
    names = ";".join(sorted(name.lower() for name in signed_headers))
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={sig}"


def default_signed_headers(headers: Mapping[str, str]) -> list[str]:
    """Sign ``host``, ``content-type`` and every ``x-acs-*`` header, as the spec asks.

    ``user-agent`` and ``accept`` are left out on purpose: proxies may rewrite them
    and they carry nothing the provider needs protected.
    """
    names = {name.lower() for name in headers}
    return sorted(n for n in names if n in ("host", "content-type") or n.startswith("x-acs-"))


def sign_request(
    *,
    access_key_id: str,
    access_key_secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes = b"",
) -> dict[str, str]:
    """Return ``headers`` plus ``x-acs-content-sha256`` and ``Authorization``.

    The caller supplies ``host`` and the ``x-acs-*`` headers (action, version,
    date, nonce); this function never invents time or randomness, which keeps it
    reproducible for the official test vector.
    """
    signed = {name.lower(): value for name, value in headers.items()}
    signed["x-acs-content-sha256"] = payload_hash(body)
    names = default_signed_headers(signed)
    canonical = canonical_request(method, path, query, signed, names, signed["x-acs-content-sha256"])
    sig = signature(access_key_secret, string_to_sign(canonical))
    return {**signed, "Authorization": authorization_header(access_key_id, names, sig)}


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``Authorization`` header, as a verifier needs them."""

    algorithm: str
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


class MalformedAuthorization(ValueError):
    """The ``Authorization`` header is missing or is not an ACS3 header."""


def parse_authorization(value: str | None) -> Authorization:
    match = _AUTHORIZATION_RE.match((value or "").strip())
    if not match:
        raise MalformedAuthorization("Authorization header is missing or malformed")
    names = tuple(name.strip().lower() for name in match["signed_headers"].split(";") if name.strip())
    return Authorization(
        algorithm=match["algorithm"],
        access_key_id=match["credential"],
        signed_headers=names,
        signature=match["signature"].lower(),
    )


def verify_signature(
    *,
    authorization: Authorization,
    access_key_secret: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body_hash: str,
) -> tuple[bool, str]:
    """Recompute the signature over the headers the caller chose to sign.

    Returns ``(matches, string_to_sign)``; the string to sign is what a gateway
    reports back on a mismatch so that a client can compare it with its own.
    """
    canonical = canonical_request(method, path, query, headers, authorization.signed_headers, body_hash)
    to_sign = string_to_sign(canonical)
    expected = signature(access_key_secret, to_sign)
    return hmac.compare_digest(expected, authorization.signature), to_sign
