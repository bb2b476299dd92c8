from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from django_ekyc.conf import ekyc_settings


class EkycSettingThrottle(UserRateThrottle):
    """A per-user throttle whose rate is DRF's ``DEFAULT_THROTTLE_RATES[scope]`` when a site sets it, else the
    ``EKYC`` setting named by ``setting``; ``None`` disables it."""

    setting = ""

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES or {}  # type: ignore[assignment]
        if self.scope in rates:
            return rates[self.scope]
        rate = getattr(ekyc_settings, self.setting)
        return None if rate is None else str(rate)


class StartVerificationThrottle(EkycSettingThrottle):
    """Limits how often one user may start verifications (each one may be billed)."""

    scope = "ekyc_start"
    setting = "START_THROTTLE_RATE"


class RefreshThrottle(EkycSettingThrottle):
    """Limits how often one user may ask the provider about their transactions (the provider's quota is
    the whole site's)."""

    scope = "ekyc_refresh"
    setting = "REFRESH_THROTTLE_RATE"
