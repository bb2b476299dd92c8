"""The catalogue's operations against the installed official SDK, read independently of the script that writes
the table: the SDK's client is run for every operation, with every field of its request set, and what it would put
on the wire (the action, the query names, the body names) is caught before anything leaves. Any difference in
operation names, parameter names or placement fails here; so does a difference in the SDK's required flags."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alibabacloud_cloudauth_intl20220809 import models as sdk_models
from alibabacloud_cloudauth_intl20220809.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from django_ekyc.catalogue.annotations import ANNOTATIONS
from django_ekyc.catalogue.operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
TABLE = json.loads((ROOT / "django_ekyc" / "catalogue" / "operations.json").read_text())["operations"]
SAMPLES: dict[str, object] = {"str": "x", "int": 1, "bool": True, "float": 1.5}


class Sent(Exception):
    """Raised in place of the HTTP call: the request the SDK built is attached."""

    def __init__(self, action: str, query: dict[str, object], body: object) -> None:
        super().__init__(action)
        self.action, self.query, self.body = action, query, body


def sdk_client() -> SdkClient:
    client = SdkClient(Config(access_key_id="id", access_key_secret="secret", endpoint="127.0.0.1:9", protocol="HTTP"))

    def caught(params, request, runtime):
        raise Sent(params.action, dict(request.query or {}), request.body)

    client.call_api = caught
    return client


def sdk_operations() -> dict[str, str]:
    """Method name -> request class name, for every sync operation method of the SDK's client."""
    found = {}
    for name, method in inspect.getmembers(SdkClient, inspect.isfunction):
        if not name.endswith("with_options") or name.endswith("_async") or "advance" in name:
            continue
        request = [p for key, p in inspect.signature(method).parameters.items() if key not in ("self", "runtime")]
        found[name] = str(request[0].annotation).rsplit(".", 1)[-1] if request else ""
    return found


def sample_request(class_name: str) -> object:
    request_class = getattr(sdk_models, class_name)
    values: dict[str, object] = {}
    for field, parameter in list(inspect.signature(request_class.__init__).parameters.items())[1:]:
        hint = str(parameter.annotation)
        if hint.startswith(("List", "list")):
            values[field] = ["x"]
        elif hint.startswith(("Dict", "dict")) or (hint[:1].isupper() and hint not in SAMPLES):
            values[field] = {"k": "v"}
        else:
            values[field] = SAMPLES.get(hint, "x")
    return request_class(**values)


def wire(method_name: str, request_class: str) -> Sent:
    client = sdk_client()
    method = getattr(client, method_name)
    arguments = [sample_request(request_class)] if request_class else []
    with pytest.raises(Sent) as sent:
        method(*arguments, RuntimeOptions())
    return sent.value


SDK = sdk_operations()


def test_the_catalogue_declares_every_operation_of_the_sdk_and_no_other():
    actions = {wire(name, request).action for name, request in SDK.items()}
    assert actions == set(OPERATIONS), (
        f"only in the SDK: {actions - set(OPERATIONS)}; only here: {set(OPERATIONS) - actions}"
    )
    assert len(OPERATIONS) == 50


@pytest.mark.parametrize("method_name", sorted(SDK))
def test_each_parameter_travels_where_the_sdk_puts_it(method_name):
    sent = wire(method_name, SDK[method_name])
    declared = OPERATIONS[sent.action]
    everything = dict.fromkeys(declared.parameters, "x")
    query, body = declared.place(everything)
    assert set(sent.query) == set(query), f"{sent.action}: query differs"
    sdk_body = set(sent.body or {}) if isinstance(sent.body, dict) else set()
    assert sdk_body == set(body or {}), f"{sent.action}: body differs"
    assert (sent.body is not None) == declared.sends_body, f"{sent.action}: whether a body is sent"


def required_in_sdk(class_name: str) -> set[str]:
    """The API names the request model's comments mark required (the SDK's only statement of it)."""
    request_class = getattr(sdk_models, class_name)
    source = inspect.getsource(request_class)
    lines = source.splitlines()
    names = set()
    for index, line in enumerate(lines):
        match = re.match(r"\s*self\.(\w+) = \1$", line)
        if not match:
            continue
        above = index - 1
        while above >= 0 and lines[above].strip().startswith("#"):
            if lines[above].strip() == "# This parameter is required.":
                names.add(match.group(1))
            above -= 1
    api_names = request_class(**dict.fromkeys(names, "x")).to_map()
    return set(api_names)


@pytest.mark.parametrize("method_name", sorted(name for name, request in SDK.items() if request))
def test_the_required_flags_are_the_sdks(method_name):
    request_class = SDK[method_name].replace("ShrinkRequest", "Request")
    action = wire(method_name, SDK[method_name]).action
    recorded = {name for name, fact in TABLE[action]["parameters"].items() if fact["required"]}
    assert recorded == required_in_sdk(request_class)


def test_every_annotation_names_a_declared_parameter():
    for action, notes in ANNOTATIONS.items():
        assert action in OPERATIONS, action
        assert set(notes) <= set(OPERATIONS[action].parameters), (
            action,
            set(notes) - set(OPERATIONS[action].parameters),
        )


def test_the_committed_table_is_what_the_script_writes_from_the_installed_sdk():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sdk_catalogue.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
