"""Text for people in the active language: a list of items joined as that language joins them.

Importable from every layer (the standard library and ``django.utils.translation`` only): an English ", " between
items is wrong in Chinese (``、``) and Thai (a space), so the separator is a message of the catalogues.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext

__all__ = ["join_list"]


def join_list(items: Iterable[object]) -> str:
    """``items`` as text, one after the other, with the active language's separator (English: ``", "``)."""
    # The context is a literal: makemessages reads it from here, and it tells translators what the message is.
    separator = pgettext("separator between the items of a list", ", ")
    return separator.join(str(item) for item in items)
