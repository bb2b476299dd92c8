"""The simulator's checks of a site's own pictures, driven by the official SDK over HTTP, and the pictures
themselves: marks in the pixels that survive a re-encoding which drops every metadata chunk."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import struct
import zlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from alibabacloud_cloudauth_intl20220809 import models as sdk_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

from django_ekyc.catalogue.operations import OPERATIONS
from django_ekyc.simulator import Simulator, data, pictures, pictures_documents
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.jpeg_marks import sample_jpeg
from django_ekyc.simulator.operations import OPERATIONS as SIMULATED
from django_ekyc.simulator.picture_marks import Marks, marks_of, sample_from_query, sample_picture

from .helpers import META_INFO
from .test_conformance import NO_RETRIES, sdk_client

ACTIONS = (
    "FaceCompare",
    "FaceCompareV2",
    "FaceLiveness",
    "FaceLivenessV2",
    "DeepfakeDetectIntl",
    "DocOcr",
    "DocOcrV2",
    "DocOcrMax",
    "DocOcrMaxV2",
    "CardOcr",
    "EkycVerify",
    "EkycVerifyV2",
)


def b64(**marks: Any) -> str:
    return base64.b64encode(sample_picture(**marks)).decode()


def face(person: str | None = "alice", **marks: Any) -> str:
    return b64(person=person, **marks)


def document(person: str = "alice", doc_type: str = "", **marks: Any) -> str:
    return b64(kind="document", person=person, document=doc_type, **marks)


def sample_url(sim: Any, **query: str) -> str:
    return f"{sim.url}/_sim/sample-picture?" + "&".join(f"{name}={value}" for name, value in query.items())


def jpeg_face(person: str | None = "alice", **marks: Any) -> str:
    return base64.b64encode(sample_jpeg(person=person, **marks)).decode()


def jpeg(width: int, height: int) -> str:
    """The head of a JPEG (start of image, a baseline frame header): what the simulator reads of one."""
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return base64.b64encode(b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", 2 + len(frame)) + frame).decode()


def call(sim: Any, action: str, **fields: Any) -> Any:
    """``action`` through the official SDK against ``sim``: the parsed response body."""
    python_name = OPERATIONS[action].python_name
    method = f"{python_name}with_options" if python_name.endswith("v2") else f"{python_name}_with_options"
    request = getattr(sdk_models, f"{action}Request")(**fields)
    return getattr(sdk_client(sim), method)(request, NO_RETRIES).body


def refusal(sim: Any, action: str, **fields: Any) -> tuple[int, str, str]:
    with pytest.raises(AlibabaCloudException) as caught:  # ClientException, ThrottlingException
        call(sim, action, **fields)
    return caught.value.status_code, caught.value.code, caught.value.message


def running(region: str) -> Iterator[Any]:
    with Simulator({"id": "secret"}, region=region) as sim:
        yield SimpleNamespace(access_key_id="id", access_key_secret="secret", url=sim.url, sim=sim)


@pytest.fixture(scope="module")
def singapore() -> Iterator[Any]:
    yield from running("ap-southeast-1")


@pytest.fixture(scope="module")
def jakarta() -> Iterator[Any]:
    yield from running("ap-southeast-5")


@pytest.fixture(scope="module")
def frankfurt() -> Iterator[Any]:
    yield from running("eu-central-1")


# A valid request of each operation (SDK field names), and where each takes its main picture.
BASE: dict[str, dict[str, str]] = {
    "FaceCompare": {"merchant_biz_id": "pic0001", "source_face_picture": "", "target_face_picture": ""},
    "FaceLiveness": {"product_code": "FACE_LIVENESS_MIN", "merchant_biz_id": "pic0002", "merchant_user_id": "u1"},
    "FaceLivenessV2": {"product_code": "FACE_LIVENESS_MIN_PRO", "merchant_biz_id": "pic0003"},
    "DeepfakeDetectIntl": {"product_code": "FACE_DEEPFAKE", "merchant_biz_id": "pic0004", "face_input_type": "IMAGE"},
    "DocOcr": {"product_code": "ID_OCR_MIN", "merchant_biz_id": "pic0005", "doc_type": "00000006"},
    "DocOcrMax": {"product_code": "ID_OCR_MAX", "merchant_biz_id": "pic0006", "doc_type": "GLB03002"},
    "EkycVerify": {"product_code": "eKYC_MIN", "merchant_biz_id": "pic0007", "doc_type": "00000006"},
}
for _v1, _v2 in (("FaceCompare", "FaceCompareV2"), ("DocOcr", "DocOcrV2"), ("DocOcr", "CardOcr"),
                 ("DocOcrMax", "DocOcrMaxV2"), ("EkycVerify", "EkycVerifyV2")):  # fmt: skip
    BASE[_v2] = BASE[_v1]
PICTURE = {  # (base64 field, URL field, shows a document)
    "FaceCompare": ("source_face_picture", "source_face_picture_url", False),
    "FaceLiveness": ("face_picture_base_64", "face_picture_url", False),
    "DeepfakeDetectIntl": ("face_base_64", "face_url", False),
    "DocOcr": ("id_ocr_picture_base_64", "id_ocr_picture_url", True),
    "EkycVerify": ("face_picture_base_64", "face_picture_url", False),
}
PICTURE.update(
    FaceCompareV2=PICTURE["FaceCompare"], FaceLivenessV2=PICTURE["FaceLiveness"], DocOcrV2=PICTURE["DocOcr"],
    CardOcr=PICTURE["DocOcr"], DocOcrMax=PICTURE["DocOcr"], DocOcrMaxV2=PICTURE["DocOcr"],
    EkycVerifyV2=PICTURE["EkycVerify"],
)  # fmt: skip


def valid(action: str) -> dict[str, str]:
    """A request of ``action`` that passes: alice's face, alice's document of the requested type."""
    fields = dict(BASE[action])
    if action.startswith("FaceCompare"):
        fields.update(source_face_picture=face(), target_face_picture=face())
    elif action.startswith(("Doc", "Card")):
        fields["id_ocr_picture_base_64"] = document(doc_type=fields["doc_type"])
    elif action.startswith("Ekyc"):
        fields.update(face_picture_base_64=face(), id_ocr_picture_base_64=document(doc_type=fields["doc_type"]))
    else:
        fields[PICTURE[action][0]] = jpeg_face() if action == "DeepfakeDetectIntl" else face()
    return fields


def where(action: str, simulator: Any, singapore: Any) -> Any:
    return singapore if action == "DeepfakeDetectIntl" else simulator


# -- the pictures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marks",
    [
        {},
        {"person": None},
        {"deepfake": True, "quality": "bad"},
        {"kind": "document", "person": "bob", "document": "GLB03002", "spoof": True},
        {"person": "名字 with spaces", "width": 8, "height": 40},
    ],
)
def test_a_sample_picture_carries_its_marks(marks):
    png = sample_picture(**marks)
    shown = {name: value for name, value in marks.items() if name in Marks.__annotations__}
    expected = dataclasses.replace(Marks(person="alice"), **shown)
    assert marks_of(png) == expected
    assert png.startswith(b"\x89PNG") and len(png) < 4000  # one flat colour but the marks: it compresses


def test_unmarked_pictures_have_no_marks():
    face_png = base64.b64decode(data._png(shade=90, person="alice"))  # greyscale, 8x8: not one the marks are read from
    for picture in (face_png, base64.b64decode(jpeg(800, 600)), b"", b"not a picture", sample_picture()[:60]):
        assert marks_of(picture) is None
    noise = bytes(range(256)) * 12
    raw = b"".join(b"\x00" + noise[row * 30 : row * 30 + 30] for row in range(10))
    header = struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0)
    assert marks_of(_png(header, raw)) is None  # an RGB PNG of someone else's


def _png(header: bytes, raw: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    near = min((abs(estimate - left), 0), (abs(estimate - up), 1), (abs(estimate - corner), 2))
    return (left, up, corner)[near[1]]


def _filtered(kind: int, row: bytes, above: bytes, step: int) -> bytes:
    """PNG's filter ``kind`` applied to a row, as an encoder does."""
    out = bytearray()
    for i, value in enumerate(row):
        left, up = row[i - step] if i >= step else 0, above[i]
        corner = above[i - step] if i >= step else 0
        predicted = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
        out.append((value - predicted) & 0xFF)
    return bytes([kind]) + bytes(out)


@pytest.mark.parametrize("alpha", [False, True])
def test_the_marks_are_read_through_every_png_filter(alpha):
    """Encoders pick a filter per row (Pillow does): each of the five is undone, with and without alpha."""
    width, height = 40, 30
    original = sample_picture(person="zoë", width=width, height=height)
    pixels = zlib.decompress(original[original.index(b"IDAT") + 4 : original.index(b"IEND") - 8])
    rows = [pixels[r * (width * 3 + 1) + 1 : (r + 1) * (width * 3 + 1)] for r in range(height)]
    if alpha:
        rows = [b"".join(row[i : i + 3] + b"\xff" for i in range(0, len(row), 3)) for row in rows]
    step = 4 if alpha else 3
    raw, above = b"", bytes(len(rows[0]))
    for number, row in enumerate(rows):
        raw += _filtered(number % 5, row, above, step)
        above = row
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    assert marks_of(_png(header, raw)) == marks_of(original) and marks_of(original).person == "zoë"


def test_the_marks_survive_a_re_encoding_that_strips_metadata():
    image = pytest.importorskip("PIL.Image")
    original = sample_picture(person="carol", deepfake=True)
    for mode, options in (("RGB", {}), ("RGB", {"optimize": True}), ("RGBA", {"compress_level": 1})):
        out = io.BytesIO()
        image.open(io.BytesIO(original)).convert(mode).save(out, "PNG", **options)
        stripped = out.getvalue()
        assert b"ekyc-simulator-person" not in stripped  # the text chunk is gone...
        assert marks_of(stripped) == marks_of(original)  # ...the pixels are not
        assert data.person_in(base64.b64encode(stripped).decode()) == "carol"


def test_who_a_picture_shows():
    assert data.person_in(data.face_picture("alice")) == "alice"  # the text chunk, as before
    assert data.person_in(face("bob")) == "bob"
    assert data.person_in(face(None)) is None  # faceless
    assert data.person_in(document("alice")) is None  # a document is no face picture


def test_a_picture_can_be_made_large():
    large = sample_picture(pad_to=1_500_000)
    assert len(large) >= 1_500_000 and marks_of(large) == marks_of(sample_picture())
    with pytest.raises(ValueError, match="pad_to"):
        sample_picture(pad_to=10**9)
    with pytest.raises(ValueError, match="kind"):
        sample_picture(kind="selfie")
    with pytest.raises(ValueError, match="too small"):
        sample_picture(width=1, height=1)


def test_the_sample_picture_endpoint(simulator):
    answer = requests.get(sample_url(simulator, person="dave", kind="document", document="CHN01001"), timeout=5)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert marks_of(answer.content) == Marks("document", "dave", document="CHN01001")
    assert answer.content == sample_from_query("person=dave&kind=document&document=CHN01001")
    assert marks_of(sample_from_query("person=&deepfake=1&quality=bad&spoof=yes")) == Marks(
        person=None, deepfake=True, quality="bad", spoof=True
    )
    for bad in ("colour=red", "deepfake=maybe", "width=wide", "quality=poor"):
        assert requests.get(f"{simulator.url}/_sim/sample-picture?{bad}", timeout=5).status_code == 400


# -- the faces ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["FaceCompare", "FaceCompareV2"])
def test_a_comparison_passes_for_the_same_person_only(simulator, action):
    same = call(simulator, action, **valid(action))
    assert isinstance(same, getattr(sdk_models, f"{action}ResponseBody")) and same.code == "200"
    assert same.result.passed == "Y" and 88 <= same.result.face_comparison_score <= 99
    assert same.result.transaction_id.startswith("hks")
    quality = same.result.ext_face_info
    assert quality.face_quality_score > 80 and quality.target_sharpness_score > 80
    other = call(simulator, action, **{**valid(action), "target_face_picture": face("bob")})
    assert other.result.passed == "N" and 5 <= other.result.face_comparison_score <= 40
    portrait = call(simulator, action, **{**valid(action), "target_face_picture": document("alice")})
    assert portrait.result.passed == "Y"  # the face on alice's document is alice's


def test_pictures_come_by_url_and_as_file_streams(simulator):
    """A V2 file stream reaches the API as the storage URL the SDK's *Advance method uploaded it to: the simulator
    "fetches" its own sample pictures, and takes any other URL for an unknown face."""
    streams = call(simulator, "FaceCompareV2", merchant_biz_id="pic0010",
                   source_face_picture_file=sample_url(simulator, person="erin"),
                   target_face_picture_url=sample_url(simulator, person="erin"))  # fmt: skip
    assert streams.result.passed == "Y"
    elsewhere = "https://bucket.oss.example/upload/face.jpg"
    unknown = call(simulator, "FaceCompare", merchant_biz_id="pic0011", source_face_picture_url=elsewhere,
                   target_face_picture=face("erin"))  # fmt: skip
    assert unknown.result.passed == "N"
    itself = call(simulator, "FaceCompare", source_face_picture_url=elsewhere, target_face_picture_url=elsewhere)
    assert itself.result.passed == "Y"  # an unknown face matches itself only
    [sent] = simulator.control.calls("FaceCompareV2")
    assert "SourceFacePictureFile" in sent["form"] and "SourceFacePictureUrl" not in sent["form"]


def test_liveness_of_a_picture(simulator):
    live = call(simulator, "FaceLiveness", **valid("FaceLiveness"), face_quality="T", occlusion="T", crop="T")
    assert isinstance(live, sdk_models.FaceLivenessResponseBody) and live.code == "Success"
    assert (live.result.passed, live.result.sub_code, live.result.ext_face_info.face_attack) == ("Y", "200", "N")
    info = live.result.ext_face_info
    assert info.face_quality_score > 80 and info.occlusion_result == "N" and info.sharpness_score > 80
    assert 18 <= info.face_age <= 70 and info.face_gender in ("M", "F")
    plain = call(simulator, "FaceLiveness", **valid("FaceLiveness")).result.ext_face_info
    assert plain.face_quality_score is None and plain.occlusion_result is None
    for attack in (face(deepfake=True), document("alice")):
        forged = call(simulator, "FaceLiveness", **{**valid("FaceLiveness"), "face_picture_base_64": attack})
        assert (forged.result.passed, forged.result.sub_code, forged.result.ext_face_info.face_attack) == (
            "N", "205", "Y",
        )  # fmt: skip
    unmarked = {**BASE["FaceLiveness"], "face_picture_url": "https://shop.example/selfie.jpg"}
    assert call(simulator, "FaceLiveness", **unmarked).result.ext_face_info.face_attack == "Y"


def test_liveness_v2_takes_a_file_stream_in_the_query(simulator):
    body = call(simulator, "FaceLivenessV2", **BASE["FaceLivenessV2"], face_quality_check="Y",
                face_picture_file=sample_url(simulator, person="fay"))  # fmt: skip
    assert isinstance(body, sdk_models.FaceLivenessV2ResponseBody)
    assert body.result.passed == "Y" and body.result.ext_face_info.face_quality_score > 80
    [sent] = simulator.control.calls("FaceLivenessV2")
    assert "FacePictureFile" in sent["query"]
    old = call(simulator, "FaceLivenessV2", **{**valid("FaceLivenessV2"), "product_code": "FACE_LIVENESS_MIN"})
    assert old.result.passed == "Y" and old.result.ext_face_info.face_quality_score is None


def test_deepfake_screening_answers_under_result_object(singapore):
    """JPG or JPEG only: a JPEG sample carries its marks in its size (:mod:`~django_ekyc.simulator.jpeg_marks`)."""
    base = valid("DeepfakeDetectIntl")
    forged = call(singapore, "DeepfakeDetectIntl", **{**base, "face_base_64": jpeg_face(deepfake=True)})
    assert isinstance(forged, sdk_models.DeepfakeDetectIntlResponseBody) and forged.code == "200"
    answer = forged.result_object
    assert (answer.result, answer.risk_tag) == ("1", "SuspectDeepForgery") and answer.transaction_id
    assert answer.risk_score["SuspectDeepForgery"] == "0.9500"
    plain = call(singapore, "DeepfakeDetectIntl", **base, scene_code="scene_1")
    assert (plain.result_object.result, plain.result_object.risk_tag) == ("0", "")
    assert max(float(score) for score in plain.result_object.risk_score.values()) < 0.05
    photo = call(singapore, "DeepfakeDetectIntl", **{**base, "face_base_64": jpeg(800, 600)})
    assert photo.result_object.result == "0"  # a JPEG, unmarked: no sign of forgery
    for png in (face(), face(deepfake=True)):
        assert refusal(singapore, "DeepfakeDetectIntl", **{**base, "face_base_64": png})[:2] == (
            401,
            "UnqualifiedPhoto",
        )


# -- the documents --------------------------------------------------------------------------------------------


def hosted_ocr(ekyc_client: Any, simulator: Any, person: str, doc_type: str) -> dict[str, str]:
    started = ekyc_client.initialize(
        product_code="eKYC", merchant_biz_id="picdoc0001", merchant_user_id="u1", meta_info=META_INFO,
        parameters={"DocType": doc_type, "ReturnUrl": "https://shop.example/ekyc/return/tok/"},
    )  # fmt: skip
    simulator.control.complete(started.transaction_id, "pass", person=person)
    checked = ekyc_client.check_result(merchant_biz_id="picdoc0001", transaction_id=started.transaction_id)
    return dict(checked.ext_id_info["ocrIdInfo"])


@pytest.mark.parametrize("action", ["DocOcr", "DocOcrV2", "CardOcr"])
def test_a_document_reads_as_in_the_hosted_flow(simulator, ekyc_client, action):
    body = call(simulator, action, **valid(action), spoof="T", id_face_quality="T")
    assert isinstance(body, getattr(sdk_models, f"{action}ResponseBody")) and body.code == "Success"
    assert (body.result.passed, body.result.sub_code) == ("Y", "200")
    info = json.loads(body.result.ext_card_info if action == "CardOcr" else body.result.ext_id_info)
    assert info["ocrIdInfo"] == hosted_ocr(ekyc_client, simulator, "alice", "00000006")
    assert info["spoofInfo"] == {"spoofResult": "N", "spoofType": []} and info["idFaceQualityScore"] > 80
    spoofed = {**valid(action), "id_ocr_picture_base_64": document(spoof=True), "spoof": "T"}
    forged = call(simulator, action, **spoofed).result
    assert (forged.passed, forged.sub_code, json.loads(forged.ext_id_info)["spoofInfo"]["spoofResult"]) == (
        "N", "212", "Y",
    )  # fmt: skip
    unchecked = call(simulator, action, **{**spoofed, "spoof": "F", "ocr": "F"}).result
    assert unchecked.passed == "Y" and json.loads(unchecked.ext_id_info) == {}


def test_doc_ocr_v2_takes_a_file_stream(simulator):
    stream = sample_url(simulator, kind="document", person="gus", document="00000006")
    body = call(simulator, "DocOcrV2", **BASE["DocOcrV2"], id_ocr_picture_file=stream)
    assert body.result.passed == "Y" and json.loads(body.result.ext_id_info)["ocrIdInfo"]["idNumber"]


@pytest.mark.parametrize("action", ["DocOcrMax", "DocOcrMaxV2"])
def test_ocr_max_reads_global_documents(simulator, action):
    body = call(simulator, action, **valid(action), id_spoof="T", ocr_value_standard="1", doc_page="01")
    assert isinstance(body, getattr(sdk_models, f"{action}ResponseBody")) and body.result.passed == "Y"
    info = json.loads(body.result.ext_id_info)
    assert info["docType"] == "GLB03002" and set(info["ocrIdInfo"]) >= {"surname", "passport_number"}
    assert info["spoofInfo"]["spoofResult"] == "N"
    auto = {
        **valid(action),
        "doc_type": None,
        "ocr_model": "1",
        "id_ocr_picture_base_64": document(doc_type="CHN01001"),
    }
    assert json.loads(call(simulator, action, **auto).result.ext_id_info)["docType"] == "CHN01001"
    status, code, message = refusal(simulator, action, **{**auto, "doc_type": "CHN01001"})
    assert (status, code, "DocType" in message) == (400, "InvalidParameter", True)  # empty with OcrModel 1 or 2


def test_jakarta_reads_its_own_documents_only(jakarta):
    indonesian = {**valid("DocOcrMax"), "doc_type": "IDN01001", "id_ocr_picture_base_64": document(doc_type="IDN01001")}
    assert call(jakarta, "DocOcrMax", **indonesian).result.passed == "Y"
    status, code, _ = refusal(jakarta, "DocOcrMax", **{**indonesian, "doc_type": "CHN01001"})
    assert (status, code) == (400, "InvalidParameter")
    auto = {**indonesian, "doc_type": None, "ocr_model": "2", "id_ocr_picture_base_64": document(doc_type="CHN01001")}
    assert refusal(jakarta, "DocOcrMax", **auto)[:2] == (401, "UnqualifiedPhoto")


@pytest.mark.parametrize("action", ["EkycVerify", "EkycVerifyV2"])
def test_ekyc_verify_compares_the_face_with_the_documents_holder(simulator, action):
    passed = call(simulator, action, **valid(action), authorize="T", id_spoof="T")
    assert isinstance(passed, getattr(sdk_models, f"{action}ResponseBody"))
    assert (passed.result.passed, passed.result.sub_code) == ("Y", "200")
    face_info, id_info = json.loads(passed.result.ext_face_info), json.loads(passed.result.ext_id_info)
    assert face_info["faceAttack"] == "N" and face_info["facePassed"] == "Y" and face_info["faceComparisonScore"] > 80
    assert face_info["authorityComparisonScore"] > 80 and id_info["ocrIdPassed"] == "Y" and id_info["ocrIdInfo"]
    outcomes = {
        "204": {"face_picture_base_64": face("mallory")},
        "205": {"face_picture_base_64": face(deepfake=True)},
        "212": {"id_ocr_picture_base_64": document(spoof=True), "id_spoof": "T"},
    }
    for sub_code, change in outcomes.items():
        result = call(simulator, action, **{**valid(action), **change}).result
        assert (result.passed, result.sub_code) == ("N", sub_code)


def test_ekyc_verify_v2_takes_file_streams_and_the_authority_alone(simulator):
    streams = call(simulator, "EkycVerifyV2", **BASE["EkycVerifyV2"],
                   face_picture_file=sample_url(simulator, person="hal"),
                   id_ocr_picture_file=sample_url(simulator, kind="document", person="hal"))  # fmt: skip
    assert streams.result.passed == "Y"
    authority = call(simulator, "EkycVerify", **{**BASE["EkycVerify"], "doc_type": "00000001"}, authorize="T",
                     doc_name="张三", doc_no="11010119900101123X", face_picture_base_64=face())  # fmt: skip
    assert authority.result.passed == "Y" and authority.result.ext_id_info is None


# -- the refusals ---------------------------------------------------------------------------------------------

MISSING = {  # a parameter each requires, and one value it refuses
    "FaceCompare": ("source_face_picture", {"merchant_biz_id": "not-letters!"}),
    "FaceCompareV2": ("target_face_picture", {"merchant_biz_id": "x" * 33}),
    "FaceLiveness": ("merchant_user_id", {"crop": "Y"}),
    "FaceLivenessV2": ("product_code", {"face_quality_check": "T"}),
    "DeepfakeDetectIntl": ("merchant_biz_id", {"face_input_type": "VIDEO"}),
    "DocOcr": ("doc_type", {"doc_type": "GLB03002"}),
    "DocOcrV2": ("product_code", {"card_side": "BACK"}),
    "CardOcr": ("merchant_biz_id", {"spoof": "Y"}),
    "DocOcrMax": ("doc_type", {"ocr_model": "3"}),
    "DocOcrMaxV2": ("product_code", {"product_code": "ID_OCR"}),
    "EkycVerify": ("id_ocr_picture_base_64", {"id_threshold": "9"}),
    "EkycVerifyV2": ("doc_type", {"doc_no": "123"}),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_checks_its_parameters(simulator, singapore, action):
    sim = where(action, simulator, singapore)
    name, bad = MISSING[action]
    status, code, message = refusal(sim, action, **{**valid(action), name: None})
    assert (status, code) == (400, "MissingParameter") and "".join(part.title() for part in name.split("_"))[
        :6
    ] in message
    status, code, message = refusal(sim, action, **{**valid(action), **bad})
    assert (status, code) == (400, "InvalidParameter")
    status, code, _ = refusal(sim, action, **{**valid(action), PICTURE[action][0]: "not base64!"})
    assert (status, code) == (400, "InvalidParameter")


@pytest.mark.parametrize("action", ACTIONS)
def test_each_refuses_a_picture_it_cannot_use(simulator, singapore, action):
    sim = where(action, simulator, singapore)
    name, url, reads_document = PICTURE[action]
    wrong, bad, misshapen = {  # no document (or no face), a bad photo, sides out of the limits
        "document": (face("alice"), document(quality="bad"), document(width=150, height=200)),
        "face": (face(None), face(quality="bad"), face(width=2000, height=500)),
        "jpeg": (jpeg_face(None), jpeg_face(quality="bad"), jpeg(2000, 500)),
    }["document" if reads_document else "jpeg" if action == "DeepfakeDetectIntl" else "face"]
    expected = "UnqualifiedPhoto" if reads_document else "NoFaceDetected"
    assert refusal(sim, action, **{**valid(action), name: wrong})[:2] == (401, expected)
    assert refusal(sim, action, **{**valid(action), name: bad})[:2] == (401, "UnqualifiedPhoto")
    assert refusal(sim, action, **{**valid(action), name: misshapen})[:2] == (401, "UnqualifiedPhoto")
    not_an_image = base64.b64encode(b"GIF89a" + b"\x00" * 40).decode()
    assert refusal(sim, action, **{**valid(action), name: not_an_image})[:2] == (401, "UnqualifiedPhoto")
    both = {**valid(action), url: sample_url(sim)}
    assert refusal(sim, action, **both)[:2] == (401, "DataDuplication")
    limit = 10 * pictures.MB if action.startswith(("DocOcrMax", "Deepfake")) else pictures.MB
    too_large = {**valid(action), name: None, url: sample_url(sim, pad_to=str(limit + 1))}
    assert refusal(sim, action, **too_large)[:2] == (401, "ToolargeImage")


def test_the_limits_of_a_picture():
    """Base64 over the limit is refused before it is decoded (over HTTP the simulator's server refuses a body over
    1 MiB first, so there it takes a URL); a face picture's sides count whatever the orientation."""
    with pytest.raises(SimulatedApiError) as caught:
        pictures.picture({"FacePictureBase64": "A" * (pictures.MB + 4)}, "FacePictureBase64", "FacePictureUrl")
    assert (caught.value.status, caught.value.code) == (401, "ToolargeImage")
    for width, height in ((640, 480), (480, 640), (1920, 1080), (1080, 1920)):
        assert pictures.picture({"F": face(width=width, height=height)}, "F", "U").face == "alice"
    for width, height in ((300, 400), (479, 640), (1921, 1080), (1081, 1081)):
        with pytest.raises(SimulatedApiError, match="resolution"):
            pictures.picture({"F": face(width=width, height=height)}, "F", "U")
    assert pictures.dimensions(base64.b64decode(jpeg(800, 600))) == ("JPEG", 800, 600)


@pytest.mark.parametrize("action", ACTIONS)
def test_each_is_offered_only_where_its_pages_say(simulator, frankfurt, action):
    refused_here = [frankfurt] + ([simulator] if action == "DeepfakeDetectIntl" else [])
    for sim in refused_here:
        assert refusal(sim, action, **valid(action))[:2] == (403, "Forbidden.RegionNotSupported")


def test_hong_kong_only_operations_are_refused_in_singapore(singapore):
    for action in ("FaceLiveness", "DocOcr", "DocOcrV2", "CardOcr", "EkycVerify", "EkycVerifyV2"):
        assert refusal(singapore, action, **valid(action))[:2] == (403, "Forbidden.RegionNotSupported")
    v2_old_code = {**valid("FaceLivenessV2"), "product_code": "FACE_LIVENESS_MIN"}
    assert refusal(singapore, "FaceLivenessV2", **v2_old_code)[:2] == (403, "Forbidden.RegionNotSupported")
    assert call(singapore, "FaceLivenessV2", **valid("FaceLivenessV2")).result.passed == "Y"


@pytest.mark.parametrize("action", ACTIONS)
def test_injected_faults_reach_each(simulator, singapore, action):
    sim = where(action, simulator, singapore)
    control = sim.control if sim is simulator else None
    if control is None:
        answer = requests.post(f"{sim.url}/_sim/faults", json={"fault": "throttle", "action": action}, timeout=5)
        assert answer.status_code == 201
    else:
        control.add_fault("throttle", action=action)
    assert refusal(sim, action, **valid(action))[:2] == (403, "Throttling.Api")
    call(sim, action, **valid(action))  # one call only


def test_every_operation_is_registered_and_every_invention_named():
    assert set(ACTIONS) <= set(SIMULATED) and set(ACTIONS) <= set(OPERATIONS)
    for undocumented in (pictures.UNDOCUMENTED, pictures_documents.UNDOCUMENTED):
        assert undocumented and all(isinstance(note, str) and len(note) > 20 for note in undocumented.values())


def test_every_invention_is_marked_in_the_docs():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "pictures.md").read_text(encoding="utf-8")
    names = [*pictures.UNDOCUMENTED, *pictures_documents.UNDOCUMENTED]
    assert [name for name in names if f"`{name}`" not in docs] == []
