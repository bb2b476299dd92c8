"""Connections opened per 1,000 provider calls from one process.

The shared client (``get_client()``) keeps one pooled session: the aim is one connection per
thread. Measured in the same run against a baseline that opens a new session for every call,
as code that builds a client per request would. The simulator records each call's client
address and port, so distinct ports are distinct connections.
Run: .venv/bin/python bench/connections.py [--threads 8] [--calls 1000]
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, direct_initialize


def run(calls: int, threads: int, make_client) -> None:  # type: ignore[no-untyped-def]
    per_thread = calls // threads

    def work(worker: int) -> None:
        for index in range(per_thread):
            client = make_client()
            direct_initialize(client, f"c{worker}x{index}")

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def connections_seen(url: str) -> tuple[int, int]:
    calls = requests.get(f"{url}/_sim/calls", timeout=30).json()["calls"]
    requests.post(f"{url}/_sim/reset", timeout=30)
    return len(calls), len({call["peer"] for call in calls})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    from django.conf import settings

    from django_ekyc.simulator import Simulator

    with Simulator(dict([SIM_KEY])) as simulator:
        settings.configure(
            EKYC={
                "ACCESS_KEY_ID": SIM_KEY[0],
                "ACCESS_KEY_SECRET": SIM_KEY[1],
                "ENDPOINT": simulator.url,
                "RATE_LIMIT": None,
            }
        )
        from django_ekyc.client import EkycClient, get_client, reset_client

        run(args.calls, args.threads, get_client)
        shared_calls, shared = connections_seen(simulator.url)
        reset_client()

        made: list[EkycClient] = []

        def fresh_client() -> EkycClient:
            client = EkycClient.from_settings()
            made.append(client)
            return client

        run(args.calls, args.threads, fresh_client)
        naive_calls, naive = connections_seen(simulator.url)
        for client in made:
            client.close()
    print(f"threads={args.threads}")
    print(
        f"shared client (get_client): {shared} connection(s) for {shared_calls} calls "
        f"= {shared * 1000 / shared_calls:.1f} per 1,000 calls (aim: {args.threads}, one per thread)"
    )
    print(
        f"baseline, a client per call: {naive} connection(s) for {naive_calls} calls "
        f"= {naive * 1000 / naive_calls:.1f} per 1,000 calls"
    )


if __name__ == "__main__":
    main()
