"""Staff review in the admin: list, filters, search, read-only detail, history, refresh action."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_ekyc import services
from django_ekyc.models import Status

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/django_ekyc/kyctransaction/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")


@pytest.fixture
def admin_client_logged_in(client, staff):
    client.force_login(staff)
    return client


def test_list_shows_the_columns(admin_client_logged_in, start, finish, user):
    kyc = finish(start().transaction, "face_mismatch")
    html = admin_client_logged_in.get(LIST).content.decode()
    for text in (str(kyc.public_id), "Failed", "alice", "01000000", "204"):
        assert text in html


def test_list_page_query_count_does_not_grow_with_rows(admin_client_logged_in, start, simulator, django_user_model):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_logged_in.get(LIST).status_code == 200
        return len(queries)

    start()
    few = count_queries()
    for index in range(6):
        owner = django_user_model.objects.create_user(f"user{index}", f"u{index}@example.com", "pw")
        start(owner=owner)
    assert count_queries() == few


@pytest.mark.parametrize(
    "term_of",
    [
        lambda kyc: str(kyc.public_id),
        lambda kyc: kyc.transaction_id,
        lambda kyc: kyc.merchant_biz_id,
        lambda kyc: "alice",
        lambda kyc: "alice@example.com",
    ],
)
def test_search(admin_client_logged_in, start, simulator, other_user, term_of):
    mine = start().transaction
    theirs = start(owner=other_user).transaction
    html = admin_client_logged_in.get(LIST, {"q": term_of(mine)}).content.decode()
    assert str(mine.public_id) in html and str(theirs.public_id) not in html


def test_search_with_odd_text_does_not_fail(admin_client_logged_in, start, simulator):
    start()
    assert admin_client_logged_in.get(LIST, {"q": "1234-not-a-uuid"}).status_code == 200


def test_filters(admin_client_logged_in, start, finish):
    passed = finish(start().transaction, "pass")
    waiting = start().transaction
    html = admin_client_logged_in.get(LIST, {"status__exact": "passed"}).content.decode()
    assert str(passed.public_id) in html and str(waiting.public_id) not in html
    passport = start(doc_type="01000000").transaction
    hk_id = start(doc_type="00000008").transaction
    html = admin_client_logged_in.get(LIST, {"doc_type": "00000008"}).content.decode()
    assert str(hk_id.public_id) in html and str(passport.public_id) not in html
    assert "Hong Kong (China) identity card (2018 version) (00000008)" in html  # choices from settings


def test_detail_is_read_only_and_shows_results_and_history(admin_client_logged_in, start, finish):
    kyc = finish(start().transaction, "pass")
    url = f"{LIST}{kyc.pk}/change/"
    response = admin_client_logged_in.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    # givenname, not surname: a two-letter surname such as "NG" can occur inside a random CSRF token
    assert "<dt>passportNo</dt><dd>\u2022\u2022\u2022\u2022\u2022\u2022</dd>" in html  # masked until revealed
    assert ocr["passportNo"] not in html and ocr["givenname"] not in html
    # the checks are not identity data: shown, in words, with the provider's key in the tooltip
    assert '<dt title="faceComparisonScore">Face comparison score (0-100)</dt>' in html
    assert '<dt title="spoofResult">Forged or altered document</dt><dd><span title="N">not detected</span></dd>' in html
    assert "CheckResult" in html and "Initialize" in html  # the history inline
    assert 'name="_save"' not in html
    assert admin_client_logged_in.post(url, {"status": "passed"}).status_code == 403
    assert admin_client_logged_in.get(f"{LIST}add/").status_code == 403
    assert admin_client_logged_in.get(f"{LIST}{kyc.pk}/delete/").status_code == 403


def test_refresh_action(admin_client_logged_in, start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "document_spoof")
    response = admin_client_logged_in.post(
        LIST, {"action": "refresh_from_provider", "_selected_action": [kyc.pk]}, follow=True
    )
    html = response.content.decode()
    assert "Refreshed 1 transaction from the provider." in html and "could not be refreshed" not in html
    kyc.refresh_from_db()
    assert (kyc.status, kyc.sub_code) == (Status.FAILED, "212")
    assert kyc.events.filter(source="admin").exists()


def test_the_refresh_message_is_a_real_plural_and_counts_failures_apart(admin_client_logged_in, start, simulator):
    """Each count is its own ngettext message ("1 transaction", "2 transactions"), never "transaction(s)"."""
    made = [start().transaction for _ in range(3)]
    simulator.control.add_fault("error", action="CheckResult", code="Forbidden.AccountAccessDenied", status=403)
    response = admin_client_logged_in.post(
        LIST, {"action": "refresh_from_provider", "_selected_action": [kyc.pk for kyc in made]}, follow=True
    )
    html = response.content.decode()
    assert "Refreshed 2 transactions from the provider." in html
    assert "1 transaction could not be refreshed (its code is above)." in html
    assert "Forbidden.AccountAccessDenied" in html and "(s)" not in html


def test_the_change_page_names_the_document_product_and_codes(admin_client_logged_in, start, finish):
    """The page says what the list says: the document's and the product's names (the code beside them), and a sub
    code in words; no provider key stands alone."""
    kyc = finish(start(doc_type="00000008").transaction, "face_mismatch")
    html = admin_client_logged_in.get(f"{LIST}{kyc.pk}/change/").content.decode()
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html, re.S)
    assert "Hong Kong (China) identity card (2018 version) <small>(00000008)</small>" in readonly
    assert "Identity verification (greater-China documents) <small>(eKYC)</small>" in readonly
    assert "The face did not match the photo on the document. <small>(204)</small>" in readonly
    assert "00000008" not in readonly and "204" not in readonly  # never the bare code
    assert re.search(r"<dt>(ocrIdPassed|spoofResult|facePassed|faceAttack|faceComparisonScore)</dt>", html) is None
    assert '<dt title="facePassed">Face check passed</dt><dd><span title="N">no</span></dd>' in html


def test_a_check_key_reads_the_same_whatever_its_first_letter():
    from django_ekyc.outcomes import check_in_words

    assert (
        check_in_words("FaceAttack", "Y")
        == check_in_words("faceAttack", "y")
        == (
            "Liveness attack (a photo, a screen, a mask)",
            "detected",
        )
    )
    assert check_in_words("attacked", False) == ("Liveness attack (a photo, a screen, a mask)", "not detected")
    assert check_in_words("risk", "2") == ("Deepfake risk", "suspicious")
    assert check_in_words("faceComparisonScore", 91.5) == ("Face comparison score (0-100)", None)
    # The SDK's quality scores: 0 to 100, a higher value better quality (the occlusion's too).
    assert check_in_words("OcclusionScore", 97.0) == ("Occlusion score (0-100, higher is better)", None)
    assert check_in_words("sharpnessScore", 80) == ("Sharpness score (0-100, higher is better)", None)
    assert check_in_words("OcclusionResult", "Y") == ("Face covered (occlusion)", "detected")  # the SDK: Y, occluded
    assert check_in_words("OcclusionResult", "N") == ("Face covered (occlusion)", "not detected")
    assert check_in_words("somethingNew", "Y") == ("somethingNew", None)  # an unknown key shows as it is


def test_refresh_action_needs_its_permission(client, django_user_model, start, simulator):
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_kyctransaction"))
    client.force_login(viewer)
    start()
    html = client.get(LIST).content.decode()
    assert "refresh_from_provider" not in html
    viewer.user_permissions.add(Permission.objects.get(codename="refresh_kyctransaction"))
    assert "refresh_from_provider" in client.get(LIST).content.decode()


class EmailOnlyUser:
    """The shape of a custom user model that signs in by email and has no username."""

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class _meta:  # mimics Django's Options
        fields = [type("F", (), {"name": "email"})(), type("F", (), {"name": "full_name"})()]


class HandleUser:
    USERNAME_FIELD = "handle"

    class _meta:
        fields = [type("F", (), {"name": "handle"})()]


@pytest.mark.parametrize(
    ("model", "expected"),
    [(EmailOnlyUser, ("user__email",)), (HandleUser, ("user__handle",))],
)
def test_user_search_fields_follow_custom_user_models(monkeypatch, model, expected):
    from django_ekyc.admin import search as ekyc_admin

    monkeypatch.setattr(ekyc_admin, "get_user_model", lambda: model)
    assert ekyc_admin._user_search_fields() == expected


def reveal_url(kyc) -> str:
    return f"{LIST}{kyc.pk}/reveal/"


@pytest.fixture
def viewer(django_user_model):
    """Staff who may view transactions but not reveal identity data."""
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_kyctransaction"))
    return viewer


def test_masking_shows_no_character_and_no_length(admin_client_logged_in, start, finish):
    """Short fields (sex, ethnicity, a Chinese surname) and long ones look the same when masked."""
    kyc = finish(start(doc_type="00000001").transaction, "pass")
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    html = admin_client_logged_in.get(f"{LIST}{kyc.pk}/change/").content.decode()
    masked = re.findall(r"<dt>(\w+)</dt><dd>([^<]*)</dd>", html.split('id="reveal-identity"')[0])
    shown = {name: value for name, value in masked if name in ocr}
    assert set(shown) == set(ocr)  # every field is listed...
    assert set(shown.values()) == {"\u2022" * 6}  # ...with the same mark, whatever its value and length
    for value in ocr.values():
        assert f"<dd>{value}" not in html and f"<dd>{value[:1]}\u2022" not in html


def test_revealing_identity_data_is_a_logged_post(admin_client_logged_in, start, finish, staff):
    from django.contrib.admin.models import LogEntry

    kyc = finish(start().transaction, "pass")
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    change_page = admin_client_logged_in.get(f"{LIST}{kyc.pk}/change/").content.decode()
    assert f'formaction="{reveal_url(kyc)}" formmethod="post"' in change_page
    assert admin_client_logged_in.get(reveal_url(kyc)).status_code == 405  # a link cannot reveal
    assert admin_client_logged_in.get(f"{LIST}{kyc.pk}/change/", {"reveal": "1"}).status_code == 200
    assert not LogEntry.objects.exists()
    html = admin_client_logged_in.post(reveal_url(kyc)).content.decode()
    assert f"<dt>passportNo</dt><dd>{ocr['passportNo']}</dd>" in html
    [entry] = LogEntry.objects.filter(object_id=str(kyc.pk))
    assert entry.user == staff and "Revealed identity data" in entry.get_change_message()


def test_reveal_is_csrf_protected(start, finish, staff):
    from django.contrib.admin.models import LogEntry
    from django.test import Client

    kyc = finish(start().transaction, "pass")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    response = browser.post(reveal_url(kyc))
    assert response.status_code == 403
    assert kyc.result["ext_id_info"]["ocrIdInfo"]["passportNo"] not in response.content.decode()
    assert not LogEntry.objects.exists()


def test_revealing_needs_the_permission_and_a_refusal_is_not_logged(client, viewer, start, finish):
    from django.contrib.admin.models import LogEntry

    client.force_login(viewer)
    kyc = finish(start().transaction, "pass")
    response = client.post(reveal_url(kyc))
    assert response.status_code == 403
    assert kyc.result["ext_id_info"]["ocrIdInfo"]["passportNo"] not in response.content.decode()
    assert 'id="reveal-identity"' not in client.get(f"{LIST}{kyc.pk}/change/").content.decode()
    assert not LogEntry.objects.exists()


def test_revealing_a_purged_transaction_logs_nothing(admin_client_logged_in, start, finish):
    from django.contrib.admin.models import LogEntry

    kyc = services.purge_identity_data(finish(start().transaction, "pass"))
    assert admin_client_logged_in.post(reveal_url(kyc)).status_code == 200
    assert not LogEntry.objects.exists()  # nothing was shown, so nothing to account for


@pytest.mark.parametrize(
    "query",
    [{"doc_type": "\x00"}, {"q": "a\x00b"}, {"status__exact": "\x00"}, {"\x00": "1"}],
)
def test_changelist_refuses_unstorable_characters(admin_client_logged_in, start, simulator, query):
    start()
    assert admin_client_logged_in.get(LIST, query).status_code == 400


def test_unknown_doc_type_filter_matches_nothing(admin_client_logged_in, start, simulator):
    kyc = start().transaction
    html = admin_client_logged_in.get(LIST, {"doc_type": "nonsense"}).content.decode()
    assert str(kyc.public_id) not in html
