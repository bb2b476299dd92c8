"""What this site offers of the provider's catalogue, read from settings: products, regions, endpoints.

:mod:`django_ekyc.products` is the provider's table; this module applies the site's choices to it (``PRODUCTS``,
``PRODUCT_CODE``, ``REGION`` per account, ``DOC_TYPES`` for eKYC, per-product Initialize defaults).
"""

from __future__ import annotations

from typing import Any

from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.products import CATALOGUE, REGIONS, Product, endpoint_for

__all__ = [
    "account_endpoint",
    "account_region",
    "default_product",
    "doc_types_for",
    "get_product",
    "offered_codes",
    "offered_products",
    "web_sdk_url",
]


def get_product(code: str) -> Product | None:
    return CATALOGUE.get(code)


def offered_codes() -> tuple[str, ...]:
    """The ProductCodes this site offers: ``PRODUCTS``, or else ``PRODUCT_CODE`` alone."""
    return ekyc_settings.PRODUCTS or (ekyc_settings.PRODUCT_CODE,)


def offered_products() -> list[Product]:
    unknown = [code for code in offered_codes() if code not in CATALOGUE]
    if unknown:
        raise EkycConfigurationError(f"EKYC PRODUCTS names products django-ekyc does not know: {', '.join(unknown)}.")
    return [CATALOGUE[code] for code in offered_codes()]


def default_product() -> Product:
    product = get_product(ekyc_settings.PRODUCT_CODE)
    if product is None:
        raise EkycConfigurationError(f"EKYC PRODUCT_CODE {ekyc_settings.PRODUCT_CODE!r} is not a known product.")
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


def doc_types_for(product: Product, region: str) -> dict[str, str]:
    """The documents a product reads in a region; eKYC's table is the site's ``DOC_TYPES``."""
    if product.code == "eKYC":
        return dict(ekyc_settings.DOC_TYPES) if region in product.regions else {}
    return product.doc_types_in(region)
