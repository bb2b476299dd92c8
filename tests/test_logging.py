"""Tokens in request lines are redacted by the logging filter sites put on their access logs."""

from __future__ import annotations

import logging

from django_ekyc.logging import RedactTokensFilter, redact


def test_redacts_callback_and_return_tokens():
    line = (
        '"GET /ekyc/callback/?transactionId=hks1&passed=Y&callbackToken=4GyxN_0pIqGHTPNT-x HTTP/1.1" 200 '
        '"GET /ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/?response=%7B%7D HTTP/1.1" 200'
    )
    redacted = redact(line)
    assert "4GyxN_0pIqGHTPNT-x" not in redacted and "h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH" not in redacted
    assert "transactionId=hks1" in redacted and "/ekyc/return/[redacted]/" in redacted


def test_filter_rewrites_message_arguments():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /ekyc/callback/?callbackToken=secret-token-value HTTP/1.1", "200"),
        None,
    )
    assert RedactTokensFilter().filter(record)
    assert "secret-token-value" not in record.getMessage()
