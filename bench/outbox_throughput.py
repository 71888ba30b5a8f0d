"""Outbox delivery rate on PostgreSQL, and an action's latency with the city reachable vs dead.

    PYTHONPATH=src python bench/outbox_throughput.py [--messages 6000] [--streams 2000] [--signs 200]

In a fresh PostgreSQL database (hotline_bench_outbox, dropped and created; or --db sqlite):

1. Delivery: --messages citylink rows on --streams orders' streams (so order per stream holds
   back the rows behind each head) delivered by one delivery thread as in `hotline db_worker`
   (the citylink channel, HOTLINE_CITYLINK_CONCURRENCY sends at once), POSTed signed over HTTP
   to the city platform simulator on 127.0.0.1. Printed: updates/s, and what the simulator
   counted (received, duplicates, out of order).
2. Latency of do_sign on city orders (each writes an outbox row for the city) while a delivery
   thread runs: with the simulator answering, then with a dead city (every request hangs past
   the send timeout). Printed: p50 / p99 in milliseconds, both ways.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

from childrun import run_in_child  # bench/ is on sys.path when a script runs

PG_DB = "hotline_bench_outbox"
SECRET = "bench-city-secret-0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--signs", type=int, default=200, help="do_sign calls measured each way")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    r = run_in_child(__file__, args.db, PG_DB, ["--messages", str(args.messages), "--streams", str(args.streams),
                                                  "--signs", str(args.signs)])
    if r is None:
        sys.exit(1)
    print(f"\noutbox delivery ({r['db']}): {r['messages']} updates on {r['streams']} streams in {r['deliver_s']:.1f} s "
          f"= {r['rate']:.0f} updates/s (concurrency {r['concurrency']}); simulator: received {r['received']}, "
          f"duplicates {r['duplicates']}, out of order {r['out_of_order']}")
    print(f"do_sign latency, city reachable: p50 {r['reachable']['p50']:.1f} ms  p99 {r['reachable']['p99']:.1f} ms "
          f"(n={r['reachable']['n']})")
    print(f"do_sign latency, city dead:      p50 {r['dead']['p50']:.1f} ms  p99 {r['dead']['p99']:.1f} ms "
          f"(n={r['dead']['n']}; {r['dead_attempts']} delivery attempts failed meanwhile)")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def child(args: argparse.Namespace) -> None:
    os.environ.update(HOTLINE_CITYLINK_SECRET=SECRET, HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS="2",
                      HOTLINE_OUTBOX_LEASE_SECONDS="30")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from hotline import outbox
    from hotline.citylink import inbound
    from hotline.citylink.simulator import Faults, Simulator
    from hotline.demo.district import build_district
    from hotline.orders import actions
    from hotline.outbox import Message
    from hotline.outbox.models import OutboxMessage
    from hotline.worker.management.commands.db_worker import deliver_loop

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    district = build_district(password="bench")
    log(f"[{args.child}] migrated, district built")

    # ---- 1. delivery rate ----
    sim = Simulator(inbound_url="http://127.0.0.1:9/unused", secret=SECRET, rate=0).start()
    settings.HOTLINE_CITYLINK_URL = sim.url
    per = max(1, args.messages // args.streams)
    with transaction.atomic():
        outbox.enqueue([
            Message("citylink", f"order:B{s:06d}", "order.signed",
                    {"city_number": f"B{s:06d}", "number": f"N{s}", "state": "in_progress", "data": {"i": i}})
            for s in range(args.streams) for i in range(per)
        ])
    total = per * args.streams
    connection.close()
    stop = threading.Event()
    t0 = time.perf_counter()
    worker = threading.Thread(target=deliver_loop, args=("citylink", stop), daemon=True)
    worker.start()
    while OutboxMessage.objects.filter(channel="citylink", state="pending").exists():
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    stop.set()
    worker.join()
    report = sim.report()
    log(f"[{args.child}] delivered {total} in {elapsed:.1f} s: {total / elapsed:.0f}/s; simulator {report}")

    # ---- 2. an action's latency, city reachable vs dead ----
    orders = []
    for i in range(2 * args.signs):
        inbound.take_order({"type": "order", "city_number": f"L{i:06d}", "title": "路灯不亮",
                            "text": "东湖路88号门口路灯连续三天不亮，夜间出行不便，请尽快维修。", "area_code": "east-lake"})
        oid = inbound.CityOrder.objects.get(city_number=f"L{i:06d}").order_id
        actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
        orders.append(oid)
    handler = district.people["liqiang"]

    def signs(ids: list[int]) -> list[float]:
        out = []
        for oid in ids:
            t = time.perf_counter()
            actions.do_sign(oid, actor=handler)
            out.append((time.perf_counter() - t) * 1000)
        return out

    stop = threading.Event()
    worker = threading.Thread(target=deliver_loop, args=("citylink", stop), daemon=True)
    worker.start()
    reachable = signs(orders[: args.signs])
    stop.set()
    worker.join()
    sim.stop()
    dead_city = Simulator(inbound_url="http://127.0.0.1:9/unused", secret=SECRET, rate=0,
                          faults=Faults(timeout=1.0, hang=3.0)).start()
    settings.HOTLINE_CITYLINK_URL = dead_city.url
    stop = threading.Event()
    worker = threading.Thread(target=deliver_loop, args=("citylink", stop), daemon=True)
    worker.start()
    dead = signs(orders[args.signs:])
    stop.set()
    worker.join(timeout=30)
    dead_city.stop()
    failed = OutboxMessage.objects.filter(channel="citylink", attempts__gt=0).exclude(state="delivered").count()
    print(json.dumps({
        "db": args.child, "messages": total, "streams": args.streams, "deliver_s": elapsed, "rate": total / elapsed,
        "concurrency": settings.HOTLINE_CITYLINK_CONCURRENCY, "received": report["updates_received"],
        "duplicates": report["duplicates"], "out_of_order": report["out_of_order"],
        "reachable": {"p50": statistics.median(reachable), "p99": pct(reachable, 0.99), "n": len(reachable)},
        "dead": {"p50": statistics.median(dead), "p99": pct(dead, 0.99), "n": len(dead)},
        "dead_attempts": failed,
    }))


if __name__ == "__main__":
    main()
