from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from django_ekyc import validation
from django_ekyc.models import KycTransaction, Purpose
from django_ekyc.outcomes import describe


def _field_validator(check: Any) -> Any:
    """Turn a :mod:`django_ekyc.validation` check into a DRF validator keeping its stable code."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except validation.InvalidInput as err:
            raise serializers.ValidationError(err.message, code=err.code) from err

    return validate


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


class StartVerificationSerializer(serializers.Serializer[Any]):
    """What a frontend (a browser or an app) sends to start: never a ReturnUrl, CallbackUrl or token, and no
    security parameter (the server decides those). ``product_code``, ``doc_type`` and ``channel`` are checked
    together by the flow, against the product's table and the account's region."""

    # "reverify": a face check of the signed-in user against their own latest passed verification.
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False, default=Purpose.VERIFY)
    product_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    doc_type = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    channel = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    meta_info = serializers.CharField(allow_blank=True, trim_whitespace=False)
    scene_code = serializers.CharField(required=False, allow_blank=True, default="")
    options = OptionsField(required=False, default=dict)

    def validate_meta_info(self, value: str) -> str:
        return _field_validator(validation.validate_meta_info)(value)  # type: ignore[no-any-return]

    def validate_scene_code(self, value: str) -> str:
        return _field_validator(validation.validate_scene_code)(value)  # type: ignore[no-any-return]

    def validate_options(self, value: Any) -> Any:
        _field_validator(validation.validate_options)(value)
        return value

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


class OutcomeMessageField(serializers.Field[Any, Any, str, Any]):
    """The transaction's state in words for the person (translated): what a frontend shows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: KycTransaction) -> str:
        return str(describe(value).message)


class KycTransactionSerializer(FieldsBuiltOnce, serializers.ModelSerializer[KycTransaction]):
    """A user's view of an attempt: the outcome, no identity data."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    message = OutcomeMessageField()
    doc_type_label = serializers.CharField(read_only=True)
    is_final = serializers.BooleanField(read_only=True)

    class Meta:
        model = KycTransaction
        fields: tuple[str, ...] = (
            "id",
            "status",
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


class StartedSerializer(KycTransactionSerializer):
    """The answer to a start: the transaction, plus what the device needs to go on. A browser gets the
    single-use ``transaction_url`` of the provider's page; an app gets the provider's ``transaction_id``,
    ``protocol`` and ``client_cfg`` for the app SDK's ``verify``."""

    transaction_url = serializers.URLField(read_only=True, required=False)
    transaction_id = serializers.CharField(read_only=True, required=False)
    protocol = serializers.CharField(read_only=True, required=False, allow_null=True)
    client_cfg = serializers.CharField(read_only=True, required=False, allow_null=True)

    class Meta(KycTransactionSerializer.Meta):
        fields = (*KycTransactionSerializer.Meta.fields, "transaction_url", "transaction_id", "protocol", "client_cfg")
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error body: a stable code, a message, and what applies of the rest."""

    code = serializers.CharField()
    detail = serializers.CharField()
    # Declared fields are collected by DRF's metaclass, so this does not replace Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Per field: a list of {code, message}."
    )
    provider_code = serializers.CharField(required=False, allow_null=True)
    transaction = KycTransactionSerializer(required=False)
