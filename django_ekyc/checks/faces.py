"""Checks of the face features: E014 (the face library and re-verification fit the products and the region)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error

from django_ekyc.catalogue.products import CATALOGUE, FACE_LIBRARY_REGIONS
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.conf import EkycSettings

# The products a re-verification can use: a face check against the user's own face (kept, or in the library).
REVERIFY_PRODUCTS = tuple(
    code for code, product in CATALOGUE.items() if product.compares_supplied_face or product.searches_library
)


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [
        Error(f"EKYC: {problem}.", hint="See 'Faces' in the docs.", id="django_ekyc.E014")
        for problem in [*_library(ekyc), *_reverify(ekyc)]
    ]


def _library(ekyc: EkycSettings) -> list[str]:
    if not ekyc.FACE_LIBRARY or ekyc.REGION not in REGIONS:  # an unknown region is E012's
        return []
    if ekyc.REGION not in FACE_LIBRARY_REGIONS:
        return [
            f"FACE_LIBRARY needs a region with face libraries ({', '.join(sorted(FACE_LIBRARY_REGIONS))}), "
            f"not {ekyc.REGION}"
        ]
    return []


def _reverify(ekyc: EkycSettings) -> list[str]:
    code = ekyc.REVERIFY_PRODUCT
    if code is None:
        return []
    if code not in REVERIFY_PRODUCTS:
        return [f"REVERIFY_PRODUCT must be one of {', '.join(REVERIFY_PRODUCTS)} or None, not {code!r}"]
    problems = []
    if ekyc.REGION in REGIONS and ekyc.REGION not in CATALOGUE[code].regions:
        problems.append(f"REVERIFY_PRODUCT {code} does not run in {ekyc.REGION}")
    if CATALOGUE[code].searches_library and not ekyc.FACE_LIBRARY:
        problems.append(f"REVERIFY_PRODUCT {code} searches the face library: set FACE_LIBRARY")
    return problems
