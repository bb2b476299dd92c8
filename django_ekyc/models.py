"""``KycTransaction``: one verification attempt by one user, and its history.

The row is the system of record: it is written before the provider is called
and every provider call and state change adds a :class:`KycTransactionEvent`,
so no request can lose an attempt or what happened to it. State changes go
through :mod:`django_ekyc.services` only, never through ``save()`` from a view.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_ekyc.fields import EncryptedJSONField


class Status(models.TextChoices):
    CREATED = "created", _("Created")
    INITIALIZED = "initialized", _("Waiting for the user")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error")
    EXPIRED = "expired", _("Expired")


TERMINAL_STATUSES = frozenset({Status.PASSED, Status.FAILED, Status.ERROR, Status.EXPIRED})

# The only moves the automatic flow may make; terminal states never move again.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.INITIALIZED, Status.ERROR}),
    Status.INITIALIZED: frozenset({Status.PASSED, Status.FAILED, Status.EXPIRED}),
}


class KycTransactionQuerySet(models.QuerySet["KycTransaction"]):
    def for_user(self, user: Any) -> KycTransactionQuerySet:
        return self.filter(user=user)

    def waiting(self) -> KycTransactionQuerySet:
        return self.filter(status=Status.INITIALIZED)


class KycTransaction(models.Model):
    """A verification attempt: what was asked of the provider, and what it decided."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kyc_transactions", verbose_name=_("user")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CREATED)
    merchant_biz_id = models.CharField(_("merchant business id"), max_length=32, unique=True, editable=False)
    # Which of EKYC["ACCOUNTS"] opened it ("" = the default account); refreshes use the same one.
    account = models.CharField(_("provider account"), max_length=64, blank=True, default="", editable=False)
    # A keyed hash of the user id: the provider never learns who the user is here.
    merchant_user_id = models.CharField(_("merchant user id"), max_length=64, editable=False)
    transaction_id = models.CharField(_("provider transaction id"), max_length=64, unique=True, null=True, blank=True)
    doc_type = models.CharField(_("document type"), max_length=16)
    scene_code = models.CharField(_("scene code"), max_length=10, blank=True)
    # The Initialize options sent (never MetaInfo, never the URLs or tokens).
    options = models.JSONField(_("options"), default=dict, blank=True)
    passed = models.BooleanField(_("passed"), null=True)
    sub_code = models.CharField(_("sub code"), max_length=16, blank=True)
    # The parsed Ext* results (images only if STORE_IMAGES): personal data, encrypted at rest.
    result = EncryptedJSONField(_("result"), null=True, blank=True)
    identity_purged_at = models.DateTimeField(_("identity data purged"), null=True, blank=True)
    provider_deleted_at = models.DateTimeField(_("deleted at the provider"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    # SHA-256 of the random tokens in the ReturnUrl and given as CallbackToken:
    # a copy of the database is not enough to forge a return or a callback.
    return_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    callback_token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Background sync: when to ask the provider next, and how often it has been asked.
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    check_attempts = models.PositiveIntegerField(_("checks"), default=0)
    # When the provider was last asked about it, whoever asked: user-prompted checks are spaced by this.
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)

    objects = KycTransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("KYC transaction")
        verbose_name_plural = _("KYC transactions")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="ekyc_tx_user_created"),
            models.Index(fields=["status", "created_at"], name="ekyc_tx_status_created"),
            models.Index(fields=["status", "next_check_at"], name="ekyc_tx_status_next_check"),
        ]
        permissions = [
            ("refresh_kyctransaction", _("Can refresh a KYC transaction from the provider")),
            ("view_identity_data", _("Can reveal the identity data of a KYC transaction")),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def doc_type_label(self) -> str:
        from django_ekyc.conf import ekyc_settings

        return str(ekyc_settings.DOC_TYPES.get(self.doc_type, self.doc_type))


class EventKind(models.TextChoices):
    PROVIDER_CALL = "provider_call", _("Provider call")
    STATE_CHANGE = "state_change", _("State change")
    REJECTED = "rejected", _("Rejected request")
    PURGED = "purged", _("Identity data purged")


class KycTransactionEvent(models.Model):
    """One provider call or one state change of a transaction: its audit trail."""

    transaction = models.ForeignKey(KycTransaction, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    # What caused it: api, return, callback, refresh, admin, expiry...
    source = models.CharField(_("source"), max_length=16)
    action = models.CharField(_("provider action"), max_length=32, blank=True)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    code = models.CharField(_("code"), max_length=64, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    request_id = models.CharField(_("provider request id"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("KYC transaction event")
        verbose_name_plural = _("KYC transaction events")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        what = self.action or f"{self.from_status} -> {self.to_status}"
        return f"{self.kind}: {what} {self.code}".strip()
