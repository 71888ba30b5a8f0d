"""`hotline hotspots --from DATE --to DATE [--json] [--shape S] [--limit N] [--rebuild]`

The hotspots with orders in a period (both days included), hottest first: with --json one JSON
object per line (label, area, address, place, categories, units, first_at, last_at, orders,
callers, order_numbers, shape, score, heat, weekly), else a table. Orders of any state count,
imported history included: orders not yet placed in a hotspot (history imported while no worker
ran, received in the period) are joined first; --rebuild builds every hotspot again (the nightly build). Bad dates: a
message and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from hotline import periods
from hotline.errors import DomainError
from hotline.governance import build, selectors
from hotline.governance.models import SHAPE_CHOICES


class Command(BaseCommand):
    help = "List hotspots (high-frequency matters at one place) of a period, hottest first"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--shape", choices=[c for c, _l in SHAPE_CHOICES], default="")
        parser.add_argument("--limit", type=int, default=0, help="at most this many hotspots (0: all)")
        parser.add_argument("--rebuild", action="store_true", help="build every hotspot again first")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            first = periods.parse_day(opts["start"], "from")
            last = periods.parse_day(opts["end"], "to")
        except DomainError as exc:
            self._fail(str(exc.message))
        if last < first:
            self._fail(f"--to {last} is before --from {first}")
        if opts["limit"] < 0:
            self._fail("--limit must be 0 or more")
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        if opts["rebuild"]:
            build.build()
        else:
            build.catch_up(start=start, end=end)
        qs = selectors.hotspots_between(start, end, shape=opts["shape"])
        hotspots = list(qs[: opts["limit"]] if opts["limit"] else qs)
        numbers = selectors.member_numbers([h.root_order_id for h in hotspots])
        out = self.stdout
        if opts["json"]:
            for h in hotspots:
                out.write(json.dumps(record(h, numbers[h.root_order_id]), ensure_ascii=False))
            return
        out.write(f"{'score':>7}  {'shape':10} {'orders':>6}  {'first':16}  {'last':16}  {'area':10} label")
        for h in hotspots:
            out.write(f"{h.score:7.2f}  {h.shape:10} {h.orders:6d}  {_local(h.first_at):16}  {_local(h.last_at):16}  "
                      f"{(h.area.name if h.area else '-')[:10]:10} {h.label}")
        out.write(f"{len(hotspots)} hotspots from {first} to {last}")

    def _fail(self, message: str) -> None:
        sys.stderr.write(f"hotline hotspots: {message}\n")
        raise SystemExit(2)


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def record(h: Any, order_numbers: list[str]) -> dict[str, Any]:
    return {
        "label": h.label, "area": h.area.name if h.area else "", "address": h.address, "place": h.place,
        "categories": h.categories, "units": h.units, "first_at": timezone.localtime(h.first_at).isoformat(),
        "last_at": timezone.localtime(h.last_at).isoformat(), "orders": h.orders, "callers": h.callers,
        "order_numbers": order_numbers, "shape": h.shape, "score": h.score, "heat": h.heat, "weekly": h.weekly,
    }
