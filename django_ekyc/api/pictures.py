"""``POST checks/``: a check from the user's own pictures, answered in one request; ``consents/``: the texts.

The pictures come as files (multipart) or as base64 text (JSON, for apps); either way they are bytes to the
service, which decodes and checks them before anything is sent. The request says which check, with which
pictures, and which consent text the user agreed to; the check's parameters are the site's.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from django_ekyc.api.errors import (
    BudgetExhausted,
    ImagingUnavailable,
    NoVerificationToCompare,
    RequestTooLarge,
    ekyc_exception_handler,
)
from django_ekyc.api.parsers import SafeJSONParser
from django_ekyc.api.schema import document_view, error_responses, retry_after
from django_ekyc.api.serializers import KycTransactionSerializer, schema_type
from django_ekyc.api.throttling import CacheCheckedThrottles, PictureCheckThrottle
from django_ekyc.api.views import _provider_error, signed_in_user
from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import CheckBudgetExhausted, InvalidInput, NothingToCompare, ProviderCallFailed
from django_ekyc.imaging import imaging_available
from django_ekyc.models import Consent
from django_ekyc.services import consent as consents
from django_ekyc.services import picture_reverify, pictures, resolve_account
from django_ekyc.services.pictures import identity_of

# ``check`` for a step-up from the site's camera: liveness of the picture, then the user's reference face.
REVERIFY = "reverify"
# The largest body a check can need: its pictures at their limits, as base64 (4 characters per 3 bytes), and room
# for the other fields and the multipart boundaries. A larger body is refused unread (Django would stream files of
# any size to disk).
MAX_CHECK_BODY = max(sum(c.limits_for(p).max_bytes for p in c.pictures) for c in PICTURE_CHECKS.values()) * 4 // 3
MAX_CHECK_BODY += 64 * 1024
PICTURE_NAMES = tuple(dict.fromkeys(picture.name for check in PICTURE_CHECKS.values() for picture in check.pictures))


@schema_type({"type": "string", "description": "A picture: a file (multipart), or base64 text (JSON)."})
class PictureField(serializers.Field[bytes, Any, str, Any]):
    """A picture: an uploaded file (multipart) or base64 text (JSON, optionally a ``data:`` URL)."""

    default_error_messages = {"invalid": gettext_lazy("Send a file, or the picture as base64 text.")}

    def to_internal_value(self, data: Any) -> bytes:
        if isinstance(data, UploadedFile):
            return bytes(data.read())
        if not isinstance(data, str):
            self.fail("invalid")
        text = "".join((data.partition(",")[2] if data.startswith("data:") else data).split())
        try:
            decoded = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not decoded:  # not base64, or nothing in it
            raise serializers.ValidationError(_("The picture is not valid base64."), code="picture_not_base64")
        return decoded

    def to_representation(self, value: bytes) -> str:  # pragma: no cover - never rendered
        return ""


class PictureCheckSerializer(serializers.Serializer[Any]):
    """What a frontend sends: the check (``reverify`` for a step-up from a face picture), its pictures, the document
    type where it reads one, and ``consent``: the version of the consent text the user agreed to, sent only after
    they did."""

    check = serializers.CharField(max_length=32)
    consent = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    doc_type = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for name in PICTURE_NAMES:
            fields[name] = PictureField(required=False)
        return fields


class CheckAnswerSerializer(KycTransactionSerializer):
    """The answer to a check: the transaction, and for a reading check what the document says (to its user)."""

    document = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="A reading check's facts: number, names, dates."
    )

    class Meta(KycTransactionSerializer.Meta):
        fields = (*KycTransactionSerializer.Meta.fields, "document")
        read_only_fields = fields


class ConsentTextSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    version = serializers.CharField(help_text="Send it as consent with a check, once the user agreed.")
    text = serializers.CharField(help_text="Show it to the user, word for word, in the request's language.")
    sha256 = serializers.CharField()


class GivenConsentSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    purpose = serializers.CharField()
    version = serializers.CharField()
    check = serializers.CharField()
    given_at = serializers.DateTimeField()


class ConsentsSerializer(serializers.Serializer[Any]):
    texts = ConsentTextSerializer(many=True)
    given = GivenConsentSerializer(many=True)


class WithdrawnSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    withdrawn = serializers.IntegerField(help_text="How many consents were withdrawn.")


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: the body is then read as empty


def check_answer(kyc: Any) -> dict[str, Any]:
    """The transaction as the user sees it, and what a reading check found on their document."""
    answer = dict(KycTransactionSerializer(kyc).data)
    document = identity_of(kyc)
    if document:
        answer["document"] = document
    return answer


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PictureCheckView(CacheCheckedThrottles):
    """Run one check from the signed-in user's pictures."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (SafeJSONParser, MultiPartParser)
    in_ekyc_schema = True

    def get_exception_handler(self) -> Any:
        return ekyc_exception_handler

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), PictureCheckThrottle()]

    @document_view(
        summary="Run a check from the user's pictures",
        request={"multipart/form-data": PictureCheckSerializer, "application/json": PictureCheckSerializer},
        parameters=retry_after(),
        responses={
            201: CheckAnswerSerializer,
            **error_responses(400, 401, 403, 406, 409, 413, 415, 422, 429, 502, 503),
        },
    )
    def post(self, request: Request) -> Response:
        if _content_length(request) > MAX_CHECK_BODY:
            raise RequestTooLarge()
        if not imaging_available():
            raise ImagingUnavailable()
        try:
            body = request.data
        except RequestDataTooBig as err:  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, for a JSON or form body
            raise RequestTooLarge() from err
        form = PictureCheckSerializer(data=body)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        user = signed_in_user(request)
        try:
            with request_deadline(ekyc_settings.REQUEST_DEADLINE):
                kyc = self._run(request, user, data)
        except NothingToCompare as err:
            raise NoVerificationToCompare() from err
        except InvalidInput as err:
            raise serializers.ValidationError(
                {err.field: [serializers.ErrorDetail(err.message, code=err.code)]}
            ) from err
        except CheckBudgetExhausted as err:
            raise BudgetExhausted() from err
        except ProviderCallFailed as failure:
            raise _provider_error(failure) from failure
        return Response(check_answer(kyc), status=status.HTTP_201_CREATED)

    def _run(self, request: Request, user: Any, data: dict[str, Any]) -> Any:
        check, consent, doc_type = data.pop("check"), data.pop("consent"), data.pop("doc_type")
        if check == REVERIFY:
            if doc_type or set(data) - {"face"}:
                raise InvalidInput("check", "not_for_reverify", _("A step-up takes one face picture, nothing else."))
            return picture_reverify.reverify_from_picture(
                user=user, face=data.get("face", b""), consent_version=consent
            )
        if check in PICTURE_CHECKS and PICTURE_CHECKS[check].searches_library:
            # Anyone can upload a stranger's photo: the answer would say whether the stranger has an account here.
            raise InvalidInput("check", "check_not_offered", _("This check is run by the site, not from a request."))
        return pictures.run_picture_check(
            user=user,
            check_code=check,
            consent_version=consent,
            doc_type=doc_type,
            pictures=data,
            account=resolve_account(request, user),
        )


try:
    from drf_spectacular.utils import OpenApiParameter
except ImportError:  # the schema is optional
    PURPOSE_PARAMETER: Any = None
else:
    PURPOSE_PARAMETER = OpenApiParameter("purpose", str, OpenApiParameter.QUERY, required=True)


class ConsentView(CacheCheckedThrottles):
    """``GET``: the consent texts to show, and the user's consents in force; ``DELETE ?purpose=``: withdraw."""

    permission_classes = (IsAuthenticated,)
    in_ekyc_schema = True

    def get_exception_handler(self) -> Any:
        return ekyc_exception_handler

    @document_view(
        summary="The consent texts, and the user's consents",
        parameters=retry_after(),
        responses={200: ConsentsSerializer, **error_responses(401, 403, 406, 429, 503)},
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        given = Consent.objects.active().filter(user_id=user.pk)
        texts = [consents.consent_text(purpose) for purpose in consents.consent_purposes()]
        return Response(
            {
                "texts": [
                    {"purpose": t.purpose, "version": t.version, "text": t.text, "sha256": t.sha256} for t in texts
                ],
                "given": [
                    {
                        "id": str(c.public_id),
                        "purpose": c.purpose,
                        "version": c.version,
                        "check": c.check_code,
                        "given_at": c.given_at.isoformat(),
                    }
                    for c in given[:100]
                ],
            }
        )

    @document_view(
        summary="Withdraw the user's consents of a purpose",
        parameters=[PURPOSE_PARAMETER, *retry_after()],
        responses={200: WithdrawnSerializer, **error_responses(400, 401, 403, 406, 429, 503)},
    )
    def delete(self, request: Request) -> Response:
        purpose = str(request.query_params.get("purpose") or "")
        if purpose not in consents.consent_purposes():
            raise serializers.ValidationError(
                {"purpose": [serializers.ErrorDetail(_("No such consent purpose."), code="unknown_purpose")]}
            )
        withdrawn = consents.withdraw_consent(signed_in_user(request), purpose)
        return Response({"purpose": purpose, "withdrawn": withdrawn})
