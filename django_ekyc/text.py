"""Text for people in the active language: a list of items joined as that language joins them, a moment and a
number as it writes them.

Importable from every layer (the standard library and Django's text utilities only): an English ", " between items
is wrong in Chinese (``、``) and Thai (a space), so the separator is a message of the catalogues.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import pgettext

__all__ = ["join_list"]


def join_list(items: Iterable[object]) -> str:
    """``items`` as text, one after the other, with the active language's separator (English: ``", "``)."""
    # The context is a literal: makemessages reads it from here, and it tells translators what the message is.
    separator = pgettext("separator between the items of a list", ", ")
    return separator.join(str(item) for item in items)


def moment_text(moment: datetime) -> str:
    """A moment in the site's time zone, in the active language's format."""
    return str(date_format(timezone.localtime(moment), "DATETIME_FORMAT"))


def number_text(value: float) -> str:
    """A number as the active language writes it, grouped (``10,000``, ``10.000``...)."""
    return number_format(value, force_grouping=True)
