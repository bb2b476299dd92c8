"""Several Alibaba accounts on one site: picked per request or user, kept per transaction for refreshes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from django_ekyc import services
from django_ekyc.client import EkycClient, get_client
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.models import KycTransaction, Status
from django_ekyc.simulator import Simulator
from django_ekyc.testing import SimulatorControl

from .helpers import api_client, start_body, start_via_api

pytestmark = pytest.mark.django_db(transaction=True)

DEFAULT = ("LTAI-default-account", "default-account-secret")
BRAND_B = ("LTAI-brand-b-account", "brand-b-secret")


def pick_account(request, user) -> str:
    """The resolver under test: users whose name starts with "b" belong to brand B."""
    return "brand_b" if user.get_username().startswith("b") else ""


@pytest.fixture
def two_accounts() -> Iterator[tuple[Simulator, SimulatorControl]]:
    with Simulator(dict([DEFAULT, BRAND_B])) as simulator:
        control = SimulatorControl(simulator.url)
        ekyc = {
            "ACCESS_KEY_ID": DEFAULT[0],
            "ACCESS_KEY_SECRET": DEFAULT[1],
            "ENDPOINT": simulator.url,
            "ACCOUNTS": {
                "brand_b": {"ACCESS_KEY_ID": BRAND_B[0], "ACCESS_KEY_SECRET": BRAND_B[1], "ENDPOINT": simulator.url}
            },
            "ACCOUNT_RESOLVER": "tests.test_accounts.pick_account",
            "RATE_LIMIT": None,
        }
        with override_settings(EKYC=ekyc):
            yield simulator, control
        control.close()


def signer(call: dict[str, Any]) -> str:
    return call["headers"]["authorization"].split("Credential=", 1)[1].split(",", 1)[0]


def test_each_user_gets_their_account_and_keeps_it(two_accounts, user, other_user):
    _, control = two_accounts
    # alice: default, bob: brand B
    alice_kyc, bob_kyc = start_via_api(api_client(user)), start_via_api(api_client(other_user))
    assert (alice_kyc.account, bob_kyc.account) == ("", "brand_b")
    assert [signer(c) for c in control.calls("Initialize")] == [DEFAULT[0], BRAND_B[0]]

    control.complete(bob_kyc.transaction_id, "pass")
    assert services.refresh(bob_kyc).status == Status.PASSED
    [check] = control.calls("CheckResult")
    assert signer(check) == BRAND_B[0]  # the refresh used the account that opened it


def test_an_unknown_account_fails_before_anything_is_saved(two_accounts, user):
    with pytest.raises(EkycConfigurationError, match="nowhere"):
        services.start_verification(
            user=user, **start_body(), build_url=lambda p: f"https://x.example{p}", account="nowhere"
        )
    assert not KycTransaction.objects.exists()


def test_clients_are_shared_per_account_and_limited_per_account(two_accounts):
    assert get_client("brand_b") is get_client("brand_b") is not get_client()
    with override_settings(
        EKYC={
            "ACCESS_KEY_ID": "a",
            "ACCESS_KEY_SECRET": "b",
            "ACCOUNTS": {
                "brand_b": {
                    "ACCESS_KEY_ID": "c",
                    "ACCESS_KEY_SECRET": "d",
                    "RATE_LIMIT_GROUP": "shared-alibaba-account",
                },
            },
        }
    ):
        client = EkycClient.from_settings("brand_b")
        assert client.access_key_id == "c" and client.account == "brand_b"
        assert client.rate_limiter.group == "shared-alibaba-account"
        default = EkycClient.from_settings()
        assert default.rate_limiter.group == "default"
        default.close()
        client.close()
