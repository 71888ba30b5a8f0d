"""Scoring that fits each unit group: the scheme in force for a group and a month (versioned data
the administrator edits, models.ScoringScheme), its validation, and the score of one unit's
figures, line by line. docs/scoring.md says the same for the people who set the schemes.

The arithmetic, kept simple enough to explain to a unit:

- an indicator where higher is better (response, resolution, satisfaction, on-time replies,
  upheld returns): points = weight × min(value ÷ target, 1). Proactive work (未诉先办) is a count of
  proactive orders verified and closed: its target is the count that earns the whole weight. Reaching the target earns the whole
  weight; half the target earns half.
- an indicator where lower is better (redo, repeat calls): the target is the highest rate that
  still earns the whole weight; points = weight × min((1 − value) ÷ (1 − target), 1). At or
  under the target: the whole weight; a rate of 100 %: nothing.
- weights are points out of 100 and sum to 100, so with every line measured the score is the sum
  of the points. A line with nothing to measure this period (no decided returns, no replies) is
  left out and the score is rescaled over the lines that were measured:
  score = 100 × Σ points ÷ Σ weights of the measured lines. No line measured: no score.
- a group that ranks "on the difficulty-adjusted figures" reads resolution and satisfaction as
  the district's rate plus the unit's lead over (or gap to) the rate its mix of matters predicts
  (indicators.difficulty); the other lines are read as they are.

The default scheme (10 response, 50 resolution, 40 satisfaction, targets 100 %) gives
score = 100 × composite: the seed reproduces the composite of DESIGN.md until an administrator
edits a group's scheme."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.errors import InvalidInput

from .models import ScoringScheme


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str  # marked for translation (gettext_noop); translated at use
    key: str  # the row's field (indicators.unit_table)
    higher_is_better: bool
    adjusted_key: str = ""  # the difficulty-adjusted field, where there is one
    count: bool = False  # a count (target: how many earn the whole weight), not a share 0..1


INDICATORS: dict[str, Indicator] = {i.code: i for i in [
    Indicator("response", gettext_noop("响应率"), "response_rate", True),
    Indicator("resolution", gettext_noop("解决率"), "resolution_rate", True, "adjusted_resolution"),
    Indicator("satisfaction", gettext_noop("满意率"), "satisfaction_rate", True, "adjusted_satisfaction"),
    Indicator("reply_on_time", gettext_noop("按时答复率"), "reply_on_time", True),
    Indicator("redo", gettext_noop("重办率"), "redo_rate", False),
    Indicator("returns_upheld", gettext_noop("退单成立率"), "upheld_return_rate", True),
    Indicator("repeat_calls", gettext_noop("重复来电率"), "repeat_rate", False),
    Indicator("proactive", gettext_noop("主动治理核验办结"), "proactive_verified", True, count=True),
]}
MAX_COUNT_TARGET = 10000

# Today's composite (DESIGN.md), as a scheme: what the data migration seeds for every group.
DEFAULT_LINES = [{"indicator": "response", "weight": 10, "target": 1.0},
                 {"indicator": "resolution", "weight": 50, "target": 1.0},
                 {"indicator": "satisfaction", "weight": 40, "target": 1.0}]
GROUPS = ["street", "department", "company", "authority", "community", "other", "centre"]
SEED_MONTH = dt.date(2000, 1, 1)
MAX_NOTE = 200


def label(code: str) -> str:
    ind = INDICATORS.get(code)
    return _(ind.label) if ind else code


# ---- validation ------------------------------------------------------------------------------------


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(_("%(what)s应为数字。") % {"what": what})
    try:
        n = float(value)
    except ValueError:
        raise InvalidInput(_("%(what)s应为数字：%(v)s") % {"what": what, "v": str(value)[:40]}) from None
    if not math.isfinite(n):
        raise InvalidInput(_("%(what)s应为数字：%(v)s") % {"what": what, "v": str(value)[:40]})
    return n


def validate(lines: Any) -> list[dict[str, Any]]:
    """The scheme's lines, checked and normalised ([{indicator, weight, target}], weights as
    numbers summing to 100, targets as shares 0..1); InvalidInput in the user's language else."""
    if not isinstance(lines, list) or not lines:
        raise InvalidInput(_("考核方案至少要有一项指标。"))
    if len(lines) > len(INDICATORS):
        raise InvalidInput(_("考核指标重复或过多。"))
    out, seen = [], set()
    for line in lines:
        if not isinstance(line, dict) or set(line) - {"indicator", "weight", "target"}:
            raise InvalidInput(_("每项指标应写明 indicator、weight、target。"))
        code = line.get("indicator")
        if not isinstance(code, str) or code not in INDICATORS:
            raise InvalidInput(_("未知的考核指标：%(v)s（可选：%(all)s）")
                               % {"v": str(code)[:40], "all": "、".join(INDICATORS)})
        if code in seen:
            raise InvalidInput(_("考核指标重复：%(v)s") % {"v": label(code)})
        seen.add(code)
        name = label(code)
        weight = _number(line.get("weight"), _("%(i)s的权重") % {"i": name})
        if weight < 0 or weight > 100:
            raise InvalidInput(_("%(i)s的权重应在0到100之间。") % {"i": name})
        target = _number(line.get("target", 1.0 if INDICATORS[code].higher_is_better else 0.0),
                         _("%(i)s的目标值") % {"i": name})
        if INDICATORS[code].count:
            if not 1 <= target <= MAX_COUNT_TARGET:
                raise InvalidInput(_("%(i)s的目标值是件数，应在1到%(n)d之间。") % {"i": name, "n": MAX_COUNT_TARGET})
        elif INDICATORS[code].higher_is_better and not 0 < target <= 1:
            raise InvalidInput(_("%(i)s的目标值应大于0且不超过1（100%%）。") % {"i": name})
        if not INDICATORS[code].higher_is_better and not 0 <= target < 1:
            raise InvalidInput(_("%(i)s越低越好，目标值（可接受的最高比例）应不小于0且小于1。") % {"i": name})
        out.append({"indicator": code, "weight": weight, "target": target})
    total = sum(line["weight"] for line in out)
    if abs(total - 100) > 1e-6:
        raise InvalidInput(_("各项权重之和应为100，现为%(t)s。") % {"t": f"{total:g}"})
    return out


def check_month(month: Any, *, today: dt.date | None = None) -> dt.date:
    """A new version's first month: the first day of this month or of a later one."""
    if not isinstance(month, dt.date):
        raise InvalidInput(_("生效月份应为日期。"))
    if month.day != 1:
        raise InvalidInput(_("考核方案从某月1日起生效。"))
    today = today or timezone.localdate()
    if month < today.replace(day=1):
        raise InvalidInput(_("已经过去的月份按原方案考核，新版本只能从本月或以后的月份生效。"))
    return month


def save_version(*, group: str, effective_from: dt.date, lines: Any, adjusted: bool = False, note: str = "",
                 actor: Any = None, today: dt.date | None = None) -> ScoringScheme:
    """Record a new version of a group's scheme from a month on (this month or later). A version
    for the same group and month that has not begun yet is replaced; one already in force is
    never touched."""
    if group not in GROUPS:
        raise InvalidInput(_("未知的单位类别：%(v)s") % {"v": str(group)[:40]})
    clean = validate(lines)
    month = check_month(effective_from, today=today)
    if not isinstance(adjusted, bool):
        raise InvalidInput(_("“按难度调整排名”应为是或否。"))
    note = str(note or "")
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("说明不能超过%(n)d字。") % {"n": MAX_NOTE})
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            existing = ScoringScheme.objects.select_for_update().filter(group=group, effective_from=month).first()
            if existing is not None:
                if existing.effective_from <= today:
                    raise InvalidInput(_("该月的方案已经生效，不能修改；请从以后的月份新增版本。"))
                existing.lines, existing.adjusted, existing.note = clean, adjusted, note
                existing.created_by = actor if getattr(actor, "pk", None) else None
                existing.save()
                return existing
            version = (ScoringScheme.objects.filter(group=group).aggregate(v=Max("version"))["v"] or 0) + 1
            return ScoringScheme.objects.create(group=group, version=version, effective_from=month, lines=clean,
                                                adjusted=adjusted, note=note,
                                                created_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:
        raise InvalidInput(_("同时有人保存了该类别的方案，请刷新后重试。")) from None


# ---- the scheme in force --------------------------------------------------------------------------


def scheme_for(group: str, day: dt.date) -> ScoringScheme:
    """The version in force for `group` in the month of `day` (the latest from that month or
    before); the default scheme (unsaved, version 0) where a group has none."""
    month = day.replace(day=1)
    found = ScoringScheme.objects.filter(group=group, effective_from__lte=month).order_by("-effective_from").first()
    return found or ScoringScheme(group=group, version=0, effective_from=SEED_MONTH, lines=DEFAULT_LINES)


def schemes_for(day: dt.date) -> dict[str, ScoringScheme]:
    """scheme_for every group at once (one query)."""
    month = day.replace(day=1)
    out: dict[str, ScoringScheme] = {}
    for s in ScoringScheme.objects.filter(effective_from__lte=month).order_by("group", "-effective_from"):
        out.setdefault(s.group, s)
    for g in GROUPS:
        out.setdefault(g, ScoringScheme(group=g, version=0, effective_from=SEED_MONTH, lines=DEFAULT_LINES))
    return out


# ---- the arithmetic -------------------------------------------------------------------------------


def points(value: float | None, weight: float, target: float, higher_is_better: bool,
           count: bool = False) -> float | None:
    """One line's points (module docstring); None when there is nothing to measure. A count
    (proactive work) earns weight × min(count ÷ target, 1)."""
    if value is None:
        return None
    if count:
        return weight * min(max(float(value), 0.0) / target, 1.0)
    value = min(max(float(value), 0.0), 1.0)
    if higher_is_better:
        share = min(value / target, 1.0)
    else:
        share = min((1 - value) / (1 - target), 1.0)
    return weight * share


def score(row: dict[str, Any], scheme: ScoringScheme) -> tuple[float | None, list[dict[str, Any]]]:
    """(score out of 100, score_lines) for one unit's row under a scheme."""
    lines = []
    earned, counted = 0.0, 0.0
    for line in scheme.lines:
        ind = INDICATORS.get(line["indicator"])
        if ind is None:  # an indicator retired since the version was saved: shown, not scored
            continue
        key = ind.adjusted_key if scheme.adjusted and ind.adjusted_key else ind.key
        value = row.get(key)
        weight, target = float(line["weight"]), float(line["target"])
        p = points(value, weight, target, ind.higher_is_better, ind.count)
        if p is not None:
            earned += p
            counted += weight
        lines.append({"indicator": ind.code, "label": _(ind.label), "value": _r(value), "weight": weight,
                      "target": target, "points": _r(p), "higher_is_better": ind.higher_is_better,
                      "count": ind.count, "adjusted": key != ind.key})
    total = None
    if counted > 0:
        total = round(100 * earned / counted, 2)
    return total, lines


def _r(x: Any) -> Any:
    return None if x is None else round(float(x), 4)


# ---- lines outside the scheme: the gaming deduction and appeal corrections ------------------------

ADJUSTMENTS = {
    # ratings a re-check found fabricated, times the administrator's deduction (rechecks.py)
    "gaming_deduction": gettext_noop("刷分扣分（复核认定回访不实）"),
    # upheld score appeals (申诉成立), their corrections summed (appeal_actions.py)
    "appeal_correction": gettext_noop("申诉更正"),
}


def adjust(total: float | None, lines: list[dict[str, Any]], *, deduction: dict[str, Any] | None = None,
           correction: dict[str, Any] | None = None) -> tuple[float | None, list[dict[str, Any]]]:
    """The score after the lines that are not indicators of the scheme: the gaming deduction
    (subtracted) and the corrections of upheld score appeals (added, either sign), each its own
    line of score_lines where there is one (`value` the count, `points` signed). The score stays
    within 0..100; a unit with nothing to score (None) stays unscored, its lines still shown."""
    extra = []
    if deduction and deduction.get("count"):
        extra.append(("gaming_deduction", deduction["count"], -float(deduction.get("points") or 0.0)))
    if correction and correction.get("count"):
        extra.append(("appeal_correction", correction["count"], float(correction.get("points") or 0.0)))
    out = list(lines)
    for code, count, pts in extra:
        out.append({"indicator": code, "label": _(ADJUSTMENTS[code]), "value": count, "weight": None,
                    "target": None, "points": _r(pts), "higher_is_better": pts >= 0, "count": True,
                    "adjusted": False, "adjustment": True})
    if total is None or not extra:
        return total, out
    return round(min(100.0, max(0.0, total + sum(p for _c, _n, p in extra))), 2), out
