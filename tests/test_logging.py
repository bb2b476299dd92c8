"""Tokens in request lines are redacted by the logging filter sites put on their access logs."""

from __future__ import annotations

import logging

import pytest

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


def record(msg, args, name="gunicorn.access", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, exc_info)


def test_gunicorn_access_records_with_a_dict_of_atoms():
    """gunicorn's access logger formats ``'%(h)s "%(r)s" %(s)s'`` with a mapping of atoms."""
    atoms = {
        "h": "127.0.0.1",
        "r": "GET /ekyc/callback/?transactionId=hks1&callbackToken=tok-abcdef-123 HTTP/1.1",
        "s": "200",
        "U": "/ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/",
        "q": "transactionId=hks1&callbackToken=tok-abcdef-123",
    }
    entry = record('%(h)s "%(r)s" %(s)s %(U)s %(q)s', atoms)
    assert RedactTokensFilter().filter(entry)
    text = entry.getMessage()
    assert "tok-abcdef-123" not in text and "h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH" not in text
    assert "transactionId=hks1" in text and text.startswith('127.0.0.1 "GET')


def test_django_request_records_and_their_tracebacks():
    try:
        raise ValueError("no such page /ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    entry = record("Internal Server Error: %s", ("/ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/",), "django.request")
    entry.exc_info = exc_info
    assert RedactTokensFilter().filter(entry)
    formatted = logging.Formatter().format(entry)
    assert "h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH" not in formatted
    assert "Internal Server Error: /ekyc/return/[redacted]/" in formatted and "ValueError" in formatted


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        (ValueError("/ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/"), ()),  # a message that is not a string
        ("%s", ({"path": "/ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/"},)),  # an object formatted by %s
        ("%s %s", ("only one argument for /ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/",)),  # a broken format
        ("callbackToken%3Dtok-abcdef-123", ()),  # percent-encoded
    ],
)
def test_every_other_record_shape(msg, args):
    entry = record(msg, args)
    assert RedactTokensFilter().filter(entry)
    text = logging.Formatter().format(entry)
    assert "h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH" not in text and "tok-abcdef-123" not in text


def test_filtering_twice_is_harmless():
    entry = record("%s", ("GET /ekyc/return/h0AcVJqsxGjrvxs1d4UzBKSgHcZoPvaH/ 100%",))
    for _ in range(2):
        assert RedactTokensFilter().filter(entry)
    assert entry.getMessage() == "GET /ekyc/return/[redacted]/ 100%"
