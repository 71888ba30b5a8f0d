"""`hotline notify_scan [--warnings]`: one scan for due-soon and overdue orders (and the early
warnings), as the worker runs it every HOTLINE_NOTIFY_SCAN_SECONDS; prints the outbox rows written."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hotline.notify import delivery


class Command(BaseCommand):
    help = "Scan for due-soon and overdue orders (and, with --warnings, the early warnings) and queue their notifications"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--warnings", action="store_true", help="also tell the supervisors of today's warnings")

    def handle(self, *args: Any, **options: Any) -> None:
        written = delivery.scan(warnings=options["warnings"])
        self.stdout.write(f"queued {written} notification(s)")
