"""How each product behaves in the simulator: the outcomes a user can reach, and what CheckResult answers.

The provider's table (documents, regions, parameters) is :mod:`django_ekyc.catalogue`; this module adds what only
a stand-in needs. A new product is one entry in :data:`BEHAVIOURS` (and its row in the table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django_ekyc.simulator import data, documents, faces
from django_ekyc.simulator.state import SimTransaction

Result = Callable[[SimTransaction, data.Outcome, bool], dict[str, str]]


@dataclass(frozen=True)
class Behaviour:
    outcomes: tuple[str, ...]  # what the person can do, as on the hosted page's buttons
    result: Result


def _greater_china(tx: SimTransaction, outcome: data.Outcome, with_images: bool) -> dict[str, str]:
    return _document(tx, outcome, with_images, data.ext_id_info(tx.doc_type, tx.document_seed, outcome, with_images))


def _global(tx: SimTransaction, outcome: data.Outcome, with_images: bool) -> dict[str, str]:
    id_info = data.ext_id_info(tx.doc_type, tx.document_seed, outcome, with_images, read=documents.ocr_fields)
    return _document(tx, outcome, with_images, id_info)


def _document(tx: SimTransaction, outcome: data.Outcome, with_images: bool, id_info: dict[str, Any]) -> dict[str, str]:
    """A CheckResult of a product that reads a document: what was read (``id_info``) and the face comparison."""
    return data.check_result_payload(
        transaction_id=tx.transaction_id,
        doc_type=tx.doc_type,
        outcome=outcome,
        with_images=with_images,
        authorize=tx.authorize,
        product_code=tx.product_code,
        id_info=id_info,
        person=tx.person,
    )


def _liveness(tx: SimTransaction, outcome: data.Outcome, with_images: bool) -> dict[str, str]:
    return faces.face_only_payload(
        tx, outcome, with_images, data.ext_liveness_info(tx.transaction_id, outcome, with_images, tx.person)
    )


DOCUMENT_OUTCOMES = ("pass", "face_mismatch", "liveness_attack", "document_spoof", "quit")
LIVENESS_OUTCOMES = ("pass", "liveness_attack", "quit")

BEHAVIOURS: dict[str, Behaviour] = {
    # eKYC's older CheckResult page documents Passed=P (pending): the simulator offers it there only.
    "eKYC": Behaviour((*DOCUMENT_OUTCOMES, "pending"), _greater_china),
    "eKYC_PRO": Behaviour(DOCUMENT_OUTCOMES, _global),
    "FACE_LIVENESS_PRO": Behaviour(LIVENESS_OUTCOMES, _liveness),
    "FACE_LIVENESS": Behaviour(LIVENESS_OUTCOMES, _liveness),
    "FACE_VERIFY": Behaviour(LIVENESS_OUTCOMES, faces.face_verify_result),
    "FACE_IDU": Behaviour(LIVENESS_OUTCOMES, faces.face_idu_result),
}
