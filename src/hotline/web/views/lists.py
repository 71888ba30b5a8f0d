"""Search and lists, exports, and the supervisor's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import exports, periods
from hotline.audit.services import record
from hotline.directory.roles import Role
from hotline.orders.models import STATE_LABELS, WorkOrder
from hotline.orders.selectors import calls, open_orders, orders_visible_to, overdue, proactive
from hotline.orders.states import State
from hotline.orders.validation import normalise_phone

from ..forms import OrderFilterForm
from .common import exports_personal_data, paginate, phone_for, roles_required, shows_full_phone

EXPORT_LIMIT = 200_000


def filtered_orders(request: HttpRequest) -> tuple[OrderFilterForm, QuerySet[WorkOrder]]:
    form = OrderFilterForm(request.GET or None)
    qs = orders_visible_to(request.user)  # type: ignore[arg-type]
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            q = d["q"].strip()
            match = Q(number=q) | Q(title__contains=q) | Q(address__contains=q) | Q(caller_name__contains=q)
            # Only a role that sees full numbers may search by one: for anyone else a match would
            # confirm a guess of the masked digits.
            if shows_full_phone(request.user) and normalise_phone(q):
                match |= Q(caller_phone=normalise_phone(q))
            qs = qs.filter(match)
        if d["state"]:
            qs = qs.filter(state=d["state"])
        if d["unit"]:
            qs = qs.filter(lead_unit=d["unit"])
        if d["category"]:
            qs = qs.filter(category__path__startswith=d["category"].path)
        if d["area"]:
            qs = qs.filter(area=d["area"])
        tz = timezone.get_current_timezone()
        if d["date_from"]:
            qs = qs.filter(received_at__gte=dt.datetime.combine(d["date_from"], dt.time.min, tzinfo=tz))
        if d["date_to"]:
            qs = qs.filter(received_at__lt=dt.datetime.combine(d["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
        if d["overdue"]:
            qs = overdue(qs)
        if d["source"] == "proactive":
            qs = proactive(qs)
        elif d["source"] == "call":
            qs = calls(qs)
        elif d["source"]:
            qs = qs.filter(source=d["source"])
    return form, qs.select_related("lead_unit", "category", "area").order_by("-received_at", "-id")


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    form, qs = filtered_orders(request)
    page = paginate(request, qs, 50)
    rows = [{"order": o, "phone": phone_for(request.user, o)} for o in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/orders.html", {"form": form, "page": page, "rows": rows, "query": query.urlencode()})


EXPORT_COLUMNS = [
    ("number", "工单编号"), ("received_at", "受理时间"), ("state", "状态"), ("channel", "渠道"),
    ("caller_name", "来电人"), ("caller_phone", "联系电话"), ("area", "区域"), ("address", "地址"),
    ("category", "诉求分类"), ("title", "标题"), ("lead_unit", "主办单位"), ("urgency", "紧急程度"),
    ("reply_due", "答复时限"), ("replied_at", "答复时间"), ("closed_at", "办结时间"), ("redo_count", "重办次数"),
    ("return_count", "退单次数"),
]
PERSONAL_COLUMNS = frozenset({"caller_name", "caller_phone"})


def _export_row(o: WorkOrder) -> dict[str, Any]:
    return {
        "number": o.number, "received_at": o.received_at, "state": str(STATE_LABELS[State(o.state)]),
        "channel": o.get_channel_display(), "caller_name": o.caller_name, "caller_phone": o.caller_phone,
        "area": o.area.name if o.area else "", "address": o.address, "category": o.category.path if o.category else "",
        "title": o.title, "lead_unit": o.lead_unit.name if o.lead_unit else "", "urgency": o.get_urgency_display(),
        "reply_due": o.reply_due, "replied_at": o.replied_at, "closed_at": o.closed_at, "redo_count": o.redo_count,
        "return_count": o.return_count,
    }


@login_required
def order_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as CSV or Excel (see hotline.exports). Caller names and full numbers are
    exported only to roles.PERSONAL_EXPORT_ROLES, and each such export is in the security log
    with its filter and row count; everyone else gets the list without those columns."""
    exports.check_format(fmt)
    _form, qs = filtered_orders(request)
    personal = exports_personal_data(request.user)
    columns = [(k, label) for k, label in EXPORT_COLUMNS if personal or k not in PERSONAL_COLUMNS]
    qs = qs[:EXPORT_LIMIT]
    if personal:
        # Counted before the download streams: the log says what was asked for, even if the
        # transfer is cut short.
        record("export", actor=request.user, request=request, target="orders", format=fmt,
               filter={k: v for k, v in request.GET.items()}, rows=qs.count())

    def rows() -> Iterator[list[Any]]:
        for o in qs.iterator(chunk_size=2000):
            row = _export_row(o)
            yield [row[k] for k, _label in columns]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.download([label for _k, label in columns], rows(), name=f"orders-{stamp}", fmt=fmt,
                            sheet=_("工单"), stream=True)


def period_bounds(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?from=&to= (or ?month=), read as every page reads them (hotline.periods)."""
    return periods.period(request.GET)


@roles_required(Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER)
def overview(request: HttpRequest) -> HttpResponse:
    """Counts by state, overdue, the three rates for the period, the busiest categories."""
    start, end = period_bounds(request)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    visible = orders_visible_to(request.user)  # type: ignore[arg-type]
    by_state = dict(visible.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    state_rows = [(str(label), by_state.get(s.value, 0)) for s, label in STATE_LABELS.items()]
    period = visible.filter(received_at__gte=lo, received_at__lt=hi)
    top = list(
        period.exclude(category__isnull=True).values("category__parent__parent__name", "category__parent__name", "category__name")
        .annotate(n=Count("id")).order_by("-n")[:10]
    )
    # "一级 · 三级" keeps the chart's labels short enough to read.
    busiest = [(" · ".join(x for x in (r["category__parent__parent__name"] or r["category__parent__name"], r["category__name"]) if x), r["n"]) for r in top]
    from hotline.assessment import services as assessment

    district = assessment.district_figures(start, end)
    rates = {"n": district["valid_callbacks"], "response": district["response_rate"],
             "resolution": district["resolution_rate"], "satisfaction": district["satisfaction_rate"],
             "composite": district["composite"]}
    context = {
        "start": start, "end": end, "state_rows": state_rows, "busiest": busiest, "rates": rates,
        "received": period.count(), "overdue": overdue(visible).count(),
        "warnings": assessment.warnings_for(request.user)[:10], "freshness": assessment.freshness(start, end),
        "open": open_orders(visible).count(),
    }
    return render(request, "web/overview.html", context)
