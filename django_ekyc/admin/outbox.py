"""The outbox in the admin: the events sent to the site's webhook endpoints and where each delivery stands.

Read-only, because only the flow writes events and only the worker moves deliveries; staff may send chosen
deliveries again (``change_webhookdelivery``). No page shows an endpoint's URL or secret: only its name.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_ekyc.admin.display import change_link
from django_ekyc.models import OutboxEvent, WebhookDelivery
from django_ekyc.services.webhook_delivery import resend

if TYPE_CHECKING:
    from datetime import datetime

    _EventAdmin = admin.ModelAdmin[OutboxEvent]
    _DeliveryAdmin = admin.ModelAdmin[WebhookDelivery]
    _DeliveryInline = admin.TabularInline[WebhookDelivery, OutboxEvent]
else:
    _EventAdmin = _DeliveryAdmin = admin.ModelAdmin
    _DeliveryInline = admin.TabularInline

DELIVERY_FIELDS = ("endpoint", "attempts", "next_attempt_at", "last_status", "last_error", "delivered_at")


class ReadOnly:
    """Nobody adds, edits or deletes an event or a delivery by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%H:%M" if local.date() == timezone.localdate() else "%Y-%m-%d %H:%M")


def summary(deliveries: list[WebhookDelivery]) -> str:
    """``delivered 1/1``, or the pending delivery furthest behind: ``pending (3 attempts, next 12:03, last HTTP
    500)``, then how many of the event's deliveries are done when it has several."""
    if not deliveries:
        return "-"
    done = sum(1 for row in deliveries if row.delivered_at is not None)
    if done == len(deliveries):
        return str(_("delivered %(done)d/%(all)d") % {"done": done, "all": len(deliveries)})
    behind = max((row for row in deliveries if row.delivered_at is None), key=lambda row: row.attempts)
    last = behind.last_error or (f"HTTP {behind.last_status}" if behind.last_status else "")
    text = ngettext(
        "pending (%(attempts)d attempt, next %(next)s, last %(last)s)",
        "pending (%(attempts)d attempts, next %(next)s, last %(last)s)",
        behind.attempts,
    ) % {"attempts": behind.attempts, "next": _when(behind.next_attempt_at), "last": last or _("not tried yet")}
    if len(deliveries) > 1:
        text += " " + str(_("delivered %(done)d/%(all)d") % {"done": done, "all": len(deliveries)})
    return text


class DeliveryInline(ReadOnly, _DeliveryInline):
    """An event's deliveries, one per endpoint, on its page."""

    model = WebhookDelivery
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    extra = 0
    can_delete = False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnly, _EventAdmin):
    """The outgoing events, newest first, with how far their deliveries got."""

    list_display = ("created_at", "type", "ordering_key", "verification", "deliveries_summary")
    list_filter = ("type",)
    list_select_related = ("transaction",)
    search_fields = ("=event_id", "ordering_key")
    show_full_result_count = False
    fields = ("event_id", "type", "created_at", "verification", "ordering_key", "payload_pretty")
    readonly_fields = fields
    inlines = (DeliveryInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxEvent]:
        return super().get_queryset(request).prefetch_related("deliveries")

    @admin.display(description=_("verification"))
    def verification(self, obj: OutboxEvent) -> str:
        return change_link(obj.transaction) if obj.transaction is not None else "-"

    @admin.display(description=_("deliveries"))
    def deliveries_summary(self, obj: OutboxEvent) -> str:
        return summary(list(obj.deliveries.all()))

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: OutboxEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True))


class DeliveredFilter(admin.SimpleListFilter):
    title = _("delivered")
    parameter_name = "delivered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("delivered")), ("no", _("pending"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(delivered_at__isnull=self.value() == "no")
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, _DeliveryAdmin):
    """Every delivery of every event, filterable by endpoint and state; chosen ones can be sent again."""

    list_display = ("event_link", "event_type", "endpoint", "ordering_key", *DELIVERY_FIELDS[1:])
    list_filter = ("endpoint", DeliveredFilter)
    list_select_related = ("event",)
    search_fields = ("=event__event_id", "ordering_key")
    show_full_result_count = False
    fields = ("event_link", "event_type", "ordering_key", *DELIVERY_FIELDS)
    readonly_fields = fields
    actions = ("send_again",)

    @admin.display(description=_("event"))
    def event_link(self, obj: WebhookDelivery) -> str:
        event = obj.event
        url = reverse(f"admin:{event._meta.app_label}_{event._meta.model_name}_change", args=[event.pk])
        return format_html('<a href="{}">{}</a>', url, event.event_id)

    @admin.display(description=_("type"))
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    def has_resend_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = resend(queryset)
        message = ngettext(
            "%(count)d delivery will be sent again on the worker's next pass.",
            "%(count)d deliveries will be sent again on the worker's next pass.",
            count,
        )
        self.message_user(request, message % {"count": count})
