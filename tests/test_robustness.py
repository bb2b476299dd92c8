"""Bad input never makes a server error: every entry point answers 4xx with a stable code, saves and sends nothing."""

from __future__ import annotations

import json

import pytest

from django_ekyc.models import KycTransaction

from .helpers import LIST_URL, META_INFO, start_body

pytestmark = pytest.mark.django_db(transaction=True)


def deep(depth: int, leaf: object = "x") -> object:
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def deep_text(depth: int) -> str:
    return '{"k":' * depth + '"x"' + "}" * depth


def post_raw(api, body: str):
    return api.post(LIST_URL, body, content_type="application/json")


def assert_nothing_happened(simulator) -> None:
    assert KycTransaction.objects.count() == 0
    assert simulator.control.calls() == []


@pytest.mark.parametrize("depth", [40, 1200, 5000])
def test_a_deeply_nested_body_is_a_400(api, simulator, depth):
    body = '{"doc_type":"01000000","meta_info":' + json.dumps(META_INFO) + ',"options":' + deep_text(depth) + "}"
    response = post_raw(api, body)
    assert (response.status_code, response.json()["code"]) == (400, "json_too_deep")
    assert_nothing_happened(simulator)


def test_a_deeply_nested_meta_info_is_a_400(api, simulator):
    response = api.post(LIST_URL, start_body(meta_info=deep_text(1200)), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["meta_info"][0]["code"] == "meta_info_invalid"
    assert_nothing_happened(simulator)


@pytest.mark.parametrize("value", [deep_text(1200), deep_text(40)])
def test_a_deeply_nested_json_option_string_is_a_400(api, simulator, value):
    payload = start_body(options={"style_config": value})
    response = api.post(LIST_URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["options"][0]["code"] == "invalid_json_option"
    assert_nothing_happened(simulator)


def test_a_deeply_nested_options_field_in_a_form_is_a_400(api, simulator):
    form = start_body(options=deep_text(1200))
    response = api.post(LIST_URL, form)  # multipart: options arrives as a JSON string
    assert response.status_code == 400
    assert response.json()["fields"]["options"][0]["code"] == "invalid_options"
    assert_nothing_happened(simulator)


@pytest.mark.parametrize(
    "options",
    [{"show_guide_page": ["1"]}, {"show_guide_page": {}}, {"show_guide_page": 1}, {"language_config": 5}],
)
def test_option_values_of_the_wrong_type_are_a_400(api, simulator, options):
    payload = start_body(options=options)
    response = api.post(LIST_URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["options"][0]["code"] in ("invalid_option_value", "invalid_json_option")
    assert_nothing_happened(simulator)


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800", "a\\udfffb"])
@pytest.mark.parametrize(
    "template",
    [
        '{"doc_type":"01000000%s","meta_info":%s}',
        '{"doc_type":"01000000","meta_info":%s,"scene_code":"a%s"}',
        '{"doc_type":"01000000","meta_info":%s,"options":{"language_config":{"k":"%s"}}}',
        '{"doc_type":"01000000","meta_info":%s,"options":{"style_config":"{\\"k\\":\\"%s\\"}"}}',
        '{"doc_type":"01000000","meta_info":%s,"options":{"show_guide_page":"1%s"}}',
        '{"doc_type":"01000000","meta_info":%s,"x%s":1}',
    ],
)
def test_nul_and_lone_surrogates_anywhere_are_a_400(api, simulator, bad, template):
    if template.startswith('{"doc_type":"01000000%s"'):
        body = template % (bad, json.dumps(META_INFO))
    else:
        body = template % (json.dumps(META_INFO), bad)
    response = post_raw(api, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("invalid_characters", "invalid_request")
    assert_nothing_happened(simulator)


def test_nul_in_a_form_field_is_a_400(api, simulator):
    response = api.post(LIST_URL, start_body(scene_code="a\x00"))
    assert response.status_code == 400
    assert_nothing_happened(simulator)


@pytest.mark.parametrize(
    "query",
    [
        {"transactionId": "\x00"},
        {"transactionId": "hks\x00abc", "callbackToken": "t"},
        {"transactionId": "hksabc", "callbackToken": "t\x00"},
        {"transactionId": "x" * 300},
        {},
    ],
)
def test_malformed_callbacks_are_a_400_without_a_query(client, simulator, query, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/ekyc/callback/", query)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_callback")


@pytest.mark.parametrize("token", ["%00", "short", "a" * 200, "abc%00defghijklmnopqrstu"])
def test_malformed_return_tokens_are_a_404_without_a_query(client, simulator, token, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(f"/ekyc/return/{token}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST_URL + "00000000-0000-0000-0000-000000000000/"),
        ("post", LIST_URL + "00000000-0000-0000-0000-000000000000/refresh/"),
        ("get", LIST_URL + "not-a-uuid/"),
        ("get", "/ekyc/api/nothing-here/"),
        ("post", "/ekyc/api/transactions/1/refresh/"),
    ],
)
def test_api_404s_carry_a_code(api, simulator, method, path):
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["detail"]
