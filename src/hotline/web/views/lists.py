"""Search and lists, exports, and the supervisor's overview."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import periods
from hotline.directory.roles import Role
from hotline.orders.models import STATE_LABELS, WorkOrder
from hotline.orders.selectors import open_orders, orders_visible_to, overdue
from hotline.orders.states import State

from ..forms import OrderFilterForm
from .common import paginate, phone_for, roles_required

EXPORT_LIMIT = 200_000


def filtered_orders(request: HttpRequest) -> tuple[OrderFilterForm, QuerySet[WorkOrder]]:
    form = OrderFilterForm(request.GET or None)
    qs = orders_visible_to(request.user)  # type: ignore[arg-type]
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            q = d["q"].strip()
            qs = qs.filter(Q(number=q) | Q(title__contains=q) | Q(address__contains=q) | Q(caller_phone=q))
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


def _export_rows(request: HttpRequest, qs: QuerySet[WorkOrder]) -> Iterator[list[Any]]:
    def fmt(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        return "" if value is None else value

    for o in qs[:EXPORT_LIMIT].iterator(chunk_size=2000):
        yield [
            o.number, fmt(o.received_at), str(STATE_LABELS[State(o.state)]), o.get_channel_display(), o.caller_name,
            phone_for(request.user, o), o.area.name if o.area else "", o.address,
            o.category.path if o.category else "", o.title, o.lead_unit.name if o.lead_unit else "",
            o.get_urgency_display(), fmt(o.reply_due), fmt(o.replied_at), fmt(o.closed_at), o.redo_count,
            o.return_count,
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def order_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or Excel."""
    _form, qs = filtered_orders(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    header = [label for _key, label in EXPORT_COLUMNS]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("工单"))
        ws.append(header)
        for row in _export_rows(request, qs):
            ws.append(row)
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.xlsx"'
        wb.save(response)
        return response
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in _export_rows(request, qs):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    return response


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
