"""The user's consent before their pictures (or identity facts) are sent: the text, its version, the act.

The frontend shows the text of :func:`consent_text` and sends its ``version`` with the request only when the user
agreed (the user's own act: a box they tick). :func:`record_consent` writes the act, in the request's commit; no
code path records one without a request that carries it. A site words its own text (``CONSENT_TEXTS``); a new
version makes the old one stale, and a request that carries a stale version is refused: the user has not seen
the current text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import AuditKind, Consent
from django_ekyc.services.audit import audit
from django_ekyc.services.site import merchant_user_id_for

# The app's own texts, by purpose; a site's CONSENT_TEXTS entry replaces one (its version and its words).
DEFAULT_VERSION = "2026-12-04"
DEFAULT_TEXTS = {
    "pictures": _(
        "To check your identity, this site sends the pictures you choose (your face, your identity document) to "
        "Alibaba Cloud ID Verification, which compares, reads and screens them and answers the result. Faces and "
        "identity documents are sensitive personal data: they are used for this check only, kept by this site "
        "only as long as its retention policy says, and never shared for anything else. You can withdraw this "
        "consent at any time; checks already made keep their record."
    ),
}


@dataclass(frozen=True)
class ConsentText:
    """A consent text as the user reads it: its purpose, version and words (in the active language)."""

    purpose: str
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def consent_text(purpose: str) -> ConsentText:
    """The current text of ``purpose``: the site's (``CONSENT_TEXTS``), else the app's."""
    own = ekyc_settings.CONSENT_TEXTS.get(purpose)
    if own:
        return ConsentText(purpose, str(own["version"]), str(own["text"]))
    if purpose not in DEFAULT_TEXTS:
        raise KeyError(f"No consent text for the purpose {purpose!r}.")
    return ConsentText(purpose, DEFAULT_VERSION, str(DEFAULT_TEXTS[purpose]))


def consent_purposes() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*DEFAULT_TEXTS, *ekyc_settings.CONSENT_TEXTS]))


def check_consent(purpose: str, version: str) -> ConsentText:
    """The text the request's ``version`` accepts; refused when none was given or it is not the current one."""
    current = consent_text(purpose)
    if not version:
        raise InvalidInput("consent", "consent_required", str(_("Agree to the consent text first: it is required.")))
    if version != current.version:
        raise InvalidInput(
            "consent",
            "consent_outdated",
            str(_("The consent text has changed: read the current one and agree to it again.")),
        )
    return current


def record_consent(user: AbstractBaseUser, text: ConsentText, check_code: str) -> Consent:
    """The user's act, on record: which text (version, hash, language), when, for which check; and on the
    person's audit chain."""
    person = merchant_user_id_for(user)
    with transaction.atomic():
        consent = Consent.objects.create(
            user_id=user.pk,
            subject_reference=person,
            purpose=text.purpose,
            check_code=check_code,
            version=text.version,
            text_sha256=text.sha256,
            language=translation.get_language() or "",
        )
        audit(person, AuditKind.CONSENT_GIVEN, consent=str(consent.public_id), **_terms(consent))
    return consent


def withdraw_consent(user: AbstractBaseUser, purpose: str) -> int:
    """Withdraw the user's consents of ``purpose``: no check runs under them again. Returns how many."""
    person = merchant_user_id_for(user)
    with transaction.atomic():
        consents = list(Consent.objects.active().filter(user_id=user.pk, purpose=purpose).select_for_update())
        withdrawn = Consent.objects.filter(pk__in=[consent.pk for consent in consents]).update(
            withdrawn_at=timezone.now()
        )
        for consent in consents:
            audit(person, AuditKind.CONSENT_WITHDRAWN, consent=str(consent.public_id), **_terms(consent))
    return withdrawn


def _terms(consent: Consent) -> dict[str, str]:
    return {
        "purpose": consent.purpose,
        "check": consent.check_code,
        "version": consent.version,
        "text_sha256": consent.text_sha256,
        "language": consent.language,
    }
