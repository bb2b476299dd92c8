"""The provider's own records of a verification: its log of a hosted flow, a fraud report, an export of records.

- ``CheckVerifyLog`` (:meth:`RecordOperations.check_verify_log`): where a user stopped in a hosted flow. The
  provider's page ("Query end-to-end authentication logs", alibabacloud.com/help/en/ekyc/latest/
  authentication-log-query-interface, 2026-09) says it is free, reads only flows with a client side, wants both ids,
  and is complete only once the TransactionId's 30 minutes are over. A read: retried like CheckResult.
- ``FraudResultCallBack`` (:meth:`RecordOperations.report_fraud`): tell the provider a verification was a fraud
  (``REJECT``) or was not (``PASS``). No page of the provider was found; the values are the SDK's. Nothing says a
  repeat is harmless, so it is never sent again once it may have reached the provider.
- ``DownloadVerifyRecordIntl`` (:meth:`RecordOperations.download_verify_records`): an export of the account's
  records. No page was found; the SDK documents ``BizType``, ``DownloadMode`` and the answer, not ``Param``'s form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django_ekyc.client.caller import Caller
from django_ekyc.exceptions import EkycMalformedResponse
from django_ekyc.results.records import FraudReport, RecordsExport, VerifyLog

# FraudResultCallBackRequest (SDK 3.23.1): ResultCode "PASS: Passed. REJECT: Not passed."; VerifyDeployEnv
# "staging: staging environment, production: production environment". Neither says which is the default.
RESULT_CODES = frozenset({"PASS", "REJECT"})
DEPLOY_ENVIRONMENTS = frozenset({"staging", "production"})
# DownloadVerifyRecordIntlRequest (SDK 3.23.1): BizType and DownloadMode, each with these values only.
BIZ_TYPES = frozenset({"INVOKE_STATISTICS", "INVOKE_RECORD"})
DOWNLOAD_MODES = frozenset({"sync", "async"})

T = TypeVar("T")


def _one_of(name: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}, not {value!r}.")


def fraud_parameters(
    *,
    transaction_id: str,
    result_code: str,
    verify_deploy_env: str = "",
    ext_params: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """FraudResultCallBack's request, checked: ``CertifyId`` is the TransactionId (the id the hosted flow's
    ``extInfo.certifyId`` carries); an empty ``verify_deploy_env`` or ``ext_params`` is not sent."""
    if not transaction_id:
        raise ValueError("A fraud report needs the provider's TransactionId.")
    _one_of("ResultCode", result_code, RESULT_CODES)
    params = {"CertifyId": transaction_id, "ResultCode": result_code}
    if verify_deploy_env:
        _one_of("VerifyDeployEnv", verify_deploy_env, DEPLOY_ENVIRONMENTS)
        params["VerifyDeployEnv"] = verify_deploy_env
    if ext_params:
        params["ExtParams"] = json.dumps(dict(ext_params), separators=(",", ":"), ensure_ascii=False)
    return params


class RecordOperations:
    """Mixed into :class:`~django_ekyc.client.EkycClient`: CheckVerifyLog, FraudResultCallBack and
    DownloadVerifyRecordIntl."""

    def check_verify_log(
        self: Caller, *, merchant_biz_id: str, transaction_id: str, product_code: str = ""
    ) -> VerifyLog:
        """Where the user of ``transaction_id`` stopped (:class:`~django_ekyc.results.VerifyLog`). ``product_code``
        is the transaction's product, whose quota the call counts against. Read-only: transport failures are
        retried."""
        params = {"MerchantBizId": merchant_biz_id, "TransactionId": transaction_id}
        body = self.call("CheckVerifyLog", params, idempotent=True, product_code=product_code)
        return _parsed(self, "CheckVerifyLog", body, "Result", VerifyLog.from_response)

    def report_fraud(
        self: Caller,
        *,
        transaction_id: str,
        result_code: str,
        verify_deploy_env: str = "",
        ext_params: Mapping[str, object] | None = None,
    ) -> FraudReport:
        """Report a verification's fraud result to the provider (``REJECT``: a fraud; ``PASS``: none). Check
        :attr:`~django_ekyc.results.FraudReport.success`. Never retried once it may have been received: no page
        says a second report is harmless."""
        params = fraud_parameters(
            transaction_id=transaction_id,
            result_code=result_code,
            verify_deploy_env=verify_deploy_env,
            ext_params=ext_params,
        )
        body = self.call("FraudResultCallBack", params, idempotent=False)
        return _parsed(self, "FraudResultCallBack", body, "", FraudReport.from_response)

    def download_verify_records(
        self: Caller,
        *,
        product_type: str,
        param: str = "",
        biz_type: str = "INVOKE_RECORD",
        download_mode: str = "sync",
        code: str = "",
    ) -> RecordsExport:
        """Export the account's records of ``product_type`` (``ProductType``: "the product code", per the SDK):
        ``INVOKE_RECORD`` (the calls) or ``INVOKE_STATISTICS`` (their counts), at once (``sync``: a file's
        ``url``) or as a task (``async``: a ``task_id``). ``param`` ("the parameters for the export and download
        query task") and ``code`` ("the query code") are sent as given: no page says their form. A ``sync``
        export is retried like a read; an ``async`` one is not, since each call may start another task."""
        _one_of("BizType", biz_type, BIZ_TYPES)
        _one_of("DownloadMode", download_mode, DOWNLOAD_MODES)
        if not product_type:
            raise ValueError("An export needs a ProductType.")
        params = {"ProductType": product_type, "BizType": biz_type, "DownloadMode": download_mode}
        params.update({name: value for name, value in (("Param", param), ("Code", code)) if value})
        body = self.call("DownloadVerifyRecordIntl", params, idempotent=download_mode == "sync")
        return _parsed(self, "DownloadVerifyRecordIntl", body, "Data", RecordsExport.from_response)


def _parsed(caller: Caller, action: str, body: dict[str, Any], part: str, parse: Callable[[dict[str, Any]], T]) -> T:
    """The answer read by ``parse``; one without its ``part`` (a mapping), or that ``parse`` cannot read, is a
    :class:`~django_ekyc.exceptions.EkycMalformedResponse`."""
    if part and not isinstance(body.get(part), Mapping):
        raise caller.transport.malformed(action, body, f"no {part}")
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        error: EkycMalformedResponse = caller.transport.malformed(action, body, "an unreadable answer")
        raise error from err
