"""What this site offers of the provider's catalogue, read from settings: products, regions, endpoints.

:mod:`django_ekyc.catalogue` is the provider's table; this module applies the site's choices to it (``PRODUCTS``,
``REGION`` per account, per-product Initialize defaults).
"""

from __future__ import annotations

from typing import Any

from django_ekyc.catalogue.lookup import any_product
from django_ekyc.catalogue.products import CATALOGUE, Product
from django_ekyc.catalogue.regions import REGIONS, endpoint_for
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError


def get_product(code: str) -> Product | None:
    """The product of a transaction: a hosted flow's, or a check's from pictures."""
    return any_product(code)


def offered_codes() -> tuple[str, ...]:
    """The ProductCodes this site offers (``PRODUCTS``), the default first."""
    return ekyc_settings.PRODUCTS


def offered_products() -> list[Product]:
    unknown = [code for code in offered_codes() if code not in CATALOGUE]
    if unknown:
        raise EkycConfigurationError(f"EKYC PRODUCTS names products django-ekyc does not know: {', '.join(unknown)}.")
    return [CATALOGUE[code] for code in offered_codes()]


def default_product() -> Product:
    """The product of a start that names none: the first of ``PRODUCTS``."""
    codes = offered_codes()
    product = get_product(codes[0]) if codes else None
    if product is None:
        raise EkycConfigurationError("EKYC PRODUCTS must start with a product django-ekyc knows (check E012).")
    return product


def _account(account: str) -> dict[str, Any]:
    if not account:
        return {}
    accounts = ekyc_settings.ACCOUNTS
    if account not in accounts:
        raise EkycConfigurationError(f"Unknown eKYC account {account!r}: add it to EKYC['ACCOUNTS'].")
    return dict(accounts[account])


def account_region(account: str = "") -> str:
    """The region an account's verifications live in: its ``REGION``, or the site's."""
    region = str(_account(account).get("REGION") or ekyc_settings.REGION)
    if region not in REGIONS:
        raise EkycConfigurationError(f"EKYC REGION {region!r} is not one of {', '.join(REGIONS)}.")
    return region


def account_endpoint(account: str = "") -> str:
    """An explicit ``ENDPOINT`` (the account's, then the site's) wins; then a development simulator
    (``SIMULATOR_URL``); else the region's public or VPC endpoint."""
    explicit = _account(account).get("ENDPOINT") or ekyc_settings.ENDPOINT or ekyc_settings.SIMULATOR_URL
    if explicit:
        return str(explicit)
    return endpoint_for(account_region(account), vpc=ekyc_settings.VPC_ENDPOINT)


def web_sdk_url() -> str:
    """The web SDK script a browser loads to produce MetaInfo: a development simulator's stand-in, or the
    provider's (``WEB_SDK_URL``)."""
    simulator = ekyc_settings.SIMULATOR_URL
    return f"{simulator.rstrip('/')}/cdn/jsvm_all.js" if simulator else ekyc_settings.WEB_SDK_URL
