"""What an adopter meets first: settings from the environment, development mode, template tags and guards in
templates, a result page and an admin that speak words rather than codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings

from django_ekyc.client.configured import account_config, client_options
from django_ekyc.conf import SIMULATOR_ACCESS_KEY_ID, ekyc_settings
from django_ekyc.env import ekyc_from_env
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.outcomes import CODE_MESSAGES, describe
from django_ekyc.testing import running_simulator

from .helpers import META_INFO, initialize_params, return_path

# -- settings from the environment -----------------------------------------------------------------------------


@pytest.fixture
def clean_environ(monkeypatch):
    """The process's environment without the EKYC_ variables of whoever runs the suite; ``set`` adds some."""
    import os

    for name in [name for name in os.environ if name.startswith("EKYC_")]:
        monkeypatch.delenv(name)

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_variables


def test_every_setting_can_come_from_the_environment(monkeypatch, clean_environ):
    environment = {
        "EKYC_ACCESS_KEY_ID": "LTAI5tFromTheEnvironment",
        "EKYC_STORE_IMAGES": "true",
        "EKYC_PRODUCTS": "eKYC,eKYC_PRO",
        "EKYC_TIMEOUT": "3,9",
        "EKYC_RATE_LIMIT": "5",
        "EKYC_SYNC_INTERVAL": "60",
        "EKYC_INITIALIZE_DEFAULTS": '{"SecurityLevel": "01"}',
        "EKYC_PUBLIC_BASE_URL": "",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = ekyc_from_env(REGION="ap-southeast-1", ACCESS_KEY_ID="overridden by the environment")
    assert config == {
        "REGION": "ap-southeast-1",
        "ACCESS_KEY_ID": "LTAI5tFromTheEnvironment",
        "STORE_IMAGES": True,
        "PRODUCTS": ["eKYC", "eKYC_PRO"],
        "TIMEOUT": (3.0, 9.0),
        "RATE_LIMIT": 5,
        "SYNC_INTERVAL": 60.0,
        "INITIALIZE_DEFAULTS": {"SecurityLevel": "01"},
        "PUBLIC_BASE_URL": None,
    }
    with override_settings(EKYC=config):
        assert ekyc_settings.problems() == []


def test_a_wrong_value_or_name_is_an_error_that_names_it(monkeypatch, clean_environ):
    monkeypatch.setenv("EKYC_RATE_LIMIT", "ten")
    with pytest.raises(EkycConfigurationError, match="EKYC_RATE_LIMIT"):
        ekyc_from_env()
    monkeypatch.delenv("EKYC_RATE_LIMIT")
    with pytest.raises(EkycConfigurationError, match="ACCES_KEY_ID"):
        ekyc_from_env(ACCES_KEY_ID="typo")


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("Yes", True), ("on", True), ("1", True), ("false", False), ("OFF", False)]
)
def test_a_flag_reads_yes_and_no_words(clean_environ, raw, value):
    clean_environ(EKYC_STORE_IMAGES=raw)
    assert ekyc_from_env()["STORE_IMAGES"] is value


@pytest.mark.parametrize("raw", ["maybe", "", "enabled", "2"])
def test_a_flag_that_is_neither_yes_nor_no_is_an_error_not_false(clean_environ, raw):
    clean_environ(EKYC_STORE_IMAGES=raw)
    with pytest.raises(EkycConfigurationError, match=rf"EKYC_STORE_IMAGES={raw!r} is not bool: a flag is one of"):
        ekyc_from_env(STORE_IMAGES=True)


def test_a_misspelt_variable_is_an_error_that_names_the_setting_meant(clean_environ):
    clean_environ(EKYC_ACESS_KEY_ID="LTAI5tFromTheEnvironment", EKYC_ACCESS_KEY_SECRET="secret-from-the-environment")
    with pytest.raises(EkycConfigurationError) as refused:
        ekyc_from_env()
    message = str(refused.value)
    assert "EKYC_ACESS_KEY_ID (did you mean EKYC_ACCESS_KEY_ID?)" in message
    assert "site_variables" in message  # how a variable of the site's own is declared
    assert "secret-from-the-environment" not in message and "LTAI5tFromTheEnvironment" not in message


def test_the_sites_own_variables_under_the_prefix_are_declared_and_left_alone(clean_environ):
    clean_environ(EKYC_SG_ACCESS_KEY_ID="LTAI5tSingapore", EKYC_REGION="ap-southeast-1")
    with pytest.raises(EkycConfigurationError, match="EKYC_SG_ACCESS_KEY_ID"):
        ekyc_from_env()
    config = ekyc_from_env(site_variables=["EKYC_SG_ACCESS_KEY_ID"])
    assert config == {"REGION": "ap-southeast-1"}
    assert ekyc_from_env(site_variables="EKYC_SG_ACCESS_KEY_ID") == config  # one name, not its letters


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
        "'reverify': s.EKYC['REVERIFY_PRODUCT']}))"
    )
    runner = {name: value for name, value in os.environ.items() if not name.startswith(("EKYC_", "DJANGO_"))}
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
