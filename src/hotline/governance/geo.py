"""The district map: the areas' boundaries (a GeoJSON FeatureCollection the administrator
uploads, or `hotline areas load FILE`) and the figures the map page draws on them.

An upload is hostile input: a size limit, JSON that parses, a FeatureCollection of Polygon or
MultiPolygon features only, numeric longitude/latitude pairs within range, and each feature's
`code` property the code of a known Area (once). Any problem refuses the whole file with a
message in the user's language; a valid file replaces every stored boundary in one
transaction, so nothing is ever half-saved."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Area
from hotline.errors import InvalidInput

from .models import AreaBoundary, Hotspot

MAX_BYTES = 2 * 1024 * 1024  # a district's hand-drawn or simplified areas fit in far less
MAX_FEATURES = 500
MAX_POINTS = 200_000  # coordinate pairs in the whole file
POINT_LIMIT = 2000  # orders drawn as points: the latest ones of the period
CODE_PROPERTY = "code"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, details={"file": [message]})


def _ring(ring: Any, where: str, counter: list[int]) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _refuse(_("%(where)s：多边形的每个环至少需要4个坐标点。") % {"where": where})
    out = []
    for pos in ring:
        if (not isinstance(pos, list) or len(pos) not in (2, 3)
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)):
            raise _refuse(_("%(where)s：坐标必须是数字组成的[经度, 纬度]。") % {"where": where})
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise _refuse(_("%(where)s：坐标超出经度（-180至180）或纬度（-90至90）范围。") % {"where": where})
        out.append([lon, lat])
    counter[0] += len(out)
    if counter[0] > MAX_POINTS:
        raise _refuse(_("坐标点过多（最多%(n)d个），请先简化边界。") % {"n": MAX_POINTS})
    if out[0] != out[-1]:
        raise _refuse(_("%(where)s：多边形的环必须首尾闭合。") % {"where": where})
    return out


def _polygon(rings: Any, where: str, counter: list[int]) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise _refuse(_("%(where)s：多边形坐标格式不正确。") % {"where": where})
    return [_ring(r, where, counter) for r in rings]


def _geometry(geometry: Any, where: str, counter: list[int]) -> dict[str, Any]:
    if not isinstance(geometry, dict):
        raise _refuse(_("%(where)s：缺少几何图形（geometry）。") % {"where": where})
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": _polygon(coords, where, counter)}
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _refuse(_("%(where)s：多边形坐标格式不正确。") % {"where": where})
        return {"type": "MultiPolygon", "coordinates": [_polygon(p, where, counter) for p in coords]}
    raise _refuse(_("%(where)s：只接受Polygon或MultiPolygon类型的几何图形。") % {"where": where})


def parse_boundaries(raw: bytes) -> list[tuple[Area, dict[str, Any]]]:
    """Check a GeoJSON file; (area, clean geometry) per feature, or InvalidInput."""
    if len(raw) > MAX_BYTES:
        raise _refuse(_("文件过大（最大%(mb)dMB）。") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not raw.strip():
        raise _refuse(_("文件为空。"))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _refuse(_("文件不是有效的GeoJSON（JSON格式错误）。")) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _refuse(_("文件必须是GeoJSON的FeatureCollection。"))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _refuse(_("FeatureCollection中没有区域（features为空）。"))
    if len(features) > MAX_FEATURES:
        raise _refuse(_("区域过多（最多%(n)d个）。") % {"n": MAX_FEATURES})
    areas = {a.code: a for a in Area.objects.all()}
    seen: set[str] = set()
    counter = [0]
    out = []
    for i, feature in enumerate(features, start=1):
        where = _("第%(i)d个区域") % {"i": i}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _refuse(_("%(where)s不是GeoJSON的Feature。") % {"where": where})
        props = feature.get("properties")
        code = props.get(CODE_PROPERTY) if isinstance(props, dict) else None
        if not isinstance(code, str) or not code.strip():
            raise _refuse(_("%(where)s缺少区域编码（属性code）。") % {"where": where})
        code = code.strip()
        if code not in areas:
            raise _refuse(_("%(where)s的区域编码“%(code)s”不是已有区域。") % {"where": where, "code": code[:40]})
        if code in seen:
            raise _refuse(_("区域编码“%(code)s”出现了两次。") % {"code": code})
        seen.add(code)
        out.append((areas[code], _geometry(feature.get("geometry"), where, counter)))
    return out


def save_boundaries(raw: bytes) -> int:
    """Check the file and replace every stored boundary with its areas, all or nothing."""
    rows = parse_boundaries(raw)
    now = timezone.now()
    with transaction.atomic():
        AreaBoundary.objects.all().delete()
        AreaBoundary.objects.bulk_create(AreaBoundary(area=a, geometry=g, updated_at=now) for a, g in rows)
    return len(rows)


def _bounds(geometries: list[dict[str, Any]]) -> list[list[float]] | None:
    lons: list[float] = []
    lats: list[float] = []
    for g in geometries:
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                for lon, lat in ring:
                    lons.append(lon)
                    lats.append(lat)
    if not lons:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]  # Leaflet's [[south, west], [north, east]]


def map_data(orders: Any, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The map's figures for orders received in [start, end): per area its order volume and its
    hotspot heat (the sum of the scores of the hotspots whose time range overlaps the period,
    and their count), and the latest POINT_LIMIT orders with coordinates as points.
    `orders` is the reader's visible orders (orders.selectors.orders_visible_to)."""
    period = orders.filter(received_at__gte=start, received_at__lt=end)
    volume = dict(period.filter(area__isnull=False).values_list("area_id").annotate(n=Count("id")))
    heat = {row["area_id"]: row for row in Hotspot.objects.filter(last_at__gte=start, first_at__lt=end,
                                                                   area__isnull=False)
            .values("area_id").annotate(heat=Sum("score"), hotspots=Count("id"), top=Max("score"))}
    boundaries = list(AreaBoundary.objects.select_related("area").order_by("area__code"))
    features = [{
        "type": "Feature", "geometry": b.geometry,
        "properties": {"code": b.area.code, "name": b.area.name, "orders": volume.get(b.area_id, 0),
                       "heat": round(heat.get(b.area_id, {}).get("heat") or 0.0, 2),
                       "hotspots": heat.get(b.area_id, {}).get("hotspots", 0)},
    } for b in boundaries]
    located = period.filter(latitude__isnull=False, longitude__isnull=False)
    total_located = located.count()
    points = [{"number": n, "title": t, "lat": la, "lon": lo}
              for n, t, la, lo in located.order_by("-received_at", "-id")
              .values_list("number", "title", "latitude", "longitude")[:POINT_LIMIT]]
    return {"areas": {"type": "FeatureCollection", "features": features},
            "bounds": _bounds([b.geometry for b in boundaries]),
            "points": points, "points_total": total_located, "point_limit": POINT_LIMIT,
            "orders_total": period.count()}
