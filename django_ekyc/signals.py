"""Signals sent by the verification flow, each once and only after the database commit.

``verification_started(sender=KycTransaction, transaction=<KycTransaction>)``
    The provider opened the verification (status ``initialized``).

``verification_completed(sender=KycTransaction, transaction=<KycTransaction>, passed=<bool>)``
    The provider decided (status ``passed`` or ``failed``). Sent once per
    transaction however many returns, callbacks and refreshes race to it.
"""

from django.dispatch import Signal

verification_started = Signal()
verification_completed = Signal()
