"""The official SDK (alibabacloud-cloudauth-intl20220809) against the simulator.

The SDK is an independent implementation of the wire protocol: it signs every
header it sends (ours signs the required ones). If both are accepted and both
parse the answers into the same values, the simulator is a fair stand-in for
the provider; tests/test_conformance_wire.py checks that both put each parameter
in the same place.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from alibabacloud_cloudauth_intl20220809 import models as sdk_models
from alibabacloud_cloudauth_intl20220809.client import Client as SdkClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from django_ekyc.results import VerificationResult

from .helpers import META_INFO


def sdk_client(simulator, secret: str | None = None) -> SdkClient:
    config = Config(
        access_key_id=simulator.access_key_id,
        access_key_secret=secret or simulator.access_key_secret,
        endpoint=urlsplit(simulator.url).netloc,
        protocol="HTTP",
        read_timeout=5000,
        connect_timeout=5000,
    )
    return SdkClient(config)


NO_RETRIES = RuntimeOptions(autoretry=False, max_attempts=0)


def sdk_initialize(sdk: SdkClient, **overrides: str) -> sdk_models.InitializeResponse:
    request = sdk_models.InitializeRequest(
        product_code="eKYC",
        merchant_biz_id="sdkbiz0001",
        merchant_user_id="sdk-user-hash",
        meta_info=META_INFO,
        doc_type="01000000",
        return_url="https://shop.example/return/x/",
        language_config=json.dumps({"languageContent": {"en": "a b&c=d/é*~+"}}),
        scene_code="sdk_scene",
        security_level="02",
        **overrides,
    )
    return sdk.initialize_with_options(request, NO_RETRIES)


def test_sdk_initialize_is_accepted_and_parsed(simulator):
    response = sdk_initialize(sdk_client(simulator))
    assert response.status_code == 200
    body = response.body
    assert isinstance(body, sdk_models.InitializeResponseBody)
    assert body.code == "Success"
    assert body.request_id
    assert body.result.transaction_id.startswith("hks")
    assert body.result.transaction_url.startswith(simulator.url)
    [call] = simulator.control.calls("Initialize")
    assert call["query"]  # the SDK sends its parameters in the query string
    assert call["params"]["LanguageConfig"] == json.dumps({"languageContent": {"en": "a b&c=d/é*~+"}})
    assert "user-agent" in call["headers"]["authorization"]  # and signs every header it sends


def test_sdk_check_result_before_and_after_completion(simulator):
    sdk = sdk_client(simulator)
    started = sdk_initialize(sdk).body.result
    check = sdk_models.CheckResultRequest(merchant_biz_id="sdkbiz0001", transaction_id=started.transaction_id)
    with pytest.raises(ClientException) as caught:
        sdk.check_result_with_options(check, NO_RETRIES)
    assert (caught.value.status_code, caught.value.code) == (404, "ProcessNotCompleted")

    simulator.control.complete(started.transaction_id, "document_spoof")
    answer = sdk.check_result_with_options(check, NO_RETRIES).body
    assert isinstance(answer.result, sdk_models.CheckResultResponseBodyResult)
    assert (answer.code, answer.result.passed, answer.result.sub_code) == ("Success", "N", "212")
    ours = VerificationResult.from_response(answer.to_map())
    assert ours.spoof_detected
    assert not ours.passed
    assert ours.ext_id_info == json.loads(answer.result.ext_id_info)


def test_sdk_with_a_wrong_secret_gets_signature_does_not_match(simulator):
    with pytest.raises(ClientException) as caught:
        sdk_initialize(sdk_client(simulator, secret="wrong-secret"))
    assert (caught.value.status_code, caught.value.code) == (400, "SignatureDoesNotMatch")


def test_sdk_validation_errors_come_back_as_the_provider_codes(simulator):
    with pytest.raises(ClientException) as caught:
        sdk_initialize(sdk_client(simulator), id_spoof="maybe")
    assert (caught.value.status_code, caught.value.code) == (400, "InvalidParameter")
    assert "IdSpoof" in caught.value.message


def test_our_client_and_the_sdk_interoperate(simulator, ekyc_client, initialize_kwargs):
    """A transaction opened by our ekyc_client is checked by the SDK, and the two agree on the result."""
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id, "pass")
    sdk_answer = sdk_client(simulator).check_result_with_options(
        sdk_models.CheckResultRequest(
            merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
        ),
        NO_RETRIES,
    )
    ours = ekyc_client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
    )
    assert ours.passed
    assert sdk_answer.body.result.passed == "Y"
    assert ours.sub_code == sdk_answer.body.result.sub_code
    assert dict(ours.ext_face_info) == json.loads(sdk_answer.body.result.ext_face_info)


def test_sdk_face_duplication_check_and_record_paging(simulator):
    """The SDK as a client of the simulator's FaceDuplicationCheckIntl (the FACE_IDU_MIN search as the en, zh and
    ja pages name it) and of QueryFaceRecord paged by NextToken."""
    from django_ekyc.simulator.data import face_picture

    simulator.control.create_face_group("sdkfaces")
    sdk = sdk_client(simulator)
    for index in range(3):
        sdk.add_face_record_with_options(
            sdk_models.AddFaceRecordRequest(
                product_code="FACE_ENROLL",
                face_group_code="sdkfaces",
                merchant_user_id=f"sdk-user-{index}",
                face_picture=face_picture(f"sdk-person-{index}"),
            ),
            NO_RETRIES,
        )
    found = sdk.face_duplication_check_intl_with_options(
        sdk_models.FaceDuplicationCheckIntlRequest(
            product_code="FACE_IDU_MIN",
            merchant_biz_id="sdkdup0001",
            merchant_user_id="sdk-user-new",
            verify_model="0",
            face_group_codes="sdkfaces",
            face_register_group_code="sdkfaces",
            auto_registration="1",
            return_faces="1",
            liveness="1",
            source_face_picture=face_picture("sdk-person-1"),
        ),
        NO_RETRIES,
    ).body
    assert found.code == "Success" and found.result.transaction_id
    assert "sdk-user-1" in found.result.duplicate_face
    first = sdk.query_face_record_with_options(
        sdk_models.QueryFaceRecordRequest(face_group_code="sdkfaces", current_page=1, page_size=2), NO_RETRIES
    ).body
    assert (first.total_count, first.total_page, len(first.items)) == (3, 2, 2) and first.next_token
    second = sdk.query_face_record_with_options(
        sdk_models.QueryFaceRecordRequest(
            face_group_code="sdkfaces", current_page=1, page_size=2, next_token=first.next_token
        ),
        NO_RETRIES,
    ).body
    assert len(second.items) == 1 and not second.next_token
