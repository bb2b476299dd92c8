"""The flow over real HTTP with the simulator: start, refresh, return, callback, expiry, signals."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from django_ekyc import services
from django_ekyc.exceptions import InvalidInput
from django_ekyc.models import EventKind, EventSource, KycTransaction, Status
from django_ekyc.services import ledger

from .helpers import META_INFO, callback_token, initialize_params, return_token, shop_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_start_saves_initializes_and_signals_once(start, simulator, user, started_signals):
    started = start(scene_code="shop_01", options={"show_guide_page": "0", "style_config": {"ocrPage": {}}})
    kyc = started.transaction
    assert kyc.status == Status.INITIALIZED
    assert kyc.user == user and kyc.transaction_id and len(kyc.merchant_biz_id) == 32
    assert started.transaction_url.startswith(simulator.url)
    assert kyc.options == {"ShowGuidePage": "0", "StyleConfig": '{"ocrPage":{}}'}
    [call] = simulator.control.calls("Initialize")
    params = call["params"]
    assert params["MerchantBizId"] == kyc.merchant_biz_id and params["SceneCode"] == "shop_01"
    assert params["ReturnUrl"].startswith("http://testserver/ekyc/return/")
    assert params["MerchantUserId"] == kyc.merchant_user_id != str(user.pk)
    assert "CallbackUrl" not in params  # http and not loopback: the provider would refuse it
    assert [c["transaction"].pk for c in started_signals.calls] == [kyc.pk]
    events = list(kyc.events.values_list("kind", "action", "from_status", "to_status", "code"))
    assert events == [
        (EventKind.PROVIDER_CALL, "Initialize", "", "", "Success"),
        (EventKind.STATE_CHANGE, "", Status.CREATED, Status.INITIALIZED, ""),
    ]


def test_nothing_is_stored_that_should_not_be(start, simulator):
    started = start()
    kyc = KycTransaction.objects.get(pk=started.transaction.pk)
    stored = " ".join(str(value) for value in kyc.__dict__.values())
    token = return_token(initialize_params(simulator))
    assert started.transaction_url not in stored  # single-use URL: returned once, never kept
    assert META_INFO not in stored and "bioMetaInfo" not in stored
    assert token not in stored  # only its hash
    assert kyc.return_token_hash == services.hash_token(token)


def test_merchant_user_id_is_a_keyed_hash(user, other_user):
    first = services.merchant_user_id_for(user)
    assert first == services.merchant_user_id_for(user) != services.merchant_user_id_for(other_user)
    assert len(first) == 64 and int(first, 16)
    unkeyed = hashlib.sha256(f"auth.user:{user.pk}".encode()).hexdigest()
    assert first != unkeyed  # without the key, nobody can link it back to the user
    with override_settings(EKYC={"MERCHANT_USER_ID_KEY": "another-key"}):
        assert services.merchant_user_id_for(user) != first


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"doc_type": "99999999"}, "doc_type", "unknown_doc_type"),
        ({"meta_info": ""}, "meta_info", "required"),
        ({"meta_info": "x" * 10_001}, "meta_info", "meta_info_too_long"),
        ({"meta_info": "not json"}, "meta_info", "meta_info_invalid"),
        ({"scene_code": "bad code!"}, "scene_code", "invalid_scene_code"),
        ({"options": {"show_guide_page": "maybe"}}, "options", "invalid_option_value"),
        ({"options": {"id_spoof": "Y"}}, "options", "option_not_allowed"),
        ({"options": {"return_url": "https://evil.example"}}, "options", "unknown_option"),
    ],
)
def test_invalid_input_is_refused_before_anything_is_saved_or_sent(start, simulator, overrides, field, code):
    with pytest.raises(InvalidInput) as caught:
        start(**overrides)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert KycTransaction.objects.count() == 0
    assert simulator.control.calls() == []


def test_provider_refusal_keeps_the_row_in_error(start, simulator, started_signals):
    simulator.control.add_fault("error", action="Initialize", code="Forbidden.AccountAccessDenied", status=403)
    with pytest.raises(services.ProviderCallFailed) as caught:
        start()
    kyc = KycTransaction.objects.get()
    assert caught.value.transaction.pk == kyc.pk
    assert (kyc.status, kyc.error_code) == (Status.ERROR, "Forbidden.AccountAccessDenied")
    assert kyc.completed_at is not None and kyc.transaction_id is None
    codes = list(kyc.events.values_list("kind", "code", "http_status"))
    assert codes == [
        (EventKind.PROVIDER_CALL, "Forbidden.AccountAccessDenied", 403),
        (EventKind.STATE_CHANGE, "Forbidden.AccountAccessDenied", None),
    ]
    assert started_signals.calls == []


def test_unreachable_provider_keeps_the_row_in_error(start, simulator):
    simulator.control.add_fault("drop", count=-1)
    with pytest.raises(services.ProviderCallFailed):
        start()
    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.error_code) == (Status.ERROR, "EkycTransportError")


def test_refresh_waits_then_completes_once(start, finish, simulator, completed_signals):
    kyc = start().transaction
    assert services.refresh(kyc).status == Status.INITIALIZED  # ProcessNotCompleted
    kyc = finish(kyc, "face_mismatch")
    assert (kyc.status, kyc.passed, kyc.sub_code) == (Status.FAILED, False, "204")
    assert kyc.result["ext_face_info"]["facePassed"] == "N"
    assert services.refresh(kyc).status == Status.FAILED  # final: no more provider calls
    assert len(simulator.control.calls("CheckResult")) == 2
    assert [c["passed"] for c in completed_signals.calls] == [False]


def test_refresh_uses_the_stored_ids(start, finish, simulator):
    kyc = start().transaction
    finish(kyc)
    [call] = simulator.control.calls("CheckResult")
    assert call["params"]["TransactionId"] == kyc.transaction_id
    assert call["params"]["MerchantBizId"] == kyc.merchant_biz_id
    assert call["params"]["IsReturnImage"] == "N"


def test_images_are_never_stored(start, finish):
    kyc = finish(start(doc_type="00000001").transaction)
    text = str(kyc.result)
    assert "idImage" not in text and "faceImg" not in text
    assert kyc.result["ext_id_info"]["ocrIdInfo"]["idNumber"]


def test_forgotten_by_the_provider_means_expired(start, simulator):
    kyc = start().transaction
    simulator.control.forget(kyc.transaction_id)
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.error_code) == (Status.EXPIRED, "TransactionIdInvalid")


def test_provider_fault_on_refresh_leaves_the_state_and_records_the_call(start, simulator):
    kyc = start().transaction
    simulator.control.add_fault("internal_error", action="CheckResult")
    with pytest.raises(services.ProviderCallFailed) as caught:
        services.refresh(kyc)
    assert caught.value.error.code == "InternalError"
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED
    assert kyc.events.filter(action="CheckResult", code="InternalError", http_status=500).exists()


def test_a_pending_verdict_keeps_the_transaction_waiting_and_checked_again(start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pending")
    kyc = services.refresh(kyc)
    assert (kyc.status, kyc.passed) == (Status.INITIALIZED, None)  # not a failure: the provider has not decided
    assert kyc.next_check_at is not None
    assert kyc.events.filter(action="CheckResult").exists()


def test_return_trusts_the_provider_not_the_url(start, simulator):
    kyc = start().transaction
    token = return_token(initialize_params(simulator))
    simulator.control.complete(kyc.transaction_id, "liveness_attack")
    kyc = services.handle_return(token)
    assert (kyc.status, kyc.sub_code) == (Status.FAILED, "205")
    with pytest.raises(services.TransactionNotFound):
        services.handle_return("not-a-token")


def test_return_while_the_provider_is_down_keeps_waiting(start, simulator):
    kyc = start().transaction
    token = return_token(initialize_params(simulator))
    simulator.control.add_fault("internal_error", action="CheckResult")
    assert services.handle_return(token).status == Status.INITIALIZED
    assert kyc.events.filter(source="return", action="CheckResult", code="InternalError").exists()


def test_callback_checks_the_token(start, simulator):
    kyc = start(build_url=shop_url).transaction
    params = initialize_params(simulator)
    assert params["CallbackUrl"] == "https://shop.example/ekyc/callback/"
    simulator.control.complete(kyc.transaction_id, "pass")
    with pytest.raises(services.CallbackTokenMismatch):
        services.handle_callback(kyc.transaction_id, "forged")
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED and simulator.control.calls("CheckResult") == []
    assert services.handle_callback(kyc.transaction_id, callback_token(params)).status == Status.PASSED
    with pytest.raises(services.TransactionNotFound):
        services.handle_callback("hksunknown", callback_token(params))


def test_callback_can_be_disabled(start, simulator):
    with override_settings(EKYC={**simulator.ekyc_settings(), "CALLBACK_ENABLED": False}):
        start(build_url=shop_url)
    params = initialize_params(simulator)
    assert "CallbackUrl" not in params and "CallbackToken" not in params


def test_expiry(start, finish):
    waiting = start().transaction
    done = start().transaction
    finish(done)
    KycTransaction.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert services.expire_stale() == 1
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert (waiting.status, done.status) == (Status.EXPIRED, Status.PASSED)
    assert services.expire_stale() == 0


def test_is_verified_uses_the_latest_passed_transaction(start, finish, user, other_user):
    assert not services.is_verified(user)
    first = finish(start().transaction, "pass")
    finish(start().transaction, "face_mismatch")  # a later attempt that failed
    assert services.latest_verification(user).pk == first.pk
    assert services.is_verified(user) and not services.is_verified(other_user)
    assert not services.is_verified(user, max_age=timedelta(seconds=-1))


def test_terminal_states_never_move(start, finish):
    kyc = finish(start().transaction, "pass")
    moved = ledger.transition(kyc, Status.EXPIRED, EventSource.EXPIRY)[1]
    assert not moved
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED
