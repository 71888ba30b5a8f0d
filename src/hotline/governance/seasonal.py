"""Seasonal rules (未诉先办): before a matter returns with its season, a proactive order goes to
each place that complained about it last season.

`run(today)` takes every active rule whose generation day (the season's start less `days_ahead`)
has come, and whose season has not yet run its course, finds last season's complaining places
and creates one proactive order per place through the orders' action (do_create_proactive, the
system as actor, source "seasonal", source_ref the rule's id). A place is an area and a place key
(governance.core.place_key: an estate, a site, a road, a junction), as hotspots key them; orders
without a place key are left out (there is nowhere to inspect). The unit is the rule's fixed
unit, else the unit that led most of that place's complaints last season (the latest one's on a
tie), else the responsibility list's for the place.

Idempotent: a SeasonalOrder row (rule, season, area, place) is written in the order's own
transaction, and its unique constraint refuses a second, from the same run, a later run or
another worker at the same moment (that transaction rolls back, order and all)."""

from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.models import Area, Category
from hotline.errors import DomainError
from hotline.orders import actions
from hotline.orders.models import Source, WorkOrder
from hotline.orders.states import State

from . import core
from .models import SeasonalOrder, SeasonalRule

FIELDS = {"place", "area", "name", "count", "year", "start", "last_from", "last_to"}
TITLE_FIELDS = FIELDS - {"last_from", "last_to"}
MAX_DAYS_AHEAD = 180
MAX_LOOKBACK = 366


# ---- the rule's own checks (the admin's form calls them through SeasonalRule.clean) --------------


def _template_error(text: str, allowed: set[str]) -> str:
    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text or "") if name is not None]
    except ValueError:
        return _("模板中的花括号不成对：请用 {place} 这样的写法。")
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        return _("模板中有不认识的字段：%(f)s。可用：%(ok)s。") % {
            "f": "、".join(unknown), "ok": "、".join("{" + a + "}" for a in sorted(allowed))}
    return ""


def rule_errors(rule: SeasonalRule) -> dict[str, list[str]]:
    """What is wrong with a rule, by field (empty when it can run)."""
    errors: dict[str, list[str]] = {}
    month, day = rule.start_month, rule.start_day
    if month is None or not 1 <= month <= 12:
        errors["start_month"] = [_("月份须在1到12之间。")]
    elif day is None or not 1 <= day <= 31:
        errors["start_day"] = [_("日期须在1到31之间。")]
    else:
        try:
            dt.date(2023, month, day)  # not a leap year: 29 February is not every year's
        except ValueError:
            errors["start_day"] = [_("%(m)d月没有%(d)d日（2月29日不是每年都有）。") % {"m": month, "d": day}]
    if rule.days_ahead is not None and rule.days_ahead > MAX_DAYS_AHEAD:
        errors["days_ahead"] = [_("提前天数不能超过%(n)d天。") % {"n": MAX_DAYS_AHEAD}]
    if rule.lookback_days is None or not 1 <= rule.lookback_days <= MAX_LOOKBACK:
        errors["lookback_days"] = [_("回看天数须在1到%(n)d天之间。") % {"n": MAX_LOOKBACK}]
    if rule.min_complaints is None or rule.min_complaints < 1:
        errors["min_complaints"] = [_("最少投诉件数至少为1。")]
    for name, allowed in (("title_template", TITLE_FIELDS), ("description_template", FIELDS)):
        message = _template_error(getattr(rule, name), allowed)
        if message:
            errors[name] = [message]
    if rule.unit_id is not None and rule.unit is not None and not (rule.unit.handles_orders and rule.unit.active):
        errors["unit"] = [_("固定承办单位须是启用的承办单位。")]
    return errors


# ---- seasons -------------------------------------------------------------------------------------


def season_start(rule: SeasonalRule, year: int) -> dt.date:
    return dt.date(year, rule.start_month, rule.start_day)


def generation_day(rule: SeasonalRule, year: int) -> dt.date:
    return season_start(rule, year) - dt.timedelta(days=rule.days_ahead)


def due_season(rule: SeasonalRule, today: dt.date) -> int | None:
    """The season (the year it starts) whose orders are due today: its generation day has come
    and the season (start + lookback_days) is not over. None when none is."""
    for year in (today.year + 1, today.year, today.year - 1):
        start = season_start(rule, year)
        if generation_day(rule, year) <= today < start + dt.timedelta(days=rule.lookback_days):
            return year
    return None


def last_season(rule: SeasonalRule, year: int) -> tuple[dt.datetime, dt.datetime]:
    """The previous season's window, as local times: last year's start, for lookback_days days."""
    tz = timezone.get_current_timezone()
    start = season_start(rule, year - 1)
    end = start + dt.timedelta(days=rule.lookback_days)
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz), dt.datetime.combine(end, dt.time.min, tzinfo=tz))


# ---- last season's places ------------------------------------------------------------------------


@dataclass
class Place:
    area_id: int | None
    place: str
    orders: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.orders)


def _category_ids(rule: SeasonalRule) -> list[int]:
    chosen = list(rule.categories.values_list("path", flat=True))
    if not chosen:
        return []
    q = Q()
    for path in chosen:
        q |= Q(path=path) | Q(path__startswith=f"{path}/")
    return list(Category.objects.filter(q).values_list("pk", flat=True))


def _area_ids(rule: SeasonalRule) -> list[int] | None:
    chosen = set(rule.areas.values_list("pk", flat=True))
    if not chosen:
        return None
    children: dict[int | None, list[int]] = {}
    for pk, parent in Area.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    out, todo = set(chosen), list(chosen)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return sorted(out)


def places(rule: SeasonalRule, year: int) -> list[Place]:
    """The places that complained last season about the rule's matter, with at least
    min_complaints orders each: callers' orders (not proactive ones), screened-out ones left out."""
    categories = _category_ids(rule)
    if not categories:
        return []
    lo, hi = last_season(rule, year)
    qs = WorkOrder.objects.filter(source=Source.CALL, received_at__gte=lo, received_at__lt=hi,
                                  category_id__in=categories).exclude(state=State.SCREENED_OUT)
    areas = _area_ids(rule)
    if areas is not None:
        qs = qs.filter(area_id__in=areas)
    found: dict[tuple[int, str], Place] = {}
    for row in qs.order_by("received_at", "id").values("id", "area_id", "address", "title", "description",
                                                       "latitude", "longitude", "lead_unit_id", "category_id"):
        key = core.place_key(row["address"] or "", f"{row['title']} {row['description'] or ''}",
                             latitude=row["latitude"], longitude=row["longitude"])
        if not key or key.startswith("geo:"):
            continue  # nowhere named to inspect
        block = (row["area_id"] or 0, key)
        found.setdefault(block, Place(row["area_id"], key)).orders.append(row)
    return sorted((p for p in found.values() if p.count >= rule.min_complaints),
                  key=lambda p: (-p.count, p.area_id or 0, p.place))


def unit_for(rule: SeasonalRule, place: Place) -> tuple[int | None, str]:
    """(unit id, basis): the rule's fixed unit; else the unit that led most of the place's
    complaints last season (the latest order's unit on a tie); else the responsibility list's."""
    if rule.unit_id is not None:
        return rule.unit_id, "fixed"
    counts = Counter(o["lead_unit_id"] for o in place.orders if o["lead_unit_id"] is not None)
    if counts:
        top = max(counts.values())
        latest = next(o["lead_unit_id"] for o in reversed(place.orders) if counts.get(o["lead_unit_id"]) == top)
        return latest, "last_season"
    category = _top_category(place)
    rule_ = snapshot.current().rule_for(category, place.area_id, timezone.localdate()) if category else None
    if rule_ is not None:
        return rule_.lead_unit_id, "list"
    return None, ""


def _top_category(place: Place) -> int | None:
    counts = Counter(o["category_id"] for o in place.orders if o["category_id"] is not None)
    return counts.most_common(1)[0][0] if counts else None


def _address(place: Place) -> str:
    counts = Counter((o["address"] or "").strip() for o in place.orders if (o["address"] or "").strip())
    return counts.most_common(1)[0][0][:200] if counts else place.place


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render(template: str, values: dict[str, Any]) -> str:
    try:
        return template.format_map(_Fields(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


# ---- the run ---------------------------------------------------------------------------------------


@dataclass
class RuleResult:
    rule_id: int
    rule: str
    season: int | None
    places: int = 0
    created: list[str] = field(default_factory=list)  # order numbers
    existing: int = 0
    skipped: list[str] = field(default_factory=list)  # why a place got no order


@dataclass
class RunReport:
    day: dt.date
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(len(r.created) for r in self.rules)

    @property
    def existing(self) -> int:
        return sum(r.existing for r in self.rules)


def run(today: dt.date | None = None, *, rule_ids: list[int] | None = None) -> RunReport:
    """Generate the due proactive orders of every active rule (or of `rule_ids`), for the season
    due on `today` (default: today). Safe to run any number of times, by any number of workers."""
    today = today or timezone.localdate()
    report = RunReport(today)
    rules = SeasonalRule.objects.filter(active=True).order_by("pk")
    if rule_ids is not None:
        rules = rules.filter(pk__in=rule_ids)
    for rule in rules:
        report.rules.append(run_rule(rule, today))
    return report


def run_rule(rule: SeasonalRule, today: dt.date) -> RuleResult:
    year = due_season(rule, today)
    result = RuleResult(rule.pk, rule.name, year)
    if year is None:
        return result
    problems = rule_errors(rule)
    if problems:  # saved around the admin's checks (a migration, the shell): said, not run
        result.skipped.append(_("规则设置有误，未运行：%(e)s") % {
            "e": "；".join(str(m) for ms in problems.values() for m in ms)})
        return result
    found = places(rule, year)
    result.places = len(found)
    done = set(SeasonalOrder.objects.filter(rule=rule, season=year).values_list("area_id_value", "place"))
    area_names = dict(Area.objects.values_list("pk", "name"))
    lo, hi = last_season(rule, year)
    system = actions.system_user()
    for place in found:
        if (place.area_id or 0, place.place) in done:
            result.existing += 1
            continue
        unit_id, basis = unit_for(rule, place)
        if unit_id is None:
            result.skipped.append(_("%(p)s：找不到承办单位（去年无人办理，权责清单也无条目）。") % {"p": place.place})
            continue
        values = {"place": place.place, "area": area_names.get(place.area_id, ""), "name": rule.name,
                  "count": place.count, "year": year, "start": f"{season_start(rule, year):%Y-%m-%d}",
                  "last_from": f"{lo:%Y-%m-%d}", "last_to": f"{(hi - dt.timedelta(days=1)):%Y-%m-%d}"}
        title = _render(rule.title_template, values).strip()[:200] or rule.name[:200]
        description = _render(rule.description_template, values).strip() or title
        note = _("季节性规则“%(r)s”：去年同期该地点投诉%(n)d件。") % {"r": rule.name, "n": place.count}
        try:
            with actions.one_transaction():
                claim = SeasonalOrder.objects.create(rule=rule, season=year, area_id_value=place.area_id or 0,
                                                     place=place.place, complaints=place.count, unit_basis=basis,
                                                     created_at=timezone.now())
                order = actions.do_create_proactive(
                    actor=system, title=title, description=description, area_id=place.area_id,
                    address=_address(place), category_id=_top_category(place), unit_id=unit_id,
                    source=Source.SEASONAL, source_ref=rule.pk, note=note[:1000])
                claim.order = order
                claim.save(update_fields=["order"])
        except IntegrityError:
            result.existing += 1  # another run made it first: its order stands
            continue
        except DomainError as exc:
            result.skipped.append(f"{place.place}：{exc.message}")
            continue
        result.created.append(order.number)
    return result
