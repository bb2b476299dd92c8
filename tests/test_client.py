"""EkycClient against the simulator over real HTTP: answers, errors, retries, timeouts, pooling."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import override_settings

from django_ekyc import exceptions as exc
from django_ekyc.client import EkycClient, get_client
from django_ekyc.client.http import normalize_timeout, split_endpoint
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.results import InitializeResult, VerificationResult

# -- happy paths -----------------------------------------------------------------------------


def test_initialize_returns_a_typed_result_and_sends_every_parameter(ekyc_client, simulator, initialize_kwargs):
    chosen = {
        "SceneCode": "shop_01",
        "IdSpoof": "Y",
        "Authorize": "F",
        "SecurityLevel": "01",
        "IdThreshold": "1",
        "Model": "PHOTINUS_LIVENESS",
        "DocVideo": "N",
        "ShowAlbumIcon": "0",
        "ShowOcrResult": "1",
        "LanguageConfig": '{"languageContent":{"en":"Hi * there ~ +"}}',
        "StyleConfig": '{"ocrPage":{}}',
        "CallbackUrl": "https://shop.example/ekyc/callback/",
        "CallbackToken": "cb-token-123",
        "ShowGuidePage": "0",
    }
    result = ekyc_client.initialize(
        **{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], **chosen}}
    )
    assert isinstance(result, InitializeResult)
    assert result.transaction_id.startswith("hks")
    assert len(result.transaction_id) == 32
    assert result.transaction_url.startswith(simulator.url + "/1.0.0/index.html?clientcfg=")
    assert result.request_id
    assert result.raw["Code"] == "Success"

    [call] = simulator.control.calls("Initialize")
    assert call["params"] == {
        "ProductCode": "eKYC",
        "MerchantBizId": initialize_kwargs["merchant_biz_id"],
        "MerchantUserId": initialize_kwargs["merchant_user_id"],
        "MetaInfo": initialize_kwargs["meta_info"],
        "DocType": "01000000",
        "ReturnUrl": initialize_kwargs["parameters"]["ReturnUrl"],
        "SceneCode": "shop_01",
        "IdSpoof": "Y",
        "Authorize": "F",
        "SecurityLevel": "01",
        "IdThreshold": "1",
        "Model": "PHOTINUS_LIVENESS",
        "DocVideo": "N",
        "ShowAlbumIcon": "0",
        "ShowOcrResult": "1",
        "LanguageConfig": '{"languageContent":{"en":"Hi * there ~ +"}}',
        "StyleConfig": '{"ocrPage":{}}',
        "CallbackUrl": "https://shop.example/ekyc/callback/",
        "CallbackToken": "cb-token-123",
        "ShowGuidePage": "0",
    }


def test_parameters_travel_in_the_signed_query_string_as_the_sdk_sends_them(ekyc_client, simulator, initialize_kwargs):
    """The official SDK's placement, the one proven against the gateway (tests/test_conformance_wire.py compares
    the two clients parameter by parameter); the query string is covered by the signature."""
    ekyc_client.initialize(
        **{
            **initialize_kwargs,
            "parameters": {**initialize_kwargs["parameters"], "CallbackToken": "secret-callback-token"},
        }
    )
    [call] = simulator.control.calls("Initialize")
    assert "CallbackToken=secret-callback-token" in call["query"]
    assert call["form"] == {}  # Initialize always sends a (here empty) form body, like the SDK
    assert call["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert "content-type" in call["headers"]["authorization"]
    assert call["headers"]["user-agent"].startswith("django-ekyc/")


def test_initialize_defaults_apply_and_given_parameters_win(make_client, simulator, initialize_kwargs):
    client = make_client(initialize_defaults={"SecurityLevel": "02", "IdSpoof": "Y"})
    client.initialize(**{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], "IdSpoof": "N"}})
    [call] = simulator.control.calls("Initialize")
    assert call["params"]["SecurityLevel"] == "02"
    assert call["params"]["IdSpoof"] == "N"


def test_required_parameters_are_checked_before_any_call(ekyc_client, simulator, initialize_kwargs):
    with pytest.raises(ValueError, match="MetaInfo"):
        ekyc_client.initialize(**{**initialize_kwargs, "meta_info": "  "})
    assert simulator.control.calls() == []


def test_check_result_before_the_user_finishes_is_not_completed(ekyc_client, simulator, initialize_kwargs):
    started = ekyc_client.initialize(**initialize_kwargs)
    with pytest.raises(exc.EkycNotCompleted) as caught:
        ekyc_client.check_result(
            merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
        )
    assert caught.value.status == 404
    assert caught.value.code == "ProcessNotCompleted"
    assert caught.value.request_id
    assert len(simulator.control.calls("CheckResult")) == 1  # a 404 is an answer, not retried


@pytest.mark.parametrize(
    ("outcome", "passed", "sub_code"),
    [
        ("pass", True, "200"),
        ("face_mismatch", False, "204"),
        ("liveness_attack", False, "205"),
        ("document_spoof", False, "212"),
    ],
)
def test_check_result_parses_each_outcome(ekyc_client, simulator, initialize_kwargs, outcome, passed, sub_code):
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id, outcome)
    result = ekyc_client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
    )
    assert isinstance(result, VerificationResult)
    assert (result.passed, result.sub_code) == (passed, sub_code)
    assert result.ocr_id_info["passportNo"].startswith("K")
    assert result.spoof_detected is (outcome == "document_spoof")
    assert result.ext_face_info["faceAttack"] == ("Y" if outcome == "liveness_attack" else "N")
    score = result.face_comparison_score
    assert score is not None
    assert score < 50 if outcome == "face_mismatch" else score > 80
    assert "idImage" not in result.ext_id_info  # no images unless asked
    assert isinstance(result.raw["Result"]["ExtIdInfo"], str)  # the raw answer is kept as sent


def test_a_pending_verdict_is_not_final(ekyc_client, simulator, initialize_kwargs):
    """Passed=P (an older eKYC page: "pending, later updated to Y or N") is read as not completed, not failed."""
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id, "pending")
    with pytest.raises(exc.EkycNotCompleted) as caught:
        ekyc_client.check_result(
            merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
        )
    assert caught.value.code == "Passed.P"


def test_check_result_with_images(ekyc_client, simulator, initialize_kwargs):
    started = ekyc_client.initialize(
        **{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], "DocType": "00000001"}}
    )
    simulator.control.complete(started.transaction_id, "pass")
    result = ekyc_client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"],
        transaction_id=started.transaction_id,
        is_return_image=True,
    )
    assert result.ext_id_info["idImage"].startswith("iVBORw0KGgo")  # base64 PNG
    assert result.ext_face_info["faceImg"].startswith("iVBORw0KGgo")
    assert len(result.ocr_id_info["idNumber"]) == 18
    [call] = simulator.control.calls("CheckResult")
    assert call["params"]["IsReturnImage"] == "Y"


def test_results_keep_identity_data_out_of_repr(ekyc_client, simulator, initialize_kwargs):
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id, "pass")
    result = ekyc_client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
    )
    text = repr(result) + repr(started)
    assert result.ocr_id_info["passportNo"] not in text
    assert result.ocr_id_info["givenname"] not in text
    assert "clientcfg" not in text  # the single-use URL is not echoed either


# -- provider errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("MissingParameter", 400, exc.EkycBadRequest),
        ("InvalidParameter", 400, exc.EkycBadRequest),
        ("TransactionIdInvalid", 400, exc.EkycBadRequest),
        ("Forbidden.RAMUserAccessDenied", 403, exc.EkycAuthError),
        ("Forbidden.AccountAccessDenied", 403, exc.EkycAuthError),
        ("Forbidden.ExceptionRepeatedInvoke", 401, exc.EkycThrottled),
        ("Throttling.Api", 403, exc.EkycThrottled),
        ("ProcessNotCompleted", 404, exc.EkycNotCompleted),
        ("InternalError", 500, exc.EkycProviderError),
        ("ServiceUnavailable", 503, exc.EkycProviderError),
        ("SignatureDoesNotMatch", 400, exc.EkycAuthError),
        ("InvalidTimeStamp.Expired", 400, exc.EkycAuthError),
        ("SomethingNew", 400, exc.EkycBadRequest),
        ("SomethingNew", 502, exc.EkycProviderError),
        # The provider's 401s are about pictures, never the AccessKey.
        ("UnqualifiedPhoto", 401, exc.EkycPictureRejected),
        ("NoFaceDetected", 401, exc.EkycPictureRejected),
        ("ToolargeImage", 401, exc.EkycPictureRejected),
        ("DataDuplication", 401, exc.EkycPictureRejected),
        ("DownloadTimeout", 401, exc.EkycPictureRejected),
        ("SomethingNew", 401, exc.EkycBadRequest),
        ("SomethingNew", 403, exc.EkycAuthError),
    ],
)
def test_each_provider_code_raises_its_exception(make_client, simulator, initialize_kwargs, code, status, expected):
    client = make_client(max_retries=0)
    simulator.control.add_fault("error", action="Initialize", code=code, status=status, message=f"{code} happened")
    with pytest.raises(expected) as caught:
        client.initialize(**initialize_kwargs)
    err = caught.value
    assert (err.status, err.code, err.message, err.action) == (status, code, f"{code} happened", "Initialize")
    assert err.request_id
    assert err.request_id in str(err)


def test_a_value_the_provider_does_not_allow_is_refused_before_sending(ekyc_client, simulator, initialize_kwargs):
    with pytest.raises(ValueError, match="IdSpoof must be one of N, Y"):
        ekyc_client.initialize(
            **{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], "IdSpoof": "maybe"}}
        )
    with pytest.raises(ValueError, match="NoSuchParameter is not a parameter of Initialize"):
        ekyc_client.initialize(
            **{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], "NoSuchParameter": "1"}}
        )
    with pytest.raises(ValueError, match="MerchantBizId is longer than 32"):
        ekyc_client.initialize(**{**initialize_kwargs, "merchant_biz_id": "a" * 33})
    assert simulator.control.calls() == []


def test_real_validation_errors_name_the_parameter(ekyc_client, simulator, initialize_kwargs):
    with pytest.raises(exc.EkycBadRequest) as caught:
        ekyc_client.check_result(merchant_biz_id="abc", transaction_id="hksdoesnotexist")
    assert caught.value.code == "TransactionIdInvalid"


def test_wrong_secret_is_refused_and_never_shown(make_client, simulator, initialize_kwargs, caplog):
    secret = "the-wrong-but-still-secret-value"
    client = make_client(access_key_secret=secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(exc.EkycAuthError) as caught:
        client.initialize(**initialize_kwargs)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert len(simulator.control.calls()) == 1  # auth failures are not retried
    for text in (str(caught.value), repr(caught.value), repr(client), vars(client).__repr__(), caplog.text):
        assert secret not in text


def test_unknown_access_key(make_client, initialize_kwargs):
    with pytest.raises(exc.EkycAuthError) as caught:
        make_client(access_key_id="LTAI-unknown").initialize(**initialize_kwargs)
    assert (caught.value.status, caught.value.code) == (404, "InvalidAccessKeyId.NotFound")


def test_a_provider_message_echoing_the_secret_is_scrubbed(ekyc_client, simulator, initialize_kwargs):
    simulator.control.add_fault(
        "error", code="InvalidParameter", status=400, message=f"echo {simulator.access_key_secret} back"
    )
    with pytest.raises(exc.EkycBadRequest) as caught:
        ekyc_client.initialize(**initialize_kwargs)
    assert simulator.access_key_secret not in str(caught.value)
    assert "[redacted]" in caught.value.message


# -- retries and timeouts ----------------------------------------------------------------------------


def test_throttling_waits_as_told_then_succeeds(ekyc_client, simulator, sleeps, initialize_kwargs):
    simulator.control.add_fault("throttle", action="Initialize", count=1, retry_after=2000)  # milliseconds
    assert ekyc_client.initialize(**initialize_kwargs).transaction_id
    assert sleeps.waits == [2.0]
    first, second = simulator.control.calls("Initialize")
    assert first["code"] == "Throttling.Api"
    assert second["code"] == "Success"
    # every attempt is signed anew: a replayed nonce would be refused
    assert first["headers"]["x-acs-signature-nonce"] != second["headers"]["x-acs-signature-nonce"]


def test_throttling_beyond_the_longest_wait_fails_fast(make_client, simulator, sleeps, initialize_kwargs):
    client = make_client(retry_max_wait=1.0)
    simulator.control.add_fault("throttle", count=1, retry_after=30_000)
    with pytest.raises(exc.EkycThrottled) as caught:
        client.initialize(**initialize_kwargs)
    assert caught.value.retry_after == 30.0
    assert sleeps.waits == []
    assert len(simulator.control.calls()) == 1


def test_retries_are_bounded(ekyc_client, simulator, sleeps, initialize_kwargs):
    simulator.control.add_fault("unavailable", count=-1)
    with pytest.raises(exc.EkycProviderError) as caught:
        ekyc_client.initialize(**initialize_kwargs)
    assert caught.value.code == "ServiceUnavailable"
    assert len(simulator.control.calls()) == 3  # one try and MAX_RETRIES=2 more
    assert len(sleeps.waits) == 2
    # exponential backoff with jitter: 0.25 then 0.5 at most, never less than half
    assert 0.125 <= sleeps.waits[0] <= 0.25
    assert 0.25 <= sleeps.waits[1] <= 0.5


def test_service_unavailable_once_is_retried(ekyc_client, simulator, initialize_kwargs):
    simulator.control.add_fault("unavailable", count=1)
    assert ekyc_client.initialize(**initialize_kwargs).transaction_id
    assert [c["code"] for c in simulator.control.calls()] == ["ServiceUnavailable", "Success"]


@pytest.mark.parametrize("fault", ["internal_error", "malformed"])
def test_faults_that_are_not_safe_to_retry_fail_at_once(ekyc_client, simulator, initialize_kwargs, fault):
    simulator.control.add_fault(fault, count=1)
    expected = exc.EkycMalformedResponse if fault == "malformed" else exc.EkycProviderError
    with pytest.raises(expected):
        ekyc_client.initialize(**initialize_kwargs)
    assert len(simulator.control.calls()) == 1


def test_a_dropped_connection_after_the_request_is_not_retried_for_initialize(
    ekyc_client, simulator, initialize_kwargs
):
    """The server read the whole request, then hung up: the verification may exist and be billed."""
    simulator.control.add_fault("drop", action="Initialize", count=1)
    with pytest.raises(exc.EkycTransportError) as caught:
        ekyc_client.initialize(**initialize_kwargs)
    assert caught.value.request_sent and caught.value.status is None
    assert [c["status"] for c in simulator.control.calls()] == [None]


def test_a_dropped_connection_is_retried_for_check_result(ekyc_client, simulator, initialize_kwargs):
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id)
    simulator.control.add_fault("drop", action="CheckResult", count=1)
    result = ekyc_client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
    )
    assert result.passed
    assert [c["status"] for c in simulator.control.calls("CheckResult")] == [None, 200]


def test_dropped_every_time_raises_a_transport_error(ekyc_client, simulator, initialize_kwargs):
    started = ekyc_client.initialize(**initialize_kwargs)
    simulator.control.add_fault("drop", action="CheckResult", count=-1)
    with pytest.raises(exc.EkycTransportError) as caught:
        ekyc_client.check_result(
            merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
        )
    assert caught.value.status is None
    assert caught.value.request_sent
    assert len(simulator.control.calls("CheckResult")) == 3


def test_read_timeout_on_initialize_is_not_retried(make_client, simulator, initialize_kwargs):
    client = make_client(timeout=(2.0, 0.3))
    simulator.control.add_fault("slow", action="Initialize", count=-1, delay_ms=600)
    with pytest.raises(exc.EkycTimeout) as caught:
        client.initialize(**initialize_kwargs)
    assert caught.value.request_sent
    # The simulator records a call once its (slow) answer is written: wait until every attempt that
    # could have been made has been answered, then count them.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(simulator.control.calls("Initialize")) < 1:
        time.sleep(0.05)
    time.sleep(0.6 * 3 + 0.3)  # long enough for two retries to arrive and be answered too
    assert len(simulator.control.calls("Initialize")) == 1


def test_read_timeout_on_check_result_is_retried(make_client, simulator, initialize_kwargs):
    client = make_client(timeout=(2.0, 0.3))
    started = client.initialize(**initialize_kwargs)
    simulator.control.complete(started.transaction_id)
    simulator.control.add_fault("slow", action="CheckResult", count=1, delay_ms=1000)
    result = client.check_result(
        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
    )
    assert result.passed


def test_connection_refused_is_a_transport_error_with_nothing_sent(initialize_kwargs, sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nobody listens there
    with (
        EkycClient(
            access_key_id="id", access_key_secret="s", endpoint=f"http://127.0.0.1:{port}", sleep=sleeps
        ) as client,
        pytest.raises(exc.EkycTransportError) as caught,
    ):
        client.initialize(**initialize_kwargs)
    assert caught.value.request_sent is False
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert len(sleeps.waits) == 2  # never sent, so safe to retry even for Initialize


# -- the session: one pool, shared by threads ----------------------------------------------------------


def test_one_client_serves_many_threads_over_a_few_kept_alive_connections(make_client, simulator, initialize_kwargs):
    client = make_client(pool_maxsize=4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                started = client.initialize(**initialize_kwargs)
                with pytest.raises(exc.EkycNotCompleted):
                    client.check_result(
                        merchant_biz_id=initialize_kwargs["merchant_biz_id"], transaction_id=started.transaction_id
                    )
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    calls = simulator.control.calls()
    assert len(calls) == 40
    assert len({call["peer"] for call in calls}) <= 4  # connections reused, one per thread at most


# -- configuration -------------------------------------------------------------------------------------------


def test_from_settings_reads_settings_and_follows_changes(simulator, initialize_kwargs):
    with override_settings(EKYC=simulator.ekyc_settings(TIMEOUT=4, MAX_RETRIES=1)):
        client = EkycClient.from_settings()
        assert (client.base_url, client.timeout, client.max_retries) == (simulator.url, (4.0, 4.0), 1)
        assert client.initialize(**initialize_kwargs).transaction_id
        client.close()
        shared = get_client()
        assert get_client() is shared
    assert get_client() is not shared  # rebuilt after EKYC changed


def test_from_settings_without_credentials():
    with override_settings(EKYC={"ACCESS_KEY_ID": ""}), pytest.raises(EkycConfigurationError, match="ACCESS_KEY"):
        EkycClient.from_settings()


@pytest.mark.parametrize(
    ("endpoint", "base", "host"),
    [
        (
            "https://cloudauth-intl.cn-hongkong.aliyuncs.com",
            "https://cloudauth-intl.cn-hongkong.aliyuncs.com",
            "cloudauth-intl.cn-hongkong.aliyuncs.com",
        ),
        (
            "cloudauth-intl.cn-hongkong.aliyuncs.com/",
            "https://cloudauth-intl.cn-hongkong.aliyuncs.com",
            "cloudauth-intl.cn-hongkong.aliyuncs.com",
        ),
        ("https://example.com:443", "https://example.com", "example.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765", "127.0.0.1:8765"),
        ("http://[::1]:8765", "http://[::1]:8765", "[::1]:8765"),
    ],
)
def test_split_endpoint(endpoint, base, host):
    assert split_endpoint(endpoint) == (base, host)


@pytest.mark.parametrize("endpoint", ["ftp://x", "https://x/api", "https://x/?a=1", "http://"])
def test_bad_endpoints_are_configuration_errors(endpoint):
    with pytest.raises(EkycConfigurationError):
        split_endpoint(endpoint)


@pytest.mark.parametrize(("value", "pair"), [(5, (5.0, 5.0)), ((1, 2.5), (1.0, 2.5)), ([3, 4], (3.0, 4.0))])
def test_timeouts(value, pair):
    assert normalize_timeout(value) == pair


@pytest.mark.parametrize("value", [None, 0, -1, (1,), (1, 2, 3), ("a", 1)])
def test_bad_timeouts(value):
    with pytest.raises(EkycConfigurationError):
        normalize_timeout(value)


def test_transaction_url_from_initialize_opens_the_hosted_page(ekyc_client, initialize_kwargs):
    started = ekyc_client.initialize(**initialize_kwargs)
    page = requests.get(started.transaction_url, timeout=5)
    assert page.status_code == 200
    assert "outcome-pass" in page.text
    assert parse_qs(urlsplit(started.transaction_url).query)["clientcfg"]
    assert json.loads(initialize_kwargs["meta_info"])["deviceType"] == "web"


# -- the environment, read once --------------------------------------------------------------------------


class ForwardProxy:
    """A plain HTTP forward proxy on loopback (absolute-URI requests), counting what it forwards."""

    def __init__(self) -> None:
        import http.server
        import urllib.request

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")}
                request = urllib.request.Request(self.path, data=body, headers=headers, method="POST")  # noqa: S310
                proxy.forwarded.append(self.path)
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback test server
                        status, payload, content_type = answer.status, answer.read(), answer.headers["Content-Type"]
                except urllib.error.HTTPError as err:
                    status, payload, content_type = err.code, err.read(), err.headers["Content-Type"]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.forwarded: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def proxy():
    running = ForwardProxy()
    yield running
    running.stop()


def test_a_proxy_from_the_environment_is_used(make_client, simulator, initialize_kwargs, proxy, monkeypatch):
    """Corporate egress proxies keep working, though the environment is read once, when the client is built."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = make_client()
    monkeypatch.delenv("HTTP_PROXY")  # read already: later changes of the environment do not matter
    assert client.initialize(**initialize_kwargs).transaction_id
    assert len(proxy.forwarded) == 1 and proxy.forwarded[0].startswith(simulator.url + "/?")
    assert client.session.trust_env is False  # requests does not re-read the environment per call


def test_no_proxy_is_honoured(make_client, simulator, initialize_kwargs, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert make_client().initialize(**initialize_kwargs).transaction_id
    assert proxy.forwarded == []


def test_a_transport_error_carries_no_url(initialize_kwargs, sleeps):
    """The URL holds the parameters (tokens, MetaInfo): no message or traceback of a failed call shows it."""
    import traceback

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = EkycClient(access_key_id="id", access_key_secret="s", endpoint=f"http://127.0.0.1:{port}", sleep=sleeps)
    token = "-".join(("secret", "token", "in", "the", "url"))  # not spelled out in a source line of the traceback
    with client, pytest.raises(exc.EkycTransportError) as caught:
        client.initialize(
            **{**initialize_kwargs, "parameters": {**initialize_kwargs["parameters"], "CallbackToken": token}}
        )
    shown = "".join(traceback.format_exception(caught.value))
    assert token not in shown and "MetaInfo=" not in shown
    assert caught.value.__cause__ is None and "ConnectionError" in str(caught.value)
