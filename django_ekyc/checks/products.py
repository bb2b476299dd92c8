"""Checks of what the site offers: E012 (products, regions, documents), E013 (the Initialize defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches

from django.core.checks import CheckMessage, Error

from django_ekyc.catalogue.products import CATALOGUE
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.conf import EkycSettings
from django_ekyc.validation import initialize_problems


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [*_offer(ekyc), *_initialize_defaults(ekyc)]


def _regions(ekyc: EkycSettings) -> dict[str, str]:
    """Each account's region ('' is the top-level account)."""
    regions = {"": ekyc.REGION}
    for name, config in ekyc.ACCOUNTS.items():
        if isinstance(config, Mapping):  # the shape of ACCOUNTS is E010's
            regions[name] = str(config.get("REGION") or ekyc.REGION)
    return regions


def _offer(ekyc: EkycSettings) -> list[CheckMessage]:
    regions = _regions(ekyc)
    problems = [_unknown_region(region) for region in sorted(set(regions.values())) if region not in REGIONS]
    offered = ekyc.PRODUCTS
    unknown = [code for code in offered if code not in CATALOGUE]
    if not offered:
        problems.append("PRODUCTS is empty: offer at least one product (the first is the default)")
    if unknown:
        problems.append(f"PRODUCTS names unknown products: {', '.join(unknown)} (known: {', '.join(CATALOGUE)})")
    for account, region in regions.items():
        for code in offered:
            product = CATALOGUE.get(code)
            if product is not None and region in REGIONS and region not in product.regions:
                where = f"account {account!r} ({region})" if account else f"REGION {region}"
                problems.append(f"{code} is not available in {where}; it runs in {', '.join(sorted(product.regions))}")
    for code in ekyc.PRODUCT_INITIALIZE_DEFAULTS:
        if code not in offered:
            problems.append(f"PRODUCT_INITIALIZE_DEFAULTS names {code!r}, which the site does not offer")
    return [
        Error(f"EKYC: {problem}.", hint="See the products and regions table in the docs.", id="django_ekyc.E012")
        for problem in problems
    ]


def _unknown_region(region: str) -> str:
    close = get_close_matches(region, REGIONS, n=1)
    return f"REGION {region!r} is not one of {', '.join(REGIONS)}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _initialize_defaults(ekyc: EkycSettings) -> list[CheckMessage]:
    """Every Initialize default names a parameter the operation declares, with a value the provider allows."""
    tables = {"INITIALIZE_DEFAULTS": ekyc.INITIALIZE_DEFAULTS}
    tables.update(
        {f"PRODUCT_INITIALIZE_DEFAULTS[{code!r}]": values for code, values in ekyc.PRODUCT_INITIALIZE_DEFAULTS.items()}
    )
    return [
        Error(f"EKYC {where}: {problem}.", hint="See 'Initialize parameters' in the docs.", id="django_ekyc.E013")
        for where, values in tables.items()
        for problem in initialize_problems(values)
    ]
