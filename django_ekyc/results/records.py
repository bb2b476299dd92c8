"""The answers of the provider's own records of a verification: its log of a hosted flow (``CheckVerifyLog``), a
fraud report's receipt (``FraudResultCallBack``) and an export of its records (``DownloadVerifyRecordIntl``).

Every field name and value set here is the official SDK's (``alibabacloud_cloudauth_intl20220809`` 3.23.1, its
``*ResponseBody`` models); the provider's CheckVerifyLog page ("Query end-to-end authentication logs") gives the
same names. The content of ``ExtInfo``, ``LogInfo`` and ``LogStatisticsInfo`` is documented nowhere beyond "the
extended information" and "the SDK runtime log": they are kept as given, parsed where they are JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_ekyc.results._base import empty, freeze, parse_json_object

# VerifyStatus (the SDK's CheckVerifyLogResponseBodyResult): 0 finished, 1 unfinished (interrupted), 2 not started.
FINISHED, UNFINISHED, NOT_STARTED = "0", "1", "2"
# A key that names a picture: kept out of what is stored (no page says the log never carries one).
IMAGE_KEY = re.compile(r"(?i)(img|image|picture|photo)")


def _strings(value: Any) -> tuple[str, ...]:
    """LogInfo is a list of strings in the SDK; a JSON array in a string, or one string, is read too."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value)
    return () if value is None else (str(value),)


def without_images(value: Any) -> Any:
    """``value`` with every mapping's picture-named keys dropped, at any depth: the log is kept, its pictures not."""
    if isinstance(value, Mapping):
        return {str(key): without_images(item) for key, item in value.items() if not IMAGE_KEY.search(str(key))}
    if isinstance(value, list | tuple):
        return [without_images(item) for item in value]
    return value


@dataclass(frozen=True)
class VerifyLog:
    """Where a hosted flow got to, in the provider's words. ``verify_status`` is ``0`` (finished), ``1``
    (interrupted) or ``2`` (not started); ``interrupt_page`` the last page reached (``OCR guide page``...),
    ``interrupt_page_en`` its English code (``LOADING``, ``GUIDE``, ``FACE``, ``OCR_SCAN``, ``OCR_RESULT``,
    ``NFC_INPUT``, ``NFC_READ``); ``verify_error_code`` the client code (``1006`` the user quit, ``9999`` suspected
    interrupted...). ``passed`` is None when the answer has no ``Passed``."""

    request_id: str
    verify_status: str = ""
    interrupt_page: str = ""
    interrupt_page_en: str = ""
    verify_error_code: str = ""
    passed: bool | None = None
    sub_code: str = ""
    log_info: tuple[str, ...] = ()
    log_info_en: tuple[str, ...] = ()
    log_statistics: Mapping[str, Any] = field(default_factory=empty)
    log_statistics_text: str = ""
    ext_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> VerifyLog:
        result = body["Result"]
        passed = str(result.get("Passed") or "").upper()
        statistics = result.get("LogStatisticsInfo")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            verify_status=str(result.get("VerifyStatus") or ""),
            interrupt_page=str(result.get("InterruptPage") or ""),
            interrupt_page_en=str(result.get("InterruptPageEn") or ""),
            verify_error_code=str(result.get("VerifyErrorCode") or ""),
            passed=None if passed not in ("Y", "N") else passed == "Y",
            sub_code=str(result.get("SubCode") or ""),
            log_info=_strings(result.get("LogInfo")),
            log_info_en=_strings(result.get("LogInfoEn")),
            log_statistics=parse_json_object(statistics),
            log_statistics_text=statistics if isinstance(statistics, str) else "",
            ext_info=parse_json_object(result.get("ExtInfo")),
            raw=freeze(body),
        )

    @property
    def finished(self) -> bool:
        return self.verify_status == FINISHED

    @property
    def stopped_at(self) -> str:
        """Where the user stopped: the stable code ``InterruptPageEn`` (``OCR_SCAN``, ``FACE``...: what the funnel
        groups by), else the page's name ``InterruptPage``; empty for a finished flow."""
        if self.finished:
            return ""
        return self.interrupt_page_en or self.interrupt_page

    def as_stored(self) -> dict[str, Any]:
        """What a transaction keeps of the log (``KycTransaction.verify_log``): every field, no pictures."""
        stored: dict[str, Any] = without_images(
            {
                "request_id": self.request_id,
                "verify_status": self.verify_status,
                "interrupt_page": self.interrupt_page,
                "interrupt_page_en": self.interrupt_page_en,
                "verify_error_code": self.verify_error_code,
                "passed": self.passed,
                "sub_code": self.sub_code,
                "log_info": list(self.log_info),
                "log_info_en": list(self.log_info_en),
                "log_statistics": dict(self.log_statistics) or self.log_statistics_text,
                "ext_info": dict(self.ext_info),
            }
        )
        return stored


@dataclass(frozen=True)
class FraudReport:
    """The provider's receipt of a fraud report: ``success`` is its ``Success`` (a JSON boolean in the SDK)."""

    request_id: str
    success: bool
    code: str = ""
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FraudReport:
        success = body.get("Success")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            success=success is True or str(success).lower() == "true",
            code=str(body.get("Code") or ""),
            message=str(body.get("Message") or ""),
            raw=freeze(body),
        )


@dataclass(frozen=True)
class RecordsExport:
    """An export of the provider's records: ``url`` of the file (``DownloadMode=sync``), or ``task_id`` to follow
    with QueryDownloadTaskIntl (``async``; an operation the SDK 3.23.1 does not declare)."""

    request_id: str
    url: str = field(default="", repr=False)  # a signed, temporary address: a credential for the file
    task_id: str = ""
    code: str = ""
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> RecordsExport:
        data = body["Data"]
        return cls(
            request_id=str(body.get("RequestId") or ""),
            url=str(data.get("Url") or ""),
            task_id=str(data.get("DownloadTaskId") or ""),
            code=str(body.get("Code") or ""),
            message=str(body.get("Message") or ""),
            raw=freeze(body),
        )
