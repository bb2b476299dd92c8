"""The documentation cannot rot: its reference pages cover what the code has, and its examples are caught by the
checks if copied into production. (``make docs`` builds it with ``mkdocs build --strict``; CI runs it.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from django_ekyc.checks import check_settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def all_docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS.rglob("*.md"))


def test_the_settings_reference_is_generated_from_the_code():
    from scripts.settings_reference import render

    assert page("reference/settings.md") == render(), "run: python scripts/settings_reference.py"


def test_every_check_id_is_documented():
    source = "\n".join(path.read_text() for path in (ROOT / "django_ekyc" / "checks").glob("*.py"))
    ids = set(re.findall(r'id="(django_ekyc\.[EW]\d{3})"', source))
    assert len(ids) >= 17
    missing = sorted(ident for ident in ids if f"`{ident}`" not in page("reference/checks.md"))
    assert missing == []


def test_every_api_error_code_is_documented():
    source = "\n".join(path.read_text() for path in (ROOT / "django_ekyc").rglob("*.py"))
    codes = set(re.findall(r'default_code = "(\w+)"', source))
    codes |= set(re.findall(r'InvalidInput\(\s*"\w+",\s*"(\w+)"', source))
    codes |= {"no_verification_to_compare", "not_for_reverify", "reverify_not_enabled"}
    reference = page("reference/api.md")
    assert sorted(code for code in codes if f"`{code}`" not in reference) == []


def test_every_command_and_signal_is_documented():
    commands = {path.stem for path in (ROOT / "django_ekyc" / "management" / "commands").glob("ekyc_*.py")}
    assert sorted(c for c in commands if f"`{c}" not in page("reference/commands.md")) == []
    from django_ekyc import signals

    names = [name for name, value in vars(signals).items() if type(value).__name__ == "Signal"]
    assert len(names) == 6
    assert sorted(n for n in names if f"django_ekyc.signals.{n}" not in page("reference/signals.md")) == []


def test_an_example_address_from_the_docs_is_refused_in_production():
    """Any https address the docs use as an example site, or as a placeholder for yours, must fail check E017 if
    copied into production."""
    examples = set(re.findall(r"https://([a-z0-9.-]+\.(?:example|test|invalid)(?:\.com|\.org|\.net)?)\b", all_docs()))
    examples |= {"shop.example", "www.example.com"}
    placeholders = set(re.findall(r"https://(<[^>\n]+>)", all_docs()))  # https://<your domain>
    assert placeholders, "the docs' placeholder host is no longer found: update this pattern"
    examples |= placeholders
    good = {"ACCESS_KEY_ID": "LTAI5tRealLookingKeyId", "ACCESS_KEY_SECRET": "a-real-looking-secret"}
    for host in sorted(examples):
        with override_settings(DEBUG=False, EKYC={**good, "PUBLIC_BASE_URL": f"https://{host}"}):
            assert "django_ekyc.E017" in [message.id for message in check_settings()], host


@pytest.mark.parametrize("placeholder", ["your-access-key-id", "changeme", "demo-access-key-id"])
def test_a_placeholder_access_key_is_refused_in_production(placeholder):
    with override_settings(DEBUG=False, EKYC={"ACCESS_KEY_ID": placeholder, "ACCESS_KEY_SECRET": "x" * 30}):
        assert "django_ekyc.E001" in [message.id for message in check_settings()]


def test_the_docs_build_strictly(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.exists():
        pytest.skip("mkdocs is not installed here: make docs installs it (the docs dependency group); CI builds them")
    build = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stderr[-3000:]
