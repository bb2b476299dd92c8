"""What the face tests share: the site's face library, and the requests a user makes about their face."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.test import override_settings

from tests.helpers import LIST_URL, META_INFO

LIBRARY = "sitefaces01"


@contextmanager
def site(**ekyc: Any) -> Iterator[None]:
    """The test's settings, with these EKYC settings on top."""
    with override_settings(EKYC={**settings.EKYC, **ekyc}):
        yield


def faces_in_library(simulator: Any) -> dict[str, str]:
    """MerchantUserId -> person, in the site's library at the provider."""
    return {face["merchant_user_id"]: face["person"] for face in simulator.control.face_groups()[LIBRARY]}


def reverify(client: Any, **fields: Any) -> Any:
    """Start a re-verification through the API as ``client``'s user."""
    return client.post(LIST_URL, {"purpose": "reverify", "meta_info": META_INFO, **fields}, format="json")
