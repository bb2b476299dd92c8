"""System checks (``manage.py check``) with stable ids.

- ``django_ekyc.E001``: no AccessKey, or a placeholder one, outside DEBUG.
- ``django_ekyc.W002``: the endpoint is not https (credentials and identity data would travel in clear).
- ``django_ekyc.W003``: outside DEBUG, the endpoint points at this machine, as a simulator does.
- ``django_ekyc.E004``: outside DEBUG, no ``ENCRYPTION_KEYS`` (identity data would be encrypted with a key
  derived from SECRET_KEY); ``django_ekyc.W004`` in DEBUG. ``django_ekyc.E005``: a key is not a Fernet key.
- ``django_ekyc.E006``: ``settings.EKYC`` itself is invalid (not a dict, unknown keys), or a group of checks could
  not run on it (its message says why).
- ``django_ekyc.W007``: outside DEBUG, the provider rate limit or the start/refresh throttles count in a
  per-process cache (local memory, dummy): each process, worker or host would have its own budget.
- ``django_ekyc.E008``: ``FRONTEND_OPTIONS`` names an option that is not a presentation option (a security
  parameter such as ``security_level`` must never be left to the browser), or one that does not exist.
- ``django_ekyc.E009``: a setting has the wrong type (``RATE_LIMIT = "8"``, ``TIMEOUT = "10"``...).
- ``django_ekyc.E010``: an entry of ``ACCOUNTS`` has the wrong shape.
- ``django_ekyc.E011``: ``ACCOUNT_RESOLVER`` does not import, or is not callable.
- ``django_ekyc.E012``: the products offered do not fit: ``PRODUCTS`` empty, an unknown product or region, a
  product that does not run in the region of the site or of an account, ``PRODUCT_INITIALIZE_DEFAULTS`` for a
  product that is not offered.
- ``django_ekyc.E013``: an ``INITIALIZE_DEFAULTS`` or ``PRODUCT_INITIALIZE_DEFAULTS`` entry names no parameter of
  Initialize/InitializeV2 or has a value the provider does not allow (the catalogue's choices and patterns), or
  ``Model`` ``TEMPLATE`` comes without ``TemplateConfig``.
- ``django_ekyc.E015``: development mode (``SIMULATOR_URL``) while DEBUG is off.
- ``django_ekyc.W016``: outside DEBUG, no ``PUBLIC_BASE_URL`` (return and callback URLs follow the request's host,
  and a callback to a non-https host is silently left out).
- ``django_ekyc.E017``: outside DEBUG, a ``PUBLIC_BASE_URL`` that is not https, or the documentation's example host.
- ``django_ekyc.E022``: outside DEBUG, a webhook endpoint (``WEBHOOKS``) over plain http to another host.
- ``django_ekyc.E014``: the face features do not fit: ``FACE_LIBRARY`` in a region without face libraries, an
  unknown ``REVERIFY_PRODUCT`` or one that does not run in the region, ``FACE_IDU`` without ``FACE_LIBRARY``.
- ``django_ekyc.E019``: ``PICTURE_CHECKS`` names a check the catalogue does not have or that does not run in the
  region, ``PICTURE_CHECK_OPTIONS`` an option its check does not take; ``django_ekyc.W020``: checks are offered and
  Pillow is missing; ``django_ekyc.E021``: a ``CONSENT_TEXTS`` entry is not ``{"version", "text"}``.
- ``django_ekyc.E018``: in DEBUG (where E001 is quiet), no AccessKey and no ``SIMULATOR_URL``: no start can succeed.
- ``django_ekyc.E023``: ``CREDENTIALS`` names no credentials provider, or comes together with an AccessKey.

Each group lives in its own module; a wrong type (E009) stops the other checks, which read typed values. A group
must survive any value of the right type (an unknown ``REGION`` is E012's to report, not a reason for another
group to fail); should one still raise a configuration error, it is reported as E006 and the other groups run, so
``check`` and ``migrate`` never end in a traceback that hides every other message.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.core.checks import CheckMessage, Error, register

from django_ekyc.checks import accounts, faces, identity, limits, pictures, products, provider, site
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError

GROUPS = (provider, identity, limits, accounts, products, faces, pictures, site)


@register("django_ekyc")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        problems = ekyc_settings.problems()
    except EkycConfigurationError as err:
        return [Error(str(err), id="django_ekyc.E006")]
    if problems:
        return [Error(problem, id="django_ekyc.E009") for problem in problems]
    return [message for group in GROUPS for message in _run(group)]


def _run(group: ModuleType) -> list[CheckMessage]:
    try:
        return list(group.check(ekyc_settings))
    except EkycConfigurationError as err:
        return [Error(f"EKYC: {err}", hint=f"Raised by {group.__name__}.", id="django_ekyc.E006")]
