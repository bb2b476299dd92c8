"""The step-up from the site's camera, the deepfake screening and the daily budget, against the simulator over HTTP."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from django_ekyc import services
from django_ekyc.exceptions import CheckBudgetExhausted, NothingToCompare
from django_ekyc.models import DeepfakeStatus, EventKind, KycTransaction, Purpose, Status
from django_ekyc.permissions import IsReverified
from django_ekyc.services import deepfake, pictures
from django_ekyc.services.picture_reverify import reverify_from_picture
from django_ekyc.signals import deepfake_flagged
from django_ekyc.testing import running_simulator
from tests.face_support import site

from .picture_support import CONSENT, HONG_KONG_CHECKS, face, jpeg_face

pytestmark = pytest.mark.django_db(transaction=True)


# -- the step-up from a picture ---------------------------------------------------------------------------------


@pytest.fixture
def step_up(simulator):
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS, REVERIFY_PRODUCT="FACE_VERIFY", REVERIFY_FROM_PICTURE=True):
        yield simulator


def test_a_picture_of_the_same_person_re_verifies_them(step_up, verified, user, completed_signals):
    reference = verified(user, "ada")
    kyc = reverify_from_picture(user=user, face=face("ada"), consent_version=CONSENT)
    assert (kyc.status, kyc.purpose, kyc.channel, kyc.reverify_of) == (
        Status.PASSED,
        Purpose.REVERIFY,
        "server",
        reference,
    )
    calls = [call["action"] for call in step_up.control.calls() if call["action"] != "CheckResult"]
    assert calls[-2:] == ["FaceLivenessV2", "FaceCompare"]
    history = list(kyc.events.filter(kind=EventKind.PROVIDER_CALL).values_list("action", flat=True))
    assert history == ["FaceLivenessV2", "FaceCompare"]
    assert services.is_reverified(user, max_age=60)
    assert not services.is_reverified(user, max_age=60, hosted_only=True)  # a still picture, not the hosted flow
    assert completed_signals.calls[-1]["passed"] is True


def test_another_person_does_not_re_verify(step_up, verified, user):
    verified(user, "ada")
    kyc = reverify_from_picture(user=user, face=face("mallory"), consent_version=CONSENT)
    assert (kyc.status, kyc.error_code) == (Status.FAILED, "not_the_same_person")
    assert not services.is_reverified(user, max_age=60)


def test_a_picture_that_fails_liveness_is_not_compared(step_up, verified, user):
    verified(user, "ada")
    kyc = reverify_from_picture(user=user, face=face("ada", deepfake=True), consent_version=CONSENT)
    assert (kyc.status, kyc.error_code) == (Status.FAILED, "liveness_failed")
    assert step_up.control.calls("FaceCompare") == []


def test_without_a_reference_nothing_is_saved_or_sent(step_up, user):
    with pytest.raises(NothingToCompare):
        reverify_from_picture(user=user, face=face("ada"), consent_version=CONSENT)
    assert not KycTransaction.objects.exists() and step_up.control.calls() == []


def test_the_step_up_is_the_sites_to_turn_on(simulator, verified, user):
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS, REVERIFY_PRODUCT="FACE_VERIFY"):
        verified(user, "ada")
        with pytest.raises(services.InvalidInput) as refused:
            reverify_from_picture(user=user, face=face("ada"), consent_version=CONSENT)
    assert refused.value.code == "reverify_not_enabled"


def test_the_library_step_up_finds_the_users_own_face(library, verified, user):
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS, REVERIFY_FROM_PICTURE=True):
        verified(user, "ada")
        mine = reverify_from_picture(user=user, face=face("ada"), consent_version=CONSENT)
        theirs = reverify_from_picture(user=user, face=face("eve"), consent_version=CONSENT)
    assert (mine.status, theirs.status, theirs.error_code) == (Status.PASSED, Status.FAILED, "not_the_same_person")
    [search, _] = library.control.calls("FaceVerifyIntl")[-2:]
    assert search["params"]["AutoRegistration"] == "1"  # a step-up registers no face


def test_the_api_takes_a_step_up_and_the_guards_can_refuse_it(step_up, verified, user, api):
    verified(user, "ada")
    body = {"check": "reverify", "consent": CONSENT, "face": _b64(face("ada"))}
    response = api.post("/ekyc/api/checks/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["purpose"] == "reverify" and response.json()["passed"] is True
    request = type("R", (), {"user": user})()
    assert IsReverified().has_permission(request, None)
    assert not IsReverified.hosted()().has_permission(request, None)
    extra = api.post("/ekyc/api/checks/", {**body, "doc_type": "01000000"}, format="json")
    assert extra.json()["fields"]["check"][0]["code"] == "not_for_reverify"
    # The reference is the server's: a request that brings its own face to compare with is refused, unsent.
    calls = len(step_up.control.calls())
    swapped = api.post("/ekyc/api/checks/", {**body, "reference": _b64(face("mallory"))}, format="json")
    assert swapped.json()["fields"]["check"][0]["code"] == "not_for_reverify"
    assert len(step_up.control.calls()) == calls


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


# -- deepfake screening -------------------------------------------------------------------------------------------


@pytest.fixture
def singapore(simulator):
    """A simulator in Singapore (where DeepfakeDetectIntl runs), over the session's one."""
    with running_simulator(region="ap-southeast-1") as sim:
        settings = sim.ekyc_settings(
            RETRY_BACKOFF=0.01, RATE_LIMIT=None, REFRESH_MIN_INTERVAL=0, PRODUCTS=["eKYC_PRO", "FACE_LIVENESS_PRO"],
            PICTURE_CHECKS=["FACE_COMPARE", "FACE_LIVENESS_MIN_PRO", "FACE_DEEPFAKE"], DEEPFAKE_SCREENING=True,
        )  # fmt: skip
        with override_settings(EKYC=settings):
            yield sim


@pytest.fixture
def hosted(singapore, start):
    """A hosted FACE_LIVENESS_PRO verification of ``user`` in Singapore, finished with ``outcome``."""

    def run(user, outcome="pass", person="ada"):
        kyc = start(user, product_code="FACE_LIVENESS_PRO", doc_type="").transaction
        singapore.control.complete(kyc.transaction_id, outcome, person=person)
        return services.refresh(kyc)

    return run


@pytest.fixture
def flags():
    seen: list[dict[str, object]] = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    deepfake_flagged.connect(receiver)
    yield seen
    deepfake_flagged.disconnect(receiver)


def test_a_passed_check_is_screened_and_a_deepfake_flagged_once_without_failing_it(singapore, user, flags):
    pictures_sent = {"face": jpeg_face("ada", deepfake=True), "reference": jpeg_face("ada")}
    kyc = pictures.run_picture_check(
        user=user, check_code="FACE_COMPARE", pictures=pictures_sent, consent_version=CONSENT
    )
    assert kyc.status == Status.PASSED and kyc.deepfake == DeepfakeStatus.FLAGGED
    assert (kyc.review, kyc.review_rule) == ("waiting", "deepfake")  # in the review queue, by the same UPDATE
    assert [flag["risk"] for flag in flags] == ["1"] and "SuspectDeepForgery" in flags[0]["tags"]
    assert kyc.result["deepfake"]["risk"] == "1"
    [sent] = singapore.control.calls("DeepfakeDetectIntl")
    assert sent["params"]["FaceInputType"] == "IMAGE" and sent["params"]["ProductCode"] == "FACE_DEEPFAKE"
    assert deepfake.screen(kyc) == kyc and len(flags) == 1  # once, whoever asks again


def test_a_real_face_is_screened_clear(singapore, user, flags):
    kyc = pictures.run_picture_check(
        user=user, check_code="FACE_COMPARE", pictures={"face": face("ada"), "reference": face("ada")},
        consent_version=CONSENT,
    )  # fmt: skip
    assert kyc.deepfake == DeepfakeStatus.CLEAR and flags == []


def test_a_hosted_verification_is_screened_after_the_request_by_the_background_pass(singapore, hosted, user):
    kyc = hosted(user)
    assert kyc.deepfake == DeepfakeStatus.PENDING
    assert singapore.control.calls("DeepfakeDetectIntl") == []  # nothing in the request that completed it
    assert deepfake.screen_pending() == 1
    kyc.refresh_from_db()
    assert kyc.deepfake == DeepfakeStatus.CLEAR and kyc.status == Status.PASSED
    assert len(singapore.control.calls("DeepfakeDetectIntl")) == 1
    assert deepfake.screen_pending() == 0


def test_a_failed_verification_is_not_screened(hosted, user):
    kyc = hosted(user, "liveness_attack")
    assert kyc.deepfake == DeepfakeStatus.NONE


def test_a_provider_failure_leaves_the_screening_for_the_next_pass(singapore, hosted, user):
    kyc = hosted(user)
    singapore.control.add_fault("unavailable", action="DeepfakeDetectIntl", count=-1)
    assert deepfake.screen_pending() == 0
    kyc.refresh_from_db()
    assert kyc.deepfake == DeepfakeStatus.PENDING
    singapore.control.clear_faults()
    assert deepfake.screen_pending() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_racing_screeners_screen_once(singapore, hosted, user):
    kyc = hosted(user)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def screen() -> None:
        try:
            barrier.wait(timeout=30)
            deepfake.screen(KycTransaction.objects.get(pk=kyc.pk))
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=screen) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(singapore.control.calls("DeepfakeDetectIntl")) == 1


# -- the daily budget -------------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_racing_requests_never_take_more_than_the_budget(simulator, user):
    attempts = 6
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def check() -> None:
        try:
            barrier.wait(timeout=30)
            pictures.run_picture_check(
                user=user, check_code="FACE_COMPARE", pictures={"face": face("a"), "reference": face("a")},
                consent_version=CONSENT,
            )  # fmt: skip
            outcomes.append("ran")
        except CheckBudgetExhausted:
            outcomes.append("refused")
        except BaseException as err:
            outcomes.append(repr(err))
        finally:
            connection.close()

    with site(PICTURE_CHECKS=HONG_KONG_CHECKS, PICTURE_CHECK_DAILY_LIMIT=2):
        threads = [threading.Thread(target=check) for _ in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(outcomes) == ["ran", "ran"] + ["refused"] * (attempts - 2)
    assert len(simulator.control.calls("FaceCompare")) == 2


def test_a_zero_budget_runs_no_check(simulator, user):
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS, PICTURE_CHECK_DAILY_LIMIT=0), pytest.raises(CheckBudgetExhausted):
        pictures.run_picture_check(
            user=user, check_code="FACE_COMPARE", pictures={"face": face("a"), "reference": face("a")},
            consent_version=CONSENT,
        )  # fmt: skip
    assert simulator.control.calls() == []


# -- what can go wrong between opening the attempt and its answer ---------------------------------------------------


def _pictures() -> dict[str, bytes]:
    return {"face": face("a"), "reference": face("a")}


def test_the_sites_own_rate_limit_sends_nothing_and_costs_no_budget(simulator, user):
    from django_ekyc.client import EkycClient
    from django_ekyc.exceptions import EkycRateLimited, ProviderCallFailed
    from django_ekyc.services.picture_attempts import NOT_SENT, checks_used

    def no_slot(action: str, product: str) -> None:
        raise EkycRateLimited("no slot", action=action)

    client = EkycClient(
        access_key_id=simulator.access_key_id, access_key_secret=simulator.access_key_secret, endpoint=simulator.url,
        rate_limiter=no_slot,
    )  # fmt: skip
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS), pytest.raises(ProviderCallFailed) as failure:
        pictures.run_picture_check(
            user=user, check_code="FACE_COMPARE", pictures=_pictures(), consent_version=CONSENT, client=client
        )
    kyc = failure.value.transaction
    assert (kyc.status, kyc.error_code) == (Status.ERROR, NOT_SENT)
    assert checks_used(user) == 0 and simulator.control.calls() == []


def test_an_unexpected_failure_closes_the_attempt(simulator, user, monkeypatch):
    from django_ekyc.client import EkycClient

    monkeypatch.setattr(EkycClient, "check_pictures", lambda *args, **kwargs: 1 / 0)
    with site(PICTURE_CHECKS=HONG_KONG_CHECKS), pytest.raises(ZeroDivisionError):
        pictures.run_picture_check(user=user, check_code="FACE_COMPARE", pictures=_pictures(), consent_version=CONSENT)
    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.error_code) == (Status.ERROR, "internal_error")


def test_a_document_the_region_does_not_read_is_refused_unsent(simulator, user):
    from .picture_support import document

    with site(PICTURE_CHECKS=["ID_OCR_MAX"], REGION="ap-southeast-5"), pytest.raises(services.InvalidInput) as bad:
        pictures.run_picture_check(
            user=user, check_code="ID_OCR_MAX", pictures={"document": document("a", "MYS01001")},
            consent_version=CONSENT, doc_type="MYS01001",
        )  # fmt: skip
    assert bad.value.code == "doc_type_not_in_region"
    assert simulator.control.calls() == [] and not KycTransaction.objects.exists()


def test_a_failed_screening_keeps_the_face_for_the_next_pass_then_drops_it(singapore, user, flags):
    singapore.control.add_fault("unavailable", action="DeepfakeDetectIntl", count=-1)
    pictures_sent = {"face": jpeg_face("ada", deepfake=True), "reference": jpeg_face("ada")}
    kyc = pictures.run_picture_check(
        user=user, check_code="FACE_COMPARE", pictures=pictures_sent, consent_version=CONSENT
    )
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED and kyc.deepfake == DeepfakeStatus.PENDING
    assert deepfake.KEPT_FACE in kyc.result  # encrypted with the result, for the background pass
    singapore.control.clear_faults()
    assert deepfake.screen_pending() == 1
    kyc.refresh_from_db()
    assert kyc.deepfake == DeepfakeStatus.FLAGGED and deepfake.KEPT_FACE not in kyc.result
    assert singapore.control.calls("CheckResult") == []  # a check from pictures has no face at the provider to ask
    assert len(flags) == 1


def test_the_step_up_from_a_picture_is_screened_too(step_up, verified, user, monkeypatch):
    """Every passed check from pictures with a face is screened, the step-up included (a still picture is the
    path the docs call injectable): here with the screening's region rule set aside (it runs in Singapore)."""

    screened = []
    monkeypatch.setattr(deepfake, "wants_screening", lambda kyc, passed: passed)
    monkeypatch.setattr(deepfake, "screen", lambda kyc, **kw: screened.append((kyc.purpose, kw)))
    verified(user, "ada")
    kyc = reverify_from_picture(user=user, face=face("ada"), consent_version=CONSENT)
    assert kyc.status == Status.PASSED and kyc.deepfake == DeepfakeStatus.PENDING
    [(purpose, arguments)] = screened
    assert purpose == Purpose.REVERIFY and arguments["face"]  # the picture at hand, no second fetch
