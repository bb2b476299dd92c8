"""ACS3-HMAC-SHA256: the official worked example, RFC 3986 encoding, and the official SDK as a peer."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
from alibabacloud_tea_openapi.utils import Utils as SdkUtils

from django_ekyc import signing

OFFICIAL_QUERY = {
    "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
    "RegionId": "cn-shanghai",
}
OFFICIAL_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
}


def test_official_example_canonical_request_hash() -> None:
    headers = {**OFFICIAL_HEADERS, "x-acs-content-sha256": signing.EMPTY_PAYLOAD_HASH}
    canonical = signing.canonical_request("POST", "/", OFFICIAL_QUERY, headers, headers, signing.EMPTY_PAYLOAD_HASH)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )


def test_official_example_signature_and_header() -> None:
    signed = signing.sign_request(
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        method="POST",
        path="/",
        query=OFFICIAL_QUERY,
        headers=OFFICIAL_HEADERS,
    )
    assert signed["Authorization"] == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
        "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )
    assert signed["x-acs-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("=", "%3D"),
        ("&", "%26"),
        ("/", "%2F"),
        ("é", "%C3%A9"),
        ("身份证", "%E8%BA%AB%E4%BB%BD%E8%AF%81"),
        ("AZaz09-_.", "AZaz09-_."),
        ('{"a":[1]}', "%7B%22a%22%3A%5B1%5D%7D"),
        ("", ""),
    ],
)
def test_percent_encoding_is_rfc3986(raw: str, encoded: str) -> None:
    assert signing.percent_encode(raw) == encoded


def test_canonical_query_sorts_by_key_and_keeps_empty_values() -> None:
    query = {"b": "2", "A": "x y", "a": "", "c*": "~"}
    assert signing.canonical_query_string(query) == "A=x%20y&a=&b=2&c%2A=~"


def test_repeated_keys_are_sorted_by_value() -> None:
    assert signing.canonical_query_string([("k", "b"), ("k", "a")]) == "k=a&k=b"


def test_canonical_headers_lowercase_trim_and_sort() -> None:
    headers = {"X-Acs-B": "  two ", "Host": "h"}
    assert signing.canonical_headers(headers, ["x-acs-b", "host"]) == "host:h\nx-acs-b:two\n"


TRICKY_VALUES = [
    "plain",
    "spaces and * stars ~ tildes",
    "a+b=c&d/e?f#g%h",
    "Üñíçødé 中文 テスト",
    json.dumps({"languageContent": {"zh": "你好", "en": "hello world"}, "x": ["*", "~", "+"]}),
    "x" * 4096,
]


@pytest.mark.parametrize("value", TRICKY_VALUES)
def test_signature_matches_the_official_sdk(value: str) -> None:
    """The SDK's own signer is an independent implementation: both must agree on any value."""
    query = {"MetaInfo": value, "ProductCode": "eKYC", "Empty": ""}
    headers = {
        "host": "cloudauth-intl.cn-hongkong.aliyuncs.com",
        "x-acs-action": "Initialize",
        "x-acs-version": "2022-08-09",
        "x-acs-date": "2026-01-02T03:04:05Z",
        "x-acs-signature-nonce": "0123456789abcdef",
        "content-type": "application/x-www-form-urlencoded",
    }
    body = f"StyleConfig={signing.percent_encode(value)}".encode()
    ours = signing.sign_request(
        access_key_id="id", access_key_secret="s3cret", method="POST", path="/", query=query, headers=headers, body=body
    )
    sdk_request = SimpleNamespace(
        pathname="/", method="POST", query=query, headers={k: v for k, v in ours.items() if k != "Authorization"}
    )
    theirs = SdkUtils.get_authorization(sdk_request, "ACS3-HMAC-SHA256", signing.payload_hash(body), "id", "s3cret")
    assert ours["Authorization"] == theirs


def test_verify_signature_accepts_its_own_and_rejects_any_change() -> None:
    headers = {**OFFICIAL_HEADERS, "content-type": "application/x-www-form-urlencoded"}
    body = b"MetaInfo=%7B%7D"
    signed = signing.sign_request(
        access_key_id="id", access_key_secret="k", method="POST", path="/", query={}, headers=headers, body=body
    )
    auth = signing.parse_authorization(signed["Authorization"])

    def verify(**changes: object) -> bool:
        args: dict[str, object] = {
            "authorization": auth,
            "access_key_secret": "k",
            "method": "POST",
            "path": "/",
            "query": [],
            "headers": signed,
            "body_hash": signing.payload_hash(body),
        }
        args.update(changes)
        return signing.verify_signature(**args)[0]  # type: ignore[arg-type]

    assert verify()
    assert not verify(access_key_secret="other")
    assert not verify(body_hash=signing.payload_hash(b"MetaInfo=%7B%22x%22%7D"))
    assert not verify(headers={**signed, "x-acs-action": "CheckResult"})
    assert not verify(query=[("Extra", "1")])
    assert not verify(method="GET")


def test_parse_authorization() -> None:
    auth = signing.parse_authorization(
        "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;X-Acs-Date,Signature=ABCDEF0123"
    )
    assert auth == signing.Authorization("ACS3-HMAC-SHA256", "AK", ("host", "x-acs-date"), "abcdef0123")


@pytest.mark.parametrize(
    "value",
    [None, "", "Bearer abc", "ACS3-HMAC-SHA256 Credential=AK,Signature=ab", "ACS3-HMAC-SHA256 Credential=AK"],
)
def test_parse_authorization_rejects_malformed(value: str | None) -> None:
    with pytest.raises(signing.MalformedAuthorization):
        signing.parse_authorization(value)


def test_signing_needs_no_django() -> None:
    """``signing`` is pure standard library: importable with no Django around."""
    import subprocess
    import sys

    code = "import sys, django_ekyc.signing; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_sts_headers_are_signed_as_the_official_sdk_signs_them() -> None:
    """Temporary credentials add two x-acs-* headers, the AccessKey ID and the security token (its characters
    include + / =): both are signed, and the SDK's signer agrees."""
    headers = {
        **OFFICIAL_HEADERS,
        "x-acs-accesskey-id": "STS.NUgYrLnoC37mZZCNnAbez2xyz",
        "x-acs-security-token": "CAIS+/=some+opaque/token==",
    }
    ours = signing.sign_request(
        access_key_id="STS.NUgYrLnoC37mZZCNnAbez2xyz",
        access_key_secret="temporary-secret",
        method="POST",
        path="/",
        query=OFFICIAL_QUERY,
        headers=headers,
    )
    assert "x-acs-accesskey-id;x-acs-action;" in ours["Authorization"]
    assert ";x-acs-security-token;x-acs-signature-nonce;" in ours["Authorization"]
    unsigned = {k: v for k, v in ours.items() if k != "Authorization"}
    sdk_request = SimpleNamespace(pathname="/", method="POST", query=OFFICIAL_QUERY, headers=unsigned)
    key_id, payload = "STS.NUgYrLnoC37mZZCNnAbez2xyz", signing.EMPTY_PAYLOAD_HASH
    theirs = SdkUtils.get_authorization(sdk_request, "ACS3-HMAC-SHA256", payload, key_id, "temporary-secret")
    assert ours["Authorization"] == theirs
