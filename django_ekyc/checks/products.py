"""Checks of what the site offers: E012 (products, regions, documents), E013 (ProcedurePriority)."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches

from django.core.checks import CheckMessage, Error

from django_ekyc.conf import EkycSettings
from django_ekyc.products import CATALOGUE, REGIONS


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [*_offer(ekyc), *_procedure_priority(ekyc.PROCEDURE_PRIORITY)]


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
    offered = ekyc.PRODUCTS or (ekyc.PRODUCT_CODE,)
    unknown = [code for code in offered if code not in CATALOGUE]
    if unknown:
        problems.append(f"PRODUCTS names unknown products: {', '.join(unknown)} (known: {', '.join(CATALOGUE)})")
    if ekyc.PRODUCT_CODE not in offered:
        problems.append(f"PRODUCT_CODE {ekyc.PRODUCT_CODE!r}, the default, is not among PRODUCTS")
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


def _procedure_priority(value: str | None) -> list[CheckMessage]:
    if value in (None, "url", "keep"):
        return []
    return [Error(f"EKYC PROCEDURE_PRIORITY must be 'url', 'keep' or None, not {value!r}.", id="django_ekyc.E013")]
