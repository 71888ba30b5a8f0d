"""The district map (supervisors, dispatchers, administrators): the areas' own boundaries, drawn
by the vendored Leaflet with no tile server, shaded by order volume or hotspot heat, orders with
coordinates as points. The page carries no data; static/governance/map.js fetches it from
map_data (the Content Security Policy forbids inline scripts). Administrators upload the
boundaries (a GeoJSON file, checked by governance.geo) on boundaries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hotline.directory.roles import Role
from hotline.errors import InvalidInput
from hotline.orders.selectors import orders_visible_to
from hotline.web.views.common import roles_required

from . import geo
from .models import AreaBoundary
from .views import BOARD_ROLES, _bounds


@roles_required(*BOARD_ROLES)
def map_page(request: HttpRequest) -> HttpResponse:
    first, last, _start, _end = _bounds(request)
    return render(request, "governance/map.html", {
        "first": first, "last": last, "point_limit": geo.POINT_LIMIT,
        "has_boundaries": AreaBoundary.objects.exists(), "may_upload": request.user.role == Role.ADMIN})


@roles_required(*BOARD_ROLES)
def map_data(request: HttpRequest) -> JsonResponse:
    _first, _last, start, end = _bounds(request)
    data = geo.map_data(orders_visible_to(request.user), start, end)
    data["labels"] = {"orders": _("工单数"), "heat": _("热点热度"), "hotspots": _("热点数"),
                      "points": _("有坐标的工单"),
                      "note": _("图中点位为该期间有坐标的工单中最新的至多%(limit)d个（共%(total)d个有坐标）；"
                                "该期间工单共%(orders)d个。点击区域查看数据。")
                      % {"limit": data["point_limit"], "total": data["points_total"], "orders": data["orders_total"]}}
    return JsonResponse(data)


@roles_required(Role.ADMIN)
def boundaries(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput(_("请选择GeoJSON文件。"))
            if upload.size > geo.MAX_BYTES:  # an OversizeUpload past the request limit has no content
                raise InvalidInput(_("文件过大（最大%(mb)dMB）。") % {"mb": geo.MAX_BYTES // (1024 * 1024)})
            n = geo.save_boundaries(upload.read(geo.MAX_BYTES + 1))
        except InvalidInput as e:
            error = str(e.message)
        else:
            messages.success(request, _("已保存%(n)d个区域的边界。") % {"n": n})
            return redirect("governance:map")
    stored = list(AreaBoundary.objects.select_related("area"))
    return render(request, "governance/boundaries.html", {"error": error, "stored": stored,
                                                          "max_mb": geo.MAX_BYTES // (1024 * 1024)},
                  status=400 if error else 200)
