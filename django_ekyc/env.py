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

The prefix is the app's: an ``EKYC_`` variable that names no setting is an error, as a misspelt key of
``settings.EKYC`` is, since ``EKYC_ACESS_KEY_ID`` would otherwise be ignored without a word; a setting that was
renamed or removed (``EKYC_PRODUCT_CODE``) is refused with what to set instead. A site that keeps
variables of its own under the prefix (``EKYC_SG_ACCESS_KEY_ID`` for a second account) names them in
``site_variables``. A flag is a word of :data:`FLAGS` (true/false, yes/no, on/off, 1/0...): "maybe" is an error,
not False.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from difflib import get_close_matches
from typing import Any

import environ

from django_ekyc.conf import EkycSettings
from django_ekyc.exceptions import RETIRED_SETTINGS, EkycConfigurationError, retired_setting, unknown_settings
from django_ekyc.setting import Setting

__all__ = ["ekyc_from_env"]

PREFIX = "EKYC_"
FLAGS = {
    **dict.fromkeys(("true", "yes", "y", "on", "ok", "1"), True),
    **dict.fromkeys(("false", "no", "n", "off", "0"), False),
}


def ekyc_from_env(
    env: environ.Env | None = None, *, site_variables: Collection[str] = (), **defaults: Any
) -> dict[str, Any]:
    """The ``EKYC`` dict: ``defaults``, overridden by each ``EKYC_<NAME>`` variable that is set.

    Raises :class:`EkycConfigurationError` for a default or an ``EKYC_`` variable that names no setting (unless
    ``site_variables`` lists it: full names, such as ``"EKYC_SG_ACCESS_KEY_ID"``), naming the replacement of a
    setting that was renamed or removed, and for a value that is not of the setting's type.
    """
    env = env or environ.Env()
    declared = EkycSettings.declared()
    unknown = sorted(set(defaults) - set(declared))
    if unknown:  # a typo, or a setting that went: then the error says what to set, as settings.EKYC's does
        raise unknown_settings(unknown, where="ekyc_from_env()", spelt="ekyc_from_env({}=...)")
    own = {site_variables} if isinstance(site_variables, str) else set(site_variables)
    _refuse_unknown_variables({PREFIX + name for name in declared}, own)
    config = dict(defaults)
    for name, setting in declared.items():
        variable = PREFIX + name
        if variable in os.environ:
            config[name] = _read(env, variable, setting)
    return config


def _refuse_unknown_variables(known: set[str], site_variables: set[str]) -> None:
    unknown = sorted(name for name in os.environ if name.startswith(PREFIX) and name not in known | site_variables)
    if not unknown:
        return
    # A retired setting's variable says what replaced it (the words settings.EKYC's error uses), not a near miss.
    retired = [name for name in unknown if name.removeprefix(PREFIX) in RETIRED_SETTINGS]
    problems = []
    for name in unknown:
        if name not in retired:
            close = get_close_matches(name, known, n=1)
            problems.append(f"{name} (did you mean {close[0]}?)" if close else name)
    parts = [retired_setting(name.removeprefix(PREFIX), name) for name in retired]
    if problems:
        parts.append(
            f"Environment variable(s) that name no EKYC setting: {', '.join(problems)}. The settings reference lists "
            "every setting; a variable of the site's own under the EKYC_ prefix goes in "
            "ekyc_from_env(site_variables=[...])."
        )
    raise EkycConfigurationError(" ".join(parts))


def _read(env: environ.Env, variable: str, setting: Setting[Any]) -> Any:
    raw = os.environ[variable]
    if raw == "" and setting.optional:
        return None
    kinds = setting.accepts
    try:
        if bool in kinds:
            return _flag(raw)
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


def _flag(raw: str) -> bool:
    try:
        return FLAGS[raw.strip().lower()]
    except KeyError:
        raise ValueError(f"a flag is one of {', '.join(FLAGS)}") from None
