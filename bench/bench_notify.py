"""Notifications: what they add to an action, and how fast the worker sends them.

    .venv/bin/python bench/bench_notify.py                       # both databases, 1,000 orders
    .venv/bin/python bench/bench_notify.py --db postgres --orders 5000

In a child process per database (bench/childrun.py: a throwaway SQLite file or PostgreSQL
database), after migrating and building the demo district:

1. dispatch: N orders dispatched to 东湖街道 (2 people told, one outbox row each), half with the
   notify subscriber off, half on: the added milliseconds per action;
2. deliver: every queued notification sent through the outbox's `notify` channel to a real SMS
   gateway on 127.0.0.1 (a threading http.server answering 200), rounds of 100, the deliverer's
   concurrency as registered: notifications per second;
3. scan: the due-soon scan over the N dispatched orders as their sign clock runs out (every one
   due soon), then the same scan again (nothing new: the dedupe cost).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from childrun import run_in_child  # bench/ is on sys.path when a script runs

PG_DB = "hotline_bench_notify"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    rows = []
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        out = run_in_child(__file__, db, PG_DB, ["--orders", str(args.orders)])
        if out:
            rows.append(out)
    print(f"{'database':<10} {'orders':>7} {'dispatch ms (off)':>17} {'dispatch ms (on)':>16} {'added ms':>8} "
          f"{'sent':>6} {'sent/s':>8} {'scan s':>7} {'rescan s':>8}")
    for r in rows:
        print(f"{r['db']:<10} {r['orders']:>7} {r['ms_off']:>17.2f} {r['ms_on']:>16.2f} {r['ms_on'] - r['ms_off']:>8.2f} "
              f"{r['sent']:>6} {r['sent_per_s']:>8.0f} {r['scan_s']:>7.2f} {r['rescan_s']:>8.2f}")


class _Gateway(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run_child(args: argparse.Namespace) -> None:
    import datetime as dt

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from hotline import outbox
    from hotline.demo.district import build_district
    from hotline.notify import delivery
    from hotline.notify.models import Notification
    from hotline.orders import actions
    from hotline.orders.actions import Intake
    from hotline.orders.models import WorkOrder

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.HOTLINE_NOTIFY_SENDERS = {"sms": {"BACKEND": "hotline.notify.senders.sms.SmsGatewaySender",
                                               "OPTIONS": {"url": f"http://127.0.0.1:{httpd.server_address[1]}/",
                                                           "timeout": 5}}}
    settings.HOTLINE_NOTIFY_QUIET_HOURS = ""
    d = build_district(password="bench-password-123")
    p = d.people
    rows = [Intake(title=f"东湖路路面塌陷{i}", description="东湖路与湖滨路交叉口路面塌陷约一平方米，存在安全隐患，请尽快处理。",
                   caller_name="张先生", caller_phone="13812345678", area_id=d.areas["east-lake"].pk,
                   category_id=d.categories["道路塌陷破损"].pk) for i in range(args.orders)]
    for i in range(0, len(rows), 1000):
        actions.do_create_many(rows[i:i + 1000], actor=p["wangfang"])
    ids = list(WorkOrder.objects.order_by("pk").values_list("pk", flat=True))
    half = len(ids) // 2
    unit = d.units["street-a"].pk

    def dispatch(chunk: list[int]) -> float:
        t = time.perf_counter()
        for oid in chunk:
            actions.do_dispatch(oid, actor=p["chengang"], unit_id=unit)
        return (time.perf_counter() - t) * 1000 / max(len(chunk), 1)

    outbox.unsubscribe(delivery.messages_for_event)
    ms_off = dispatch(ids[:half])
    outbox.subscribe(delivery.messages_for_event)
    ms_on = dispatch(ids[half:])
    queued = Notification.objects.filter(state="queued").count()
    t = time.perf_counter()
    sent = 0
    while True:
        n = outbox.deliver_due("notify", limit=100)
        if not n:
            break
        sent += n
    deliver_s = time.perf_counter() - t
    first_due = WorkOrder.objects.filter(pk__in=ids).order_by("sign_due").values_list("sign_due", flat=True).first()
    last_due = WorkOrder.objects.filter(pk__in=ids).order_by("-sign_due").values_list("sign_due", flat=True).first()
    now = max(first_due, last_due - dt.timedelta(hours=settings.HOTLINE_DUE_SOON_HOURS)) + dt.timedelta(seconds=1)
    t = time.perf_counter()
    delivery.scan(now)
    scan_s = time.perf_counter() - t
    t = time.perf_counter()
    delivery.scan(now + dt.timedelta(minutes=1))
    rescan_s = time.perf_counter() - t
    httpd.shutdown()
    print(json.dumps({"db": args.child, "orders": len(ids), "ms_off": ms_off, "ms_on": ms_on, "queued": queued,
                      "sent": sent, "sent_per_s": sent / deliver_s if deliver_s else 0.0, "scan_s": scan_s,
                      "rescan_s": rescan_s}))


if __name__ == "__main__":
    sys.exit(main())
