"""Reading the face parts of the provider's answers defensively."""

from __future__ import annotations

import json

import pytest

from django_ekyc.results import (
    FaceQuality,
    FaceRecord,
    FaceRecordPage,
    FaceSearchResult,
    VerificationResult,
)
from django_ekyc.results.faces import parse_face_matches

MATCH = {"faceGroupCode": "g1", "faceId": "f1", "merchantUserId": "u1"}


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ([MATCH], ["u1"]),
        ('[{"faceGroupCode":"g1","faceId":"f1","merchantUserId":"u1","score":"97.5"}]', ["u1"]),
        ("", []),
        ("not json", []),
        ('{"merchantUserId": "u1"}', []),
        ([{"faceGroupCode": "g1"}, "junk", MATCH], ["u1"]),  # entries without a user id are of no use
        (None, []),
    ],
)
def test_duplicate_faces_are_read_whatever_their_form(value, keys):
    assert [match.merchant_user_id for match in parse_face_matches(value)] == keys


def test_a_score_is_kept_when_given_and_readable():
    [scored] = parse_face_matches([{**MATCH, "score": "97.5"}])
    [unscored] = parse_face_matches([{**MATCH, "score": "high"}])
    assert (scored.score, unscored.score) == (97.5, None)


def test_matches_are_found_in_ext_face_info_or_ext_info():
    def result(**fields: str) -> VerificationResult:
        return VerificationResult.from_response({"Result": {"Passed": "Y", **fields}})

    assert result(ExtFaceInfo='{"duplicateFace": [{"merchantUserId": "a"}]}').face_matches[0].merchant_user_id == "a"
    assert (
        result(ExtInfo='{"DuplicateFace": "[{\\"merchantUserId\\": \\"b\\"}]"}').face_matches[0].merchant_user_id == "b"
    )
    assert result(ExtFaceInfo='{"facePassed": "Y"}').face_matches == ()
    assert result(ExtFaceInfo='{"faceAttack": "Y"}').face_attacked and not result().face_attacked


# FaceDuplicationCheckIntl's SDK model types the scores as strings, FaceVerifyIntl's as numbers; ExtFaceInfo is an
# object in both (and a JSON string in CheckResult).
QUALITY = {"FaceQualityScore": 91.5, "IlluminationScore": 88, "KaOcclusionScore": "97.1", "OcclusionScore": 99,
           "SharpnessScore": 90.25, "TargetFaceQualityScore": 80, "TargetSharpnessScore": 70.5}  # fmt: skip


@pytest.mark.parametrize(
    "result",
    [
        {"FaceAttackScore": 3.5, "FaceComparisonScore": 95.25, "ExtFaceInfo": QUALITY},  # FaceVerifyIntl
        {"FaceAttackScore": "3.5", "FaceComparisonScore": "95.25", "ExtFaceInfo": QUALITY},  # FaceDuplicationCheckIntl
        {"FaceAttackScore": "3.5", "FaceComparisonScore": "95.25", "ExtFaceInfo": json.dumps(QUALITY)},
    ],
)
def test_a_face_search_answer_is_read_whatever_the_operation(result):
    body = {
        "RequestId": "r1",
        "Result": {
            "TransactionId": "hks0001",
            "FacePassed": "Y",
            "SubCode": "200",
            "FaceAttack": "N",
            "FaceRegistrationResult": 1,
            "FaceRegistrationId": "face-9",
            "DuplicateFace": '[{"faceGroupCode":"g1","faceId":"f1","merchantUserId":"u1","score":96.5}]',
            **result,
        },
    }
    found = FaceSearchResult.from_response(body)
    assert (found.passed, found.sub_code, found.transaction_id, found.request_id) == (True, "200", "hks0001", "r1")
    assert (found.registered, found.registration_id, found.attacked) == (True, "face-9", False)
    assert (found.attack_score, found.comparison_score) == (3.5, 95.25)
    assert found.quality == FaceQuality(overall=91.5, illumination=88.0, key_area_occlusion=97.1, occlusion=99.0,
                                        sharpness=90.25)  # fmt: skip
    assert found.target_quality == FaceQuality(overall=80.0, sharpness=70.5) and found.target_quality
    assert [(m.face_group, m.merchant_user_id, m.score) for m in found.matches] == [("g1", "u1", 96.5)]


def test_a_face_search_answer_without_scores_has_none():
    found = FaceSearchResult.from_response({"Result": {"FacePassed": "N", "FaceAttack": "Y", "ExtFaceInfo": "junk"}})
    assert found.attacked and not found.passed and found.sub_code is None
    assert (found.attack_score, found.comparison_score, found.transaction_id) == (None, None, "")
    assert not found.quality and not found.target_quality and found.matches == () and not found.registered


def test_a_record_page_keeps_the_token_and_the_page_count():
    body = {
        "RequestId": "r2",
        "TotalCount": 5,
        "TotalPage": 3,
        "CurrentPage": 2,
        "PageSize": 2,
        "NextToken": "opaque-token",
        "Items": [
            {"Id": 7, "FaceId": "f7", "MerchantUserId": "u7", "RegistrationType": "AUTO", "GmtCreate": "t",
             "ImgOssUrl": "https://oss.example/f7.png"},
            "junk",
        ],
    }  # fmt: skip
    page = FaceRecordPage.from_response(body)
    assert (page.total, page.total_pages, page.page, page.page_size, page.next_token) == (5, 3, 2, 2, "opaque-token")
    assert page.records == (FaceRecord(id="7", face_id="f7", merchant_user_id="u7", registration_type="AUTO",
                                       created="t"),)  # fmt: skip
    last = FaceRecordPage.from_response({"RequestId": "r3", "Items": []})
    assert (last.total, last.total_pages, last.next_token, last.records) == (0, 1, "", ())
    with pytest.raises(ValueError, match="Items is not a list"):
        FaceRecordPage.from_response({"Items": "not a list"})
