"""The checks from pictures on the wire: for every catalogue entry, our client and the official SDK send the same
parameters, in the same places, with the same values; and the SDK reads the simulator's answer as ours does."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from alibabacloud_cloudauth_intl20220809 import models as sdk_models

from django_ekyc.catalogue.operations import OPERATIONS
from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureKind
from django_ekyc.client.pictures import picture_parameters
from django_ekyc.results.pictures import PictureResult
from django_ekyc.testing import running_simulator

from .picture_support import document, face, jpeg_face
from .test_conformance_wire import NO_RETRIES, placement, sdk_client


def pictures_for(code: str) -> dict[str, str]:
    check = PICTURE_CHECKS[code]
    doc_type = next(iter(check.doc_types), "")
    made = {}
    for picture in check.pictures:
        if picture.kind is PictureKind.DOCUMENT:
            data = document("ada", doc_type)
        elif check.limits.formats == frozenset({"JPEG"}):
            data = jpeg_face("ada")
        else:
            data = face("ada")
        made[picture.name] = base64.b64encode(data).decode()
    return made


def sdk_call(sdk: Any, operation: str, params: dict[str, str]) -> Any:
    spec = OPERATIONS[operation]
    request_class = getattr(sdk_models, f"{operation}Request")
    request = request_class(**{spec.parameters[name].python_name: value for name, value in params.items()})
    # The SDK's generator joins a name ending in a digit without the underscore (doc_ocr_max_v2with_options).
    joint = "" if spec.python_name[-1].isdigit() else "_"
    return getattr(sdk, f"{spec.python_name}{joint}with_options")(request, NO_RETRIES).body


# The library search is the face library's call (its request is built by search_face: tests/test_simulator_faces.py).
ONE_CALL_CHECKS = sorted(code for code, check in PICTURE_CHECKS.items() if not check.searches_library)


@pytest.mark.parametrize("code", ONE_CALL_CHECKS)
def test_our_client_and_the_sdk_send_every_check_alike(code):
    check = PICTURE_CHECKS[code]
    region = sorted(check.regions)[0]
    with running_simulator(region=region) as sim:
        from django_ekyc.client import EkycClient

        pictures = pictures_for(code)
        doc_type = next(iter(check.doc_types), "")
        biz, key = "wirecheck0001", "user-hash"
        with EkycClient(
            access_key_id=sim.access_key_id, access_key_secret=sim.access_key_secret, endpoint=sim.url, max_retries=0
        ) as client:
            ours = client.check_pictures(
                code, pictures=pictures, doc_type=doc_type, merchant_biz_id=biz, merchant_user_id=key
            )
        params = picture_parameters(
            check, pictures=pictures, doc_type=doc_type, merchant_biz_id=biz, merchant_user_id=key
        )
        theirs = sdk_call(sdk_client(sim), check.operation, params)
        first, second = sim.control.calls(check.operation)
    assert placement(first) == placement(second)
    assert ours.passed is True and ours.transaction_id
    answer = theirs.to_map()
    assert PictureResult.from_response(answer).passed is True  # the SDK's parse of the answer reads as ours
    if check.sends_product_code:
        assert first["params"]["ProductCode"] == code
    else:
        assert "ProductCode" not in first["params"]
