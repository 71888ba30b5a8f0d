"""The city link under every fault, with kill -9 of the web process and of the worker mid-way.

    PYTHONPATH=src python bench/citylink_faults.py [--minutes 10] [--rate 20] [--drain 300]

On 127.0.0.1, in a fresh PostgreSQL database (hotline_bench_citylink, dropped and created):
gunicorn (hotline.wsgi) takes the city's orders at /citylink/inbound, `hotline db_worker`
delivers the updates, and the city platform simulator (hotline.citylink.simulator) hands down
--rate orders per second for --minutes with every fault on (timeouts, 500s, duplicates,
reordering, a dead link for a tenth of the run) and receives the updates. A driver process
walks each order taken through the loop (dispatch, sign, a request for more time on every
fifth, reply, review, callback), so every order sends its updates up. At 40% of the run the web
process is killed with -9 and restarted; at 60% the worker. After the orders stop, it waits
(--drain seconds at most) for everything to arrive, then prints:

    orders   sent / taken (exactly once) / taken twice
    updates  expected (the outbox's citylink rows) / delivered (distinct, at the city) /
             duplicates (ignored by message id) / out of order / not delivered
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from childrun import pg  # noqa: E402 - bench/ and src/ put on the path first
from hotline.citylink.simulator import Faults, Simulator  # noqa: E402 - pure standard library, no Django

BIN = Path(sys.executable).parent
PG_DB = "hotline_bench_citylink"
SECRET = "bench-city-secret-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Proc:
    """A child process we can kill -9 (with its children) and start again."""

    def __init__(self, name: str, argv: list[str], env: dict, logfile: Path) -> None:
        self.name, self.argv, self.env, self.logfile = name, argv, env, logfile
        self.p: subprocess.Popen | None = None

    def start(self) -> None:
        out = self.logfile.open("ab")
        self.p = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                  start_new_session=True)

    def kill9(self) -> None:
        if self.p is not None and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)  # the whole group: gunicorn's master and its workers
            self.p.wait()

    def stop(self) -> None:
        if self.p is not None and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()


def wait_http(url: str, seconds: float = 60) -> None:
    import urllib.error
    import urllib.request

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second")
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for everything after sending")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--drivers", type=int, default=3, help="threads walking orders through the loop")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        return child_setup()
    if args.drive:
        return child_drive(args)
    if args.count:
        return child_count(args.count)
    run(args)


def run(args: argparse.Namespace) -> None:
    if not pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", f"CREATE DATABASE {PG_DB}"):
        raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres")
    seconds = args.minutes * 60
    tmp = Path(tempfile.mkdtemp(prefix="hotline-citylink-faults-"))
    sim_port, web_port = free_port(), free_port()
    env = dict(
        os.environ, SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings",
        PYTHONPATH=str(ROOT / "src"), HOTLINE_DATA_DIR=str(tmp),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
        HOTLINE_CITYLINK_SECRET=SECRET, HOTLINE_CITYLINK_URL=f"http://127.0.0.1:{sim_port}/updates",
        # a hanging city costs 2 s per try; retries at most 5 s apart, so the run drains in minutes
        HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS="2", HOTLINE_OUTBOX_LEASE_SECONDS="10",
        HOTLINE_OUTBOX_BACKOFF_SECONDS="0.5", HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS="5",
        HOTLINE_OUTBOX_MAX_ATTEMPTS="1000", HOTLINE_CITYLINK_CONCURRENCY="16",
        HOTLINE_WORKER_LEASE_SECONDS="10", HOTLINE_WORKER_BEAT_SECONDS="2", LOG_LEVEL="ERROR",
    )
    log(f"fresh database {PG_DB}; data in {tmp}")
    subprocess.run([sys.executable, __file__, "--setup"], env=env, check=True)
    web = Proc("web", [str(BIN / "gunicorn"), "hotline.wsgi", "-b", f"127.0.0.1:{web_port}", "-w",
                       str(args.web_workers), "--threads", "4", "--timeout", "30"], env, tmp / "web.log")
    worker = Proc("worker", [str(BIN / "hotline"), "db_worker", "--no-startup-delay"], env, tmp / "worker.log")
    driver = Proc("driver", [sys.executable, __file__, "--drive", "--drivers", str(args.drivers)],
                  dict(env, BENCH_STOP_FILE=str(tmp / "stop")), tmp / "driver.log")
    web.start()
    wait_http(f"http://127.0.0.1:{web_port}/citylink/inbound")
    worker.start()
    driver.start()
    faults = Faults.parse("all", rate=args.fault_rate, dead_after=seconds * 0.2, dead_for=max(5.0, seconds * 0.1),
                          hang=3.0)
    sim = Simulator(inbound_url=f"http://127.0.0.1:{web_port}/citylink/inbound", secret=SECRET, port=sim_port,
                    rate=args.rate, faults=faults, codes={"areas": ["east-lake", "west-city", "south-garden"]},
                    send_timeout=10, senders=8).start()
    log(f"simulator: {args.rate}/s for {seconds:.0f} s, all faults, dead link at {faults.dead_after:.0f} s "
        f"for {faults.dead_for:.0f} s; web on {web_port}, city on {sim_port}")

    def chaos() -> None:
        time.sleep(seconds * 0.4)
        log("kill -9 web")
        web.kill9()
        time.sleep(2)
        web.start()
        time.sleep(seconds * 0.2)
        log("kill -9 worker")
        worker.kill9()
        time.sleep(2)
        worker.start()

    try:
        threading.Thread(target=chaos, daemon=True).start()
        t0 = time.monotonic()
        sim.send_orders(seconds)
        log(f"orders sent for {time.monotonic() - t0:.0f} s: {sim.report()['orders_sent']}; draining")
        end = time.monotonic() + args.drain
        last = None
        while time.monotonic() < end:
            rep = sim.report()
            if rep["orders_acked"] >= rep["orders_sent"] and not sim.pending_sends():
                break
            time.sleep(1)
        (tmp / "stop").write_text("stop")  # the driver walks what it has and exits
        driver.p.wait(timeout=max(30, end - time.monotonic()))  # type: ignore[union-attr]
        while time.monotonic() < end:
            counts = json.loads(subprocess.run([sys.executable, __file__, "--count", sim.run], env=env, check=True,
                                               stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])
            rep = sim.report()
            state = (counts["rows"], rep["updates_received"])
            if counts["rows_undelivered"] == 0 and rep["updates_received"] >= counts["rows"]:
                break
            if state != last:
                log(f"waiting: {rep['updates_received']} of {counts['rows']} updates at the city")
                last = state
            time.sleep(2)
    finally:
        sim.stop()
        for proc in (driver, worker, web):
            proc.stop()
    counts = json.loads(subprocess.run([sys.executable, __file__, "--count", sim.run], env=env, check=True,
                                       stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])
    rep = sim.report()
    print(json.dumps({"simulator": rep, "database": counts}, ensure_ascii=False), file=sys.stderr)
    print()
    print(f"run: {args.minutes} min at {args.rate} orders/s, all faults (rate {args.fault_rate}), "
          f"dead link {faults.dead_for:.0f} s, kill -9 web and worker")
    print(f"orders   sent {rep['orders_sent']}  taken {counts['orders']}  taken twice {counts['orders_twice']}  "
          f"('created' answers {rep['orders_created']}, posts with duplicates and retries {rep['order_posts']})")
    print(f"city updates (city -> district) sent {rep['city_updates_sent']}  taken once {counts['city_updates_applied']}"
          f" ({counts['city_update_events']} events, {counts['city_updates_not_applicable']} refused by the order's state)")
    print(f"updates  expected {counts['rows']}  delivered {rep['updates_received']}  duplicates {rep['duplicates']} "
          f"(ignored by message id)  out of order {rep['out_of_order']}  not delivered {counts['rows_undelivered']}")
    print(f"loop     orders walked {counts['walked']}  closed {counts['closed']}")
    ok = (counts["orders"] == rep["orders_sent"] and counts["orders_twice"] == 0 and rep["out_of_order"] == 0
          and rep["orders_taken_twice"] == 0 and counts["city_updates_applied"] == rep["city_updates_sent"]
          and counts["city_update_events"] + counts["city_updates_not_applicable"] == counts["city_updates_applied"]
          and counts["rows_undelivered"] == 0 and rep["updates_received"] == counts["rows"])
    print("RESULT", "ok" if ok else "FAILED")
    pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    sys.exit(0 if ok else 1)


# ---- children (Django) ------------------------------------------------------------------------------


def child_setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from hotline.demo.district import build_district

    call_command("migrate", verbosity=0)
    build_district(password="bench-password-not-secret")


def child_drive(args: argparse.Namespace) -> None:
    """Walk every city order through the loop, as the district's people would."""
    import django

    django.setup()
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from hotline.citylink.models import CityOrder
    from hotline.directory.models import Unit, User
    from hotline.errors import DomainError
    from hotline.orders import actions

    people = {u.username: u for u in User.objects.all()}
    unit = Unit.objects.get(code="street-a") if Unit.objects.filter(code="street-a").exists() else None
    unit_id = unit.pk if unit else people["liqiang"].unit_id
    stop_file = Path(os.environ["BENCH_STOP_FILE"])
    reply = {"responder": "李强", "process": "接单后当天到现场查看，联系供电公司更换了损坏的灯具和线路。",
             "outcome": "路灯已于次日修复，夜间照明恢复正常。", "contacted_caller": True}

    def step(fn, *a, **kw) -> None:  # noqa: ANN001
        # a refusal means triage or an earlier step got there first: go on from the state it is in
        with contextlib.suppress(DomainError):
            fn(*a, **kw)

    def walk(oid: int) -> None:
        try:
            step(actions.do_dispatch, oid, actor=people["chengang"], unit_id=unit_id)
            step(actions.do_sign, oid, actor=people["liqiang"])
            step(actions.do_contact, oid, actor=people["liqiang"], text="已电话联系来电人，约定到场时间。")
            if oid % 5 == 0:
                step(actions.do_request_extension, oid, actor=people["liqiang"], days=2, reason="需协调供电公司更换线路。")
            step(actions.do_reply, oid, actor=people["liqiang"], **reply)
            step(actions.do_approve, oid, actor=people["zhoushen"])
            step(actions.do_callback, oid, actor=people["sunhui"], contacted=True, resolved=True,
                 satisfaction="satisfied")
        except Exception as exc:  # noqa: BLE001 - a database hiccup: counted, the bench goes on
            print(f"walk {oid}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        finally:
            connection.close()

    done: set[int] = set()
    idle_since = None
    with ThreadPoolExecutor(max_workers=args.drivers) as pool:
        while True:
            new = [oid for oid in CityOrder.objects.order_by("id").values_list("order_id", flat=True) if oid not in done]
            connection.close()
            if new:
                idle_since = None
                done.update(new)
                list(pool.map(walk, new))
            else:
                if stop_file.exists():
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 5:
                        break
                time.sleep(0.5)
    print(json.dumps({"walked": len(done)}))


def child_count(run: str) -> None:
    import django

    django.setup()
    from django.db.models import Count

    from hotline.citylink.models import CityOrder, CityUpdate
    from hotline.orders.models import Event, WorkOrder
    from hotline.outbox.models import OutboxMessage

    orders = WorkOrder.objects.filter(idempotency_key__startswith=f"city:{run}-")
    twice = (orders.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count())
    rows = OutboxMessage.objects.filter(channel="citylink")
    print(json.dumps({
        "orders": orders.count(), "orders_twice": twice, "linked": CityOrder.objects.count(),
        "rows": rows.count(), "rows_undelivered": rows.exclude(state="delivered").count(),
        "rows_failed": rows.filter(state="failed").count(),
        "city_updates_applied": CityUpdate.objects.filter(applied_at__isnull=False).count(),
        "city_updates_not_applicable": CityUpdate.objects.filter(applied_at__isnull=False).exclude(result="applied").count(),
        "city_update_events": Event.objects.filter(actor__username="citylink").exclude(action="create").count(),
        "walked": Event.objects.filter(action="dispatch", order__in=orders).values("order").distinct().count(),
        "closed": orders.filter(state="closed").count(),
    }))


if __name__ == "__main__":
    main()
