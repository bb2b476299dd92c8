"""Checks from the site's own pictures: one server-side call with pictures the site holds, no hosted page.

Each entry names its product (the ``ProductCode`` it sends, or only counts its quota against), its operation, the
pictures it takes and where they travel, the limits a picture must meet before it is sent, the parameters the app
always sends and those the site may set (its security decisions, never the request's), and how its answer reads.
Adding a check the provider offers is adding an entry to :data:`PICTURE_CHECKS`; the API, the services, the
simulator and the docs read it. Facts: the official SDK's models (3.23.1) and the provider's pages; see
``docs/pictures.md`` for which source each fact follows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES, GLOBAL_DOC_TYPES, gettext_noop
from django_ekyc.catalogue.products import SERVER_PRODUCTS, Product, ResultKind
from django_ekyc.catalogue.regions import REGIONS

__all__ = ["PICTURE_CHECKS", "PictureCheck", "PictureInput", "PictureKind", "PictureLimits", "Verdict"]

MB = 1024 * 1024


class PictureKind(StrEnum):
    """What a picture must show: a face, or an identity document."""

    FACE = "face"
    DOCUMENT = "document"


class Verdict(StrEnum):
    """How an answer says whether the check passed."""

    PASSED = "passed"  # Result.Passed: Y or N
    RISK = "risk"  # DeepfakeDetectIntl's ResultObject.Result: 0 low risk, 1 high risk, 2 suspicious


@dataclass(frozen=True)
class PictureLimits:
    """What a picture must be before it is sent: the provider refuses the rest, after billing the call.

    ``max_bytes`` is the picture's own size: the pages ask for a base64 original of at most 0.6 MB where the
    transmission limit is 1 MB (6 MB where it is 10 MB). Sides are counted whatever the orientation: the pages give
    640x480 to 1920x1080 for faces (recommending portrait, refusing neither), 200 to 8192 pixels for documents."""

    max_bytes: int = 600 * 1024
    min_short_side: int = 480
    min_long_side: int = 640
    max_short_side: int = 1080
    max_long_side: int = 1920
    formats: frozenset[str] = frozenset({"JPEG", "PNG"})
    # Decoded pixels at most, whatever the sides allow: a document of 8191x8191 is 67 million pixels, some 200 MB
    # decoded; this app's own cap (24 million: a 6000x4000 photo), not the provider's.
    max_pixels: int = 24_000_000


FACE_LIMITS = PictureLimits()
DOCUMENT_LIMITS = PictureLimits(min_short_side=201, min_long_side=201, max_short_side=8191, max_long_side=8191)
# DeepfakeDetectIntl: JPG only, up to 10 MB sent, pictures over 1 MB by URL (so 1 MB here, sent in the body).
DEEPFAKE_LIMITS = PictureLimits(max_bytes=MB, formats=frozenset({"JPEG"}))


@dataclass(frozen=True)
class PictureInput:
    """One picture a check takes: its name in this app's API, its parameter at the provider, what it shows, and
    its own limits where they are not the check's (a document beside a face)."""

    name: str
    parameter: str
    kind: PictureKind
    label: str
    limits: PictureLimits | None = None


FACE = PictureInput("face", "", PictureKind.FACE, gettext_noop("A picture of your face"))
DOCUMENT = PictureInput(
    "document", "IdOcrPictureBase64", PictureKind.DOCUMENT, gettext_noop("A picture of your document")
)


def _face(parameter: str) -> PictureInput:
    return PictureInput(FACE.name, parameter, FACE.kind, FACE.label)


@dataclass(frozen=True)
class PictureCheck:
    """A check from the site's pictures: a product, its operation, its pictures and its answer."""

    product: Product
    pictures: tuple[PictureInput, ...]
    limits: PictureLimits = FACE_LIMITS
    verdict: Verdict = Verdict.PASSED
    # Whether the request carries ProductCode (FaceCompare's SDK model has none: its code only names its quota).
    sends_product_code: bool = True
    sends_merchant_user_id: bool = False
    # Parameters the app always sends, and those the site may set (PICTURE_CHECK_OPTIONS) with their defaults.
    fixed: Mapping[str, str] = field(default_factory=dict)
    site_options: Mapping[str, str] = field(default_factory=dict)
    # What a passed check says of the user: it compared two faces, judged a face live, screened it for deepfakes.
    compares_faces: bool = False
    checks_liveness: bool = False
    screens_deepfake: bool = False
    # It searches the site's face library (FACE_LIBRARY) for the person: duplicate accounts.
    searches_library: bool = False
    # The consent the user gives first (one text per purpose, CONSENT_TEXTS).
    consent_purpose: str = "pictures"

    @property
    def code(self) -> str:
        return self.product.code

    @property
    def operation(self) -> str:
        return self.product.operation

    def limits_for(self, picture: PictureInput) -> PictureLimits:
        return picture.limits or self.limits

    @property
    def doc_types(self) -> Mapping[str, str]:
        """The documents it reads (DocType is then required); empty: no DocType is sent."""
        return self.product.doc_types

    @property
    def reads_document(self) -> bool:
        return any(picture.kind is PictureKind.DOCUMENT for picture in self.pictures)

    @property
    def regions(self) -> frozenset[str]:
        return self.product.regions

    def doc_types_in(self, region: str) -> Mapping[str, str]:
        return self.product.doc_types_in(region)


def _product(
    code: str,
    label: str,
    operation: str,
    regions: frozenset[str],
    qps: int | None,
    *,
    doc_types: Mapping[str, str] | None = None,
    region_doc_types: Mapping[str, frozenset[str]] | None = None,
    verifies_document: bool = False,
) -> Product:
    return Product(
        code=code,
        label=label,
        result=ResultKind.DOCUMENT if doc_types else ResultKind.LIVENESS,
        regions=regions & frozenset(REGIONS),
        doc_types=dict(doc_types or {}),
        region_doc_types=dict(region_doc_types or {}),
        qps=qps,
        operation=operation,
        verifies_document=verifies_document,
    )


HONG_KONG = frozenset({"cn-hongkong"})
SINGAPORE = frozenset({"ap-southeast-1"})
JAKARTA, KUALA_LUMPUR = "ap-southeast-5", "ap-southeast-3"

# Facts and the source each follows: docs/pictures.md. CardOcr is left out: the provider's API metadata marks it
# deprecated, replaced by DocOcr (ID_OCR_MIN).
PICTURE_CHECKS: Mapping[str, PictureCheck] = MappingProxyType(
    {
        "FACE_COMPARE": PictureCheck(
            # No ProductCode in FaceCompare's SDK model: the code only names its quota (QPS page: 10). Regions: the
            # newest dated page (ja, 2026-03): Singapore, Jakarta, Hong Kong.
            product=_product(
                "FACE_COMPARE",
                gettext_noop("Comparison of two face pictures"),
                "FaceCompare",
                HONG_KONG | SINGAPORE | {JAKARTA},
                10,
            ),
            pictures=(
                _face("SourceFacePicture"),
                PictureInput(
                    "reference", "TargetFacePicture", PictureKind.FACE, gettext_noop("The face to compare with")
                ),
            ),
            sends_product_code=False,
            compares_faces=True,
        ),
        "FACE_LIVENESS_MIN_PRO": PictureCheck(
            # FaceLivenessV2's page (es, 2026-10): Singapore, Jakarta, Hong Kong, Kuala Lumpur.
            product=_product(
                "FACE_LIVENESS_MIN_PRO",
                gettext_noop("Liveness of a face picture (large model)"),
                "FaceLivenessV2",
                HONG_KONG | SINGAPORE | {JAKARTA, KUALA_LUMPUR},
                None,
            ),
            pictures=(_face("FacePictureBase64"),),
            sends_merchant_user_id=True,
            checks_liveness=True,
            site_options={"FaceQualityCheck": "N"},
        ),
        "FACE_LIVENESS_MIN": PictureCheck(
            product=_product(
                "FACE_LIVENESS_MIN", gettext_noop("Liveness of a face picture"), "FaceLiveness", HONG_KONG, None
            ),
            pictures=(_face("FacePictureBase64"),),
            sends_merchant_user_id=True,
            checks_liveness=True,
            fixed={"FaceQuality": "T"},
            site_options={"Occlusion": "F", "Crop": "F"},
        ),
        "FACE_DEEPFAKE": PictureCheck(
            product=_product(
                "FACE_DEEPFAKE",
                gettext_noop("Deepfake screening of a face picture"),
                "DeepfakeDetectIntl",
                SINGAPORE,
                10,
            ),
            pictures=(_face("FaceBase64"),),
            limits=DEEPFAKE_LIMITS,
            verdict=Verdict.RISK,
            fixed={"FaceInputType": "IMAGE"},
            screens_deepfake=True,
        ),
        "ID_OCR_MIN": PictureCheck(
            # DocOcr's page (en 2025-09, zh 2026-01) names ID_OCR_MIN, Hong Kong only; its eight-digit DocType codes
            # are the greater-China table of the hosted eKYC (its full list is not published on the page).
            product=_product(
                "ID_OCR_MIN",
                gettext_noop("Reading of an identity document (greater China)"),
                "DocOcr",
                HONG_KONG,
                None,
                doc_types=DEFAULT_DOC_TYPES,
            ),
            pictures=(DOCUMENT,),
            limits=DOCUMENT_LIMITS,
            sends_merchant_user_id=True,
            fixed={"Ocr": "T"},
            site_options={"Spoof": "T", "IdThreshold": "0", "IdFaceQuality": "F"},
        ),
        "ID_OCR_MAX": PictureCheck(
            # DocOcrMaxV2's page (es, 2026-11, the newest): Singapore and Hong Kong read the whole table, Jakarta and
            # Kuala Lumpur their national ID and passports. Up to 10 MB sent: a 6 MB original.
            product=_product(
                "ID_OCR_MAX",
                gettext_noop("Reading of an identity document (global documents)"),
                "DocOcrMaxV2",
                HONG_KONG | SINGAPORE | {JAKARTA, KUALA_LUMPUR},
                5,
                doc_types=GLOBAL_DOC_TYPES,
                region_doc_types={
                    JAKARTA: frozenset({"IDN01001", "GLB03002"}),
                    KUALA_LUMPUR: frozenset({"MYS01001", "GLB03002"}),
                },
            ),
            pictures=(DOCUMENT,),
            limits=PictureLimits(
                max_bytes=6 * MB, min_short_side=201, min_long_side=201, max_short_side=8191, max_long_side=8191
            ),
            sends_merchant_user_id=True,
            fixed={"OcrModel": "0"},
            site_options={"IdSpoof": "T", "IdThreshold": "0", "OcrValueStandard": "1"},
        ),
        "eKYC_MIN": PictureCheck(
            # EkycVerify's page (en 2026-01): Hong Kong only, greater-China documents (eight-digit DocType codes).
            product=_product(
                "eKYC_MIN",
                gettext_noop("Document and face, from pictures"),
                "EkycVerify",
                HONG_KONG,
                None,
                doc_types=DEFAULT_DOC_TYPES,
                verifies_document=True,
            ),
            # The document under the documents' sides (EkycVerify's page gives only the face's), both 0.6 MB.
            pictures=(dataclasses.replace(DOCUMENT, limits=DOCUMENT_LIMITS), _face("FacePictureBase64")),
            sends_merchant_user_id=True,
            compares_faces=True,
            site_options={"IdSpoof": "T", "IdThreshold": "0", "Crop": "F"},
        ),
        "FACE_IDU_MIN": PictureCheck(
            # The face library's server-side search (docs/faces.md: its operation, its limits).
            product=SERVER_PRODUCTS["FACE_IDU_MIN"],
            pictures=(_face("SourceFacePicture"),),
            limits=PictureLimits(max_bytes=MB),
            searches_library=True,
        ),
    }
)
