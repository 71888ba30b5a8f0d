"""`hotline outbox deliver [--channel NAME] [--once]`, `hotline outbox status` and
`hotline outbox prune [--days N]`."""

from __future__ import annotations

import json
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline import outbox


class Command(BaseCommand):
    help = "The transactional outbox: deliver due messages (deliver), or print what waits per channel (status)"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        deliver = sub.add_parser("deliver", help="deliver due messages (until interrupted, or one round with --once)")
        deliver.add_argument("--channel", help="only this channel (default: every registered channel)")
        deliver.add_argument("--once", action="store_true", help="one round per channel, then exit")
        deliver.add_argument("--limit", type=int, default=100, help="rows per round (default 100)")
        sub.add_parser("status", help="rows per channel and state, rows due, the oldest undelivered row's age")
        prune = sub.add_parser("prune", help="delete rows delivered more than N days ago (the worker does it hourly)")
        prune.add_argument("--days", type=float, default=None,
                           help="keep delivered rows this many days (default: HOTLINE_OUTBOX_KEEP_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "status":
            self.stdout.write(json.dumps(outbox.status(), indent=2, ensure_ascii=False))
            return
        if options["what"] == "prune":
            if options["days"] is not None and options["days"] < 0:
                raise CommandError("--days must not be negative")
            self.stdout.write(f"{outbox.prune(days=options['days'])} delivered rows deleted")
            return
        names = sorted(outbox.channels())
        if options["channel"]:
            if options["channel"] not in names:
                raise CommandError(f"no such channel {options['channel']!r} (registered: {', '.join(names) or 'none'})")
            names = [options["channel"]]
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        if options["once"]:
            for name in names:
                n = outbox.deliver_due(name, limit=options["limit"])
                self.stdout.write(f"{name}: {n} delivered")
            return
        stop = threading.Event()
        try:
            while True:
                if not sum(outbox.deliver_due(name, limit=options["limit"]) for name in names):
                    stop.wait(settings.HOTLINE_OUTBOX_POLL_SECONDS)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
