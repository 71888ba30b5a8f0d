"""Hotspots (issue 13): quality on real messages and on a generated quarter, and speed at scale.

    .venv/bin/python bench/bench_hotspots.py                          # quality + speed, 100,000 orders, SQLite
    .venv/bin/python bench/bench_hotspots.py --skip-speed
    .venv/bin/python bench/bench_hotspots.py --skip-quality --db postgres --orders 100000
    .venv/bin/python bench/bench_hotspots.py --skip-quality --db both --orders 1000000   # the issue's run (idle machine)

(a) hot_issues.csv (4,326 public messages; no gold clusters, no area or address: the place comes
    from the text). Recurring titles are the check: for each title written by two messages or
    more (after triage.similarity.clean), whether all its messages end up in one group, and
    whether that group is a hotspot (MIN_ORDERS or more). Titles are grouped with the
    descriptions, as orders are. Top-10 labels by heat score, and the time taken.
(b) A generated quarter (bench/hotspot_data.py): background over four areas and fifteen places
    each, the same topics everywhere, plus four injected events (burst, persistent, rising,
    seasonal) with varied wording, several categories, addresses written several ways. For each
    event: its best-matching hotspot (the one holding most of its orders), that hotspot's rank
    by score, recall (share of the event's orders it holds), precision (share of it that is the
    event) and its shape. (a) and (b) run the grouping rule of governance.core in memory: the
    same rule the database build and the incremental join run (tests/governance prove the two
    give the same groups).
(c) Speed in a throwaway database (SQLite file, or PostgreSQL database hotline_bench_hotspots on
    127.0.0.1, dropped and created): N orders over a quarter at 2,000 estates in 20 areas,
    written with bulk_create (a benchmark shortcut, not the product's intake), then the nightly
    build, the board page for the quarter (supervisor, Django test client, server-side time),
    `hotline hotspots --from --to --json` for the quarter, and the incremental join of one new
    order (governance.build.join, what the worker's governance thread runs), median and p95.
    Memory stays bounded: orders are generated a day at a time and written in batches; the
    build reads them with an iterator and keeps only the grouping's window (core.Builder).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hotline.governance import core  # noqa: E402
from hotline.triage.duplicates import parse_day  # noqa: E402
from hotline.triage.similarity import clean  # noqa: E402
from hotspot_data import generate, stream  # noqa: E402

# ../shared from the main checkout; ../../shared from a worktree under /work/wt
DEFAULT_DATA = next((p / "shared" / "data" / "tipdm2020c" for p in (ROOT.parent, ROOT.parent.parent)
                     if (p / "shared" / "data" / "tipdm2020c").is_dir()), ROOT.parent / "shared" / "data" / "tipdm2020c")
PG_DB = "hotline_bench_hotspots"
TZ = dt.timezone(dt.timedelta(hours=8))


def _parse_time(s: str) -> dt.datetime:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"):
        try:
            return dt.datetime.strptime(s.strip(), fmt).replace(tzinfo=TZ)
        except ValueError:
            continue
    day = parse_day(s)
    return dt.datetime.fromordinal(day).replace(tzinfo=TZ) if day else dt.datetime(2019, 1, 1, tzinfo=TZ)


def _summaries(groups: dict[int, list], times_of, callers_of, urgency_of=None) -> list[tuple[float, int, list]]:
    out = []
    for root, ms in groups.items():
        if len(ms) < core.MIN_ORDERS:
            continue
        times = [times_of(m) for m in ms]
        h = core.heat(times, [callers_of(m) for m in ms], urgencies=[urgency_of(m) for m in ms] if urgency_of else ())
        out.append((h.score(), root, ms))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def quality_real(data: Path) -> None:
    with (data / "hot_issues.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    t0 = time.perf_counter()
    docs = []
    for i, r in enumerate(rows):
        title, body = r["留言主题"], r["留言详情"]
        place = core.place_key("", f"{title} {body}")
        docs.append((core.Doc(i, _parse_time(r["留言时间"]).timestamp(), 0, place,
                              core.topic_shingles(title, body, place), core.caller_hash(r["留言用户"].strip()[1:])), r))
    docs.sort(key=lambda x: (x[0].at, x[0].id))
    builder = core.Builder()
    root = {d.id: builder.add(d)[0] for d, _r in docs}
    secs = time.perf_counter() - t0
    by_title: dict[str, list[int]] = defaultdict(list)
    for d, r in docs:
        by_title[clean(r["留言主题"])].append(d.id)
    recurring = {t: ids for t, ids in by_title.items() if t and len(ids) >= 2}
    size = Counter(root.values())
    together = [t for t, ids in recurring.items() if len({root[i] for i in ids}) == 1]
    in_hotspot = [t for t in together if size[root[recurring[t][0]]] >= core.MIN_ORDERS]
    groups: dict[int, list] = defaultdict(list)
    for d, r in docs:
        groups[root[d.id]].append((d, r))
    ranked = _summaries(groups, lambda m: dt.datetime.fromtimestamp(m[0].at, TZ), lambda m: m[0].caller)
    print(f"(a) hot_issues.csv: {len(rows)} messages, {len(recurring)} recurring titles "
          f"({sum(len(v) for v in recurring.values())} messages); grouped in {secs:.2f} s")
    print(f"    recurring titles whose messages all fall in one group: {len(together)}/{len(recurring)}; "
          f"of them in a hotspot (≥{core.MIN_ORDERS} orders): {len(in_hotspot)}; hotspots: {len(ranked)}")
    print("    top 10 (score, orders, shape, label):")
    for score, _root, ms in ranked[:10]:
        ms.sort(key=lambda m: m[0].at)
        times = [dt.datetime.fromtimestamp(m[0].at, TZ) for m in ms]
        label = ms[core.medoid([m[0].sig for m in ms])][1]["留言主题"]
        print(f"    {score:7.2f} {len(ms):4d} {core.shape_of(times):10} {label[:50]}")


def quality_generated() -> None:
    q = generate(start=dt.datetime(2025, 10, 1, tzinfo=TZ))
    areas = {a: i + 1 for i, a in enumerate(sorted({r.area for r in q.rows}))}
    t0 = time.perf_counter()
    builder = core.Builder()
    root = {}
    for r in q.rows:
        place = core.place_key(r.address, f"{r.title} {r.description}")
        d = core.Doc(r.id, r.received_at.timestamp(), areas[r.area], place,
                     core.topic_shingles(r.title, r.description, place, r.address), core.caller_hash(r.caller))
        root[r.id] = builder.add(d)[0]
    groups: dict[int, list] = defaultdict(list)
    for r in q.rows:
        groups[root[r.id]].append(r)
    blocks = {rt: core.Doc(0, 0, areas[ms[0].area], core.place_key(ms[0].address, f"{ms[0].title} {ms[0].description}"),
                           frozenset()).block for rt, ms in groups.items()}
    merged = core.seasonal_merges(
        core.GroupFacts(rt, blocks[rt], sorted(m.received_at for m in ms), Counter(m.category for m in ms))
        for rt, ms in groups.items())
    for rt, into in merged.items():
        groups[into].extend(groups.pop(rt))
    for ms in groups.values():
        ms.sort(key=lambda m: (m.received_at, m.id))
    secs = time.perf_counter() - t0
    ranked = _summaries(groups, lambda m: m.received_at, lambda m: core.caller_hash(m.caller), lambda m: m.urgency)
    rank_of = {rt: k + 1 for k, (_s, rt, _m) in enumerate(ranked)}
    print(f"\n(b) generated quarter: {len(q.rows)} orders ({sum(1 for r in q.rows if r.event)} in 4 events), "
          f"{len(ranked)} hotspots, grouped in {secs:.2f} s ({len(merged)} seasonal groups merged into others)")
    print(f"    {'event':11} {'orders':>6} {'rank':>5} {'top10':>5} {'recall':>6} {'precision':>9} {'shape':10}")
    for ev, shape in q.events.items():
        total = sum(1 for r in q.rows if r.event == ev)
        best_root, best = max(groups.items(), key=lambda kv: (sum(1 for m in kv[1] if m.event == ev), -kv[0]))
        held = sum(1 for m in best if m.event == ev)
        rank = rank_of.get(best_root)
        got = core.shape_of(sorted(m.received_at for m in best))
        print(f"    {ev:11} {total:6d} {rank or '-':>5} {'yes' if rank and rank <= 10 else 'no':>5} "
              f"{held / total:6.2f} {held / len(best):9.2f} {got:10} (injected: {shape})")
    print("    top 10 (score, orders, shape, event share, label):")
    for score, _root, ms in ranked[:10]:
        ev = Counter(m.event or "background" for m in ms).most_common(1)[0]
        label = ms[core.medoid([core.topic_shingles(m.title, m.description, "") for m in ms])].title
        print(f"    {score:7.2f} {len(ms):4d} {core.shape_of([m.received_at for m in ms]):10} "
              f"{ev[0]}:{ev[1]}/{len(ms)} {label[:40]}")


# ---- speed ------------------------------------------------------------------------------------------


def setup_django(db: str, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["HOTLINE_DATA_DIR"] = data_dir
    os.environ.pop("HOTLINE_SQLITE_PATH", None)
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


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:.1f} ms, p95 {xs[int(0.95 * (len(xs) - 1))] * 1000:.1f} ms"


def speed(db: str, n: int, joins: int, runs: int, days: int = 92) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.utils import timezone

    from hotline.demo.district import build_district
    from hotline.governance import build
    from hotline.orders import actions
    from hotline.orders.models import WorkOrder

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    district = build_district(password="bench-pass-123")
    areas = sorted(district.areas.values(), key=lambda a: a.pk)
    cats = {c.name: c.pk for c in district.categories.values()}
    cat_ids = list(cats.values())
    # the orders end with the quarter the board and the CLI are asked for (2025-Q4); `days` longer
    # than the quarter puts the rest of them in the years before it (a district's history)
    start = dt.datetime(2026, 1, 1, tzinfo=TZ) - dt.timedelta(days=days)
    t0 = time.perf_counter()
    batch = []
    for r in stream(start=start, n=n, days=days):
        batch.append(WorkOrder(
            number=r.number, title=r.title, description=r.description, address=r.address,
            area_id=areas[int(r.area) % len(areas)].pk, category_id=cat_ids[hash(r.category) % len(cat_ids)],
            urgency=r.urgency, received_at=r.received_at, updated_at=r.received_at, caller_phone=r.caller,
            caller_name="市民", state="closed", channel="import", imported=True))
        if len(batch) >= 5000:
            WorkOrder.objects.bulk_create(batch)
            batch = []
    WorkOrder.objects.bulk_create(batch)
    load_s = time.perf_counter() - t0
    report = build.build()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(c) {db}: {n} orders written in {load_s:.1f} s; nightly build {report.seconds:.1f} s "
          f"({report.groups} groups, {report.hotspots} hotspots); peak process memory {rss:.0f} MiB")

    client = Client()
    client.force_login(district.people["liudu"])
    q = {"from": "2025-10-01", "to": "2025-12-31"}
    board = []
    for _ in range(runs):
        t = time.perf_counter()
        resp = client.get("/governance/hotspots/", q)
        board.append(time.perf_counter() - t)
        assert resp.status_code == 200, resp.status_code
    print(f"    board page, the quarter: {_ms(board)}")
    cli = []
    with open(os.devnull, "w") as null:  # noqa: PTH123
        for _ in range(max(3, runs // 3)):
            t = time.perf_counter()
            call_command("hotspots", "--from", "2025-10-01", "--to", "2025-12-31", "--json", stdout=null)
            cli.append(time.perf_counter() - t)
    lines = sum(1 for _ in _cli_lines())
    print(f"    hotline hotspots --json, the quarter ({lines} hotspots): {_ms(cli)}")

    # The incremental join: new orders the day after the quarter, like existing ones (so they
    # join existing groups), taken in through the intake action, then joined as the worker does.
    samples = list(WorkOrder.objects.order_by("?").values("title", "description", "address", "area_id",
                                                          "category_id")[:joins])
    now = timezone.now()
    joined = []
    for k, s in enumerate(samples):
        order = actions.do_create(actions.Intake(
            title=s["title"], description=s["description"], address=s["address"], area_id=s["area_id"],
            category_id=s["category_id"], caller_phone=f"138{k:08d}", caller_name="市民",
            received_at=dt.datetime(2026, 1, 1, 9, tzinfo=TZ) + dt.timedelta(minutes=k)), actor=district.people["wangfang"])
        t = time.perf_counter()
        build.join(order.pk, now=now)
        joined.append(time.perf_counter() - t)
    print(f"    incremental join of one new order ({joins} orders): {_ms(joined)}")
    connection.close()
    connections.close_all()


def _cli_lines():
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("hotspots", "--from", "2025-10-01", "--to", "2025-12-31", "--json", stdout=out)
    return out.getvalue().splitlines()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--joins", type=int, default=200)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--days", type=int, default=92,
                    help="the orders' span, ending with 2025-Q4 (the quarter measured): 92 puts them all in it")
    args = ap.parse_args()
    if not args.skip_quality:
        quality_real(args.data)
        quality_generated()
    if args.skip_speed:
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if len(dbs) > 1:  # one process per database: Django is set up once per process
        for db in dbs:
            subprocess.run([sys.executable, __file__, "--skip-quality", "--db", db, "--orders", str(args.orders), "--days", str(args.days),
                            "--joins", str(args.joins), "--runs", str(args.runs)], check=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(dbs[0], tmp)
        speed(dbs[0], args.orders, args.joins, args.runs, args.days)
    if dbs[0] == "postgres":
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {PG_DB}"], check=False)


if __name__ == "__main__":
    main()
