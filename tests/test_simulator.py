"""The simulator as the provider: gateway checks, parameter validation, hosted page, callback, control API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_ekyc import signing
from django_ekyc.simulator import Simulator
from django_ekyc.testing import RunningSimulator, running_simulator

ROOT = Path(__file__).resolve().parent.parent
VALID_PARAMS = {
    "ProductCode": "eKYC",
    "MerchantBizId": "biz0001",
    "MetaInfo": '{"deviceType":"h5","ua":"Mobile"}',
    "MerchantUserId": "user-hash",
    "DocType": "00000008",
    "ReturnUrl": "https://shop.example/return/abc/",
}


@dataclass(frozen=True)
class Endpoint:
    """Where to send a hand-signed call, and with which AccessKey."""

    url: str
    access_key_id: str
    access_key_secret: str


def signed_call(
    sim: RunningSimulator | Endpoint,
    params: dict[str, str],
    *,
    action: str = "Initialize",
    version: str = "2022-08-09",
    secret: str | None = None,
    key_id: str | None = None,
    when: datetime | None = None,
    nonce: str | None = None,
    in_query: bool = False,
) -> requests.PreparedRequest:
    """A request signed by hand, so each gateway check can be aimed at precisely."""
    body = b"" if in_query else signing.canonical_query_string(params).encode()
    headers = {
        "host": urlsplit(sim.url).netloc,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or os.urandom(16).hex(),
    }
    if not in_query:
        headers["content-type"] = "application/x-www-form-urlencoded"
    query = params if in_query else {}
    signed = signing.sign_request(
        access_key_id=key_id or sim.access_key_id,
        access_key_secret=secret or sim.access_key_secret,
        method="POST",
        path="/",
        query=query,
        headers=headers,
        body=body,
    )
    url = f"{sim.url}/" + (f"?{signing.canonical_query_string(query)}" if query else "")
    return requests.Request("POST", url, headers=signed, data=body).prepare()


def send(prepared: requests.PreparedRequest) -> requests.Response:
    with requests.Session() as session:
        return session.send(prepared, timeout=5)


def error_of(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["Code"]


# -- gateway -------------------------------------------------------------------------------------


def test_a_correctly_signed_call_succeeds(simulator):
    response = send(signed_call(simulator, VALID_PARAMS))
    assert response.status_code == 200
    body = response.json()
    assert body["Code"] == "Success"
    assert body["RequestId"] == response.headers["x-acs-request-id"]
    assert set(body["Result"]) == {"TransactionId", "TransactionUrl", "Protocol", "ClientCfg"}


def test_parameters_may_also_come_in_the_query_string(simulator):
    response = send(signed_call(simulator, VALID_PARAMS, in_query=True))
    assert response.status_code == 200, response.text


def test_missing_authorization_is_an_incomplete_signature(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    del prepared.headers["Authorization"]
    assert error_of(send(prepared)) == (400, "IncompleteSignature")


def test_an_unsigned_required_header_is_an_incomplete_signature(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    prepared.headers["Authorization"] = prepared.headers["Authorization"].replace("x-acs-signature-nonce;", "")
    response = send(prepared)
    assert error_of(response) == (400, "IncompleteSignature")
    assert "x-acs-signature-nonce" in response.json()["Message"]


def test_wrong_secret_is_signature_does_not_match(simulator):
    response = send(signed_call(simulator, VALID_PARAMS, secret="not-the-secret"))
    assert error_of(response) == (400, "SignatureDoesNotMatch")
    assert "ACS3-HMAC-SHA256\\n" in response.json()["Message"]  # the server's string to sign, for debugging
    assert simulator.access_key_secret not in response.text


def test_a_tampered_body_is_refused(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    assert isinstance(prepared.body, bytes)
    prepared.body = prepared.body.replace(b"00000008", b"01000000")
    assert error_of(send(prepared)) == (400, "SignatureDoesNotMatch")


def test_a_tampered_header_is_refused(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    prepared.headers["x-acs-action"] = "CheckResult"
    assert error_of(send(prepared)) == (400, "SignatureDoesNotMatch")


def test_unknown_access_key_id(simulator):
    assert error_of(send(signed_call(simulator, VALID_PARAMS, key_id="LTAI-nobody"))) == (
        404,
        "InvalidAccessKeyId.NotFound",
    )


@pytest.mark.parametrize(("minutes", "ok"), [(-16, False), (-14, True), (14, True), (16, False)])
def test_clock_skew_beyond_fifteen_minutes_is_expired(simulator, minutes, ok):
    when = datetime.now(UTC) + timedelta(minutes=minutes)
    response = send(signed_call(simulator, VALID_PARAMS, when=when))
    assert (response.status_code == 200) is ok
    if not ok:
        assert error_of(response) == (400, "InvalidTimeStamp.Expired")


def test_a_malformed_date_is_refused(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    prepared.headers["x-acs-date"] = "yesterday"
    assert error_of(send(prepared))[1] in {"InvalidTimeStamp.Format", "SignatureDoesNotMatch"}


def test_a_replayed_request_is_refused_by_nonce(simulator):
    prepared = signed_call(simulator, VALID_PARAMS)
    assert send(prepared).status_code == 200
    assert error_of(send(prepared)) == (400, "SignatureNonceUsed")


def test_a_bad_signature_does_not_burn_the_nonce(simulator):
    assert error_of(send(signed_call(simulator, VALID_PARAMS, secret="x", nonce="n1")))[1] == "SignatureDoesNotMatch"
    assert send(signed_call(simulator, VALID_PARAMS, nonce="n1")).status_code == 200


def test_unknown_action_and_version(simulator):
    assert error_of(send(signed_call(simulator, VALID_PARAMS, action="DescribeNothing"))) == (
        404,
        "InvalidAction.NotFound",
    )
    assert error_of(send(signed_call(simulator, VALID_PARAMS, version="2019-03-07"))) == (400, "InvalidVersion")


# -- Initialize / CheckResult validation ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(VALID_PARAMS))
def test_each_required_initialize_parameter(simulator, name):
    params = {k: v for k, v in VALID_PARAMS.items() if k != name}
    response = send(signed_call(simulator, params))
    assert error_of(response) == (400, "MissingParameter")
    assert f'"{name}"' in response.json()["Message"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ProductCode", "KYC_NOT_A_PRODUCT"),
        ("MerchantBizId", "has-dashes"),
        ("MerchantBizId", "x" * 33),
        ("MetaInfo", "not json"),
        ("MetaInfo", "[1, 2]"),
        ("DocType", "passport"),
        ("ReturnUrl", "javascript:alert(1)"),
        ("SceneCode", "more_than_10"),
        ("IdSpoof", "yes"),
        ("Authorize", "Y"),
        ("SecurityLevel", "03"),
        ("IdThreshold", "4"),
        ("Model", "FLASH"),
        ("DocVideo", "1"),
        ("ShowAlbumIcon", "Y"),
        ("ShowOcrResult", "2"),
        ("LanguageConfig", "{broken"),
        ("StyleConfig", '"a string"'),
        ("CallbackUrl", "http://shop.example/callback/"),
        ("CallbackUrl", "not a url"),
    ],
)
def test_invalid_initialize_parameters_are_named(simulator, name, value):
    response = send(signed_call(simulator, {**VALID_PARAMS, name: value}))
    assert error_of(response) == (400, "InvalidParameter")
    assert f'"{name}"' in response.json()["Message"]


def test_official_data_check_only_for_mainland_id_cards(simulator):
    response = send(signed_call(simulator, {**VALID_PARAMS, "Authorize": "T"}))
    assert error_of(response) == (400, "InvalidParameter")
    assert '"Authorize"' in response.json()["Message"]
    ok = send(signed_call(simulator, {**VALID_PARAMS, "Authorize": "T", "DocType": "00000001"}))
    assert ok.status_code == 200


def test_http_callbacks_are_accepted_for_loopback_hosts_only(simulator):
    params = {**VALID_PARAMS, "CallbackUrl": "http://127.0.0.1:9/cb/"}
    assert send(signed_call(simulator, params)).status_code == 200


@pytest.mark.parametrize("name", ["MerchantBizId", "TransactionId"])
def test_check_result_required_parameters(simulator, name):
    params = {"MerchantBizId": "biz0001", "TransactionId": "hksabc"}
    del params[name]
    response = send(signed_call(simulator, params, action="CheckResult"))
    assert error_of(response) == (400, "MissingParameter")
    assert name in response.json()["Message"]


def start(sim: RunningSimulator | Endpoint, **extra: str) -> dict[str, str]:
    response = send(signed_call(sim, {**VALID_PARAMS, **extra}))
    assert response.status_code == 200, response.text
    return response.json()["Result"]


def check(sim: RunningSimulator, transaction_id: str, biz_id: str = "biz0001") -> requests.Response:
    return send(signed_call(sim, {"MerchantBizId": biz_id, "TransactionId": transaction_id}, action="CheckResult"))


def test_check_result_needs_the_matching_merchant_biz_id(simulator):
    result = start(simulator)
    simulator.control.complete(result["TransactionId"])
    assert error_of(check(simulator, result["TransactionId"], biz_id="other")) == (400, "InvalidParameter")
    assert check(simulator, result["TransactionId"]).status_code == 200


def test_forgotten_transactions_are_invalid(simulator):
    result = start(simulator)
    simulator.control.forget(result["TransactionId"])
    assert error_of(check(simulator, result["TransactionId"])) == (400, "TransactionIdInvalid")


def test_check_result_answer_shape(simulator):
    result = start(simulator)
    assert error_of(check(simulator, result["TransactionId"])) == (404, "ProcessNotCompleted")
    simulator.control.complete(result["TransactionId"], "pass")
    answer = check(simulator, result["TransactionId"]).json()["Result"]
    assert answer["Passed"] == "Y"
    assert answer["SubCode"] == "200"
    id_info = json.loads(answer["ExtIdInfo"])  # JSON inside JSON, as the provider sends it
    assert {"ocrIdInfo", "ocrIdPassed", "spoofInfo"} <= set(id_info)
    assert {"name", "englishName", "idNumber", "birthDate"} <= set(id_info["ocrIdInfo"])  # Hong Kong ID fields
    face = json.loads(answer["ExtFaceInfo"])
    assert face["facePassed"] == "Y"
    assert 0 <= face["faceComparisonScore"] <= 100
    assert answer == check(simulator, result["TransactionId"]).json()["Result"]  # stable across calls


# -- hosted page, return and callback ------------------------------------------------------------------------


def test_hosted_page_is_single_use_and_redirects_with_response(simulator):
    result = start(simulator)
    with requests.Session() as browser:
        page = browser.get(result["TransactionUrl"], timeout=5)
        assert page.status_code == 200
        for outcome in ("pass", "face_mismatch", "liveness_attack", "document_spoof", "quit"):
            assert f"id='outcome-{outcome}'" in page.text
        assert browser.get(result["TransactionUrl"], timeout=5).status_code == 410
        token = parse_qs(urlsplit(result["TransactionUrl"]).query)["clientcfg"][0]
        submitted = browser.post(
            f"{simulator.url}/1.0.0/submit",
            data={"clientcfg": token, "outcome": "pass"},
            allow_redirects=False,
            timeout=5,
        )
        assert submitted.status_code == 303
        location = submitted.headers["Location"]
        assert location.startswith(VALID_PARAMS["ReturnUrl"] + "?response=")
        response = json.loads(parse_qs(urlsplit(location).query)["response"][0])
        assert response == {
            "resultCode": "1000",
            "resultMessage": "finished",
            "extInfo": {"certifyId": result["TransactionId"]},
        }
        again = browser.post(f"{simulator.url}/1.0.0/submit", data={"clientcfg": token, "outcome": "pass"}, timeout=5)
        assert again.status_code == 409
    assert check(simulator, result["TransactionId"]).json()["Result"]["Passed"] == "Y"


def test_return_url_with_a_query_gets_an_ampersand(simulator):
    result = start(simulator, ReturnUrl="https://shop.example/return/?t=abc")
    finished = simulator.control.complete(result["TransactionId"], "face_mismatch")
    assert finished["redirect_url"].startswith("https://shop.example/return/?t=abc&response=")
    response = json.loads(parse_qs(urlsplit(finished["redirect_url"]).query)["response"][0])
    assert response["resultCode"] == "1001"


class CallbackRecorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        CallbackRecorder.received.append(parse_qs(urlsplit(self.path).query))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def callback_server() -> Iterator[str]:
    CallbackRecorder.received = []
    server = HTTPServer(("127.0.0.1", 0), CallbackRecorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ekyc/callback/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_callback_carries_the_result_and_token(simulator, callback_server):
    result = start(simulator, CallbackUrl=callback_server, CallbackToken="tok-123")
    finished = simulator.control.complete(result["TransactionId"], "liveness_attack")
    assert finished["callback"] == {"url": callback_server, "status": 200, "error": None}
    assert CallbackRecorder.received == [
        {"transactionId": [result["TransactionId"]], "passed": ["N"], "subCode": ["205"], "callbackToken": ["tok-123"]}
    ]


def test_quitting_sends_no_callback_and_leaves_no_result(simulator, callback_server):
    result = start(simulator, CallbackUrl=callback_server, CallbackToken="tok-123")
    finished = simulator.control.complete(result["TransactionId"], "quit")
    assert finished["callback"] is None
    assert CallbackRecorder.received == []
    assert json.loads(parse_qs(urlsplit(finished["redirect_url"]).query)["response"][0])["resultCode"] == "1006"
    assert error_of(check(simulator, result["TransactionId"])) == (404, "ProcessNotCompleted")


def test_an_unreachable_callback_is_reported_not_fatal(simulator):
    result = start(simulator, CallbackUrl="http://127.0.0.1:9/cb/")
    finished = simulator.control.complete(result["TransactionId"], "pass")
    assert finished["callback"]["error"]
    assert finished["callback"]["status"] is None


def test_web_sdk_stand_in_defines_get_meta_info(simulator):
    script = requests.get(f"{simulator.url}/cdn/jsvm_all.js", timeout=5)
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert "window.getMetaInfo = function" in script.text
    assert "deviceType" in script.text


# -- /_sim/ control -------------------------------------------------------------------------------------------


def test_calls_are_recorded_without_signatures(simulator):
    start(simulator)
    [call] = simulator.control.calls()
    assert call["action"] == "Initialize"
    assert call["status"] == 200
    assert call["code"] == "Success"
    assert call["headers"]["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={simulator.access_key_id},")
    assert "Signature=" not in call["headers"]["authorization"]


@pytest.mark.parametrize(
    "payload",
    [
        {"fault": "explode"},
        {"fault": "throttle", "action": "Nope"},
        {"fault": "slow", "count": 0},
        {"fault": "slow", "delay_ms": "x"},
        {"fault": "error"},
    ],
)
def test_bad_fault_requests_are_refused(simulator, payload):
    response = requests.post(f"{simulator.url}/_sim/faults", json=payload, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]


def test_faults_are_consumed_per_action(simulator):
    simulator.control.add_fault("internal_error", action="CheckResult", count=1)
    result = start(simulator)  # Initialize is unaffected
    assert error_of(check(simulator, result["TransactionId"])) == (500, "InternalError")
    assert error_of(check(simulator, result["TransactionId"])) == (404, "ProcessNotCompleted")


def test_throttle_fault_sends_retry_after(simulator):
    simulator.control.add_fault("throttle", retry_after=3)
    response = send(signed_call(simulator, VALID_PARAMS))
    assert error_of(response) == (403, "Throttling.Api")
    assert response.headers["x-acs-retry-after"] == "3"


def test_reset_forgets_everything(simulator):
    result = start(simulator)
    simulator.control.add_fault("drop", count=-1)
    simulator.control.reset()
    assert simulator.control.calls() == []
    assert requests.get(f"{simulator.url}/_sim/faults", timeout=5).json() == {"faults": []}
    assert error_of(check(simulator, result["TransactionId"])) == (400, "TransactionIdInvalid")


# -- lifecycle ------------------------------------------------------------------------------------------------


def test_stop_ends_every_thread_even_with_kept_alive_connections():
    before = set(threading.enumerate())
    with running_simulator() as sim, requests.Session() as keep_alive:
        assert keep_alive.get(f"{sim.url}/_sim/health", timeout=5).status_code == 200
        slow = threading.Thread(target=lambda: keep_alive.get(f"{sim.url}/cdn/jsvm_all.js", timeout=5))
        slow.start()
        slow.join()
    assert [t for t in threading.enumerate() if t not in before] == []


def test_simulator_binds_to_a_free_port_and_reports_its_url():
    with Simulator({"a": "b"}) as first, Simulator({"a": "b"}) as second:
        assert first.url != second.url
        assert requests.get(f"{first.url}/_sim/health", timeout=5).json() == {"status": "ok"}


def test_management_command_serves_the_provider_api():
    """``manage.py ekyc_simulator`` as a user runs it: a real process on a real port."""
    with Simulator({"x": "y"}) as probe:  # find a port that is free right now
        port = int(probe.url.rsplit(":", 1)[1])
    command = [
        sys.executable,
        "manage.py",
        "ekyc_simulator",
        "--port",
        str(port),
        "--access-key-id",
        "cmd-key",
        "--access-key-secret",
        "cmd-secret",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/_sim/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        sim = Endpoint(url, "cmd-key", "cmd-secret")
        assert send(signed_call(sim, VALID_PARAMS)).status_code == 200
        assert error_of(send(signed_call(sim, VALID_PARAMS, secret="nope")))[1] == "SignatureDoesNotMatch"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"listening on {url}" in output
    assert "cmd-secret" not in output


@pytest.mark.parametrize("doc_type", ["01000000", "00000001", "00000008", "000000011"])
def test_invented_results_never_fail_whatever_the_transaction(doc_type):
    """Each transaction's fake person is derived from its id: every id must give a valid one.

    Ids 3653 and 3735 draw a passport issued on 29 February, whose expiry ten years on once crashed CheckResult.
    """
    from django_ekyc.simulator import data

    for index in range(4000):
        payload = data.check_result_payload(
            transaction_id=f"hks{index:029x}", doc_type=doc_type, outcome=data.OUTCOMES["pass"], with_images=False
        )
        assert json.loads(payload["ExtIdInfo"])["ocrIdInfo"]


# -- temporary credentials (STS) -----------------------------------------------------------------------------


def sts_call(sim: RunningSimulator, credentials: dict[str, str], token: str | None) -> requests.PreparedRequest:
    """A call signed by hand with temporary credentials, carrying ``token`` (None: no token header)."""
    endpoint = Endpoint(sim.url, credentials["AccessKeyId"], credentials["AccessKeySecret"])
    prepared = signed_call(endpoint, VALID_PARAMS)
    if token is None:
        return prepared
    headers = {
        k.lower(): v for k, v in prepared.headers.items() if k.lower() not in ("authorization", "content-length")
    }
    headers.pop("x-acs-content-sha256", None)
    signed = signing.sign_request(
        access_key_id=endpoint.access_key_id,
        access_key_secret=endpoint.access_key_secret,
        method="POST",
        path="/",
        query={},
        headers={**headers, "x-acs-security-token": token},
        body=prepared.body if isinstance(prepared.body, bytes) else b"",
    )
    return requests.Request("POST", f"{sim.url}/", headers=signed, data=prepared.body).prepare()


def test_temporary_credentials_are_accepted_with_their_own_token(simulator):
    issued = simulator.control.temporary_credentials(duration_seconds=900)
    assert issued["AccessKeyId"].startswith("STS.") and issued["Code"] == "Success"
    expires = datetime.strptime(issued["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    response = send(sts_call(simulator, issued, issued["SecurityToken"]))
    assert response.status_code == 200, response.text


def test_a_temporary_key_without_its_valid_token_is_refused(simulator):
    mine = simulator.control.temporary_credentials()
    theirs = simulator.control.temporary_credentials()
    expired = simulator.control.temporary_credentials(duration_seconds=-1)
    assert error_of(send(sts_call(simulator, mine, None))) == (400, "MissingSecurityToken")
    assert error_of(send(sts_call(simulator, mine, "CAISnot-a-token"))) == (400, "InvalidSecurityToken.Malformed")
    mismatch = error_of(send(sts_call(simulator, mine, theirs["SecurityToken"])))
    assert mismatch == (400, "InvalidSecurityToken.MismatchWithAccessKey")
    assert error_of(send(sts_call(simulator, expired, expired["SecurityToken"]))) == (
        400,
        "InvalidSecurityToken.Expired",
    )
    unknown = {**mine, "AccessKeyId": "STS.never-issued"}
    assert error_of(send(sts_call(simulator, unknown, mine["SecurityToken"]))) == (404, "InvalidAccessKeyId.NotFound")


def test_a_long_lived_key_is_not_judged_by_a_token_it_carries(simulator):
    """The provider's pages say nothing of it; the simulator ignores the token (the client may be given one)."""
    long_lived = {"AccessKeyId": simulator.access_key_id, "AccessKeySecret": simulator.access_key_secret}
    assert send(sts_call(simulator, long_lived, "anything")).status_code == 200


def test_a_temporary_keys_token_must_be_signed(simulator):
    """A token carried but left out of SignedHeaders could be swapped in transit: refused, though it is valid."""
    issued = simulator.control.temporary_credentials()
    prepared = signed_call(Endpoint(simulator.url, issued["AccessKeyId"], issued["AccessKeySecret"]), VALID_PARAMS)
    prepared.headers["x-acs-security-token"] = issued["SecurityToken"]  # sent, not signed
    response = send(prepared)
    assert error_of(response) == (400, "IncompleteSignature")
    assert "x-acs-security-token" in response.json()["Message"]
    assert simulator.control.calls("Initialize")[-1]["code"] == "IncompleteSignature"


@pytest.mark.parametrize("token", [None, "CAISnot-a-token", "theirs"], ids=["missing", "malformed", "mismatch"])
def test_a_badly_signed_temporary_call_learns_nothing_of_its_token(simulator, token):
    """The token is judged after the signature: a caller without the secret hears only that the signature is bad."""
    mine = simulator.control.temporary_credentials()
    carried = simulator.control.temporary_credentials()["SecurityToken"] if token == "theirs" else token
    assert error_of(send(sts_call(simulator, {**mine, "AccessKeySecret": "guessed"}, carried))) == (
        400,
        "SignatureDoesNotMatch",
    )


def test_temporary_credentials_a_test_brings_are_registered_and_forgotten_on_reset(simulator):
    expires_at = int(time.time()) + 3600
    brought = {"access_key_id": "STS.mine", "access_key_secret": "s3cret", "security_token": "tok"}
    registered = simulator.control.temporary_credentials(**brought, expires_at=expires_at)
    assert (registered["AccessKeyId"], registered["SecurityToken"]) == ("STS.mine", "tok")
    assert registered["Expiration"] == datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send(sts_call(simulator, registered, "tok")).status_code == 200
    simulator.control.reset()
    assert error_of(send(sts_call(simulator, registered, "tok"))) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize(
    "payload",
    [{"access_key_id": "LTAI-not-sts"}, {"duration_seconds": "soon"}, {"security_token": ""}, {"expires_at": True}],
)
def test_bad_temporary_credential_requests_are_refused(simulator, payload):
    response = requests.post(f"{simulator.url}/_sim/sts", json=payload, timeout=5)
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        '{"duration_seconds": NaN}',
        '{"duration_seconds": Infinity}',
        '{"duration_seconds": 1e300}',
        '{"duration_seconds": 1' + "0" * 400 + "}",
        '{"duration_seconds": 43201}',
        '{"duration_seconds": -43201}',
        '{"expires_at": 1e300}',
        '{"expires_at": NaN}',
        '{"expires_at": 0}',
    ],
    ids=[
        "nan",
        "infinity",
        "1e300",
        "huge integer",
        "over 12 h",
        "expired over 12 h ago",
        "far expiry",
        "nan expiry",
        "1970",
    ],
)
def test_a_validity_that_is_not_a_sane_number_of_seconds_is_refused_and_registers_nothing(simulator, body):
    """JSON as Python writes it (NaN, Infinity) and numbers no clock reaches: 400 with the range, not a 500; and the
    credential it names is not registered, so that a call signed with it is an unknown key."""
    brought = '{"access_key_id": "STS.refused", "access_key_secret": "s3cret", "security_token": "tok", ' + body[1:]
    response = requests.post(
        f"{simulator.url}/_sim/sts", data=brought, headers={"content-type": "application/json"}, timeout=5
    )
    assert response.status_code == 400, response.text
    assert "43200" in response.json()["error"]
    refused = {"AccessKeyId": "STS.refused", "AccessKeySecret": "s3cret"}
    assert error_of(send(sts_call(simulator, refused, "tok"))) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("duration", ["nan", "inf", "1e300", "soon"])
def test_the_credentials_uri_refuses_a_duration_that_is_not_a_sane_number(simulator, duration):
    response = requests.get(f"{simulator.url}/_sim/sts", params={"duration_seconds": duration}, timeout=5)
    assert response.status_code == 400 and "duration_seconds" in response.json()["error"]


def test_a_short_and_a_long_validity_are_accepted(simulator):
    """Shorter than AssumeRole's 900 seconds (for tests) and up to its longest, 43200."""
    for seconds, expected in ((60, timedelta(seconds=60)), (43200, timedelta(hours=12))):
        issued = simulator.control.temporary_credentials(duration_seconds=seconds)
        expires = datetime.strptime(issued["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert expected - timedelta(seconds=60) < expires - datetime.now(UTC) <= expected


def test_the_sts_endpoint_answers_as_a_credentials_uri(simulator):
    """``GET /_sim/sts``: what alibabacloud-credentials' ``credentials_uri`` provider reads (status 200)."""
    response = requests.get(f"{simulator.url}/_sim/sts", params={"duration_seconds": "120"}, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"Code", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    expires = datetime.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(seconds=60) < expires - datetime.now(UTC) <= timedelta(seconds=120)
    assert send(sts_call(simulator, body, body["SecurityToken"])).status_code == 200
