"""What a check from pictures adds over the provider's own latency, beside the floor of any API read, in one run.

One request at a time, paced under the rate limit, the site as shipped for production (the provider rate limit and
the throttles on, counted in Redis; a daily budget and a check throttle no sample reaches): a direct FaceCompare to
the simulator with the same two pictures, already prepared (the provider's service time plus the client: the
baseline); the same check through the site under gunicorn (multipart upload, decoding, limits, metadata stripping,
the budget, the consent, the ledger's commits); and a read of one transaction through the same stack (the floor of an
authenticated DRF call). The preparation of the two pictures alone (Pillow: decode, re-encode) is timed in this
process too, so the overhead can be read as floor + pictures + the rest.
Run: .venv/bin/python bench/picture_check_overhead.py [--samples 200]
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, median, percentile, site_under_gunicorn, timed

PACE = 0.12  # seconds between checks: under the default limit of 10 calls a second
SHIPPED = {
    "CACHE_URL": "redis://127.0.0.1:6379/13",
    "EKYC_RATE_LIMIT": "10",
    "EKYC_PICTURE_CHECKS": "FACE_COMPARE",
    "EKYC_PICTURE_CHECK_DAILY_LIMIT": "100000",
    "DEMO_CHECK_THROTTLE_RATE": "100000/hour",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    import redis

    from django_ekyc.catalogue.pictures import PICTURE_CHECKS
    from django_ekyc.imaging import prepare_picture
    from django_ekyc.simulator.picture_marks import sample_picture

    face = sample_picture(kind="face", person="ada")
    limits = PICTURE_CHECKS["FACE_COMPARE"].limits
    prepared = base64.b64encode(prepare_picture(face, limits).data).decode()
    redis.Redis.from_url(SHIPPED["CACHE_URL"]).flushdb()
    with site_under_gunicorn("ekyc_bench_pictures", threads=4, **SHIPPED) as (sim_url, url, token):
        from django_ekyc.client import EkycClient

        client = EkycClient(access_key_id=SIM_KEY[0], access_key_secret=SIM_KEY[1], endpoint=sim_url)
        checks = url.replace("/transactions/", "/checks/")

        def direct(index: int) -> None:
            answer = client.check_pictures(
                "FACE_COMPARE", merchant_biz_id=f"d{index}", pictures={"face": prepared, "reference": prepared}
            )
            assert answer.passed

        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        consents = session.get(checks.replace("/checks/", "/consents/"), timeout=30).json()
        fields = {"check": "FACE_COMPARE", "consent": consents["texts"][0]["version"]}

        def through_site(index: int) -> None:
            files = {"face": ("face.png", face, "image/png"), "reference": ("ref.png", face, "image/png")}
            answer = session.post(checks, data=fields, files=files, timeout=30)
            assert answer.status_code == 201, answer.text
            assert answer.json()["passed"], answer.text

        files = {"face": ("face.png", face, "image/png"), "reference": ("ref.png", face, "image/png")}
        created = session.post(checks, data=fields, files=files, timeout=30)
        assert created.status_code == 201, created.text
        detail = f"{url}{created.json()['id']}/"

        def read_one(index: int) -> None:
            assert session.get(detail, timeout=30).status_code == 200

        def prepare(index: int) -> None:
            prepare_picture(face, limits)
            prepare_picture(face, limits)

        for call in (direct, through_site, read_one, prepare):
            timed(call, 15, PACE if call in (direct, through_site) else 0)  # warm up every path
        baseline = timed(direct, args.samples, PACE)
        site = timed(through_site, args.samples, PACE)
        floor = timed(read_one, args.samples)
        pictures = timed(prepare, args.samples)
        client.close()
        session.close()
    for name, values in (
        ("direct FaceCompare (baseline)", baseline),
        ("check through the site", site),
        ("read one transaction (floor)", floor),
        ("prepare the two pictures", pictures),
    ):
        print(f"{name:32} median {median(values):7.2f} ms   p99 {percentile(values, 0.99):7.2f} ms")
    overhead = median(site) - median(baseline)
    rest = overhead - median(floor) - median(pictures)
    print(
        f"{'server overhead per check':32} median {overhead:7.2f} ms   "
        f"(= read floor {median(floor):.2f} + pictures {median(pictures):.2f} + the rest {rest:.2f} ms)"
    )


if __name__ == "__main__":
    main()
