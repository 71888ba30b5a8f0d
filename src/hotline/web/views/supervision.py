"""The supervision list (督办件): the centre's supervisions by tab (active, due soon, overdue,
answered, escalated to the city, ended), filtered by unit and state, exported as CSV or XLSX; a
unit's people see their own unit's. Pages only read: every step is an action on the order page
(the registry's forms). docs/supervision.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline import exports
from hotline.directory.models import Unit
from hotline.directory.roles import UNIT_ROLES, Role
from hotline.errors import InvalidInput
from hotline.orders.models import Supervision
from hotline.orders.selectors import SUPERVISION_TABS, supervision_tab, supervisions_visible_to
from hotline.orders.validation import as_id

from .common import paginate, roles_required

R = Role
TAB_LABELS = {
    "active": gettext_lazy("督办中"), "due_soon": gettext_lazy("即将到期"), "overdue": gettext_lazy("逾期未反馈"),
    "answered": gettext_lazy("已反馈待办结"), "escalated": gettext_lazy("已提请市级联合督办"),
    "ended": gettext_lazy("已办结/撤销"), "all": gettext_lazy("全部"),
}
COLUMNS = [
    ("number", gettext_lazy("工单编号")), ("title", gettext_lazy("标题")), ("unit", gettext_lazy("被督办单位")),
    ("level", gettext_lazy("督办级别")), ("state", gettext_lazy("督办状态")), ("instruction", gettext_lazy("督办要求")),
    ("opened_by", gettext_lazy("督办人")), ("opened_at", gettext_lazy("督办时间")), ("due", gettext_lazy("反馈时限")),
    ("feedback_at", gettext_lazy("反馈时间")), ("on_time", gettext_lazy("按期反馈")), ("feedback", gettext_lazy("督办反馈")),
    ("escalated_at", gettext_lazy("提请联合督办时间")), ("escalation", gettext_lazy("提请方式")),
    ("ended_at", gettext_lazy("办结/撤销时间")), ("end_note", gettext_lazy("办结/撤销意见")),
]
EXPORT_LIMIT = 50_000


def _filtered(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    user = request.user
    base = supervisions_visible_to(user)  # type: ignore[arg-type]
    is_unit = Role(user.role) in UNIT_ROLES  # type: ignore[union-attr]
    tab = request.GET.get("tab") or "active"
    if tab not in SUPERVISION_TABS:
        raise InvalidInput(_("未知的分类。"), details={"tab": [tab[:20]]})
    qs = supervision_tab(base, tab, timezone.now())
    state = request.GET.get("state") or ""
    if state:
        if state not in Supervision.State.values:
            raise InvalidInput(_("未知的督办状态。"), details={"state": [state[:20]]})
        qs = qs.filter(state=state)
    unit_id = None
    raw_unit = request.GET.get("unit") or ""
    if raw_unit and not is_unit:
        unit_id = as_id(raw_unit)
        if unit_id is None:
            raise InvalidInput(_("单位编号无效。"), details={"unit": [raw_unit[:20]]})
        qs = qs.filter(unit_id=unit_id)
    qs = qs.select_related("order", "unit", "opened_by").order_by("due", "pk")
    counts = {t: supervision_tab(base, t).count() for t in SUPERVISION_TABS}
    return qs, {"tab": tab, "state": state, "unit_id": unit_id, "is_unit": is_unit, "counts": counts}


def _row(sup: Supervision) -> dict[str, Any]:
    return {"number": sup.order.number, "title": sup.order.title, "unit": sup.unit.name if sup.unit else "",
            "level": sup.get_level_display(), "state": sup.get_state_display(), "instruction": sup.instruction,
            "opened_by": str(sup.opened_by), "opened_at": sup.opened_at, "due": sup.due,
            "feedback_at": sup.feedback_at, "on_time": sup.on_time, "feedback": sup.feedback,
            "escalated_at": sup.escalated_at, "escalation": sup.get_escalation_display() if sup.escalation else "",
            "ended_at": sup.ended_at, "end_note": sup.end_note}


@roles_required(R.SUPERVISOR, R.DISPATCHER, R.HANDLER, R.UNIT_HEAD)
def supervision_list(request: HttpRequest) -> HttpResponse:
    """督办件: ?tab= one of SUPERVISION_TABS, ?state=, ?unit= (the centre), ?format=csv|xlsx."""
    qs, ctx = _filtered(request)
    fmt = request.GET.get("format", "")
    if fmt:
        rows = [_row(s) for s in qs[:EXPORT_LIMIT]]
        return exports.table_download(rows, COLUMNS, name=f"supervision-{ctx['tab']}", fmt=fmt)
    page = paginate(request, qs, 50)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    now = timezone.now()
    return render(request, "web/supervision.html", {
        **ctx, "page": page, "now": now, "query": query.urlencode(),
        "tabs": [(t, TAB_LABELS[t], ctx["counts"][t]) for t in SUPERVISION_TABS],
        "states": Supervision.State.choices,
        "units": [] if ctx["is_unit"] else Unit.objects.filter(handles_orders=True, active=True).order_by("name"),
    })
