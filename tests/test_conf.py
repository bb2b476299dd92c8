"""``ekyc_settings``: defaults, overrides, reload on change, and refusing unknown keys."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES
from django_ekyc.conf import DEFAULT_ENDPOINT, DEFAULTS, EkycSettings, ekyc_settings
from django_ekyc.exceptions import RETIRED_SETTINGS, EkycConfigurationError
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


def test_the_upgrading_page_lists_every_retired_setting():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "upgrading.md").read_text(encoding="utf-8")
    assert [name for name in RETIRED_SETTINGS if f"| `{name}` |" not in page] == []


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
