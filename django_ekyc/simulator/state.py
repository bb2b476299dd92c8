"""What the simulator remembers: accounts, transactions, nonces, faults and calls.

Everything lives in memory behind one lock; a simulator is a test and demo
tool, restarted freely, and ``/_sim/reset`` forgets all but the accounts.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A signed request is valid this long either side of the server's clock; a
# nonce must be remembered at least twice as long to catch every replay.
CLOCK_SKEW_SECONDS = 15 * 60
NONCE_TTL_SECONDS = 2 * CLOCK_SKEW_SECONDS

FAULT_KINDS = frozenset({"throttle", "internal_error", "unavailable", "slow", "malformed", "drop", "error"})
FAULT_ACTIONS = frozenset({"Initialize", "CheckResult", "DeleteVerifyResult", "*"})


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def new_transaction_id() -> str:
    # Shaped like the provider's ("hks" and 29 hex digits).
    return "hks" + secrets.token_hex(15)[:29]


@dataclass
class SimTransaction:
    transaction_id: str
    merchant_biz_id: str
    merchant_user_id: str
    doc_type: str
    return_url: str
    callback_url: str | None
    callback_token: str | None
    page_token: str
    created_at: float
    page_opened: bool = False
    outcome: str | None = None  # set once the hosted flow ends
    completed_at: float | None = None
    authorize: bool = False  # Authorize=T: checked against the authoritative source too
    result_fetched: bool = False  # a CheckResult answered with the result
    images_deleted: bool = False  # DeleteVerifyResult with DeleteType=Img

    @property
    def finished(self) -> bool:
        return self.outcome is not None


@dataclass
class Fault:
    """An injected failure: ``count`` more matching calls get it (-1: until reset)."""

    action: str
    fault: str
    count: int = 1
    delay_ms: int = 0
    retry_after: int = 1
    code: str | None = None
    status: int | None = None
    message: str | None = None

    def matches(self, action: str) -> bool:
        return self.count != 0 and self.action in ("*", action)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass
class SimulatorState:
    credentials: dict[str, str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    transactions: dict[str, SimTransaction] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # page token -> TransactionId
    nonces: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # Bumped by reset(): a call still in flight across a reset is not recorded
    # into the next test's history.
    generation: int = 0

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.transactions.clear()
            self.pages.clear()
            self.nonces.clear()
            self.faults.clear()
            self.calls.clear()

    def use_nonce(self, nonce: str, now: float) -> bool:
        """Remember a nonce; False when it was already used within its lifetime."""
        with self.lock:
            if len(self.nonces) > 10_000:
                expired = [n for n, seen in self.nonces.items() if now - seen > NONCE_TTL_SECONDS]
                for n in expired:
                    del self.nonces[n]
            if nonce in self.nonces and now - self.nonces[nonce] <= NONCE_TTL_SECONDS:
                return False
            self.nonces[nonce] = now
            return True

    def take_fault(self, action: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(action):
                    if fault.count > 0:
                        fault.count -= 1
                    return fault
        return None

    def add_transaction(self, params: Mapping[str, str]) -> SimTransaction:
        tx = SimTransaction(
            transaction_id=new_transaction_id(),
            merchant_biz_id=params["MerchantBizId"],
            merchant_user_id=params["MerchantUserId"],
            doc_type=params["DocType"],
            return_url=params["ReturnUrl"],
            callback_url=params.get("CallbackUrl") or None,
            callback_token=params.get("CallbackToken") or None,
            page_token=secrets.token_urlsafe(24),
            created_at=time.time(),
            authorize=params.get("Authorize") == "T",
        )
        with self.lock:
            self.transactions[tx.transaction_id] = tx
            self.pages[tx.page_token] = tx.transaction_id
        return tx

    def record(self, call: dict[str, Any], generation: int) -> None:
        with self.lock:
            if generation == self.generation:
                self.calls.append(call)
