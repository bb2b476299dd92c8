"""A logging filter that keeps the flow's tokens out of access logs.

The provider calls the callback with ``callbackToken`` in the query string and
sends users back to ``.../return/<token>/``; web servers log both request lines.
Add the filter to the handlers that write request logs (``django.server``,
gunicorn's access log...)::

    "filters": {"ekyc_redact": {"()": "django_ekyc.logging.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["ekyc_redact"]}},
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"(callbackToken=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(/return/)[A-Za-z0-9_-]{16,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
