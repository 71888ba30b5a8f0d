"""`hotline citylink simulate`: the city platform simulator (hotline.citylink.simulator).

    HOTLINE_CITYLINK_SECRET=... HOTLINE_CITYLINK_URL=http://127.0.0.1:8765/updates hotline db_worker &
    HOTLINE_CITYLINK_SECRET=... hotline citylink simulate --rate 20 --seconds 60 --faults all

It hands orders down to --inbound at --rate per second for --seconds, receives the district's
updates on 127.0.0.1:--port meanwhile and for --drain seconds after, and prints its counts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.directory.models import Area, Category

from ...simulator import FAULTS, Faults, Simulator


class Command(BaseCommand):
    help = "The city platform link: run the city platform simulator (simulate)"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sim = sub.add_parser("simulate", help="a city platform on 127.0.0.1: sends orders, receives updates")
        sim.add_argument("--inbound", default="http://127.0.0.1:8000/citylink/inbound",
                         help="the district's inbound endpoint")
        sim.add_argument("--port", type=int, default=8765, help="port to receive updates on (127.0.0.1)")
        sim.add_argument("--rate", type=float, default=20.0, help="orders per second (0: only receive)")
        sim.add_argument("--seconds", type=float, default=60.0, help="how long to send orders")
        sim.add_argument("--drain", type=float, default=10.0, help="seconds to keep receiving after sending stops")
        sim.add_argument("--faults", default="none", help=f"none, all, or a list of: {', '.join(FAULTS)}")
        sim.add_argument("--fault-rate", type=float, default=0.05, help="share of requests each fault hits")
        sim.add_argument("--dead-after", type=float, default=10.0, help="seconds after start the link dies (dead)")
        sim.add_argument("--dead-for", type=float, default=20.0, help="seconds the link stays dead (dead)")
        sim.add_argument("--hang", type=float, default=None,
                         help="seconds a hanging receiver waits (default: the send timeout + 1)")
        sim.add_argument("--run", help="prefix of the city numbers (default: from the clock)")
        sim.add_argument("--report", type=Path, help="also write the counts to this JSON file")

    def handle(self, *args: Any, **o: Any) -> None:
        secret = settings.HOTLINE_CITYLINK_SECRET
        if not secret:
            raise CommandError("HOTLINE_CITYLINK_SECRET is not set (the secret shared with the district)")
        if not 0 <= o["fault_rate"] <= 1 or o["rate"] < 0 or o["seconds"] < 0:
            raise CommandError("--fault-rate is a share (0 to 1); --rate and --seconds cannot be negative")
        hang = o["hang"] if o["hang"] is not None else settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS + 1
        try:
            faults = Faults.parse(o["faults"], rate=o["fault_rate"], dead_after=o["dead_after"], dead_for=o["dead_for"],
                                  hang=hang)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        codes = {"areas": list(Area.objects.values_list("code", flat=True)),
                 "categories": list(Category.objects.filter(active=True, level=3).values_list("path", flat=True))}
        sim = Simulator(inbound_url=o["inbound"], secret=secret, port=o["port"], rate=o["rate"], faults=faults,
                        run=o["run"], codes=codes)
        sim.start()
        self.stderr.write(f"city platform simulator: receiving on {sim.url}, sending to {o['inbound']}")
        try:
            sim.send_orders(o["seconds"])
            end = time.monotonic() + o["drain"]
            while time.monotonic() < end:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            sim.stop()
        report = sim.report()
        text = json.dumps(report, indent=2, ensure_ascii=False)
        if o["report"]:
            o["report"].write_text(text)
        self.stdout.write(text)
