"""Open311 GeoReport v2 with N orders in the database: the time of a GET requests page (JSON
and XML, anonymous and keyed, with filters), of one request, and of a POST.

    .venv/bin/python bench/bench_open311.py --db sqlite            # or postgres, or both
    .venv/bin/python bench/bench_open311.py --orders 100000 --runs 20

Builds a throwaway database (the demo district, N orders through actions.do_create_many,
received over the past 60 days; on PostgreSQL then ANALYZE, as autovacuum would after such a
load), creates an API key, then requests each endpoint through
Django's test client and prints the server-side time (median and 95th percentile over --runs
requests) and the SQL statements of one request.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PG_DB = "hotline_bench_open311"


def setup_django(db: str, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key for the run
    os.environ["HOTLINE_DATA_DIR"] = data_dir
    if db == "postgres":
        for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n: int, seed: int = 11):
    import datetime as dt

    from django.utils import timezone

    from hotline.demo.district import build_district
    from hotline.orders import actions

    rnd = random.Random(seed)
    district = build_district(password="bench-pass-123")
    cats, areas = list(district.categories.values()), list(district.areas.values())
    now = timezone.now()
    batch = []
    for i in range(n):
        cat, area = rnd.choice(cats), rnd.choice(areas)
        batch.append(actions.Intake(
            title=f"{area.name}{cat.name}问题{i % 997}",
            description=f"来电人反映{area.name}附近{cat.name}的情况已持续多日，请尽快处理。电话139{rnd.randrange(10**8):08d}。",
            caller_name="市民", caller_phone=f"139{rnd.randrange(10**8):08d}", area_id=area.pk, category_id=cat.pk,
            received_at=now - dt.timedelta(minutes=rnd.randrange(60 * 24 * 60)),
        ))
        if len(batch) == 2000:
            actions.do_create_many(batch, actor=district.people["wangfang"])
            batch = []
    if batch:
        actions.do_create_many(batch, actor=district.people["wangfang"])
    return district


def timed(client, method: str, path: str, runs: int, data=None, **extra) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    status = 0
    for i in range(runs):
        body = dict(data, description=data["description"] + f" 第{i}次") if data else None
        t0 = time.perf_counter()
        response = client.get(path, **extra) if method == "GET" else client.post(path, body, **extra)
        times.append((time.perf_counter() - t0) * 1000)
        status = response.status_code
    with CaptureQueriesContext(connection) as queries:
        if method == "GET":
            client.get(path, **extra)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(queries), status


def run(db: str, n: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(db, data_dir)
        from django.test import Client

        from hotline.api.keys import create_system_key
        from hotline.orders.models import WorkOrder

        t0 = time.perf_counter()
        district = populate(n)
        print(f"[{db}] {WorkOrder.objects.count()} orders in {time.perf_counter() - t0:.1f} s")
        if db == "postgres":  # what autovacuum does after a bulk load: without statistics the planner
            from django.db import connection  # joins the whole 90 days before taking the first page

            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        _key, raw = create_system_key(name="bench", scopes=["open311"], role="agent")
        client = Client()
        code = str(district.categories["道路塌陷破损"].pk)
        number = WorkOrder.objects.order_by("-received_at").values_list("number", flat=True)[n // 2]
        cases = [
            ("GET", "/open311/v2/services.json", None, {}),
            ("GET", f"/open311/v2/services/{code}.xml", None, {}),
            ("GET", "/open311/v2/requests.json", None, {}),
            ("GET", "/open311/v2/requests.json?page_size=200", None, {}),
            ("GET", "/open311/v2/requests.xml?page_size=200", None, {}),
            ("GET", f"/open311/v2/requests.json?page_size=200&api_key={raw}", None, {}),
            ("GET", f"/open311/v2/requests.json?service_code={code}&status=open&page_size=200", None, {}),
            ("GET", "/open311/v2/requests.json?page_size=200&page=50", None, {}),
            ("GET", f"/open311/v2/requests/{number}.json", None, {}),
            ("POST", "/open311/v2/requests.json", {
                "api_key": raw, "service_code": code, "lat": "39.9", "long": "116.4",
                "description": "东湖路路面塌陷约一平方米，请尽快处理。", "attribute[area]": "east-lake"}, {}),
        ]
        print(f"[{db}] {'request':<78} {'median ms':>9} {'p95 ms':>7} {'queries':>7} status")
        for method, path, data, extra in cases:
            median, p95, queries, status = timed(client, method, path, runs, data, **extra)
            shown = path.replace(raw, "KEY")
            print(f"[{db}] {method + ' ' + shown:<78} {median:9.1f} {p95:7.1f} {queries if method == 'GET' else '-':>7} {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child or args.db != "both":
        run(args.db, args.orders, args.runs)
        return
    for db in ("sqlite", "postgres"):  # one process per database: Django is set up once per process
        subprocess.run([sys.executable, __file__, "--db", db, "--orders", str(args.orders), "--runs", str(args.runs),
                        "--child"], check=True)


if __name__ == "__main__":
    main()
