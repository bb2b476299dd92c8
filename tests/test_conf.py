"""``ekyc_settings``: defaults, overrides, reload on change, and refusing unknown keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES
from django_ekyc.conf import DEFAULT_ENDPOINT, DEFAULTS, EkycSettings, ekyc_settings
from django_ekyc.exceptions import RETIRED_SETTINGS, EkycConfigurationError, unknown_settings
from django_ekyc.offering import account_endpoint


def test_defaults_apply_where_the_site_sets_nothing():
    with override_settings(EKYC={}):
        assert ekyc_settings.ENDPOINT is None and account_endpoint() == DEFAULT_ENDPOINT  # from REGION
        assert ekyc_settings.PRODUCTS == ("eKYC",)
        assert ekyc_settings.INITIALIZE_DEFAULTS == {"SecurityLevel": "02"}


def test_the_doc_type_table_is_the_seeds():
    assert DEFAULT_DOC_TYPES["01000000"].startswith("Passport")
    assert set(DEFAULT_DOC_TYPES) == {
        "01000000",
        "00000006",
        "00000008",
        "00000007",
        "00000009",
        "000000011",
        "000000012",
        "00000001",
    }


def test_site_values_win_and_changes_are_picked_up():
    with override_settings(EKYC={"ENDPOINT": "http://127.0.0.1:1"}):
        assert ekyc_settings.ENDPOINT == "http://127.0.0.1:1"
        with override_settings(EKYC={"ENDPOINT": "http://127.0.0.1:2", "PRODUCTS": ["eKYC_PRO"]}):
            assert ekyc_settings.ENDPOINT == "http://127.0.0.1:2"
            assert ekyc_settings.PRODUCTS == ("eKYC_PRO",)
        assert ekyc_settings.ENDPOINT == "http://127.0.0.1:1"


def test_unknown_keys_are_refused():
    with override_settings(EKYC={"ACCESS_KEY_SECERT": "typo"}), pytest.raises(EkycConfigurationError, match="SECERT"):
        _ = ekyc_settings.ENDPOINT


def test_a_retired_key_is_refused_with_what_to_set_instead_and_a_typo_beside_it_is_still_named():
    ekyc = {"PRODUCT_CODE": "eKYC", "ACCESS_KEY_SECERT": "typo", "PROVIDER_DELETE_TYPES": ["Img"]}
    with override_settings(EKYC=ekyc), pytest.raises(EkycConfigurationError) as refused:
        _ = ekyc_settings.ENDPOINT
    assert str(refused.value) == (
        "Unknown key(s) in settings.EKYC: ACCESS_KEY_SECERT. "
        "EKYC['PRODUCT_CODE'] was renamed: set PRODUCTS (its first product is the default of a start that names "
        "none) instead. "
        "EKYC['PROVIDER_DELETE_TYPES'] was removed (a provider deletion always sends both DeleteType values, Img then "
        "Text): delete it."
    )


# Every name the table ever held: an entry is never taken out (CONTRIBUTING.md), or a site that still sets the old
# key would lose the error that says what to set. A new entry goes here too.
EVER_RETIRED = {
    "RETENTION_DAYS",
    "PRODUCT_CODE",
    "PROCEDURE_PRIORITY",
    "START_THROTTLE_RATE",
    "REFRESH_THROTTLE_RATE",
    "EXPIRE_AFTER",
    "DOC_TYPES",
    "META_INFO_MAX_LENGTH",
    "JSON_OPTION_MAX_LENGTH",
    "PROVIDER_DELETE_TYPES",
}
UPGRADING_PAGE = Path(__file__).resolve().parent.parent / "docs" / "upgrading.md"


def test_no_retired_setting_is_ever_taken_out_of_the_table():
    assert sorted(EVER_RETIRED - set(RETIRED_SETTINGS)) == []
    assert sorted(set(RETIRED_SETTINGS) - EVER_RETIRED) == []  # a new entry is pinned above as well


def test_every_retired_setting_is_renamed_to_a_live_one_or_removed_with_a_reason():
    """A table entry that shadows a live setting would refuse it; a rename must point somewhere that exists."""
    live = set(EkycSettings.declared())
    assert not set(RETIRED_SETTINGS) & live
    for name, change in RETIRED_SETTINGS.items():
        kind, _, what = change.partition(": ")
        assert kind in ("renamed", "removed") and what, name
        if kind == "renamed":
            target = what.split("[")[0].split(" ")[0]
            assert target in live or target == "REST_FRAMEWORK", name


def test_a_throttle_rate_moved_to_a_drf_scope_names_a_scope_one_of_the_apis_throttles_reads():
    from django_ekyc.api import throttling

    scopes = {
        thing.scope
        for thing in vars(throttling).values()
        if isinstance(thing, type) and issubclass(thing, throttling.ScopedDefaultThrottle) and thing.scope
    }
    moved = {name: change.partition(": ")[2] for name, change in RETIRED_SETTINGS.items() if "REST_FRAMEWORK" in change}
    assert set(moved) == {"START_THROTTLE_RATE", "REFRESH_THROTTLE_RATE"}
    for name, what in moved.items():
        scope = re.fullmatch(r"REST_FRAMEWORK\['DEFAULT_THROTTLE_RATES'\]\['(\w+)'\]", what)
        assert scope and scope[1] in scopes, name


def test_the_procedure_priority_advice_keeps_the_default_initialize_parameters():
    """A site's INITIALIZE_DEFAULTS replaces the default: advice that names only ProcedurePriority would drop
    SecurityLevel, and a value picked for the site would not be its old one."""
    advice = RETIRED_SETTINGS["PROCEDURE_PRIORITY"]
    default = EkycSettings.declared()["INITIALIZE_DEFAULTS"].default
    assert default and all(f"{key!r}: {value!r}" in advice for key, value in default.items())
    assert "'ProcedurePriority': <your old value>" in advice and "'keep'" not in advice
    with override_settings(EKYC={"INITIALIZE_DEFAULTS": {"ProcedurePriority": "keep"}}):
        assert "SecurityLevel" not in ekyc_settings.INITIALIZE_DEFAULTS  # why the advice says to keep it


def words(text: str) -> str:
    """A sentence without its Markdown and punctuation, so the page's row and the error's words compare."""
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text).replace("`", "").replace('"', "'")
    return " ".join(re.sub(r"[():;,.]", " ", text).split())


def test_the_upgrading_page_says_for_each_retired_setting_what_its_error_says():
    page = UPGRADING_PAGE.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", page, flags=re.MULTILINE))
    assert sorted(set(RETIRED_SETTINGS) - set(rows)) == []
    for name, change in RETIRED_SETTINGS.items():
        kind, _, what = change.partition(": ")
        assert words(rows[name]) == words(what if kind == "renamed" else change), name


def test_the_upgrading_pages_example_is_the_error_a_site_gets():
    page = UPGRADING_PAGE.read_text(encoding="utf-8")
    example = re.search(r"\(django_ekyc\.E006\) (.+?)\n```", page, flags=re.DOTALL)
    assert example and " ".join(example[1].split()) == str(unknown_settings(["PRODUCT_CODE"]))


def test_a_non_dict_is_refused():
    with override_settings(EKYC=["not", "a", "dict"]), pytest.raises(EkycConfigurationError):
        _ = ekyc_settings.ENDPOINT


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        _ = EkycSettings(DEFAULTS).NOT_A_SETTING  # type: ignore[attr-defined]


def test_configuration_errors_are_not_provider_errors():
    from django.core.exceptions import ImproperlyConfigured

    from django_ekyc.exceptions import EkycError

    assert issubclass(EkycConfigurationError, ImproperlyConfigured)
    assert not issubclass(EkycConfigurationError, EkycError)


def test_settings_are_typed_and_a_wrong_type_is_a_configuration_error():
    with override_settings(EKYC={"RATE_LIMIT": 10, "TIMEOUT": 4, "ENCRYPTION_KEYS": "one-key", "SYNC_INTERVAL": 30}):
        assert ekyc_settings.RATE_LIMIT == 10
        assert ekyc_settings.TIMEOUT == 4.0
        assert ekyc_settings.ENCRYPTION_KEYS == ("one-key",)  # a single key is accepted as a string
        assert isinstance(ekyc_settings.SYNC_INTERVAL, float)
    with override_settings(EKYC={"RATE_LIMIT": "10"}), pytest.raises(EkycConfigurationError, match="RATE_LIMIT"):
        _ = ekyc_settings.RATE_LIMIT


def test_every_setting_is_documented():
    for name, setting in EkycSettings.declared().items():
        assert setting.doc and setting.name == name
    assert set(DEFAULTS) == set(EkycSettings.declared())
