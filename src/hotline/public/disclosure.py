"""Public disclosure (社会公示) under /public/stats/: without login, each month's district figures,
the ranking of units within their groups and the counts of requests screened out by reason, each
with a CSV download, at one stable URL per month (/public/stats/YYYY-MM/).

Every figure is the assessment's own (indicators.unit_table, indicators.district_figures, the
ranking of rates.rank with its minimum sample); nothing here computes a rate. Screened-out
requests are counted by reason only: no number, name, phone, title or text of any order leaves
this module.

A month's figures are computed once and kept in Django's cache, keyed on the assessment's build
mark (StatsBuild: a rebuild or a history import moves it, so the page changes with the figures).
A month that is not wholly built (the current month, or a past month after an import) is computed
live and kept for LIVE_SECONDS only. Anonymous visitors get `Cache-Control: public`; a signed-in
user's copy is made private by web.middleware.PrivatePagesMiddleware."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline import exports
from hotline.assessment import indicators, stats
from hotline.assessment.models import StatsBuild
from hotline.assessment.rates import config
from hotline.orders.actions import SCREEN_REASONS
from hotline.orders.models import WorkOrder
from hotline.orders.states import State

MONTH = re.compile(r"\A(\d{4})-(\d{2})\Z")
# How long a month computed (partly) live is kept, and how long a wholly built one (its key also
# changes with every rebuild): seconds.
LIVE_SECONDS = 60
BUILT_SECONDS = 3600
# What browsers and proxies may keep, for anonymous visitors: seconds.
MAX_AGE_PAST = 600
MAX_AGE_LIVE = 60
MAX_AGE_INDEX = 300
KEY = "public-disclosure:v1"


# ---- months ------------------------------------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def _stamp() -> str:
    """The build mark as a cache-key part (one query)."""
    row = StatsBuild.objects.filter(key="default").values_list("built_from", "built_through", "built_at").first()
    if row is None:
        return "none"
    return "|".join("" if v is None else v.isoformat() for v in row)


def first_month(stamp: str) -> dt.date | None:
    """The month of the first order received (None without orders), cached with the build mark."""
    key = f"{KEY}:first:{stamp}"
    found = cache.get(key)
    if found is None:
        first = WorkOrder.objects.order_by("received_at").values_list("received_at", flat=True).first()
        found = _month_start(timezone.localtime(first).date()).isoformat() if first is not None else ""
        cache.set(key, found, LIVE_SECONDS)
    if not found:
        return None
    return max(dt.date.fromisoformat(found), _month_start(settings.HOTLINE_EARLIEST_DATE))


def parse_month(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The first day of month "YYYY-MM" when it is a real month that has begun (not in the future)
    and not before HOTLINE_EARLIEST_DATE; None for anything else."""
    m = MONTH.match(text or "")
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return None
    try:
        start = dt.date(year, month, 1)
    except ValueError:
        return None
    today = today or timezone.localdate()
    if start > _month_start(today) or start < _month_start(settings.HOTLINE_EARLIEST_DATE):
        return None
    return start


def months_disclosed(stamp: str, today: dt.date | None = None) -> list[dt.date]:
    """The months with a page, newest first: from the first order's month through the current one
    (which the pages mark as in progress)."""
    today = today or timezone.localdate()
    start = first_month(stamp)
    if start is None:
        return []
    out, month = [], _month_start(today)
    while month >= start and len(out) < 600:
        out.append(month)
        month = _previous_month(month)
    return out


# ---- one month's figures ---------------------------------------------------------------------------------


def _last_day(month: dt.date) -> dt.date:
    return _next_month(month) - dt.timedelta(days=1)


def compute_month(month: dt.date) -> dict[str, Any]:
    """A month's public figures, language-neutral (codes, numbers, unit names) so one cached copy
    serves every language. Rates as the assessment computes them; units below the minimum sample
    are kept, marked small_sample, without a rank; units with nothing that month are left out."""
    first, last = month, _last_day(month)
    cfg = config()
    with stats.memo():
        totals = stats.unit_totals(first, last)
        mix = stats.mix_totals(first, last)
        units = indicators.unit_table(first, last, cfg=cfg, totals=totals, mix=mix)
        district = indicators.district_figures(first, last)
    # Intake volume: the case-mix rows without a unit, as the assessment's overview sums them.
    received = sum(c["received"] for (u, _cat, _urg), c in mix.items() if u is None)
    groups: list[dict[str, Any]] = []
    for row in units:
        if not row["orders"] and not row["valid_callbacks"] and not row["callbacks"]:
            continue
        if not groups or groups[-1]["group"] != row["group"]:
            groups.append({"group": row["group"], "units": []})
        groups[-1]["units"].append({
            "unit": row["unit"], "rank": row["rank"], "small_sample": bool(row["small_sample"]),
            "orders": row["orders"], "valid_callbacks": row["valid_callbacks"],
            "response_rate": row["response_rate"], "resolution_rate": row["resolution_rate"],
            "satisfaction_rate": row["satisfaction_rate"], "composite": row["composite"],
            "reply_on_time": row["reply_on_time"],
        })
    lo, hi = stats.day_bounds(first, last)
    counted = dict(WorkOrder.objects.filter(state=State.SCREENED_OUT, closed_at__gte=lo, closed_at__lt=hi)
                   .exclude(screen_reason="").values_list("screen_reason")
                   .annotate(n=Count("pk")).values_list("screen_reason", "n"))
    screened = [{"reason": code, "count": counted.pop(code, 0)} for code in SCREEN_REASONS]
    screened += [{"reason": code, "count": n} for code, n in sorted(counted.items())]  # retired reasons
    _stored, live = stats.split(first, last)
    return {
        "month": month.isoformat(), "live": bool(live), "min_sample": cfg["min_sample"],
        "district": {
            "received": received, "orders": district["orders"], "valid_callbacks": district["valid_callbacks"],
            "response_rate": district["response_rate"], "resolution_rate": district["resolution_rate"],
            "satisfaction_rate": district["satisfaction_rate"], "reply_on_time": district["reply_on_time"],
            "replies": district["replies"], "replies_late": district["replies_late"],
            "small_sample": bool(district["small_sample"]),
        },
        "groups": groups,
        "screened": screened, "screened_total": sum(r["count"] for r in screened),
    }


def month_figures(month: dt.date, stamp: str) -> dict[str, Any]:
    """compute_month(month), from the cache when this build mark's copy is there."""
    key = f"{KEY}:month:{month:%Y-%m}:{stamp}"
    data = cache.get(key)
    if data is None:
        data = compute_month(month)
        cache.set(key, data, LIVE_SECONDS if data["live"] else BUILT_SECONDS)
    return data


# ---- what a page shows ------------------------------------------------------------------------------------


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def score(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def group_label(code: str) -> str:
    return _(indicators.GROUP_LABELS[code]) if code in indicators.GROUP_LABELS else code


def reason_label(code: str) -> str:
    return str(SCREEN_REASONS[code]) if code in SCREEN_REASONS else code


def _in_progress(month: dt.date, today: dt.date) -> bool:
    return month == _month_start(today)


def _public(request: HttpRequest, response: HttpResponse, max_age: int) -> HttpResponse:
    if not request.user.is_authenticated:
        patch_cache_control(response, public=True, max_age=max_age)
    return response


def not_found(request: HttpRequest, text: str = "") -> HttpResponse:
    """The disclosure's own 404 page, in the visitor's language, with the way back to the index."""
    return render(request, "public/stats_not_found.html", {"nav": "stats", "text": text}, status=404)


def _month_or_404(request: HttpRequest, text: str) -> tuple[dt.date | None, str, HttpResponse | None]:
    today = timezone.localdate()
    month = parse_month(text, today=today)
    if month is None:
        return None, "", not_found(request, text)
    stamp = _stamp()
    start = first_month(stamp)
    if start is None or month < start:
        return None, "", not_found(request, text)
    return month, stamp, None


# ---- views -----------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    months = months_disclosed(_stamp(), today)
    items = [{"month": m, "slug": f"{m:%Y-%m}", "in_progress": _in_progress(m, today)} for m in months]
    response = render(request, "public/stats_index.html", {"nav": "stats", "months": items})
    return _public(request, response, MAX_AGE_INDEX)


def month_page(request: HttpRequest, month: str) -> HttpResponse:
    start, stamp, missing = _month_or_404(request, month)
    if missing is not None or start is None:
        return missing  # type: ignore[return-value]
    today = timezone.localdate()
    data = month_figures(start, stamp)
    d = data["district"]
    slug = f"{start:%Y-%m}"
    first = first_month(stamp)
    previous = _previous_month(start)
    groups = [{
        "label": group_label(g["group"]),
        "units": [{**u, "response": pct(u["response_rate"]), "resolution": pct(u["resolution_rate"]),
                   "satisfaction": pct(u["satisfaction_rate"]), "score": score(u["composite"]),
                   "on_time": pct(u["reply_on_time"])} for u in g["units"]],
    } for g in data["groups"]]
    context = {
        "nav": "stats", "month": start, "slug": slug, "in_progress": _in_progress(start, today),
        "live": data["live"], "min_sample": data["min_sample"], "district": d,
        "rates": {"response": pct(d["response_rate"]), "resolution": pct(d["resolution_rate"]),
                  "satisfaction": pct(d["satisfaction_rate"]), "on_time": pct(d["reply_on_time"])},
        "groups": groups,
        "screened": [{"label": reason_label(r["reason"]), "count": r["count"]} for r in data["screened"]],
        "screened_total": data["screened_total"],
        "previous": f"{previous:%Y-%m}" if first is not None and previous >= first else "",
        "next": f"{_next_month(start):%Y-%m}" if _next_month(start) <= _month_start(today) else "",
        "csv": {name: reverse(f"public:stats_{name}", args=[slug]) for name in ("figures", "rankings", "screened")},
    }
    response = render(request, "public/stats_month.html", context)
    return _public(request, response, MAX_AGE_LIVE if context["in_progress"] or data["live"] else MAX_AGE_PAST)


FIGURE_COLUMNS = [
    ("received", gettext_lazy("受理诉求")), ("orders", gettext_lazy("派单")),
    ("valid_callbacks", gettext_lazy("有效回访")), ("response_rate", gettext_lazy("联系率")),
    ("resolution_rate", gettext_lazy("解决率")), ("satisfaction_rate", gettext_lazy("满意率")),
    ("replies", gettext_lazy("答复")), ("reply_on_time", gettext_lazy("按时答复率")),
]


def _csv(request: HttpRequest, month: str, build: Any, name: str) -> HttpResponse:
    start, stamp, missing = _month_or_404(request, month)
    if missing is not None or start is None:
        return missing  # type: ignore[return-value]
    data = month_figures(start, stamp)
    header, rows = build(data)
    response = exports.download(header, rows, name=f"12345-{start:%Y-%m}-{name}", fmt="csv")
    live = data["live"] or _in_progress(start, timezone.localdate())
    return _public(request, response, MAX_AGE_LIVE if live else MAX_AGE_PAST)


def _figures_table(data: dict[str, Any]) -> tuple[list[Any], list[list[Any]]]:
    d = data["district"]
    return ([_("月份"), *[label for _k, label in FIGURE_COLUMNS]],
            [[data["month"][:7], *[d[k] for k, _label in FIGURE_COLUMNS]]])


def _rankings_table(data: dict[str, Any]) -> tuple[list[Any], list[list[Any]]]:
    header = [_("月份"), _("单位类别"), _("组内排名"), _("单位"), _("派单"), _("有效回访"), _("联系率"), _("解决率"),
              _("满意率"), _("综合得分"), _("按时答复率")]
    rows = []
    for g in data["groups"]:
        for u in g["units"]:
            rows.append([data["month"][:7], group_label(g["group"]), u["rank"] if u["rank"] is not None else _("样本不足"),
                         u["unit"], u["orders"], u["valid_callbacks"], u["response_rate"], u["resolution_rate"],
                         u["satisfaction_rate"], u["composite"], u["reply_on_time"]])
    return header, rows


def _screened_table(data: dict[str, Any]) -> tuple[list[Any], list[list[Any]]]:
    return ([_("月份"), _("原因代码"), _("不予受理原因"), _("件数")],
            [[data["month"][:7], r["reason"], reason_label(r["reason"]), r["count"]] for r in data["screened"]])


def figures_csv(request: HttpRequest, month: str) -> HttpResponse:
    return _csv(request, month, _figures_table, "figures")


def rankings_csv(request: HttpRequest, month: str) -> HttpResponse:
    return _csv(request, month, _rankings_table, "rankings")


def screened_csv(request: HttpRequest, month: str) -> HttpResponse:
    return _csv(request, month, _screened_table, "screened")
