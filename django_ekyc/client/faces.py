"""The face library operations: search a library for a face and register it, look records up, delete a user's faces.

A face library (a ``FaceGroupCode``) is created in the provider's console, lives in one region, and keys each face
by the ``MerchantUserId`` it was registered under (at most 32 characters). ``FACE_IDU_MIN`` is the provider's
server-side search: given a face picture, it answers the records of the libraries that hold the same person
(``DuplicateFace``) and, when none does and ``AutoRegistration`` is ``0``, registers the face. Its pages disagree on
the operation (``FaceDuplicationCheckIntl`` in en 2026-02, zh and ja; ``FaceVerifyIntl`` in es 2026-09): the
catalogue entry (``SERVER_PRODUCTS["FACE_IDU_MIN"].operation``) chooses, and this client builds either request
from the SDK's model of it. Parameters travel where the catalogue (read from the SDK) places them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django_ekyc.catalogue.products import SERVER_PRODUCTS, Product
from django_ekyc.client.caller import Caller
from django_ekyc.exceptions import EkycMalformedResponse
from django_ekyc.results import FaceDeletionResult, FaceRecordPage, FaceSearchResult, FaceUploadResult

# The provider's documented limits: libraries per search, matches per answer, length of a face record's key.
MAX_FACE_GROUPS = 10
MAX_RETURN_FACES = 5
MAX_MERCHANT_USER_ID = 32
# The server-side products (the catalogue's entries): the search of face libraries, the comparison of two pictures,
# and the registration AddFaceRecord requires (also the product QueryFaceRecord and DeleteFaceRecordV2, which send
# no ProductCode, are counted against by the site's rate limiter).
SEARCH = SERVER_PRODUCTS["FACE_IDU_MIN"]
COMPARE = SERVER_PRODUCTS["FACE_VERIFY_MIN"]
ENROL = SERVER_PRODUCTS["FACE_ENROLL"]
# The two operations the FACE_IDU_MIN pages name for the search.
VERIFY = "FaceVerifyIntl"
DUPLICATION_CHECK = "FaceDuplicationCheckIntl"


class FaceLibraryOperations:
    """Mixed into :class:`~django_ekyc.client.EkycClient`: the face library operations."""

    def search_face(
        self: Caller,
        *,
        merchant_biz_id: str,
        merchant_user_id: str,
        face_picture: str,
        face_groups: Iterable[str],
        register_into: str | None = None,
        return_faces: int = MAX_RETURN_FACES,
        liveness: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> FaceSearchResult:
        """Search libraries for the person in ``face_picture`` (base64) and, when nobody matches and
        ``register_into`` is given, register the face there under ``merchant_user_id`` (``FACE_IDU_MIN``, mode 0,
        through the operation its catalogue entry names). Not retried once sent: a registration may have happened.

        ``liveness`` turns on FaceDuplicationCheckIntl's passive liveness check (``Liveness=1``); FaceVerifyIntl has
        no such switch, so asking it of FaceVerifyIntl is a ``ValueError``. Everything is checked before sending:
        the libraries (1 to 10), ``return_faces`` (1 to 5), the key, the picture's size (the product's limit)."""
        groups = [group for group in face_groups if group]
        _check_key(merchant_user_id)
        if not groups or len(groups) > MAX_FACE_GROUPS:
            raise ValueError(f"Search between 1 and {MAX_FACE_GROUPS} face libraries.")
        if not 1 <= return_faces <= MAX_RETURN_FACES:
            raise ValueError(f"return_faces must be between 1 and {MAX_RETURN_FACES}.")
        check_picture(SEARCH, face_picture, "SourceFacePicture")
        action = SEARCH.operation
        params = {
            **(extra or {}),
            "ProductCode": SEARCH.code,
            "MerchantBizId": merchant_biz_id,
            "MerchantUserId": merchant_user_id,
            "VerifyModel": "0",  # retrieval: search the libraries
            "FaceGroupCodes": ",".join(groups),
            "ReturnFaces": str(return_faces),
            # The provider's sense: "0" registers the face when no duplicate is found, "1" (its default) does not.
            "AutoRegistration": "0" if register_into else "1",
            "SourceFacePicture": face_picture,
        }
        if action == VERIFY:
            # The SDK's FaceVerifyIntl model: "Required when ProductCode=FACE_IDU_MIN" (with AutoRegistration,
            # FaceGroupCodes, ReturnFaces, VerifyModel), registering or not. With AutoRegistration=1 nothing is
            # registered, so the library searched stands in when the caller registers nowhere.
            if liveness:
                raise ValueError(f"{VERIFY} has no passive liveness switch (Liveness is {DUPLICATION_CHECK}'s).")
            params["FaceRegisterGroupCode"] = register_into or groups[0]
        elif action == DUPLICATION_CHECK:
            # Its model marks no register group required: sent only where the face is to be registered.
            if register_into:
                params["FaceRegisterGroupCode"] = register_into
            params["Liveness"] = "1" if liveness else "0"
        else:
            raise ValueError(f"{SEARCH.code}'s catalogue entry names {action!r}: not an operation this client speaks.")
        body = self.call(action, params, idempotent=False)
        return _parsed(self, action, body, FaceSearchResult.from_response)

    def compare_faces(
        self: Caller, *, merchant_biz_id: str, face_picture: str, reference_picture: str
    ) -> FaceSearchResult:
        """Whether ``face_picture`` shows the person of ``reference_picture`` (both base64): ``FaceVerifyIntl`` in
        its verification mode (``VerifyModel`` 1). :attr:`FaceSearchResult.passed` is the answer. Read-only for
        the provider's libraries, so retried like a query."""
        check_picture(COMPARE, face_picture, "SourceFacePicture")
        check_picture(COMPARE, reference_picture, "TargetFacePicture")
        params = {
            "ProductCode": COMPARE.code,
            "MerchantBizId": merchant_biz_id,
            "VerifyModel": "1",
            "SourceFacePicture": face_picture,
            "TargetFacePicture": reference_picture,
        }
        body = self.call(COMPARE.operation, params, idempotent=True)
        return _parsed(self, COMPARE.operation, body, FaceSearchResult.from_response)

    def add_face_record(
        self: Caller, *, face_group: str, merchant_user_id: str, face_picture: str, quality_check: bool = False
    ) -> FaceUploadResult:
        """Register a face in a library under ``merchant_user_id`` (``AddFaceRecord``)."""
        _check_key(merchant_user_id)
        check_picture(ENROL, face_picture, "FacePicture")
        params = {
            "ProductCode": ENROL.code,
            "FaceGroupCode": face_group,
            "MerchantUserId": merchant_user_id,
            "FacePicture": face_picture,
            "FaceQualityCheck": "Y" if quality_check else "N",
        }
        body = self.call("AddFaceRecord", params, idempotent=False)
        return _parsed(self, "AddFaceRecord", body, FaceUploadResult.from_response)

    def query_face_records(
        self: Caller,
        *,
        face_group: str,
        merchant_user_id: str | None = None,
        page: int = 1,
        page_size: int = 20,
        next_token: str = "",
    ) -> FaceRecordPage:
        """One page of a library's records, of one user if given (``QueryFaceRecord``). Read-only: retried.

        Page by number, or pass the previous page's :attr:`FaceRecordPage.next_token` (the provider's opaque
        token) for the next one; ``CurrentPage`` and ``PageSize`` are sent either way (the SDK requires them)."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1.")
        params = {"FaceGroupCode": face_group, "CurrentPage": str(page), "PageSize": str(page_size)}
        if merchant_user_id:
            params["MerchantUserId"] = merchant_user_id
        if next_token:
            params["NextToken"] = next_token
        body = self.call("QueryFaceRecord", params, idempotent=True, product_code=ENROL.code)
        return _parsed(self, "QueryFaceRecord", body, FaceRecordPage.from_response)

    def delete_face_records(
        self: Caller, *, merchant_user_id: str, face_group: str | None = None
    ) -> FaceDeletionResult:
        """Delete a user's faces from one library, or from every library of the region when ``face_group`` is
        None (``DeleteFaceRecordV2``). Check :attr:`FaceDeletionResult.deleted`. Safe to retry."""
        _check_key(merchant_user_id)
        params = {"MerchantUserId": merchant_user_id}
        if face_group:
            params["FaceGroupCode"] = face_group
        body = self.call("DeleteFaceRecordV2", params, idempotent=True, product_code=ENROL.code)
        return _parsed(self, "DeleteFaceRecordV2", body, FaceDeletionResult.from_response)


def check_picture(product: Product, picture: str, name: str) -> None:
    """A base64 picture is there and within the product's documented size (1 MB for the server-side face checks),
    before anything is sent. The size is the decoded one: 3 bytes per 4 base64 characters, less the padding."""
    if not picture:
        raise ValueError(f"Required parameter(s) missing: {name}")
    size = base64_size(picture)
    if product.max_picture_bytes is not None and size > product.max_picture_bytes:
        raise ValueError(f"{name} is {size} bytes; {product.code} takes at most {product.max_picture_bytes}.")


def base64_size(picture: str) -> int:
    """The number of bytes a base64 text decodes to (line breaks and spaces do not count)."""
    text = "".join(picture.split())
    return len(text) * 3 // 4 - text[-2:].count("=")


def _check_key(merchant_user_id: str) -> None:
    if not merchant_user_id or len(merchant_user_id) > MAX_MERCHANT_USER_ID:
        raise ValueError(f"A face record's MerchantUserId takes 1 to {MAX_MERCHANT_USER_ID} characters.")


R = TypeVar("R")


def _parsed(client: Caller, action: str, body: dict[str, Any], parse: Callable[[Mapping[str, Any]], R]) -> R:
    if not isinstance(body.get("Result"), Mapping) and action != "QueryFaceRecord":
        raise client.transport.malformed(action, body, "no Result")
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError) as err:
        error: EkycMalformedResponse = client.transport.malformed(action, body, "an unreadable Result")
        raise error from err
