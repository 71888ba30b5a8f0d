"""Assessment at city scale: how long a page view takes to compute the indicators for a year of
1,000,000 orders, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_assessment.py                       # 1,000,000 orders, both databases
    .venv/bin/python bench/bench_assessment.py --db sqlite --orders 100000

Each database run happens in a child process with its own throwaway database (a temporary
SQLite file, or PostgreSQL database `hotline_bench_assess` dropped and created again). It is a
benchmark, not the product: to get a million orders in minutes it bulk-inserts synthetic rows
straight into the tables (orders, the dispatch/sign/reply events, replies, reviews, returns,
callbacks) with raw executemany / COPY, skipping the actions and the hash chain. It then:

1. rebuild: `stats.rebuild()` derives the daily aggregates from those rows (the nightly task);
2. page views: times `indicators.overview()` for the year and for one month (what /assessment/
   computes), `unit_table()` for one unit's page, `gaming.check()` for a month and a year (the
   gaming page), the monthly report's computations, and `warnings.evaluate()`, each as the
   median of 3 runs, plus the same with today's rows live.

Callers are realistic enough for the gaming checks to have work to do: a fifth of the orders
come from a pool of repeat numbers, a few callbacks are answered from another number, and now
and then a unit's own staff phone calls in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time

from childrun import run_in_child  # bench/ is on sys.path when a script runs

PG_DB = "hotline_bench_assess"

YEAR = 2025


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    results = [r for db in (["sqlite", "postgres"] if args.db == "both" else [args.db])
               if (r := run_database(db, args)) is not None]
    print()
    keys = ["insert_s", "rebuild_s", "overview_year_s", "overview_year_live_last_day_s", "overview_month_s",
            "unit_page_s", "gaming_month_s", "gaming_year_s", "gaming_year_live_last_day_s", "report_month_s",
            "warnings_s"]
    print(f"{'database':<10} {'orders':>9} " + " ".join(f"{k:>16}" for k in keys))
    for r in results:
        print(f"{r['db']:<10} {r['orders']:>9} " + " ".join(f"{r[k]:>16.2f}" for k in keys))


def run_database(db: str, args: argparse.Namespace) -> dict | None:
    return run_in_child(__file__, db, PG_DB, ["--orders", str(args.orders), "--units", str(args.units),
                                              "--seed", str(args.seed)])


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- the child ----------------------------------------------------------------------------------


class Inserter:
    """Raw bulk inserts: executemany on SQLite, COPY on PostgreSQL. Columns not given get the
    field's default, so the rows are what the ORM would have written."""

    def __init__(self, model, columns: list[str]) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields]
        given = set(columns)
        self.extra_cols, self.extra_vals = [], []
        for f in fields:
            if f.column in given or f.primary_key and "id" in given:
                continue
            if f.primary_key:
                continue
            default = f.get_default() if f.has_default() or not f.null else None
            if f.get_internal_type() == "JSONField":
                default = json.dumps(default if default is not None else {})
            self.extra_cols.append(f.column)
            self.extra_vals.append(default)
        self.columns = columns + self.extra_cols

    def insert(self, rows: list[tuple]) -> None:
        # Times are generated in UTC; SQLite stores them as Django does, naive UTC text.
        extra = tuple(self.extra_vals)
        if self.vendor == "sqlite":
            def adapt(v):
                return v.replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, dt.datetime) else v
            data = [tuple(adapt(v) for v in r) + extra for r in rows]
        else:
            data = [r + extra for r in rows]
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with self.connection.cursor() as cur:
            if self.vendor == "postgresql":
                with cur.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" if self.vendor == "sqlite" else "%s" for _ in self.columns)
                cur.cursor.executemany(f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})', data)


def setup_directory(n_units: int, rng: random.Random):
    from hotline.demo.district import build_district
    from hotline.directory.models import Area, Unit, UnitKind

    district = build_district(password="bench")
    units = [u for u in Unit.objects.filter(handles_orders=True)]
    kinds = [UnitKind.STREET] * 3 + [UnitKind.DEPARTMENT] * 6 + [UnitKind.COMPANY] * 3
    i = 0
    while len(units) < n_units:
        kind = kinds[i % len(kinds)]
        unit = Unit.objects.create(name=f"基准单位{i:03d}", code=f"bench-{i:03d}", kind=kind)
        if kind == UnitKind.STREET:
            Area.objects.create(name=f"基准区域{i:03d}", code=f"bench-area-{i:03d}", unit=unit)
        units.append(unit)
        i += 1
    areas = list(Area.objects.values_list("pk", flat=True))
    leaves = [c.pk for c in district.categories.values()]
    return district, units, areas, leaves


def generate(n: int, units, areas, leaves, rng: random.Random, actor_id: int) -> dict[str, float]:
    """Insert n closed orders received during YEAR, with their rows."""
    from zoneinfo import ZoneInfo

    from hotline.orders.models import Callback, Event, OrderReturn, Reply, Review, WorkOrder

    start = dt.datetime(YEAR, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
    seconds = 365 * 86400 - 5 * 86400
    unit_cats = {u.pk: rng.sample(leaves, 4) for u in units}
    p_res = {u.pk: rng.uniform(0.5, 0.9) for u in units}
    weights = [rng.uniform(0.2, 3) for _ in units]
    from hotline.directory.models import StaffPhone

    staff_phones = list(StaffPhone.objects.values_list("phone", flat=True))
    repeaters = [f"15{rng.randrange(10**9):09d}" for _ in range(max(1, n // 30))]
    ins = {
        "order": Inserter(WorkOrder, ["id", "number", "title", "description", "caller_phone", "area_id", "category_id",
                                      "urgency", "state", "lead_unit_id", "received_at", "dispatched_at", "signed_at",
                                      "first_contact_at", "replied_at", "closed_at", "sign_due", "contact_due",
                                      "reply_due", "redo_count", "return_count", "dispatch_count", "imported",
                                      "updated_at", "event_seq"]),
        "event": Inserter(Event, ["order_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_role",
                                  "actor_unit_id", "at", "data", "imported", "prev_hash", "hash"]),
        "reply": Inserter(Reply, ["id", "order_id", "unit_id", "author_id", "responder", "replied_at", "process",
                                  "outcome", "result", "contacted_caller", "round"]),
        "review": Inserter(Review, ["order_id", "reply_id", "reviewer_id", "decision", "reasons", "note", "sampled", "at"]),
        "ret": Inserter(OrderReturn, ["order_id", "unit_id", "kind", "reason", "by_id", "at", "outcome", "decided_by_id",
                                      "decided_at"]),
        "cb": Inserter(Callback, ["order_id", "agent_id", "at", "reached", "phone", "valid", "contacted", "resolved",
                                  "satisfaction", "note", "unit_id"]),
    }
    H = dt.timedelta(hours=1)
    reply_id = 0
    batch = 20_000
    counts = {"orders": 0, "events": 0, "replies": 0, "reviews": 0, "returns": 0, "callbacks": 0}
    for lo in range(0, n, batch):
        rows: dict[str, list[tuple]] = {k: [] for k in ins}
        for oid in range(lo + 1, min(n, lo + batch) + 1):
            unit = rng.choices(units, weights)[0]
            u = unit.pk
            t0 = start + dt.timedelta(seconds=rng.randrange(seconds))
            urgency = rng.choices(["general", "utility", "complex", "emergency"], [80, 10, 8, 2])[0]
            t_d, t_s, t_c = t0 + 0.5 * H, t0 + 3 * H, t0 + 6 * H
            t_r, t_close = t0 + 48 * H, t0 + 72 * H
            redo = 1 if rng.random() < 0.1 else 0
            ret = rng.random() < 0.03
            draw = rng.random()
            if draw < 0.0005 and staff_phones:
                phone = rng.choice(staff_phones)
            elif draw < 0.2:
                phone = rng.choice(repeaters)
            else:
                phone = f"13{rng.randrange(10**9):09d}"
            answer = phone if rng.random() < 0.98 else f"18{rng.randrange(10**9):09d}"
            resolved = rng.random() < p_res[u]
            rows["order"].append((oid, f"B{oid:010d}", "基准工单", "基准工单内容", phone, rng.choice(areas),
                                  rng.choice(unit_cats[u]), urgency, "closed", u, t0, t_d, t_s, t_c, t_r, t_close,
                                  t_d + 24 * H, t_d + 24 * H, t_d + 168 * H, redo, int(ret), 1, False, t_close, 0))
            unit_json = f'{{"unit": {u}}}'
            ev = [(oid, 1, "create", "", "received", actor_id, "agent", None, t0, "{}"),
                  (oid, 2, "dispatch", "received", "dispatched", actor_id, "dispatcher", None, t_d, unit_json)]
            if ret:
                ev.append((oid, 3, "return", "dispatched", "returned", actor_id, "handler", u, t_d + H, unit_json))
                ev.append((oid, 4, "reject_return", "returned", "dispatched", actor_id, "dispatcher", None, t_d + 2 * H,
                           unit_json))
                rows["ret"].append((oid, u, "not_remit", "基准", actor_id, t_d + H, "rejected", actor_id, t_d + 2 * H))
            late = "true" if rng.random() < 0.05 else "false"
            ev.append((oid, len(ev) + 1, "sign", "dispatched", "in_progress", actor_id, "handler", u, t_s,
                       f'{{"unit": {u}, "late": {late}}}'))
            for r in range(redo + 1):
                reply_id += 1
                at = t_r - (redo - r) * 12 * H
                rows["reply"].append((reply_id, oid, u, actor_id, "基准", at, "过程", "结果",
                                      "resolved" if resolved else "unresolved", True, r + 1))
                late = "true" if rng.random() < 0.08 else "false"
                result = "resolved" if resolved else "unresolved"
                ev.append((oid, len(ev) + 1, "reply", "in_progress", "replied", actor_id, "handler", u, at,
                           f'{{"late": {late}, "result": "{result}"}}'))
                decision = "redo" if r < redo else "approve"
                rows["review"].append((oid, reply_id, actor_id, decision, "[]", "", True, at + H))
                ev.append((oid, len(ev) + 1, decision, "replied", "in_progress" if r < redo else "awaiting_callback",
                           actor_id, "reviewer", None, at + H, "{}"))
            valid = rng.random() < 0.9
            sat = "satisfied" if resolved and rng.random() < 0.9 else ("basic" if rng.random() < 0.3 else "unsatisfied")
            rows["cb"].append((oid, actor_id, t_close, True, answer, valid, True if valid else None,
                               resolved if valid else None, sat if valid else "", "", u))
            ev.append((oid, len(ev) + 1, "callback", "awaiting_callback", "closed", actor_id, "callback", None,
                       t_close, f'{{"unit": {u}}}'))
            rows["event"].extend((*e, True, "0" * 64, "0" * 64) for e in ev)
        for key, inserter in ins.items():
            inserter.insert(rows[key])
        counts["orders"] += len(rows["order"])
        counts["events"] += len(rows["event"])
        counts["replies"] += len(rows["reply"])
        counts["reviews"] += len(rows["review"])
        counts["returns"] += len(rows["ret"])
        counts["callbacks"] += len(rows["cb"])
        if (lo // batch) % 10 == 0:
            log(f"  inserted {counts['orders']:,} orders")
    return counts


def timed(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(first: dt.date, last: dt.date) -> None:
    """What the monthly report page computes (assessment.views.report_page)."""
    from hotline.assessment import gaming, indicators

    indicators.overview(first, last)
    gaming.check(first, last)
    indicators.gaps(first, last)
    indicators.diagnostics(first, last)


def run_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    db = args.child
    rng = random.Random(args.seed)
    call_command("migrate", verbosity=0)
    district, units, areas, leaves = setup_directory(args.units, rng)
    actor = district.people["admin"].pk
    t = time.perf_counter()
    with transaction.atomic():
        counts = generate(args.orders, units, areas, leaves, rng, actor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    t_insert = time.perf_counter() - t
    log(f"[{db}] inserted {counts} in {t_insert:.1f} s")

    from hotline.assessment import gaming, indicators, stats, warnings

    t = time.perf_counter()
    written = stats.rebuild(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    t_rebuild = time.perf_counter() - t
    log(f"[{db}] rebuilt aggregates ({written}) in {t_rebuild:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    year = (dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    month = (dt.date(YEAR, 6, 1), dt.date(YEAR, 6, 30))
    unit_id = units[0].pk
    result = {
        "db": db, "orders": counts["orders"], "insert_s": t_insert, "rebuild_s": t_rebuild, **written,
        "overview_year_s": timed(lambda: indicators.overview(*year)),
        "overview_month_s": timed(lambda: indicators.overview(*month)),
        "unit_page_s": timed(lambda: indicators.unit_table(*month, unit_ids=[unit_id])),
        "gaming_month_s": timed(lambda: gaming.check(*month)),
        "warnings_s": timed(lambda: warnings.evaluate(dt.date(YEAR, 12, 31))),
        "diagnostics_year_s": timed(lambda: indicators.diagnostics(*year)),
        "gaming_year_s": timed(lambda: gaming.check(*year)),
        "report_month_s": timed(lambda: report(*month)),
    }
    fired = gaming.check(*year)
    result["gaming_units_fired"] = {k: sum(1 for checks in fired.values() for c in checks if c["check"] == k)
                                    for k in gaming.CHECKS}
    # The same year with its last day not yet built (as every day's "today"), then its last month.
    stats.invalidate(dt.date(YEAR, 12, 31))
    result["overview_year_live_last_day_s"] = timed(lambda: indicators.overview(*year))
    result["gaming_year_live_last_day_s"] = timed(lambda: gaming.check(*year))
    result["gaming_month_live_last_day_s"] = timed(lambda: gaming.check(dt.date(YEAR, 12, 1), dt.date(YEAR, 12, 31)))
    live_fired = gaming.check(*year)
    result["check_gaming_same_with_live_day"] = live_fired == fired
    stats.invalidate(dt.date(YEAR, 12, 1))
    result["overview_year_live_december_s"] = timed(lambda: indicators.overview(*year), runs=1)
    overview = indicators.overview(*year)
    result["check_valid_callbacks"] = overview["district"]["valid_callbacks"]
    result["check_callbacks"] = counts["callbacks"]
    for k, v in result.items():
        log(f"[{db}] {k}: {v:.3f}" if isinstance(v, float) else f"[{db}] {k}: {v}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
