"""``settings.EKYC`` from the environment, with django-environ: two lines in a site's settings.

::

    from django_ekyc.env import ekyc_from_env

    EKYC = ekyc_from_env()

Every setting can come from an ``EKYC_<NAME>`` variable (``EKYC_ACCESS_KEY_ID``, ``EKYC_REGION``,
``EKYC_PUBLIC_BASE_URL``, ``EKYC_ENCRYPTION_KEYS``...), read with the type the setting takes: a flag
(``EKYC_STORE_IMAGES=true``), a number, a comma-separated list (``EKYC_PRODUCTS=eKYC,eKYC_PRO``), a JSON object
(``EKYC_INITIALIZE_DEFAULTS={"SecurityLevel": "02"}``). An empty variable is None where a setting takes None.
Keyword arguments are the site's defaults, which the environment overrides. Secrets stay out of the code and out
of version control (a ``.env`` file read by ``environ.Env.read_env`` works too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import environ

from django_ekyc.conf import EkycSettings, Setting
from django_ekyc.exceptions import EkycConfigurationError

__all__ = ["PREFIX", "ekyc_from_env"]

PREFIX = "EKYC_"


def ekyc_from_env(env: environ.Env | None = None, **defaults: Any) -> dict[str, Any]:
    """The ``EKYC`` dict: ``defaults``, overridden by each ``EKYC_<NAME>`` variable that is set."""
    env = env or environ.Env()
    unknown = sorted(set(defaults) - set(EkycSettings.declared()))
    if unknown:
        raise EkycConfigurationError(f"Unknown EKYC setting(s): {', '.join(unknown)}.")
    config = dict(defaults)
    for name, setting in EkycSettings.declared().items():
        variable = PREFIX + name
        if variable in os.environ:
            config[name] = _read(env, variable, setting)
    return config


def _read(env: environ.Env, variable: str, setting: Setting[Any]) -> Any:
    raw = os.environ[variable]
    if raw == "" and setting.optional:
        return None
    kinds = setting.accepts
    try:
        if bool in kinds:
            return env.bool(variable)
        if Mapping in kinds:
            return env.json(variable)
        if tuple in kinds and float in kinds:  # a timeout: one number, or "connect,read"
            parts = [float(part) for part in raw.split(",")]
            return parts[0] if len(parts) == 1 else tuple(parts)
        if list in kinds or tuple in kinds:
            return env.list(variable)
        if float in kinds:
            return env.float(variable)
        if int in kinds:
            return env.int(variable)
    except (ValueError, environ.ImproperlyConfigured) as err:
        raise EkycConfigurationError(f"{variable}={raw!r} is not {setting.describe()}: {err}") from None
    return raw
