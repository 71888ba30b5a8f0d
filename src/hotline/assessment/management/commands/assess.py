"""`hotline assess --from YYYY-MM-DD --to YYYY-MM-DD [--json]`: each unit's figures for a period
(one JSON object per line with --json); `hotline assess --rebuild` rebuilds the daily aggregates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hotline import periods
from hotline.assessment import burden, gaming, indicators, joint, rechecks, stats
from hotline.assessment import supervision as supervision_figures
from hotline.errors import InvalidInput

KEYS = [
    "unit", "unit_code", "group", "orders", "valid_callbacks", "response_rate", "resolution_rate", "satisfaction_rate",
    "composite", "small_sample", "resolution_ci", "satisfaction_ci", "rank", "redo_rate", "return_rate",
    "returns_upheld", "returns_rejected", "pingpong_orders", "sign_on_time", "contact_on_time", "reply_on_time",
    "extension_rate", "replies_late", "overdue_now", "hours_to_dispatch", "days_to_close", "excluded_valid",
    "expected_resolution", "expected_satisfaction", "resolution_vs_expected", "satisfaction_vs_expected",
    "excluded_unreasonable",
    # the group's scheme (assessment/scoring.py): the score out of 100 and each indicator's line
    "score", "score_lines", "scheme_version", "scheme_adjusted", "upheld_return_rate", "repeat_calls", "repeat_rate",
    "adjusted_resolution", "adjusted_satisfaction",
]


def _date(value: str) -> dt.date:
    """A date read as the pages read theirs (hotline.periods)."""
    try:
        return periods.parse_day(value, "date")
    except InvalidInput:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "考核指标：每个承办单位一行（--json 每行一个JSON对象）；--rebuild 重算日统计。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", help="起始日期 YYYY-MM-DD（默认本月1日）")
        parser.add_argument("--to", dest="last", help="截止日期 YYYY-MM-DD（含当日，默认今天）")
        parser.add_argument("--json", action="store_true", help="每个单位输出一行JSON")
        parser.add_argument("--rebuild", action="store_true", help="从工单数据重算日统计（到昨天为止）")
        parser.add_argument("--all-units", action="store_true", help="也列出本期没有工单的单位")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["rebuild"]:
            if opts["first"] or opts["last"]:
                first = _date(opts["first"]) if opts["first"] else timezone.localdate().replace(day=1)
                last = _date(opts["last"]) if opts["last"] else timezone.localdate() - dt.timedelta(days=1)
                written = stats.rebuild(first, last)
            else:
                written = stats.rebuild_all()
            self.stdout.write(f"已重算：单位日统计{written['unit_rows']}行，分类日统计{written['mix_rows']}行。")
            if not opts["json"] and not (opts["first"] and opts["last"]):
                return
        today = timezone.localdate()
        first = _date(opts["first"]) if opts["first"] else today.replace(day=1)
        last = _date(opts["last"]) if opts["last"] else today
        if last < first:
            raise CommandError("截止日期早于起始日期。")
        rows = indicators.unit_table(first, last)
        fired = gaming.check(first, last)
        cut = rechecks.deductions(first, last)
        measured = {r["unit_id"]: r for r in burden.burden(first, last)["units"]}
        supervised = supervision_figures.per_unit(first, last)
        co = joint.figures(first, last)
        for row in rows:
            if not opts["all_units"] and not (row["orders"] or row["valid_callbacks"] or row["replies"]
                                              or row["proactive_verified"] or row["unit_id"] in co):
                continue
            out = {k: row.get(k) for k in KEYS}
            # Proactive work (未诉先办), outside the callback-based rates: orders the centre verified
            # and closed in the period, and how many passed at the first verification.
            out["proactive"] = {"verified": row["proactive_verified"], "first_time": row["proactive_first_time"],
                                "first_time_rate": row["proactive_first_time_rate"]}
            out["gaming"] = fired.get(row["unit_id"], [])
            out["gaming_suspect"] = gaming.suspect(out["gaming"])
            # ratings a re-check found fabricated, and the administrator's deduction for them
            out["deductions"] = cut.get(row["unit_id"], {"count": 0, "points": 0.0})
            # supervision (督办): received, answered on time, missed, escalated to the city
            out["supervision"] = supervised.get(row["unit_id"], supervision_figures.empty())
            # joint handling (docs/joint.md): its own parts as a co-unit, its share of the joint
            # orders' callbacks, and (as lead) the redos that named a co-unit's part
            out["joint"] = co.get(row["unit_id"], joint.empty_row())
            # the burden of the procedures measured from the trace (assessment/burden.py), for the
            # orders the unit first replied to in the period
            m = measured.get(row["unit_id"], {})
            out["burden"] = {k: m.get(k, 0 if k in ("orders", "replies") else None) for k in burden.MEASURES}
            if opts["json"]:
                self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
            else:
                self.stdout.write(self._line(out))

    @staticmethod
    def _line(r: dict[str, Any]) -> str:
        def pct(x: float | None) -> str:
            return "—" if x is None else f"{100 * x:.1f}%"

        flags = ",".join(g["check"] for g in r["gaming"])
        mark = "（样本不足）" if r["small_sample"] else ""
        return (f"{r['unit']}{mark} 工单{r['orders']} 有效回访{r['valid_callbacks']} 响应{pct(r['response_rate'])} "
                f"解决{pct(r['resolution_rate'])} 满意{pct(r['satisfaction_rate'])} 综合{pct(r['composite'])} "
                f"得分{'—' if r['score'] is None else r['score']} "
                f"重办{pct(r['redo_rate'])} 退单{pct(r['return_rate'])} 排名{r['rank'] or '—'}"
                f" 主动治理办结{r['proactive']['verified']}（一次核验通过{r['proactive']['first_time']}）"
                + (f" 疑似刷分:{flags}" if flags else ""))
