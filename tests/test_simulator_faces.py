"""The simulator's persons, face libraries and face products, as the provider documents them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_ekyc.client import EkycClient
from django_ekyc.exceptions import EkycBadRequest, EkycError
from django_ekyc.results import InitializeResult, VerificationResult
from django_ekyc.simulator import Simulator
from django_ekyc.simulator.data import face_picture, person_in
from django_ekyc.testing import SimulatorControl

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


def test_the_server_side_search_runs_only_where_the_provider_offers_it():
    """Face libraries live in Hong Kong, Singapore, Jakarta and Kuala Lumpur (the ja FACE_IDU_MIN page, 2026-04);
    Frankfurt has an endpoint and none of them."""
    with Simulator({"id": "secret"}, region="eu-central-1", face_groups=[GROUP]) as sim:
        with EkycClient(access_key_id="id", access_key_secret="secret", endpoint=sim.url, max_retries=0) as client:
            assert not client.delete_face_records(merchant_user_id="user-a").deleted
            with pytest.raises(EkycError) as caught:
                client.search_face(
                    merchant_biz_id="b", merchant_user_id="u", face_picture=face_picture("a"), face_groups=[GROUP]
                )
        assert caught.value.status == 403
        control = SimulatorControl(sim.url)
        assert GROUP in control.face_groups()
        control.close()


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
    found = search(ekyc_client, group, "erin")
    assert found.transaction_id.startswith("hks") and found.attack_score is not None
    assert set(found.quality_scores) >= {"FaceQualityScore", "SharpnessScore", "IlluminationScore"}
    compared = ekyc_client.compare_faces(
        merchant_biz_id="simfaces0010", face_picture=face_picture("erin"), reference_picture=face_picture("erin")
    )
    assert compared.passed and compared.comparison_score is not None and compared.comparison_score > 80
    assert "TargetSharpnessScore" in compared.quality_scores


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


def test_a_picture_over_the_products_limit_is_refused_before_sending(simulator, ekyc_client, group):
    too_big = "A" * (1024 * 1024 * 4 // 3 + 8)  # base64 of just over 1 MB
    with pytest.raises(ValueError, match="at most 1048576"):
        ekyc_client.search_face(merchant_biz_id="b", merchant_user_id="u", face_picture=too_big, face_groups=[group])
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
