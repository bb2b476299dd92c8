"""What a client may ask for when starting a verification, checked before any provider call.

Each failure has a stable ``code`` that API clients can rely on; the messages
are for people. The provider's own limits are documented in the Initialize
reference; the size limits are ours, to keep abuse cheap to refuse.

The security parameters of a verification (``SecurityLevel``, ``IdSpoof``, ``Model``...) are the site's
decision, made in ``INITIALIZE_DEFAULTS``: a fraudster controls his own browser. A frontend may set only
the options named in ``FRONTEND_OPTIONS``, and only presentation options can be named there.

The options, their allowed values and who decides them are the catalogue's (the Initialize operation's declared
parameters and their annotations): this module holds no table of its own. Validation runs once, here, for every
caller (the API, a site's own views, the admin); DRF's serializers only shape types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from django_ekyc.catalogue.annotations import JSON_OPTION_MAX_LENGTH, META_INFO_MAX_LENGTH, Role
from django_ekyc.catalogue.operations import Parameter, operation
from django_ekyc.catalogue.products import APP_DEVICE_TYPES, Channel, Product
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.catalogue.values import value_problem
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import InvalidInput
from django_ekyc.offering import default_product, get_product, offered_codes
from django_ekyc.text import join_list

# NUL and lone surrogates: no database column can hold them (PostgreSQL refuses both).
UNSAFE_TEXT_RE = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON than this is refused before anything recurses over it.
MAX_JSON_DEPTH = 32

START_OPERATIONS = ("Initialize", "InitializeV2")
# Option name (the parameter's Python name) -> the Initialize parameter: every parameter that says how hard the
# provider checks or how its pages look. Only the site may set the former; a frontend, presentation it allows.
OPTIONS: dict[str, Parameter] = {
    parameter.python_name: parameter
    for parameter in operation("Initialize").parameters.values()
    if parameter.role in (Role.SECURITY, Role.PRESENTATION)
}
OPTION_NAMES = frozenset(OPTIONS)
PRESENTATION_OPTIONS = frozenset(name for name, parameter in OPTIONS.items() if parameter.role is Role.PRESENTATION)


def has_unsafe_text(value: str) -> bool:
    """True when ``value`` holds a NUL or a lone surrogate, which no database column can store."""
    return UNSAFE_TEXT_RE.search(value) is not None


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why a parsed JSON value cannot be accepted (``json_too_deep``, ``invalid_characters``), or None.

    Walks iteratively, so that a hostile document cannot exhaust the stack here either.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if has_unsafe_text(item):
                return "invalid_characters"
            continue
        if isinstance(item, Mapping | list | tuple) and depth > max_depth:
            return "json_too_deep"
        if isinstance(item, Mapping):
            for key, child in item.items():
                pending += [(key, depth), (child, depth + 1)]
        elif isinstance(item, list | tuple):
            pending += [(child, depth + 1) for child in item]
    return None


def loads_json(text: str) -> Any:
    """``json.loads`` that fails with ``ValueError`` on anything unacceptable, deep nesting included."""
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise ValueError("JSON nested too deeply") from err
    problem = json_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_text(field: str, value: str) -> None:
    if has_unsafe_text(value):
        raise InvalidInput(
            field, "invalid_characters", _("%(field)s contains characters that are not allowed.") % {"field": field}
        )


def validate_product(value: Any) -> Product:
    """The product a start asks for: one the site offers (``PRODUCTS``); empty means the first of them."""
    if value in (None, ""):
        return default_product()
    offered = offered_codes()
    if not isinstance(value, str) or value not in offered:
        raise InvalidInput(
            "product_code",
            "product_not_offered",
            _("This site offers these products: %(products)s.") % {"products": join_list(offered)},
        )
    product = get_product(value)
    if product is None:  # offered but unknown: check E012 reports it
        raise InvalidInput(
            "product_code", "product_not_offered", _("%(product)s is not a known product.") % {"product": value}
        )
    return product


def validate_region(product: Product, region: str) -> None:
    if region not in product.regions:
        raise InvalidInput(
            "product_code",
            "product_not_in_region",
            _("%(product)s is not available in %(region)s, the region this site uses.")
            % {"product": product.code, "region": _region_label(region)},
        )


def validate_doc_type(value: Any, product: Product | None = None, region: str | None = None) -> str:
    """A document the product reads in the region; empty for a product that reads none."""
    product = product or default_product()
    region = region or ekyc_settings.REGION
    if not product.reads_document:
        if value not in (None, ""):
            raise InvalidInput(
                "doc_type", "doc_type_not_applicable", _("%(product)s reads no document.") % {"product": product.code}
            )
        return ""
    if value in (None, ""):
        raise InvalidInput("doc_type", "required", _("Choose a document type."))
    known = product.doc_types_in(region)
    if isinstance(value, str) and value in product.doc_types and value not in known:
        raise InvalidInput(
            "doc_type",
            "doc_type_not_in_region",
            _("%(product)s does not read %(doc_type)s in %(region)s; it reads: %(known)s.")
            % {"product": product.code, "doc_type": value, "region": _region_label(region), "known": join_list(known)},
        )
    if not isinstance(value, str) or value not in known:
        raise InvalidInput(
            "doc_type",
            "unknown_doc_type",
            _("Unknown document type; expected one of: %(known)s.") % {"known": join_list(known)},
        )
    return value


@dataclass(frozen=True)
class MetaInfo:
    """The JSON string ``getMetaInfo()`` produced on the user's device, parsed once: it is sent unchanged, and
    its ``deviceType`` says the channel (the app SDK's ``ios``/``android``, the web SDK's ``h5``/``web``)."""

    text: str
    fields: Mapping[str, Any]

    @property
    def channel(self) -> Channel:
        return Channel.APP if str(self.fields.get("deviceType")).lower() in APP_DEVICE_TYPES else Channel.WEB


def validate_meta_info(value: Any) -> MetaInfo:
    """MetaInfo is the JSON string ``getMetaInfo()`` produced in the user's browser or app, passed on unchanged."""
    if value in (None, ""):
        raise InvalidInput("meta_info", "required", _("meta_info is required: send JSON.stringify(getMetaInfo())."))
    if not isinstance(value, str):
        raise InvalidInput("meta_info", "meta_info_invalid", _("meta_info must be the JSON string from getMetaInfo()."))
    if len(value) > META_INFO_MAX_LENGTH:
        raise InvalidInput(
            "meta_info",
            "meta_info_too_long",
            _("meta_info is longer than %(limit)s characters.") % {"limit": META_INFO_MAX_LENGTH},
        )
    _check_text("meta_info", value)
    fields = _json_or_none(value)
    if not isinstance(fields, dict):
        raise InvalidInput("meta_info", "meta_info_invalid", _("meta_info must be the JSON string from getMetaInfo()."))
    return MetaInfo(value, fields)


def validate_channel(value: Any, meta_info: MetaInfo) -> Channel:
    """``web`` or ``app``; absent, the MetaInfo's ``deviceType`` says which. The two must agree: the provider
    picks its flow from the MetaInfo."""
    inferred = meta_info.channel
    if value in (None, ""):
        return inferred
    if value not in set(Channel):
        raise InvalidInput("channel", "invalid_channel", _("channel must be web or app."))
    if Channel(value) is not inferred:
        raise InvalidInput(
            "channel",
            "channel_mismatch",
            _(
                "channel is %(channel)s but meta_info comes from the %(sdk)s SDK; send the MetaInfo of the device "
                "that will verify."
            )
            % {"channel": value, "sdk": inferred},
        )
    return Channel(value)


def validate_scene_code(value: Any) -> str:
    scene = operation("Initialize").parameters["SceneCode"]
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or value_problem(scene, value):
        raise InvalidInput(
            "scene_code", "invalid_scene_code", _("scene_code has at most 10 letters, digits or underscores.")
        )
    return value


def validate_options(
    options: Any, allowed: Iterable[str] | None = None, product: Product | None = None
) -> dict[str, str]:
    """Check the optional Initialize settings a frontend sent; return them keyed by provider parameter name.

    ``allowed`` defaults to the site's ``FRONTEND_OPTIONS``: a known option outside it is refused
    (``option_not_allowed``), so that nobody can weaken a verification from the browser. With ``product``, an
    option that product does not take is refused too (``option_not_applicable``).
    """
    if options in (None, ""):
        return {}
    if not isinstance(options, Mapping):
        raise InvalidInput("options", "invalid_options", _("options must be an object."))
    unknown = sorted(name for name in options if name not in OPTION_NAMES)
    if unknown:
        raise InvalidInput(
            "options",
            "unknown_option",
            ngettext("Unknown option: %(options)s.", "Unknown options: %(options)s.", len(unknown))
            % {"options": join_list(unknown)[:200]},
        )
    permitted = frozenset(ekyc_settings.FRONTEND_OPTIONS if allowed is None else allowed)
    refused = sorted(name for name in options if name not in permitted)
    if refused:
        raise InvalidInput(
            "options",
            "option_not_allowed",
            _("This site does not let the frontend set: %(options)s. It decides them itself.")
            % {"options": join_list(refused)},
        )
    if product is not None:
        misplaced = sorted(name for name in options if not product.accepts_parameter(OPTIONS[name].name))
        if misplaced:
            raise InvalidInput(
                "options",
                "option_not_applicable",
                _("%(product)s does not take: %(options)s.")
                % {"product": product.code, "options": join_list(misplaced)},
            )
    return {OPTIONS[name].name: _option_value(name, value) for name, value in options.items()}


def _option_value(name: str, value: Any) -> str:
    parameter = OPTIONS[name]
    if parameter.json_object:
        return _validate_json_option(name, value)
    if not isinstance(value, str) or value_problem(parameter, value):
        allowed = join_list(sorted(parameter.choices)) if parameter.choices else (parameter.pattern or "")
        raise InvalidInput(
            "options",
            "invalid_option_value",
            _("options.%(name)s must be one of: %(choices)s.") % {"name": name, "choices": allowed},
        )
    return value


def _validate_json_option(name: str, value: Any) -> str:
    if not isinstance(value, str | Mapping):
        raise InvalidInput(
            "options", "invalid_json_option", _("options.%(name)s must be a JSON object.") % {"name": name}
        )
    if isinstance(value, Mapping):
        if json_problem(value):
            raise InvalidInput(
                "options", "invalid_json_option", _("options.%(name)s must be a plain JSON object.") % {"name": name}
            )
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        text = value
    if len(text) > JSON_OPTION_MAX_LENGTH:
        raise InvalidInput(
            "options",
            "option_too_long",
            _("options.%(name)s is longer than %(limit)s characters.")
            % {"name": name, "limit": JSON_OPTION_MAX_LENGTH},
        )
    if not isinstance(_json_or_none(text), dict):
        raise InvalidInput(
            "options", "invalid_json_option", _("options.%(name)s must be a JSON object.") % {"name": name}
        )
    return text


def initialize_problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with Initialize parameters a site set (``INITIALIZE_DEFAULTS``): each must be a parameter of
    Initialize or InitializeV2, as a string the provider allows; ``Model`` ``TEMPLATE`` needs ``TemplateConfig``."""
    declared = {name: p for action in START_OPERATIONS for name, p in operation(action).parameters.items()}
    problems = []
    for name, value in values.items():
        parameter = declared.get(name)
        if parameter is None:
            problems.append(f"{name!r} is not an Initialize parameter")
        elif not isinstance(value, str):
            problems.append(f"{name} must be a string, not {type(value).__name__}")
        elif problem := value_problem(parameter, value):
            problems.append(problem)
    if values.get("Model") == "TEMPLATE" and not values.get("TemplateConfig"):
        problems.append("Model TEMPLATE needs TemplateConfig, the pool of liveness actions (01 to 07)")
    return problems


def _json_or_none(text: str) -> Any:
    try:
        return loads_json(text)
    except ValueError:
        return None


def _region_label(code: str) -> str:
    region = REGIONS.get(code)
    return region.label if region is not None else code
