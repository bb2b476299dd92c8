"""The admin list page at 1,000 and 100,000 transactions on PostgreSQL.

Aim: the same number of queries at both sizes, and the page at 100,000 rows no slower than twice
the page at 1,000 (measured in the same run, median of repeated loads).
Run: .venv/bin/python bench/admin_list.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import median, postgres_database

SIZES = (1_000, 100_000)


def fill(total: int, users: list, start_index: int) -> None:  # type: ignore[type-arg]
    from django.utils import timezone

    from django_ekyc.models import KycTransaction, Status

    statuses = [Status.PASSED, Status.FAILED, Status.INITIALIZED, Status.EXPIRED, Status.ERROR]
    doc_types = ["01000000", "00000008", "00000001"]
    now = timezone.now()
    batch = []
    for index in range(start_index, start_index + total):
        status = statuses[index % len(statuses)]
        batch.append(
            KycTransaction(
                user=users[index % len(users)],
                status=status,
                merchant_biz_id=uuid.uuid4().hex,
                merchant_user_id="0" * 64,
                transaction_id=f"hks{index:029d}",
                doc_type=doc_types[index % 3],
                passed=status == Status.PASSED if status in (Status.PASSED, Status.FAILED) else None,
                sub_code="200" if status == Status.PASSED else "",
                return_token_hash=uuid.uuid4().hex * 2,
                callback_token_hash="c" * 64,
                completed_at=now,
            )
        )
        if len(batch) == 5_000:
            KycTransaction.objects.bulk_create(batch)
            batch = []
    KycTransaction.objects.bulk_create(batch)


def measure(client, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/admin/django_ekyc/kyctransaction/"
    client.get(url)  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return median(times), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with postgres_database("ekyc_bench_admin") as database_url:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "example_project.settings",
                "DATABASE_URL": database_url,
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
        user_model = get_user_model()
        staff = user_model.objects.create_superuser("staff", "staff@example.com", "pw")
        users = [user_model.objects.create_user(f"user{n}", f"user{n}@example.com") for n in range(200)]
        client = Client()
        client.force_login(staff)
        results = {}
        filled = 0
        for size in SIZES:
            fill(size - filled, users, filled)
            filled = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            results[size] = measure(client, args.repeat)
        connection.close()
    for size, (ms, queries) in results.items():
        print(f"{size:>7,} transactions: {ms:7.1f} ms median, {queries} queries")
    small, large = results[SIZES[0]], results[SIZES[1]]
    print(
        f"ratio 100,000 / 1,000: {large[0] / small[0]:.2f}x (aim <= 2x); queries "
        f"{'constant' if small[1] == large[1] else 'NOT constant'} ({small[1]} vs {large[1]})"
    )


if __name__ == "__main__":
    main()
