"""Which indexes of the verifications' table the app's queries use, on PostgreSQL (default 200,000 rows).

Rows as ``bench/_admin_fill.py`` writes them (without history rows), VACUUM ANALYZE; then every index of
``django_ekyc_kyctransaction`` (``pg_indexes``), and ``EXPLAIN (FORMAT JSON)`` of the queries the app runs, taken
from its own code so that they follow it: the admin's change list (first page, filters, searches, a middle page),
the review queue and the operator's page, as a superuser's ``django.test.Client`` loads them; sync's claim of due
rows (its ``SELECT ... FOR UPDATE`` explained as the plain SELECT) and its expiry of stale ones; retention's
candidates of each rule (the purge's batch of ids, and the dry run's counts), the provider deletions pending; the
review queue of the services and of the metrics; ``latest_passed``; the return and callback lookups (by token hash,
by provider id); the API's list and read (by public id); a person's records (by ``merchant_user_id``); the face and
deepfake queues of sync. A service that writes runs in a transaction rolled back (or is stopped at its first write,
by patching what it calls): its SELECTs are captured. Printed: per query, its plan's top nodes and the indexes it
uses (and any Seq Scan of the table); per index, the queries that use it, "UNUSED" for none.
Run: .venv/bin/python bench/indexes.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._admin_fill import ciphertexts, configure, fill, make_users
from bench._support import postgres_database
from bench.admin_list import last_page

ROWS = 200_000
TABLE = "django_ekyc_kyctransaction"
LIST = "/admin/django_ekyc/kyctransaction/"
LOCKING = re.compile(r"\s+FOR (NO KEY )?UPDATE( OF [^)]*?)?( SKIP LOCKED| NOWAIT)?\s*$")
Source = Callable[[], Any] | Any  # a call whose SELECTs are captured, or a queryset explained as it is


class Stop(Exception):
    """Raised to end a service at its first write (or to roll its transaction back)."""


def stopping(target: Any, name: str, call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` with ``target.name`` replaced by one that raises :class:`Stop`: the service reads, then stops."""

    def run() -> Any:
        with mock.patch.object(target, name, side_effect=Stop):
            return call()

    return run


def captured(call: Callable[[], Any], *, rolled_back: bool) -> tuple[list[str], str]:
    """The SELECTs on the table ``call`` runs (locking clauses removed), and how it ended if not as expected."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    ended = ""
    with CaptureQueriesContext(connection) as queries:
        try:
            if not rolled_back:
                call()  # a request through the test client: its own connection handling, never in a transaction
            else:
                with transaction.atomic():
                    call()
                    raise Stop
        except Stop:
            ended = ""
        except Exception as error:  # the lookups that find nothing end so; printed
            ended = type(error).__name__
    sqls = [query["sql"] for query in queries if f'"{TABLE}"' in query["sql"]]
    return [LOCKING.sub("", sql) for sql in sqls if sql.lstrip().upper().startswith("SELECT")], ended


def plan_of(source: str | Any) -> dict[str, Any]:
    """The top plan node of an SQL string or a queryset."""
    from django.db import connection

    if not isinstance(source, str):
        return dict(json.loads(source.explain(format="json"))[0]["Plan"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {source}")
        value = cursor.fetchone()[0]
    return dict((json.loads(value) if isinstance(value, str) else value)[0]["Plan"])


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def top(plan: dict[str, Any]) -> str:
    """The first nodes down the plan, to its first scan: ``Limit > Index Scan Backward``."""
    path, node = [], plan
    while True:
        name = node["Node Type"] + (f" {node['Strategy']}" if node.get("Strategy") not in (None, "Plain") else "")
        path.append(name + (" Backward" if node.get("Scan Direction") == "Backward" else ""))
        if "Scan" in node["Node Type"] or not node.get("Plans") or len(path) == 4:
            return " > ".join(path)
        node = node["Plans"][0]


def app_queries(client: Any, user_client: Any, row: Any) -> list[tuple[str, Source, bool]]:
    """(label, source, rolled back?) of each query the app runs, built by the app's own code."""
    from django.utils import timezone

    from django_ekyc.models import KycTransaction
    from django_ekyc.retention_policy import KINDS
    from django_ekyc.services import deepfake, exports, faces, flow, ledger, retention, review, sync
    from django_ekyc.services.queue_metrics import ReviewQueueCollector
    from django_ekyc.services.retention_rules import candidates

    now, user = timezone.now(), row.user
    pages = {
        "first page": LIST,
        "filter passed=yes": f"{LIST}?passed__exact=1",
        "filter status=error": f"{LIST}?status__exact=error",
        "filter review=waiting": f"{LIST}?review__exact=waiting",
        "filter product, document": f"{LIST}?product_code=eKYC&doc_type=01000000",
        "search transaction id": f"{LIST}?q={row.transaction_id}",
        "search public id": f"{LIST}?q={row.public_id}",
        "search username": f"{LIST}?q={user.get_username()}",
        "middle page": f"{LIST}?p={max(1, last_page(client, LIST) // 2)}",
        "review queue": "/admin/django_ekyc/reviewqueueitem/",
        "operator page": f"{LIST}operations/",
    }
    batch = retention.BATCH
    return [
        *[(f"admin {label}", lambda url=url: client.get(url), False) for label, url in pages.items()],
        ("sync claim_due", lambda: ledger.claim_due(100, now, timedelta(minutes=5)), True),
        ("sync expire_stale", stopping(ledger, "transition", lambda: sync.expire_stale(now=now)), True),
        *[
            (f"retention {kind} batch", candidates(kind, now=now).values_list("pk", flat=True)[:batch], False)
            for kind in KINDS
        ],
        ("retention dry run", lambda: retention.dry_run(now=now), True),
        ("provider deletion pending", retention.provider_deletion_pending(), False),
        ("services review.queue", review.queue()[:100], False),
        ("review queue metrics", lambda: list(ReviewQueueCollector().collect()), True),
        ("latest_passed(user)", lambda: KycTransaction.objects.latest_passed(user), True),
        ("return (return_token_hash)", lambda: flow.handle_return("bench-no-such-token"), True),
        ("callback (transaction_id)", lambda: flow.handle_callback("hks-bench-no-such-id", "token"), True),
        ("API list (user)", lambda: user_client.get("/ekyc/api/transactions/"), False),
        ("API read (public_id)", lambda: user_client.get(f"/ekyc/api/transactions/{row.public_id}/"), False),
        ("person identity (merchant_user_id)", candidates("identity", now=now, person=row.merchant_user_id), False),
        ("export user of person", lambda: exports._user_of(row.merchant_user_id, None), True),
        ("face queue", stopping(faces, "settle_face", lambda: faces.settle_pending_faces(now=now)), True),
        ("deepfake queue", stopping(deepfake, "screen", lambda: deepfake.screen_pending(now=now)), True),
    ]


def kind_of(sql: str) -> str:
    upper = sql.upper()
    return "count" if "COUNT(" in upper and "GROUP BY" not in upper else "group" if "GROUP BY" in upper else "rows"


def explain_all(items: list[tuple[str, Source, bool]]) -> dict[str, dict[str, Any]]:
    """label -> plan, each captured statement of a call under its own label."""
    plans: dict[str, dict[str, Any]] = {}
    for label, source, rolled_back in items:
        if not callable(source):
            plans[label] = plan_of(source)
            continue
        sqls, ended = captured(source, rolled_back=rolled_back)
        if not sqls:
            print(f"  ({label}: no SELECT on the table{', ended with ' + ended if ended else ''})")
        for index, sql in enumerate(sqls, start=1):
            plans[f"{label} #{index} {kind_of(sql)}" if len(sqls) > 1 else label] = plan_of(sql)
    return plans


def index_notes(definition: str, fks: set[str]) -> str:
    columns = re.search(r"\((.*?)\)", definition)
    named = {part.strip().split()[0] for part in columns.group(1).split(",")} if columns else set()
    notes = ["unique" if " UNIQUE " in definition else "", "partial" if " WHERE " in definition else ""]
    notes += ["LIKE prefixes only" if "pattern_ops" in definition else "", "foreign key" if named <= fks else ""]
    return ", ".join(note for note in notes if note)


def report(plans: dict[str, dict[str, Any]], indexes: list[tuple[str, str]], fks: set[str]) -> None:
    used: dict[str, list[str]] = {name: [] for name, _ in indexes}
    print(f"\n{'query':<44} {'plan (top nodes)':<56} indexes used")
    for label, plan in plans.items():
        names = sorted({node["Index Name"] for node in nodes(plan) if "Index Name" in node})
        seqs = [node for node in nodes(plan) if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == TABLE]
        for name in names:
            used.setdefault(name, []).append(label)
        shown = ", ".join(names) or "-"
        flag = ""
        if seqs:
            flag = f"  ** Seq Scan of the table (~{seqs[0]['Plan Rows']:,.0f} rows; cost {plan['Total Cost']:,.0f})"
        print(f"{label:<44} {top(plan):<56} {shown}{flag}")
    print(f"\n{len(indexes)} indexes on {TABLE}:")
    for name, definition in indexes:
        notes = index_notes(definition, fks)
        users = used[name]
        print(f"\n  {name}{f' ({notes})' if notes else ''}: {'used by ' + str(len(users)) if users else 'UNUSED'}")
        print(f"    {definition.split(' USING ', 1)[-1]}")
        for label in users:
            print(f"      - {label}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    started = time.perf_counter()
    with postgres_database("ekyc_bench_indexes") as database_url:
        configure(database_url)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from django_ekyc.models import KycTransaction

        seconds = fill(1, args.rows, make_users(), ciphertexts())
        print(f"{args.rows:,} rows filled in {seconds:.1f} s")
        staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
        client, user_client = Client(), Client()
        client.force_login(staff)
        row = KycTransaction.objects.select_related("user").filter(pk__gte=args.rows // 2, status="passed")
        found = row.order_by("pk").first()
        assert found is not None
        assert found.user is not None
        user_client.force_login(found.user)
        client.get(f"{LIST}operations/")  # the operator page's first load summarises the past days: warm it
        plans = explain_all(app_queries(client, user_client, found))
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [TABLE])
            indexes = [(str(name), str(definition)) for name, definition in cursor.fetchall()]
        fks = {str(field.column) for field in KycTransaction._meta.concrete_fields if field.is_relation}
        report(plans, indexes, fks)
        connection.close()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
