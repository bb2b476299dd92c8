"""The catalogues the package ships: complete for every user-facing string in the code, compiled from their
current source, and used: pages, API messages and admin labels speak the request's language."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_ekyc"
LANGUAGES = ("zh_Hans", "zh_Hant", "id", "ms", "th", "vi")
MSGFMT = shutil.which("msgfmt") or "msgfmt"


def gettext_tools() -> None:
    if shutil.which("msgfmt") and shutil.which("xgettext"):
        return
    message = "GNU gettext (msgfmt, xgettext) is missing: install Debian's gettext (make test does, as root)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must check the catalogues
    pytest.skip(message)


def catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as compiled:
        messages = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in messages.items() if key}


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_is_complete_checked_and_compiled_from_its_source(language, tmp_path):
    gettext_tools()
    source = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"
    check = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(source)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "untranslated" not in check.stderr and "fuzzy" not in check.stderr, check.stderr
    shipped = catalogue(source.with_suffix(".mo"))
    assert shipped == catalogue(tmp_path / "django.mo"), "django.mo is stale: run compilemessages"


def test_every_string_in_the_code_is_in_every_catalogue(tmp_path):
    """Extract the strings from the code as it is now, into copies of the catalogues: nothing may be missing."""
    gettext_tools()
    copy = tmp_path / "django_ekyc"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    args = [arg for language in LANGUAGES for arg in ("-l", language)]
    ignored = ["--ignore", "simulator/*", "--ignore", "migrations/*"]
    extract = subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", *args, "--no-obsolete", *ignored],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert extract.returncode == 0, extract.stderr
    for language in LANGUAGES:
        merged = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        stats = subprocess.run(
            [MSGFMT, "--statistics", "-o", os.devnull, str(merged)], capture_output=True, text=True
        ).stderr
        assert "untranslated" not in stats and "fuzzy" not in stats, (
            f"{language}: strings without a translation ({stats.strip()}); run makemessages and translate them"
        )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", "身份"),
        ("zh-hant", "身份"),
        ("id", "identitas"),
        ("ms", "identiti"),
        ("th", "ตัวตน"),
        ("vi", "danh tính"),
    ],
)
def test_the_result_page_and_the_api_speak_the_requests_language(language, words):
    from django_ekyc.models import KycTransaction, Status
    from django_ekyc.outcomes import describe

    with translation.override(language):
        passed = str(describe(KycTransaction(status=Status.PASSED)).title)
        assert passed != "Identity verified" and words.lower() in passed.lower()
        from django_ekyc.templatetags.ekyc import script_messages

        assert script_messages()["start_failed"] != "The verification could not start. Please try again."


@pytest.mark.django_db
def test_an_api_error_is_in_the_language_the_client_asks_for(api, simulator):
    middleware = ["django.middleware.locale.LocaleMiddleware"]
    from django.conf import settings

    # LocaleMiddleware activates the language for the rest of the thread: the override puts the test's back.
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, *middleware]), translation.override(None):
        answer = api.post(
            "/ekyc/api/transactions/",
            {"meta_info": "", "doc_type": "01000000"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="th",
        )
    assert answer.status_code == 400
    body = answer.json()
    assert body["fields"]["meta_info"][0]["code"] == "required"  # the code stays stable
    assert body["detail"] != "The request is not valid." and any("\u0e00" <= ch <= "\u0e7f" for ch in body["detail"])


def test_document_and_product_names_are_translated():
    from django_ekyc.models import KycTransaction

    kyc = KycTransaction(product_code="eKYC", doc_type="00000008")
    with translation.override("zh-hant"):
        assert "身份證" in kyc.doc_type_label
        assert kyc.product_label != "Identity verification (greater-China documents)"
