"""`hotline supervision run [--json]` and `hotline supervision list [--state STATE] [--json]`

run: escalate every supervision whose feedback deadline passed without feedback to the city
platform (提请市级联合督办), as the worker does (idempotent: a second run escalates nothing).
list: the active supervisions (or those of --state), with their deadline and unit."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from hotline.orders.actions import escalate_missed
from hotline.orders.models import Supervision
from hotline.orders.supervisions import ACTIVE


class Command(BaseCommand):
    help = "督办：run 将逾期未反馈的督办提请市级联合督办；list 列出督办单"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["run", "list"])
        parser.add_argument("--state", default="", help="list：只列出这一状态（open/answered/escalated/closed/lifted）")
        parser.add_argument("--json", action="store_true", help="输出JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["what"] == "run":
            report = escalate_missed()
            if opts["json"]:
                self.stdout.write(json.dumps({"escalated": report.escalated, "skipped": report.skipped},
                                             ensure_ascii=False))
            else:
                self.stdout.write(f"提请市级联合督办{len(report.escalated)}件"
                                  + (f"：{'、'.join(report.escalated)}" if report.escalated else "")
                                  + (f"；未提请{len(report.skipped)}件" if report.skipped else "") + "。")
            return
        state = opts["state"].strip()
        if state and state not in Supervision.State.values:
            self.stderr.write(f"未知的督办状态：{state[:20]}（可选 {', '.join(Supervision.State.values)}）")
            sys.exit(2)
        qs = Supervision.objects.filter(state=state) if state else Supervision.objects.filter(
            state__in=[s.value for s in ACTIVE])
        for sup in qs.select_related("order", "unit").order_by("due", "pk")[:1000]:
            due = timezone.localtime(sup.due).strftime("%Y-%m-%d %H:%M")
            if opts["json"]:
                self.stdout.write(json.dumps({"id": sup.pk, "number": sup.order.number, "state": sup.state,
                                              "level": sup.level, "unit": sup.unit.name if sup.unit else "",
                                              "due": sup.due.isoformat(), "on_time": sup.on_time},
                                             ensure_ascii=False))
            else:
                self.stdout.write(f"{sup.order.number} {sup.get_state_display()} {sup.unit or '—'} 反馈时限{due}")
