"""Reading the face parts of the provider's answers defensively."""

from __future__ import annotations

import pytest

from django_ekyc.results import VerificationResult, parse_face_matches

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
