"""Plumbing for ``bench/backlog.py``: the backlog written in SQL and told to the simulator, and its child processes.

``fill()`` runs in the benchmark's process (Django set up). Run as a script, it is one of the benchmark's children,
on the database and settings the parent hands down (``BENCH_EKYC``: the ``settings.EKYC`` to use, as JSON):
``work BATCH`` loops over sync passes until it is stopped; ``memory BATCH trace|rss`` makes one warm-up pass of one
row, then one pass of ``BATCH`` rows, and prints what it claimed and how much memory the pass took, as JSON (Linux).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_ekyc.simulator.state import SimulatorState

OLDEST = 20 * 60  # seconds since the start: within the provider's 30 minutes (nothing stale, nothing past its deadline)
SPREAD = 719  # the starts spread over 12 minutes, one second apart; prime to 10, so that each second has every outcome
FIRST_CHECK = 7 * 60  # SYNC_INTERVAL's default: every row's first check is due
# What the simulator answers, by row number modulo 10: 5 passed, 1 failed, 4 still on the provider's page.
OUTCOMES = {**dict.fromkeys(range(5), "pass"), 5: "face_mismatch"}
# Per-row values computed in SQL from the row number i; every other NOT NULL column gets its field's default.
ROW_SQL = {
    "public_id": "md5('public' || i)::uuid",
    "user_id": "%(user)s",
    "status": "'initialized'",
    "merchant_biz_id": "'bench' || lpad(i::text, 27, '0')",
    "merchant_user_id": "md5('user' || (i %% 5000))",
    "transaction_id": "'hks' || lpad(to_hex(i), 29, '0')",
    "product_code": "'eKYC'",
    "doc_type": "'01000000'",
    "return_token_hash": "md5('return' || i) || md5('r' || i)",
    "callback_token_hash": "md5('callback' || i) || md5('c' || i)",
    "created_at": "now() - make_interval(secs => %(oldest)s - (i %% %(spread)s))",
    "updated_at": "now() - make_interval(secs => %(oldest)s - (i %% %(spread)s))",
    "next_check_at": "now() - make_interval(secs => %(oldest)s - %(first)s - (i %% %(spread)s))",
    "check_attempts": "0",
}


def transaction_id(index: int) -> str:
    return "hks" + format(index, "x").rjust(29, "0")


def merchant_biz_id(index: int) -> str:
    return "bench" + str(index).rjust(27, "0")


def fill(rows: int, state: SimulatorState, user_id: int) -> None:
    """Empty the verifications (and what hangs on them), write ``rows`` due ones in one INSERT ... SELECT, and
    tell the simulator about each of them (its state, in this process)."""
    from django.db import connection

    from django_ekyc.models import KycTransaction
    from django_ekyc.simulator.state import SimTransaction

    columns, values, defaults = [], [], dict[str, Any]()
    for field in KycTransaction._meta.concrete_fields:
        column = str(field.column)
        if field.primary_key or (field.null and column not in ROW_SQL):
            continue
        columns.append(connection.ops.quote_name(column))
        if column in ROW_SQL:
            values.append(ROW_SQL[column])
        else:
            defaults[column] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"%({column})s")
    table = connection.ops.quote_name(KycTransaction._meta.db_table)
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM generate_series(0, %(last)s) i"  # noqa: S608 - the model's own columns
    )
    params = {"user": user_id, "oldest": OLDEST, "spread": SPREAD, "first": FIRST_CHECK, "last": rows - 1, **defaults}
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        cursor.execute(insert, params)
        cursor.execute(f"ANALYZE {table}")
    state.reset()
    now = time.time()
    known = {}
    for index in range(rows):
        outcome = OUTCOMES.get(index % 10)
        tx = SimTransaction(
            transaction_id=transaction_id(index),
            merchant_biz_id=merchant_biz_id(index),
            merchant_user_id="bench",
            doc_type="01000000",
            return_url="https://bench.example/return/",
            callback_url=None,
            callback_token=None,
            page_token=f"bench-page-{index}",
            created_at=now - OLDEST + index % SPREAD,
            page_opened=True,
            outcome=outcome,
            completed_at=None if outcome is None else now,
            person=None if outcome is None else f"person-{index}",
        )
        known[tx.transaction_id] = tx
    with state.lock:
        state.transactions.update(known)


def _settings() -> None:
    import django
    from django.test import override_settings

    django.setup()
    override_settings(EKYC=json.loads(os.environ["BENCH_EKYC"])).enable()


def work(batch: int) -> None:
    """Sync passes back to back, as a worker that runs the sync task continuously, until the parent stops it."""
    from django_ekyc import services

    while True:
        report = services.sync_waiting(batch_size=batch)
        if not report.checked and not report.deferred:
            time.sleep(0.5)


def status(field: str) -> int:
    """A size from /proc/self/status, in bytes (``VmRSS``: resident now; ``VmHWM``: this address space's peak)."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1]) * 1024


def memory(batch: int, mode: str) -> dict[str, Any]:
    """One pass of ``batch`` rows after a warm-up pass of one: tracemalloc's peak, or how far the peak RSS rose
    above the RSS before the pass (``VmHWM``, reset first; ``getrusage``'s ``ru_maxrss`` would not do: Linux carries
    it over from the parent across fork and exec, so that a child of a large process reports the parent's peak)."""
    from django_ekyc import services

    services.sync_waiting(batch_size=1)  # imports, the client, the connection: not the pass's own
    if mode == "trace":
        tracemalloc.start()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before, inherited = status("VmRSS"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    report = services.sync_waiting(batch_size=batch)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else 0
    claimed = report.checked + report.deferred
    rss = {"rss": status("VmHWM") - before, "before": before, "maxrss": inherited}
    return {"claimed": claimed, "peak": peak, "seconds": seconds, **rss}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _settings()
    if sys.argv[1] == "work":
        work(int(sys.argv[2]))
    else:
        print(json.dumps(memory(int(sys.argv[2]), sys.argv[3])))
