"""The provider's products (``ProductCode``) and regions, as data: one row per product.

A row says what the product asks of the user (a document or only a face), which documents it reads, in which
regions it runs (and which documents each region accepts), which Initialize parameters apply to it, and how its
CheckResult reads. Adding a product the provider offers is adding a row to :data:`CATALOGUE`.

Pure data, no Django: the simulator judges requests by the same table. Facts are from the provider's pages
(products, certificate code table, region notes; 2025-12 to 2026-11); see ``docs/products.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES, GLOBAL_DOC_TYPES, gettext_noop
from django_ekyc.catalogue.regions import REGIONS

__all__ = ["CATALOGUE", "SERVER_PRODUCTS", "Channel", "Product", "ResultKind"]


class Channel(StrEnum):
    """Where the user verifies: a browser (the web SDK and the hosted page), a native app (the app SDK), or the
    site's own server, with pictures it holds."""

    WEB = "web"
    APP = "app"
    SERVER = "server"  # no user device: a check the site makes with pictures it holds


class ResultKind(StrEnum):
    """How a product's CheckResult reads."""

    DOCUMENT = "document"  # ExtIdInfo (OCR fields, document checks) and ExtFaceInfo (face vs document, liveness)
    LIVENESS = "liveness"  # ExtFaceInfo only: liveness and deep-fake checks, no document data
    FACE_COMPARE = "face_compare"  # ExtFaceInfo: liveness and the comparison with a face the site supplied
    FACE_SEARCH = "face_search"  # ExtFaceInfo: liveness and the faces of a library that match (duplicateFace)


# Custom liveness actions (Model=TEMPLATE; the SDK: TemplateConfig is required then).
TEMPLATE_PARAMETERS = frozenset({"TemplateConfig", "TemplateType", "TemplateRanCount"})
# Initialize parameters every hosted product takes.
COMMON_PARAMETERS = (
    frozenset(
        {
            "ProductCode",
            "MerchantBizId",
            "MerchantUserId",
            "MetaInfo",
            "ReturnUrl",
            "SceneCode",
            "CallbackUrl",
            "CallbackToken",
            "LanguageConfig",
            "StyleConfig",
            "SecurityLevel",
            "Model",
            "ShowGuidePage",
            "ProcedurePriority",
            "ExperienceCode",
        }
    )
    | TEMPLATE_PARAMETERS
)
# Parameters of the document step.
DOCUMENT_PARAMETERS = frozenset(
    {
        "DocType",
        "IdSpoof",
        "IdThreshold",
        "Pages",
        "DocScanMode",
        "ShowAlbumIcon",
        "ShowOcrResult",
        "EditOcrResult",
        "DocVideo",
        "Authorize",
        "DocName",
        "DocNo",
        "Crop",
        "Ocr",
        "IdFaceQuality",
        "UseNFC",
        "MRTDInput",
        "DocumentNumber",
        "DateOfBirth",
        "DateOfExpiry",
        "DocPageConfig",
        "AutoDocPageConfig",
        "OcrValueStandard",
        "Email",
        "Mobile",
    }
)
# Parameters only the app SDK honours (the provider: "not supported by the Web SDK").
APP_PARAMETERS = frozenset({"AppQualityCheck"})
# Parameters only a browser start takes: where the provider sends the user back, and what it does inside an app's
# WebView (ProcedurePriority "keep": end the flow with an error instead of offering to copy the URL).
WEB_PARAMETERS = frozenset({"ReturnUrl", "ProcedurePriority"})
# A face the site supplies to compare with (FACE_VERIFY); the picture travels in the body.
SUPPLIED_FACE_PARAMETERS = frozenset({"FacePictureBase64", "FacePictureUrl", "FaceVerifyThreshold"})
# The face library: search it, register into it (FACE_IDU).
FACE_LIBRARY_PARAMETERS = frozenset(
    {
        "FaceGroupCodes",
        "FaceRegisterGroupCode",
        "AutoRegistration",
        "ReturnFaces",
        "VerifyModel",
        "UpdateFaceIfUserExists",
        "SaveFacePicture",
        "FaceVerifyThreshold",
        "TargetFacePicture",
        "TargetFacePictureUrl",
    }
)
# Where the provider keeps face libraries and searches them (FACE_IDU, FACE_IDU_MIN).
FACE_LIBRARY_REGIONS = frozenset(code for code, region in REGIONS.items() if region.face_libraries)


@dataclass(frozen=True)
class Product:
    """One ``ProductCode``: what it reads, where it runs, what it takes."""

    code: str
    label: str
    result: ResultKind
    regions: frozenset[str]
    doc_types: Mapping[str, str] = field(default_factory=dict)
    # Regions that accept only some of ``doc_types``; a region not listed accepts them all.
    region_doc_types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    parameters: frozenset[str] = COMMON_PARAMETERS
    # A passed check of this product proves an identity: it verified a document and compared the live face with
    # it. Only such a check counts as "verified" for the guards, and only such a check may set the face that
    # re-verification trusts (the reference face, the face library entry); a liveness check proves only that
    # somebody was alive.
    verifies_document: bool = False
    # Calls per second each API of the product allows per Alibaba account (the QPS-limits page, 2025-12: "the QPS
    # limit for each product applies to every API within that product"); None where the page gives none.
    qps: int | None = None
    # The operation that opens it: Initialize for a hosted flow; a server-side product's one call.
    operation: str = "Initialize"
    # The largest picture the product takes, in bytes, where its page gives one (checked before sending).
    max_picture_bytes: int | None = None

    @property
    def reads_document(self) -> bool:
        return bool(self.doc_types)

    @property
    def compares_supplied_face(self) -> bool:
        """A face check against a picture the site supplies (re-verification against a kept reference face)."""
        return self.result is ResultKind.FACE_COMPARE

    @property
    def searches_library(self) -> bool:
        """A face check searched against a face library (re-verification finds the user's own registered face)."""
        return self.result is ResultKind.FACE_SEARCH

    @property
    def sets_reference_face(self) -> bool:
        """Whether a passed check of this product may set or replace the user's reference face: it verified a
        document on the provider's page, and its result carries the live face (``ExtFaceInfo.faceImg``); a still
        picture a site uploaded never does (no active liveness)."""
        return self.verifies_document and self.result is ResultKind.DOCUMENT and self.hosted

    @property
    def hosted(self) -> bool:
        """Whether the user verifies on the provider's page or app SDK (a start); else one server-side call."""
        return self.operation in HOSTED_OPERATIONS

    def doc_types_in(self, region: str) -> dict[str, str]:
        """The documents this product reads in ``region`` (none where it does not run)."""
        if region not in self.regions:
            return {}
        allowed = self.region_doc_types.get(region)
        return {code: label for code, label in self.doc_types.items() if allowed is None or code in allowed}

    def accepts_parameter(self, name: str, channel: Channel = Channel.WEB) -> bool:
        if name in WEB_PARAMETERS:
            return channel is Channel.WEB
        return name in self.parameters or (channel is Channel.APP and name in APP_PARAMETERS)


HOSTED_OPERATIONS = frozenset({"Initialize", "InitializeV2"})


CATALOGUE: Mapping[str, Product] = MappingProxyType(
    {
        "eKYC": Product(
            code="eKYC",
            label=gettext_noop("Identity verification (greater-China documents)"),
            result=ResultKind.DOCUMENT,
            regions=frozenset({"cn-hongkong"}),
            doc_types=DEFAULT_DOC_TYPES,
            parameters=COMMON_PARAMETERS | DOCUMENT_PARAMETERS,
            verifies_document=True,
            qps=10,
        ),
        "eKYC_PRO": Product(
            code="eKYC_PRO",
            label=gettext_noop("Identity verification (global documents)"),
            result=ResultKind.DOCUMENT,
            # The product directory (2026-03): Hong Kong, Singapore, Jakarta and Kuala Lumpur.
            regions=frozenset({"cn-hongkong", "ap-southeast-1", "ap-southeast-5", "ap-southeast-3"}),
            doc_types=GLOBAL_DOC_TYPES,
            # The provider's region models: Jakarta and Kuala Lumpur read their national ID and passports only.
            region_doc_types={
                "ap-southeast-5": frozenset({"IDN01001", "GLB03002"}),
                "ap-southeast-3": frozenset({"MYS01001", "GLB03002"}),
            },
            parameters=COMMON_PARAMETERS | DOCUMENT_PARAMETERS,
            verifies_document=True,
            qps=5,
        ),
        "FACE_LIVENESS_PRO": Product(
            code="FACE_LIVENESS_PRO",
            label=gettext_noop("Liveness check with deep-fake detection"),
            result=ResultKind.LIVENESS,
            regions=frozenset({"cn-hongkong", "ap-southeast-1", "ap-southeast-5"}),
            qps=10,
        ),
        "FACE_LIVENESS": Product(
            code="FACE_LIVENESS",
            label=gettext_noop("Liveness check"),
            result=ResultKind.LIVENESS,
            regions=frozenset({"cn-hongkong"}),
            qps=50,
        ),
        "FACE_VERIFY": Product(
            code="FACE_VERIFY",
            label=gettext_noop("Liveness and comparison with a face the site supplies"),
            result=ResultKind.FACE_COMPARE,
            regions=frozenset({"cn-hongkong"}),
            parameters=COMMON_PARAMETERS | SUPPLIED_FACE_PARAMETERS,
            qps=50,
        ),
        "FACE_IDU": Product(
            code="FACE_IDU",
            label=gettext_noop("Liveness and search of a face library"),
            result=ResultKind.FACE_SEARCH,
            regions=FACE_LIBRARY_REGIONS,
            parameters=COMMON_PARAMETERS | FACE_LIBRARY_PARAMETERS,
            qps=50,
        ),
    }
)

# Server-side face products: one call with a picture the site holds, no page. FACE_IDU_MIN's pages disagree on its
# operation: en (2026-02), zh and ja name FaceDuplicationCheckIntl, the newest (es, 2026-09) and the SDK's
# FaceVerifyIntl model name FaceVerifyIntl, which this entry follows; the client speaks both (``operation``).
SERVER_PRODUCTS: Mapping[str, Product] = MappingProxyType(
    {
        "FACE_IDU_MIN": Product(
            code="FACE_IDU_MIN",
            label=gettext_noop("Search of a face library with a picture"),
            result=ResultKind.FACE_SEARCH,
            regions=FACE_LIBRARY_REGIONS,
            qps=10,
            operation="FaceVerifyIntl",
            max_picture_bytes=1024 * 1024,  # the FACE_IDU_MIN pages: 1 MB
        ),
        "FACE_VERIFY_MIN": Product(
            code="FACE_VERIFY_MIN",
            label=gettext_noop("Comparison of two face pictures"),
            result=ResultKind.FACE_COMPARE,
            regions=FACE_LIBRARY_REGIONS,
            operation="FaceVerifyIntl",
            max_picture_bytes=1024 * 1024,
        ),
        "FACE_ENROLL": Product(
            code="FACE_ENROLL",
            label=gettext_noop("Registration of a face in a face library"),
            result=ResultKind.FACE_SEARCH,
            regions=FACE_LIBRARY_REGIONS,
            operation="AddFaceRecord",
        ),
    }
)


# The products whose passed check counts as a verified identity (the guards' default).
DOCUMENT_PRODUCTS = frozenset(code for code, product in CATALOGUE.items() if product.verifies_document)


APP_DEVICE_TYPES = frozenset({"ios", "android"})


def channel_of(meta_info: str) -> Channel:
    """The channel a MetaInfo comes from: the app SDK's says ``deviceType`` ``ios`` or ``android``; the web SDK's
    ``h5`` (a mobile browser) or ``web`` (a desktop browser)."""
    try:
        device = json.loads(meta_info).get("deviceType")
    except (ValueError, AttributeError, RecursionError):
        return Channel.WEB
    return Channel.APP if str(device).lower() in APP_DEVICE_TYPES else Channel.WEB
