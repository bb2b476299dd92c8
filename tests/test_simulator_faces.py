"""The simulator's persons, face libraries and face products, as the provider documents them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_ekyc.catalogue.products import FACE_LIBRARY_REGIONS
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.client import EkycClient
from django_ekyc.exceptions import EkycBadRequest, EkycError
from django_ekyc.results import InitializeResult, VerificationResult
from django_ekyc.simulator import Simulator
from django_ekyc.simulator.data import face_picture, person_in

from .helpers import META_INFO

GROUP = "simgroup01"


@pytest.fixture
def group(simulator):
    simulator.control.create_face_group(GROUP)
    return GROUP


def start(ekyc_client: EkycClient, product_code: str, **extra: str) -> InitializeResult:
    return ekyc_client.initialize(
        product_code=product_code,
        merchant_biz_id="simfaces0001",
        merchant_user_id="user-key-1",
        meta_info=META_INFO,
        parameters={"ReturnUrl": "https://shop.example/ekyc/return/tok/", **extra},
    )


def check(ekyc_client: EkycClient, transaction_id: str) -> VerificationResult:
    return ekyc_client.check_result(merchant_biz_id="simfaces0001", transaction_id=transaction_id, is_return_image=True)


def test_a_face_picture_names_its_person():
    assert person_in(face_picture("alice")) == "alice"
    assert person_in(face_picture("bob")) != person_in(face_picture("alice"))
    assert person_in("not base64 at all!") is None
    assert person_in("aGVsbG8=") is None  # base64, not a PNG


def test_a_completion_names_who_did_it_and_defaults_to_a_new_person(simulator, ekyc_client):
    first = start(ekyc_client, "FACE_LIVENESS_PRO")
    second = start(ekyc_client, "FACE_LIVENESS_PRO")
    assert simulator.control.complete(first.transaction_id, "pass", person="alice")["person"] == "alice"
    stranger = simulator.control.complete(second.transaction_id, "pass")["person"]
    assert stranger != "alice"
    assert person_in(check(ekyc_client, first.transaction_id).face_image or "") == "alice"
    assert person_in(check(ekyc_client, second.transaction_id).face_image or "") == stranger


@pytest.mark.parametrize(("product_code", "doc_type"), [("eKYC", "01000000"), ("eKYC_PRO", "GLB03002")])
def test_a_person_shows_their_own_document_unless_another_is_named(simulator, ekyc_client, product_code, doc_type):
    def read(person: str, document: str | None = None) -> dict[str, str]:
        started = start(ekyc_client, product_code, DocType=doc_type)
        simulator.control.complete(started.transaction_id, "pass", person=person, document=document)
        return dict(check(ekyc_client, started.transaction_id).ext_id_info["ocrIdInfo"])

    ada = read("ada")
    assert read("ada") == ada  # the same person, the same document: name and number
    assert read("ada", document="forged") != ada
    assert read("mallory", document="forged") == read("ada", document="forged")
    assert read("mallory") != ada


def test_the_hosted_page_asks_who_is_in_front_of_the_camera(simulator, ekyc_client):
    started = start(ekyc_client, "eKYC", DocType="01000000")
    with requests.Session() as browser:
        page = browser.get(started.transaction_url, timeout=5)
        assert "name='person'" in page.text
        token = parse_qs(urlsplit(started.transaction_url).query)["clientcfg"][0]
        browser.post(
            f"{simulator.url}/1.0.0/submit",
            data={"clientcfg": token, "outcome": "pass", "person": "carol"},
            allow_redirects=False,
            timeout=5,
        )
    assert simulator.control.transaction(started.transaction_id)["person"] == "carol"


def test_face_verify_compares_with_the_supplied_picture(simulator, ekyc_client):
    same = start(ekyc_client, "FACE_VERIFY", FacePictureBase64=face_picture("alice"))
    other = start(ekyc_client, "FACE_VERIFY", FacePictureBase64=face_picture("alice"))
    assert simulator.control.complete(same.transaction_id, "pass", person="alice")["passed"] is True
    # the callback's verdict and CheckResult's agree: the comparison failed
    assert simulator.control.complete(other.transaction_id, "pass", person="bob")["passed"] is False
    passed, failed = check(ekyc_client, same.transaction_id), check(ekyc_client, other.transaction_id)
    assert (passed.passed, passed.sub_code) == (True, "200") and (passed.face_comparison_score or 0) > 80
    assert (failed.passed, failed.sub_code) == (False, "204") and (failed.face_comparison_score or 100) < 50


@pytest.mark.parametrize(
    ("extra", "code"),
    [({}, "MissingParameter"), ({"FacePictureBase64": "aGVsbG8="}, "InvalidParameter")],
)
def test_face_verify_needs_a_face_to_compare_with(ekyc_client, extra, code):
    with pytest.raises(EkycBadRequest) as caught:
        start(ekyc_client, "FACE_VERIFY", **extra)
    assert caught.value.code == code


def test_face_idu_searches_the_library_and_registers_a_new_face(simulator, ekyc_client, group):
    search = {"VerifyModel": "0", "FaceGroupCodes": group, "ReturnFaces": "5"}
    first = start(ekyc_client, "FACE_IDU", **search, AutoRegistration="0", FaceRegisterGroupCode=group)
    simulator.control.complete(first.transaction_id, "pass", person="alice")
    found = check(ekyc_client, first.transaction_id)
    assert found.passed and found.face_matches == () and found.ext_face_info["faceRegistrationResult"] == 1
    again = start(ekyc_client, "FACE_IDU", **search, AutoRegistration="1")
    simulator.control.complete(again.transaction_id, "pass", person="alice")
    [match] = check(ekyc_client, again.transaction_id).face_matches
    assert (match.face_group, match.merchant_user_id) == (group, "user-key-1")
    [face] = simulator.control.face_groups()[group]
    assert face["person"] == "alice" and face["registration_type"] == "AUTO"


def test_a_liveness_attack_searches_nothing(simulator, ekyc_client, group):
    started = start(ekyc_client, "FACE_IDU", VerifyModel="0", FaceGroupCodes=group, AutoRegistration="0",
                     FaceRegisterGroupCode=group)  # fmt: skip
    simulator.control.complete(started.transaction_id, "liveness_attack", person="alice")
    assert check(ekyc_client, started.transaction_id).sub_code == "205"
    assert simulator.control.face_groups()[group] == []


@pytest.mark.parametrize(
    ("extra", "parameter"),
    [
        ({"VerifyModel": "0"}, "FaceGroupCodes"),
        ({"VerifyModel": "0", "FaceGroupCodes": "nosuchgroup"}, "FaceGroupCodes"),
        ({"VerifyModel": "0", "FaceGroupCodes": GROUP, "ReturnFaces": "6"}, "ReturnFaces"),
        ({"VerifyModel": "0", "FaceGroupCodes": GROUP, "AutoRegistration": "0"}, "FaceRegisterGroupCode"),
        ({"VerifyModel": "3"}, "VerifyModel"),
    ],
)
def test_face_idu_parameters_are_checked(ekyc_client, group, extra, parameter):
    with pytest.raises(EkycBadRequest) as caught:
        start(ekyc_client, "FACE_IDU", **extra)
    assert parameter in caught.value.message


def test_the_library_operations(simulator, ekyc_client, group):
    for key, person in (("user-a", "alice"), ("user-b", "bob")):
        assert ekyc_client.add_face_record(face_group=group, merchant_user_id=key, face_picture=face_picture(person))
    page = ekyc_client.query_face_records(face_group=group, page_size=1)
    assert page.total == 2 and len(page.records) == 1
    assert ekyc_client.query_face_records(face_group=group, merchant_user_id="user-b").records[0].face_id
    found = ekyc_client.search_face(
        merchant_biz_id="simfaces0002",
        merchant_user_id="user-c",
        face_picture=face_picture("bob"),
        face_groups=[group],
        register_into=group,
    )
    assert [m.merchant_user_id for m in found.matches] == ["user-b"] and not found.registered
    new = ekyc_client.search_face(
        merchant_biz_id="simfaces0003",
        merchant_user_id="user-c",
        face_picture=face_picture("carol"),
        face_groups=[group],
        register_into=group,
    )
    assert new.matches == () and new.registered and new.registration_id
    deleted = ekyc_client.delete_face_records(merchant_user_id="user-b")  # from every library
    assert deleted.deleted and deleted.groups == (group,)
    assert not ekyc_client.delete_face_records(merchant_user_id="user-b").deleted  # nothing left to delete
    assert sorted(face["person"] for face in simulator.control.face_groups()[group]) == ["alice", "carol"]


def test_library_limits_are_checked(ekyc_client, group):
    with pytest.raises(EkycBadRequest) as caught:
        ekyc_client.call(
            "AddFaceRecord",
            {"ProductCode": "FACE_ENROLL", "FaceGroupCode": group, "FacePicture": face_picture("a"),
             "MerchantUserId": "x" * 33},
            idempotent=False,
        )  # fmt: skip
    assert "MerchantUserId" in caught.value.message
    with pytest.raises(ValueError, match="32"):
        ekyc_client.add_face_record(face_group=group, merchant_user_id="x" * 33, face_picture=face_picture("a"))
    with pytest.raises(ValueError, match="10"):
        ekyc_client.search_face(
            merchant_biz_id="b", merchant_user_id="u", face_picture="p", face_groups=[f"g{i}" for i in range(11)]
        )


def test_a_reset_empties_the_libraries_but_keeps_them(simulator, ekyc_client, group):
    ekyc_client.add_face_record(face_group=group, merchant_user_id="user-a", face_picture=face_picture("alice"))
    simulator.control.reset()
    assert simulator.control.face_groups()[group] == []


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_face_libraries_live_where_the_catalogue_says(region):
    """Face libraries live in the catalogue's FACE_LIBRARY_REGIONS (Hong Kong, Singapore, Jakarta and Kuala Lumpur:
    the ja FACE_IDU_MIN page, 2026-04, lists Kuala Lumpur); Frankfurt and Silicon Valley have endpoints and none of
    them, so every face library operation is refused there."""
    with (
        Simulator({"id": "secret"}, region=region, face_groups=[GROUP]) as sim,
        EkycClient(access_key_id="id", access_key_secret="secret", endpoint=sim.url, max_retries=0) as client,
    ):
        calls: list[Callable[[], object]] = [
            lambda: client.search_face(
                merchant_biz_id="b", merchant_user_id="u", face_picture=face_picture("a"), face_groups=[GROUP]
            ),
            lambda: client.add_face_record(face_group=GROUP, merchant_user_id="u", face_picture=face_picture("a")),
            lambda: client.query_face_records(face_group=GROUP),
            lambda: client.delete_face_records(merchant_user_id="u"),
        ]
        for call in calls:
            if region in FACE_LIBRARY_REGIONS:
                call()
                continue
            with pytest.raises(EkycError) as caught:
                call()
            assert (caught.value.status, caught.value.code) == (403, "Forbidden.RegionNotSupported")
    assert ("ap-southeast-3" in FACE_LIBRARY_REGIONS) and ("eu-central-1" not in FACE_LIBRARY_REGIONS)


def test_a_face_group_code_is_checked(simulator):
    answer = requests.post(f"{simulator.url}/_sim/face-groups", json={"code": "no spaces"}, timeout=5)
    assert answer.status_code == 400


ELEVEN_GROUPS = [f"g{i}" for i in range(11)]


@pytest.mark.parametrize(
    ("action", "params", "parameter"),
    [
        ("FaceVerifyIntl", {"ProductCode": "FACE_X"}, "ProductCode"),
        ("FaceVerifyIntl", {"VerifyModel": "7"}, "VerifyModel"),
        (
            "FaceVerifyIntl",
            {
                "VerifyModel": "0",
                "FaceGroupCodes": ",".join(f"g{i}" for i in range(11)),
                "FaceRegisterGroupCode": GROUP,
            },
            "FaceGroupCodes",
        ),
        (
            "FaceVerifyIntl",
            {"VerifyModel": "0", "FaceGroupCodes": GROUP, "AutoRegistration": "2", "FaceRegisterGroupCode": GROUP},
            "AutoRegistration",
        ),
        ("FaceVerifyIntl", {"SourceFacePicture": "aGVsbG8="}, "SourceFacePicture"),
        ("AddFaceRecord", {"ProductCode": "FACE_IDU"}, "ProductCode"),
        ("QueryFaceRecord", {"CurrentPage": "0"}, "CurrentPage"),
        ("DeleteFaceRecordV2", {"FaceGroupCode": "nosuchgroup"}, "FaceGroupCode"),
    ],
)
def test_face_operations_check_their_parameters(ekyc_client, group, action, params, parameter):
    base = {
        "FaceVerifyIntl": {
            "ProductCode": "FACE_IDU_MIN",
            "MerchantBizId": "b1",
            "MerchantUserId": "u1",
            "SourceFacePicture": face_picture("a"),
            "VerifyModel": "0",
            "FaceGroupCodes": group,
            "FaceRegisterGroupCode": group,
            "AutoRegistration": "1",
            "ReturnFaces": "1",
        },
        "AddFaceRecord": {"ProductCode": "FACE_ENROLL", "FaceGroupCode": group, "FacePicture": face_picture("a")},
        "QueryFaceRecord": {"FaceGroupCode": group, "CurrentPage": "1", "PageSize": "10"},
        "DeleteFaceRecordV2": {"MerchantUserId": "u1"},
    }[action]
    with pytest.raises(EkycBadRequest) as caught:
        ekyc_client.call(action, {**base, **params}, idempotent=True)
    assert parameter in caught.value.message


def test_a_one_to_one_comparison_and_a_picture_by_url(simulator, ekyc_client):
    same = ekyc_client.call(
        "FaceVerifyIntl",
        {
            "ProductCode": "FACE_VERIFY_MIN",
            "MerchantBizId": "b2",
            "VerifyModel": "1",
            "SourceFacePicture": face_picture("alice"),
            "TargetFacePicture": face_picture("alice"),
        },
        idempotent=False,
    )["Result"]
    assert same["FacePassed"] == "Y" and same["FaceComparisonScore"] > 80
    by_url = start(ekyc_client, "FACE_VERIFY", FacePictureUrl="https://shop.example/face.jpg")
    simulator.control.complete(by_url.transaction_id, "pass", person="alice")
    assert check(ekyc_client, by_url.transaction_id).sub_code == "204"  # a picture it cannot fetch matches nobody


def test_a_person_label_is_bounded(simulator, ekyc_client):
    started = start(ekyc_client, "FACE_LIVENESS_PRO")
    answer = requests.post(
        f"{simulator.url}/_sim/transactions/{started.transaction_id}/complete",
        json={"outcome": "pass", "person": "x" * 65},
        timeout=5,
    )
    assert answer.status_code == 400


def test_the_client_checks_a_search_before_sending(ekyc_client):
    for kwargs in ({"return_faces": 6}, {"face_picture": ""}):
        with pytest.raises(ValueError, match=r"return_faces|SourceFacePicture"):
            ekyc_client.search_face(
                **{"merchant_biz_id": "b", "merchant_user_id": "u", "face_picture": "p", "face_groups": ["g"], **kwargs}
            )


def test_an_unreadable_answer_is_a_malformed_response(simulator, ekyc_client, group):
    from django_ekyc.exceptions import EkycMalformedResponse

    simulator.control.add_fault("malformed", action="QueryFaceRecord")
    with pytest.raises(EkycMalformedResponse):
        ekyc_client.query_face_records(face_group=group)


def search(client: EkycClient, group: str, person: str, **options):
    return client.search_face(
        merchant_biz_id="simfaces0009", merchant_user_id="user-z", face_picture=face_picture(person),
        face_groups=[group], **options,
    )  # fmt: skip


def test_every_server_side_search_names_the_register_group(simulator, ekyc_client, group):
    """The SDK's FaceVerifyIntl model requires FaceRegisterGroupCode with FACE_IDU_MIN, registering or not."""
    found = search(ekyc_client, group, "dora")
    assert not found.registered
    [call] = simulator.control.calls("FaceVerifyIntl")
    assert (call["params"]["FaceRegisterGroupCode"], call["params"]["AutoRegistration"]) == (group, "1")
    without = {k: v for k, v in call["params"].items() if k != "FaceRegisterGroupCode"}
    with pytest.raises(EkycBadRequest, match="FaceRegisterGroupCode"):
        ekyc_client.call("FaceVerifyIntl", without, idempotent=False)


def test_the_answer_keeps_the_scores_and_the_providers_transaction(ekyc_client, group):
    ekyc_client.add_face_record(face_group=group, merchant_user_id="user-e", face_picture=face_picture("erin"))
    found = search(ekyc_client, group, "erin")
    assert found.transaction_id.startswith("hks") and found.attack_score is not None and not found.attacked
    assert found.quality.overall is not None and found.quality.sharpness is not None and found.quality.illumination
    assert found.quality.key_area_occlusion is not None and found.quality.occlusion is not None
    assert not found.target_quality and found.comparison_score is None  # no reference picture compared
    [match] = found.matches
    assert match.merchant_user_id == "user-e" and match.score is not None and match.score > 80
    compared = ekyc_client.compare_faces(
        merchant_biz_id="simfaces0010", face_picture=face_picture("erin"), reference_picture=face_picture("erin")
    )
    assert compared.passed and compared.comparison_score is not None and compared.comparison_score > 80
    assert compared.target_quality.sharpness is not None and compared.transaction_id != found.transaction_id
    other = ekyc_client.compare_faces(
        merchant_biz_id="simfaces0011", face_picture=face_picture("erin"), reference_picture=face_picture("fred")
    )
    assert (other.passed, other.sub_code) == (False, "204") and (other.comparison_score or 100) < 50


def test_the_search_speaks_the_operation_its_catalogue_entry_names(simulator, ekyc_client, group, monkeypatch):
    """The FACE_IDU_MIN pages disagree (FaceDuplicationCheckIntl in en/zh/ja, FaceVerifyIntl in es 2026-09): the
    catalogue entry decides, and the client and the simulator speak both."""
    import dataclasses

    from django_ekyc.client import faces as client_faces

    entry = dataclasses.replace(client_faces.SEARCH, operation="FaceDuplicationCheckIntl")
    monkeypatch.setattr(client_faces, "SEARCH", entry)
    ekyc_client.add_face_record(face_group=group, merchant_user_id="user-f", face_picture=face_picture("fay"))
    found = search(ekyc_client, group, "fay")
    assert [match.merchant_user_id for match in found.matches] == ["user-f"]
    [call] = simulator.control.calls("FaceDuplicationCheckIntl")
    assert call["params"]["Liveness"] == "0" and "SourceFacePicture" in (call["form"] or {})
    assert simulator.control.calls("FaceVerifyIntl") == []


def test_face_records_page_by_token(ekyc_client, group):
    for index in range(3):
        ekyc_client.add_face_record(
            face_group=group, merchant_user_id=f"user-p{index}", face_picture=face_picture(f"p{index}")
        )
    first = ekyc_client.query_face_records(face_group=group, page_size=2)
    assert (first.total, first.total_pages, len(first.records)) == (3, 2, 2) and first.next_token
    last = ekyc_client.query_face_records(face_group=group, page_size=2, next_token=first.next_token)
    assert len(last.records) == 1 and last.next_token == ""
    assert {r.merchant_user_id for r in first.records + last.records} == {"user-p0", "user-p1", "user-p2"}


# -- FACE_IDU_MIN under either operation ----------------------------------------------------------------------


@pytest.fixture
def duplication_check(monkeypatch):
    """The catalogue entry naming FaceDuplicationCheckIntl, as the en (2026-02), zh and ja pages do."""
    import dataclasses

    from django_ekyc.client import faces as client_faces

    monkeypatch.setattr(client_faces, "SEARCH", dataclasses.replace(client_faces.SEARCH, operation=DUPLICATION))
    return DUPLICATION


DUPLICATION = "FaceDuplicationCheckIntl"


def test_a_search_that_registers_names_its_own_register_group(simulator, ekyc_client, group):
    simulator.control.create_face_group("simgroup02")
    found = search(ekyc_client, group, "gail", register_into="simgroup02")
    assert found.registered and found.registration_id
    [call] = simulator.control.calls("FaceVerifyIntl")
    assert (call["params"]["FaceRegisterGroupCode"], call["params"]["AutoRegistration"]) == ("simgroup02", "0")
    assert [face["person"] for face in simulator.control.face_groups()["simgroup02"]] == ["gail"]
    assert simulator.control.face_groups()[group] == []  # searched there, registered elsewhere


@pytest.mark.parametrize("name", ["AutoRegistration", "FaceGroupCodes", "FaceRegisterGroupCode", "ReturnFaces",
                                  "VerifyModel"])  # fmt: skip
def test_face_verify_intl_requires_what_its_sdk_model_requires_with_face_idu_min(simulator, ekyc_client, group, name):
    search(ekyc_client, group, "hana")
    [call] = simulator.control.calls("FaceVerifyIntl")
    without = {key: value for key, value in call["params"].items() if key != name}
    with pytest.raises(EkycBadRequest) as caught:
        ekyc_client.call("FaceVerifyIntl", without, idempotent=False)
    assert caught.value.code == "MissingParameter" and name in caught.value.message


def test_the_duplication_check_sends_its_own_models_parameters(simulator, ekyc_client, group, duplication_check):
    found = search(ekyc_client, group, "ivan")
    [call] = simulator.control.calls(DUPLICATION)
    sent = call["params"]
    assert (sent["Liveness"], sent["AutoRegistration"], sent["VerifyModel"]) == ("0", "1", "0")
    assert "FaceRegisterGroupCode" not in sent  # its model requires no register group; nothing is registered
    # Placed as its SDK model has it: everything in the body but ProductCode.
    assert set(call["form"]) == set(sent) - {"ProductCode"} and "ProductCode=FACE_IDU_MIN" in call["query"]
    # Passive liveness off: no attack fields, as the model says ("returned only when ... enabled").
    assert "FaceAttack" not in found.raw["Result"] and found.attack_score is None and not found.attacked
    assert found.transaction_id and found.quality.overall is not None and not found.registered


def test_the_duplication_check_registers_and_checks_liveness(simulator, ekyc_client, group, duplication_check):
    first = search(ekyc_client, group, "jane", register_into=group, liveness=True)
    assert first.registered and first.registration_id and first.attack_score is not None
    answer = simulator.control.calls(DUPLICATION)[0]
    assert (answer["params"]["Liveness"], answer["params"]["FaceRegisterGroupCode"]) == ("1", group)
    again = search(ekyc_client, group, "jane", liveness=True)
    [match] = again.matches
    assert match.merchant_user_id == "user-z" and match.score is None  # its model: "the face ID and UserID"
    # Its SDK model types the scores as strings (FaceVerifyIntl's as numbers); both are read the same.
    assert isinstance(again.raw["Result"]["FaceAttackScore"], str) and again.raw["Result"]["FaceAttack"] == "N"
    assert simulator.control.calls("FaceVerifyIntl") == []


def test_liveness_cannot_be_asked_of_face_verify_intl(simulator, ekyc_client, group):
    with pytest.raises(ValueError, match="Liveness"):
        search(ekyc_client, group, "kim", liveness=True)
    assert simulator.control.calls() == []


def test_face_verify_intl_answers_numbers_and_the_duplicates_scores(simulator, ekyc_client, group):
    ekyc_client.add_face_record(face_group=group, merchant_user_id="user-l", face_picture=face_picture("lea"))
    result = search(ekyc_client, group, "lea").raw["Result"]
    assert isinstance(result["FaceAttackScore"], float) and result["FaceAttack"] == "N"
    [entry] = json.loads(result["DuplicateFace"])
    assert set(entry) == {"faceGroupCode", "faceId", "merchantUserId", "score"}
    assert set(result["ExtFaceInfo"]) == {
        "FaceQualityScore", "IlluminationScore", "KaOcclusionScore", "OcclusionScore", "SharpnessScore",
    }  # fmt: skip


# -- the picture's size ---------------------------------------------------------------------------------------


def picture_of(size: int) -> str:
    import base64

    return base64.b64encode(b"\0" * size).decode()


@pytest.mark.parametrize("operation", ["FaceVerifyIntl", DUPLICATION])
def test_a_picture_over_the_catalogue_entrys_limit_is_not_sent(simulator, ekyc_client, group, monkeypatch, operation):
    import dataclasses

    from django_ekyc.client import faces as client_faces

    monkeypatch.setattr(client_faces, "SEARCH", dataclasses.replace(client_faces.SEARCH, operation=operation))
    limit = client_faces.SEARCH.max_picture_bytes
    assert limit == 1024 * 1024  # FACE_IDU_MIN's pages: 1 MB
    with pytest.raises(ValueError, match=f"{limit + 1} bytes"):
        ekyc_client.search_face(
            merchant_biz_id="b", merchant_user_id="u", face_picture=picture_of(limit + 1), face_groups=[group]
        )
    assert simulator.control.calls() == []  # nothing sent


@pytest.mark.parametrize(("size", "sent"), [(999, True), (1000, True), (1001, False)])
def test_the_limit_counts_the_decoded_bytes(simulator, ekyc_client, group, monkeypatch, size, sent):
    """base64 length -> bytes (3 per 4 characters, less the padding): a picture of exactly the limit goes out."""
    import dataclasses

    from django_ekyc.client import faces as client_faces

    monkeypatch.setattr(client_faces, "SEARCH", dataclasses.replace(client_faces.SEARCH, max_picture_bytes=1000))
    picture = picture_of(size)
    assert client_faces.base64_size(picture) == size == client_faces.base64_size(picture[:76] + "\n" + picture[76:])
    if sent:
        with pytest.raises(EkycBadRequest, match="No face"):  # it went out; zeros show nobody
            ekyc_client.search_face(
                merchant_biz_id="b", merchant_user_id="u", face_picture=picture, face_groups=[group]
            )
    else:
        with pytest.raises(ValueError, match="at most 1000"):
            ekyc_client.search_face(
                merchant_biz_id="b", merchant_user_id="u", face_picture=picture, face_groups=[group]
            )
    assert len(simulator.control.calls("FaceVerifyIntl")) == int(sent)


def test_both_pictures_of_a_comparison_are_checked(simulator, ekyc_client):
    with pytest.raises(ValueError, match="TargetFacePicture"):
        ekyc_client.compare_faces(
            merchant_biz_id="b", face_picture=face_picture("a"), reference_picture=picture_of(1024 * 1024 + 1)
        )
    assert simulator.control.calls() == []


# -- QueryFaceRecord's pages ----------------------------------------------------------------------------------


def add_faces(ekyc_client: EkycClient, group: str, count: int) -> set[str]:
    keys = {f"user-q{index}" for index in range(count)}
    for key in sorted(keys):
        ekyc_client.add_face_record(face_group=group, merchant_user_id=key, face_picture=face_picture(key))
    return keys


def test_every_record_is_reached_by_following_the_tokens(ekyc_client, group):
    keys = add_faces(ekyc_client, group, 5)
    pages = [ekyc_client.query_face_records(face_group=group, page_size=2)]
    while pages[-1].next_token:
        pages.append(ekyc_client.query_face_records(face_group=group, page_size=2, next_token=pages[-1].next_token))
    assert [(page.page, len(page.records), page.total_pages, page.total) for page in pages] == [
        (1, 2, 3, 5), (2, 2, 3, 5), (3, 1, 3, 5),
    ]  # fmt: skip
    assert {record.merchant_user_id for page in pages for record in page.records} == keys
    assert all(record.registration_type == "MANUAL" and record.id for page in pages for record in page.records)
    token = pages[0].next_token
    assert not token.isdigit() and "page" not in token and pages[0].page_size == 2  # opaque, not a page number
    # A number still pages as well.
    assert len(ekyc_client.query_face_records(face_group=group, page=3, page_size=2).records) == 1


@pytest.mark.parametrize("token", ["page-2", "not a token", "eyJxIjoiMCIsIm8iOjJ9"])
def test_a_token_the_simulator_did_not_give_for_this_query_is_refused(ekyc_client, group, token):
    add_faces(ekyc_client, group, 3)
    with pytest.raises(EkycBadRequest, match="NextToken"):
        ekyc_client.query_face_records(face_group=group, page_size=1, next_token=token)


def test_a_token_continues_only_its_own_query(ekyc_client, group):
    add_faces(ekyc_client, group, 3)
    first = ekyc_client.query_face_records(face_group=group, page_size=1)
    with pytest.raises(EkycBadRequest, match="NextToken"):
        ekyc_client.query_face_records(
            face_group=group, merchant_user_id="user-q0", page_size=1, next_token=first.next_token
        )


def test_the_client_checks_a_page_before_sending(simulator, ekyc_client, group):
    for page, size in ((0, 10), (1, 0)):
        with pytest.raises(ValueError, match="page"):
            ekyc_client.query_face_records(face_group=group, page=page, page_size=size)
    assert simulator.control.calls() == []


# -- the official SDK as a client -----------------------------------------------------------------------------


def sdk_for(simulator: Any) -> tuple[Any, Any]:
    from tests.test_conformance import NO_RETRIES, sdk_client

    return sdk_client(simulator), NO_RETRIES


def test_the_sdk_registers_and_finds_a_face_through_the_duplication_check(simulator, ekyc_client, group):
    from alibabacloud_cloudauth_intl20220809 import models as sdk_models

    from django_ekyc.results import FaceSearchResult

    sdk, runtime = sdk_for(simulator)

    def check(user: str, register: bool, liveness: str) -> sdk_models.FaceDuplicationCheckIntlResponseBody:
        request = sdk_models.FaceDuplicationCheckIntlRequest(
            product_code="FACE_IDU_MIN", merchant_biz_id="sdkdup0002", merchant_user_id=user, verify_model="0",
            face_group_codes=group, auto_registration="0" if register else "1", return_faces="5",
            face_register_group_code=group if register else None, liveness=liveness,
            source_face_picture=face_picture("mona"),
        )  # fmt: skip
        return sdk.face_duplication_check_intl_with_options(request, runtime).body

    registered = check("sdk-mona", register=True, liveness="0").result
    assert (registered.face_registration_result, registered.face_passed) == (1, "Y") and registered.face_registration_id
    assert registered.face_attack is None and registered.ext_face_info.face_quality_score is not None
    found = check("sdk-other", register=False, liveness="1")
    assert found.result.face_attack == "N" and isinstance(found.result.face_attack_score, str)
    ours = FaceSearchResult.from_response(found.to_map())
    assert [match.merchant_user_id for match in ours.matches] == ["sdk-mona"]
    assert ours.attack_score == float(found.result.face_attack_score)
    assert ours.quality.sharpness == found.result.ext_face_info.sharpness_score
    # What our client reads of the same search, under the same operation.
    [face] = simulator.control.face_groups()[group]
    assert face["merchant_user_id"] == "sdk-mona" and face["registration_type"] == "AUTO"


def test_the_sdk_meets_the_duplication_checks_required_parameters(simulator, group):
    from alibabacloud_cloudauth_intl20220809 import models as sdk_models
    from alibabacloud_tea_openapi.exceptions import ClientException

    sdk, runtime = sdk_for(simulator)
    request = sdk_models.FaceDuplicationCheckIntlRequest(
        product_code="FACE_IDU_MIN", merchant_biz_id="sdkdup0003", verify_model="0", face_group_codes=group,
        source_face_picture=face_picture("nina"),
    )  # fmt: skip
    with pytest.raises(ClientException) as caught:
        sdk.face_duplication_check_intl_with_options(request, runtime)
    assert (caught.value.code, "MerchantUserId" in caught.value.message) == ("MissingParameter", True)
    request.merchant_user_id, request.liveness = "sdk-nina", "2"
    with pytest.raises(ClientException) as caught:
        sdk.face_duplication_check_intl_with_options(request, runtime)
    assert caught.value.code == "InvalidParameter" and "Liveness" in caught.value.message


def test_the_sdk_pages_face_records_by_token(simulator, ekyc_client, group):
    from alibabacloud_cloudauth_intl20220809 import models as sdk_models
    from alibabacloud_tea_openapi.exceptions import ClientException

    keys = add_faces(ekyc_client, group, 5)
    sdk, runtime = sdk_for(simulator)
    seen, token, pages = [], None, 0
    while True:
        page = sdk.query_face_record_with_options(
            sdk_models.QueryFaceRecordRequest(face_group_code=group, current_page=1, page_size=2, next_token=token),
            runtime,
        ).body
        pages += 1
        assert (page.total_count, page.total_page, page.page_size, page.current_page) == (5, 3, 2, pages)
        seen += [item.merchant_user_id for item in page.items]
        token = page.next_token
        if not token:
            break
    assert pages == 3 and sorted(seen) == sorted(keys)
    ours = ekyc_client.query_face_records(face_group=group, page_size=2)
    theirs = sdk.query_face_record_with_options(
        sdk_models.QueryFaceRecordRequest(face_group_code=group, current_page=1, page_size=2), runtime
    ).body
    assert ours.next_token == theirs.next_token and [r.face_id for r in ours.records] == [
        i.face_id for i in theirs.items
    ]
    with pytest.raises(ClientException) as caught:
        sdk.query_face_record_with_options(
            sdk_models.QueryFaceRecordRequest(face_group_code=group, current_page=1, page_size=2, next_token="x"),
            runtime,
        )
    assert caught.value.code == "InvalidParameter"


# -- what the provider does not document ----------------------------------------------------------------------


def test_every_undocumented_answer_of_the_simulator_is_marked_in_the_docs():
    from pathlib import Path

    from django_ekyc.simulator.faces import UNDOCUMENTED

    docs = (Path(__file__).resolve().parents[1] / "docs" / "faces.md").read_text(encoding="utf-8")
    assert [name for name in UNDOCUMENTED if f"`{name}`" not in docs] == []
