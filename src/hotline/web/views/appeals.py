"""Appeals (申诉, docs/appeals.md): the centre's queue of units' appeals (against a redo, a
callback, a monthly score) with the overdue ones flagged and a CSV/XLSX export; a unit's own
appeals and how they ended; the unit head's filing of a score appeal.

GETs only read. The decisions on order appeals are actions on the order (the registry's forms,
posted to the order's act URL); the steps of a score appeal go through assessment/appeal_actions.py
(POSTs here)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from hotline import exports
from hotline.assessment import appeal_actions
from hotline.assessment.models import ScoreAppeal
from hotline.directory.roles import UNIT_ROLES, Role
from hotline.errors import DomainError
from hotline.orders.actions.appeal import is_overdue
from hotline.orders.models import AppealReason, OrderAppeal
from hotline.orders.registry import REGISTRY
from hotline.orders.selectors import orders_visible_to
from hotline.orders.states import Action

from .common import roles_required
from .evidence import serve

A, R = Action, Role
TABS = ("pending", "overdue", "decided", "all")
READERS = (R.SUPERVISOR, R.DISPATCHER, R.REVIEWER, R.ADMIN, R.HANDLER, R.UNIT_HEAD)
COLUMNS = [
    ("kind", _l("申诉类型")), ("target", _l("申诉对象")), ("unit", _l("申诉单位")), ("reasons", _l("申诉理由")),
    ("explanation", _l("申诉说明")), ("filed_at", _l("申诉时间")), ("due", _l("裁定时限")), ("status", _l("裁定结果")),
    ("overdue", _l("超期")), ("decided_by", _l("裁定人")), ("decided_at", _l("裁定时间")),
    ("decision_note", _l("裁定意见")), ("correction", _l("得分更正（分）")),
]
MAX_ROWS = 500


def order_appeals_visible_to(user: Any) -> Any:
    """A unit's people: the appeals of their own unit; the centre: the appeals on orders it sees."""
    qs = OrderAppeal.objects.select_related("order", "unit", "by", "decided_by", "review", "callback")
    if Role(user.role) in UNIT_ROLES:
        return qs.filter(unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs.filter(order__in=orders_visible_to(user))


def _tab(qs: Any, tab: str, status_field: str, now: Any) -> Any:
    pending = {status_field: "pending"}
    if tab == "pending":
        return qs.filter(**pending).order_by("due", "pk")
    if tab == "overdue":
        return qs.filter(**pending, due__lt=now).order_by("due", "pk")
    if tab == "decided":
        return qs.exclude(**pending).order_by("-decided_at", "-pk")
    return qs.order_by("-pk")


def _labels(codes: list[str], labels: dict[str, Any]) -> str:
    return "、".join(str(labels.get(c, c)) for c in codes)


def _order_row(a: OrderAppeal, now: Any) -> dict[str, Any]:
    return {"kind": a.get_kind_display(), "target": a.order.number, "unit": str(a.unit),
            "reasons": _labels(a.reasons, dict(AppealReason.choices)), "explanation": a.explanation,
            "filed_at": timezone.localtime(a.at), "due": timezone.localtime(a.due), "status": a.get_status_display(),
            "overdue": _("是") if is_overdue(a, now) else "", "decided_by": str(a.decided_by or ""),
            "decided_at": timezone.localtime(a.decided_at) if a.decided_at else None,
            "decision_note": a.decision_note, "correction": None}


def _score_row(a: ScoreAppeal, now: Any) -> dict[str, Any]:
    labels = appeal_actions.indicator_choices()
    return {"kind": _("考核得分申诉"), "target": f"{a.month:%Y-%m} " + _labels(a.indicators, labels),
            "unit": str(a.unit), "reasons": _labels(a.reasons, {k: _(v) for k, v in
                                                                appeal_actions.SCORE_APPEAL_REASONS.items()}),
            "explanation": a.explanation, "filed_at": timezone.localtime(a.filed_at),
            "due": timezone.localtime(a.due), "status": _(appeal_actions.STATE_LABELS.get(a.state, a.state)),
            "overdue": _("是") if appeal_actions.is_overdue(a, now) else "", "decided_by": str(a.decided_by or ""),
            "decided_at": timezone.localtime(a.decided_at) if a.decided_at else None,
            "decision_note": a.decision_note, "correction": a.correction}


def _page(request: HttpRequest, *, error: str = "", form: dict[str, Any] | None = None, status: int = 200
          ) -> HttpResponse:
    user = request.user
    now = timezone.now()
    is_unit = Role(user.role) in UNIT_ROLES
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else ("all" if is_unit else "pending")
    orders_qs = order_appeals_visible_to(user)
    scores_qs = appeal_actions.visible_to(user)
    order_rows = list(_tab(orders_qs, tab, "status", now).prefetch_related("evidence")[:MAX_ROWS])
    score_rows = list(_tab(scores_qs, tab, "state", now)[:MAX_ROWS])
    fmt = request.GET.get("format", "")
    if fmt:
        rows = [_order_row(a, now) for a in order_rows] + [_score_row(a, now) for a in score_rows]
        return exports.table_download(rows, COLUMNS, name=f"appeals-{tab}", fmt=fmt)
    counts = {
        "pending": orders_qs.filter(status="pending").count() + scores_qs.filter(state="pending").count(),
        "overdue": (orders_qs.filter(status="pending", due__lt=now).count()
                    + scores_qs.filter(state="pending", due__lt=now).count()),
        "decided": orders_qs.exclude(status="pending").count() + scores_qs.exclude(state="pending").count(),
    }
    counts["all"] = counts["pending"] + counts["decided"]
    labels = appeal_actions.indicator_choices()
    return render(request, "web/appeals.html", {
        "tab": tab, "counts": counts, "is_unit": is_unit, "now": now, "error": error, "form": form or {},
        "order_appeals": [{"a": a, "overdue": is_overdue(a, now),
                           "reasons": _labels(a.reasons, dict(AppealReason.choices))} for a in order_rows],
        "score_appeals": [{"a": a, "overdue": appeal_actions.is_overdue(a, now),
                           "state": _(appeal_actions.STATE_LABELS.get(a.state, a.state)),
                           "indicators": _labels(a.indicators, labels)} for a in score_rows],
        "may_decide": user.role == R.SUPERVISOR, "may_file": user.role == R.UNIT_HEAD and bool(user.unit_id),
        **score_appeal_form_context(),
        "decisions": [(A.UPHOLD_APPEAL.value, REGISTRY[A.UPHOLD_APPEAL].label, "danger"),
                      (A.REJECT_APPEAL.value, REGISTRY[A.REJECT_APPEAL].label, "secondary")],
    }, status=status)


def score_appeal_form_context(month: Any = None) -> dict[str, Any]:
    """What the score appeal form (web/_score_appeal_form.html) needs; the month to offer first is
    the one asked for, else last month."""
    if month is None:
        first = timezone.localdate().replace(day=1)
        month = (first - dt.timedelta(days=1)).replace(day=1)
    return {"indicator_choices": list(appeal_actions.indicator_choices().items()),
            "reason_choices": [(k, _(v)) for k, v in appeal_actions.SCORE_APPEAL_REASONS.items()],
            "appeal_month": f"{month:%Y-%m}"}


@roles_required(*READERS)
def appeals(request: HttpRequest) -> HttpResponse:
    """The queue: pending appeals by deadline (overdue flagged), the decided ones, all; ?format=csv
    or xlsx exports the tab."""
    return _page(request)


@roles_required(*READERS)
def score_appeal_evidence(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """A score appeal's file, to whoever reads the appeal (else the same 404 as for none); served
    as the orders' evidence is (its verified type, a download unless a re-encoded photo)."""
    appeal = appeal_actions.visible_to(request.user).filter(pk=appeal_id).first()
    if appeal is None or not appeal.evidence:
        raise Http404(_("材料不存在或您无权查看。"))
    return serve(SimpleNamespace(content_type=appeal.evidence_type, file=appeal.evidence, name=appeal.evidence_name))


@roles_required(R.UNIT_HEAD)
@require_POST
def file_score_appeal(request: HttpRequest) -> HttpResponse:
    """The unit head files an appeal against the unit's monthly score."""
    form = {"month": request.POST.get("month", ""), "explanation": request.POST.get("explanation", ""),
            "order_numbers": request.POST.get("order_numbers", ""),
            "indicators": request.POST.getlist("indicators"), "reasons": request.POST.getlist("reasons")}
    try:
        appeal_actions.file(actor=request.user, month=form["month"], indicators=form["indicators"],
                            reasons=form["reasons"], explanation=form["explanation"],
                            order_numbers=form["order_numbers"], upload=request.FILES.get("evidence"))
    except DomainError as exc:
        return _page(request, error=str(exc.message), form=form, status=400)
    return redirect(f"{reverse('web:appeals')}?tab=all")


@roles_required(R.SUPERVISOR, R.UNIT_HEAD)
@require_POST
def score_appeal_step(request: HttpRequest, appeal_id: int, verb: str) -> HttpResponse:
    """A supervisor upholds (with the correction) or rejects a score appeal; the unit head
    withdraws the unit's own."""
    note = request.POST.get("note", "")
    try:
        if verb == "uphold":
            appeal_actions.uphold(appeal_id, actor=request.user, correction=request.POST.get("correction", ""),
                                  note=note)
        elif verb == "reject":
            appeal_actions.reject(appeal_id, actor=request.user, note=note)
        elif verb == "withdraw":
            appeal_actions.withdraw(appeal_id, actor=request.user, note=note)
        else:
            return _page(request, error=_("未知的操作。"), status=400)
    except DomainError as exc:
        return _page(request, error=str(exc.message), status=exc.status)
    return redirect(f"{reverse('web:appeals')}?tab=decided")
