"""Checks of what limits the site and its frontend: W007 (per-process counters), E008 (frontend options)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.conf import EkycSettings
from django_ekyc.validation import OPTION_NAMES, PRESENTATION_OPTIONS


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [*_shared_counters(ekyc), *_frontend_options(ekyc.FRONTEND_OPTIONS)]


PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def _per_process(alias: str) -> bool:
    backend = str(settings.CACHES.get(alias, {}).get("BACKEND", ""))
    return backend in PER_PROCESS_CACHES


def _shared_counters(ekyc_settings: EkycSettings) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    counters = []
    if ekyc_settings.RATE_LIMIT and _per_process(ekyc_settings.RATE_LIMIT_CACHE):
        counters.append(f"the provider rate limit (cache {ekyc_settings.RATE_LIMIT_CACHE!r})")
    rates = (getattr(settings, "REST_FRAMEWORK", {}) or {}).get("DEFAULT_THROTTLE_RATES") or {}
    throttled = any(rates.get(scope, "on") for scope in ("ekyc_start", "ekyc_refresh"))
    if throttled and _per_process("default"):
        counters.append("the start and refresh throttles (cache 'default')")
    if not counters:
        return []
    return [
        Warning(
            f"EKYC: {' and '.join(counters)} count in a per-process cache: every process and host gets its own "
            "budget, so the limits do not hold across the site.",
            hint="Use a shared cache such as Redis: CACHES = {'default': env.cache('CACHE_URL')} with "
            "CACHE_URL=redis://127.0.0.1:6379/1.",
            id="django_ekyc.W007",
        )
    ]


def _frontend_options(names: Sequence[str]) -> list[CheckMessage]:
    unknown = sorted(str(name) for name in names if name not in OPTION_NAMES)
    security = sorted(str(name) for name in names if name in OPTION_NAMES and name not in PRESENTATION_OPTIONS)
    if not unknown and not security:
        return []
    problems = []
    if security:
        problems.append(f"security options that only the site may set: {', '.join(security)}")
    if unknown:
        problems.append(f"unknown options: {', '.join(unknown)}")
    return [
        Error(
            f"EKYC FRONTEND_OPTIONS names {'; '.join(problems)}.",
            hint=f"Allowed: {', '.join(sorted(PRESENTATION_OPTIONS))}. Set security parameters in INITIALIZE_DEFAULTS.",
            id="django_ekyc.E008",
        )
    ]
