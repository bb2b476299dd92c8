"""What an adopter meets first: development mode, template tags and guards in templates, a result page and an
admin that speak words rather than codes, and the demo (settings from the environment: tests/test_env.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings

from django_ekyc.client.configured import account_config, client_options
from django_ekyc.conf import SIMULATOR_ACCESS_KEY_ID
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.outcomes import CODE_MESSAGES, describe
from django_ekyc.testing import running_simulator

from .helpers import META_INFO, initialize_params, return_path

# -- development mode ------------------------------------------------------------------------------------------


def test_development_mode_needs_only_the_simulators_address():
    with override_settings(EKYC={"SIMULATOR_URL": "http://127.0.0.1:8765"}):
        options = client_options()
        assert options["endpoint"] == "http://127.0.0.1:8765"
        assert options["access_key_id"] == SIMULATOR_ACCESS_KEY_ID
        assert render("{% load ekyc %}{% ekyc_web_sdk %}") == (
            '<script src="http://127.0.0.1:8765/cdn/jsvm_all.js"></script>'
        )
    with override_settings(EKYC={}):
        assert render("{% load ekyc %}{% ekyc_web_sdk %}") == (
            '<script src="https://hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js"></script>'
        )
    with override_settings(
        EKYC={"SIMULATOR_URL": "http://127.0.0.1:8765", "ACCESS_KEY_ID": "a", "ACCESS_KEY_SECRET": "b"}
    ):
        assert account_config()["ACCESS_KEY_ID"] == "a"  # a configured AccessKey is always used


@pytest.mark.django_db(transaction=True)
def test_a_site_in_development_mode_verifies_against_the_simulator_it_starts(client, django_user_model):
    """The documented development settings, against a simulator started with the command's defaults."""
    from django_ekyc.conf import SIMULATOR_ACCESS_KEY_SECRET

    with running_simulator(SIMULATOR_ACCESS_KEY_ID, SIMULATOR_ACCESS_KEY_SECRET) as sim:
        development = {"SIMULATOR_URL": sim.url, "RATE_LIMIT": None, "REFRESH_MIN_INTERVAL": 0}
        with override_settings(EKYC=development):
            client.force_login(django_user_model.objects.create_user("ada", password="pw"))
            answer = client.post(
                "/ekyc/api/transactions/", {"doc_type": "01000000", "meta_info": META_INFO}, "application/json"
            )
            assert answer.status_code == 201, answer.content
            assert answer.json()["transaction_url"].startswith(sim.url)
            kyc = KycTransaction.objects.get()
            sim.control.complete(str(kyc.transaction_id), "pass")
            page = client.get(return_path(initialize_params(sim)))
            assert 'data-status="passed"' in page.content.decode()


# -- template tags and filters ---------------------------------------------------------------------------------


def render(source: str, **context: Any) -> str:
    return Template(source).render(Context(context)).strip()


def test_the_scripts_tag_loads_the_sdk_the_helper_and_its_messages_in_the_pages_language():
    from django.utils import translation

    with translation.override("en"):
        html = render("{% load ekyc %}{% ekyc_scripts %}")
    assert re.search(r'<script src="[^"]+/cdn/jsvm_all.js"></script>', html)
    assert '<script src="/static/django_ekyc/ekyc.js"></script>' in html
    assert '<script id="ekyc-messages" type="application/json">' in html and "sdk_missing" in html


def test_the_start_button_starts_nothing_by_itself():
    html = render(
        '{% load ekyc %}{% ekyc_start_button "Verify" product_code="eKYC_PRO" doc_type="GLB03002" %}',
        csrf_token="tok",
    )
    assert html.startswith('<button type="button"') and ">Verify</button>" in html
    for attribute in ("data-ekyc-start", 'data-product-code="eKYC_PRO"', 'data-doc-type="GLB03002"'):
        assert attribute in html
    assert 'data-url="/ekyc/api/transactions/"' in html and 'role="status"' in html  # its words, announced
    assert "<script" not in html  # nothing runs on page load: the helper binds to the click


@pytest.mark.django_db
def test_guards_in_templates_take_seconds(user):
    from datetime import timedelta

    from django.utils import timezone

    template = "{% load ekyc %}{% if user|ekyc_verified %}V{% endif %}{% if user|ekyc_verified:60 %}R{% endif %}"
    template += "{% if user|ekyc_reverified:300 %}S{% endif %}"
    assert render(template, user=user) == ""
    KycTransaction.objects.create(
        user=user,
        status=Status.PASSED,
        passed=True,
        merchant_biz_id="tagtest1",
        merchant_user_id="u",
        return_token_hash="t1",
        callback_token_hash="c",
        completed_at=timezone.now() - timedelta(minutes=5),
    )
    assert render(template, user=user) == "V"
    KycTransaction.objects.create(
        user=user,
        status=Status.PASSED,
        purpose=Purpose.REVERIFY,
        passed=True,
        merchant_biz_id="tagtest2",
        merchant_user_id="u",
        return_token_hash="t2",
        callback_token_hash="c",
        completed_at=timezone.now(),
    )
    assert render(template, user=user) == "VS"


# -- the result page -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("pass", "Thank you: your identity is verified."),
        ("face_mismatch", "The face did not match the photo on the document."),
        ("liveness_attack", "The liveness check did not pass."),
        ("document_spoof", "The document did not pass the anti-counterfeiting check."),
    ],
)
def test_the_result_page_says_what_happened_in_words(client, start, simulator, outcome, words):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, outcome)
    html = client.get(return_path(initialize_params(simulator))).content.decode()
    assert words in html and 'id="ekyc-back" href="/"' in html
    assert ("data-ekyc-start" in html) is (outcome != "pass")  # try again, with the same document
    if outcome != "pass":
        assert 'data-doc-type="01000000"' in html and "{% ekyc" not in html


@pytest.mark.django_db(transaction=True)
def test_after_quitting_the_page_checks_a_few_times_then_leaves_it_to_the_person(client, start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "quit")
    path = return_path(initialize_params(simulator))
    first = client.get(path).content.decode()
    assert "If you stopped before the end, you can start again." in first
    assert f'data-status-url="{path}status/?check=1"' in first and "data-ekyc-start" in first
    assert "http-equiv" not in first  # it asks again without reloading the page
    last = client.get(f"{path}status/?check=6").json()
    assert (last["waiting"], last["recheck_url"]) == (True, "")  # no endless checking: the person decides


@pytest.mark.django_db(transaction=True)
def test_try_again_goes_to_the_sites_page_when_it_has_one(client, start, simulator):
    from django.conf import settings

    with override_settings(EKYC={**settings.EKYC, "VERIFY_URL": "/verify/", "HOME_URL": "/account/"}):
        kyc = start().transaction
        simulator.control.complete(kyc.transaction_id, "face_mismatch")
        html = client.get(return_path(initialize_params(simulator))).content.decode()
    assert 'id="ekyc-try-again" href="/verify/"' in html and 'href="/account/"' in html
    assert "ekyc-messages" not in html  # no script needed


def test_every_code_has_words_and_an_unknown_one_falls_back():
    kyc = KycTransaction(status=Status.FAILED, sub_code="999")
    assert str(describe(kyc).message) == "We could not verify your identity."
    kyc.sub_code = "204"
    assert describe(kyc).message == CODE_MESSAGES["204"]
    reverification = KycTransaction(status=Status.FAILED, purpose=Purpose.REVERIFY, error_code="not_the_same_person")
    assert str(describe(reverification).title) == "We could not confirm it is you"


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_the_state_in_words(api, start, simulator, user):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "face_mismatch")
    answer = api.post(f"/ekyc/api/transactions/{kyc.public_id}/refresh/").json()
    assert answer["message"] == "The face did not match the photo on the document."


# -- the admin -------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_admin_list_names_documents_and_explains_codes(client, start, simulator, django_user_model):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "face_mismatch")
    from django_ekyc import services

    services.refresh(kyc)
    client.force_login(django_user_model.objects.create_superuser("staff", "s@example.com", "pw"))
    html = client.get("/admin/django_ekyc/kyctransaction/").content.decode()
    row = html[html.index('id="result_list"') :]
    assert "Passport (global)" in row and "The face did not match the photo on the document." in row
    assert 'title="204"' in row and str(kyc.public_id)[:8] in row


def test_trying_again_after_a_failed_reverification_goes_to_the_reverification_page(rf):
    from django_ekyc.views import result_context

    with override_settings(EKYC={"VERIFY_URL": "/verify/", "REVERIFY_URL": "/confirm/"}):
        failed = KycTransaction(status=Status.FAILED, purpose=Purpose.REVERIFY, error_code="not_the_same_person")
        context = result_context(rf.get("/ekyc/return/x/"), failed)
        assert (context["verify_url"], context["retry_purpose"], context["retry_product"]) == (
            "/confirm/",
            "reverify",
            "",
        )
        first = KycTransaction(status=Status.FAILED, product_code="eKYC_PRO", doc_type="GLB03002")
        assert result_context(rf.get("/"), first)["verify_url"] == "/verify/"


# -- the demo (example_project) ----------------------------------------------------------------------------------


@pytest.fixture
def demo(client, user):
    """The example project's pages in the visitor's language, as its settings serve them (LocaleMiddleware)."""
    from django.conf import settings

    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.middleware.common.CommonMiddleware"), LOCALE_MIDDLEWARE)
    client.force_login(user)
    with override_settings(ROOT_URLCONF="example_project.urls", MIDDLEWARE=middleware, LANGUAGES=DEMO_LANGUAGES):
        yield client


LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
DEMO_LANGUAGES = [("en", "English"), ("vi", "Vietnamese")]


def in_vietnamese(text: Any) -> str:
    from django.utils import translation

    with translation.override("vi"):
        return str(text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outcome", ["face_mismatch", "quit"])
def test_the_demos_result_page_speaks_the_visitors_language_and_starts_again(demo, start, simulator, outcome):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, outcome)
    demo.get(return_path(initialize_params(simulator)))  # the return: asks the provider, as the demo's browser does
    kyc.refresh_from_db()
    html = demo.get(f"/verifications/{kyc.public_id}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    words = describe(kyc)
    assert in_vietnamese(words.title) in html and in_vietnamese(words.message) in html and "code " not in html
    assert 'id="try-again"' in html and 'data-product-code="eKYC"' in html and 'data-doc-type="01000000"' in html
    assert ('id="check-again"' in html) is (outcome == "quit")  # waiting: look again, or start again
    assert 'lang="vi"' in html and 'value="vi" lang="vi" aria-current="true"' in html  # the header's switcher


@pytest.mark.django_db(transaction=True)
def test_the_demos_language_buttons_switch_the_language(demo):
    switched = demo.post("/i18n/setlang/", {"language": "vi", "next": "/"}, follow=True)
    assert switched.redirect_chain == [("/", 302)] and '<html lang="vi">' in switched.content.decode()


def demo_settings(**environment: str) -> dict[str, Any]:
    """What example_project/settings.py makes of an environment (in a process of its own: it reads os.environ)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from django.conf import settings as s; print(json.dumps({'middleware': s.MIDDLEWARE, "
        "'start_rate': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['ekyc_start'], 'products': s.EKYC['PRODUCTS'], "
        "'reverify': s.EKYC['REVERIFY_PRODUCT'], 'rates': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']}))"
    )
    runner = {name: value for name, value in os.environ.items() if not name.startswith(("EKYC_", "DJANGO_", "DEMO_"))}
    env = {**runner, "DJANGO_SETTINGS_MODULE": "example_project.settings", "DATABASE_URL": "sqlite://:memory:"}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**env, **environment}, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_demo_lets_a_newcomer_try_every_product_and_outcome_but_not_a_real_account():
    from rest_framework.throttling import SimpleRateThrottle

    from django_ekyc.simulator.products import BEHAVIOURS

    demo = demo_settings()
    assert "django.middleware.locale.LocaleMiddleware" in demo["middleware"]
    every_outcome = sum(len(BEHAVIOURS[code].outcomes) for code in [*demo["products"], demo["reverify"]])
    starts, seconds = SimpleRateThrottle.parse_rate(None, demo["start_rate"])  # type: ignore[arg-type]
    assert seconds == 3600 and starts is not None
    assert starts >= 4 * every_outcome  # every outcome, and again, within the hour
    billed = demo_settings(EKYC_ACCESS_KEY_ID="LTAI5tRealAccountKeyId", EKYC_ACCESS_KEY_SECRET="real-secret")
    assert billed["start_rate"] == "10/hour"  # a real account's starts are billed: the app's default stands


def test_the_demo_reads_the_language_after_the_session_and_before_common_middleware():
    """Django's documented order: LocaleMiddleware uses the session (the language chosen in the header) and comes
    before CommonMiddleware, whose redirects may depend on the language."""
    middleware = demo_settings()["middleware"]
    locale = middleware.index(LOCALE_MIDDLEWARE)
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")


def test_the_demos_own_variables_are_its_own_not_the_apps_retired_settings():
    """An EKYC_ variable names a setting of the app: the demo's throttle rates under the prefix would be the
    retired settings' names, which ekyc_from_env refuses."""
    from django_ekyc.exceptions import RETIRED_SETTINGS

    source = (Path(__file__).resolve().parent.parent / "example_project" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"env\.\w+\(\s*\"EKYC_(\w+)\"", source))  # the variables it reads: env.str("EKYC_...")
    assert "ACCESS_KEY_ID" in read and sorted(read & set(RETIRED_SETTINGS)) == []
    rates = {"DEMO_START_THROTTLE_RATE": "7/hour", "DEMO_REFRESH_THROTTLE_RATE": "8/minute"}
    chosen = demo_settings(**rates, DEMO_CHECK_THROTTLE_RATE="9/hour")["rates"]
    assert chosen == {"ekyc_start": "7/hour", "ekyc_refresh": "8/minute", "ekyc_check": "9/hour"}


def test_the_demo_sets_an_old_database_aside_and_never_overwrites_one_kept_before(tmp_path, monkeypatch):
    import sqlite3
    from contextlib import closing

    from scripts.demo import set_aside_a_database_from_before_the_squash as set_aside

    monkeypatch.delenv("DATABASE_URL", raising=False)
    database = tmp_path / "db.sqlite3"

    def migrated(names: list[str], marker: str) -> None:
        with closing(sqlite3.connect(database)) as db:
            db.execute("CREATE TABLE django_migrations (app TEXT, name TEXT)")
            db.executemany("INSERT INTO django_migrations VALUES ('django_ekyc', ?)", [(name,) for name in names])
            db.execute("INSERT INTO django_migrations VALUES ('marker', ?)", (marker,))
            db.commit()

    def marker(path: Path) -> str:
        with closing(sqlite3.connect(path)) as db:
            return str(db.execute("SELECT name FROM django_migrations WHERE app = 'marker'").fetchone()[0])

    migrated(["0001_initial"], "current")
    assert set_aside(database) is None and marker(database) == "current"  # the squashed chain: kept in place
    database.unlink()
    for kept in ("first", "second", "third"):
        migrated(["0001_initial", "0013_operator_page"], kept)
        assert set_aside(database) is not None and not database.exists()
    old = {name: marker(tmp_path / name) for name in ("db.sqlite3.old", "db.sqlite3.old.1", "db.sqlite3.old.2")}
    assert old == {"db.sqlite3.old": "first", "db.sqlite3.old.1": "second", "db.sqlite3.old.2": "third"}
