"""``KycTransactionEvent``: the history of a transaction, one row per provider call and per state change."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_ekyc.models.transaction import KycTransaction


class EventSource(models.TextChoices):
    """What caused a provider call or a state change."""

    API = "api", _("API (the user's frontend)")
    REFRESH = "refresh", _("Refresh (site code)")
    RETURN = "return", _("Return page")
    CALLBACK = "callback", _("Provider callback")
    SYNC = "sync", _("Background sync")
    EXPIRY = "expiry", _("Expiry")
    RETENTION = "retention", _("Retention")
    ADMIN = "admin", _("Staff (admin)")


class EventKind(models.TextChoices):
    PROVIDER_CALL = "provider_call", _("Provider call")
    STATE_CHANGE = "state_change", _("State change")
    REJECTED = "rejected", _("Rejected request")
    PURGED = "purged", _("Identity data purged")
    FACE = "face", _("Face library")
    REVIEW = "review", _("Staff review")


class KycTransactionEvent(models.Model):
    """One provider call or one state change of a transaction: its audit trail."""

    transaction = models.ForeignKey(KycTransaction, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=EventSource.choices)
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
        # The operator's view reads the provider calls of the last days by when they were made.
        indexes = [models.Index(fields=["kind", "created_at"], name="ekyc_event_kind_created")]

    def __str__(self) -> str:
        what = self.action or f"{self.from_status} -> {self.to_status}"
        return f"{self.kind}: {what} {self.code}".strip()
