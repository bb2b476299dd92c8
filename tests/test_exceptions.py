"""The exception tree: classes by provider code, readable messages."""

from __future__ import annotations

import pytest

from django_ekyc import exceptions as exc


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("Throttling.User", 403, exc.EkycThrottled),
        ("Forbidden.NewThing", 403, exc.EkycAuthError),
        ("InvalidAccessKeyId.Inactive", 403, exc.EkycAuthError),
        # STS tokens: the gateway answers 400, but retrying or blaming the request would not help.
        ("MissingSecurityToken", 400, exc.EkycAuthError),
        ("InvalidSecurityToken.Expired", 400, exc.EkycAuthError),
        ("InvalidSecurityToken.MismatchWithAccessKey", 400, exc.EkycAuthError),
        (None, 401, exc.EkycBadRequest),
        (None, 429, exc.EkycBadRequest),
        (None, 502, exc.EkycProviderError),
        ("Weird", 200, exc.EkycProviderError),
    ],
)
def test_error_class_for_codes_and_statuses(code, status, expected):
    assert exc.error_class_for(code, status) is expected


def test_message_names_action_code_status_and_request_id():
    err = exc.EkycBadRequest(
        "The specified parameter is not valid.",
        action="Initialize",
        status=400,
        code="InvalidParameter",
        request_id="130A2C10-B9EE-4D84-88E3-5384FF039795",
    )
    assert str(err) == (
        "Initialize failed: InvalidParameter (HTTP 400): The specified parameter is not valid. "
        "[RequestId 130A2C10-B9EE-4D84-88E3-5384FF039795]"
    )


def test_transport_errors_say_whether_the_request_left():
    assert exc.EkycTimeout("slow").request_sent is True
    assert exc.EkycTransportError("refused", request_sent=False).request_sent is False
    assert issubclass(exc.EkycTimeout, exc.EkycTransportError)
    assert issubclass(exc.EkycMalformedResponse, exc.EkycProviderError)
