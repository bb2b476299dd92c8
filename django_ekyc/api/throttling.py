"""The API's throttles: per user, counted in the cache, and a JSON 503 when the cache cannot be reached."""

from __future__ import annotations

import logging

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from django_ekyc.api.errors import CacheUnavailable
from django_ekyc.client.slots import cache_errors

logger = logging.getLogger("django_ekyc.api")


class CacheCheckedThrottles(APIView):
    """Throttles count in the cache (ours and the site's ``DEFAULT_THROTTLE_CLASSES``): when it cannot be reached,
    the view does nothing and answers 503 ``cache_unavailable``, never a 500."""

    def check_throttles(self, request: Request) -> None:
        try:
            super().check_throttles(request)
        except cache_errors() as err:
            logger.error("eKYC API: the cache is unreachable (%s); throttles cannot count", type(err).__name__)
            raise CacheUnavailable() from err


class ScopedDefaultThrottle(UserRateThrottle):
    """A per-user throttle whose rate is DRF's ``DEFAULT_THROTTLE_RATES[scope]`` (``None`` disables it), and
    ``default_rate`` where the site names no rate for the scope: DRF's own setting, with a safe default."""

    default_rate = ""

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES or {}  # type: ignore[assignment]
        return rates.get(str(self.scope), self.default_rate)


class StartVerificationThrottle(ScopedDefaultThrottle):
    """Limits how often one user may start verifications (each one may be billed)."""

    scope = "ekyc_start"
    default_rate = "10/hour"


class RefreshThrottle(ScopedDefaultThrottle):
    """Limits how often one user may ask the provider about their transactions (the provider's quota is
    the whole site's)."""

    scope = "ekyc_refresh"
    default_rate = "30/minute"


class PictureCheckThrottle(ScopedDefaultThrottle):
    """Limits how often one user may run checks from pictures (each one is billed; the daily budget,
    ``PICTURE_CHECK_DAILY_LIMIT``, caps the day)."""

    scope = "ekyc_check"
    default_rate = "20/hour"
