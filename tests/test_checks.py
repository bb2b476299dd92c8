"""System checks, one id at a time, and the defaults passing ``manage.py check``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from django_ekyc.checks import check_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD: dict[str, Any] = {
    "ACCESS_KEY_ID": "LTAI5tRealLookingKeyId",
    "ACCESS_KEY_SECRET": "a-real-looking-secret",
    "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
}


@pytest.mark.parametrize(
    ("debug", "ekyc", "expected"),
    [
        (False, GOOD, []),
        (False, {**GOOD, "ACCESS_KEY_ID": ""}, ["django_ekyc.E001"]),
        (False, {**GOOD, "ACCESS_KEY_SECRET": "changeme"}, ["django_ekyc.E001"]),
        (True, {**GOOD, "ACCESS_KEY_ID": ""}, []),
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
    with override_settings(DEBUG=debug, EKYC=ekyc):
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
        DJANGO_ALLOWED_HOSTS="shop.example",
        EKYC_ACCESS_KEY_ID="LTAI5tRealLookingKeyId",
        EKYC_ACCESS_KEY_SECRET="a-real-looking-secret",
        EKYC_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EKYC_PUBLIC_BASE_URL="https://shop.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
