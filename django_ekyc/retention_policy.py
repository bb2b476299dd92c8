"""``EKYC["RETENTION"]``: how long each kind of record is kept, counted from what, why, and whether a person's
erasure removes it at once. One setting, cleaned into :class:`RetentionPolicy`; ``docs/retention.md`` gives the
sources behind the defaults.

The kinds: ``identity`` (what the document and the face check read: the result, the provider's log of the flow),
``pictures`` (images in the result, the reference face, the face registered in the provider's library),
``decisions`` (the verification itself: status, sub code, history, staff decisions) and ``consent`` (what the
person agreed to). Plain data: the settings, which the client reads, import nothing of the ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.setting import Setting

KINDS = ("identity", "pictures", "decisions", "consent")
# What a rule counts from: the verification's completion (a consent's withdrawal), or the end of the business
# relationship, which the site marks (services.end_relationship) and a user's deletion implies.
COMPLETION, RELATIONSHIP_END = "completion", "relationship_end"
ERASE, KEEP = "erase", "keep"  # what a person's erasure does to the kind at once
RETENTION_HELP = (
    "Per kind of record (identity, pictures, decisions, consent): DAYS kept, counted FROM completion or "
    "relationship_end, ON_ERASURE erase or keep, and the BASIS: see the retention docs."
)
RULE_KEYS = frozenset({"DAYS", "FROM", "ON_ERASURE", "BASIS"})


@dataclass(frozen=True)
class RetentionRule:
    """One kind's rule: kept ``days`` after ``counted_from``; ``on_erasure`` erase or keep; the ``basis``."""

    kind: str
    days: int
    counted_from: str
    on_erasure: str
    basis: str


# The app's defaults: identity data and pictures kept only as long as a question about the verification is likely
# (minimisation); the decision trail and the consents behind it kept five years after the relationship ends, the
# customer due-diligence floor of Hong Kong, Singapore and Indonesia (Malaysia: six). A site under an AML rule
# keeps identity data as long as its rule says (docs/retention.md).
DEFAULT_RULES: Mapping[str, RetentionRule] = MappingProxyType(
    {
        "identity": RetentionRule(
            "identity", 90, COMPLETION, ERASE, "Data minimisation: kept while the verification may be questioned."
        ),
        "pictures": RetentionRule(
            "pictures", 90, COMPLETION, ERASE, "Data minimisation: kept while the verification may be questioned."
        ),
        "decisions": RetentionRule(
            "decisions",
            5 * 365,
            RELATIONSHIP_END,
            KEEP,
            "AML record keeping: customer due-diligence records, 5 years after the relationship ends.",
        ),
        "consent": RetentionRule(
            "consent", 5 * 365, RELATIONSHIP_END, KEEP, "Proof of the lawful basis of the checks it allowed."
        ),
    }
)


@dataclass(frozen=True)
class RetentionPolicy:
    """Every kind's rule, by kind."""

    rules: Mapping[str, RetentionRule] = field(default_factory=lambda: DEFAULT_RULES)

    def __getitem__(self, kind: str) -> RetentionRule:
        return self.rules[kind]


def clean_retention(value: Any) -> RetentionPolicy:
    """The site's ``RETENTION`` dict (any kinds, any keys of each) over the defaults; bad values are errors."""
    if isinstance(value, RetentionPolicy):
        return value
    unknown = sorted(set(value) - set(KINDS))
    if unknown:
        raise EkycConfigurationError(
            f"Unknown kind(s) in EKYC['RETENTION']: {', '.join(unknown)} (kinds: {', '.join(KINDS)})."
        )
    rules = {kind: _rule(DEFAULT_RULES[kind], value.get(kind, {})) for kind in KINDS}
    return RetentionPolicy(MappingProxyType(rules))


def _rule(default: RetentionRule, given: Any) -> RetentionRule:
    where = f"EKYC['RETENTION']['{default.kind}']"
    if not isinstance(given, Mapping):
        raise EkycConfigurationError(f"{where} must be a dict with DAYS, FROM, ON_ERASURE and BASIS.")
    unknown = sorted(set(given) - RULE_KEYS)
    if unknown:
        raise EkycConfigurationError(f"Unknown key(s) in {where}: {', '.join(unknown)}.")
    rule = replace(
        default,
        days=given.get("DAYS", default.days),
        counted_from=given.get("FROM", default.counted_from),
        on_erasure=given.get("ON_ERASURE", default.on_erasure),
        basis=given.get("BASIS", default.basis),
    )
    if isinstance(rule.days, bool) or not isinstance(rule.days, int) or rule.days < 0:
        raise EkycConfigurationError(f"{where}['DAYS'] must be a whole number of days, 0 or more.")
    if rule.counted_from not in (COMPLETION, RELATIONSHIP_END):
        raise EkycConfigurationError(f"{where}['FROM'] must be '{COMPLETION}' or '{RELATIONSHIP_END}'.")
    if rule.on_erasure not in (ERASE, KEEP):
        raise EkycConfigurationError(f"{where}['ON_ERASURE'] must be '{ERASE}' or '{KEEP}'.")
    if not isinstance(rule.basis, str) or not rule.basis.strip():
        raise EkycConfigurationError(f"{where}['BASIS'] must say why the records are kept that long.")
    return rule


def retention_setting() -> Setting[RetentionPolicy]:
    """The setting as ``EkycSettings`` declares it (a dict, cleaned into a :class:`RetentionPolicy`)."""
    return Setting[RetentionPolicy]({}, (Mapping, RetentionPolicy), RETENTION_HELP, clean=clean_retention)  # type: ignore[arg-type]
