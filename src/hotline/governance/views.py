"""The hotspot board (supervisors and dispatchers): the hottest matters of a period with their
weekly trend, and one hotspot's orders, categories and units. Pages only read: hotspots are
built by the worker (each new order) and the nightly build."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotline import periods
from hotline.directory.models import Area, Category
from hotline.directory.roles import Role
from hotline.errors import InvalidInput
from hotline.orders.selectors import orders_visible_to
from hotline.web.views.common import paginate, roles_required

from . import rootcause, selectors
from .models import SHAPE_CHOICES, Finding, Hotspot, RootCause, SeasonalOrder, SeasonalRule
from .seasonal import due_season, generation_day, season_start

BOARD_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN)
DEFAULT_DAYS = 90


def _bounds(request: HttpRequest) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    today = timezone.localdate()
    params = {"from": request.GET.get("from") or (today - dt.timedelta(days=DEFAULT_DAYS)).isoformat(),
              "to": request.GET.get("to") or today.isoformat()}
    first, last = periods.period(params, today=today)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return first, last, start, end


@roles_required(*BOARD_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    first, last, start, end = _bounds(request)
    shape = request.GET.get("shape", "")
    if shape not in dict(SHAPE_CHOICES):
        shape = ""
    page = paginate(request, selectors.hotspots_between(start, end, shape=shape), 30)
    built = Hotspot.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return render(request, "governance/board.html", {
        "page": page, "first": first, "last": last, "shape": shape, "shapes": SHAPE_CHOICES, "built": built})


@roles_required(*BOARD_ROLES)
def detail(request: HttpRequest, root: int) -> HttpResponse:
    hotspot = Hotspot.objects.select_related("area").filter(root_order_id=root).first()
    if hotspot is None:
        raise Http404
    orders = list(selectors.members(root)[:500])
    findings = list(Finding.objects.filter(root_order_id=root).select_related("actor").order_by("-seq"))
    labels = dict(RootCause.objects.values_list("code", "label"))
    for f in findings:
        f.cause_labels = [labels.get(c, c) for c in f.causes]
    return render(request, "governance/detail.html", {
        "h": hotspot, "orders": orders, "figures": rootcause.figures(root), "findings": findings,
        "causes": RootCause.objects.filter(active=True), "may_record": request.user.role in rootcause.RECORDERS})


@require_POST
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def record_finding(request: HttpRequest, root: int) -> HttpResponse:
    """A supervisor's root-cause finding (rootcause.record_finding): refused input is a 4xx page
    in the user's language (the DomainError middleware), and nothing is written."""
    rootcause.record_finding(root, actor=request.user, causes=request.POST.getlist("causes"),
                             note=request.POST.get("note", ""))
    return redirect("governance:hotspot", root=root)


@roles_required(*BOARD_ROLES)
def causes(request: HttpRequest) -> HttpResponse:
    """Root-cause figures of a category and/or an area in a period (default the last 90 days),
    over the orders the reader may see."""
    first, last, start, end = _bounds(request)
    category_id = _id_param(request, "category")
    area_id = _id_param(request, "area")
    qs = rootcause.orders_of(orders_visible_to(request.user), category_id=category_id, area_id=area_id,  # type: ignore[arg-type]
                             start=start, end=end)
    return render(request, "governance/causes.html", {
        "figures": rootcause.figures_of(qs.values("id")), "first": first, "last": last, "category_id": category_id,
        "area_id": area_id, "categories": Category.objects.filter(active=True).order_by("path"),
        "areas": Area.objects.order_by("name")})


def _id_param(request: HttpRequest, name: str) -> int | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(_("参数%(name)s无效。") % {"name": name}, details={name: [_("请选择列表中的一项。")]})
    return int(raw)


@roles_required(*BOARD_ROLES)
def seasonal_rules(request: HttpRequest) -> HttpResponse:
    """The seasonal rules (未诉先办) and the proactive orders each produced, by season: where each
    order is in the loop now. The rules are edited in the admin; the worker runs them daily."""
    today = timezone.localdate()
    rules = []
    for rule in SeasonalRule.objects.prefetch_related("categories", "areas").select_related("unit").order_by("pk"):
        made = list(SeasonalOrder.objects.filter(rule=rule).select_related("order", "order__lead_unit")
                    .order_by("-season", "place")[:300])
        year = due_season(rule, today)
        upcoming = year if year is not None else (today.year if season_start(rule, today.year) > today else today.year + 1)
        rules.append({
            # the board's roles are the district's: they see every order
            "rule": rule, "made": made, "due": year is not None,
            "next_generation": generation_day(rule, upcoming), "next_start": season_start(rule, upcoming),
            "closed": sum(1 for m in made if m.order and m.order.state == "closed"),
        })
    return render(request, "governance/seasonal.html", {"rules": rules, "today": today})
