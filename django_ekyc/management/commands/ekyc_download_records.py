"""``manage.py ekyc_download_records``: the provider's records of a product for a period, for an audit
(``DownloadVerifyRecordIntl``).

It writes the provider's answer as JSON (the export's address, or its task id), to stdout or ``--output``; with
``--fetch`` it downloads the export itself into ``--output``. The SDK documents ``BizType`` and ``DownloadMode``
but not the form of ``Param``: the period is sent as ``{"StartDate", "EndDate"}`` in the form of the older
``cloudauth`` API's DownloadVerifyRecords (``2025-09-17 00:00:00 +0800``), which may not be what this API reads;
``--param`` sends keys of your own over it. See docs/records.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_ekyc.catalogue.products import CATALOGUE, SERVER_PRODUCTS
from django_ekyc.client import get_client
from django_ekyc.client.records import BIZ_TYPES, DOWNLOAD_MODES
from django_ekyc.exceptions import EkycConfigurationError, EkycError
from django_ekyc.results import RecordsExport

FETCH_TIMEOUT = (3.05, 60.0)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


def period_param(start: date, end: date) -> dict[str, str]:
    """The period in the site's time zone, from the start of ``start`` to the end of ``end``."""
    if end < start:
        raise CommandError("--end is before --start.")
    zone = timezone.get_current_timezone()
    first = datetime.combine(start, time.min, tzinfo=zone)
    last = datetime.combine(end, time(23, 59, 59), tzinfo=zone)
    return {"StartDate": first.strftime(DATE_FORMAT), "EndDate": last.strftime(DATE_FORMAT)}


def _own_param(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise CommandError("--param must be a JSON object.")
    return value


def fetch_export(url: str, target: Path) -> int:
    """Download the export at ``url`` into ``target``; the bytes written. The address is signed (a credential for
    the file): no message shows it, and ``requests``' errors, which do, are not chained."""
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True) as answer:
            if answer.status_code != 200:
                raise CommandError(f"Could not download the export: HTTP {answer.status_code}.")
            written = 0
            with target.open("wb") as file:
                for chunk in answer.iter_content(chunk_size=65536):
                    written += file.write(chunk)
    except requests.RequestException as err:
        raise CommandError(f"Could not download the export: {type(err).__name__}.") from None
    return written


class Command(BaseCommand):
    help = (
        "Ask the provider for its records of a product over a period (DownloadVerifyRecordIntl) and write its "
        "answer as JSON, or with --fetch the exported file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--product", required=True, help="The ProductType (a product code: eKYC, FACE_IDU...).")
        parser.add_argument("--start", help="First day, YYYY-MM-DD, in the site's time zone.")
        parser.add_argument("--end", help="Last day, YYYY-MM-DD (default: --start).")
        parser.add_argument("--biz-type", default="INVOKE_RECORD", help=f"{' or '.join(sorted(BIZ_TYPES))}.")
        parser.add_argument("--mode", default="sync", help=f"DownloadMode: {' or '.join(sorted(DOWNLOAD_MODES))}.")
        parser.add_argument("--param", help="A JSON object sent in Param, over the period's keys.")
        parser.add_argument("--code", default="", help="Code ('the query code': sent as given).")
        parser.add_argument("--account", default="", help="One of EKYC['ACCOUNTS'] (default: the site's own).")
        parser.add_argument("--output", help="Write to this file instead of stdout.")
        parser.add_argument("--fetch", action="store_true", help="Download the exported file into --output.")

    def handle(self, *args: Any, **options: Any) -> None:
        product, mode = options["product"], options["mode"]
        if product not in {**CATALOGUE, **SERVER_PRODUCTS}:
            raise CommandError(f"Unknown product {product!r}.")
        if options["fetch"] and (not options["output"] or mode != "sync"):
            raise CommandError("--fetch needs --output FILE and --mode sync (an async export is a task).")
        param = self._param(options)
        export = self._export(options, product, param)
        if options["fetch"]:
            if not export.url:
                raise CommandError("The provider answered no file address to fetch.")
            size = fetch_export(export.url, Path(options["output"]))
            self.stdout.write(f"Wrote {size} bytes of {product} records to {options['output']}.")
            return
        answer = {"request_id": export.request_id, "url": export.url, "task_id": export.task_id, "param": param}
        text = json.dumps(answer, indent=2, ensure_ascii=False)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote the provider's answer to {options['output']}.")
        else:
            self.stdout.write(text)

    def _param(self, options: dict[str, Any]) -> dict[str, Any]:
        own = _own_param(options["param"])
        if not options["start"]:
            if options["end"] or not own:
                raise CommandError("Give the period (--start, optionally --end), or --param.")
            return own
        start = _day(options["start"])
        end = _day(options["end"]) if options["end"] else start
        return {**period_param(start, end), **own}

    def _export(self, options: dict[str, Any], product: str, param: dict[str, Any]) -> RecordsExport:
        try:
            return get_client(options["account"]).download_verify_records(
                product_type=product,
                param=json.dumps(param, separators=(",", ":"), ensure_ascii=False),
                biz_type=options["biz_type"],
                download_mode=options["mode"],
                code=options["code"],
            )
        except ValueError as err:  # refused before sending: a BizType or DownloadMode the provider does not take
            raise CommandError(str(err)) from None
        except (EkycError, EkycConfigurationError) as err:
            raise CommandError(f"The provider did not export the records: {err}") from None
