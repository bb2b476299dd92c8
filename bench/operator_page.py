"""The operator's page (admin ``operations/``) at 10,000, 100,000 and 1,000,000 transactions.

Rows are written in SQL (one ``INSERT ... SELECT`` over a generated sequence per table: 100 days of verifications
in the order they started, three history rows each; those older than a day are settled, as sync leaves them),
then the page is loaded beside the admin's change list at the same size, in the same run: the fair baseline of
"an admin page over this table". Per size and period: the **first** load, which summarises the frozen days it
needs (the summaries are dropped before it), and the **warm** load (median of repeated loads), with the queries
of each; then the background pass (``summarise_frozen_days``) over all the days. EXPLAIN of the warm page's
queries at the end.

SQLite by default (a file under the temporary directory); PostgreSQL when ``DATABASE_URL`` names one (the script
creates that database afresh and drops it afterwards).
Run: .venv/bin/python bench/operator_page.py [--repeat 5] [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import median, postgres_database

SIZES = (10_000, 100_000, 1_000_000)
DAYS = 100
LIST = "/admin/django_ekyc/kyctransaction/"
PAGE = "/admin/django_ekyc/kyctransaction/operations/"
PERIODS = (("7 days (default)", ""), ("30 days", "?period=30d"))


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A fresh PostgreSQL database when DATABASE_URL names one, else a fresh SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        with postgres_database(url.rsplit("/", 1)[1] or "ekyc_bench_operator") as url:
            yield url
        return
    path = Path(tempfile.gettempdir()) / "ekyc-bench-operator.sqlite3"
    path.unlink(missing_ok=True)
    try:
        yield f"sqlite:///{path}"
    finally:
        path.unlink(missing_ok=True)


def literal(field: Any) -> str:
    """A column's value for generated rows that set nothing special: NULL, or its default as SQL."""
    if field.null:
        return "NULL"
    default = field.get_default()
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    if isinstance(default, int):
        return str(default)
    if isinstance(default, dict):
        return "'{}'"
    return "''"


def insert(model: Any, values: dict[str, str], source: str) -> str:
    """``INSERT INTO model (every column) SELECT ... source``: ``values`` by column, the rest :func:`literal`."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(field.column for field in fields)
    selected = ", ".join(values.get(field.column, literal(field)) for field in fields)
    return f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {selected} {source}"


def fill(size: int, user_id: int, postgres: bool) -> None:
    """``size`` transactions over the last ``DAYS``, in the order of their start (as a site writes them, so that a
    day's rows sit together), and three events each; one in ten still waits if it started within the last day
    (and half an hour), else it expired (sync's doing). The tables are emptied first."""
    from django.db import connection

    from django_ekyc.models import KycTransaction, KycTransactionEvent, OperatorDaySummary

    with connection.cursor() as cursor:
        for model in (KycTransactionEvent, OperatorDaySummary, KycTransaction):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 - the model's own table
    first, last = 1, size
    seconds = f"(({size} - n) * {DAYS * 86400} / {size})"
    if postgres:
        sequence = f"FROM generate_series({first}::bigint, {last}) AS seq(n)"
        uuid, ago = "md5(n::text)::uuid", f"now() - {seconds} * interval '1 second'"
    else:
        recursive = f"WITH RECURSIVE s(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM s WHERE n < {last})"  # noqa: S608
        sequence = f"FROM ({recursive} SELECT n FROM s)"  # noqa: S608
        uuid = "printf('%032x', n)"
        ago = f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || {seconds} || ' seconds')"
    status = (
        f"CASE WHEN n % 10 = 3 AND {seconds} < 88200 THEN 'initialized' WHEN n % 10 IN (2, 3) THEN 'expired' "
        "WHEN n % 10 IN (0, 1) THEN 'failed' WHEN n % 10 = 4 THEN 'error' ELSE 'passed' END"
    )
    transactions = {
        "public_id": uuid,
        "user_id": str(user_id),
        "status": status,
        "merchant_biz_id": "'b' || n",
        "return_token_hash": "'r' || n",
        "transaction_id": "'t' || n",
        "product_code": "CASE n % 4 WHEN 0 THEN 'eKYC_PRO' ELSE 'eKYC' END",
        "channel": "CASE n % 5 WHEN 0 THEN 'app' ELSE 'web' END",
        "doc_type": "CASE n % 4 WHEN 0 THEN 'GLB03002' ELSE '01000000' END",
        "sub_code": "CASE n % 10 WHEN 0 THEN '204' WHEN 1 THEN '205' WHEN 5 THEN '200' ELSE '' END",
        "stopped_at": "CASE n % 20 WHEN 2 THEN 'FaceLiveness' ELSE '' END",
        "review": "CASE n % 997 WHEN 0 THEN 'waiting' ELSE '' END",
        "created_at": ago,
        "updated_at": ago,
    }
    events = {
        "transaction_id": "t.id",
        "created_at": "t.created_at",
        "kind": "CASE k.k WHEN 3 THEN 'state_change' ELSE 'provider_call' END",
        "source": "'api'",
        "action": "CASE k.k WHEN 1 THEN 'Initialize' WHEN 2 THEN 'CheckResult' ELSE '' END",
        "code": "CASE WHEN k.k = 3 THEN '' WHEN t.id % 50 = 0 THEN 'Throttling.Api' ELSE 'Success' END",
        "duration_ms": "CASE k.k WHEN 3 THEN NULL ELSE 40 + (t.id * 37) % 1500 END",
    }
    three = "(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) k"
    with connection.cursor() as cursor:
        cursor.execute(insert(KycTransaction, transactions, sequence))
        new = f"t.merchant_biz_id IN (SELECT 'b' || n {sequence})"
        source = f"FROM django_ekyc_kyctransaction t CROSS JOIN {three} WHERE {new}"
        cursor.execute(insert(KycTransactionEvent, events, source))
        cursor.execute("ANALYZE")


def timed_get(client: Any, url: str, repeat: int) -> tuple[float, int, list[str]]:
    """Median ms of ``repeat`` warm loads, and the queries (count, SQL) of one more."""
    client.get(url)  # warm up
    times = []
    for _ in range(repeat):
        times.append(first_get(client, url)[0])
    _ms, count, sqls = first_get(client, url)
    return median(times), count, sqls


def first_get(client: Any, url: str) -> tuple[float, int, list[str]]:
    """One load: its ms, and its queries (count, SQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return ms, len(queries), [query["sql"] for query in queries]


def explain(sqls: list[str], postgres: bool) -> None:
    from django.db import connection

    prefix = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        for sql in sqls:
            if "GROUP BY" not in sql and "COUNT(" not in sql.upper():
                continue  # the session and the user: not the page's own
            cursor.execute(f"{prefix} {sql}")
            plan = [" ".join(str(part) for part in row) for row in cursor.fetchall()]
            print(f"\n  {sql[:150]}...")
            for line in plan[:12]:
                print(f"    {line}")


def measure(client: Any, repeat: int, base_ms: float) -> list[str]:
    """First and warm loads of each period, the summaries dropped before each first load; the last warm SQL."""
    from django_ekyc.models import OperatorDaySummary

    last_sql: list[str] = []
    for label, query in PERIODS:
        OperatorDaySummary.objects.all().delete()
        first_ms, first_count, _ = first_get(client, PAGE + query)
        ms, count, last_sql = timed_get(client, PAGE + query, repeat)
        print(
            f"  operator page, {label:<16} first {first_ms:8.1f} ms {first_count:4d} queries; "
            f"warm {ms:7.1f} ms {count:2d} queries ({ms / base_ms:.1f}x the list)"
        )
    return last_sql


def background_pass() -> None:
    from django_ekyc.models import OperatorDaySummary
    from django_ekyc.services.stats_days import summarise_frozen_days

    OperatorDaySummary.objects.all().delete()
    started = time.perf_counter()
    summarised = summarise_frozen_days()
    seconds = time.perf_counter() - started
    rows = OperatorDaySummary.objects.count()
    print(f"  summarise_frozen_days: {summarised} days in {seconds:.1f} s ({rows:,} summary rows)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with database() as url:
        postgres = url.startswith("postgres")
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "example_project.settings",
                "DATABASE_URL": url,
                "DJANGO_DEBUG": "false",
                "DJANGO_ALLOWED_HOSTS": "testserver",
                "EKYC_ENCRYPTION_KEYS": "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTAwMDAwMDA=",
            }
        )
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        call_command("migrate", verbosity=0)
        staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
        client = Client()
        client.force_login(staff)
        print(f"database: {connection.vendor}; {DAYS} days of rows, 3 history rows each; warm: median of {args.repeat}")
        last_sql: list[str] = []
        for size in sizes:
            started = time.perf_counter()
            fill(size, staff.pk, postgres)
            print(f"\n{size:>9,} transactions (inserted in {time.perf_counter() - started:.1f} s)")
            base_ms, base_queries, _ = timed_get(client, LIST, args.repeat)
            print(f"  change list (baseline)   {base_ms:8.1f} ms  {base_queries:2d} queries")
            last_sql = measure(client, args.repeat, base_ms)
            background_pass()
        print("\nEXPLAIN of the warm page's queries (30 days, largest size):")
        explain(last_sql, postgres)
        connection.close()


if __name__ == "__main__":
    main()
