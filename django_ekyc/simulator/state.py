"""What the simulator remembers: accounts, transactions, nonces, faults and calls.

Everything lives in memory behind one lock, and only this module takes it:
other modules go through :class:`SimulatorState`'s methods, each of which is
atomic. A simulator is a test and demo tool, restarted freely, and
``/_sim/reset`` forgets all but the accounts.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_ekyc.simulator.faults import Fault

# A signed request is valid this long either side of the server's clock; a
# nonce must be remembered at least twice as long to catch every replay.
CLOCK_SKEW_SECONDS = 15 * 60
NONCE_TTL_SECONDS = 2 * CLOCK_SKEW_SECONDS


def new_transaction_id() -> str:
    # Shaped like the provider's ("hks" and 29 hex digits).
    return "hks" + secrets.token_hex(15)[:29]


@dataclass
class SimTransaction:
    transaction_id: str
    merchant_biz_id: str
    merchant_user_id: str
    doc_type: str
    return_url: str | None  # None for an app: the app SDK hands the result to the app
    callback_url: str | None
    callback_token: str | None
    page_token: str
    created_at: float
    product_code: str = "eKYC"
    device_type: str = "web"  # MetaInfo's deviceType: web (PC), h5 (mobile browser), ios, android
    protocol: str = ""  # what the app SDK's verify must be given
    page_opened: bool = False
    outcome: str | None = None  # set once the hosted flow ends
    completed_at: float | None = None
    authorize: bool = False  # Authorize=T: checked against the authoritative source too
    result_fetched: bool = False  # a CheckResult answered with the result
    images_deleted: bool = False  # DeleteVerifyResult with DeleteType=Img

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def in_app(self) -> bool:
        return self.device_type in ("ios", "android")


@dataclass
class SimulatorState:
    credentials: dict[str, str]
    region: str = "cn-hongkong"  # the provider's region this simulator stands for
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

    # -- transactions ------------------------------------------------------------------

    def add_transaction(self, params: Mapping[str, str], device_type: str) -> SimTransaction:
        page_token = secrets.token_urlsafe(24)
        tx = SimTransaction(
            transaction_id=new_transaction_id(),
            merchant_biz_id=params["MerchantBizId"],
            merchant_user_id=params["MerchantUserId"],
            doc_type=params.get("DocType", ""),
            return_url=params.get("ReturnUrl") or None,
            callback_url=params.get("CallbackUrl") or None,
            callback_token=params.get("CallbackToken") or None,
            page_token=page_token,
            created_at=time.time(),
            product_code=params["ProductCode"],
            device_type=device_type,
            protocol=f"sim-protocol-{secrets.token_urlsafe(18)}",
            authorize=params.get("Authorize") == "T",
        )
        with self.lock:
            self.transactions[tx.transaction_id] = tx
            self.pages[tx.page_token] = tx.transaction_id
        return tx

    def get_transaction(self, transaction_id: str) -> SimTransaction | None:
        with self.lock:
            return self.transactions.get(transaction_id)

    def transaction_id_for_page(self, page_token: str) -> str:
        """The TransactionId a hosted-page token belongs to; empty when unknown."""
        with self.lock:
            return self.pages.get(page_token, "")

    def forget_transaction(self, transaction_id: str) -> bool:
        """Drop a transaction as the provider does after 30 days; False when unknown."""
        with self.lock:
            return self.transactions.pop(transaction_id, None) is not None

    def open_page(self, page_token: str) -> tuple[SimTransaction | None, bool]:
        """The transaction behind a page token (None: unknown), and whether this call opened
        its page: a page opens once, and never after the flow ended."""
        with self.lock:
            tx = self.transactions.get(self.pages.get(page_token, ""))
            if tx is None or tx.page_opened or tx.finished:
                return tx, False
            tx.page_opened = True
            return tx, True

    def finish(self, transaction_id: str, outcome: str) -> tuple[SimTransaction | None, bool]:
        """End a transaction's flow with an outcome: the transaction (None: unknown), and
        whether this call ended it (False: it had already ended)."""
        with self.lock:
            tx = self.transactions.get(transaction_id)
            if tx is None or tx.finished:
                return tx, False
            tx.outcome, tx.completed_at, tx.page_opened = outcome, time.time(), True
            return tx, True

    def mark_result_fetched(self, tx: SimTransaction) -> None:
        with self.lock:
            tx.result_fetched = True

    def delete_result(
        self, transaction_id: str, *, images_only: bool, only_if_fetched: bool
    ) -> tuple[SimTransaction | None, bool]:
        """Delete a transaction's images, or the whole record: the transaction (None: unknown),
        and whether anything was deleted (False: ``only_if_fetched`` and not fetched yet)."""
        with self.lock:
            tx = self.transactions.get(transaction_id)
            if tx is None or (only_if_fetched and not tx.result_fetched):
                return tx, False
            if images_only:
                tx.images_deleted = True
            else:
                del self.transactions[transaction_id]
            return tx, True

    # -- faults ------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [fault.as_dict() for fault in self.faults]

    def take_fault(self, action: str) -> Fault | None:
        """The first fault matching an action, counting this call against it."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(action):
                    if fault.count > 0:
                        fault.count -= 1
                    return fault
        return None

    # -- calls -------------------------------------------------------------------------

    def record(self, call: dict[str, Any], generation: int) -> None:
        """Keep a call, unless the state was reset since the call began (``generation``)."""
        with self.lock:
            if generation == self.generation:
                self.calls.append(call)

    def list_calls(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.calls)
