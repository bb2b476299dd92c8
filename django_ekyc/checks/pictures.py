"""Checks of the checks from pictures: E019 (what ``PICTURE_CHECKS`` and its settings name fits the catalogue and
the region), W020 (they are offered and Pillow is missing), E021 (a ``CONSENT_TEXTS`` entry is malformed)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.conf import EkycSettings
from django_ekyc.imaging import imaging_available

CONSENT_KEYS = frozenset({"version", "text"})


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    messages: list[CheckMessage] = [
        Error(f"EKYC: {problem}.", hint="See 'Checks from pictures' in the docs.", id="django_ekyc.E019")
        for problem in _offered(ekyc)
    ]
    if ekyc.PICTURE_CHECKS and not imaging_available():
        messages.append(
            Warning(
                "EKYC PICTURE_CHECKS are offered but Pillow is not installed: every check answers 503.",
                hint="pip install django-ekyc[pictures]",
                id="django_ekyc.W020",
            )
        )
    messages += [
        Error(f"EKYC CONSENT_TEXTS[{purpose!r}] {problem}.", id="django_ekyc.E021")
        for purpose, problem in _consent_problems(ekyc)
    ]
    return messages


def _offered(ekyc: EkycSettings) -> list[str]:
    problems = []
    for code in ekyc.PICTURE_CHECKS:
        check = PICTURE_CHECKS.get(code)
        if check is None:
            problems.append(
                f"PICTURE_CHECKS names {code!r}, not a check of the catalogue ({', '.join(PICTURE_CHECKS)})"
            )
        elif ekyc.REGION in REGIONS and ekyc.REGION not in check.regions:
            problems.append(f"PICTURE_CHECKS {code} does not run in {ekyc.REGION} ({', '.join(sorted(check.regions))})")
    searches = [
        code for code in ekyc.PICTURE_CHECKS if code in PICTURE_CHECKS and PICTURE_CHECKS[code].searches_library
    ]
    if searches and not ekyc.FACE_LIBRARY:
        problems.append(f"PICTURE_CHECKS {searches[0]} searches the face library: set FACE_LIBRARY")
    screening = next(check for check in PICTURE_CHECKS.values() if check.screens_deepfake)
    if ekyc.DEEPFAKE_SCREENING and ekyc.REGION in REGIONS and ekyc.REGION not in screening.regions:
        problems.append(f"DEEPFAKE_SCREENING needs DeepfakeDetectIntl, which does not run in {ekyc.REGION}")
    for code, options in ekyc.PICTURE_CHECK_OPTIONS.items():
        check = PICTURE_CHECKS.get(code)
        if check is None:
            problems.append(f"PICTURE_CHECK_OPTIONS names {code!r}, not a check of the catalogue")
            continue
        unknown = sorted(set(options) - set(check.site_options))
        if unknown:
            takes = ", ".join(check.site_options) or "none"
            problems.append(f"PICTURE_CHECK_OPTIONS[{code!r}] sets {', '.join(unknown)}; {code} takes {takes}")
    if ekyc.PICTURE_CHECK_DAILY_LIMIT < 0:
        problems.append("PICTURE_CHECK_DAILY_LIMIT must be 0 or more")
    return problems


def _consent_problems(ekyc: EkycSettings) -> list[tuple[str, str]]:
    problems = []
    for purpose, entry in ekyc.CONSENT_TEXTS.items():
        if not isinstance(entry, dict) or set(entry) != CONSENT_KEYS:
            problems.append((purpose, "must be {'version': ..., 'text': ...}"))
        elif not str(entry["version"]).strip() or len(str(entry["version"])) > 32 or not str(entry["text"]).strip():
            problems.append((purpose, "needs a version (1 to 32 characters) and a text"))
    return problems
