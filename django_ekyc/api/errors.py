"""API errors with stable ``code`` values, rendered by DRF's exception handling.

Our views answer every error as ``{"code": ..., "detail": ...}``, validation
errors with per-field ``{"code", "message"}`` lists under ``fields``, and
provider failures with the stored transaction, so a client always knows what
happened to the attempt.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from django_ekyc.api.drf_answers import drf_answer
from django_ekyc.exceptions import (
    EkycAuthError,
    EkycBadRequest,
    EkycConfigurationError,
    EkycError,
    EkycPictureRejected,
    EkycProviderError,
    EkycRateLimitUnavailable,
    EkycThrottled,
    EkycTransportError,
)

logger = logging.getLogger("django_ekyc.api")

# Every ``code`` an error body of the API can carry, for the OpenAPI schema (the ``Error`` component's enum).
# tests/test_schema.py checks it against what the code raises, both ways: add a new code here, and to
# docs/reference/api.md.
ERROR_CODES: tuple[str, ...] = (
    # 400: a field is wrong (the refusals are under ``fields``), or the body cannot be read
    "invalid_request",
    "parse_error",
    "json_too_deep",
    "invalid_characters",
    # DRF's own: authentication, permission, routing, content negotiation, throttles
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
    "throttled",
    # the guards' refusals (django_ekyc.permissions), in a site's own DRF views
    "verification_required",
    "reverification_required",
    # this API's
    "csrf_failed",
    "no_verification_to_compare",
    "request_too_large",
    "provider_rejected",
    "provider_auth_failed",
    "provider_error",
    "provider_throttled",
    "provider_unavailable",
    "provider_unreachable",
    "database_unavailable",
    "not_configured",
    "cache_unavailable",
    # the checks from pictures
    "daily_limit_reached",
    "imaging_unavailable",
    "picture_refused",
)

# Every ``code`` of a refusal under ``fields`` of an ``invalid_request`` (the ``FieldError`` component's enum).
FIELD_ERROR_CODES: tuple[str, ...] = (
    # DRF's, from the start serializer's fields (and ``invalid`` for a body that is not an object)
    "required",
    "null",
    "blank",
    "invalid",
    "invalid_choice",
    "max_length",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
    # the start serializer's own
    "invalid_options",
    "not_for_reverify",
    # the flow's checks (django_ekyc.validation, django_ekyc.services): its InvalidInput codes
    "invalid_characters",
    "product_not_offered",
    "product_not_in_region",
    "doc_type_not_applicable",
    "doc_type_not_in_region",
    "unknown_doc_type",
    "meta_info_invalid",
    "meta_info_too_long",
    "invalid_channel",
    "channel_mismatch",
    "invalid_scene_code",
    "unknown_option",
    "option_not_allowed",
    "option_not_applicable",
    "invalid_option_value",
    "invalid_json_option",
    "option_too_long",
    "reverify_not_enabled",
    # the checks from pictures (django_ekyc.services.pictures, .consent, django_ekyc.imaging)
    "check_not_offered",
    "check_not_in_region",
    "consent_required",
    "consent_outdated",
    "unknown_purpose",
    "picture_required",
    "picture_not_base64",
    "picture_empty",
    "picture_not_an_image",
    "picture_format",
    "picture_dimensions",
    "picture_too_large",
)


class UpstreamUnavailable(exceptions.APIException):
    """The answer when the provider is throttling, unreachable or temporarily down: try again later (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The identity verification service is unavailable; try again shortly.")
    default_code = "provider_unavailable"


class UpstreamFailed(exceptions.APIException):
    """The answer when the provider refused or failed the request: retrying as-is will not help (502)."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("The identity verification service could not process the request.")
    default_code = "provider_error"


class NoVerificationToCompare(exceptions.APIException):
    """A re-verification needs a passed verification to compare with, and the user has none (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("There is no passed verification to compare with: verify first.")
    default_code = "no_verification_to_compare"


class PictureRefused(exceptions.APIException):
    """The provider refused a picture (no face in it, unreadable, too large...): ``provider_code`` says which;
    another picture may pass (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The picture was refused: take another one (clear, well lit, the whole face or document).")
    default_code = "picture_refused"


class BudgetExhausted(exceptions.APIException):
    """The user's checks from pictures for the day are spent (429): nothing was sent."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("You have run as many checks as a day allows; try again tomorrow.")
    default_code = "daily_limit_reached"


class ImagingUnavailable(exceptions.APIException):
    """Pillow is not installed: pictures cannot be checked, so none is sent (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Checks from pictures are not available: the site lacks django-ekyc[pictures].")
    default_code = "imaging_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class CacheUnavailable(exceptions.APIException):
    """The cache (throttles, the site's rate limit) cannot be reached: nothing was sent to the provider (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is temporarily unavailable; try again shortly.")
    default_code = "cache_unavailable"


def provider_exception(error: EkycError) -> exceptions.APIException:
    """Map a provider failure to the API's answer and stable code."""
    if isinstance(error, EkycRateLimitUnavailable):
        return CacheUnavailable()
    if isinstance(error, EkycThrottled):
        return UpstreamUnavailable(code="provider_throttled")
    if isinstance(error, EkycTransportError):
        return UpstreamUnavailable(code="provider_unreachable")
    if isinstance(error, EkycProviderError) and (error.code == "ServiceUnavailable" or error.status == 503):
        return UpstreamUnavailable(code="provider_unavailable")
    if isinstance(error, EkycPictureRejected):
        return PictureRefused()
    if isinstance(error, EkycAuthError):
        return UpstreamFailed(code="provider_auth_failed")
    if isinstance(error, EkycBadRequest):
        return UpstreamFailed(code="provider_rejected")
    return UpstreamFailed(code="provider_error")


def _field_errors(detail: Any) -> dict[str, list[dict[str, str]]]:
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
    fields: dict[str, list[dict[str, str]]] = {}
    for name, errors in detail.items():
        items = errors if isinstance(errors, list) else [errors]
        fields[name] = [{"code": getattr(e, "code", "invalid"), "message": str(e)} for e in items]
    return fields


class DatabaseUnavailable(exceptions.APIException):
    """The database connection failed mid-request; what was committed before stays committed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is temporarily unavailable; try again shortly.")
    default_code = "database_unavailable"


class NotConfigured(exceptions.APIException):
    """The site's settings cannot start or check a verification (no AccessKey, an unknown region...). An operator's
    problem, which ``manage.py check`` reports; the client gets a stable code, not a 500 or the details (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Identity verification is not set up on this site yet.")
    default_code = "not_configured"


def stable_code(exc: exceptions.APIException) -> str:
    """The answer's ``code``: its own when it is one of :data:`ERROR_CODES`, else that of the nearest DRF class it
    derives from (SimpleJWT's ``InvalidToken``, ``token_not_valid``, is an ``AuthenticationFailed``)."""
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    if code in ERROR_CODES:
        return str(code)
    for cls in type(exc).__mro__:
        default = getattr(cls, "default_code", None)
        if default in ERROR_CODES:
            return str(default)
    return str(code)


def detail_text(exc: exceptions.APIException) -> str:
    """The answer's ``detail``: one message, also where the exception carries a dict (SimpleJWT's ``detail``,
    ``code`` and ``messages``) or a list."""
    detail: Any = exc.detail
    if isinstance(detail, dict):
        detail = detail.get("detail", exc.default_detail)
    elif isinstance(detail, list):
        detail = detail[0] if detail else exc.default_detail
    return str(detail)


def as_api_exception(exc: Exception) -> Exception:
    """Django's own 404 and 403, and a lost database connection, as API errors with stable codes."""
    if isinstance(exc, exceptions.APIException):
        return drf_answer(exc)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable during an eKYC API request: %s", type(exc).__name__)
        return DatabaseUnavailable()
    if isinstance(exc, EkycConfigurationError):  # its messages name settings, never a secret
        logger.error("eKYC is not configured to serve an API request: %s", exc)
        return NotConfigured()
    return exc


def ekyc_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a stable ``code`` on every error body."""
    exc = as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid_request",
            "detail": _("The request is not valid."),
            "fields": _field_errors(exc.detail),
        }
        return response
    if isinstance(exc, exceptions.APIException):
        response.data = {"code": stable_code(exc), "detail": detail_text(exc), **getattr(exc, "extra", {})}
    return response
