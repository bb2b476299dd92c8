"""Typed, immutable answers of the provider.

The provider returns several results as JSON *strings* inside the JSON body
(``ExtIdInfo``, ``ExtFaceInfo``...). They are parsed here, defensively: fields
vary by document and region, and a result must never fail to load because a
field we do not know about appeared. The raw answer is kept for audits.

Identity data (names, document numbers, images) is kept out of ``repr`` so a
result that ends up in a log line or a traceback does not leak it.
"""

from django_ekyc.results.faces import (
    FaceDeletionResult,
    FaceMatch,
    FaceQuality,
    FaceRecord,
    FaceRecordPage,
    FaceSearchResult,
    FaceUploadResult,
)
from django_ekyc.results.hosted import DeletionResult, InitializeResult, VerificationResult
from django_ekyc.results.pictures import PictureResult
from django_ekyc.results.records import FraudReport, RecordsExport, VerifyLog

__all__ = [
    "DeletionResult",
    "FaceDeletionResult",
    "FaceMatch",
    "FaceQuality",
    "FaceRecord",
    "FaceRecordPage",
    "FaceSearchResult",
    "FaceUploadResult",
    "FraudReport",
    "InitializeResult",
    "PictureResult",
    "RecordsExport",
    "VerificationResult",
    "VerifyLog",
]
