"""``ReviewDecision``: one staff member's decision on a verification, never edited, only superseded.

Decisions are an append-only layer beside the provider's answer: a row is written once (``save`` refuses to
change it) and the verification's ``review`` and ``review_decision`` point at the latest one that took effect.
A four-eyes approval is two rows: the first (``effective=False``) waits for the second, by another person, which
names it in ``confirms``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_ekyc.models.states import ReviewRule, Verdict
from django_ekyc.models.transaction import KycTransaction


class ReviewDecision(models.Model):
    """Who decided what about a verification, when and why."""

    transaction = models.ForeignKey(
        KycTransaction, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("verification")
    )
    verdict = models.CharField(_("decision"), max_length=8, choices=Verdict.choices)
    reason = models.CharField(_("reason"), max_length=64)
    note = models.TextField(_("note"), blank=True)
    # Why it was in the queue when decided (a snapshot: the flags may change later).
    rule = models.CharField(_("reviewed for"), max_length=24, choices=ReviewRule.choices, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    # The staff member's username at the time: the record says who even after the account goes.
    staff_name = models.CharField(_("decided by"), max_length=150)
    # False for the first half of a four-eyes approval, until a second person confirms it.
    effective = models.BooleanField(_("took effect"), default=True)
    confirms = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirms")
    )
    # The provider's verdict when the decision was made.
    provider_status = models.CharField(_("provider's status"), max_length=16)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ("created_at", "id")
        constraints = [
            # Two reviewers racing to confirm the same first approval: one row only.
            models.UniqueConstraint(fields=["confirms"], name="ekyc_review_confirmed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} ({self.reason}) by {self.staff_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write a new decision; an existing one is never changed (a later decision supersedes it)."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("A review decision is never edited: record a new one.")
        super().save(*args, **kwargs)


class ReviewQueueItem(KycTransaction):
    """The verifications waiting for a person, as the admin's review queue lists them (a proxy: the same rows)."""

    class Meta:
        proxy = True
        default_permissions = ()  # seen with review_kyctransaction, decided with decide_kyctransaction
        verbose_name = _("verification to review")
        verbose_name_plural = _("review queue")
