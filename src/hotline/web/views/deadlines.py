"""The deadline rules page: the reply limits by kind of problem in force today, the urgency
tiers' defaults they take precedence over, and every version past and scheduled. Read only:
the administrator edits the rules in the admin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hotline.directory.models import DeadlineRule, Urgency, limit_label
from hotline.directory.roles import Role
from hotline.orders.models import WorkOrder

from .common import roles_required

R = Role


@roles_required(R.AGENT, R.DISPATCHER, R.REVIEWER, R.CALLBACK, R.SUPERVISOR, R.ADMIN, R.HANDLER, R.UNIT_HEAD)
def deadline_rules(request: HttpRequest) -> HttpResponse:
    """Every deadline rule: those in force today first, then the history (ended and scheduled
    versions), each with the number of orders whose reply clock it set."""
    today = timezone.localdate()
    used = dict(WorkOrder.objects.filter(deadline_rule__isnull=False).values_list("deadline_rule")
                .annotate(n=Count("pk")).values_list("deadline_rule", "n"))
    rules = list(DeadlineRule.objects.select_related("category", "profile")
                 .order_by("category__path", "profile__name", "-effective_from"))
    rows: list[dict[str, Any]] = [{"rule": r, "used": used.get(r.pk, 0), "status": _status(r, today)} for r in rules]
    tiers = []
    for value, label in Urgency.choices:
        limits = settings.HOTLINE_CLOCKS.get(value) or settings.HOTLINE_CLOCKS["general"]
        tiers.append({"label": label, **{k: limit_label(*limits[k]) for k in ("sign", "contact", "reply")}})
    return render(request, "web/deadlines.html", {
        "today": today, "tiers": tiers,
        "current": [r for r in rows if r["status"] == "current"],
        "history": [r for r in rows if r["status"] != "current"],
        "can_edit": request.user.role == R.ADMIN and request.user.is_staff,  # type: ignore[union-attr]
    })


def _status(rule: DeadlineRule, today: Any) -> str:
    if rule.in_force(today):
        return "current"
    return "scheduled" if rule.effective_from > today else "ended"
