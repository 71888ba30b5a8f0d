"""`hotline seasonal run [--date YYYY-MM-DD] [--rule ID] [--json]`

Run the seasonal rules (未诉先办) as the worker does each day: every active rule whose generation
day has come gets one proactive order per place that complained last season, once (a second run
creates nothing). --date runs them as on that day (to catch up, or to see what a date would
produce); --rule runs one rule. `hotline seasonal list` shows the rules and what they produced.
Bad input: a message and exit status 2."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from hotline import periods
from hotline.errors import DomainError
from hotline.governance import seasonal
from hotline.governance.models import SeasonalOrder, SeasonalRule


class Command(BaseCommand):
    help = "季节性规则（未诉先办）：run 生成到期的主动治理工单；list 列出规则及其生成的工单"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["run", "list"])
        parser.add_argument("--date", dest="day", default="", help="按这一天运行 YYYY-MM-DD（默认今天）")
        parser.add_argument("--rule", dest="rule", default="", help="只运行这条规则（编号）")
        parser.add_argument("--json", action="store_true", help="每条规则输出一行JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["what"] == "list":
            self._list()
            return
        try:
            day = periods.parse_day(opts["day"], "date") if opts["day"] else timezone.localdate()
        except DomainError as exc:
            self.stderr.write(str(exc.message))
            sys.exit(2)
        rule_ids = None
        if opts["rule"]:
            raw = opts["rule"].strip()
            if not raw.isdigit() or len(raw) > 12 or not SeasonalRule.objects.filter(pk=int(raw)).exists():
                self.stderr.write(f"没有编号为 {raw} 的季节性规则。")
                sys.exit(2)
            rule_ids = [int(raw)]
        report = seasonal.run(day, rule_ids=rule_ids)
        for r in report.rules:
            if opts["json"]:
                self.stdout.write(json.dumps({
                    "rule_id": r.rule_id, "rule": r.rule, "season": r.season, "places": r.places,
                    "created": r.created, "existing": r.existing, "skipped": r.skipped}, ensure_ascii=False))
            elif r.season is None:
                self.stdout.write(f"{r.rule}：{day} 不在生成期内。")
            else:
                self.stdout.write(f"{r.rule}（{r.season}年度）：上季投诉地点{r.places}处，新生成{len(r.created)}件"
                                  f"{'（' + '、'.join(r.created) + '）' if r.created else ''}，已生成过{r.existing}件"
                                  + (f"，未生成{len(r.skipped)}处：" + "；".join(r.skipped) if r.skipped else "。"))
        if not opts["json"]:
            self.stdout.write(f"共新生成主动治理工单{report.created}件。")

    def _list(self) -> None:
        for rule in SeasonalRule.objects.order_by("pk"):
            made = SeasonalOrder.objects.filter(rule=rule).select_related("order").order_by("-season", "place")
            state = "启用" if rule.active else "停用"
            self.stdout.write(f"#{rule.pk} {rule.name}（{rule.start_month}月{rule.start_day}日，提前{rule.days_ahead}天，{state}）："
                              f"已生成{made.count()}件")
            for m in made[:200]:
                self.stdout.write(f"  {m.season} {m.place} {m.order.number if m.order else '—'} "
                                  f"{m.order.state_label if m.order else ''}")
