"""The outbox's writing side: an event for the webhook endpoints, in the same commit as the change it reports.

Only the endpoints that take an event type get a delivery; with no endpoint configured nothing is written. What an
event says is read from the row as the change left it (inside the same transaction), so that it reports the
commit it is part of, and never carries identity data (the delivery adds it for endpoints allowed to have it).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from django_ekyc import outcomes
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import EventKind, KycTransaction, KycTransactionEvent, OutboxEvent, WebhookDelivery

# What each history row of these kinds is, as an event type (a state change: by the state it moved to).
EVENT_TYPE_OF_KIND = {
    EventKind.FACE: "verification.face",
    EventKind.REVIEW: "verification.reviewed",
    EventKind.PURGED: "verification.purged",
    EventKind.HOLD: "verification.legal_hold",
}


def event_type_for(record: KycTransactionEvent) -> str | None:
    """The event type a history row is published as, or None (provider calls, rejected requests, reveals)."""
    if record.kind == EventKind.STATE_CHANGE:
        return f"verification.{record.to_status}"
    return EVENT_TYPE_OF_KIND.get(EventKind(record.kind)) if record.kind in EVENT_TYPE_OF_KIND else None


def publish_history(record: KycTransactionEvent) -> OutboxEvent | None:
    """The outgoing event of a history row (a state change, a flag, a decision, a purge, a hold), if any endpoint
    takes it; call inside the transaction that wrote the row."""
    event_type = event_type_for(record)
    if event_type is None or not ekyc_settings.WEBHOOKS.taking(event_type):
        return None
    kyc = KycTransaction.objects.select_related("review_decision").get(pk=record.transaction_id)
    change = {"kind": record.kind, "code": record.code, "seq": record.seq}
    if record.kind == EventKind.STATE_CHANGE:
        change |= {"from": record.from_status, "to": record.to_status}
    return publish(event_type, verification_data(kyc) | {"change": change}, transaction=kyc)


def publish(
    event_type: str, data: dict[str, Any], *, transaction: KycTransaction | None = None, person: str = ""
) -> OutboxEvent | None:
    """Write one event and its deliveries (one per endpoint taking ``event_type``); ordered per verification, or
    per person for events about a person."""
    endpoints = ekyc_settings.WEBHOOKS.taking(event_type)
    if not endpoints:
        return None
    key = f"verification:{transaction.public_id}" if transaction is not None else f"person:{person}"
    event = OutboxEvent(type=event_type, transaction=transaction, ordering_key=key, created_at=timezone.now())
    event.payload = {
        "id": str(event.event_id),
        "type": event_type,
        "created": event.created_at.isoformat(),
        "data": data,
    }
    event.save()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint=endpoint.name, ordering_key=key, next_attempt_at=event.created_at)
        for endpoint in endpoints
    )
    return event


def verification_data(kyc: KycTransaction) -> dict[str, Any]:
    """What an event says of a verification: its state and verdicts, never identity data."""
    return {
        "verification": str(kyc.public_id),
        "user": kyc.user_id,  # the site's own key for its user (None once the user is erased)
        "person": kyc.merchant_user_id,  # the pseudonym: stable, and it outlives the user
        "product": kyc.product_code,
        "purpose": kyc.purpose,
        "status": kyc.status,
        "passed": kyc.passed,
        "sub_code": kyc.sub_code,
        "face_status": kyc.face_status,
        "deepfake": kyc.deepfake,
        "review": kyc.review,
        "verdict": outcomes.verdict(kyc),
        "completed": kyc.completed_at.isoformat() if kyc.completed_at else None,
    }
