"""The verifications' change list at any size: a capped count, no decryption of what no column shows, searches
on the indexes made for them."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_ekyc.admin import KycTransactionAdmin, paging
from django_ekyc.models import KycTransaction, Status

pytestmark = pytest.mark.django_db

LIST = "/admin/django_ekyc/kyctransaction/"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    return client


@pytest.fixture
def rows(user):
    def make(count: int, **fields: object) -> list[KycTransaction]:
        return [
            KycTransaction.objects.create(
                user=user,
                status=Status.PASSED,
                passed=True,
                merchant_biz_id=uuid.uuid4().hex,
                transaction_id=f"hks{uuid.uuid4().hex}",
                merchant_user_id="u",
                return_token_hash=uuid.uuid4().hex,
                callback_token_hash="c",
                completed_at=timezone.now(),
                result={"ocr": {"name": "ALICE"}},  # type: ignore[misc]
                **fields,
            )
            for _ in range(count)
        ]

    return make


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    monkeypatch.setattr(KycTransactionAdmin, "list_per_page", 2)


def list_queries(client, params: dict[str, str] | None = None) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params or {})
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def test_the_count_stops_at_the_cap_and_says_so(staff_client, rows, small_cap):
    rows(5)
    html, sql = list_queries(staff_client)
    assert "More than 3 verifications match" in html
    assert any("COUNT(*)" in query and "LIMIT 4" in query for query in sql)  # never a count of the whole table
    assert staff_client.get(LIST, {"p": "2"}).status_code == 200  # the pages reach the cap
    assert "e=1" in staff_client.get(LIST, {"p": "3"})["Location"]  # and no further


def test_below_the_cap_the_count_is_exact_and_nothing_is_said(staff_client, rows, small_cap):
    rows(3)
    html, _sql = list_queries(staff_client)
    assert "More than" not in html and "3 KYC transactions" in html


@pytest.mark.parametrize("across", ["1", "True", "on"])  # every spelling Django's action form takes for yes
def test_an_action_on_every_row_beyond_the_cap_is_refused(staff_client, rows, small_cap, across):
    made = rows(5)
    answer = staff_client.post(
        LIST,
        {"action": "refresh_from_provider", "select_across": across, "_selected_action": [str(made[0].pk)]},
        follow=True,
    )
    assert "An action applies to at most 3 verifications" in answer.content.decode()


def test_the_list_reads_no_encrypted_column(staff_client, rows):
    rows(2)
    _html, sql = list_queries(staff_client)
    listing = [query for query in sql if '"django_ekyc_kyctransaction"."status"' in query and "COUNT" not in query]
    assert listing and all('"django_ekyc_kyctransaction"."result"' not in query for query in listing)


def test_a_search_by_id_probes_the_unique_ids_only(staff_client, rows):
    mine, other = rows(2)
    for term in (mine.transaction_id, mine.merchant_biz_id, str(mine.public_id)):
        html, sql = list_queries(staff_client, {"q": term})
        assert str(mine.public_id) in html and str(other.public_id) not in html
        assert not any("LIKE" in query for query in sql)  # no scan of the joined user for an id


def test_a_search_by_user_reads_the_user_table_first(staff_client, rows, other_user, django_user_model):
    mine = rows(1)[0]
    KycTransaction.objects.filter(pk=rows(1)[0].pk).update(user=other_user)
    html, sql = list_queries(staff_client, {"q": "ALIC"})
    assert str(mine.public_id) in html and other_user.username not in html
    likes = [query for query in sql if "LIKE" in query]
    assert likes and all("django_ekyc_kyctransaction" not in query for query in likes)
