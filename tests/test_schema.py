"""The OpenAPI schema tells the truth: generated without a warning from drf-spectacular, valid, with a browser's
and an app's start told apart, every stable error code listed (and no other), and the package's version."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from drf_spectacular.management.commands import spectacular
from rest_framework import exceptions as drf_exceptions

import django_ekyc
from django_ekyc.api import parsers
from django_ekyc.api.errors import ERROR_CODES, FIELD_ERROR_CODES
from django_ekyc.api.pictures import PictureCheckSerializer
from django_ekyc.api.schema import SCHEMA_SETTINGS
from django_ekyc.api.serializers import StartVerificationSerializer

from .helpers import LIST_URL, META_INFO

PACKAGE = Path(django_ekyc.__file__).parent
APP_META_INFO = json.dumps({"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "android", "appVersion": "1.0"})
TRANSACTION_FIELDS = {"id", "status", "is_final", "purpose", "product_code", "channel", "doc_type", "message"}
# Codes the validation rewrite introduces (django_ekyc/validation.py); listed ahead of it, so the scan may lack them.


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict[str, Any]:
    """``manage.py spectacular --fail-on-warn --validate`` with the settings the API's schema is served with (the
    command itself: a site need not add drf-spectacular to ``INSTALLED_APPS``)."""
    out = tmp_path_factory.mktemp("schema") / "schema.json"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            call_command(
                spectacular.Command(),
                "--fail-on-warn",
                "--validate",
                "--format=openapi-json",
                f"--file={out}",
                "--custom-settings=django_ekyc.api.schema.SCHEMA_SETTINGS",
            )
        except CommandError as err:
            pytest.fail(f"{err}:\n{stderr.getvalue()}")
    assert "Warning" not in stderr.getvalue() and "Error" not in stderr.getvalue(), stderr.getvalue()
    return json.loads(out.read_text())


def component(schema: dict[str, Any], ref_or_name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref_or_name.rsplit("/", 1)[-1]]


def enum_of(schema: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    return component(schema, prop["$ref"])["enum"]


def conforms(body: dict[str, Any], answer: dict[str, Any]) -> bool:
    """The body has every required property and none the schema does not declare."""
    return set(answer["required"]) <= set(body) <= set(answer["properties"])


# -- generation ------------------------------------------------------------------------------------------


def test_the_schema_is_generated_without_a_warning_and_is_valid(schema):
    assert set(schema["paths"]) == {
        "/ekyc/api/transactions/",
        "/ekyc/api/transactions/{id}/",
        "/ekyc/api/transactions/{id}/refresh/",
        "/ekyc/api/checks/",
        "/ekyc/api/consents/",
    }


def test_the_version_is_the_packages(schema):
    assert schema["info"]["version"] == django_ekyc.__version__
    assert schema["info"]["title"] == SCHEMA_SETTINGS["TITLE"]


# -- a start's answer ------------------------------------------------------------------------------------


def test_a_start_answers_a_browser_or_an_app(schema):
    created = schema["paths"]["/ekyc/api/transactions/"]["post"]["responses"]["201"]
    started = component(schema, created["content"]["application/json"]["schema"]["$ref"])
    browser, app = (component(schema, variant["$ref"]) for variant in started["oneOf"])
    assert started["discriminator"] == {
        "propertyName": "channel",
        "mapping": {"web": "#/components/schemas/BrowserStarted", "app": "#/components/schemas/AppStarted"},
    }
    for variant in (browser, app):
        assert set(variant["required"]) >= TRANSACTION_FIELDS
    assert "transaction_url" in browser["required"]
    assert not {"transaction_id", "protocol", "client_cfg"} & set(browser["properties"])
    assert {"transaction_id", "protocol", "client_cfg"} <= set(app["required"])
    assert "transaction_url" not in app["properties"]
    assert app["properties"]["protocol"]["nullable"] and app["properties"]["client_cfg"]["nullable"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("meta_info", "variant", "other"), [(META_INFO, "Browser", "App"), (APP_META_INFO, "App", "Browser")]
)
def test_what_a_start_answers_is_what_the_schema_says(schema, api, simulator, meta_info, variant, other):
    response = api.post(LIST_URL, {"doc_type": "01000000", "meta_info": meta_info}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert conforms(body, component(schema, f"{variant}Started"))
    assert not conforms(body, component(schema, f"{other}Started"))  # one of the two, never both


def test_the_message_is_described_not_a_fallback(schema):
    """drf-spectacular's fallback for a custom field is a bare string (and a warning); ours says what it is."""
    for name in ("KycTransaction", "BrowserStarted", "AppStarted", "CheckAnswer"):
        message = component(schema, name)["properties"]["message"]
        assert message == {
            "type": "string",
            "description": "The state in words for the person, in the request's language.",
            "readOnly": True,
        }
        assert "message" in component(schema, name)["required"]


def test_every_429_names_its_retry_after_header(schema):
    """Every endpoint may be throttled (ours, or the site's DEFAULT_THROTTLE_CLASSES), and says when to retry."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            throttled = operation["responses"].get("429")
            assert throttled is not None, (method, path)
            assert throttled["headers"]["Retry-After"]["schema"] == {"type": "integer"}, (method, path)
            assert throttled["headers"]["Retry-After"].get("required") is not True  # not with daily_limit_reached
            others = {status for status, answer in operation["responses"].items() if "headers" in answer}
            assert others == {"429"}, (method, path)
    retry_after = component(schema, "Error")["properties"]["retry_after"]
    assert retry_after["type"] == "integer" and "retry_after" not in component(schema, "Error")["required"]


# -- errors ----------------------------------------------------------------------------------------------


def test_every_error_code_is_in_the_schema(schema):
    error = component(schema, "Error")
    assert enum_of(schema, error["properties"]["code"]) == list(ERROR_CODES)
    field_error = error["properties"]["fields"]["additionalProperties"]["items"]
    assert enum_of(schema, component(schema, field_error["$ref"])["properties"]["code"]) == list(FIELD_ERROR_CODES)
    assert set(error["required"]) == {"code", "detail"}
    for path in schema["paths"].values():
        for operation in path.values():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), status


@pytest.mark.django_db(transaction=True)
def test_what_an_error_answers_is_what_the_schema_says(schema, api, simulator):
    error, field_error = component(schema, "Error"), component(schema, "FieldError")
    refused = api.post(LIST_URL, {"doc_type": "12345678", "meta_info": META_INFO}, format="json").json()
    assert conforms(refused, error) and refused["code"] in ERROR_CODES
    assert [conforms(e, field_error) and e["code"] in FIELD_ERROR_CODES for e in refused["fields"]["doc_type"]] == [
        True
    ]
    simulator.control.add_fault(action="Initialize", fault="internal_error")
    failed = api.post(LIST_URL, {"doc_type": "01000000", "meta_info": META_INFO}, format="json").json()
    assert conforms(failed, error) and failed["code"] in ERROR_CODES
    assert conforms(failed["transaction"], component(schema, "KycTransaction"))


def _found(pattern: str, *paths: Path) -> set[str]:
    """What any group of ``pattern`` matches in the files."""
    return {
        code for path in paths for match in re.finditer(pattern, path.read_text()) for code in match.groups() if code
    }


def test_the_error_codes_are_every_code_the_api_answers():
    """Each way the API names a top-level ``code``: DRF's exceptions (a ValidationError becomes
    ``invalid_request``), ours (``default_code``, ``code=``), the parser's, and the guards' (a site's own views)."""
    drf = {
        value.default_code
        for value in vars(drf_exceptions).values()
        if isinstance(value, type)
        and issubclass(value, drf_exceptions.APIException)
        and value not in (drf_exceptions.APIException, drf_exceptions.ValidationError)
    }
    api = PACKAGE / "api"
    ours = _found(
        r'default_code = "(\w+)"|code="(\w+)"|"code": "(\w+)"',
        api / "errors.py",
        api / "parsers.py",
        api / "drf_answers.py",
    )
    ours |= _found(r'\bcode = "(\w+)"', PACKAGE / "exceptions.py", PACKAGE / "permissions.py")
    found = drf | set(parsers.MESSAGES) | ours
    assert sorted(found) == sorted(ERROR_CODES)
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)


def _drf_field_codes(serializer: Any) -> set[str]:
    """The codes DRF itself can give the start serializer's fields, as they are declared."""
    codes = set(serializer.error_messages) - {"required", "null"}  # the body as a whole: not an object
    for field in serializer.fields.values():
        messages = set(field.error_messages)
        if not field.required:
            messages.discard("required")
        if field.allow_null:
            messages.discard("null")
        if getattr(field, "allow_blank", False):
            messages.discard("blank")
        for limit in ("max_length", "min_length"):
            if getattr(field, limit, None) is None:
                messages.discard(limit)
        codes |= messages | {validator.code for validator in field.validators if hasattr(validator, "code")}
    return codes


def test_the_field_error_codes_are_every_code_a_field_is_refused_with():
    """What DRF refuses the start serializer's fields with, the serializer's own codes, and the flow's checks'
    ``InvalidInput`` codes (what a start runs: the validation and the services, not the staff's face review)."""
    flow = [PACKAGE / "validation.py", *sorted((PACKAGE / "services").glob("*.py"))]
    # Staff decisions and retention, not API answers.
    for staff_only in ("reference_review.py", "review.py", "holds.py", "retention.py"):
        flow.remove(PACKAGE / "services" / staff_only)
    # A picture's problem is refused under its field with the imaging module's code (PictureProblem's literals).
    calls = sum(len(re.findall(r"\bInvalidInput\((?!picture\.name, problem\.code)", path.read_text())) for path in flow)
    invalid_input = [
        code for path in flow for code in re.findall(r'\bInvalidInput\(\s*[^,()]+,\s*"(\w+)"', path.read_text())
    ]
    assert len(invalid_input) == calls, "every InvalidInput gives its code as a literal, for this scan"
    found = _drf_field_codes(StartVerificationSerializer()) | _drf_field_codes(PictureCheckSerializer())
    found |= _found(r'code="(\w+)"', PACKAGE / "api" / "serializers.py", PACKAGE / "api" / "pictures.py")
    found |= _found(r'PictureProblem\(\s*"(\w+)"', PACKAGE / "imaging.py") - {"imaging_unavailable"}
    found |= set(invalid_input)
    assert sorted(found - set(FIELD_ERROR_CODES)) == []
    assert sorted(set(FIELD_ERROR_CODES) - found) == []
    assert len(set(FIELD_ERROR_CODES)) == len(FIELD_ERROR_CODES)


# -- the served schema -----------------------------------------------------------------------------------


def test_the_served_schema_is_this_one(client, schema):
    response = client.get("/ekyc/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == schema
