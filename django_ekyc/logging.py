"""A logging filter that keeps the flow's tokens out of request logs.

The provider calls the callback with ``callbackToken`` in the query string and
sends users back to ``.../return/<token>/``; web servers log both request lines,
and Django logs the path of every failed request. Put the filter on the loggers
and handlers that write request lines (``django.server``, ``django.request``,
``gunicorn.access``)::

    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"ekyc_redact": {"()": "django_ekyc.logging.RedactTokensFilter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["ekyc_redact"]}},
        "loggers": {
            name: {"handlers": ["console"], "filters": ["ekyc_redact"], "level": "INFO", "propagate": False}
            for name in ("django.server", "django.request", "gunicorn.access", "gunicorn.error")
        },
    }

The filter works on whatever shape a record has: a format string with a tuple or a mapping of
arguments (gunicorn's access log passes a dict), a message that is not a string, a traceback.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"((?:callbackToken|callback_token)(?:=|%3D))[^&\s\"']+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(/return/)[A-Za-z0-9_-]{16,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokensFilter(logging.Filter):
    """Rewrites each record into its redacted, already formatted message.

    Formatting first and redacting the result is the only way to cover every shape of arguments,
    including values that only become text when formatted (a request object, a dict of atoms).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a broken format string: redact what there is
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# The parameters of every call to the provider: a request line carrying one of them is ours.
_PROVIDER_PARAMETERS = re.compile(r"[?&](?:MerchantBizId|TransactionId|ProductCode)=")


class ProviderQueryFilter(logging.Filter):
    """Drops the query string from urllib3's request lines of calls to the provider.

    The client sends the provider's parameters in the query string, where the official SDK puts them (tokens,
    the return URL, MetaInfo among them), and urllib3 logs each request line at DEBUG. django-ekyc installs this
    filter on ``urllib3.connectionpool`` when it loads, so that turning DEBUG logging on never writes them out.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_provider_url(arg) for arg in record.args):
            record.args = tuple(_without_query(arg) if _is_provider_url(arg) else arg for arg in record.args)
        return True


def _is_provider_url(value: object) -> bool:
    return isinstance(value, str) and _PROVIDER_PARAMETERS.search(value) is not None


def _without_query(url: object) -> str:
    return str(url).split("?", 1)[0] + "?[parameters redacted]"


def install_provider_query_filter() -> None:
    """Once per process: urllib3 logs request lines on this logger."""
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(existing, ProviderQueryFilter) for existing in pool_logger.filters):
        pool_logger.addFilter(ProviderQueryFilter())
