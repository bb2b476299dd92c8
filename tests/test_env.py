"""``ekyc_from_env``: every setting from an ``EKYC_`` variable, read with its type; a typo, a setting that went or
a value of the wrong type is an error that says what to do."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_ekyc.conf import ekyc_settings
from django_ekyc.env import ekyc_from_env
from django_ekyc.exceptions import RETIRED_SETTINGS, EkycConfigurationError, unknown_settings


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


# -- settings that went ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RETIRED_SETTINGS))
def test_a_retired_settings_variable_says_what_replaced_it_in_the_words_of_settings_ekyc(clean_environ, name):
    """The install guide's path (EKYC_PRODUCT_CODE=...) must say what settings.EKYC's check says, not "did you
    mean EKYC_PRODUCTS?" nor nothing at all."""
    clean_environ(**{f"EKYC_{name}": "an old value"})
    with pytest.raises(EkycConfigurationError) as refused:
        ekyc_from_env()
    message = str(refused.value)
    change, _, what = RETIRED_SETTINGS[name].partition(": ")
    assert message.startswith(f"EKYC_{name} was {change}") and what in message
    assert "did you mean" not in message and "name no EKYC setting" not in message and "an old value" not in message
    assert message.replace(f"EKYC_{name}", f"EKYC['{name}']") == str(unknown_settings([name]))


@pytest.mark.parametrize("name", sorted(RETIRED_SETTINGS))
def test_a_retired_setting_given_as_a_default_says_what_replaced_it(clean_environ, name):
    with pytest.raises(EkycConfigurationError) as refused:
        ekyc_from_env(**{name: "an old value"})
    message = str(refused.value)
    change, _, what = RETIRED_SETTINGS[name].partition(": ")
    assert message.startswith(f"ekyc_from_env({name}=...) was {change}") and what in message
    assert "Unknown" not in message  # it is known: as what it became


def test_retired_variables_and_typos_are_all_named_at_once(clean_environ):
    clean_environ(EKYC_PRODUCT_CODE="eKYC", EKYC_START_THROTTLE_RATE="10/hour", EKYC_ACESS_KEY_ID="LTAI5tKeyId")
    with pytest.raises(EkycConfigurationError) as refused:
        ekyc_from_env()
    assert str(refused.value) == (
        "EKYC_PRODUCT_CODE was renamed: set PRODUCTS (its first product is the default of a start that names none) "
        "instead. EKYC_START_THROTTLE_RATE was renamed: set REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['ekyc_start'] "
        "instead. Environment variable(s) that name no EKYC setting: EKYC_ACESS_KEY_ID (did you mean "
        "EKYC_ACCESS_KEY_ID?). The settings reference lists every setting; a variable of the site's own under the "
        "EKYC_ prefix goes in ekyc_from_env(site_variables=[...])."
    )
    with pytest.raises(EkycConfigurationError) as refused:
        ekyc_from_env(PRODUCT_CODE="eKYC", ACCES_KEY_ID="typo")
    assert str(refused.value) == (
        "Unknown key(s) in ekyc_from_env(): ACCES_KEY_ID. ekyc_from_env(PRODUCT_CODE=...) was renamed: set PRODUCTS "
        "(its first product is the default of a start that names none) instead."
    )


def test_a_site_may_still_keep_a_variable_of_its_own_under_an_old_name(clean_environ):
    clean_environ(EKYC_PRODUCT_CODE="the site's own", EKYC_REGION="ap-southeast-1")
    assert ekyc_from_env(site_variables=["EKYC_PRODUCT_CODE"]) == {"REGION": "ap-southeast-1"}
