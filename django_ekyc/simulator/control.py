"""The ``/_sim/`` control routes: health, recorded calls, reset, faults, transactions, face libraries and
temporary credentials.

They have no authentication: a simulator must never be exposed publicly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from django_ekyc.simulator import faults, hosted, picture_marks, sts
from django_ekyc.simulator.errors import HostedFlowError
from django_ekyc.simulator.messages import Reply, Request
from django_ekyc.simulator.operations import OPERATIONS
from django_ekyc.simulator.state import SimulatorState

Route = Callable[[SimulatorState, dict[str, Any]], Reply]

TRANSACTION_PATH = re.compile(r"/_sim/transactions/([A-Za-z0-9]+)(/complete)?")
FACE_GROUP_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
STS_PATH = "/_sim/sts"


def handle(state: SimulatorState, request: Request) -> Reply:
    try:
        payload = json.loads(request.body) if request.body.strip() else {}
    except ValueError:
        return Reply.json(400, {"error": "The body must be JSON."})
    if not isinstance(payload, dict):
        return Reply.json(400, {"error": "The body must be a JSON object."})
    if (request.method, request.path) == ("GET", picture_marks.SAMPLE_PATH):
        return _sample_picture(request.query)
    if (request.method, request.path) == ("GET", STS_PATH):  # a credentials URI: the duration in the query
        payload = {k: _number(v) for k, v in parse_qsl(request.query) if k == "duration_seconds"}
    match = TRANSACTION_PATH.fullmatch(request.path)
    if match:
        return _transaction(state, request.method, match[1], bool(match[2]), payload)
    route = ROUTES.get((request.method, request.path))
    if route is None:
        return Reply.json(404, {"error": f"No control endpoint {request.method} {request.path}."})
    return route(state, payload)


def _sample_picture(query: str) -> Reply:
    """``GET /_sim/sample-picture?kind=face&person=alice&deepfake=1&quality=bad&document=GLB03002&spoof=1&pad_to=N``:
    a simulated picture (PNG) with those marks, for the demo page and browser tests."""
    try:
        png = picture_marks.sample_from_query(query)
    except ValueError as err:
        return Reply.json(400, {"error": str(err)})
    return Reply(200, png, content_type="image/png")


def _number(text: str) -> float | str:
    """A query's number, or the text itself, which the route then refuses as not a number."""
    try:
        return float(text)
    except ValueError:
        return text


def _register_temporary(state: SimulatorState, payload: dict[str, Any], status: int = 201) -> Reply:
    """``POST /_sim/sts`` {duration_seconds | expires_at, access_key_id, access_key_secret, security_token: all
    optional}: issue (or register) temporary credentials, which the gateway accepts until they expire."""
    try:
        credential = sts.from_payload(payload)
        answer = {"Code": "Success", **credential.as_dict()}
    except ValueError as err:  # refused before anything is registered
        return Reply.json(400, {"error": str(err)})
    state.add_temporary(credential)
    return Reply.json(status, answer)


def _issue_temporary(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    """``GET /_sim/sts?duration_seconds=N``: new temporary credentials, answered as a credentials URI answers
    (alibabacloud-credentials' ``credentials_uri`` provider reads ``Code``, the keys and ``Expiration``)."""
    return _register_temporary(state, payload, status=200)


def _health(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    return Reply.json(200, {"status": "ok"})


def _calls(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    return Reply.json(200, {"calls": state.list_calls()})


def _reset(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    state.reset()
    return Reply.json(200, {"status": "reset"})


def _add_fault(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    try:
        fault = faults.parse_fault(payload, OPERATIONS)
    except ValueError as err:
        return Reply.json(400, {"error": str(err)})
    state.add_fault(fault)
    return Reply.json(201, fault.as_dict())


def _list_faults(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    return Reply.json(200, {"faults": state.list_faults()})


def _clear_faults(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    state.clear_faults()
    return Reply.json(200, {"faults": []})


def _app_verify(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    """``POST /_sim/app/verify`` {transaction_id, protocol, outcome}: the app SDK on a phone."""
    try:
        answer = hosted.app_verify(
            state,
            str(payload.get("transaction_id", "")),
            str(payload.get("protocol", "")),
            str(payload.get("outcome", "")),
            _person(payload),
        )
    except HostedFlowError as err:
        return Reply.json(err.status, {"error": err.message})
    return Reply.json(200, answer)


def _person(payload: dict[str, Any]) -> str | None:
    """The optional ``person`` label of a completion: the same label is the same face."""
    person = payload.get("person")
    return None if person in (None, "") else str(person)


def _label(payload: dict[str, Any]) -> str | None:
    """The optional ``document`` label of a completion: the same label is the same document (default: the
    person's own)."""
    document = payload.get("document")
    return None if document in (None, "") else str(document)


def _create_face_group(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    """``POST /_sim/face-groups`` {code}: create a face library, as the provider's console does."""
    code = str(payload.get("code", ""))
    if not FACE_GROUP_CODE.fullmatch(code):
        return Reply.json(400, {"error": "code: 1 to 32 letters, digits, '_' or '-'."})
    created = state.create_face_group(code)
    return Reply.json(201 if created else 200, {"code": code, "created": created})


def _face_groups(state: SimulatorState, payload: dict[str, Any]) -> Reply:
    """``GET /_sim/face-groups``: every library and the faces in it (who each face shows, under which key)."""
    return Reply.json(200, {"face_groups": state.list_face_groups()})


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", STS_PATH): _register_temporary,
    ("GET", STS_PATH): _issue_temporary,
    ("POST", "/_sim/face-groups"): _create_face_group,
    ("GET", "/_sim/face-groups"): _face_groups,
    ("POST", "/_sim/app/verify"): _app_verify,
    ("GET", "/_sim/health"): _health,
    ("GET", "/_sim/calls"): _calls,
    ("POST", "/_sim/reset"): _reset,
    ("POST", "/_sim/faults"): _add_fault,
    ("GET", "/_sim/faults"): _list_faults,
    ("DELETE", "/_sim/faults"): _clear_faults,
}


def _transaction(
    state: SimulatorState, method: str, transaction_id: str, complete: bool, payload: dict[str, Any]
) -> Reply:
    """``GET`` or ``DELETE /_sim/transactions/<id>``, ``POST /_sim/transactions/<id>/complete``."""
    if complete and method == "POST":
        try:
            finished = hosted.complete(
                state, transaction_id, str(payload.get("outcome", "")), _person(payload), document=_label(payload)
            )
            return Reply.json(200, finished)
        except HostedFlowError as err:
            return Reply.json(err.status, {"error": err.message})
    if method == "DELETE" and not complete and state.forget_transaction(transaction_id):
        # The provider forgets results (after 30 days, or DeleteVerifyResult).
        return Reply.json(200, {"deleted": transaction_id})
    tx = state.get_transaction(transaction_id)
    if tx is None:
        return Reply.json(404, {"error": "Unknown TransactionId."})
    if method == "GET" and not complete:
        return Reply.json(200, {k: v for k, v in tx.__dict__.items() if k != "page_token"})
    return Reply.json(405, {"error": "Method not allowed."})
