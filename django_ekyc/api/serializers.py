from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from django_ekyc import validation
from django_ekyc.api.errors import ERROR_CODES, FIELD_ERROR_CODES
from django_ekyc.models import KycTransaction, Purpose, Status
from django_ekyc.outcomes import describe, effective_status, verdict

try:
    from drf_spectacular.utils import extend_schema_field
except ImportError:  # the schema is optional (pip install django-ekyc[openapi])
    extend_schema_field = None  # type: ignore[assignment]

_Field = TypeVar("_Field", bound=Callable[..., Any])


def schema_type(schema: dict[str, Any]) -> Callable[[_Field], _Field]:
    """``@extend_schema_field`` when drf-spectacular is installed; nothing otherwise."""
    if extend_schema_field is None:
        return lambda field: field
    return extend_schema_field(schema)


class OptionsField(serializers.JSONField):
    """``options``: a JSON object, refused when nested deeper than any JSON body may be, whether the parser ran
    out of stack (Python 3.11) or not (3.12 parses far deeper): the same answer on every version."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            value = super().to_internal_value(data)
        except RecursionError:
            value = None
            deep = True
        else:
            deep = validation.json_problem(value) == "json_too_deep"
        if deep:
            raise serializers.ValidationError(_("options is nested too deeply."), code="invalid_options")
        return value


# What a re-verification takes from the site alone: sent with one, each is refused, never silently dropped.
REVERIFY_DECIDED_BY_THE_SITE = ("product_code", "doc_type", "scene_code", "options")


# It only shapes types: what the values may be (meta_info, scene_code, options, and product_code, doc_type and
# channel together, against the product's table and the account's region) is checked once, by the flow
# (django_ekyc.validation), whose InvalidInput the view answers exactly like a field error of this serializer.
class StartVerificationSerializer(serializers.Serializer[Any]):
    """What a frontend (a browser or an app) sends to start: never a ReturnUrl, CallbackUrl or token, and no
    security parameter (the server decides those)."""

    # "reverify": a face check of the signed-in user against their own latest passed verification.
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False, default=Purpose.VERIFY)
    product_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    doc_type = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    channel = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    meta_info = serializers.CharField(allow_blank=True, trim_whitespace=False)
    scene_code = serializers.CharField(required=False, allow_blank=True, default="")
    options = OptionsField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A re-verification's product, reference and parameters are the site's: the request only says where the
        user is (``meta_info``, ``channel``)."""
        if attrs.get("purpose") == Purpose.REVERIFY:
            chosen = [name for name in REVERIFY_DECIDED_BY_THE_SITE if attrs.get(name)]
            if chosen:
                message = _("A re-verification takes no %(field)s: the site decides how it is done.")
                raise serializers.ValidationError(
                    {name: [ErrorDetail(message % {"field": name}, code="not_for_reverify")] for name in chosen}
                )
        return attrs


_BOUND_FIELDS: dict[type, list[Any]] = {}


class FieldsBuiltOnce:
    """Renders with fields built once per serializer class, not once per instance.

    A ``ModelSerializer`` builds its fields (model introspection, deep copies) each time one is instantiated:
    most of the cost of rendering one transaction. The fields hold no per-request state here, so one bound
    set serves every answer; the rendering is DRF's own, field by field (``tests`` compare the two).
    """

    def to_representation(self, instance: Any) -> dict[str, Any]:
        fields = _BOUND_FIELDS.get(type(self))
        if fields is None:
            fields = _BOUND_FIELDS.setdefault(type(self), list(type(self)()._readable_fields))  # type: ignore[attr-defined]
        answer: dict[str, Any] = {}
        for field in fields:
            attribute = field.get_attribute(instance)
            answer[field.field_name] = None if attribute is None else field.to_representation(attribute)
        return answer


@schema_type({"type": "string", "description": "The state in words for the person, in the request's language."})
class OutcomeMessageField(serializers.Field[Any, Any, str, Any]):
    """The transaction's state in words for the person (translated): what a frontend shows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: KycTransaction) -> str:
        return str(describe(value).message)


VERDICTS = (*Status.values, "in_review", "verify_again")


@schema_type(
    {
        "type": "string",
        "enum": list(VERDICTS),
        "description": "What the person should read: the latest staff decision, else the provider's verdict; "
        "in_review while a person checks a failure, verify_again when staff ask for a new verification.",
    }
)
class VerdictField(serializers.Field[Any, Any, str, Any]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: KycTransaction) -> str:
        return verdict(value)


@schema_type({"type": "string", "enum": list(Status.values), "description": "The effective status."})
class EffectiveStatusField(VerdictField):
    def to_representation(self, value: KycTransaction) -> str:
        return effective_status(value)


@schema_type({"type": "boolean", "nullable": True, "description": "Whether the effective verdict is a pass."})
class EffectivePassedField(serializers.Field[Any, Any, Any, Any]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: KycTransaction) -> bool | None:
        seen = effective_status(value)
        return value.passed if seen == value.status else seen == Status.PASSED


@schema_type({"type": "string", "description": "The provider's sub code; blank once staff decided."})
class EffectiveSubCodeField(VerdictField):
    def to_representation(self, value: KycTransaction) -> str:
        return "" if value.review_decision_id else value.sub_code


class KycTransactionSerializer(FieldsBuiltOnce, serializers.ModelSerializer[KycTransaction]):
    """A user's view of an attempt: the outcome, no identity data. Where staff decided, ``status``, ``passed``
    and ``verdict`` say the decision (never why); the provider's own answer is for staff, in the admin."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    status = EffectiveStatusField()
    verdict = VerdictField()
    passed = EffectivePassedField()
    sub_code = EffectiveSubCodeField()
    message = OutcomeMessageField()
    doc_type_label = serializers.CharField(read_only=True)
    is_final = serializers.BooleanField(read_only=True)

    class Meta:
        model = KycTransaction
        fields: tuple[str, ...] = (
            "id",
            "status",
            "verdict",
            "is_final",
            "purpose",
            "product_code",
            "channel",
            "doc_type",
            "doc_type_label",
            "scene_code",
            "passed",
            "sub_code",
            "error_code",
            "message",
            "created_at",
            "updated_at",
            "completed_at",
        )
        read_only_fields: tuple[str, ...] = fields


# A start's two answers, for the schema (api/schema.py): the view renders them itself (views.started_answer).
class BrowserStartedSerializer(KycTransactionSerializer):
    """The answer to a browser's start (channel web): the transaction, and the provider's page to go to."""

    transaction_url = serializers.URLField(read_only=True, help_text="The provider's page, single-use: go there once.")

    class Meta(KycTransactionSerializer.Meta):
        fields = (*KycTransactionSerializer.Meta.fields, "transaction_url")
        read_only_fields = fields


class AppStartedSerializer(KycTransactionSerializer):
    """The answer to an app's start (channel app): the transaction, and what the app SDK's verify takes."""

    transaction_id = serializers.CharField(read_only=True, help_text="The provider's TransactionId.")
    protocol = serializers.CharField(read_only=True, allow_null=True, help_text="For the app SDK's verify.")
    client_cfg = serializers.CharField(read_only=True, allow_null=True, help_text="For the app SDK, where given.")

    class Meta(KycTransactionSerializer.Meta):
        fields = (*KycTransactionSerializer.Meta.fields, "transaction_id", "protocol", "client_cfg")
        read_only_fields = fields


class FieldErrorSerializer(serializers.Serializer[Any]):
    """One refusal of one field of a request: a stable code, a message for people."""

    code = serializers.ChoiceField(choices=FIELD_ERROR_CODES)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error body: a stable code, a message, and what applies of the rest."""

    code = serializers.ChoiceField(choices=ERROR_CODES)
    detail = serializers.CharField()
    # Declared fields are collected by DRF's metaclass, so this does not replace Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=FieldErrorSerializer()),
        required=False,
        help_text="With invalid_request: per field (non_field_errors for the body as a whole), its refusals.",
    )
    provider_code = serializers.CharField(
        required=False, allow_null=True, help_text="With a provider failure: the provider's Code."
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="With throttled: the seconds to wait, as the Retry-After header says."
    )
    transaction = KycTransactionSerializer(
        required=False, help_text="With a provider failure: the attempt as stored (status error for a start)."
    )
