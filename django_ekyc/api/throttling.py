from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from django_ekyc.conf import ekyc_settings


class StartVerificationThrottle(UserRateThrottle):
    """Limits how often one user may start verifications (each one may be billed).

    The rate is DRF's ``DEFAULT_THROTTLE_RATES["ekyc_start"]`` when a site sets
    it, else ``EKYC["START_THROTTLE_RATE"]``; ``None`` disables it.
    """

    scope = "ekyc_start"

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES or {}  # type: ignore[assignment]
        if self.scope in rates:
            return rates[self.scope]
        rate = ekyc_settings.START_THROTTLE_RATE
        return None if rate is None else str(rate)
