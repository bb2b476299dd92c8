"""Our client and the official SDK put every parameter in the same place with the same value; the SDK
completes every product against the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from alibabacloud_cloudauth_intl20220809 import models as sdk_models
from alibabacloud_cloudauth_intl20220809.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from django_ekyc.catalogue.document_fields import document_facts
from django_ekyc.catalogue.operations import OPERATIONS
from django_ekyc.results import InitializeResult, VerificationResult

from .helpers import META_INFO

NO_RETRIES = RuntimeOptions(autoretry=False, max_attempts=0)
# Values that a careless encoder would mangle: spaces, &, =, /, +, *, ~, non-ASCII, JSON.
AWKWARD = "a b&c=d/é*~+%20"


def sdk_client(simulator) -> SdkClient:
    config = Config(
        access_key_id=simulator.access_key_id,
        access_key_secret=simulator.access_key_secret,
        endpoint=urlsplit(simulator.url).netloc,
        protocol="HTTP",
        read_timeout=5000,
        connect_timeout=5000,
    )
    return SdkClient(config)


def placement(call: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Where each parameter travelled ("query" or "body") and its value, as the simulator received it."""
    form = call["form"] or {}
    return {name: ("body" if name in form else "query", value) for name, value in call["params"].items()}


INITIALIZE = {
    "product_code": "eKYC_PRO",
    "merchant_biz_id": "wirebiz0001",
    "merchant_user_id": "user-hash",
    "meta_info": META_INFO,
    "doc_type": "GLB03002",
    "return_url": "https://shop.example/ekyc/return/tok/?x=1&y=é",
    "scene_code": "wire_01",
    "security_level": "02",
    "callback_url": "https://shop.example/ekyc/callback/",
    "callback_token": "cb-" + AWKWARD,
}
EXTRA = {"Pages": "01", "ShowGuidePage": "0", "ProcedurePriority": "keep", "LanguageConfig": json.dumps({"t": AWKWARD})}
IDS = ("product_code", "merchant_biz_id", "merchant_user_id", "meta_info")


def our_initialize(
    client: Any, kwargs: dict[str, str], extra: dict[str, str] | None = None, operation: str = "Initialize"
) -> Any:
    """Our client given what the SDK's request takes by Python name: the ids by keyword, the rest by API name."""
    by_python_name = {p.python_name: p.name for p in OPERATIONS[operation].parameters.values()}
    parameters = {by_python_name[name]: value for name, value in kwargs.items() if name not in IDS}
    ids = {name: value for name, value in kwargs.items() if name in IDS}
    return client.initialize(**ids, parameters={**parameters, **(extra or {})}, operation=operation)


@pytest.mark.parametrize("operation", ["Initialize", "InitializeV2"])
def test_initialize_parameters_travel_where_the_sdk_puts_them(simulator, ekyc_client, operation):
    our_initialize(ekyc_client, INITIALIZE, EXTRA, operation)
    request_class = sdk_models.InitializeRequest if operation == "Initialize" else sdk_models.InitializeV2Request
    sdk_request = request_class(
        **INITIALIZE,
        pages="01",
        show_guide_page="0",
        procedure_priority="keep",
        language_config=EXTRA["LanguageConfig"],
    )
    sdk = sdk_client(simulator)
    call = sdk.initialize_with_options if operation == "Initialize" else sdk.initialize_v2with_options
    call(sdk_request, NO_RETRIES)
    ours, theirs = simulator.control.calls(operation)
    assert placement(ours) == placement(theirs)
    assert placement(ours)["CallbackToken"] == ("query", "cb-" + AWKWARD)
    # and both send a form body (empty here) with its content type, as the SDK does for Initialize
    assert ours["form"] == theirs["form"] == {}
    assert ours["headers"]["content-type"] == theirs["headers"]["content-type"]


def test_a_face_picture_travels_in_the_body_and_initialize_v2_moves_the_reference_there_too(simulator, ekyc_client):
    pictures = {"FacePictureBase64": "AAA+/=" * 5, "TargetFacePicture": "BBB+/=" * 5}
    ekyc = {**INITIALIZE, "product_code": "eKYC", "doc_type": "01000000"}
    for operation in ("Initialize", "InitializeV2"):
        our_initialize(ekyc_client, ekyc, pictures, operation)
    sdk = sdk_client(simulator)
    sdk_pictures = {
        "face_picture_base_64": pictures["FacePictureBase64"],
        "target_face_picture": pictures["TargetFacePicture"],
    }
    sdk.initialize_with_options(sdk_models.InitializeRequest(**ekyc, **sdk_pictures), NO_RETRIES)
    sdk.initialize_v2with_options(sdk_models.InitializeV2Request(**ekyc, **sdk_pictures), NO_RETRIES)
    (v1, sdk_v1), (v2, sdk_v2) = simulator.control.calls("Initialize"), simulator.control.calls("InitializeV2")
    assert placement(v1)["FacePictureBase64"][0] == "body" and placement(v1)["TargetFacePicture"][0] == "query"
    assert placement(v2)["FacePictureBase64"][0] == "body" and placement(v2)["TargetFacePicture"][0] == "body"
    assert placement(v1) == placement(sdk_v1) and placement(v2) == placement(sdk_v2)


def test_check_result_and_deletion_send_no_body(simulator, ekyc_client):
    started = our_initialize(ekyc_client, INITIALIZE)
    simulator.control.complete(started.transaction_id, "pass")
    ekyc_client.check_result(merchant_biz_id="wirebiz0001", transaction_id=started.transaction_id)
    ekyc_client.delete_verify_result(transaction_id=started.transaction_id, delete_type="Img")
    sdk = sdk_client(simulator)
    sdk.check_result_with_options(
        sdk_models.CheckResultRequest(
            merchant_biz_id="wirebiz0001", transaction_id=started.transaction_id, is_return_image="N"
        ),
        NO_RETRIES,
    )
    sdk.delete_verify_result_with_options(
        sdk_models.DeleteVerifyResultRequest(
            transaction_id=started.transaction_id, delete_type="Img", delete_after_query="Y"
        ),
        NO_RETRIES,
    )
    for action in ("CheckResult", "DeleteVerifyResult"):
        ours, theirs = simulator.control.calls(action)
        assert placement(ours) == placement(theirs)
        assert ours["form"] is theirs["form"] is None and "content-type" not in ours["headers"]


# -- the SDK completes every product -----------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", ["GLB03002", "IDN01001", "MYS01001", "SGP01001", "PHL01001", "CHN01001"])
def test_the_sdk_completes_ekyc_pro(simulator, doc_type):
    sdk = sdk_client(simulator)
    request = sdk_models.InitializeV2Request(**{**INITIALIZE, "doc_type": doc_type, "callback_url": None})
    started = sdk.initialize_v2with_options(request, NO_RETRIES).body.result
    assert started.transaction_url.startswith(simulator.url)
    simulator.control.complete(started.transaction_id, "pass")
    check = sdk_models.CheckResultRequest(merchant_biz_id="wirebiz0001", transaction_id=started.transaction_id)
    answer = sdk.check_result_with_options(check, NO_RETRIES).body
    assert (answer.code, answer.result.passed, answer.result.sub_code) == ("Success", "Y", "200")
    ours = VerificationResult.from_response(answer.to_map())
    assert document_facts(ours.ocr_id_info).number and ours.face_comparison_score


def test_the_sdk_completes_a_liveness_check(simulator):
    sdk = sdk_client(simulator)
    request = sdk_models.InitializeRequest(
        product_code="FACE_LIVENESS_PRO",
        merchant_biz_id="wirebiz0002",
        merchant_user_id="user-hash",
        meta_info=META_INFO,
        return_url="https://shop.example/ekyc/return/tok/",
        model="LIVENESS",
    )
    started = sdk.initialize_with_options(request, NO_RETRIES).body.result
    simulator.control.complete(started.transaction_id, "liveness_attack")
    check = sdk_models.CheckResultRequest(merchant_biz_id="wirebiz0002", transaction_id=started.transaction_id)
    answer = sdk.check_result_with_options(check, NO_RETRIES).body.result
    assert (answer.passed, answer.sub_code, answer.ext_id_info) == ("N", "205", None)
    assert json.loads(answer.ext_face_info)["faceAttack"] == "Y"


def test_the_sdk_opens_an_app_transaction(simulator):
    sdk = sdk_client(simulator)
    request = sdk_models.InitializeRequest(
        product_code="eKYC_PRO",
        merchant_biz_id="wirebiz0003",
        merchant_user_id="user-hash",
        meta_info=json.dumps({"deviceType": "android", "bioMetaInfo": "4.1.0:2916352,0"}),
        doc_type="GLB03002",
    )
    started = sdk.initialize_with_options(request, NO_RETRIES).body
    ours = InitializeResult.from_response(started.to_map())
    assert ours.protocol and not ours.transaction_url
    assert simulator.control.app_verify(ours.transaction_id, ours.protocol)["code"] == "1000"


# -- the face library operations ---------------------------------------------------------------------------


def test_face_library_operations_travel_where_the_sdk_puts_them(simulator, ekyc_client):
    from django_ekyc.simulator.data import face_picture

    simulator.control.create_face_group("wiregroup1")
    alice = face_picture("alice")
    ekyc_client.add_face_record(face_group="wiregroup1", merchant_user_id="user-a", face_picture=alice)
    ekyc_client.search_face(
        merchant_biz_id="wirebiz0004",
        merchant_user_id="user-b",
        face_picture=alice,
        face_groups=["wiregroup1"],
        register_into="wiregroup1",
        return_faces=5,
    )
    ekyc_client.query_face_records(face_group="wiregroup1", merchant_user_id="user-a")
    ekyc_client.delete_face_records(merchant_user_id="user-a", face_group="wiregroup1")
    sdk = sdk_client(simulator)
    sdk.add_face_record_with_options(
        sdk_models.AddFaceRecordRequest(
            product_code="FACE_ENROLL",
            face_group_code="wiregroup1",
            merchant_user_id="user-a",
            face_picture=alice,
            face_quality_check="N",
        ),
        NO_RETRIES,
    )
    sdk.face_verify_intl_with_options(
        sdk_models.FaceVerifyIntlRequest(
            product_code="FACE_IDU_MIN",
            merchant_biz_id="wirebiz0004",
            merchant_user_id="user-b",
            verify_model="0",
            face_group_codes="wiregroup1",
            return_faces="5",
            auto_registration="0",
            face_register_group_code="wiregroup1",
            source_face_picture=alice,
        ),
        NO_RETRIES,
    )
    sdk.query_face_record_with_options(
        sdk_models.QueryFaceRecordRequest(
            face_group_code="wiregroup1", merchant_user_id="user-a", current_page=1, page_size=20
        ),
        NO_RETRIES,
    )
    sdk.delete_face_record_v2with_options(
        sdk_models.DeleteFaceRecordV2Request(merchant_user_id="user-a", face_group_code="wiregroup1"), NO_RETRIES
    )
    for action in ("AddFaceRecord", "FaceVerifyIntl", "QueryFaceRecord", "DeleteFaceRecordV2"):
        ours, theirs = simulator.control.calls(action)
        assert placement(ours) == placement(theirs), action
        assert (ours["form"] is None) == (theirs["form"] is None), action
    assert placement(simulator.control.calls("AddFaceRecord")[0])["FacePicture"][0] == "body"


def test_the_sdk_reads_the_simulators_face_answers_as_we_do(simulator, ekyc_client):
    from django_ekyc.results import FaceSearchResult
    from django_ekyc.simulator.data import face_picture

    simulator.control.create_face_group("wiregroup2")
    ekyc_client.add_face_record(face_group="wiregroup2", merchant_user_id="user-a", face_picture=face_picture("al"))
    sdk = sdk_client(simulator)
    answer = sdk.face_verify_intl_with_options(
        sdk_models.FaceVerifyIntlRequest(
            product_code="FACE_IDU_MIN",
            merchant_biz_id="wirebiz0005",
            merchant_user_id="user-b",
            verify_model="0",
            face_group_codes="wiregroup2",
            return_faces="1",
            auto_registration="0",
            face_register_group_code="wiregroup2",
            source_face_picture=face_picture("al"),
        ),
        NO_RETRIES,
    ).body
    assert json.loads(answer.result.duplicate_face)[0]["merchantUserId"] == "user-a"
    assert answer.result.face_registration_result == 0  # a duplicate: not registered
    ours = FaceSearchResult.from_response(answer.to_map())
    assert [match.merchant_user_id for match in ours.matches] == ["user-a"] and not ours.registered
    page = sdk.query_face_record_with_options(
        sdk_models.QueryFaceRecordRequest(face_group_code="wiregroup2", current_page=1, page_size=20), NO_RETRIES
    ).body
    assert page.total_count == 1 and page.items[0].merchant_user_id == "user-a"
    gone = sdk.delete_face_record_v2with_options(
        sdk_models.DeleteFaceRecordV2Request(merchant_user_id="user-a"), NO_RETRIES
    ).body.result
    assert (gone.deleted, gone.deleted_group_codes) == ("Y", "wiregroup2")


@pytest.mark.parametrize(("target", "same"), [("ada", True), ("mallory", False)])
def test_the_face_comparison_travels_and_reads_as_the_sdk_has_it(simulator, ekyc_client, target, same):
    """FaceVerifyIntl's comparison mode (the reference-face rule asks it): both pictures in the body, the rest in
    the query, as the SDK sends them; the SDK reads the simulator's verdict as our client does."""
    from django_ekyc.simulator.data import face_picture

    ours = ekyc_client.compare_faces(
        merchant_biz_id="wirebiz0006", face_picture=face_picture("ada"), reference_picture=face_picture(target)
    )
    theirs = (
        sdk_client(simulator)
        .face_verify_intl_with_options(
            sdk_models.FaceVerifyIntlRequest(
                product_code="FACE_VERIFY_MIN",
                merchant_biz_id="wirebiz0006",
                verify_model="1",
                source_face_picture=face_picture("ada"),
                target_face_picture=face_picture(target),
            ),
            NO_RETRIES,
        )
        .body.result
    )
    assert ours.passed is same and (theirs.face_passed == "Y") is same
    sent_by_us, sent_by_sdk = simulator.control.calls("FaceVerifyIntl")
    assert placement(sent_by_us) == placement(sent_by_sdk)
    assert placement(sent_by_us)["TargetFacePicture"][0] == "body"


# -- temporary credentials -----------------------------------------------------------------------------------


def test_the_sdk_and_our_client_send_and_sign_sts_credentials_alike(simulator, make_client, monkeypatch):
    """Given the same STS credentials, date and request, the SDK and our client send the same AccessKey ID and
    security token headers and sign them, and the SDK's own ACS3 signer computes our signature over our request.
    Both are accepted by the simulator, which checks the token."""
    from alibabacloud_credentials.client import Client as CredentialsClient
    from alibabacloud_credentials.models import Config as CredentialsConfig
    from alibabacloud_tea_openapi.utils import Utils as SdkUtils

    from django_ekyc.client import transport

    sts = simulator.control.temporary_credentials()
    key_id, secret, token = sts["AccessKeyId"], sts["AccessKeySecret"], sts["SecurityToken"]
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setattr(transport, "utc_timestamp", lambda: date)
    monkeypatch.setattr(f"{transport.__name__}.uuid", SimpleNamespace(uuid4=lambda: SimpleNamespace(hex="0" * 32)))
    monkeypatch.setattr(SdkUtils, "get_timestamp", staticmethod(lambda: date))
    monkeypatch.setattr(SdkUtils, "get_nonce", staticmethod(lambda: "1" * 32))  # another: a nonce is single-use
    provider = CredentialsClient(
        CredentialsConfig(type="sts", access_key_id=key_id, access_key_secret=secret, security_token=token)
    )
    ours = make_client(access_key_id="", access_key_secret="", credentials=provider)
    sent: list[Any] = []
    ours.session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))
    our_initialize(ours, INITIALIZE)
    config = Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=urlsplit(simulator.url).netloc,
        protocol="HTTP",
        read_timeout=5000,
        connect_timeout=5000,
    )
    SdkClient(config).initialize_with_options(sdk_models.InitializeRequest(**INITIALIZE), NO_RETRIES)
    mine, theirs = simulator.control.calls("Initialize")
    assert mine["code"] == theirs["code"] == "Success"
    [request] = sent
    authorization = request.headers["Authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"x-acs-accesskey-id", "x-acs-security-token"} <= set(signed)
    assert set(signed) <= set(theirs["headers"]["authorization"].split("SignedHeaders=")[1].split(";"))
    same = [name for name in signed if name != "x-acs-signature-nonce"]
    assert {name: mine["headers"][name] for name in same} == {name: theirs["headers"][name] for name in same}
    assert (mine["headers"]["x-acs-security-token"], mine["headers"]["x-acs-accesskey-id"]) == (token, key_id)
    sdk_view = SimpleNamespace(
        pathname="/",
        method="POST",
        query=dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True)),
        headers={name: request.headers[name] for name in signed},
    )
    payload = request.headers["x-acs-content-sha256"]
    assert SdkUtils.get_authorization(sdk_view, "ACS3-HMAC-SHA256", payload, key_id, secret) == authorization
