"""The hosted verification page, how its flow ends (redirect and callback), and the web-SDK stand-in.

Routes: ``GET /cdn/jsvm_all.js``, ``GET /1.0.0/index.html?clientcfg=...`` and
``POST /1.0.0/submit``; :func:`complete` also serves ``/_sim/transactions/<id>/complete``.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from django_ekyc.simulator import data, faces, pages
from django_ekyc.simulator.errors import HostedFlowError
from django_ekyc.simulator.messages import Reply, Request
from django_ekyc.simulator.products import BEHAVIOURS
from django_ekyc.simulator.state import SimTransaction, SimulatorState, new_person

logger = logging.getLogger("django_ekyc.simulator")

CALLBACK_TIMEOUT_SECONDS = 5.0
MAX_PERSON_LABEL = 64


def handle(state: SimulatorState, request: Request) -> Reply | None:
    """Answer a hosted-page or web-SDK request; None when the request is for none of them."""
    route = ROUTES.get((request.method, request.path))
    return None if route is None else route(state, request)


def _web_sdk(state: SimulatorState, request: Request) -> Reply:
    return Reply(200, pages.WEB_SDK_JS.encode(), content_type="application/javascript;charset=utf-8")


def _page(state: SimulatorState, request: Request) -> Reply:
    try:
        tx = open_page(state, parse_qs(request.query).get("clientcfg", [""])[0])
    except HostedFlowError as err:
        return _unavailable(err)
    return Reply.html(200, pages.verification_page(tx, BEHAVIOURS[tx.product_code].outcomes))


def _submit(state: SimulatorState, request: Request) -> Reply:
    form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
    transaction_id = state.transaction_id_for_page(form.get("clientcfg", ""))
    try:
        finished = complete(
            state,
            transaction_id,
            form.get("outcome", ""),
            form.get("person", "").strip() or None,
            document=form.get("document", "").strip() or None,
        )
    except HostedFlowError as err:
        return _unavailable(err)
    return Reply(303, b"", content_type="text/plain", headers={"Location": str(finished["redirect_url"])})


def _unavailable(err: HostedFlowError) -> Reply:
    return Reply.html(err.status, pages.message_page("Verification unavailable", err.message))


ROUTES: dict[tuple[str, str], Callable[[SimulatorState, Request], Reply]] = {
    ("GET", "/cdn/jsvm_all.js"): _web_sdk,
    ("GET", "/1.0.0/index.html"): _page,  # the page for a PC
    ("GET", "/h5/1.0.0/index.html"): _page,  # the page for a phone's browser
    ("POST", "/1.0.0/submit"): _submit,
}


def open_page(state: SimulatorState, page_token: str) -> SimTransaction:
    """Hand out the hosted page once: a TransactionUrl is single-use (and an app's transaction has none)."""
    tx, opened = state.open_page(page_token)
    if tx is None or tx.in_app:
        raise HostedFlowError(404, "This verification link is not valid.")
    if not opened:
        raise HostedFlowError(410, "This verification link has already been used.")
    return tx


def return_url_for(tx: SimTransaction, outcome: data.Outcome) -> str | None:
    """ReturnUrl plus the ``response`` parameter integrators see (display data only); None for an app."""
    if tx.return_url is None:
        return None
    response = {
        "resultCode": outcome.client_code,
        "resultMessage": "finished" if outcome.sub_code else "user quit",
        "extInfo": {"certifyId": tx.transaction_id},
    }
    separator = "&" if urlsplit(tx.return_url).query else "?"
    query = urlencode({"response": json.dumps(response, separators=(",", ":"))})
    return f"{tx.return_url}{separator}{query}"


def send_callback(tx: SimTransaction, outcome: data.Outcome) -> dict[str, Any] | None:
    """Call CallbackUrl with GET as the provider does; report what happened."""
    if not tx.callback_url or outcome.sub_code is None:
        return None
    params = {"transactionId": tx.transaction_id, "passed": "Y" if outcome.passed else "N", "subCode": outcome.sub_code}
    if tx.callback_token:
        params["callbackToken"] = tx.callback_token
    separator = "&" if urlsplit(tx.callback_url).query else "?"
    url = f"{tx.callback_url}{separator}{urlencode(params)}"
    report: dict[str, Any] = {"url": tx.callback_url, "status": None, "error": None}
    try:
        with urllib.request.urlopen(url, timeout=CALLBACK_TIMEOUT_SECONDS) as answer:  # noqa: S310 (http(s) checked)
            report["status"] = answer.status
    except urllib.error.HTTPError as err:
        report["status"] = err.code
    except (urllib.error.URLError, OSError) as err:
        report["error"] = type(err).__name__
    logger.info("callback for %s answered %s", tx.transaction_id, report["status"] or report["error"])
    return report


def complete(
    state: SimulatorState,
    transaction_id: str,
    outcome_name: str,
    person: str | None = None,
    *,
    document: str | None = None,
) -> dict[str, Any]:
    """End the flow with an outcome, as the hosted page or the app SDK does: record it (and who did it: the same
    ``person`` label is the same face, a new person by default; whose ``document`` was shown: the same label is
    the same document, the person's own by default), compute the redirect (none for an app), call back."""
    outcome = data.OUTCOMES.get(outcome_name)
    if outcome is None:
        raise HostedFlowError(400, f"Unknown outcome {outcome_name!r}; choose one of {', '.join(data.OUTCOMES)}.")
    for label, value in (("person", person), ("document", document)):
        if value is not None and not (0 < len(value) <= MAX_PERSON_LABEL):
            raise HostedFlowError(400, f"A {label} label takes 1 to {MAX_PERSON_LABEL} characters.")
    person = person or new_person()
    known = state.get_transaction(transaction_id)
    if known is not None and outcome.name not in BEHAVIOURS[known.product_code].outcomes:
        allowed = ", ".join(BEHAVIOURS[known.product_code].outcomes)
        raise HostedFlowError(400, f"{known.product_code} cannot end with {outcome.name!r}; choose one of {allowed}.")
    if known is not None:
        outcome = faces.settled_outcome(known, outcome, person)
    # A library search runs when the liveness check succeeded, as the flow ends.
    tx, ended = state.finish(transaction_id, outcome.name, person, search=outcome.passed, document=document)
    if tx is None:
        raise HostedFlowError(404, "Unknown TransactionId.")
    if not ended:
        raise HostedFlowError(409, "This verification has already ended.")
    return {
        "transaction_id": tx.transaction_id,
        "outcome": outcome.name,
        "person": person,
        "passed": outcome.passed if outcome.sub_code else None,
        "sub_code": outcome.sub_code,
        "redirect_url": return_url_for(tx, outcome),
        "callback": send_callback(tx, outcome),
    }


# The app SDK's result codes: what IdentityResponse.code says to the app (1000 suggests a pass, 1001 a fail).
APP_CODES = {"pass": ("1000", "A1000_1"), "quit": ("1006", "A1006_1")}


def app_verify(
    state: SimulatorState, transaction_id: str, protocol: str, outcome_name: str, person: str | None = None
) -> dict[str, Any]:
    """What the app SDK's ``verify(transactionId, {PROTOCOL: protocol})`` does on the phone: it runs the flow and
    hands the app a result code; the app then asks its server, which asks CheckResult."""
    tx = state.get_transaction(transaction_id)
    if tx is None or not tx.in_app:
        return {"code": "1007", "subCode": "A1007_1", "message": "Invalid TransactionId."}
    if protocol != tx.protocol:
        return {"code": "1003", "subCode": "A1003_8", "message": "The Protocol does not belong to this transaction."}
    finished = complete(state, transaction_id, outcome_name, person)
    code, sub_code = APP_CODES.get(outcome_name, ("1001", "A1001_1"))
    return {"code": code, "subCode": sub_code, "message": finished["outcome"], "callback": finished["callback"]}
