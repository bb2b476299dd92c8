"""The provider's own records of a verification (filled in by the records work)."""

from __future__ import annotations


class RecordOperations:
    """CheckVerifyLog, FraudResultCallBack and DownloadVerifyRecordIntl."""
