"""What a client may ask for when starting a verification, checked before any provider call.

Each failure has a stable ``code`` that API clients can rely on; the messages
are for people. The provider's own limits are documented in the Initialize
reference; the size limits are ours, to keep abuse cheap to refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django_ekyc.conf import ekyc_settings

SCENE_CODE_RE = re.compile(r"[A-Za-z0-9_]{1,10}")

# API option name -> (provider parameter, allowed values)
CHOICE_OPTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "id_spoof": ("IdSpoof", frozenset({"Y", "N"})),
    "security_level": ("SecurityLevel", frozenset({"01", "02"})),
    "id_threshold": ("IdThreshold", frozenset({"0", "1", "2", "3"})),
    "model": ("Model", frozenset({"LIVENESS", "PHOTINUS_LIVENESS"})),
    "doc_video": ("DocVideo", frozenset({"Y", "N"})),
    "show_album_icon": ("ShowAlbumIcon", frozenset({"0", "1"})),
    "show_ocr_result": ("ShowOcrResult", frozenset({"0", "1"})),
    "show_guide_page": ("ShowGuidePage", frozenset({"0", "1"})),
    "edit_ocr_result": ("EditOcrResult", frozenset({"0", "1"})),
}
JSON_OPTIONS: dict[str, str] = {"language_config": "LanguageConfig", "style_config": "StyleConfig"}
OPTION_NAMES = frozenset(CHOICE_OPTIONS) | frozenset(JSON_OPTIONS)


class InvalidInput(ValueError):
    """One field of a start request is unacceptable."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def validate_doc_type(value: Any) -> str:
    if value in (None, ""):
        raise InvalidInput("doc_type", "required", "Choose a document type.")
    if not isinstance(value, str) or value not in ekyc_settings.DOC_TYPES:
        known = ", ".join(ekyc_settings.DOC_TYPES)
        raise InvalidInput("doc_type", "unknown_doc_type", f"Unknown document type; expected one of: {known}.")
    return value


def validate_meta_info(value: Any) -> str:
    """MetaInfo is the JSON string ``getMetaInfo()`` produced in the user's browser, passed on unchanged."""
    if value in (None, ""):
        raise InvalidInput("meta_info", "required", "meta_info is required: send JSON.stringify(getMetaInfo()).")
    if not isinstance(value, str):
        raise InvalidInput("meta_info", "meta_info_invalid", "meta_info must be the JSON string from getMetaInfo().")
    limit = int(ekyc_settings.META_INFO_MAX_LENGTH)
    if len(value) > limit:
        raise InvalidInput("meta_info", "meta_info_too_long", f"meta_info is longer than {limit} characters.")
    if not isinstance(_json_or_none(value), dict):
        raise InvalidInput("meta_info", "meta_info_invalid", "meta_info must be the JSON string from getMetaInfo().")
    return value


def validate_scene_code(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not SCENE_CODE_RE.fullmatch(value):
        raise InvalidInput(
            "scene_code", "invalid_scene_code", "scene_code has at most 10 letters, digits or underscores."
        )
    return value


def validate_options(options: Any) -> dict[str, str]:
    """Check the optional Initialize settings; return them keyed by provider parameter name."""
    if options in (None, ""):
        return {}
    if not isinstance(options, Mapping):
        raise InvalidInput("options", "invalid_options", "options must be an object.")
    unknown = sorted(set(options) - OPTION_NAMES)
    if unknown:
        raise InvalidInput("options", "unknown_option", f"Unknown option(s): {', '.join(unknown)}.")
    params: dict[str, str] = {}
    for name, value in options.items():
        if name in CHOICE_OPTIONS:
            param, allowed = CHOICE_OPTIONS[name]
            if value not in allowed:
                choices = ", ".join(sorted(allowed))
                raise InvalidInput("options", "invalid_option_value", f"options.{name} must be one of: {choices}.")
            params[param] = value
        else:
            params[JSON_OPTIONS[name]] = _validate_json_option(name, value)
    return params


def _validate_json_option(name: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    limit = int(ekyc_settings.JSON_OPTION_MAX_LENGTH)
    if len(text) > limit:
        raise InvalidInput("options", "option_too_long", f"options.{name} is longer than {limit} characters.")
    if not isinstance(_json_or_none(text), dict):
        raise InvalidInput("options", "invalid_json_option", f"options.{name} must be a JSON object.")
    return text


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
