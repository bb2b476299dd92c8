"""What the simulator remembers: accounts, temporary credentials, transactions, nonces, faults and calls.

Everything lives in memory behind one lock, and only this module takes it:
other modules go through :class:`SimulatorState`'s methods, each of which is
atomic. A simulator is a test and demo tool, restarted freely, and
``/_sim/reset`` forgets all but the accounts (temporary credentials too).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_ekyc.simulator.face_records import FaceSearch, FaceSearchOutcome, SimFace
from django_ekyc.simulator.faults import Fault
from django_ekyc.simulator.sts import TemporaryCredential

# A signed request is valid this long either side of the server's clock; a
# nonce must be remembered at least twice as long to catch every replay.
CLOCK_SKEW_SECONDS = 15 * 60
NONCE_TTL_SECONDS = 2 * CLOCK_SKEW_SECONDS


def new_transaction_id() -> str:
    # Shaped like the provider's ("hks" and 29 hex digits).
    return "hks" + secrets.token_hex(15)[:29]


def new_person() -> str:
    """A person nobody has been yet: the default face of a completion that names none."""
    return "person-" + secrets.token_hex(6)


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
    person: str | None = None  # who did the liveness check: the same label, the same face
    document: str | None = None  # whose document was read: the same label, the same document (default: the person's)
    reference_person: str | None = None  # FACE_VERIFY: who the supplied picture shows (None: no face found)
    face_search: FaceSearch | None = None  # FACE_IDU: the library search its Initialize asked for
    search_outcome: FaceSearchOutcome | None = None  # FACE_IDU: what the search found when the flow ended

    @property
    def document_seed(self) -> str:
        """What the document's fields are derived from: its own label, else the person's (the same person shows
        the same document by default), else the transaction."""
        if self.document:
            return f"document:{self.document}"
        return f"person:{self.person}" if self.person else self.transaction_id

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
    temporary: dict[str, TemporaryCredential] = field(default_factory=dict)  # STS AccessKey ID -> its credential
    transactions: dict[str, SimTransaction] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # page token -> TransactionId
    nonces: dict[str, float] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # Face libraries (created in the provider's console): library code -> MerchantUserId -> face.
    face_groups: dict[str, dict[str, SimFace]] = field(default_factory=dict)
    face_serial: int = 0
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
            self.temporary.clear()
            for faces in self.face_groups.values():  # the libraries are configuration; their faces are not
                faces.clear()

    def add_temporary(self, credential: TemporaryCredential) -> None:
        with self.lock:
            self.temporary[credential.access_key_id] = credential

    def signing_key(self, access_key_id: str) -> tuple[str | None, TemporaryCredential | None]:
        """The secret an AccessKey ID signs with (None: unknown), and its temporary credential if it is one."""
        with self.lock:
            temporary = self.temporary.get(access_key_id)
            return (temporary.access_key_secret if temporary else self.credentials.get(access_key_id)), temporary

    def token_holder(self, token: str) -> str | None:
        """The temporary AccessKey ID a security token was issued with."""
        with self.lock:
            return next((c.access_key_id for c in self.temporary.values() if c.security_token == token), None)

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

    def add_transaction(
        self,
        params: Mapping[str, str],
        device_type: str,
        *,
        reference_person: str | None = None,
        face_search: FaceSearch | None = None,
    ) -> SimTransaction:
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
            reference_person=reference_person,
            face_search=face_search,
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

    def finish(
        self, transaction_id: str, outcome: str, person: str, *, search: bool = False, document: str | None = None
    ) -> tuple[SimTransaction | None, bool]:
        """End a transaction's flow with an outcome and the person who did it: the transaction (None: unknown),
        and whether this call ended it (False: it had already ended). With ``search``, the transaction's face
        library search runs in the same step, as the provider runs it when the flow ends."""
        with self.lock:
            tx = self.transactions.get(transaction_id)
            if tx is None or tx.finished:
                return tx, False
            tx.outcome, tx.completed_at, tx.page_opened, tx.person = outcome, time.time(), True, person
            tx.document = document
            if search and tx.face_search is not None:
                tx.search_outcome = self._search_locked(tx.face_search, person)
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

    # -- face libraries ----------------------------------------------------------------

    def create_face_group(self, code: str) -> bool:
        """Create a face library (the provider's console does this); False if it exists."""
        with self.lock:
            if code in self.face_groups:
                return False
            self.face_groups[code] = {}
            return True

    def known_face_groups(self) -> frozenset[str]:
        with self.lock:
            return frozenset(self.face_groups)

    def list_face_groups(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            return {code: [face.as_dict() for face in faces.values()] for code, faces in self.face_groups.items()}

    def search_faces(self, search: FaceSearch, person: str) -> FaceSearchOutcome:
        with self.lock:
            return self._search_locked(search, person)

    def _search_locked(self, search: FaceSearch, person: str) -> FaceSearchOutcome:
        matches = [
            (group, face)
            for group in search.groups
            for face in self.face_groups.get(group, {}).values()
            if face.person == person
        ][: search.limit]
        outcome = FaceSearchOutcome(matches)
        if not matches and search.register_into:
            outcome.registered = self._register_locked(
                search.register_into, search.merchant_user_id, person, "AUTO", overwrite=search.overwrite
            )
        return outcome

    def register_face(
        self, group: str, merchant_user_id: str, person: str, registration_type: str, *, overwrite: bool
    ) -> SimFace | None:
        """Register a face; None when the user already has one there and ``overwrite`` is off."""
        with self.lock:
            return self._register_locked(group, merchant_user_id, person, registration_type, overwrite=overwrite)

    def _register_locked(
        self, group: str, merchant_user_id: str, person: str, registration_type: str, *, overwrite: bool
    ) -> SimFace | None:
        faces = self.face_groups.get(group)
        if faces is None or (merchant_user_id in faces and not overwrite):
            return None
        self.face_serial += 1
        face = SimFace(
            id=self.face_serial,
            face_id=secrets.token_hex(16),
            merchant_user_id=merchant_user_id,
            person=person,
            registration_type=registration_type,
            created_at=time.time(),
        )
        faces[merchant_user_id] = face
        return face

    def query_faces(self, group: str, merchant_user_id: str = "", face_id: str = "") -> list[SimFace]:
        with self.lock:
            return [
                face
                for face in self.face_groups.get(group, {}).values()
                if (not merchant_user_id or face.merchant_user_id == merchant_user_id)
                and (not face_id or face.face_id == face_id)
            ]

    def delete_faces(self, merchant_user_id: str, group: str | None) -> list[str]:
        """Delete a user's face from one library, or from all; the libraries it was deleted from."""
        with self.lock:
            groups = [group] if group else list(self.face_groups)
            return [code for code in groups if self.face_groups.get(code, {}).pop(merchant_user_id, None)]

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
