"""The provider's checks of a site's own pictures, server-side: faces here, documents in :mod:`.pictures_documents`.

A picture comes as base64, as a URL, or (the V2 operations) as the ``*File`` URL the SDK's ``*Advance`` methods
put there after uploading the file to the provider's storage. What a picture shows is read from its marks, in a
PNG's pixels (:mod:`.picture_marks`), in a JPEG's size (:mod:`.jpeg_marks`): whose face, a faceless picture, a
deepfake, a bad photo, a document. An unmarked picture (a real photo, or a URL the simulator cannot fetch) shows an
unknown face that matches only itself and that the simulator does not take for a live one. A URL of the
simulator's own ``/_sim/sample-picture`` is "fetched" by drawing that picture, so that V2 file streams, URLs and
oversized pictures reach every outcome.

The limits are the pages' (1 MB for faces and DocOcr, 10 MB for DocOcrMax and FACE_DEEPFAKE; 640x480 to 1920x1080
for faces, 201 to 8191 pixels for documents); the refusals are the status-code page's 401s (UnqualifiedPhoto,
NoFaceDetected, ToolargeImage, DataDuplication). What the simulator answers that neither the SDK nor the pages
document is in :data:`UNDOCUMENTED` (and :data:`.pictures_documents.UNDOCUMENTED`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.face_library import TopLevel
from django_ekyc.simulator.faces import _quality, _score
from django_ekyc.simulator.jpeg_marks import jpeg_marks_of
from django_ekyc.simulator.params import invalid, required
from django_ekyc.simulator.picture_marks import PNG_SIGNATURE, SAMPLE_PATH, Marks, marks_of, sample_from_query
from django_ekyc.simulator.state import SimulatorState, new_transaction_id

MB = 1024 * 1024
JPEG_SIGNATURE = b"\xff\xd8\xff"
HONG_KONG, SINGAPORE, JAKARTA, KUALA_LUMPUR = "cn-hongkong", "ap-southeast-1", "ap-southeast-5", "ap-southeast-3"
# Where each is offered: FaceCompare by the newest dated page listing its regions (ja, 2026-03); FaceLiveness
# (FACE_LIVENESS_MIN) in Hong Kong only; FaceLivenessV2 (FACE_LIVENESS_MIN_PRO) in four regions; FACE_DEEPFAKE in
# Singapore only.
FACE_COMPARE_REGIONS = frozenset({HONG_KONG, SINGAPORE, JAKARTA})
FACE_LIVENESS_REGIONS = frozenset({HONG_KONG})
FACE_LIVENESS_PRO_REGIONS = frozenset({HONG_KONG, SINGAPORE, JAKARTA, KUALA_LUMPUR})
DEEPFAKE_REGIONS = frozenset({SINGAPORE})
TRUE_FALSE = ("T", "F")
YES_NO = ("Y", "N")
MERCHANT_BIZ_ID = re.compile(r"[A-Za-z0-9]{1,32}")
SCENE_CODE = re.compile(r"[A-Za-z0-9_]{1,10}")
RISK_TAGS = ("SuspectDeepForgery", "SuspectPSFace", "SuspectWaterMark", "SuspectAIGCFace", "SuspectRemake")

UNDOCUMENTED: Mapping[str, str] = {
    "Picture.InvalidBase64": "a picture parameter that is not base64 answers 400 InvalidParameter",
    "Picture.NotAnImage": "a picture that is not a PNG or JPEG, or of a format or resolution the operation's page "
    "does not take, answers 401 UnqualifiedPhoto (the status page: 'image unreadable or resolution not compliant')",
    "Picture.BadQuality": "a picture marked quality=bad answers 401 UnqualifiedPhoto whatever FaceQualityCheck, "
    "IdThreshold or IdFaceQuality say: the pages do not say whether those switches govern that refusal",
    "Picture.Unfetched": "a URL (or V2 *File URL) the simulator cannot fetch is an unmarked picture; the provider "
    "would fetch it, or answer 401 DownloadTimeout",
    "Picture.Unmarked": "an unmarked picture shows a face matching only the same bytes (or URL), not a live one",
    "Picture.DocumentFace": "a document picture, where a face is expected, shows its holder's portrait",
    "Picture.ResolutionOrientation": "sides are checked whatever the orientation (short 480-1080, long 640-1920 "
    "for faces); the pages give height x width and recommend portrait",
    "Forbidden.RegionNotSupported": "403, as faces.UNDOCUMENTED has it, outside the regions a page lists",
    "FaceCompare.Passed": "the threshold: the same person scores 88-99 and passes, another 5-40 and fails",
    "FaceCompare.FaceQualityCheck": "its values are not documented: not checked",
    "FaceLiveness.SubCode": "200 (live) beside the SDK's example 205 (an attack); no SubCode table was found",
    "FaceLiveness.ExtFaceInfo": "the four sub-scores come with FaceQualityScore (FaceQuality=T, V2: "
    "FaceQualityCheck=Y); FaceAge and FaceGender always; V2 answers OcclusionResult always; FaceAttributeInfo never",
    "FaceLivenessV2.ProductCode": "FACE_LIVENESS_MIN through FaceLivenessV2 is offered where FACE_LIVENESS_MIN is",
    "DeepfakeDetectIntl.RiskScore": "the values (0.9500 for a deepfake, under 0.05 otherwise) and that every key "
    "of the META example is always answered",
    "DeepfakeDetectIntl.FaceInputType": "absent is IMAGE (as the Stream operation's default); VIDEO is refused",
}


@dataclass(frozen=True)
class Limits:
    """What a picture must be for an operation: its size (bytes, as sent), its formats and its sides."""

    max_bytes: int = MB
    formats: frozenset[str] = frozenset({"PNG", "JPEG"})
    min_short: int = 480
    min_long: int = 640
    max_short: int = 1080
    max_long: int = 1920


FACE_LIMITS = Limits()
DOCUMENT_LIMITS = Limits(min_short=201, min_long=201, max_short=8191, max_long=8191)
DEEPFAKE_LIMITS = Limits(max_bytes=10 * MB, formats=frozenset({"JPEG"}), min_short=1, min_long=1)


@dataclass(frozen=True)
class Picture:
    """A picture as the simulator understands it: its marks (None: unmarked), and what identifies it otherwise."""

    marks: Marks | None
    identity: str

    @property
    def face(self) -> str | None:
        """Whose face it shows: a face's person, a document's holder, an unknown face for an unmarked picture."""
        if self.marks is None:
            return f"unknown-{self.identity}"
        return self.marks.person

    @property
    def live(self) -> bool:
        """A simulated face that is no deepfake: the only face the simulator takes for a live one."""
        return self.marks is not None and self.marks.kind == "face" and not self.marks.deepfake


def refused(code: str, message: str) -> SimulatedApiError:
    """The 401 business refusal of a picture, as the status-code page lists them."""
    return SimulatedApiError(401, code, message)


def picture(params: Mapping[str, str], name: str, url: str, file: str = "", limits: Limits = FACE_LIMITS) -> Picture:
    """The picture given under ``name`` (base64), ``url`` or ``file`` (a V2 file stream, which wins over the other
    two); base64 and a URL together answer DataDuplication, neither MissingParameter."""
    if file and params.get(file):
        return _from_text(params[file], file, limits)
    if params.get(name) and params.get(url):
        raise refused("DataDuplication", f"Give {name} or {url}, not both.")
    if params.get(url):
        return _from_url(params[url], limits)
    required(params, name)
    return _from_text(params[name], name, limits)


def _from_text(value: str, name: str, limits: Limits) -> Picture:
    if value.startswith(("http://", "https://")):  # a V2 file stream: the storage URL the SDK uploaded it to
        return _from_url(value, limits)
    if len(value) > limits.max_bytes:
        raise refused("ToolargeImage", f"The picture is over {limits.max_bytes} bytes: compress it or send a URL.")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(name, "The picture is not base64.") from None
    return _checked(data, limits)


def _from_url(url: str, limits: Limits) -> Picture:
    parts = urlsplit(url)
    if parts.path != SAMPLE_PATH:
        return Picture(None, "url-" + hashlib.sha256(url.encode()).hexdigest()[:16])
    try:
        data = sample_from_query(parts.query)
    except ValueError:
        return Picture(None, "url-" + hashlib.sha256(url.encode()).hexdigest()[:16])
    if len(data) > limits.max_bytes:
        raise refused("ToolargeImage", f"The picture is over {limits.max_bytes} bytes: compress it.")
    return _checked(data, limits)


def _checked(data: bytes, limits: Limits) -> Picture:
    """Refuse what the operation does not read (format, sides, a bad photo); the marks of the rest."""
    found = dimensions(data)
    if found is None:
        raise refused("UnqualifiedPhoto", "The picture is not a JPG, JPEG or PNG image.")
    kind, width, height = found
    if kind not in limits.formats:
        raise refused("UnqualifiedPhoto", f"The picture must be {' or '.join(sorted(limits.formats))}.")
    short, long = sorted((width, height))
    if not (limits.min_short <= short <= limits.max_short and limits.min_long <= long <= limits.max_long):
        raise refused("UnqualifiedPhoto", f"A {width}x{height} picture is outside the resolution allowed.")
    marks = marks_of(data) if kind == "PNG" else jpeg_marks_of(data)
    if marks is not None and marks.quality == "bad":
        raise refused("UnqualifiedPhoto", "The picture is not clear, well exposed and unobstructed.")
    return Picture(marks, "sha-" + hashlib.sha256(data).hexdigest()[:16])


def dimensions(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of a PNG (its IHDR) or a JPEG (its frame header); None for anything else."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ("PNG", width, height) if width and height else None
    if not data.startswith(JPEG_SIGNATURE):
        return None
    position = 2
    while position + 9 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame: its sides
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return ("JPEG", width, height) if width and height else None
        position += 2 + length
    return None


def face_in(found: Picture) -> str:
    """Whose face a picture shows; NoFaceDetected when it has none."""
    if found.face is None:
        raise refused("NoFaceDetected", "No face was found in the picture.")
    return found.face


def offered_in(state: SimulatorState, regions: frozenset[str], action: str) -> None:
    if state.region not in regions:
        raise SimulatedApiError(403, "Forbidden.RegionNotSupported", f"{action} is not offered in {state.region}.")


def option(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    """A switch's value (``default`` when absent); InvalidParameter for a value its SDK model does not list."""
    value = params.get(name) or default
    if value not in allowed:
        raise invalid(name, f"Valid values: {', '.join(allowed)}.")
    return value


def one_of(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    required(params, name)
    return option(params, name, allowed, "")


def ids(params: Mapping[str, str], *, biz_id_required: bool = True, user_id_required: bool = False) -> None:
    """MerchantBizId: letters and digits, at most 32 (required where a page or the SDK says so); MerchantUserId."""
    if biz_id_required:
        required(params, "MerchantBizId")
    if params.get("MerchantBizId") and not MERCHANT_BIZ_ID.fullmatch(params["MerchantBizId"]):
        raise invalid("MerchantBizId", "At most 32 letters and digits.")
    if user_id_required:
        required(params, "MerchantUserId")


def scene_code(params: Mapping[str, str]) -> None:
    if params.get("SceneCode") and not SCENE_CODE.fullmatch(params["SceneCode"]):
        raise invalid("SceneCode", "At most 10 letters, digits and underscores.")


# -- the operations -------------------------------------------------------------------------------------------


def face_compare(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceCompare``: are the faces of two pictures the same person? No ProductCode and no SubCode in its SDK
    model; ``Code`` is "200" on success, as its SDK model says."""
    return _compare(state, params, "FaceCompare", streams=False)


def face_compare_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceCompareV2``: the same, each picture also as a file stream (``SourceFacePictureFile``...)."""
    return _compare(state, params, "FaceCompareV2", streams=True)


def _compare(state: SimulatorState, params: Mapping[str, str], action: str, *, streams: bool) -> dict[str, Any]:
    offered_in(state, FACE_COMPARE_REGIONS, action)
    ids(params, biz_id_required=False)
    faces = [
        face_in(
            picture(params, f"{side}FacePicture", f"{side}FacePictureUrl", f"{side}FacePictureFile" if streams else "")
        )
        for side in ("Source", "Target")
    ]
    same = faces[0] == faces[1]
    result = {
        "TransactionId": new_transaction_id(),
        "Passed": "Y" if same else "N",
        "FaceComparisonScore": _score(":".join(faces), same),
        "ExtFaceInfo": _quality(faces[0], with_target=True),
    }
    return TopLevel(Code="200", Result=result)


def face_liveness(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceLiveness`` (FACE_LIVENESS_MIN, Hong Kong): is the face in a picture a live one? ProductCode,
    MerchantBizId and MerchantUserId are required (its page); FaceQuality and Occlusion ask for those answers."""
    offered_in(state, FACE_LIVENESS_REGIONS, "FaceLiveness")
    required(params, "ProductCode")
    if params["ProductCode"] != "FACE_LIVENESS_MIN":
        raise invalid("ProductCode", "The only value is FACE_LIVENESS_MIN.")
    ids(params, user_id_required=True)
    switches = {name: option(params, name, TRUE_FALSE, "F") for name in ("Crop", "FaceQuality", "Occlusion")}
    found = picture(params, "FacePictureBase64", "FacePictureUrl")
    return _liveness(found, quality=switches["FaceQuality"] == "T", occlusion=switches["Occlusion"] == "T")


def face_liveness_v2(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``FaceLivenessV2`` (FACE_LIVENESS_MIN_PRO, or FACE_LIVENESS_MIN): the same answer; the picture may be a
    file stream (``FacePictureFile``, in the query), and ``FaceQualityCheck`` (Y/N) asks for the quality scores."""
    code = one_of(params, "ProductCode", ("FACE_LIVENESS_MIN_PRO", "FACE_LIVENESS_MIN"))
    pro = code == "FACE_LIVENESS_MIN_PRO"
    offered_in(state, FACE_LIVENESS_PRO_REGIONS if pro else FACE_LIVENESS_REGIONS, f"FaceLivenessV2 ({code})")
    ids(params, biz_id_required=False)
    quality = option(params, "FaceQualityCheck", YES_NO, "N") == "Y"
    found = picture(params, "FacePictureBase64", "FacePictureUrl", "FacePictureFile")
    return _liveness(found, quality=quality, occlusion=True)


def _liveness(found: Picture, *, quality: bool, occlusion: bool) -> dict[str, Any]:
    person = face_in(found)
    rng = random.Random(f"{person}:liveness")
    info: dict[str, Any] = {
        "FaceAttack": "N" if found.live else "Y",
        "FaceAge": rng.randint(18, 70),  # predicted ("the prediction may fail and return no value")
        "FaceGender": rng.choice(("M", "F")),
    }
    if quality:
        info.update(_quality(person, with_target=False))
    if occlusion:
        info["OcclusionResult"] = "N"
    return {
        "TransactionId": new_transaction_id(),
        "Passed": "Y" if found.live else "N",
        "SubCode": "200" if found.live else "205",
        "ExtFaceInfo": info,
    }


def deepfake_detect_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``DeepfakeDetectIntl`` (FACE_DEEPFAKE, Singapore): the risk that a face picture is forged, answered under
    ``ResultObject`` (Result 0 low, 1 high risk; RiskTag; RiskScore) with ``Code`` "200"."""
    offered_in(state, DEEPFAKE_REGIONS, "DeepfakeDetectIntl")
    required(params, "ProductCode", "MerchantBizId")
    if params["ProductCode"] != "FACE_DEEPFAKE":
        raise invalid("ProductCode", "The only value is FACE_DEEPFAKE.")
    ids(params)
    option(params, "FaceInputType", ("IMAGE",), "IMAGE")
    scene_code(params)
    found = picture(params, "FaceBase64", "FaceUrl", limits=DEEPFAKE_LIMITS)
    person = face_in(found)
    forged = found.marks is not None and found.marks.deepfake
    rng = random.Random(f"{person}:deepfake")
    scores = {tag: f"{rng.uniform(0, 0.05):.4f}" for tag in RISK_TAGS}
    if forged:
        scores["SuspectDeepForgery"] = "0.9500"
    answer = {
        "TransactionId": new_transaction_id(),
        "Result": "1" if forged else "0",
        "RiskTag": "SuspectDeepForgery" if forged else "",
        "RiskScore": scores,
    }
    return TopLevel(Code="200", ResultObject=answer)
