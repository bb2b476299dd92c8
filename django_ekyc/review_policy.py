"""``EKYC["REVIEW"]``: which verifications wait for a person, the reasons staff may give, where two people must
agree, and whether staff may approve what the provider failed. One setting, cleaned into :class:`ReviewPolicy`.

The rule names are plain strings here (the models' ``ReviewRule`` labels them) so that the settings, which the
client reads, import nothing of the ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from django_ekyc.exceptions import EkycConfigurationError

# Why a verification may wait for a person: a face flag, a deepfake flag, a failure the site lists by its sub
# code, and an answer the provider left pending (CheckResult Passed=P).
RULES = (
    "duplicate",
    "reference_conflict",
    "document_conflict",
    "unverified_reference",
    "deepfake",
    "sub_code",
    "pending",
)
# The app's reasons, translated when shown (lazily: the settings are read before any request); a site lists its
# own instead, in its words.
DEFAULT_REASONS: Mapping[str, str | Promise] = MappingProxyType(
    {
        "checked_documents": _("The documents and the face were checked by a person"),
        "same_person": _("A person confirmed it is the same person"),
        "known_customer": _("A known customer, verified by other means"),
        "suspected_fraud": _("Suspected fraud"),
        "unreadable": _("The pictures or the document could not be read"),
        "other": _("Other: see the note"),
    }
)
KEYS = frozenset({"RULES", "SUB_CODES", "REASONS", "FOUR_EYES", "APPROVE_FAILED"})


@dataclass(frozen=True)
class ReviewPolicy:
    """What the site reviews and how; see ``docs/review.md``."""

    rules: frozenset[str] = frozenset(RULES)
    sub_codes: frozenset[str] = frozenset()
    reasons: Mapping[str, str | Promise] = field(default_factory=lambda: DEFAULT_REASONS)
    four_eyes: frozenset[str] = frozenset()
    approve_failed: bool = False


def clean_review(value: Any) -> ReviewPolicy:
    """The site's ``REVIEW`` dict as a policy; unknown keys, rules or empty reasons are configuration errors."""
    if isinstance(value, ReviewPolicy):
        return value
    unknown = sorted(set(value) - KEYS)
    if unknown:
        raise EkycConfigurationError(f"Unknown key(s) in EKYC['REVIEW']: {', '.join(unknown)}.")
    rules = _rules(value.get("RULES", RULES), "RULES")
    reasons = value.get("REASONS", DEFAULT_REASONS)
    if not isinstance(reasons, Mapping) or not reasons or not all(str(key).strip() for key in reasons):
        raise EkycConfigurationError("EKYC['REVIEW']['REASONS'] must map reason codes to labels, at least one.")
    approve_failed = value.get("APPROVE_FAILED", False)
    if not isinstance(approve_failed, bool):
        raise EkycConfigurationError("EKYC['REVIEW']['APPROVE_FAILED'] must be True or False.")
    return ReviewPolicy(
        rules=rules,
        sub_codes=frozenset(_strings(value.get("SUB_CODES", ()), "SUB_CODES")),
        reasons=MappingProxyType(
            {str(key): label if isinstance(label, Promise) else str(label) for key, label in reasons.items()}
        ),
        four_eyes=_rules(value.get("FOUR_EYES", ()), "FOUR_EYES"),
        approve_failed=approve_failed,
    )


def _rules(value: Any, key: str) -> frozenset[str]:
    names = frozenset(_strings(value, key))
    unknown = sorted(names - set(RULES))
    if unknown:
        raise EkycConfigurationError(
            f"EKYC['REVIEW']['{key}'] names unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(RULES)}."
        )
    return names


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple | set | frozenset):
        raise EkycConfigurationError(f"EKYC['REVIEW']['{key}'] must be a list of strings.")
    return tuple(str(item) for item in value)
