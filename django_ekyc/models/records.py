"""What the site keeps about a person's records, and why: the person's pseudonym and the end of the relationship,
legal holds, the purges made, and the audit of staff acts and consents (hash-chained per person).

The rules themselves are settings (``EKYC["RETENTION"]``, :mod:`django_ekyc.retention_policy`); these rows are the
facts the rules are counted from, and the record of what was done under them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_ekyc.chain import GENESIS, Link, link_hash
from django_ekyc.models.transaction import KycTransaction


class KycSubject(models.Model):
    """A person whose records the site keeps: their pseudonym, when the business relationship ended (the site
    marks it), and when they were erased (their user deleted). Created when one of these first matters."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kyc_subject",
        verbose_name=_("user"),
    )
    # The keyed hash of the user their verifications carry (``merchant_user_id``): names nobody, outlives the user.
    reference = models.CharField(_("pseudonym"), max_length=64, unique=True, editable=False)
    relationship_ended_at = models.DateTimeField(_("relationship ended"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.reference[:12]


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at=None)


class LegalHold(models.Model):
    """Staff suspend every purge of a person's records, or of one verification, until they release it (an
    investigation, a regulator's notice, a dispute). Placing and releasing are on record; a hold is never deleted."""

    subject_reference = models.CharField(_("person (pseudonym)"), max_length=64, blank=True, editable=False)
    # PROTECT: no deletion, cascade or purge removes a held verification.
    transaction = models.ForeignKey(
        KycTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        editable=False,
        verbose_name=_("verification"),
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    placed_by_name = models.CharField(_("placed by"), max_length=150, editable=False)
    placed_at = models.DateTimeField(_("placed"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True, editable=False)
    released_by_name = models.CharField(_("released by"), max_length=150, blank=True, editable=False)
    release_reason = models.TextField(_("why released"), blank=True, editable=False)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ("-placed_at", "-id")
        indexes = [models.Index(fields=["subject_reference", "released_at"], name="ekyc_hold_subject")]
        constraints = [
            # A hold is on a person or on one verification, never both, never neither.
            models.CheckConstraint(
                condition=(Q(subject_reference="") & Q(transaction__isnull=False))
                | (~Q(subject_reference="") & Q(transaction__isnull=True)),
                name="ekyc_hold_one_target",
            )
        ]

    def __str__(self) -> str:
        on = f"verification {self.transaction_id}" if self.transaction_id else f"person {self.subject_reference[:12]}"
        return f"{on} ({'released' if self.released_at else 'held'})"


class PurgeRun(models.Model):
    """One applied purge: when, what started it, and how many records each rule removed."""

    trigger = models.CharField(_("started by"), max_length=32)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # {rule: records removed}, for the rules of EKYC["RETENTION"] (and the pending deletions retried).
    counts = models.JSONField(_("removed, per rule"), default=dict)
    failures = models.PositiveIntegerField(_("provider deletions failed"), default=0)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.trigger} {self.started_at:%Y-%m-%d %H:%M}"


class ChainHead(models.Model):
    """How many entries an audit chain holds: its lock (an UPDATE), and what shows an entry cut from its end."""

    key = models.CharField(max_length=64, unique=True)
    length = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self) -> str:
        return f"{self.key[:12]} ({self.length})"


class AuditKind(models.TextChoices):
    CONSENT_GIVEN = "consent_given", _("Consent given")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    HOLD_PLACED = "hold_placed", _("Legal hold placed")
    HOLD_RELEASED = "hold_released", _("Legal hold released")
    RELATIONSHIP_ENDED = "relationship_ended", _("Relationship ended")
    ERASED = "erased", _("Erased (user deleted)")
    EXPORTED = "exported", _("Data exported (access request)")
    TRAIL_EXPORTED = "trail_exported", _("Audit trail exported")
    VERIFICATION_DELETED = "verification_deleted", _("Verification deleted (its retention ended)")


# The chain of acts on the site's records as a whole (an auditor's export), beside one chain per person.
SITE_CHAIN = "site"
AUDIT_CHAINED_FIELDS = ("chain", "seq", "created_at", "kind", "actor", "detail")


class AuditEntry(models.Model):
    """A person's act on their own records (a consent) or a staff act on them (a hold, an export): append-only,
    chained per person (``chain`` is their pseudonym; ``site`` for acts on the records as a whole)."""

    chain = models.CharField(_("chain"), max_length=64, editable=False)
    seq = models.PositiveIntegerField(_("number"), editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash (SHA-256)"), max_length=64, editable=False)
    kind = models.CharField(_("kind"), max_length=24, choices=AuditKind.choices, editable=False)
    # The staff member's username (or the command that acted); empty for the person's own act.
    actor = models.CharField(_("by"), max_length=150, blank=True, editable=False)
    detail = models.JSONField(_("detail"), default=dict, editable=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ("chain", "seq")
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="ekyc_audit_chain_link")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("An audit entry is never edited: write a new one.")
        with transaction.atomic():
            ChainHead.objects.get_or_create(key=self.chain)
            ChainHead.objects.filter(key=self.chain).update(length=F("length") + 1)  # the chain's lock
            self.seq = ChainHead.objects.values_list("length", flat=True).get(key=self.chain)
            last = AuditEntry.objects.filter(chain=self.chain).order_by("-seq").values_list("hash", flat=True).first()
            self.created_at = timezone.now()
            self.prev_hash = last or GENESIS
            self.hash = link_hash(self.prev_hash, self.chain_content())
            super().save(*args, **kwargs)

    def chain_content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUDIT_CHAINED_FIELDS}

    def as_link(self) -> Link:
        return Link(self.seq, self.prev_hash, self.hash, self.chain_content())
