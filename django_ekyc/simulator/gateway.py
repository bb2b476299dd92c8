"""The API gateway's checks: ACS3 signature, clock, security token, nonce, action and version.

The order follows what a caller can learn: a malformed header is reported
before the key is looked up, the key before the signature, and a temporary
key's STS token (which must be among the signed headers, so that nobody can
swap it) and the nonce only once the signature is good: an unsigned request
learns nothing of the token, and nobody can burn another caller's nonces.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django_ekyc import signing
from django_ekyc.simulator import sts
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.state import CLOCK_SKEW_SECONDS, SimulatorState

API_VERSION = "2022-08-09"
TOKEN_HEADER = "x-acs-security-token"  # noqa: S105 - a header's name, not a token


class GatewayError(SimulatedApiError):
    """The gateway refuses the request before any operation sees it."""


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]  # names lowercased
    body: bytes


def _parse_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise GatewayError(
            400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        ) from None


def _authorization(request: IncomingRequest) -> signing.Authorization:
    try:
        auth = signing.parse_authorization(request.headers.get("authorization"))
    except signing.MalformedAuthorization:
        raise GatewayError(
            400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
        ) from None
    if auth.algorithm != signing.ALGORITHM:
        raise GatewayError(400, "IncompleteSignature", f"The signature algorithm {auth.algorithm} is not supported.")
    required = set(signing.REQUIRED_SIGNED_HEADERS)
    if request.body:
        required.add("content-type")
    missing = sorted(
        (required - set(auth.signed_headers)) | {h for h in auth.signed_headers if h not in request.headers}
    )
    if missing:
        raise GatewayError(
            400, "IncompleteSignature", f"These headers must be present and signed: {', '.join(missing)}."
        )
    return auth


def authenticate(request: IncomingRequest, state: SimulatorState, now: float) -> str:
    """Check the request as the gateway does; return the caller's AccessKey ID."""
    auth = _authorization(request)
    signed_at = _parse_date(request.headers["x-acs-date"]).timestamp()
    if abs(now - signed_at) > CLOCK_SKEW_SECONDS:
        raise GatewayError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    secret, temporary = state.signing_key(auth.access_key_id)
    if secret is None:
        raise GatewayError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    token = request.headers.get(TOKEN_HEADER)
    if temporary is not None and token and TOKEN_HEADER not in auth.signed_headers:
        raise GatewayError(400, "IncompleteSignature", f"These headers must be present and signed: {TOKEN_HEADER}.")
    body_hash = signing.payload_hash(request.body)
    if request.headers["x-acs-content-sha256"].lower() != body_hash:
        raise GatewayError(400, "SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the body.")
    matches, to_sign = signing.verify_signature(
        authorization=auth,
        access_key_secret=secret,
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body_hash=body_hash,
    )
    if not matches:
        raise GatewayError(
            400,
            "SignatureDoesNotMatch",
            f"Specified signature does not match our calculation. Server string to sign is: {to_sign!r}",
        )
    try:
        sts.check_token(temporary, token, state.token_holder, now)
    except SimulatedApiError as err:
        raise GatewayError(err.status, err.code, err.message) from None
    if not state.use_nonce(request.headers["x-acs-signature-nonce"], now):
        raise GatewayError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    return auth.access_key_id


def resolve_action(headers: Mapping[str, str], actions: Collection[str]) -> str:
    """The requested action, which must be one of ``actions`` at the supported API version."""
    version = headers.get("x-acs-version", "")
    if version != API_VERSION:
        raise GatewayError(400, "InvalidVersion", f"Specified parameter Version is not valid: {version!r}.")
    action = headers.get("x-acs-action", "")
    if action not in actions:
        raise GatewayError(404, "InvalidAction.NotFound", f"Specified api is not found: {action!r}.")
    return action
