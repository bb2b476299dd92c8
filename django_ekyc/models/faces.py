"""The site's face library, as the site knows it: the faces it registered, and the duplicate persons found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_ekyc.models.transaction import KycTransaction


class FaceRecordQuerySet(models.QuerySet["FaceRecord"]):
    def present(self) -> FaceRecordQuerySet:
        """Faces still in the provider's library, as far as the site knows (none asked to be deleted)."""
        return self.filter(delete_requested_at=None)

    def deletion_pending(self) -> FaceRecordQuerySet:
        """Faces asked to be deleted that the provider has not confirmed deleted yet: to be retried."""
        return self.filter(delete_requested_at__isnull=False, deleted_at=None).order_by("delete_requested_at", "id")


class FaceRecord(models.Model):
    """A face the site registered in a face library (or found registered there for one of its users).

    The provider keys a face by the ``MerchantUserId`` it was registered under; the site registers each user's
    face under a keyed hash of the user (``face_key``), so this row is how a search's match leads back to an
    account, and how a user's faces are found again to be deleted. It outlives the user on purpose: a deleted
    user's row, without the user, records that their face was deleted at the provider (or is still to be).
    """

    face_key = models.CharField(_("face key (MerchantUserId)"), max_length=32)
    account = models.CharField(_("provider account"), max_length=64, blank=True, default="")
    face_group = models.CharField(_("face library"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # The passed verification the face stands for (its latest one, when the user verified again).
    transaction = models.ForeignKey(
        KycTransaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verification"),
    )
    face_id = models.CharField(_("provider face id"), max_length=64, blank=True)
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    delete_requested_at = models.DateTimeField(_("deletion requested"), null=True, blank=True)
    delete_reason = models.CharField(_("deletion reason"), max_length=16, blank=True)
    deleted_at = models.DateTimeField(_("deleted at the provider"), null=True, blank=True)
    delete_attempts = models.PositiveIntegerField(_("deletion attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=64, blank=True)

    objects = FaceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("face record")
        verbose_name_plural = _("face records")
        ordering = ("-registered_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "face_group", "face_key"],
                condition=models.Q(delete_requested_at=None),
                name="ekyc_one_present_face_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.face_group}/{self.face_key[:12]}"


class DuplicateMatch(models.Model):
    """A verification whose face is already registered for another user: one person behind several accounts.

    Staff see it in the admin; the user never learns that another account exists. What happens next (block,
    review) is the site's policy, through the ``duplicate_person_found`` signal.
    """

    transaction = models.ForeignKey(
        KycTransaction, on_delete=models.CASCADE, related_name="duplicate_matches", verbose_name=_("transaction")
    )
    # The other account's face record and its verification (None once they are gone; the provider's ids stay).
    face_record = models.ForeignKey(
        FaceRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("face record")
    )
    matched_transaction = models.ForeignKey(
        KycTransaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("matches")
    )
    face_group = models.CharField(_("face library"), max_length=64)
    face_id = models.CharField(_("provider face id"), max_length=64, blank=True)
    merchant_user_id = models.CharField(_("matched face key"), max_length=64)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        verbose_name = _("duplicate person")
        verbose_name_plural = _("duplicate persons")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "merchant_user_id"], name="ekyc_duplicate_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} ~ {self.merchant_user_id[:12]}"
