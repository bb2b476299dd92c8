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


# -- the words a catalogue decides: list separators, plurals, the app's name, the admin's words for provider keys --

SEPARATOR = " \u00a6 "  # a separator no language uses, so that only the catalogue can have put it there
SITE_ENTRIES = f"""
msgctxt "separator between the items of a list"
msgid ", "
msgstr "{SEPARATOR}"

msgid "eKYC identity verification"
msgstr "ยืนยันตัวตน eKYC"

msgid "Refreshed %(count)d transaction from the provider."
msgid_plural "Refreshed %(count)d transactions from the provider."
msgstr[0] "รีเฟรช %(count)d"

msgid "Forged or altered document"
msgstr "เอกสารปลอม"

msgid "not detected"
msgstr "ไม่พบ"
"""


@pytest.fixture
def site_catalogue(tmp_path):
    """A Thai catalogue in the site's ``LOCALE_PATHS`` (which Django reads before the app's), compiled with msgfmt:
    what it says shows only where the code asks the catalogues."""
    gettext_tools()
    folder = tmp_path / "locale" / "th" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n'
    )
    (folder / "django.po").write_text(header + SITE_ENTRIES, encoding="utf-8")
    subprocess.run([MSGFMT, "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True)
    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]), translation.override("th"):
        yield


@pytest.mark.parametrize(
    ("language", "separator"),
    [("en", ", "), ("zh-hans", "\u3001"), ("zh-hant", "\u3001"), ("th", " "), ("id", ", "), ("ms", ", "), ("vi", ", ")],
)
def test_a_list_is_joined_as_its_language_joins_one(language, separator):
    """The shipped catalogues' separators: the ideographic comma in Chinese, a space in Thai."""
    from django_ekyc.text import join_list

    with translation.override(language):
        assert join_list(["A", "B", "C"]) == separator.join(["A", "B", "C"])


@pytest.mark.django_db(transaction=True)
def test_every_list_shown_to_people_takes_the_catalogues_separator(site_catalogue, start, user):
    """The start's refusals, the picture checks' refusal, the operator's view and a verification's holds all join
    their lists through ``join_list``: a site's catalogue changes every one of them."""
    from collections.abc import Callable
    from types import SimpleNamespace

    from django.conf import settings

    from django_ekyc.admin.operator import _codes
    from django_ekyc.admin.retention import RetentionDisplay
    from django_ekyc.exceptions import InvalidInput
    from django_ekyc.services import holds
    from django_ekyc.services.pictures import offered_check
    from django_ekyc.validation import validate_doc_type, validate_options, validate_product

    refusals: list[Callable[[], object]] = [
        lambda: validate_doc_type("nonsense"),
        lambda: validate_product("nonsense"),
        lambda: validate_options({"nonsense": "1", "other": "2"}),
        lambda: offered_check("nonsense"),
    ]
    offer = {"PRODUCTS": ["eKYC", "eKYC_PRO"], "PICTURE_CHECKS": ["FACE_COMPARE", "FACE_DEEPFAKE"]}
    with override_settings(EKYC={**settings.EKYC, **offer}):
        for refused in refusals:
            with pytest.raises(InvalidInput) as caught:
                refused()
            assert SEPARATOR in caught.value.message and ", " not in caught.value.message, caught.value.message
    calls = SimpleNamespace(errors={"Throttling.Api": 2, "InternalError": 1})
    assert _codes(calls) == f"Throttling.Api: 2{SEPARATOR}InternalError: 1"  # type: ignore[arg-type]
    kyc = start().transaction
    for reason in ("court order", "audit"):
        holds.place_hold(staff=user, reason=reason, verification=kyc)
    assert SEPARATOR in RetentionDisplay().retention_state(kyc)


def test_the_apps_name_is_translated(site_catalogue):
    from django.apps import apps

    assert str(apps.get_app_config("django_ekyc").verbose_name) == "ยืนยันตัวตน eKYC"


def test_the_refresh_message_takes_the_languages_plural_forms(site_catalogue):
    """Thai has one plural form: the catalogue's one msgstr serves 1 and 2 alike."""
    from django_ekyc.admin.refresh import answered_message

    assert [answered_message(n) for n in (1, 2)] == [
        "รีเฟรช 1",
        "รีเฟรช 2",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_admin_page_says_the_checks_and_the_document_in_the_staff_members_language(
    site_catalogue, client, django_user_model, start, finish
):
    from django.conf import settings

    kyc = finish(start().transaction, "pass")
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "django.middleware.locale.LocaleMiddleware"]):
        html = client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/", HTTP_ACCEPT_LANGUAGE="th").content
    page = html.decode()
    assert '<dt title="spoofResult">เอกสารปลอม</dt>' in page
    assert '<span title="N">ไม่พบ</span>' in page
    assert "หนังสือเดินทาง (ทั่วโลก) <small>(01000000)</small>" in page
