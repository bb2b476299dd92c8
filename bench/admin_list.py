"""The admin change list of verifications at 10,000, 100,000 and 1,000,000 rows, on PostgreSQL.

Rows as ``bench/_admin_fill.py`` writes them, in SQL: statuses, verdicts, products, documents, reviews (some in the
queue), 2,000 users, 100 days, three history rows each and, on the finished rows of the last 90 days, a realistic
encrypted result (a few KB; ~30 KB with a face image in one in 20), encrypted once by the model field and reused.
The table grows to each size in turn (VACUUM ANALYZE after each fill), then each page is loaded through
``django.test.Client`` as a superuser: the median of ``--repeat`` warm loads, and the queries of one more.
Pages: the first page, filters (passed, a rare status, a rare purpose), the review queue, searches (provider
transaction id, public id, merchant business id, username), the middle and the last page as the change list's own
page links give them, a page past the last (its answer is recorded), and the operator's page. At the largest
size, the first page and every page over the aim are loaded once more: their queries' times, and EXPLAIN ANALYZE
of the slowest.
Aim: each page at the largest size within 2x of the smallest, with the same queries.
Run: .venv/bin/python bench/admin_list.py [--repeat 7] [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._admin_fill import ciphertexts, configure, fill, make_users
from bench._support import median, postgres_database

SIZES = (10_000, 100_000, 1_000_000)
LIST = "/admin/django_ekyc/kyctransaction/"
QUEUE = "/admin/django_ekyc/reviewqueueitem/"
OPERATOR = LIST + "operations/"
PAGE_LINK = re.compile(r"[?&;]p=(\d+)")


@dataclass
class Cell:
    """One page at one size: the median of the warm loads (None unless it answered 200), its queries, why not."""

    ms: float | None
    queries: int
    note: str = ""
    rows: int = 0  # the rows the page lists

    def shown(self) -> str:
        return f"{self.ms:9.1f} ms" if self.ms is not None else f"{self.note:>12}"


def load(client: Any, url: str) -> tuple[Any, float, int]:
    """One load: the response, its ms and its number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - started) * 1000
    return response, ms, len(queries)


def measure(client: Any, url: str, repeat: int) -> Cell:
    """A warm-up load, ``repeat`` timed ones, the queries of the last; a page that does not answer 200 once."""
    response, _ms, count = load(client, url)
    if response.status_code != 200:
        where = response.get("Location", "").partition("?")[2]  # the admin's redirect of a bad page: ?e=1
        return Cell(None, count, f"{response.status_code}{' ?' + where if where else ''}")
    times = [load(client, url)[1] for _ in range(repeat)]
    return Cell(median(times), load(client, url)[2], rows=listed(response.content.decode()))


def listed(body: str) -> int:
    """The rows of the change list's table (its header row not counted)."""
    table = body.partition('id="result_list"')[2].partition("</table>")[0]
    return max(0, table.count("<tr") - 1)


def last_page(client: Any, url: str) -> int:
    """The last page the change list links to (its paginator's, as it shows it): 1 without links."""
    body = client.get(url).content.decode()
    return max((int(number) for number in PAGE_LINK.findall(body)), default=1)


def sample(size: int) -> Any:
    """A verification half way through the table, with a provider id: what the searches look for."""
    from django_ekyc.models import KycTransaction

    rows = KycTransaction.objects.select_related("user").filter(transaction_id__isnull=False, user__isnull=False)
    found = rows.filter(pk__gte=size // 2).order_by("pk").first()
    assert found is not None
    assert found.user is not None
    return found


def pages(client: Any, size: int) -> list[tuple[str, str]]:
    """(label, URL) of each page measured at this size: searches look for a row of this size, pages by its links."""
    row = sample(size)
    last = last_page(client, LIST)
    return [
        ("first page", LIST),
        ("filter passed=yes", f"{LIST}?passed__exact=1"),
        ("filter status=error", f"{LIST}?status__exact=error"),
        ("filter purpose=reverify", f"{LIST}?purpose__exact=reverify"),  # 2 %, and no index of its own
        ("review queue", QUEUE),
        ("search transaction id", f"{LIST}?q={row.transaction_id}"),
        ("search public id", f"{LIST}?q={row.public_id}"),
        ("search merchant biz id", f"{LIST}?q={row.merchant_biz_id}"),
        ("search username", f"{LIST}?q={row.user.get_username()}"),
        ("middle page", f"{LIST}?p={max(1, last // 2)}"),
        ("last page", f"{LIST}?p={last}"),
        ("past the last page", f"{LIST}?p={last + 1}"),
        ("operator page (7 days)", OPERATOR),
    ]


def drop_day_summaries() -> None:
    """The operator page's summaries of past days: stale once the fill adds rows to those days."""
    from django_ekyc.models import OperatorDaySummary

    OperatorDaySummary.objects.all().delete()


def explain(client: Any, label: str, url: str) -> None:
    """One load's queries with their times, and EXPLAIN ANALYZE of the slowest on the verifications' table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get(url)
        ms = (time.perf_counter() - started) * 1000
    times = [float(query["time"]) * 1000 for query in queries.captured_queries]
    print(f"\n{label} ({url}): {ms:.0f} ms, of which SQL {sum(times):.0f} ms: " + ", ".join(f"{t:.1f}" for t in times))
    own = [query for query in queries.captured_queries if '"django_ekyc_kyctransaction"' in query["sql"]]
    if not own:
        return
    slowest = max(own, key=lambda query: float(query["time"]))["sql"]
    print(f"  slowest: {slowest[:400]}{' ...' if len(slowest) > 400 else ''}")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest}")
        plan = [str(line) for (line,) in cursor.fetchall()]
    summary = next((at for at, line in enumerate(plan) if line.lstrip().startswith("Planning")), len(plan))
    for line in [*plan[: min(14, summary)], *(["    ..."] if summary > 14 else []), *plan[summary:]]:
        print(f"    {line}")  # the plan's top, and its planning, JIT and execution times


def run(sizes: list[int], repeat: int) -> None:
    """Fill to each size, measure every page; the table, then the slow pages' queries at the largest size."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    client = Client()
    client.force_login(staff)
    users, results = make_users(), ciphertexts()
    print(f"result ciphertexts: {len(results[0]):,} and {len(results[1]):,} characters; {len(users):,} users")
    table: dict[str, dict[int, Cell]] = {}
    filled = 0
    for size in sizes:
        seconds = fill(filled + 1, size, users, results, events=True)
        filled = size
        drop_day_summaries()
        measured = pages(client, size)
        started = time.perf_counter()
        for label, url in measured:
            table.setdefault(label, {})[size] = measure(client, url, repeat)
        link = dict(measured)["last page"].rsplit("=", 1)[1]
        took = time.perf_counter() - started
        print(f"{size:>11,} rows: filled in {seconds:.1f} s, measured in {took:.1f} s, last page {link}", flush=True)
    report(table, sizes, repeat)
    print(f"\nAt {sizes[-1]:,} rows, the first page and each page over 2x:")
    for label, url in measured:
        small, large = table[label][sizes[0]].ms, table[label][sizes[-1]].ms
        if label == "first page" or (small is not None and large is not None and large > 2 * small):
            explain(client, label, url)


def report(table: dict[str, dict[int, Cell]], sizes: list[int], repeat: int) -> None:
    small, large = sizes[0], sizes[-1]
    heads = "".join(f"{size:>13,}" for size in sizes)
    print(f"\nmedian of {repeat} warm loads (ms), queries of one load; ratio {large:,} / {small:,} rows")
    width = 5 * len(sizes)
    print(f"{'page':<24}{heads}   {'queries':<{width}} {'rows listed':<{width}} {'ratio':>7}  aim <= 2x")
    for label, cells in table.items():
        row = [cells[size] for size in sizes]
        counts = " ".join(f"{cell.queries:>4}" for cell in row)
        listing = " ".join(f"{cell.rows:>4}" for cell in row)
        first, last = row[0].ms, row[-1].ms
        if first is None or last is None:
            ratio, verdict = "-", "-"
        else:
            ratio = f"{last / first:6.2f}x"
            same = len({cell.queries for cell in row}) == 1
            verdict = ("met" if last <= 2 * first else "NOT met") + ("" if same else ", queries grow")
        shown = "".join(f" {cell.shown()}" for cell in row)
        print(f"{label:<24}{shown}   {counts:<{width}} {listing:<{width}} {ratio:>7}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    started = time.perf_counter()
    with postgres_database("ekyc_bench_admin") as database_url:
        configure(database_url)
        from django.db import connection

        run(sizes, args.repeat)
        connection.close()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
