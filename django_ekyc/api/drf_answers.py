"""DRF's own answers that carry English no catalogue can translate, in our words.

DRF words a throttle's wait itself ("Request was throttled. Expected available in 3599 seconds.", formatted before
its ``ngettext`` lookup, so never translated), names the parser's exception in a parse error ("JSON parse error -
Expecting value: ...") and puts Django's English reason after "CSRF Failed: ". :func:`drf_answer` turns each into
an answer with a stable code and a message marked for translation; ``errors.ekyc_exception_handler`` renders it.
"""

from __future__ import annotations

import logging
import math

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions

logger = logging.getLogger("django_ekyc.api")


class CsrfFailed(exceptions.PermissionDenied):
    """A session-authenticated write without the CSRF token: DRF's "CSRF Failed: ..." in our words (403)."""

    default_detail = _(
        "The request lacks a valid CSRF token: send the csrftoken cookie's value in the X-CSRFToken header."
    )
    default_code = "csrf_failed"


# DRF's answer to a body it cannot parse names the parser's exception in English ("JSON parse error - Expecting
# value: line 1 column 1 (char 0)"): the same words for every body instead, which the catalogues translate.
PARSE_ERROR = _("The request body cannot be read: send what its Content-Type says (JSON, or a form).")
CSRF_FAILED_PREFIX = "CSRF Failed: "  # rest_framework.authentication.SessionAuthentication.enforce_csrf


def throttled_message(wait: int | None) -> str:
    """When to try again, in words: seconds, minutes or hours (DRF's own words are never translated)."""
    if wait is None:
        return str(_("Too many requests: try again later."))
    if wait < 60:
        return ngettext(
            "Too many requests: try again in %(count)d second.",
            "Too many requests: try again in %(count)d seconds.",
            wait,
        ) % {"count": wait}
    if wait < 2 * 3600:
        minutes = math.ceil(wait / 60)
        return ngettext(
            "Too many requests: try again in %(count)d minute.",
            "Too many requests: try again in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
    hours = math.ceil(wait / 3600)
    return ngettext(
        "Too many requests: try again in %(count)d hour.", "Too many requests: try again in %(count)d hours.", hours
    ) % {"count": hours}


class TooManyRequests(exceptions.Throttled):
    """A throttle refused the request (429): our words, ``Retry-After`` (set by DRF's handler from ``wait``) and the
    same number of seconds in the body, for a cross-origin client that cannot read the header. At least 1 second:
    DRF sends no header for a wait of 0 (``if exc.wait:``), and "try again in 0 seconds" invites a loop."""

    def __init__(self, wait: float | None) -> None:
        seconds = None if wait is None else max(1, math.ceil(wait))
        exceptions.APIException.__init__(self, throttled_message(seconds), "throttled")
        self.wait = seconds
        self.extra = {} if seconds is None else {"retry_after": seconds}


def drf_answer(exc: exceptions.APIException) -> exceptions.APIException:
    """DRF's own answers that carry untranslatable English (a throttle's wait, a parse error, a CSRF failure), in
    words the catalogues translate; every other answer as it is."""
    if isinstance(exc, exceptions.Throttled) and not isinstance(exc, TooManyRequests):
        return TooManyRequests(getattr(exc, "wait", None))  # set by Throttled.__init__ (not in its stubs)
    if isinstance(exc, exceptions.ParseError) and exc.get_codes() == "parse_error":
        return exceptions.ParseError(PARSE_ERROR, code="parse_error")
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith(CSRF_FAILED_PREFIX):
        # Django's reason ("CSRF token missing.") names no token value: kept for the site's logs.
        logger.info("eKYC API: CSRF check failed: %s", str(exc.detail).removeprefix(CSRF_FAILED_PREFIX))
        return CsrfFailed()
    return exc
