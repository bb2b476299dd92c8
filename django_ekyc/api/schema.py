"""OpenAPI description of the API, with drf-spectacular when it is installed (``pip install django-ekyc[openapi]``).

The site sets ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"``, as
drf-spectacular asks; without the package the decorators do nothing and the schema URL is not mounted.

:data:`SCHEMA_SETTINGS` are drf-spectacular's settings for this API's own schema (``ekyc/api/schema/``): its title,
this package's version, and this API's endpoints only. A site serving the schema elsewhere passes them on::

    SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS)

and a site describing its whole API in one schema can add :func:`package_version` to its
``POSTPROCESSING_HOOKS`` (after drf-spectacular's own) to carry django-ekyc's version in ``info.version``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_ekyc import __version__
from django_ekyc.api.serializers import (
    AppStartedSerializer,
    BrowserStartedSerializer,
    ErrorSerializer,
    KycTransactionSerializer,
    StartVerificationSerializer,
)

try:
    from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
except ImportError:  # optional
    extend_schema = None  # type: ignore[assignment]

__all__ = ["SCHEMA_SETTINGS", "package_version"]

SCHEMA_SETTINGS: dict[str, Any] = {
    "TITLE": "django-ekyc API",
    "DESCRIPTION": "Start identity verifications and read their outcome.",
    "VERSION": __version__,
    "PREPROCESSING_HOOKS": ["django_ekyc.api.schema.only_ekyc_endpoints"],
}


def document_view(**kwargs: Any) -> Callable[[Any], Any]:
    """``extend_schema`` when drf-spectacular is installed; nothing otherwise."""
    return _document(**kwargs)


def retry_after() -> list[Any]:
    """The ``Retry-After`` header of a throttle's 429 (seconds), for ``parameters``; not sent with a 429
    ``daily_limit_reached``, so not required."""
    if extend_schema is None:
        return []
    return [
        OpenApiParameter(
            "Retry-After",
            int,
            OpenApiParameter.HEADER,
            description="With throttled: the seconds to wait before trying again.",
            response=[429],
        )
    ]


def error_responses(*statuses: int) -> dict[int, Any]:
    return _errors(*statuses)


def _document(**kwargs: Any) -> Callable[[Any], Any]:
    if extend_schema is None:
        return lambda view: view
    return extend_schema(**kwargs)


def _errors(*statuses: int) -> dict[int, Any]:
    return {status: ErrorSerializer for status in statuses}


def _started() -> Any:
    """A start's answer: a browser's or an app's, told apart by ``channel`` (what ``started_answer`` renders)."""
    if extend_schema is None:
        return None
    return PolymorphicProxySerializer(
        component_name="Started",
        serializers={"web": BrowserStartedSerializer, "app": AppStartedSerializer},
        resource_type_field_name="channel",
        many=False,
    )


# Every endpoint may also answer 406 (an Accept it cannot serve), 429 (the site's own DEFAULT_THROTTLE_CLASSES apply
# too) and 503 (the database, or the cache that the throttles count in, cannot be reached).
start_schema = _document(
    summary="Start a verification",
    request=StartVerificationSerializer,
    parameters=retry_after(),
    responses={201: _started(), **_errors(400, 401, 403, 406, 409, 413, 415, 429, 502, 503)},
)
refresh_schema = _document(
    summary="Ask the provider for the result now",
    request=None,
    parameters=retry_after(),
    responses={200: KycTransactionSerializer, **_errors(401, 403, 404, 406, 429, 502, 503)},
)
read_schema = _document(
    parameters=retry_after(), responses={200: KycTransactionSerializer, **_errors(401, 403, 404, 406, 429, 503)}
)
list_schema = _document(
    parameters=retry_after(), responses={200: KycTransactionSerializer(many=True), **_errors(401, 403, 406, 429, 503)}
)


def only_ekyc_endpoints(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Keep the schema to this app's API, whatever else the site serves with DRF (views say so themselves)."""
    return [endpoint for endpoint in endpoints if getattr(getattr(endpoint[3], "cls", None), "in_ekyc_schema", False)]


def package_version(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A ``POSTPROCESSING_HOOKS`` entry: ``info.version`` is this package's version."""
    result.setdefault("info", {})["version"] = __version__
    return result
