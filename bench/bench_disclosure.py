"""The public disclosure pages (/public/stats/), in process: a small district with N orders driven
round the loop (bench_loop's driver) and the aggregates built, then for the latest complete month
the queries and time of the first (uncached) view, and requests/s and p99 of cached views of
the month page, its CSV and the index, through Django's test client (no server, one process).

    .venv/bin/python bench/bench_disclosure.py [--orders 300] [--views 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time

import bench_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--views", type=int, default=2000)
    args = parser.parse_args()
    os.environ["HOTLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="hotline-bench-disclosure-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key for the run
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from hotline.assessment import stats
    from hotline.demo.district import build_district

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    ids = bench_loop.import_orders(build_district(password="bench"), args.orders, 1)
    bench_loop.drive(ids, 0, 1, 1)
    stats.rebuild_all()
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    client = Client()
    urls = {"month page": f"/public/stats/{month}/", "rankings.csv": f"/public/stats/{month}/rankings.csv",
            "index": "/public/stats/"}
    print(f"{args.orders} orders, month {month}, SQLite, in process (test client)")
    for label, url in urls.items():
        reset_queries()  # each request starts by emptying the log (request_started)
        with CaptureQueriesContext(connection) as first:
            t0 = time.perf_counter()
            status = client.get(url).status_code
            first_ms = 1000 * (time.perf_counter() - t0)
        n_first = first.final_queries - first.initial_queries  # read now: the next request empties the log
        reset_queries()
        with CaptureQueriesContext(connection) as again:
            client.get(url)
        n_again = again.final_queries - again.initial_queries
        times = []
        for _ in range(args.views):
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
        times.sort()
        p99 = 1000 * times[int(0.99 * (len(times) - 1))]
        print(f"{label:<13} status {status}  first view {first_ms:7.1f} ms, {n_first:>3} queries;"
              f"  cached {n_again} queries, {len(times) / sum(times):7.0f} views/s,"
              f" median {1000 * statistics.median(times):5.2f} ms, p99 {p99:5.2f} ms")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
