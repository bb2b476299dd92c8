"""OpenAPI description of the API, with drf-spectacular when it is installed (``pip install django-ekyc[openapi]``).

The site sets ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"``, as
drf-spectacular asks; without the package the decorators do nothing and the schema URL is not mounted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_ekyc.api.serializers import (
    ErrorSerializer,
    KycTransactionSerializer,
    StartedSerializer,
    StartVerificationSerializer,
)

try:
    from drf_spectacular.utils import extend_schema
except ImportError:  # optional
    extend_schema = None  # type: ignore[assignment]


def _document(**kwargs: Any) -> Callable[[Any], Any]:
    if extend_schema is None:
        return lambda view: view
    return extend_schema(**kwargs)


def _errors(*statuses: int) -> dict[int, Any]:
    return {status: ErrorSerializer for status in statuses}


start_schema = _document(
    summary="Start a verification",
    request=StartVerificationSerializer,
    responses={201: StartedSerializer, **_errors(400, 401, 403, 409, 413, 429, 502, 503)},
)
refresh_schema = _document(
    summary="Ask the provider for the result now",
    request=None,
    responses={200: KycTransactionSerializer, **_errors(401, 403, 404, 502, 503)},
)
read_schema = _document(responses={200: KycTransactionSerializer, **_errors(401, 403, 404)})
list_schema = _document(responses={200: KycTransactionSerializer(many=True), **_errors(401, 403)})


def only_ekyc_endpoints(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Keep the schema to this app's API, whatever else the site serves with DRF (views say so themselves)."""
    return [endpoint for endpoint in endpoints if getattr(getattr(endpoint[3], "cls", None), "in_ekyc_schema", False)]
