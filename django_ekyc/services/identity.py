"""What is kept of a provider's result: every part of it, images only where the site asked for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django_ekyc.conf import ekyc_settings
from django_ekyc.imaging import PreparedPicture
from django_ekyc.models import IMAGE_FIELDS
from django_ekyc.results import PictureResult, VerificationResult
from django_ekyc.results._base import parse_json_object

IMAGE_SUFFIXES = ("image", "img", "picture", "video", "base64", "imageurl", "videourl")


def stored_result(result: VerificationResult) -> dict[str, Any]:
    """The parsed result as stored: every ``Ext*`` object and ``EkycResult``, images removed unless
    ``STORE_IMAGES`` (at any depth: a face picture may sit inside a nested object)."""
    parts = {
        "ext_id_info": result.ext_id_info,
        "ext_face_info": result.ext_face_info,
        "ext_basic_info": result.ext_basic_info,
        "ext_risk_info": result.ext_risk_info,
        "ext_info": result.ext_info,
        "ext_source_info": result.ext_source_info,
        "ekyc_result": result.ekyc_result,
    }
    keep_images = ekyc_settings.STORE_IMAGES
    return {name: _without_images(value, keep_images) for name, value in parts.items() if value}


def stored_picture_result(result: PictureResult, pictures: Mapping[str, PreparedPicture]) -> dict[str, Any]:
    """A check from pictures as stored: its parts and scores in the hosted result's shape (so ``ocr_fields``,
    ``document`` and ``face_checks`` read both), the pictures sent only with ``STORE_IMAGES``."""
    keep_images = ekyc_settings.STORE_IMAGES
    scores = {
        "comparison_score": result.comparison_score,
        "attacked": result.attacked,
        "risk": result.risk,
        "risk_tags": list(result.risk_tags),
        "risk_scores": dict(result.risk_scores),
        "quality": {name: getattr(result.quality, name) for name in result.quality.NAMES},
    }
    id_info = dict(result.ext_id_info)
    if result.ext_card_info and "ocrIdInfo" not in id_info:  # CardOcr's answer: read as ExtIdInfo's
        id_info = {**dict(result.ext_card_info), **id_info}
    if id_info.get("ocrIdInfo") is not None and not isinstance(id_info["ocrIdInfo"], Mapping):
        id_info["ocrIdInfo"] = dict(parse_json_object(id_info["ocrIdInfo"]))
    parts: dict[str, Any] = {
        "ext_id_info": id_info,
        "ext_face_info": dict(result.ext_face_info),
        "scores": {name: value for name, value in scores.items() if value not in (None, "", [], {})},
    }
    if keep_images:
        parts["pictures"] = {name: picture.base64 for name, picture in pictures.items()}
    return {name: _without_images(value, keep_images) for name, value in parts.items() if value}


def is_image_field(key: str) -> bool:
    return key in IMAGE_FIELDS or key.lower().endswith(IMAGE_SUFFIXES)


def _without_images(value: Any, keep_images: bool = False) -> Any:
    if keep_images:
        return _plain(value)
    if isinstance(value, Mapping):
        return {key: _without_images(item) for key, item in value.items() if not is_image_field(str(key))}
    if isinstance(value, list | tuple):
        return [_without_images(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Read-only mappings from the parsed answer, as plain JSON-serialisable values."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def without_images(result: Any) -> Any:
    """A stored result with its pictures taken out (the images of the answer, the pictures a check sent): what
    the ``pictures`` retention rule leaves of it."""
    if not isinstance(result, Mapping):
        return result
    return {name: _without_images(value) for name, value in result.items() if name != "pictures"}
