"""System checks, one id at a time, and the defaults passing ``manage.py check``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_ekyc.checks import check_settings
from django_ekyc.client.configured import client_options
from django_ekyc.exceptions import RETIRED_SETTINGS, EkycConfigurationError
from tests.helpers import throttle_rates

ROOT = Path(__file__).resolve().parent.parent
SHARED_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/1"}
}
GOOD: dict[str, Any] = {
    "ACCESS_KEY_ID": "LTAI5tRealLookingKeyId",
    "ACCESS_KEY_SECRET": "a-real-looking-secret",
    "PUBLIC_BASE_URL": "https://verify.bank-of-testing.hk",
    "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
}


@pytest.mark.parametrize(
    ("debug", "ekyc", "expected"),
    [
        (False, GOOD, []),
        (False, {**GOOD, "ACCESS_KEY_ID": ""}, ["django_ekyc.E001"]),
        (False, {**GOOD, "ACCESS_KEY_SECRET": "changeme"}, ["django_ekyc.E001"]),
        (True, {**GOOD, "ACCESS_KEY_ID": ""}, ["django_ekyc.E018"]),
        (False, {**GOOD, "ENDPOINT": "http://cloudauth-intl.cn-hongkong.aliyuncs.com"}, ["django_ekyc.W002"]),
        (False, {**GOOD, "ENDPOINT": "http://127.0.0.1:8765"}, ["django_ekyc.W002", "django_ekyc.W003"]),
        (True, {**GOOD, "ENDPOINT": "http://127.0.0.1:8765"}, []),
        (False, {**GOOD, "ENCRYPTION_KEYS": []}, ["django_ekyc.E004"]),
        (True, {**GOOD, "ENCRYPTION_KEYS": []}, ["django_ekyc.W004"]),
        (False, {**GOOD, "ENCRYPTION_KEYS": ["not-a-key"]}, ["django_ekyc.E005"]),
        (False, {**GOOD, "NO_SUCH_SETTING": 1}, ["django_ekyc.E006"]),
    ],
)
def test_check_ids(debug, ekyc, expected):
    with override_settings(DEBUG=debug, EKYC=ekyc, CACHES=SHARED_CACHE):
        assert sorted(str(message.id) for message in check_settings()) == expected


@pytest.mark.parametrize("name", sorted(RETIRED_SETTINGS))
def test_a_renamed_or_removed_setting_is_an_error_that_names_its_replacement(name):
    with override_settings(DEBUG=False, EKYC={**GOOD, name: 1}, CACHES=SHARED_CACHE):
        messages = check_settings()
    assert [str(message.id) for message in messages] == ["django_ekyc.E006"]
    change, _, what = RETIRED_SETTINGS[name].partition(": ")
    assert f"EKYC['{name}'] was {change}" in messages[0].msg and what in messages[0].msg
    assert "Unknown key" not in messages[0].msg  # it is known: as what it became


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.mark.parametrize(
    ("debug", "caches", "ekyc", "expected"),
    [
        (False, LOCAL_CACHE, GOOD, ["django_ekyc.W007"]),
        (False, DUMMY_CACHE, GOOD, ["django_ekyc.W007"]),
        (True, LOCAL_CACHE, GOOD, []),
        (False, SHARED_CACHE, GOOD, []),
        (
            False,
            LOCAL_CACHE,
            {**GOOD, "RATE_LIMIT": None, "THROTTLES_OFF": True},
            [],
        ),
        (False, LOCAL_CACHE, {**GOOD, "RATE_LIMIT": None}, ["django_ekyc.W007"]),  # the throttles still count
        (
            False,
            {**SHARED_CACHE, "limits": LOCAL_CACHE["default"]},
            {**GOOD, "RATE_LIMIT_CACHE": "limits"},
            ["django_ekyc.W007"],
        ),
    ],
)
def test_per_process_counters_are_flagged_outside_debug(debug, caches, ekyc, expected):
    ekyc = dict(ekyc)
    rates = {"start": None, "refresh": None} if ekyc.pop("THROTTLES_OFF", False) else {}
    with override_settings(DEBUG=debug, EKYC=ekyc, CACHES=caches), throttle_rates(**rates):
        assert sorted(str(message.id) for message in check_settings()) == expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["language_config", "style_config", "show_guide_page", "show_ocr_result"], []),
        ([], []),
        (["security_level"], ["django_ekyc.E008"]),
        (["language_config", "id_spoof"], ["django_ekyc.E008"]),
        (["show_album_icon"], ["django_ekyc.E008"]),
        (["no_such_option"], ["django_ekyc.E008"]),
    ],
)
def test_frontend_options_may_only_be_presentation_options(names, expected):
    with override_settings(DEBUG=True, EKYC={**GOOD, "FRONTEND_OPTIONS": names}):
        assert sorted(str(message.id) for message in check_settings()) == expected


def test_messages_never_show_the_secret_or_keys():
    key = Fernet.generate_key().decode()
    with override_settings(DEBUG=False, EKYC={**GOOD, "ENCRYPTION_KEYS": [key[:-4] + "!!!!"]}):
        text = " ".join(str(message) for message in check_settings())
    assert GOOD["ACCESS_KEY_SECRET"] not in text and key[:20] not in text


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("EKYC_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_demo_settings_pass_check(tmp_path):
    result = run_manage("check", "--fail-level", "ERROR", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="example_project.settings_production",
        DJANGO_SECRET_KEY="x7!" + Fernet.generate_key().decode() + "kq#",
        DJANGO_ALLOWED_HOSTS="verify.bank-of-testing.hk",
        EKYC_ACCESS_KEY_ID="LTAI5tRealLookingKeyId",
        EKYC_ACCESS_KEY_SECRET="a-real-looking-secret",
        EKYC_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EKYC_PUBLIC_BASE_URL="https://verify.bank-of-testing.hk",
        CACHE_URL="redis://127.0.0.1:6379/1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "wrong",
    [
        {"RATE_LIMIT": "8"},
        {"TIMEOUT": "10"},
        {"STORE_IMAGES": "yes"},
        {"MAX_RETRIES": True},
        {"SYNC_INTERVAL": None},
        {"ACCOUNTS": ["brand"]},
        {"FRONTEND_OPTIONS": 3},
        {"PUBLIC_BASE_URL": 443},
    ],
)
def test_settings_of_the_wrong_type(wrong):
    with override_settings(DEBUG=True, EKYC={**GOOD, **wrong}):
        messages = check_settings()
    assert [str(message.id) for message in messages] == ["django_ekyc.E009"]
    [name] = wrong
    assert name in messages[0].msg


class _StaticProvider:
    def get_credential(self) -> object:
        raise AssertionError("a check never asks a provider for credentials")


@pytest.mark.parametrize(
    ("accounts", "expected"),
    [
        ({"brand": {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b", "ENDPOINT": "https://x.example"}}, []),
        ({"brand": {"ACCESS_KEY_ID": "a"}}, ["django_ekyc.E010"]),
        ({"brand": "LTAI-key"}, ["django_ekyc.E010"]),
        ({"brand": {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b", "REGION_TYPO": "x"}}, ["django_ekyc.E010"]),
        ({"brand": {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b", "RATE_LIMIT_GROUP": 5}}, ["django_ekyc.E010"]),
        ({"": {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b"}}, ["django_ekyc.E010"]),
        # A credentials provider instead of an AccessKey: no AccessKey is missing, the object is no string to check.
        ({"brand": {"CREDENTIALS": _StaticProvider()}}, []),
    ],
)
def test_the_shape_of_accounts(accounts, expected):
    with override_settings(DEBUG=True, EKYC={**GOOD, "ACCOUNTS": accounts}):
        assert [str(message.id) for message in check_settings()] == expected


@pytest.mark.parametrize(
    ("resolver", "expected"),
    [
        (None, []),
        ("django_ekyc.services.resolve_account", []),
        ("no_such_module.resolver", ["django_ekyc.E011"]),
        ("django_ekyc.services.no_such_function", ["django_ekyc.E011"]),
        ("django_ekyc.services.CLAIM_LEASE", ["django_ekyc.E011"]),  # imports, but is not callable
    ],
)
def test_the_account_resolver_imports(resolver, expected):
    with override_settings(DEBUG=True, EKYC={**GOOD, "ACCOUNT_RESOLVER": resolver}):
        assert [str(message.id) for message in check_settings()] == expected


@pytest.mark.parametrize(
    ("ekyc", "problem"),
    [
        ({"FACE_LIBRARY": "lib"}, None),
        ({"FACE_LIBRARY": "lib", "REGION": "ap-southeast-3"}, None),  # Kuala Lumpur keeps face libraries too
        ({"FACE_LIBRARY": "lib", "REGION": "eu-central-1"}, "region with face libraries"),
        ({"REVERIFY_PRODUCT": "FACE_IDU"}, "set FACE_LIBRARY"),
        ({"REVERIFY_PRODUCT": "FACE_IDU", "FACE_LIBRARY": "lib"}, None),
        ({"REVERIFY_PRODUCT": "FACE_VERIFY"}, None),
        ({"REVERIFY_PRODUCT": "FACE_VERIFY", "REGION": "ap-southeast-1"}, "does not run in ap-southeast-1"),
        ({"REVERIFY_PRODUCT": "eKYC"}, "must be one of FACE_VERIFY, FACE_IDU"),
    ],
)
def test_face_settings_are_checked(ekyc, problem):
    products = {"PRODUCTS": ["eKYC_PRO"]} if "REGION" in ekyc else {}
    with override_settings(DEBUG=False, EKYC={**GOOD, **products, **ekyc}, CACHES=SHARED_CACHE):
        # No product runs in Frankfurt (E012 says so); the face check is the one asserted here.
        messages = [message for message in check_settings() if message.id != "django_ekyc.E012"]
    assert [str(message.id) for message in messages] == ([] if problem is None else ["django_ekyc.E014"])
    if problem:
        assert problem in messages[0].msg


@pytest.mark.parametrize(
    ("ekyc", "expected"),
    [
        ({"PUBLIC_BASE_URL": None}, ["django_ekyc.W016"]),
        ({"PUBLIC_BASE_URL": "http://verify.bank-of-testing.hk"}, ["django_ekyc.E017"]),
        ({"PUBLIC_BASE_URL": "https://shop.example"}, ["django_ekyc.E017"]),  # the docs' example
        ({"PUBLIC_BASE_URL": "https://www.example.com"}, ["django_ekyc.E017"]),
        ({"PUBLIC_BASE_URL": "https://<your domain>"}, ["django_ekyc.E017"]),  # the docs' placeholder
        ({"PUBLIC_BASE_URL": "https://{domain}/"}, ["django_ekyc.E017"]),
        ({"PUBLIC_BASE_URL": "https://[your domain]"}, ["django_ekyc.E017"]),
        ({"PUBLIC_BASE_URL": "https://"}, ["django_ekyc.E017"]),
        ({"PUBLIC_BASE_URL": "https://verify.bank-of-testing.hk:8443/"}, []),
        ({"PUBLIC_BASE_URL": "https://[2406:da00::1]"}, []),
        ({"SIMULATOR_URL": "http://127.0.0.1:8765"}, ["django_ekyc.E015", "django_ekyc.W002", "django_ekyc.W003"]),
        (
            {"WEBHOOKS": {"ENDPOINTS": {"core": {"URL": "http://core.bank-of-testing.hk/h", "SECRET": "s" * 16}}}},
            ["django_ekyc.E022"],
        ),
        ({"WEBHOOKS": {"ENDPOINTS": {"core": {"URL": "https://core.bank-of-testing.hk/h", "SECRET": "s" * 16}}}}, []),
        ({"WEBHOOKS": {"ENDPOINTS": {"sidecar": {"URL": "http://127.0.0.1:9000/h", "SECRET": "s" * 16}}}}, []),
    ],
)
def test_how_the_site_is_reached_is_checked_outside_debug(ekyc, expected):
    with override_settings(DEBUG=False, EKYC={**GOOD, **ekyc}, CACHES=SHARED_CACHE):
        assert sorted(str(message.id) for message in check_settings()) == expected
    with override_settings(DEBUG=True, EKYC={**GOOD, **ekyc}, CACHES=SHARED_CACHE):
        assert check_settings() == []


# -- a wrong region --------------------------------------------------------------------------------------------

BRAND = {"ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b"}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "ekyc",
    [
        {"REGION": "hongkong"},
        {"REGION": "hongkong", "VPC_ENDPOINT": True},
        {"REGION": "hongkong", "FACE_LIBRARY": "lib", "REVERIFY_PRODUCT": "FACE_IDU"},
        {"REGION": "hongkong", "REVERIFY_PRODUCT": "FACE_VERIFY"},
        {"ACCOUNTS": {"brand": {**BRAND, "REGION": "hongkong"}}},
    ],
)
def test_an_unknown_region_is_one_error_from_every_check_that_reads_it(debug, ekyc):
    """E012 reports it, with the region meant; no other check fails on it, or repeats it as its own problem."""
    with override_settings(DEBUG=debug, EKYC={**GOOD, **ekyc}, CACHES=SHARED_CACHE):
        messages = check_settings()
    assert [str(message.id) for message in messages] == ["django_ekyc.E012"]
    assert "REGION 'hongkong' is not one of" in messages[0].msg
    assert "did you mean 'cn-hongkong'?" in messages[0].msg


def test_check_and_migrate_report_an_unknown_region_among_the_other_messages():
    ekyc = {**GOOD, "REGION": "hongkong", "ENCRYPTION_KEYS": []}
    with override_settings(DEBUG=True, EKYC=ekyc):
        assert {"django_ekyc.E012", "django_ekyc.W004"} <= {str(message.id) for message in run_checks()}
        with pytest.raises(SystemCheckError) as failed:
            call_command("check")
    assert "django_ekyc.E012" in str(failed.value) and "django_ekyc.W004" in str(failed.value)


def test_a_group_of_checks_that_cannot_run_is_reported_and_the_others_still_run(monkeypatch):
    from django_ekyc.checks import limits

    def broken(ekyc):
        raise EkycConfigurationError("EKYC FRONTEND_OPTIONS cannot be read")

    monkeypatch.setattr(limits, "check", broken)
    with override_settings(DEBUG=False, EKYC={**GOOD, "PUBLIC_BASE_URL": None}, CACHES=SHARED_CACHE):
        messages = check_settings()
    assert [str(message.id) for message in messages] == ["django_ekyc.E006", "django_ekyc.W016"]
    assert "FRONTEND_OPTIONS cannot be read" in messages[0].msg


# -- nothing to sign with --------------------------------------------------------------------------------------

SIMULATOR = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("ekyc", "expected"),
    [
        ({}, ["django_ekyc.E018"]),
        ({"ACCESS_KEY_ID": "LTAI5tRealLookingKeyId"}, ["django_ekyc.E018"]),
        ({"ACCESS_KEY_ID": "LTAI5tRealLookingKeyId", "SIMULATOR_URL": SIMULATOR}, ["django_ekyc.E018"]),
        ({"ENDPOINT": SIMULATOR}, ["django_ekyc.E018"]),
        ({"SIMULATOR_URL": SIMULATOR}, []),  # development mode: the simulator's AccessKey
        ({"ACCESS_KEY_ID": "demo-access-key-id", "ACCESS_KEY_SECRET": "demo-access-key-secret"}, []),
    ],
)
def test_in_debug_a_site_with_nothing_to_sign_with_is_an_error(ekyc, expected):
    """E018 is the client's own test: it fires exactly when building the client would fail."""
    with override_settings(DEBUG=True, EKYC={"ENCRYPTION_KEYS": GOOD["ENCRYPTION_KEYS"], **ekyc}):
        assert [str(message.id) for message in check_settings()] == expected
        if expected:
            with pytest.raises(EkycConfigurationError):
                client_options()
        else:
            client_options()
    with override_settings(DEBUG=False, EKYC={**GOOD, **ekyc}, CACHES=SHARED_CACHE):
        assert "django_ekyc.E018" not in [str(message.id) for message in check_settings()]  # E001's, there


@pytest.mark.parametrize(
    ("ekyc", "expected", "problem"),
    [
        ({"PICTURE_CHECKS": ["FACE_COMPARE", "ID_OCR_MAX"]}, [], None),
        ({"PICTURE_CHECKS": ["CARD_OCR"]}, ["django_ekyc.E019"], "not a check of the catalogue"),
        ({"PICTURE_CHECKS": ["FACE_DEEPFAKE"]}, ["django_ekyc.E019"], "does not run in cn-hongkong"),
        ({"PICTURE_CHECKS": ["FACE_IDU_MIN"]}, ["django_ekyc.E019"], "set FACE_LIBRARY"),
        ({"PICTURE_CHECKS": ["FACE_IDU_MIN"], "FACE_LIBRARY": "lib"}, [], None),
        ({"PICTURE_CHECK_OPTIONS": {"ID_OCR_MAX": {"IdSpoof": "F"}}}, [], None),
        ({"PICTURE_CHECK_OPTIONS": {"ID_OCR_MAX": {"SecurityLevel": "01"}}}, ["django_ekyc.E019"], "takes IdSpoof"),
        ({"PICTURE_CHECK_DAILY_LIMIT": -1}, ["django_ekyc.E019"], "0 or more"),
        ({"DEEPFAKE_SCREENING": True}, ["django_ekyc.E019"], "DeepfakeDetectIntl"),
        ({"CONSENT_TEXTS": {"pictures": {"version": "1"}}}, ["django_ekyc.E021"], "'version': ..., 'text'"),
        ({"CONSENT_TEXTS": {"pictures": {"version": "1", "text": "Our words."}}}, [], None),
    ],
)
def test_picture_settings_are_checked(ekyc, expected, problem):
    with override_settings(DEBUG=False, EKYC={**GOOD, **ekyc}, CACHES=SHARED_CACHE):
        messages = list(check_settings())
    assert [str(message.id) for message in messages] == expected
    if problem:
        assert problem in messages[0].msg


def test_offering_checks_without_pillow_is_a_warning(monkeypatch):
    monkeypatch.setattr("django_ekyc.checks.pictures.imaging_available", lambda: False)
    with override_settings(DEBUG=False, EKYC={**GOOD, "PICTURE_CHECKS": ["FACE_COMPARE"]}, CACHES=SHARED_CACHE):
        assert [str(message.id) for message in check_settings()] == ["django_ekyc.W020"]
