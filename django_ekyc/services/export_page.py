"""The readable page of a person's access request: the export's data (see :mod:`django_ekyc.services.exports`) in
words, for the person to read.

Kept apart from the export because it is presentation only: it reads nothing from the database and adds nothing
to the data, it turns the JSON's codes and ISO datetimes into the active language's labels and formats, lays out
nested results as rows, and inlines the pictures (only the image types it recognises, as ``data:`` URLs) so the
page loads nothing from anywhere. Every value is escaped by the template (``django_ekyc/person_export.html``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from django_ekyc.conf import ekyc_settings
from django_ekyc.models import (
    AuditKind,
    DeepfakeStatus,
    EventKind,
    EventSource,
    FaceStatus,
    Purpose,
    ReviewState,
    Status,
    Verdict,
)
from django_ekyc.text import moment_text

TEMPLATE = "django_ekyc/person_export.html"
# What a picture's base64 starts with, by type: only these are shown as images on the page.
IMAGE_TYPES = {"iVBOR": "image/png", "/9j/": "image/jpeg", "R0lGOD": "image/gif", "UklGR": "image/webp"}
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def _when(value: Any) -> str:
    """An ISO-8601 datetime of the data, in the site's time zone and the active language's format."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment_text(moment)


def _dated(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {**row, **{name: _when(row[name]) for name in names}}


def _label(choices: type[models.TextChoices], value: Any) -> str:
    """A code in words (its choice's label), the code itself when it is not one of the choices."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _verdict(value: str) -> str:
    words = {"in_review": _("In review"), "verify_again": _("To verify again")}
    return words[value] if value in words else _label(Status, value)


def _reason(code: str) -> str:
    """A decision's reason in the site's words (``EKYC["REVIEW"]["REASONS"]``), its code when the site no longer
    lists it."""
    label = ekyc_settings.REVIEW.reasons.get(code)
    return str(label) if label else code


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _rows(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A nested mapping as (key path, text) rows: every value, shown as text (escaped by the template)."""
    rows: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        rows.extend(_rows(item, name) if isinstance(item, Mapping) and item else [(name, _text(item))])
    return rows


def _picture(name: str, value: str) -> dict[str, str]:
    kind = next((mime for start, mime in IMAGE_TYPES.items() if value.startswith(start)), "")
    if not kind or not BASE64.fullmatch(value):
        return {"name": name, "src": ""}
    return {"name": name, "src": f"data:{kind};base64,{''.join(value.split())}"}


def _page_identity(identity: Mapping[str, Any]) -> dict[str, Any]:
    state = identity.get("state")
    if state != "held":
        return {"state": state, "purged_at": _when(identity.get("purged_at"))}
    return {
        "state": state,
        "document": _rows(identity.get("document") or {}),
        "ocr_fields": _rows(identity.get("ocr_fields") or {}),
        "checks": _rows({**(identity.get("document_checks") or {}), **(identity.get("face_checks") or {})}),
        "other": _rows(identity.get("other_results") or {}),
        "flow_log": _text(identity.get("flow_log")) if identity.get("flow_log") else "",
        "pictures": [_picture(name, value) for name, value in (identity.get("images") or {}).items()],
        "pictures_purged_at": _when(identity.get("pictures_purged_at")),
    }


def _page_verification(item: Mapping[str, Any]) -> dict[str, Any]:
    facts = [
        (_("Verification"), item["id"]),
        (_("Check"), item["product"]),
        (_("Document type"), item["document_type"]),
        (_("Purpose"), _label(Purpose, item["purpose"])),
        (_("Status"), _label(Status, item["status"])),
        (_("Passed"), _text(item["passed"])),
        (_("Sub code"), item["sub_code"]),
        (_("Error code"), item["error_code"]),
        (_("Started"), _when(item["created_at"])),
        (_("Completed"), _when(item["completed_at"])),
        (_("Verdict"), _verdict(item["verdict"])),
        (_("Staff review"), _label(ReviewState, item["review"])),
        (_("Face"), _label(FaceStatus, item["face_status"])),
        (_("Deepfake screening"), _label(DeepfakeStatus, item["deepfake"])),
    ]
    decisions = [
        {**_dated(decision, "at"), "verdict": _label(Verdict, decision["verdict"]),
         "reason_label": _reason(decision["reason"]), "took_effect": _text(decision["took_effect"])}
        for decision in item["decisions"]
    ]  # fmt: skip
    history = [
        {**_dated(event, "at"), "kind": _label(EventKind, event["kind"]),
         "source": _label(EventSource, event["source"])}
        for event in item["history"]
    ]  # fmt: skip
    return {
        "id": item["id"],
        "facts": [(label, value) for label, value in facts if value not in ("", None)],
        "options": _rows(item["options"] or {}),
        "decisions": decisions,
        "history": history,
        "identity": _page_identity(item["identity_data"]),
    }


def render(data: Mapping[str, Any]) -> str:
    """The page of a person's export (its ``data``), in the active language; the template escapes every value."""
    return render_to_string(TEMPLATE, _page(data))


def _page(data: Mapping[str, Any]) -> dict[str, Any]:
    person = data["person"]
    user = person.get("user") or {}
    return {
        "language": translation.get_language() or "en",
        "created": _when(data["created_at"]),
        "format": f"{data['format']} v{data['version']}",
        "person": [
            (label, value)
            for label, value in (
                (_("Pseudonym"), person["pseudonym"]),
                (_("Account"), f"{user['username']} (#{user['id']})" if user else _("deleted")),
                (_("Relationship ended"), _when(person["relationship_ended_at"])),
                (_("Erased"), _when(person["erased_at"])),
            )
            if value
        ],
        "verifications": [_page_verification(item) for item in data["verifications"]],
        "consents": [_dated(consent, "given_at", "withdrawn_at") for consent in data["consents"]],
        "consent_audit": [
            {**_dated(entry, "at"), "kind": _label(AuditKind, entry["kind"]), "detail": _rows(entry["detail"])}
            for entry in data["consent_audit"]
        ],
        "face_records": [
            _dated(face, "registered_at", "deletion_requested_at", "deleted_at") for face in data["face_records"]
        ],
    }
