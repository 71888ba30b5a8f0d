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
        out = self.stdout
        rows = selectors.hotspot_rows(start, end, shape=opts["shape"], limit=opts["limit"])
        if opts["json"]:
            # One line per hotspot, composed from the stored JSON texts (no decoding and encoding
            # again: a quarter of a city is tens of thousands of lines).
            write = out.write
            for r in rows:
                write(json_line(r))
            return
        out.write(f"{'score':>7}  {'shape':10} {'orders':>6}  {'first':16}  {'last':16}  {'area':10} label")
        n = 0
        for r in rows:
            n += 1
            out.write(f"{r['score']:7.2f}  {r['shape']:10} {r['orders']:6d}  {_local(r['first_at']):16}  "
                      f"{_local(r['last_at']):16}  {(r['area'] or '-')[:10]:10} {r['label']}")
        out.write(f"{n} hotspots from {first} to {last}")

    def _fail(self, message: str) -> None:
        sys.stderr.write(f"hotline hotspots: {message}\n")
        raise SystemExit(2)


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _text(value: Any) -> str:
    """A stored JSON value as JSON text (the database may hand back text or a decoded value)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def json_line(r: dict[str, Any]) -> str:
    """The JSON object of one hotspot (keys in a fixed order)."""
    d = json.dumps
    return (f'{{"label": {d(r["label"], ensure_ascii=False)}, "area": {d(r["area"] or "", ensure_ascii=False)}, '
            f'"address": {d(r["address"], ensure_ascii=False)}, "place": {d(r["place"], ensure_ascii=False)}, '
            f'"categories": {_text(r["categories"])}, "units": {_text(r["units"])}, '
            f'"first_at": "{timezone.localtime(r["first_at"]).isoformat()}", '
            f'"last_at": "{timezone.localtime(r["last_at"]).isoformat()}", "orders": {int(r["orders"])}, '
            f'"callers": {int(r["callers"])}, "order_numbers": {_text(r["numbers"])}, "shape": {d(r["shape"])}, '
            f'"score": {float(r["score"])}, "heat": {_text(r["heat"])}, "weekly": {_text(r["weekly"])}}}')
