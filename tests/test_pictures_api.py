"""The checks from pictures through the HTTP API, against the simulator over real HTTP: answers, refusals, consent,
metadata stripping, the ledger's record."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from PIL import Image

from django_ekyc.models import Consent, EventKind, KycTransaction, Status
from tests.helpers import throttle_rates

from .picture_support import (
    CHECKS_URL,
    CONSENT,
    CONSENTS_URL,
    HONG_KONG_CHECKS,
    as_base64,
    document,
    face,
    offering,
    sent_picture,
    upload,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(simulator):
    with offering(simulator):
        yield simulator


def post_check(api, check: str, fmt: str = "multipart", **fields):
    body = {"check": check, "consent": CONSENT, **fields}
    if fmt == "json":
        body = {name: as_base64(value) if isinstance(value, bytes) else value for name, value in body.items()}
        return api.post(CHECKS_URL, body, format="json")
    body = {name: upload(f"{name}.png", value) if isinstance(value, bytes) else value for name, value in body.items()}
    return api.post(CHECKS_URL, body, format="multipart")


def test_a_face_comparison_from_uploads_passes_and_is_recorded(api, site, user, completed_signals):
    response = post_check(api, "FACE_COMPARE", face=face("alice"), reference=face("alice"))
    assert response.status_code == 201, response.content
    body = response.json()
    kyc = KycTransaction.objects.get()
    assert (body["id"], body["status"], body["passed"], body["channel"]) == (
        str(kyc.public_id),
        "passed",
        True,
        "server",
    )
    assert kyc.user == user and kyc.product_code == "FACE_COMPARE" and kyc.transaction_id
    assert kyc.result_part("scores")["comparison_score"] >= 88
    # One provider call, one move from created: the ledger's history.
    events = list(kyc.events.values_list("kind", "action", "from_status", "to_status"))
    assert events == [
        (EventKind.PROVIDER_CALL, "FaceCompare", "", ""),
        (EventKind.STATE_CHANGE, "", "created", "passed"),
    ]
    assert [call["passed"] for call in completed_signals.calls] == [True]
    consent = Consent.objects.get()
    assert kyc.consent == consent and (consent.purpose, consent.version, consent.check_code) == (
        "pictures",
        CONSENT,
        "FACE_COMPARE",
    )
    assert len(consent.text_sha256) == 64 and consent.withdrawn_at is None


def test_base64_in_json_works_as_uploads_do_and_two_people_differ(api, site):
    response = post_check(api, "FACE_COMPARE", fmt="json", face=face("alice"), reference=face("bob"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["passed"], body["error_code"]) == ("failed", False, "faces_differ")
    assert "did not match" in body["message"]


def test_a_data_url_is_read_as_base64(api, site):
    picture = "data:image/png;base64," + as_base64(face("alice"))
    body = {"check": "FACE_COMPARE", "consent": CONSENT, "face": picture, "reference": as_base64(face("alice"))}
    assert api.post(CHECKS_URL, body, format="json").status_code == 201


def test_a_document_is_read_and_its_facts_answered_to_its_user(api, site):
    response = post_check(api, "ID_OCR_MAX", document=document("alice", "GLB03002"), doc_type="GLB03002")
    assert response.status_code == 201, response.content
    body = response.json()
    kyc = KycTransaction.objects.get()
    assert body["status"] == "passed" and body["document"]["number"] == kyc.document.number
    assert kyc.document.number and kyc.doc_type == "GLB03002"


def test_document_and_face_in_one_call_count_where_a_guard_names_them(api, site, user):
    from django_ekyc.services import is_verified

    response = post_check(
        api, "eKYC_MIN", document=document("alice", "01000000"), face=face("alice"), doc_type="01000000"
    )
    assert response.status_code == 201, response.content
    assert response.json()["passed"] is True
    assert is_verified(user, product="eKYC_MIN")
    assert not is_verified(user)  # a still picture never counts as "verified" unless a guard names the check


def test_metadata_is_stripped_before_sending(api, site):
    original = Image.open(io.BytesIO(face("alice")))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: a place
    with_exif = io.BytesIO()
    original.save(with_exif, "PNG", exif=exif, pnginfo=_text_chunk("Comment", "taken at home"))
    assert b"SecretCam" in with_exif.getvalue() and b"taken at home" in with_exif.getvalue()
    response = post_check(api, "FACE_COMPARE", face=with_exif.getvalue(), reference=face("alice"))
    assert response.status_code == 201 and response.json()["passed"] is True  # the pixels (its person) survive
    sent = sent_picture(site, "FaceCompare", "SourceFacePicture")
    assert b"SecretCam" not in sent and b"taken at home" not in sent and b"eXIf" not in sent
    assert not Image.open(io.BytesIO(sent)).getexif()


def _text_chunk(key: str, value: str):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


def _big_noise_png(side: int) -> bytes:
    import random

    rng = random.Random(7)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480)).save(out, "GIF")
    return out.getvalue()


def _small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 80)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"face": b"GIF89a not really", "reference": None}, "face", "picture_not_an_image"),
        ({"face": b"just text, named .png", "reference": None}, "face", "picture_not_an_image"),
        ({"face": None, "reference": None, "_gif": True}, "face", "picture_format"),
        ({"face": None, "reference": None, "_small": True}, "face", "picture_dimensions"),
        ({"face": None, "reference": None, "_large": True}, "face", "picture_too_large"),
        ({"reference": None}, "face", "picture_required"),
        ({"face": None, "reference": None, "check": "NOT_A_CHECK"}, "check", "check_not_offered"),
        ({"face": None, "reference": None, "check": "FACE_DEEPFAKE"}, "check", "check_not_offered"),
        ({"face": None, "reference": None, "consent": ""}, "consent", "consent_required"),
        ({"face": None, "reference": None, "consent": "2001-01-01"}, "consent", "consent_outdated"),
        ({"face": None, "reference": None, "doc_type": "GLB03002"}, "doc_type", "doc_type_not_applicable"),
    ],
)
def test_bad_input_is_refused_before_anything_is_saved_or_sent(api, site, fields, field, code):
    fields = dict(fields)
    pictures = {"face": face("alice"), "reference": face("alice")}
    if fields.pop("_gif", False):
        pictures["face"] = _gif()
    if fields.pop("_small", False):
        pictures["face"] = _small_png()
    if fields.pop("_large", False):
        pictures["face"] = _big_noise_png(1000)  # ~3 MB of noise: over FaceCompare's 0.6 MB
    for name, value in list(fields.items()):
        if value is None:
            fields.pop(name)
        elif name in pictures:
            pictures[name] = value
    if "face" not in fields and field == "face" and code == "picture_required":
        pictures.pop("face")
    body = {"check": "FACE_COMPARE", "consent": CONSENT, **pictures, **fields}
    body = {name: upload(f"{name}.png", value) if isinstance(value, bytes) else value for name, value in body.items()}
    response = api.post(CHECKS_URL, body, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request"
    assert [error["code"] for error in response.json()["fields"][field]] == [code]
    assert not KycTransaction.objects.exists() and not Consent.objects.exists()
    assert site.control.calls() == []


def test_bad_base64_is_refused(api, site):
    body = {"check": "FACE_COMPARE", "consent": CONSENT, "face": "not base64!!", "reference": "also not"}
    response = api.post(CHECKS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["face"][0]["code"] == "picture_not_base64"
    assert site.control.calls() == []


def test_a_picture_the_provider_refuses_answers_its_code_and_fails_the_attempt(api, site, completed_signals):
    response = post_check(api, "FACE_COMPARE", face=face(None), reference=face("alice"))  # no face in it
    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["code"], body["provider_code"]) == ("picture_refused", "NoFaceDetected")
    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.passed, kyc.error_code) == (Status.FAILED, False, "NoFaceDetected")
    assert body["transaction"]["status"] == "failed"
    assert [call["passed"] for call in completed_signals.calls] == [False]


def test_a_provider_fault_keeps_the_attempt_and_its_history(api, site):
    site.control.add_fault("unavailable", action="FaceCompare", count=-1)
    response = post_check(api, "FACE_COMPARE", face=face("alice"), reference=face("alice"))
    assert response.status_code == 503 and response.json()["code"] == "provider_unavailable"
    kyc = KycTransaction.objects.get()
    assert kyc.status == Status.ERROR and kyc.consent is not None and kyc.error_code == "ServiceUnavailable"
    assert kyc.events.filter(kind=EventKind.PROVIDER_CALL, action="FaceCompare").exists()
    assert response.json()["transaction"]["status"] == "error"


def test_a_check_is_never_sent_twice(api, site):
    """No retry once a billed call may have reached the provider: a dropped answer is an error, not a second call."""
    site.control.add_fault("drop", action="FaceCompare")
    response = post_check(api, "FACE_COMPARE", face=face("alice"), reference=face("alice"))
    assert response.status_code == 503
    assert len(site.control.calls("FaceCompare")) == 1
    assert KycTransaction.objects.get().status == Status.ERROR


def test_the_daily_budget_refuses_in_words_and_sends_nothing(api, simulator):
    with offering(simulator, PICTURE_CHECK_DAILY_LIMIT=2):
        for _ in range(2):
            assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
        response = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"))
    assert response.status_code == 429 and response.json()["code"] == "daily_limit_reached"
    assert "a day" in response.json()["detail"]
    assert KycTransaction.objects.count() == 2 and len(simulator.control.calls("FaceCompare")) == 2


def test_the_check_throttle_has_its_own_scope(api, site):
    with throttle_rates(check="1/hour"):
        assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
        response = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"))
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_signed_out_users_run_no_check(site):
    from rest_framework.test import APIClient

    response = APIClient().post(CHECKS_URL, {"check": "FACE_COMPARE"}, format="json")
    assert response.status_code in (401, 403)
    assert site.control.calls() == []


def test_the_consent_texts_are_served_and_withdrawal_stops_reuse(api, site, user):
    texts = api.get(CONSENTS_URL).json()["texts"]
    assert texts[0]["purpose"] == "pictures" and texts[0]["version"] == CONSENT and "Alibaba Cloud" in texts[0]["text"]
    assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
    given = api.get(CONSENTS_URL).json()["given"]
    assert [entry["check"] for entry in given] == ["FACE_COMPARE"]
    withdrawn = api.delete(f"{CONSENTS_URL}?purpose=pictures")
    assert withdrawn.json() == {"purpose": "pictures", "withdrawn": 1}
    assert api.get(CONSENTS_URL).json()["given"] == []
    assert Consent.objects.get().withdrawn_at is not None
    assert KycTransaction.objects.get().consent.withdrawn_at is not None  # the check keeps its record
    assert api.delete(f"{CONSENTS_URL}?purpose=nope").json()["fields"]["purpose"][0]["code"] == "unknown_purpose"


def test_a_site_words_its_own_consent_text(api, simulator):
    own = {"pictures": {"version": "shop-7", "text": "Our words."}}
    with offering(simulator, CONSENT_TEXTS=own):
        assert api.get(CONSENTS_URL).json()["texts"][0]["text"] == "Our words."
        stale = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"))
        assert stale.json()["fields"]["consent"][0]["code"] == "consent_outdated"
        fresh = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"), consent="shop-7")
    assert fresh.status_code == 201
    assert Consent.objects.get().version == "shop-7"


def test_without_pillow_the_endpoint_says_what_is_missing(api, site, monkeypatch):
    monkeypatch.setattr("django_ekyc.api.pictures.imaging_available", lambda: False)
    response = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"))
    assert response.status_code == 503 and response.json()["code"] == "imaging_unavailable"
    assert "django-ekyc[pictures]" in response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_django_upload_limits_apply_to_base64_bodies(api, site):
    response = post_check(api, "FACE_COMPARE", fmt="json", face=face("a"), reference=face("a"))
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert site.control.calls() == []


def test_a_data_url_without_its_comma_is_bad_base64(api, site):
    body = {"check": "FACE_COMPARE", "consent": CONSENT, "face": "data:image/png;base64", "reference": "x"}
    response = api.post(CHECKS_URL, body, format="json")
    assert response.json()["fields"]["face"][0]["code"] == "picture_not_base64"


def test_a_user_who_ran_checks_can_be_deleted(api, site, user):
    assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
    user.delete()  # an erasure: the check and its consent stay, without the user, until their own retention ends
    kyc, consent = KycTransaction.objects.get(), Consent.objects.get()
    assert kyc.user_id is None and consent.user_id is None and kyc.consent_id == consent.pk
    assert kyc.result is None and kyc.merchant_user_id == consent.subject_reference


def test_a_site_that_cannot_call_the_provider_saves_nothing(api, simulator):
    with offering(simulator, ACCESS_KEY_ID="", ACCESS_KEY_SECRET="", ENDPOINT=None):
        response = post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a"))
    assert response.status_code == 503 and response.json()["code"] == "not_configured"
    assert not KycTransaction.objects.exists() and not Consent.objects.exists()


def test_staff_see_the_check_with_its_consent_and_scores_and_cannot_edit_consents(api, site, client, django_user_model):
    assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
    kyc = KycTransaction.objects.get()
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    page = client.get(f"/admin/django_ekyc/kyctransaction/{kyc.pk}/change/").content.decode()
    assert f"pictures v{CONSENT}" in page and "comparison_score" in page
    assert "The site&#x27;s pictures (server-side)" in page or "server-side" in page
    listing = client.get("/admin/django_ekyc/kyctransaction/?channel__exact=server").content.decode()
    assert str(kyc.public_id)[:8] in listing
    consent = Consent.objects.get()
    assert client.get(f"/admin/django_ekyc/consent/{consent.pk}/change/").status_code == 200
    assert client.post(f"/admin/django_ekyc/consent/{consent.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Consent.objects.filter(pk=consent.pk).exists()
    assert client.get("/admin/django_ekyc/consent/add/").status_code == 403


def test_a_picture_the_site_holds_is_searched_for_other_accounts(simulator, library, verified, other_user, user):
    """The library search on a picture is the site's own call: a duplicate person is recorded as the hosted flow
    records one, and the answer carries nothing the user could read it from."""
    from django_ekyc.models import DuplicateMatch, FaceStatus
    from django_ekyc.services.picture_duplicates import check_duplicates
    from django_ekyc.signals import duplicate_person_found

    found = []
    duplicate_person_found.connect(lambda sender, **kwargs: found.append(kwargs), weak=False, dispatch_uid="dup-t")
    try:
        theirs = verified(other_user, "eve")  # eve's face is in the library, for the other account
        with offering(simulator, [*HONG_KONG_CHECKS, "FACE_IDU_MIN"], FACE_LIBRARY=library_code()):
            clean = check_duplicates(user=user, face=face("ada"), consent_version=CONSENT)
            dup = check_duplicates(user=user, face=face("eve"), consent_version=CONSENT)
    finally:
        duplicate_person_found.disconnect(dispatch_uid="dup-t")
    assert (clean.status, dup.status, dup.error_code) == (Status.PASSED, Status.FAILED, "")
    assert dup.face_status == FaceStatus.DUPLICATE and clean.face_status == FaceStatus.NOT_REGISTERED
    matched = DuplicateMatch.objects.filter(transaction=dup).values_list("matched_transaction", flat=True)
    assert list(matched) == [theirs.pk]
    assert [entry["transaction"] for entry in found] == [dup]
    [search] = simulator.control.calls("FaceVerifyIntl")[-1:]
    assert search["params"]["AutoRegistration"] == "1"  # a still picture registers no face


def test_the_library_search_is_not_a_request_of_the_user(api, simulator, library):
    """Anyone can upload a stranger's photo: through the API, the answer would tell whether the stranger has an
    account here, and flag it. Refused, nothing sent."""
    with offering(simulator, [*HONG_KONG_CHECKS, "FACE_IDU_MIN"], FACE_LIBRARY=library_code()):
        calls = len(simulator.control.calls())
        response = post_check(api, "FACE_IDU_MIN", face=face("eve"))
    assert response.json()["fields"]["check"][0]["code"] == "check_not_offered"
    assert len(simulator.control.calls()) == calls and not KycTransaction.objects.exists()


def library_code() -> str:
    from tests.face_support import LIBRARY

    return LIBRARY


def test_a_body_larger_than_any_check_needs_is_refused_unread(api, site):
    from django_ekyc.api.pictures import MAX_CHECK_BODY

    huge = upload("face.png", b"\x00" * (MAX_CHECK_BODY + 1))
    response = api.post(CHECKS_URL, {"check": "FACE_COMPARE", "consent": CONSENT, "face": huge}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert site.control.calls() == [] and not KycTransaction.objects.exists()


def test_pictures_are_kept_only_with_store_images_and_purged_with_the_result(api, simulator):
    from django_ekyc.services import purge_identity_data

    with offering(simulator, STORE_IMAGES=True):
        assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
    kept = KycTransaction.objects.get()
    assert set(kept.result["pictures"]) == {"face", "reference"}
    purge_identity_data(kept)
    kept.refresh_from_db()
    assert kept.result is None and kept.identity_purged_at is not None
    with offering(simulator):
        assert post_check(api, "FACE_COMPARE", face=face("a"), reference=face("a")).status_code == 201
    assert "pictures" not in KycTransaction.objects.latest("id").result
