"""Outbox delivery rate on PostgreSQL, and an action's latency with the city reachable vs dead.

    PYTHONPATH=src python bench/outbox_throughput.py [--messages 6000] [--streams 2000] [--signs 200]

In a fresh PostgreSQL database (hotline_bench_outbox, dropped and created; or --db sqlite):

1. Delivery: --messages citylink rows on --streams orders' streams (so order per stream holds
   back the rows behind each head) delivered by `hotline outbox deliver --channel citylink` (the
   worker's delivery loop, HOTLINE_CITYLINK_CONCURRENCY sends at once), POSTed signed over HTTP
   to the city platform simulator on 127.0.0.1, each in a process of its own. Printed: updates/s,
   and what the simulator counted (received, duplicates, out of order).
2. Latency of do_sign on city orders (each writes an outbox row for the city) while the
   deliverer runs: with the simulator answering, then with a dead city (every request hangs past
   the send timeout). Printed: p50 / p99 in milliseconds, both ways.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from childrun import run_in_child  # bench/ is on sys.path when a script runs

PG_DB = "hotline_bench_outbox"
BIN = Path(sys.executable).parent
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
          f"= {r['rate']:.0f} updates/s with the deliverer's start-up, {r['window_rate']:.0f} updates/s from the first "
          f"delivery to the last ({r['window_s']:.1f} s; concurrency {r['concurrency']}); simulator: received {r['received']}, "
          f"duplicates {r['duplicates']}, out of order {r['out_of_order']}")
    print(f"do_sign latency, city reachable: p50 {r['reachable']['p50']:.1f} ms  p99 {r['reachable']['p99']:.1f} ms "
          f"(n={r['reachable']['n']}; the city received {r['reachable_requests']} requests meanwhile)")
    print(f"do_sign latency, city dead:      p50 {r['dead']['p50']:.1f} ms  p99 {r['dead']['p99']:.1f} ms "
          f"(n={r['dead']['n']}; {r['dead_requests']} requests hung past the send timeout meanwhile, "
          f"{r['dead_attempts']} updates left failing)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class Process:
    def __init__(self, argv: list[str], env: dict) -> None:
        self.p = subprocess.Popen(argv, env=env)

    def stop(self) -> None:
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def city(port: int, report: Path, env: dict, faults: str = "none") -> Process:
    """The simulator's receiving side in a process of its own (it must not share our GIL)."""
    p = Process([sys.executable, "-m", "hotline.citylink.simulator", "--port", str(port), "--report", str(report),
                 "--faults", faults, "--fault-rate", "1", "--hang", "3"], env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return p
        time.sleep(0.1)
    raise SystemExit("the simulator did not start")


def child(args: argparse.Namespace) -> None:
    port = free_port()
    os.environ.update(HOTLINE_CITYLINK_SECRET=SECRET, HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS="2",
                      HOTLINE_OUTBOX_LEASE_SECONDS="30", HOTLINE_CITYLINK_URL=f"http://127.0.0.1:{port}/updates")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Q

    from hotline import outbox
    from hotline.citylink import inbound
    from hotline.demo.district import build_district
    from hotline.orders import actions
    from hotline.outbox import Message
    from hotline.outbox.models import OutboxMessage

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    district = build_district(password="bench")
    log(f"[{args.child}] migrated, district built")
    env = dict(os.environ)
    tmp = Path(tempfile.mkdtemp(prefix="hotline-outbox-bench-"))
    deliverer = [str(BIN / "hotline"), "outbox", "deliver", "--channel", "citylink"]

    # ---- 1. delivery rate: `hotline outbox deliver` against the simulator, each its own process ----
    receiver = city(port, tmp / "city.json", env)
    per = max(1, args.messages // args.streams)
    with transaction.atomic():
        outbox.enqueue([
            Message("citylink", f"order:B{s:06d}", "order.signed",
                    {"city_number": f"B{s:06d}", "number": f"N{s}", "state": "in_progress", "data": {"i": i}})
            for s in range(args.streams) for i in range(per)
        ])
    total = per * args.streams
    connection.close()
    t0 = time.perf_counter()
    worker = Process(deliverer, env)
    while OutboxMessage.objects.filter(channel="citylink", state="pending").exists():
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    worker.stop()
    receiver.stop()
    from django.db.models import Max, Min

    span = OutboxMessage.objects.filter(channel="citylink").aggregate(a=Min("delivered_at"), b=Max("delivered_at"))
    window = (span["b"] - span["a"]).total_seconds()
    report = json.loads((tmp / "city.json").read_text())
    log(f"[{args.child}] delivered {total} in {elapsed:.1f} s: {total / elapsed:.0f}/s; simulator {report}")

    # ---- 2. an action's latency (do_sign writes a row for the city), city reachable vs dead ----
    orders = []
    for i in range(2 * args.signs):
        inbound.take_order({"type": "order", "city_number": f"L{i:06d}", "title": "路灯不亮",
                            "text": f"东湖路{i}号门口路灯连续三天不亮，夜间出行不便，请尽快维修。", "area_code": "east-lake"})
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
            time.sleep(0.01)  # an action every 10 ms or so, while the deliverer works
        return out

    results = {}
    for name, faults, ids in (("reachable", "none", orders[: args.signs]), ("dead", "timeouts", orders[args.signs:])):
        receiver = city(port, tmp / f"{name}.json", env, faults)
        worker = Process(deliverer, env)
        # measure only once the deliverer is at work: a probe delivered, or tried and failed
        with transaction.atomic():
            outbox.enqueue([Message("citylink", f"probe:{name}", "probe", {"city_number": "probe"})])
        probe = OutboxMessage.objects.filter(stream=f"probe:{name}")
        deadline = time.monotonic() + 120
        while not probe.filter(Q(state="delivered") | Q(attempts__gt=0)).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        results[name] = signs(ids)
        worker.stop()
        receiver.stop()
        seen = json.loads((tmp / f"{name}.json").read_text())
        results[name + "_requests"] = seen["updates_received"] + seen["duplicates"] + seen["dropped"]
    rows = OutboxMessage.objects.filter(channel="citylink", stream__startswith="order:L")
    print(json.dumps({
        "db": args.child, "messages": total, "streams": args.streams, "deliver_s": elapsed, "rate": total / elapsed,
        "window_s": window, "window_rate": total / window,
        "concurrency": settings.HOTLINE_CITYLINK_CONCURRENCY, "received": report["updates_received"],
        "duplicates": report["duplicates"], "out_of_order": report["out_of_order"],
        "reachable": {"p50": statistics.median(results["reachable"]), "p99": pct(results["reachable"], 0.99),
                      "n": args.signs},
        "dead": {"p50": statistics.median(results["dead"]), "p99": pct(results["dead"], 0.99), "n": args.signs},
        "dead_attempts": rows.exclude(state="delivered").filter(attempts__gt=0).count(),
        "reachable_requests": results["reachable_requests"], "dead_requests": results["dead_requests"],
    }))


if __name__ == "__main__":
    main()
