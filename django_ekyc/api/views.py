from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.decorators import method_decorator
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotAuthenticated, NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_ekyc import services
from django_ekyc.api.errors import (
    NoVerificationToCompare,
    RequestTooLarge,
    ekyc_exception_handler,
    provider_exception,
)
from django_ekyc.api.parsers import SafeJSONParser
from django_ekyc.api.schema import list_schema, read_schema, refresh_schema, start_schema
from django_ekyc.api.serializers import KycTransactionSerializer, StartVerificationSerializer
from django_ekyc.api.throttling import CacheCheckedThrottles, RefreshThrottle, StartVerificationThrottle
from django_ekyc.catalogue.products import Channel
from django_ekyc.client.deadline import request_deadline
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput, NothingToCompare, ProviderCallFailed
from django_ekyc.models import EventSource, KycTransaction, Purpose


def started_answer(started: services.Started) -> dict[str, Any]:
    """The transaction and what the device needs next: the page's URL for a browser, the app SDK's inputs for
    an app."""
    answer = dict(KycTransactionSerializer(started.transaction).data)
    if started.transaction.channel == Channel.APP:
        answer.update(
            transaction_id=started.transaction.transaction_id, protocol=started.protocol, client_cfg=started.client_cfg
        )
    else:
        answer["transaction_url"] = started.transaction_url
    return answer


def signed_in_user(request: Request) -> AbstractBaseUser:
    """The request's user, which ``IsAuthenticated`` has already required to be signed in."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise NotAuthenticated()
    return user


def _provider_error(failure: ProviderCallFailed) -> Exception:
    error = provider_exception(failure.error)
    error.extra = {  # type: ignore[attr-defined]
        "provider_code": failure.error.code,
        "transaction": KycTransactionSerializer(failure.transaction).data,
    }
    return error


# Each write commits as it goes: the attempt must be saved before the provider
# is called and its history kept even when the answer is an error.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class KycTransactionViewSet(
    CacheCheckedThrottles,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[KycTransaction],
):
    """The signed-in user's verifications: start one, list them, read or refresh one."""

    serializer_class = KycTransactionSerializer
    permission_classes = (IsAuthenticated,)
    parser_classes = (SafeJSONParser, FormParser, MultiPartParser)
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    in_ekyc_schema = True  # the OpenAPI schema describes this API only

    def get_queryset(self) -> Any:
        # Another user's transaction is simply not there: 404, never 403.
        return KycTransaction.objects.for_user(self.request.user).order_by("-created_at", "-id")

    def get_exception_handler(self) -> Any:
        return ekyc_exception_handler

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if self.action == "create":
            throttles.append(StartVerificationThrottle())
        elif self.action == "refresh":
            throttles.append(RefreshThrottle())
        return throttles

    @list_schema
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @read_schema
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @start_schema
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refuse a large body before DRF reads and parses it.
        if int(request.META.get("CONTENT_LENGTH") or 0) > ekyc_settings.MAX_REQUEST_BYTES:
            raise RequestTooLarge()
        form = StartVerificationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            with request_deadline(ekyc_settings.REQUEST_DEADLINE):
                started = self._start(request, signed_in_user(request), dict(form.validated_data))
        except InvalidInput as err:
            raise ValidationError({err.field: [ErrorDetail(err.message, code=err.code)]}) from err
        except NothingToCompare as err:
            raise NoVerificationToCompare() from err
        except ProviderCallFailed as failure:
            raise _provider_error(failure) from failure
        return Response(started_answer(started), status=status.HTTP_201_CREATED)

    def _start(self, request: Request, user: AbstractBaseUser, data: dict[str, Any]) -> services.Started:
        build_url = services.absolute_url_builder(request)
        if data.pop("purpose") == Purpose.REVERIFY:
            return services.start_reverification(
                user=user, meta_info=data["meta_info"], channel=data["channel"], build_url=build_url
            )
        return services.start_verification(
            user=user, build_url=build_url, account=services.resolve_account(request, user), **data
        )

    @refresh_schema
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kyc = self.get_object()
        try:
            with request_deadline(ekyc_settings.REQUEST_DEADLINE):
                kyc = services.refresh(kyc, source=EventSource.API)
        except ProviderCallFailed as failure:
            raise _provider_error(failure) from failure
        return Response(KycTransactionSerializer(kyc).data)


class NotFoundView(APIView):
    """Any other path under the API: a JSON 404 with its code, like every API error."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_exception_handler(self) -> Any:
        return ekyc_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound()
