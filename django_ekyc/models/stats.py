"""``OperatorDaySummary``: the operator's figures of one UTC day, counted once that day can no longer change.

The operator's page (:mod:`django_ekyc.services.stats_days`) reads these instead of the raw rows for every day
that is frozen, so that its cost does not grow with the tables. One row is one count of one figure family on one
day, keyed by the columns that family groups by (the others stay blank):

- ``funnel``: verifications created that day by ``status, product_code, channel, account, doc_type``;
- ``ending``: the failed and expired ones by ``status, stopped_at, sub_code, error_code``;
- ``call``: provider-call and rejected events made that day by ``kind, action, code, bucket`` (the latency bucket,
  ``-1`` when untimed);
- ``day``: one marker per day whose verifications are summarised, written in the same transaction as their
  counts; its ``count`` is how many of them were still waiting then (a later change among them is how a frozen
  day is found to be out of date);
- ``call_day``: the same for the day's calls, which freeze sooner (an event never changes once written).

Internal bookkeeping, not shown in the admin: hence no per-field labels and no permissions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The figure families, and the columns each groups by; the two markers, and the families each stands for.
DAY, CALL_DAY, FUNNEL, ENDING, CALL = "day", "call_day", "funnel", "ending", "call"
MARKED = {DAY: (FUNNEL, ENDING), CALL_DAY: (CALL,)}
FUNNEL_KEYS = ("status", "product_code", "channel", "account", "doc_type")
ENDING_KEYS = ("status", "stopped_at", "sub_code", "error_code")
CALL_KEYS = ("kind", "action", "code", "bucket")
KEYS = (*FUNNEL_KEYS, *ENDING_KEYS[1:], *CALL_KEYS)
UNTIMED = -1  # the bucket of a call without a duration (and of the rows that are no call)


class OperatorDaySummary(models.Model):
    """One count of one figure family for one UTC day; unique per day and key, so a day is never counted twice."""

    day = models.DateField()
    figure = models.CharField(max_length=8)
    # The verification's columns (``funnel`` and ``ending``), lengths as on KycTransaction.
    status = models.CharField(max_length=16, blank=True, default="")
    product_code = models.CharField(max_length=32, blank=True, default="")
    channel = models.CharField(max_length=8, blank=True, default="")
    account = models.CharField(max_length=64, blank=True, default="")
    doc_type = models.CharField(max_length=16, blank=True, default="")
    stopped_at = models.CharField(max_length=64, blank=True, default="")
    sub_code = models.CharField(max_length=16, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    # The event's columns (``call``), lengths as on KycTransactionEvent.
    kind = models.CharField(max_length=16, blank=True, default="")
    action = models.CharField(max_length=32, blank=True, default="")
    code = models.CharField(max_length=64, blank=True, default="")
    bucket = models.SmallIntegerField(default=UNTIMED)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("operator's day summary")
        verbose_name_plural = _("operator's day summaries")
        default_permissions = ()
        constraints = [
            # Figure first: the page reads one family (or the markers) over a range of days.
            models.UniqueConstraint(fields=["figure", "day", *KEYS], name="ekyc_day_summary_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.figure}: {self.count}"
