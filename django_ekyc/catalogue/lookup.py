"""Any product by its code, whichever table holds it: the hosted flows, the face library's, the picture checks'."""

from __future__ import annotations

from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.catalogue.products import CATALOGUE, SERVER_PRODUCTS, Product

__all__ = ["any_product", "product_quota"]


def any_product(code: str) -> Product | None:
    """The product ``code`` names, or None."""
    product = CATALOGUE.get(code) or SERVER_PRODUCTS.get(code)
    if product is None and code in PICTURE_CHECKS:
        product = PICTURE_CHECKS[code].product
    return product


def product_quota(code: str) -> int | None:
    """The calls per second each API of product ``code`` allows (None: no product limit known)."""
    product = any_product(code)
    return product.qps if product is not None else None
