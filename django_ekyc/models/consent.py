"""``Consent``: what a user agreed to before the site sent their pictures (or, later, their identity facts).

A row is one act of the user, in the frontend: the text's purpose, its version and a hash of the exact words shown
(in the language shown), when, and for which check. It is never created on the user's behalf: the services take
it from the request that carried the user's act. Withdrawing it stamps ``withdrawn_at``; the rows of checks made
under it keep pointing at it, so staff see what each check was allowed by.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentQuerySet(models.QuerySet["Consent"]):
    def active(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at=None)


class Consent(models.Model):
    """One consent given by a user: which text (purpose, version, hash, language), when, for which check."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # SET_NULL: a consent is the proof of what a check was allowed by, and outlives the account (pseudonymised).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kyc_consents",
        verbose_name=_("user"),
    )
    # The person's pseudonym (their verifications' ``merchant_user_id``): how retention finds it after the user goes.
    subject_reference = models.CharField(_("person (pseudonym)"), max_length=64, blank=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=32, editable=False)
    # The check (ProductCode) the user was about to run when they agreed.
    check_code = models.CharField(_("check"), max_length=32, editable=False)
    version = models.CharField(_("text version"), max_length=32, editable=False)
    text_sha256 = models.CharField(_("text hash (SHA-256)"), max_length=64, editable=False)
    language = models.CharField(_("language"), max_length=16, blank=True, editable=False)
    given_at = models.DateTimeField(_("given"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ("-given_at", "-id")
        indexes = [
            models.Index(fields=["user", "purpose", "withdrawn_at"], name="ekyc_consent_user_purpose"),
            models.Index(fields=["subject_reference"], name="ekyc_consent_subject"),
        ]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"{self.purpose} v{self.version} ({state})"
