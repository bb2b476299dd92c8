"""The one place the client reads ``settings.EKYC``: the options of a client for an account.

Accounts: ``""`` is the top-level credentials; other names come from ``ACCOUNTS``, each with its own
credentials (an AccessKey, or ``CREDENTIALS``: a provider of temporary ones) and optionally its own ``REGION`` or
``ENDPOINT``, ``RATE_LIMIT`` and ``RATE_LIMIT_GROUP`` (accounts that are RAM users of one Alibaba account share the
provider's quota, so they share a rate limit group).
"""

from __future__ import annotations

from typing import Any

from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.client.credentials import provider_from
from django_ekyc.client.slots import Limiter
from django_ekyc.conf import SIMULATOR_ACCESS_KEY_ID, SIMULATOR_ACCESS_KEY_SECRET, ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.offering import account_endpoint, account_region, default_product
from django_ekyc.ratelimit import CacheRateLimiter


def account_config(account: str = "") -> dict[str, Any]:
    """The credentials and options of ``account``: "" is the top-level settings, others come from ACCOUNTS.

    In development mode (``SIMULATOR_URL``) a site without credentials uses the AccessKey the simulator accepts.
    """
    if not account:
        key_id, secret, provider = (
            ekyc_settings.ACCESS_KEY_ID,
            ekyc_settings.ACCESS_KEY_SECRET,
            ekyc_settings.CREDENTIALS,
        )
        if ekyc_settings.SIMULATOR_URL and not key_id and not secret and provider is None:
            key_id, secret = SIMULATOR_ACCESS_KEY_ID, SIMULATOR_ACCESS_KEY_SECRET
        return {"ACCESS_KEY_ID": key_id, "ACCESS_KEY_SECRET": secret, "CREDENTIALS": provider}
    accounts = ekyc_settings.ACCOUNTS
    if account not in accounts:
        raise EkycConfigurationError(f"Unknown eKYC account {account!r}: add it to EKYC['ACCOUNTS'].")
    return dict(accounts[account])


def client_options(account: str = "") -> dict[str, Any]:
    """Keyword arguments for ``EkycClient`` built from settings for ``account``."""
    config = account_config(account)
    return {
        **signing_options(config, account),
        "endpoint": account_endpoint(account),
        "timeout": ekyc_settings.TIMEOUT,
        "max_retries": ekyc_settings.MAX_RETRIES,
        "retry_backoff": ekyc_settings.RETRY_BACKOFF,
        "retry_max_wait": ekyc_settings.RETRY_MAX_WAIT,
        "pool_maxsize": ekyc_settings.POOL_MAXSIZE,
        "product_code": default_product().code,
        "initialize_defaults": ekyc_settings.INITIALIZE_DEFAULTS,
        "product_defaults": ekyc_settings.PRODUCT_INITIALIZE_DEFAULTS,
        "rate_limiter": rate_limiter(str(config.get("RATE_LIMIT_GROUP") or account or "default"), config, account),
        "account": account,
    }


def signing_options(config: dict[str, Any], account: str = "") -> dict[str, Any]:
    """What the account signs with: its credentials provider (``CREDENTIALS``), else its AccessKey. Raises
    :class:`EkycConfigurationError` when it has neither, or both (which one would sign is then a guess)."""
    key_id, secret, provider = config.get("ACCESS_KEY_ID"), config.get("ACCESS_KEY_SECRET"), config.get("CREDENTIALS")
    where = f"EKYC['ACCOUNTS'][{account!r}]" if account else "settings.EKYC"
    if provider is not None:
        if key_id or secret:
            raise EkycConfigurationError(f"{where} sets both CREDENTIALS and an AccessKey: keep one.")
        return {"credentials": provider_from(provider)}
    if not key_id or not secret:
        raise EkycConfigurationError(nothing_to_sign_with(where, development=not account))
    return {"access_key_id": key_id, "access_key_secret": secret}


def nothing_to_sign_with(where: str = "settings.EKYC", *, development: bool = True) -> str:
    """Why no request can be signed, and every way out (the top-level account may also use the simulator)."""
    ways = (
        "ACCESS_KEY_ID and ACCESS_KEY_SECRET (a RAM user's AccessKey), or CREDENTIALS (temporary credentials: an "
        "ECS RAM role, STS AssumeRole, an OIDC role on ACK)"
    )
    if not development:
        return f"{where} has nothing to sign requests with: set {ways}."
    return (
        f"{where} has nothing to sign requests with: set {ways}; or, while you build, use development mode: "
        "SIMULATOR_URL = 'http://127.0.0.1:8765' (with ekyc_from_env: export EKYC_SIMULATOR_URL=http://127.0.0.1:8765 "
        "in this terminal too) and manage.py ekyc_simulator running."
    )


def rate_limit(config: dict[str, Any], account: str = "") -> int | None:
    """An account's own ``RATE_LIMIT`` (a quota Alibaba raised), else the site's, capped at its region's quota. The
    limiter caps it again per product (:meth:`~django_ekyc.ratelimit.CacheRateLimiter.capacity_for`)."""
    if config.get("RATE_LIMIT"):
        return int(config["RATE_LIMIT"])
    rate = ekyc_settings.RATE_LIMIT
    quota = REGIONS[account_region(account)].quota
    return None if not rate else min(rate, quota or rate)


def rate_limiter(group: str, config: dict[str, Any] | None = None, account: str = "") -> Limiter | None:
    """The site-wide limiter of a rate limit group, or None when ``RATE_LIMIT`` is off."""
    rate = rate_limit(config or {}, account)
    if not rate:
        return None
    return CacheRateLimiter(
        rate=rate,
        group=group,
        max_wait=ekyc_settings.RATE_LIMIT_MAX_WAIT,
        background_share=ekyc_settings.RATE_LIMIT_BACKGROUND_SHARE,
        background_max_wait=ekyc_settings.RATE_LIMIT_BACKGROUND_MAX_WAIT,
        cache_alias=ekyc_settings.RATE_LIMIT_CACHE,
    )
