"""The transactional outbox: events for other systems, written in the same commit as the change they report, and
their delivery to each of the site's webhook endpoints (``EKYC["WEBHOOKS"]``).

An event row holds no identity data; an endpoint configured for it gets the verification's document facts added
when the event is delivered (read then, so that a purge reaches them too).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_ekyc.models.transaction import KycTransaction


class OutboxEvent(models.Model):
    """One event for the webhook endpoints: its id (receivers drop duplicates by it), type and payload."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=48, editable=False)
    # What the event is about; kept (as None) when its verification's own retention ends.
    transaction = models.ForeignKey(
        KycTransaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("verification"),
    )
    # The order events are delivered in: one verification's events in the order they were written.
    ordering_key = models.CharField(_("ordering key"), max_length=72, editable=False)
    payload = models.JSONField(_("payload"), default=dict, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("outgoing event")
        verbose_name_plural = _("outgoing events")
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint: tried until the endpoint acknowledges it (a 2xx answer)."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", editable=False)
    endpoint = models.CharField(_("endpoint"), max_length=64, editable=False)
    ordering_key = models.CharField(_("ordering key"), max_length=72, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    # When it may be tried next: a claimed delivery's lease, then the backoff after a failure.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now, editable=False)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=200, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-id",)
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="ekyc_delivery_once")]
        indexes = [
            # The worker's queue: what is still to deliver, per endpoint, by when it is due.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="ekyc_delivery_due",
                condition=Q(delivered_at=None),
            ),
            # Head of line: an event waits while an earlier one of its verification is undelivered.
            models.Index(
                fields=["endpoint", "ordering_key", "event"],
                name="ekyc_delivery_line",
                condition=Q(delivered_at=None),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.event_id} ({'delivered' if self.delivered_at else 'pending'})"
