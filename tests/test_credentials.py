"""Temporary credentials: a provider asked before each attempt, the STS token on the wire, refresh, and no secret
or token anywhere it could leak. Against the simulator over real HTTP, with the real alibabacloud-credentials."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from calendar import timegm
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from alibabacloud_credentials.client import Client as CredentialsClient
from alibabacloud_credentials.models import Config as CredentialsConfig
from alibabacloud_credentials.utils import auth_util
from cryptography.fernet import Fernet
from django.test import override_settings

from django_ekyc import exceptions as exc
from django_ekyc.checks import check_settings
from django_ekyc.client import EkycClient, get_client
from django_ekyc.client.configured import client_options
from django_ekyc.client.credentials import Secret, provider_from
from django_ekyc.client.deadline import MIN_ATTEMPT, request_deadline
from django_ekyc.testing import RunningSimulator, running_simulator

from .test_deadline import FakeClock


def sts_provider(credentials: dict[str, Any]) -> Any:
    """The package's own static STS provider: what an STS AssumeRole hands out, held by its Client."""
    config = CredentialsConfig(
        type="sts",
        access_key_id=credentials["AccessKeyId"],
        access_key_secret=credentials["AccessKeySecret"],
        security_token=credentials["SecurityToken"],
    )
    return CredentialsClient(config)


class CountingProvider:
    """Hands out the same credential, counting how often it is asked (a real provider may be slow to ask)."""

    def __init__(self, credentials: dict[str, Any]) -> None:
        self.credentials = credentials
        self.asked = 0

    def get_credential(self) -> SimpleNamespace:
        self.asked += 1
        return SimpleNamespace(
            access_key_id=self.credentials["AccessKeyId"],
            access_key_secret=self.credentials["AccessKeySecret"],
            security_token=self.credentials["SecurityToken"],
        )


@pytest.fixture
def temporary(simulator: RunningSimulator) -> dict[str, Any]:
    return simulator.control.temporary_credentials()


@pytest.fixture
def sts_client(make_client: Callable[..., EkycClient], temporary: dict[str, Any]) -> EkycClient:
    return make_client(access_key_id="", access_key_secret="", credentials=sts_provider(temporary))


def test_a_provider_signs_and_the_sts_token_travels_as_the_sdk_sends_it(
    sts_client, simulator, temporary, initialize_kwargs
):
    started = sts_client.initialize(**initialize_kwargs)
    assert started.transaction_id
    [call] = simulator.control.calls("Initialize")
    headers = call["headers"]
    assert headers["x-acs-security-token"] == temporary["SecurityToken"]
    assert headers["x-acs-accesskey-id"] == temporary["AccessKeyId"]
    signed = headers["authorization"].split("SignedHeaders=")[1].split(";")
    assert {"x-acs-security-token", "x-acs-accesskey-id"} <= set(signed)
    assert f"Credential={temporary['AccessKeyId']}," in headers["authorization"]
    assert sts_client.access_key_id == temporary["AccessKeyId"]


def test_the_provider_is_asked_once_per_attempt(make_client, simulator, temporary, initialize_kwargs, sleeps):
    provider = CountingProvider(temporary)
    client = make_client(credentials=provider)
    assert provider.asked == 0  # building a client asks nothing
    simulator.control.add_fault("throttle", action="Initialize", count=1, retry_after=10)
    client.initialize(**initialize_kwargs)
    assert provider.asked == 2 and len(simulator.control.calls()) == 2  # each attempt signed anew, asked once
    client.initialize(**{**initialize_kwargs, "merchant_biz_id": "f" * 32})
    assert provider.asked == 3


# -- refresh ---------------------------------------------------------------------------------------------------


class RotatingProvider:
    """A provider as the package's are: it keeps its credential until its own clock says it expired, then fetches
    the next. Its clock and the gateway's are the test's, so that expiry takes no waiting."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], clock: Callable[[], float]) -> None:
        self.fetch, self.clock = fetch, clock
        self.held: dict[str, Any] | None = None
        self.fetched = 0

    def get_credential(self) -> SimpleNamespace:
        if self.held is None or self.clock() >= timegm(time.strptime(self.held["Expiration"], "%Y-%m-%dT%H:%M:%SZ")):
            self.held, self.fetched = self.fetch(), self.fetched + 1
        held = self.held
        return SimpleNamespace(
            access_key_id=held["AccessKeyId"],
            access_key_secret=held["AccessKeySecret"],
            security_token=held["SecurityToken"],
        )


@pytest.fixture
def clocks() -> dict[str, float]:
    return {"gateway": 0.0, "provider": 0.0}  # seconds ahead of the real clock (the gateway allows 15 min of skew)


@pytest.fixture
def skewed_simulator(clocks: dict[str, float]) -> Iterator[RunningSimulator]:
    with running_simulator(clock=lambda: time.time() + clocks["gateway"]) as sim:
        yield sim


def test_an_expired_token_is_refused_and_the_refreshed_one_signs_the_next_call(
    skewed_simulator, clocks, initialize_kwargs
):
    sim = skewed_simulator

    def fetch() -> dict[str, Any]:  # temporary credentials valid 60 s by the gateway's clock
        return sim.control.temporary_credentials(expires_at=time.time() + clocks["gateway"] + 60)

    provider = RotatingProvider(fetch, clock=lambda: time.time() + clocks["provider"])
    with EkycClient(credentials=provider, endpoint=sim.url, max_retries=0) as client:
        client.initialize(**initialize_kwargs)
        first = provider.held
        clocks["gateway"] = 120  # the credential expired where the provider checks it; the site has not noticed
        with pytest.raises(exc.EkycError) as caught:
            client.initialize(**{**initialize_kwargs, "merchant_biz_id": "b" * 32})
        assert (caught.value.status, caught.value.code) == (400, "InvalidSecurityToken.Expired")
        clocks["provider"] = 120  # the provider's refresh comes round
        assert client.initialize(**{**initialize_kwargs, "merchant_biz_id": "c" * 32}).transaction_id
    signers = [call["headers"]["x-acs-accesskey-id"] for call in sim.control.calls("Initialize")]
    assert provider.fetched == 2 and provider.held is not None and provider.held != first
    assert signers == [first["AccessKeyId"], first["AccessKeyId"], provider.held["AccessKeyId"]]
    assert [call["code"] for call in sim.control.calls()] == ["Success", "InvalidSecurityToken.Expired", "Success"]


def test_the_packages_credentials_uri_provider_fetches_once_and_its_cache_serves_the_next_calls(
    make_client, simulator, initialize_kwargs
):
    """The real package over HTTP: its ``credentials_uri`` provider reads the simulator's STS endpoint and caches
    what it got until 15 minutes before expiry; asking it before each request does not defeat that."""
    provider = CredentialsClient(CredentialsConfig(type="credentials_uri", credentials_uri=f"{simulator.url}/_sim/sts"))
    client = make_client(credentials=provider)
    for biz in ("d" * 32, "e" * 32):
        client.initialize(**{**initialize_kwargs, "merchant_biz_id": biz})
    first, second = simulator.control.calls("Initialize")
    assert first["code"] == second["code"] == "Success"
    assert first["headers"]["x-acs-accesskey-id"] == second["headers"]["x-acs-accesskey-id"]  # one fetch
    assert first["headers"]["x-acs-accesskey-id"].startswith("STS.")


# -- nothing leaks -------------------------------------------------------------------------------------------


def test_neither_the_secret_nor_the_token_is_logged_or_in_an_error_or_repr(
    make_client, simulator, temporary, initialize_kwargs, caplog
):
    """A provider message echoing the secret and the token (the fault injector's), and a wrong secret refused:
    neither the secret nor the token may show in an error, a repr or a log line (with its structured fields)."""
    caplog.set_level(logging.DEBUG)
    secret, token = temporary["AccessKeySecret"], temporary["SecurityToken"]
    client = make_client(credentials=sts_provider(temporary))
    simulator.control.add_fault("error", code="InvalidParameter", status=400, message=f"echo {secret} / {token}")
    with pytest.raises(exc.EkycBadRequest) as echoed:
        client.initialize(**initialize_kwargs)
    assert echoed.value.message == "echo [redacted] / [redacted]"
    wrong = make_client(credentials=sts_provider({**temporary, "AccessKeySecret": "wrong"}))
    with pytest.raises(exc.EkycError) as refused:
        wrong.initialize(**initialize_kwargs)
    assert refused.value.code == "SignatureDoesNotMatch"
    shown = [str(echoed.value), repr(echoed.value), str(refused.value), repr(refused.value), repr(client)]
    shown += [repr(vars(client)), repr(vars(client.transport)), repr(client.transport.credentials), caplog.text]
    shown += [json.dumps(vars(record), default=str) + record.getMessage() for record in caplog.records]
    assert len(caplog.records) >= 2
    assert [text for text in shown if secret in text or token in text] == []


class Failing:
    """A provider whose refresh fails, echoing what it was answered."""

    def get_credential(self) -> Any:
        raise RuntimeError("STS answered: AccessKeySecret=leaked-secret")


def test_a_failing_provider_is_a_transport_error_that_quotes_nothing(make_client, initialize_kwargs, sleeps):
    client = make_client(credentials=Failing(), max_retries=1)
    with pytest.raises(exc.EkycTransportError) as caught:
        client.initialize(**initialize_kwargs)
    assert not caught.value.request_sent and caught.value.__cause__ is None
    assert "RuntimeError" in str(caught.value) and "leaked-secret" not in str(caught.value)
    assert len(sleeps.waits) == 1  # nothing was sent: retried like a connection that could not open


# -- the provider, the rate limit and the deadline ------------------------------------------------------------


def test_a_failing_provider_takes_no_rate_limit_slot(make_client, simulator, temporary, initialize_kwargs, sleeps):
    """The provider is asked before the slot is taken: its failure, retried, holds none of the account's slots."""
    slots: list[tuple[str, str]] = []

    def limiter(action: str, product: str) -> None:
        slots.append((action, product))

    failing = make_client(credentials=Failing(), max_retries=1, rate_limiter=limiter)
    with pytest.raises(exc.EkycTransportError):
        failing.initialize(**initialize_kwargs)
    assert len(sleeps.waits) == 1 and slots == []  # two attempts, no slot
    working = make_client(credentials=CountingProvider(temporary), rate_limiter=limiter)
    working.initialize(**initialize_kwargs)
    assert slots == [("Initialize", "eKYC")]  # the same limiter, asked for the attempt that is sent


def test_a_slow_refresh_counts_against_the_request_deadline(make_client, simulator, temporary, initialize_kwargs):
    """A refresh (AssumeRole, ECS metadata) that takes nearly all of the deadline leaves no time to send in: the
    call is not sent, and no slot taken, rather than sent with the time the refresh already spent."""
    clock, slots = FakeClock(), []

    class Slow(CountingProvider):
        def get_credential(self) -> SimpleNamespace:
            clock.now += 1.0 - MIN_ATTEMPT / 2
            return super().get_credential()

    provider = Slow(temporary)
    client = make_client(credentials=provider, rate_limiter=lambda *slot: slots.append(slot), sleep=clock.sleep)
    with request_deadline(1.0, clock=clock), pytest.raises(exc.EkycDeadlineExceeded) as caught:
        client.initialize(**initialize_kwargs)
    assert not caught.value.request_sent and provider.asked == 1
    assert simulator.control.calls() == [] and slots == []


def test_a_secret_reprs_as_stars():
    assert repr(Secret("x")) == str(Secret("x")) == "'********'"


# -- settings ------------------------------------------------------------------------------------------------


def provider_settings(simulator: RunningSimulator, **overrides: Any) -> dict[str, Any]:
    return simulator.ekyc_settings(ACCESS_KEY_ID="", ACCESS_KEY_SECRET="", RATE_LIMIT=None, **overrides)


def build_provider() -> Any:  # a factory, named by dotted path in a test below
    return PROVIDERS["current"]


PROVIDERS: dict[str, Any] = {}


class CurrentProvider:
    """A provider class, as a site writes one (``"myapp.creds.MyProvider"``): built with no arguments."""

    def get_credential(self) -> Any:
        return PROVIDERS["current"].get_credential()


class NeedsARole:
    """A provider class that cannot be built with no arguments."""

    def __init__(self, role_arn: str) -> None:
        self.role_arn = role_arn

    def get_credential(self) -> Any:
        raise AssertionError("never built")


FORMS: dict[str, Any] = {
    "factory": build_provider,
    "dotted path": "tests.test_credentials.build_provider",
    "class": CurrentProvider,
    "class by dotted path": "tests.test_credentials.CurrentProvider",
}


@pytest.mark.parametrize("form", ["object", *FORMS])
def test_credentials_setting_takes_a_provider_its_class_a_factory_or_a_dotted_path(
    simulator, temporary, initialize_kwargs, form
):
    provider = sts_provider(temporary)
    PROVIDERS["current"] = provider
    value = provider if form == "object" else FORMS[form]
    with override_settings(EKYC=provider_settings(simulator, CREDENTIALS=value)):
        assert get_client().initialize(**initialize_kwargs).transaction_id
    assert simulator.control.calls("Initialize")[0]["headers"]["x-acs-accesskey-id"] == temporary["AccessKeyId"]


def test_a_provider_class_is_built_once_per_client():
    PROVIDERS["current"] = CountingProvider({"AccessKeyId": "STS.k", "AccessKeySecret": "s", "SecurityToken": "t"})
    first, second = provider_from(CurrentProvider), provider_from("tests.test_credentials.CurrentProvider")
    assert isinstance(first, CurrentProvider) and isinstance(second, CurrentProvider) and first is not second


@pytest.mark.parametrize("value", ["default", "alibabacloud_credentials.client.Client"])
def test_the_default_chain_reads_the_environment(simulator, temporary, initialize_kwargs, monkeypatch, value):
    """``"default"``: the package's default chain, here its first link, the ALIBABA_CLOUD_* variables (read by the
    package when it is imported: set where it reads them); the package's ``Client`` class, named by its path, is
    built with no arguments: the same chain. The ECS metadata link, which starts a refresh thread, is left out, as
    ALIBABA_CLOUD_ECS_METADATA_DISABLED=true does."""
    monkeypatch.setattr(auth_util, "environment_access_key_id", temporary["AccessKeyId"])
    monkeypatch.setattr(auth_util, "environment_access_key_secret", temporary["AccessKeySecret"])
    monkeypatch.setattr(auth_util, "environment_security_token", temporary["SecurityToken"])
    monkeypatch.setattr(auth_util, "environment_ecs_metadata_disabled", "true")
    with override_settings(EKYC=provider_settings(simulator, CREDENTIALS=value)):
        assert get_client().initialize(**initialize_kwargs).transaction_id
    assert simulator.control.calls("Initialize")[0]["headers"]["x-acs-accesskey-id"] == temporary["AccessKeyId"]


def test_an_account_signs_with_its_own_provider(simulator, temporary, initialize_kwargs):
    account = {"CREDENTIALS": sts_provider(temporary), "ENDPOINT": simulator.url}
    with override_settings(EKYC=simulator.ekyc_settings(ACCOUNTS={"sg": account}, RATE_LIMIT=None)):
        get_client("sg").initialize(**initialize_kwargs)
        get_client().initialize(**{**initialize_kwargs, "merchant_biz_id": "a" * 32})
    sg, default = simulator.control.calls("Initialize")
    assert sg["headers"]["x-acs-accesskey-id"] == temporary["AccessKeyId"]
    assert "x-acs-security-token" not in default["headers"]  # the top-level AccessKey signs as before


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("tests.test_credentials.nothing_here", "does not import"),
        (42, "not int"),
        ("django_ekyc.conf.DEFAULT_ENDPOINT", "not str"),
    ],
)
def test_a_credentials_setting_naming_no_provider_is_a_configuration_error(value, words):
    with pytest.raises(exc.EkycConfigurationError, match=words):
        provider_from(value)


def test_the_default_chain_without_the_package_says_how_to_install_it(monkeypatch):
    for name in [name for name in sys.modules if name.startswith("alibabacloud_credentials")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials", None)  # what an absent package imports as
    with pytest.raises(exc.EkycConfigurationError, match=r"django-ekyc\[credentials\]"):
        provider_from("default")


def test_credentials_and_an_access_key_together_are_refused():
    with (
        override_settings(EKYC={"ACCESS_KEY_ID": "LTAIx", "ACCESS_KEY_SECRET": "s", "CREDENTIALS": "default"}),
        pytest.raises(exc.EkycConfigurationError, match="both CREDENTIALS and an AccessKey"),
    ):
        client_options()


@override_settings(DEBUG=True)
def test_nothing_to_sign_with_names_every_way_out():
    """The newcomer's terminal without EKYC_SIMULATOR_URL: the message names the simulator too, not only keys."""
    with override_settings(EKYC={}), pytest.raises(exc.EkycConfigurationError) as caught:
        client_options()
    message = str(caught.value)
    for words in ("ACCESS_KEY_ID and ACCESS_KEY_SECRET", "CREDENTIALS", "SIMULATOR_URL", "EKYC_SIMULATOR_URL"):
        assert words in message
    assert "ekyc_simulator" in message
    accounts = {"sg": {"REGION": "ap-southeast-1"}}
    with override_settings(EKYC={"ACCOUNTS": accounts}), pytest.raises(exc.EkycConfigurationError) as account:
        client_options("sg")
    assert "ACCOUNTS']['sg']" in str(account.value) and "CREDENTIALS" in str(account.value)
    assert "SIMULATOR_URL" not in str(account.value)  # development mode stands in for the top-level account only


# -- system checks -------------------------------------------------------------------------------------------

GOOD_SITE = {
    "PUBLIC_BASE_URL": "https://verify.bank-of-testing.hk",
    "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
}


def check_ids(**ekyc: Any) -> list[str]:
    with override_settings(EKYC={**GOOD_SITE, **ekyc}):
        return [message.id for message in check_settings() if message.id in ("django_ekyc.E001", "django_ekyc.E023")]


@override_settings(DEBUG=False)
@pytest.mark.parametrize("value", ["default", *FORMS.values(), "alibabacloud_credentials.client.Client"])
def test_a_provider_instead_of_an_access_key_passes_the_checks(value):
    """No E001 for the missing AccessKey; a factory is not called, nor a class built, by the check."""
    assert check_ids(CREDENTIALS=value) == []


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    "ekyc",
    [
        {"CREDENTIALS": "tests.test_credentials.nothing_here"},
        {"CREDENTIALS": 42},
        {"CREDENTIALS": "default", "ACCESS_KEY_ID": "LTAI5tRealLookingKeyId", "ACCESS_KEY_SECRET": "a-real-secret"},
        {"CREDENTIALS": NeedsARole},
        {"CREDENTIALS": "tests.test_credentials.NeedsARole"},
        {"CREDENTIALS": "django_ekyc.conf.EkycSettings"},
    ],
    ids=[
        "does not import",
        "not a provider",
        "both",
        "a class that needs arguments",
        "its path",
        "a class of no provider",
    ],
)
def test_e023_a_credentials_setting_that_cannot_sign(ekyc):
    assert check_ids(**ekyc) == ["django_ekyc.E023"]


def test_e023_says_why_a_class_cannot_be_the_provider():
    with override_settings(DEBUG=True, EKYC={"CREDENTIALS": NeedsARole}):
        [message] = [message for message in check_settings() if message.id == "django_ekyc.E023"]
    assert "NeedsARole" in message.msg and "no arguments" in message.msg


def test_e023_checks_an_accounts_provider_too():
    accounts = {"sg": {"CREDENTIALS": "tests.test_credentials.nothing_here"}}
    with override_settings(DEBUG=True, EKYC={"ACCESS_KEY_ID": "LTAIx", "ACCESS_KEY_SECRET": "s", "ACCOUNTS": accounts}):
        [message] = [message for message in check_settings() if message.id == "django_ekyc.E023"]
    assert message.msg.startswith("ACCOUNTS['sg']: EKYC CREDENTIALS")


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ({"CREDENTIALS": None}, ["django_ekyc.E010"]),  # a None provider signs nothing
        ({"CREDENTIALS": None, "ACCESS_KEY_ID": "LTAIx"}, ["django_ekyc.E010"]),
        ({"CREDENTIALS": None, "ACCESS_KEY_ID": "LTAIx", "ACCESS_KEY_SECRET": "s"}, []),
        ({"CREDENTIALS": "default"}, []),
    ],
    ids=["none alone", "none and half a key", "none and a key", "a provider"],
)
def test_an_account_needs_an_access_key_or_a_provider_that_is_not_none(account, expected):
    with override_settings(DEBUG=True, EKYC={**GOOD_SITE, "ACCOUNTS": {"sg": account}}):
        messages = [message for message in check_settings() if message.id in ("django_ekyc.E010", "django_ekyc.E023")]
    assert [message.id for message in messages] == expected
    assert all("needs ACCESS_KEY" in message.msg and "or CREDENTIALS" in message.msg for message in messages)


def test_e023_without_the_package(monkeypatch):
    for name in [name for name in sys.modules if name.startswith("alibabacloud_credentials")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials", None)
    with override_settings(DEBUG=True, EKYC={"CREDENTIALS": "default"}):
        [message] = [message for message in check_settings() if message.id == "django_ekyc.E023"]
    assert "pip install 'django-ekyc[credentials]'" in message.msg


def test_the_environment_can_name_the_default_chain(monkeypatch):
    from django_ekyc.env import ekyc_from_env

    for name in [name for name in os.environ if name.startswith("EKYC_")]:  # the suite's own (EKYC_TEST_REDIS_DB)
        monkeypatch.delenv(name)
    monkeypatch.setenv("EKYC_CREDENTIALS", "default")
    assert ekyc_from_env()["CREDENTIALS"] == "default"
