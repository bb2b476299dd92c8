"""The provider API at ``/``: gateway checks, injected faults, the operation, and the call's record."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from django_ekyc.simulator import faults, gateway
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.face_library import TopLevel
from django_ekyc.simulator.messages import JSON_TYPE, Reply, Request, api_error, new_request_id
from django_ekyc.simulator.operations import OPERATIONS
from django_ekyc.simulator.state import SimulatorState


class ProviderApi:
    """Answers API calls as ``cloudauth-intl`` does, and records each one for ``/_sim/calls``."""

    def __init__(
        self, state: SimulatorState, clock: Callable[[], float] = time.time, wait: faults.Wait = time.sleep
    ) -> None:
        self.state = state
        self.clock = clock
        self.wait = wait  # for slow faults: returns early when the simulator stops

    def handle(self, request: Request, public_url: str) -> Reply:
        received_at = self.clock()  # on arrival: the moment the provider counts a call at, before any work or fault
        request_id = new_request_id()
        generation = self.state.generation
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        form = None
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
            params.update(form)
        reply = self._reply(request, params, request_id, public_url)
        self._record(request, params, form, reply, generation, received_at)
        return reply

    def _reply(self, request: Request, params: dict[str, str], request_id: str, public_url: str) -> Reply:
        query = parse_qsl(request.query, keep_blank_values=True)
        incoming = gateway.IncomingRequest(request.method, "/", query, request.headers, request.body)
        try:
            gateway.authenticate(incoming, self.state, self.clock())
            action = gateway.resolve_action(request.headers, OPERATIONS)
        except gateway.GatewayError as err:
            return api_error(err.status, err.code, err.message, request_id)
        fault = self.state.take_fault(action)
        if fault is not None:
            injected = faults.reply_for(fault, request_id, self.wait)
            if injected is not None:
                return injected
        try:
            result = OPERATIONS[action](self.state, params, public_url)
        except SimulatedApiError as err:
            return api_error(err.status, err.code, err.message, request_id)
        payload: dict[str, Any] = {"RequestId": request_id, "Code": "Success", "Message": "success"}
        payload.update(result if isinstance(result, TopLevel) else {"Result": result})
        return Reply.json(200, payload, **{"x-acs-request-id": request_id})

    def _record(
        self,
        request: Request,
        params: Mapping[str, str],
        form: Mapping[str, str] | None,
        reply: Reply,
        generation: int,
        received_at: float,
    ) -> None:
        shown = dict(request.headers)
        if "authorization" in shown:
            # Keep who signed and what, drop the signature itself.
            shown["authorization"] = re.sub(r",\s*Signature=[0-9a-fA-F]*", "", shown["authorization"])
        code = None
        if reply.content_type == JSON_TYPE and reply.body:
            code = json.loads(reply.body).get("Code")
        self.state.record(
            {
                "action": request.headers.get("x-acs-action", ""),
                "params": dict(params),
                "query": request.query,  # the raw query string, to see where parameters travelled
                "form": None if form is None else dict(form),  # the form body's parameters (None: no form body)
                "headers": shown,
                "peer": request.peer,  # client address:port, to count connections
                "status": None if reply.drop else reply.status,
                "code": code,
                "received_at": received_at,
            },
            generation,
        )
