"""The checks from the site's pictures: one signed call per check, built from its catalogue entry.

:meth:`PictureOperations.check_pictures` sends any entry of
:data:`~django_ekyc.catalogue.pictures.PICTURE_CHECKS`; the named methods are the same call for one check each.
Pictures are base64 text, already checked and stripped of metadata (:mod:`django_ekyc.imaging` does it for the
services). Never retried once it may have reached the provider: each call is billed.
"""

from __future__ import annotations

from collections.abc import Mapping

from django_ekyc.catalogue.pictures import PICTURE_CHECKS, PictureCheck
from django_ekyc.client.caller import Caller
from django_ekyc.client.faces import base64_size
from django_ekyc.exceptions import EkycMalformedResponse
from django_ekyc.results.pictures import PictureResult


def picture_parameters(
    check: PictureCheck,
    *,
    merchant_biz_id: str,
    merchant_user_id: str,
    pictures: Mapping[str, str],
    doc_type: str = "",
    options: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The request of ``check``: its fixed parameters, the site's options over the entry's defaults (only those the
    entry lets a site set), the ids, the document type and each picture under its parameter. A missing or
    oversized picture, an option the entry does not take, or a document type it does not read is a ``ValueError``:
    nothing is sent."""
    unknown = sorted(set(options or {}) - set(check.site_options))
    if unknown:
        raise ValueError(
            f"{check.code} takes no option {', '.join(unknown)} (it takes {', '.join(check.site_options)})."
        )
    params = {**check.site_options, **(options or {}), **check.fixed, "MerchantBizId": merchant_biz_id}
    if check.sends_product_code:
        params["ProductCode"] = check.code
    if check.sends_merchant_user_id:
        params["MerchantUserId"] = merchant_user_id
    if check.doc_types:
        if doc_type not in check.doc_types:
            raise ValueError(f"{check.code} reads no document type {doc_type!r}.")
        params["DocType"] = doc_type
    for picture in check.pictures:
        text = pictures.get(picture.name, "")
        if not text:
            raise ValueError(f"{check.code} needs the picture {picture.name!r}.")
        if base64_size(text) > check.limits.max_bytes:
            raise ValueError(f"The picture {picture.name!r} is over {check.limits.max_bytes} bytes.")
        params[picture.parameter] = text
    return params


class PictureOperations:
    """Mixed into :class:`~django_ekyc.client.EkycClient`: the checks from pictures."""

    def check_pictures(
        self: Caller,
        code: str,
        *,
        merchant_biz_id: str,
        merchant_user_id: str = "",
        pictures: Mapping[str, str],
        doc_type: str = "",
        options: Mapping[str, str] | None = None,
    ) -> PictureResult:
        """Run the check ``code`` (a key of ``PICTURE_CHECKS``) on base64 ``pictures`` named as its entry names
        them (``face``, ``reference``, ``document``). Counted against the entry's product quota."""
        check = PICTURE_CHECKS[code]
        params = picture_parameters(
            check,
            merchant_biz_id=merchant_biz_id,
            merchant_user_id=merchant_user_id,
            pictures=pictures,
            doc_type=doc_type,
            options=options,
        )
        body = self.call(check.operation, params, idempotent=False, product_code=check.code)
        if not isinstance(body.get("Result" if "ResultObject" not in body else "ResultObject"), Mapping):
            raise self.transport.malformed(check.operation, body, "no Result")
        try:
            return PictureResult.from_response(body)
        except (KeyError, TypeError, ValueError) as err:
            error: EkycMalformedResponse = self.transport.malformed(check.operation, body, "an unreadable Result")
            raise error from err

    def compare_face_pictures(
        self: Caller, *, merchant_biz_id: str, face: str, reference: str, **options: str
    ) -> PictureResult:
        """``FaceCompare``: whether two face pictures show the same person (``comparison_score``, 0-100)."""
        return PictureOperations.check_pictures(
            self,
            "FACE_COMPARE",
            merchant_biz_id=merchant_biz_id,
            pictures={"face": face, "reference": reference},
            options=options,
        )

    def check_face_liveness(
        self: Caller, *, merchant_biz_id: str, merchant_user_id: str, face: str, **options: str
    ) -> PictureResult:
        """``FaceLiveness`` (FACE_LIVENESS_MIN): passive liveness of one still picture (``attacked``)."""
        return PictureOperations.check_pictures(
            self,
            "FACE_LIVENESS_MIN",
            merchant_biz_id=merchant_biz_id,
            merchant_user_id=merchant_user_id,
            pictures={"face": face},
            options=options,
        )

    def detect_deepfake(self: Caller, *, merchant_biz_id: str, face: str) -> PictureResult:
        """``DeepfakeDetectIntl`` (FACE_DEEPFAKE): ``risk`` 0 low, 1 high, 2 suspicious, with ``risk_tags``."""
        return PictureOperations.check_pictures(
            self, "FACE_DEEPFAKE", merchant_biz_id=merchant_biz_id, pictures={"face": face}
        )

    def read_document(
        self: Caller,
        *,
        merchant_biz_id: str,
        merchant_user_id: str,
        document: str,
        doc_type: str,
        code: str = "ID_OCR_MAX",
        **options: str,
    ) -> PictureResult:
        """``DocOcrMax`` (ID_OCR_MAX, the default) or ``DocOcr`` (ID_OCR): what a document picture says."""
        return PictureOperations.check_pictures(
            self,
            code,
            merchant_biz_id=merchant_biz_id,
            merchant_user_id=merchant_user_id,
            pictures={"document": document},
            doc_type=doc_type,
            options=options,
        )

    def verify_document_and_face(
        self: Caller,
        *,
        merchant_biz_id: str,
        merchant_user_id: str,
        document: str,
        face: str,
        doc_type: str,
        **options: str,
    ) -> PictureResult:
        """``EkycVerify`` (eKYC_MIN): a document and a face picture in one call, the face compared with the document."""
        return PictureOperations.check_pictures(
            self,
            "eKYC_MIN",
            merchant_biz_id=merchant_biz_id,
            merchant_user_id=merchant_user_id,
            pictures={"document": document, "face": face},
            doc_type=doc_type,
            options=options,
        )
