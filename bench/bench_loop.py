"""The closed loop at scale: import N synthetic orders through the domain layer, then drive every
one of them round the loop through the actions, and print throughput and peak memory.

    .venv/bin/python bench/bench_loop.py --orders 2000            # quick: SQLite and PostgreSQL
    .venv/bin/python bench/bench_loop.py --db sqlite --orders 100000
    .venv/bin/python bench/bench_loop.py --db postgres --orders 100000 --workers 4

Each database run happens in a child process with its own settings: a fresh temporary SQLite
file, or a PostgreSQL database `hotline_bench` on 127.0.0.1 (user postgres) that is dropped and
created again. Migrations run into it, the demo district is built, then:

1. import: N orders via actions.do_create_many in batches of 1,000 (the `hotline import` path);
2. loop: every order is dispatched by the responsibility list, signed, contacted, replied to
   (with a site photo where the procedure needs one), reviewed and called back; about 6% are
   returned first (half the returns rejected, half re-dispatched), 5% ask for an extension
   that is approved, 10% of replies are rejected for redo and answered again.

SQLite is single-writer, so its loop runs in one process by default; PostgreSQL takes several
worker processes, as a deployment with several web and task workers would.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time

from childrun import run_in_child  # bench/ is on sys.path when a script runs

BATCH = 1000
PROGRESS_EVERY = 2000  # orders per worker between progress lines
PG_DB = "hotline_bench"

# ---- the parent: one child process per database ------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--loop-orders", type=int, default=0,
                        help="drive only this many of the imported orders round the loop (default: all); "
                             "the full loop time is then extrapolated")
    parser.add_argument("--workers", type=int, default=0, help="loop processes (default: 1 on SQLite, 3 on PostgreSQL)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the loop (single process) into FILE")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    results = []
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        results.append(run_database(db, args))
    print()
    print(f"{'database':<10} {'orders':>8} {'import/s':>9} {'looped':>8} {'actions':>9} {'actions/s':>9} "
          f"{'loop s':>8} {'loop(all) s':>11} {'total s':>8} {'workers':>7} {'peak MiB':>9}")
    for r in results:
        if r is None:
            continue
        print(f"{r['db']:<10} {r['orders']:>8} {r['import_rate']:>9.0f} {r['looped']:>8} {r['actions']:>9} "
              f"{r['action_rate']:>9.0f} {r['loop_s']:>8.1f} {r['loop_full_s']:>11.1f} {r['total_s']:>8.1f} "
              f"{r['workers']:>7} {r['peak_mib']:>9.0f}")
    if any(r and r["looped"] < r["orders"] for r in results):
        print("loop(all) and total are extrapolated from the orders driven (--loop-orders).")


def run_database(db: str, args: argparse.Namespace) -> dict | None:
    argv = ["--orders", str(args.orders), "--workers", str(args.workers), "--seed", str(args.seed),
            "--loop-orders", str(args.loop_orders)]
    if args.profile:
        argv += ["--profile", args.profile]
    return run_in_child(__file__, db, PG_DB, argv)


# ---- the child: one database, set up by itself ---------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from hotline.demo.district import build_district

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    db = args.child
    workers = args.workers or (1 if db == "sqlite" else 3)
    if args.profile:
        workers = 1
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    district = build_district(password="bench")
    t_setup = time.perf_counter() - t0
    log(f"[{db}] migrated and built the district in {t_setup:.1f} s")

    t1 = time.perf_counter()
    ids = import_orders(district, args.orders, args.seed)
    t_import = time.perf_counter() - t1
    log(f"[{db}] imported {len(ids)} orders in {t_import:.1f} s ({len(ids) / t_import:.0f} orders/s)")

    from django.db import connections

    connections.close_all()
    if 0 < args.loop_orders < len(ids):
        ids = ids[:: len(ids) // args.loop_orders][: args.loop_orders]
    t2 = time.perf_counter()
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
        actions_done, spent = drive(ids, 0, 1, args.seed)
        prof.disable()
        prof.dump_stats(args.profile)
    elif workers == 1:
        actions_done, spent = drive(ids, 0, 1, args.seed)
    else:
        actions_done, spent = _drive_in_processes(ids, workers, args.seed)
    t_loop = time.perf_counter() - t2
    log(f"[{db}] loop: {actions_done} actions in {t_loop:.1f} s ({actions_done / t_loop:.0f} actions/s, "
        f"{workers} process(es))")
    for name, (count, seconds) in sorted(spent.items(), key=lambda kv: -kv[1][1]):
        log(f"    {name:<22} {count:>8} calls {seconds / count * 1000:>7.1f} ms each {seconds:>8.1f} s in all")
    check_states(db, ids)
    peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    share = len(ids) / args.orders
    print(json.dumps({
        "db": db, "orders": args.orders, "looped": len(ids), "import_s": t_import,
        "import_rate": args.orders / t_import, "actions": actions_done, "loop_s": t_loop,
        "action_rate": actions_done / t_loop, "loop_full_s": t_loop / share,
        "total_s": t_setup + t_import + t_loop / share, "workers": workers, "peak_mib": peak_kib / 1024,
        "per_action_ms": {name: seconds / count * 1000 for name, (count, seconds) in spent.items()},
    }))


def _drive_in_processes(ids: list[int], workers: int, seed: int) -> tuple[int, dict[str, tuple[int, float]]]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")  # children inherit the set-up Django; connections were closed
    with ctx.Pool(workers) as pool:
        parts = pool.starmap(drive, [(ids, k, workers, seed) for k in range(workers)])
    spent: dict[str, tuple[int, float]] = {}
    for _done, part in parts:
        for name, (count, seconds) in part.items():
            n, s = spent.get(name, (0, 0.0))
            spent[name] = (n + count, s + seconds)
    return sum(done for done, _part in parts), spent


class Stopwatch:
    """The actions module with a stopwatch on every do_* call: time per kind of action."""

    def __init__(self, module) -> None:
        self._module = module
        self.spent: dict[str, tuple[int, float]] = {}

    def __getattr__(self, name: str):
        fn = getattr(self._module, name)
        if not name.startswith("do_"):
            return fn

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                count, seconds = self.spent.get(name, (0, 0.0))
                self.spent[name] = (count + 1, seconds + time.perf_counter() - started)

        return timed


def import_orders(district, n: int, seed: int) -> list[int]:
    """N synthetic orders over the past 60 days, through do_create_many in batches."""
    import datetime as dt

    from django.utils import timezone

    from hotline.demo.textgen import request
    from hotline.orders.actions import Intake, do_create_many, system_user

    rng = random.Random(seed)
    actor = system_user()
    leaves = sorted(district.categories)
    areas = sorted(district.areas)
    now = timezone.now()
    ids: list[int] = []
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(n, start + BATCH)):
            leaf, area = rng.choice(leaves), rng.choice(areas)
            req = request(rng, leaf, area)
            rows.append(Intake(
                title=req.title, description=req.description, caller_name=req.caller_name,
                caller_phone=req.caller_phone, address=req.address, area_id=district.areas[area].pk,
                category_id=district.categories[leaf].pk, channel="phone",
                received_at=now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 60)),
                idempotency_key=f"bench:{seed}:{i}",
            ))
        result = do_create_many(rows, actor=actor)
        if result.errors:
            raise SystemExit(f"import rejected rows: {result.errors[:3]}")
        ids.extend(o.pk for o in result.created)
    return ids


def drive(ids: list[int], part: int, parts: int, seed: int) -> tuple[int, dict[str, tuple[int, float]]]:
    """Take this worker's share of the orders round the loop; return the number of actions and
    the time spent in each kind of action."""
    from django.db import close_old_connections

    from hotline.demo.flow import site_photo
    from hotline.directory.models import Unit, User
    from hotline.orders import actions
    from hotline.orders.models import WorkOrder
    from hotline.orders.procedures import profile_for

    close_old_connections()
    act = Stopwatch(actions)
    rng = random.Random(seed * 1000 + part)
    users = {u.username: u for u in User.objects.select_related("unit")}
    handler_of = {u.unit.code: u for u in users.values() if u.role == "handler" and u.unit is not None}
    units = {u.code: u for u in Unit.objects.all()}
    dispatcher, reviewer, callback = users["chengang"], users["zhoushen"], users["sunhui"]
    done = 0
    started = time.perf_counter()
    mine = ids[part::parts]
    orders = WorkOrder.objects.filter(pk__in=mine).select_related("category", "area")
    plan = {o.pk: o for o in orders.iterator(chunk_size=2000)}
    # The dispatcher's choice (the responsibility list) and the procedure, looked up once per
    # kind of order: the driver's own bookkeeping is not part of what is measured.
    leads: dict[tuple[int | None, int | None], str] = {}
    photos: dict[int | None, bool] = {}
    for finished, oid in enumerate(mine, start=1):
        order = plan[oid]
        key = (order.category_id, order.area_id)
        if key not in leads:
            rule = act.rule_for(order.category, order.area)
            leads[key] = rule.lead_unit.code if rule else "street-a"
        if order.category_id not in photos:
            photos[order.category_id] = profile_for(order).min_evidence > 0
        lead, needs_photo = leads[key], photos[order.category_id]
        act.do_dispatch(oid, actor=dispatcher, unit_id=units[lead].pk)
        done += 1
        if rng.random() < 0.06:
            act.do_return(oid, actor=handler_of[lead], kind="not_remit", reason="该事项不属于本单位职责范围，请改派。")
            done += 1
            if rng.random() < 0.5:
                act.do_reject_return(oid, actor=dispatcher, note="依据权责清单由原单位主办。")
            else:
                lead = rng.choice([c for c in handler_of if c not in {lead, "caac"}])
                act.do_accept_return(oid, actor=dispatcher, unit_id=units[lead].pk, note="同意回退，定点改派。")
            done += 1
        handler = handler_of[lead]
        act.do_sign(oid, actor=handler)
        act.do_contact(oid, actor=handler, text="已电话联系来电人，约定到现场查看。")
        done += 2
        if rng.random() < 0.05:
            act.do_request_extension(oid, actor=handler, days=5, reason="需与多方核对情况，五个工作日内无法办结。")
            act.do_approve_extension(oid, actor=dispatcher, note="同意延期。")
            done += 2
        rounds = 2 if rng.random() < 0.10 else 1
        for r in range(rounds):
            if needs_photo:
                act.do_attach(oid, actor=handler, file=site_photo(r, "site.jpg"))
                done += 1
            reply = act.do_reply(oid, actor=handler, responder=handler.display_name,
                                 process="承办人到现场核实情况，会同相关单位研究处置方案并落实整改。",
                                 outcome="问题已处理完毕，已向来电人反馈。")
            done += 1
            if reply.order.state != "replied":
                break  # a sampled procedure passed review by itself
            if r + 1 < rounds:
                act.do_redo(oid, actor=reviewer, reasons=["not_solved"], note="未说明问题是否解决及后续安排，请补充。")
            else:
                act.do_approve(oid, actor=reviewer)
            done += 1
        act.do_callback(oid, actor=callback, contacted=True, resolved=rng.random() < 0.8,
                        satisfaction=rng.choice(["satisfied", "satisfied", "basic", "unsatisfied"]))
        done += 1
        if finished % PROGRESS_EVERY == 0:
            elapsed = time.perf_counter() - started
            log(f"  worker {part}: {finished}/{len(mine)} orders, {done} actions in {elapsed:.0f} s "
                f"({done / elapsed:.0f} actions/s)")
    return done, act.spent


def check_states(db: str, ids: list[int]) -> None:
    from django.db.models import Count

    from hotline.orders.models import WorkOrder

    counts = dict(WorkOrder.objects.filter(pk__in=ids).values_list("state").annotate(n=Count("id")))
    if counts != {"closed": len(ids)}:
        raise SystemExit(f"[{db}] not every driven order was closed: {counts}")


if __name__ == "__main__":
    main()
