"""Unreasonable requests: the centre's queue of units' reports, a unit's own reports and how they
ended, and the callers' marks with their contests (docs/unreasonable.md). Pages only read; every
decision is an action on the order page (the registry's forms)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotline.directory.roles import UNIT_ROLES, Role
from hotline.orders.models import CallerMark, MarkContest, UnreasonableReport
from hotline.orders.registry import REGISTRY
from hotline.orders.selectors import orders_visible_to
from hotline.orders.states import Action
from hotline.orders.validation import mask_phone

from .common import paginate, roles_required, shows_full_phone

A, R = Action, Role
TABS = ("pending", "upheld", "rejected", "all")


def reports_visible_to(user: Any) -> Any:
    """The reports a person sees: a unit's people the reports of their own unit (on orders they
    still see or not: how their reports ended stays theirs to read); the centre every report."""
    qs = UnreasonableReport.objects.all()
    if Role(user.role) in UNIT_ROLES:
        return qs.filter(unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs.filter(order__in=orders_visible_to(user))


@roles_required(R.SUPERVISOR, R.DISPATCHER, R.HANDLER, R.UNIT_HEAD)
def reports(request: HttpRequest) -> HttpResponse:
    """Supervisors: the reports waiting for a decision, oldest first (each links to its order,
    where the decision is taken), and the decided ones. A unit: its own reports and their outcome.
    Dispatchers read the queue (the decision is the supervisors')."""
    user = request.user
    base = reports_visible_to(user)
    is_unit = Role(user.role) in UNIT_ROLES
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else ("all" if is_unit else "pending")
    qs = base if tab == "all" else base.filter(status=tab)
    qs = qs.select_related("order", "unit", "by", "decided_by").prefetch_related("evidence")
    qs = qs.order_by("at", "pk") if tab == "pending" else qs.order_by("-at", "-pk")
    page = paginate(request, qs, 30)
    counts = dict(base.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return render(request, "web/unreasonable.html", {
        "tab": tab, "page": page, "counts": counts, "total": sum(counts.values()),
        "is_unit": is_unit,
        "decisions": [(A.UPHOLD_UNREASONABLE.value, REGISTRY[A.UPHOLD_UNREASONABLE].label, "danger"),
                      (A.REJECT_UNREASONABLE.value, REGISTRY[A.REJECT_UNREASONABLE].label, "secondary")],
    })


@roles_required(R.AGENT, R.DISPATCHER, R.SUPERVISOR)
def marks(request: HttpRequest) -> HttpResponse:
    """The callers' marks in force (not lifted, not expired) and the contests waiting for a
    supervisor. The number is shown as the person may see it."""
    now = timezone.now()
    pending = (MarkContest.objects.filter(outcome=MarkContest.Outcome.PENDING)
               .select_related("mark", "order", "by").order_by("at"))
    active = (CallerMark.objects.filter(lifted_at__isnull=True, expires_at__gt=now)
              .select_related("order").order_by("-created_at"))
    page = paginate(request, active, 50)
    full = shows_full_phone(request.user)
    rows = [{"mark": m, "phone": m.phone if full else mask_phone(m.phone)} for m in page.object_list]
    return render(request, "web/marks.html", {
        "pending": [{"contest": c, "phone": c.mark.phone if full else mask_phone(c.mark.phone)} for c in pending[:100]],
        "page": page, "rows": rows, "now": now,
        "decisions": [(A.LIFT_MARK.value, REGISTRY[A.LIFT_MARK].label, "secondary"),
                      (A.KEEP_MARK.value, REGISTRY[A.KEEP_MARK].label, "")],
    })
