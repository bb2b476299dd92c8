"""The database connection dies mid-request: API routes answer JSON 503 with a stable code, the callback asks
to be called again, and what was committed before the failure stays (PostgreSQL: a real killed backend)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from django_ekyc.api.errors import ekyc_exception_handler
from django_ekyc.client import EkycClient
from django_ekyc.models import KycTransaction, Status

from .helpers import LIST_URL, callback_token, initialize_params, return_path, shop_url, start_body

pytestmark = pytest.mark.django_db(transaction=True)
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="kills a PostgreSQL backend")


def kill_own_connection() -> None:
    """Terminate this thread's database session from another connection, as a failover or an admin would."""
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    dsn = f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} dbname={settings['NAME']}"
    with psycopg.connect(dsn, user=settings["USER"] or "postgres", autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def kill_during(monkeypatch):
    """Kill the connection while a provider call is in flight (after the attempt was committed)."""

    def arm(method: str) -> None:
        real = getattr(EkycClient, method)

        def call_then_die(self, *args, **kwargs):
            result = real(self, *args, **kwargs)
            kill_own_connection()
            return result

        monkeypatch.setattr(EkycClient, method, call_then_die)

    yield arm
    connection.close()  # the test's own connection is dead too: let Django open a new one


@postgres_only
def test_start_answers_503_and_keeps_the_committed_attempt(api, simulator, kill_during):
    kill_during("initialize")
    response = api.post(LIST_URL, start_body(), format="json")
    assert (response.status_code, response.json()["code"]) == (503, "database_unavailable")
    connection.close()
    kyc = KycTransaction.objects.get()  # saved before the provider call: not lost
    assert kyc.status == Status.CREATED  # and the expiry job closes it later as "abandoned"


@postgres_only
def test_refresh_answers_503(api, simulator, kill_during):
    created = api.post(LIST_URL, start_body(), format="json").json()
    simulator.control.complete(KycTransaction.objects.get().transaction_id, "pass")
    kill_during("check_result")
    response = api.post(f"{LIST_URL}{created['id']}/refresh/")
    assert (response.status_code, response.json()["code"]) == (503, "database_unavailable")
    connection.close()
    assert KycTransaction.objects.get().status == Status.INITIALIZED  # the next check completes it


@postgres_only
def test_callback_answers_503_so_the_provider_calls_again(client, start, simulator, kill_during):
    kyc = start(build_url=shop_url).transaction
    token = callback_token(initialize_params(simulator))
    simulator.control.complete(kyc.transaction_id, "pass")
    kill_during("check_result")
    response = client.get("/ekyc/callback/", {"transactionId": kyc.transaction_id, "callbackToken": token})
    assert (response.status_code, response.json()["code"]) == (503, "database_unavailable")


@postgres_only
def test_return_answers_a_503_page(client, start, simulator, kill_during):
    simulator.control.complete(start().transaction.transaction_id, "pass")
    path = return_path(initialize_params(simulator))
    kill_during("check_result")
    response = client.get(path)
    assert response.status_code == 503 and "Temporarily unavailable" in response.content.decode()


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_the_api_maps_a_lost_connection_to_503(error):
    from django import db

    response = ekyc_exception_handler(getattr(db, error)("server closed the connection"), {})
    assert response is not None
    assert (response.status_code, response.data["code"]) == (503, "database_unavailable")


def test_other_database_errors_stay_server_errors():
    from django.db import IntegrityError

    assert ekyc_exception_handler(IntegrityError("duplicate"), {}) is None
