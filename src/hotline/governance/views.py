"""The hotspot board (supervisors and dispatchers): the hottest matters of a period with their
weekly trend, and one hotspot's orders, categories and units. Pages only read: hotspots are
built by the worker (each new order) and the nightly build."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotline import periods
from hotline.directory.roles import Role
from hotline.web.views.common import paginate, roles_required

from . import selectors
from .models import SHAPE_CHOICES, Hotspot

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
    return render(request, "governance/detail.html", {"h": hotspot, "orders": orders})
