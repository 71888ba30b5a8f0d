"""Pages: the daily review of the machine's decisions, and the published screening statistics."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotline import exports, periods
from hotline.directory.models import Category
from hotline.errors import DomainError
from hotline.orders import actions
from hotline.orders.selectors import orders_visible_to
from hotline.web.views.common import paginate, roles_required

from . import pipeline, services
from .models import DecisionKind, TriageDecision


def _decisions(request: HttpRequest):  # type: ignore[no-untyped-def]
    visible = orders_visible_to(request.user)  # type: ignore[arg-type]
    return TriageDecision.objects.filter(order__in=visible).select_related(
        "order", "order__category", "related_order", "reviewed_by"
    )


@roles_required(*pipeline.REVIEW_ROLES)
def review(request: HttpRequest) -> HttpResponse:
    """The day's machine decisions with accept / correct buttons (agents, dispatchers,
    supervisors). ?date=YYYY-MM-DD, default today; ?pending=1 shows only unreviewed ones."""
    if not pipeline.may_review(request.user):
        raise PermissionDenied
    day = periods.day_param(request.GET, "date")
    qs = _decisions(request).filter(services.decisions_on(day)).exclude(kind=DecisionKind.ROUTED)
    # The counts are the whole day's, by kind, whatever page or filter is shown.
    counts = dict(qs.order_by().values_list("kind").annotate(n=Count("id")))
    pending = qs.filter(review_outcome="").count()
    kind = request.GET.get("kind", "")
    if kind in DecisionKind.values and kind != DecisionKind.ROUTED:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    if request.GET.get("pending"):
        qs = qs.filter(review_outcome="")
    page = paginate(request, qs.order_by("-created_at", "-id"), 25)
    summary = [(k, label, counts.get(k, 0)) for k, label in DecisionKind.choices if k != DecisionKind.ROUTED]
    query = urlencode({k: v for k, v in (("date", day.isoformat()), ("kind", kind),
                                         ("pending", request.GET.get("pending", ""))) if v})
    return render(request, "triage/review.html", {
        "day": day, "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1), "rows": page.object_list,
        "page": page, "query": query, "kind": kind, "summary": summary, "pending": pending,
        "categories": Category.objects.filter(active=True, level=3).order_by("path"),
        "screen_reasons": actions.SCREEN_REASONS,
    })


@roles_required(*pipeline.REVIEW_ROLES)
@require_POST
def review_one(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Accept or correct one decision. htmx gets the row back; a plain form is redirected."""
    if not pipeline.may_review(request.user):
        raise PermissionDenied
    decision = _decisions(request).filter(pk=decision_id).first()
    error = ""
    if decision is None:
        error = _("记录不存在。")
    else:
        p = request.POST
        try:
            decision = pipeline.review_decision(
                decision.pk, actor=request.user, outcome=p.get("outcome", ""),  # type: ignore[arg-type]
                correction={"category": p.get("category"), "note": p.get("note", "")}, advice=p.get("advice", ""),
            )
        except DomainError as exc:
            error = str(exc.message)
    if request.headers.get("HX-Request") and decision is not None:
        decision = _decisions(request).get(pk=decision.pk)
        return render(request, "triage/_row.html", {
            "d": decision, "error": error,
            "categories": Category.objects.filter(active=True, level=3).order_by("path"),
        })
    if error:
        messages.error(request, error)
    day = timezone.localdate(decision.created_at) if decision is not None else timezone.localdate()
    return redirect(f"{reverse('triage:review')}?date={day.isoformat()}")


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    """Published statistics: per month and category of flag, how many requests were flagged,
    confirmed, overridden and screened out. ?format=csv or xlsx downloads the same table."""
    rows = pipeline.flag_statistics()
    fmt = request.GET.get("format", "")
    if fmt:
        header = [_("月份"), _("类别代码"), _("类别"), _("机器标记"), _("人工确认"), _("人工纠正"), _("不予受理")]
        body = ([r["month"], r["code"], r["label"], r["flagged"], r["confirmed"], r["overridden"], r["screened_out"]]
                for r in rows)
        return exports.download(header, body, name="screening-statistics", fmt=fmt)
    totals = Counter()
    for r in rows:
        for k in ("flagged", "confirmed", "overridden", "screened_out"):
            totals[k] += r[k]
    return render(request, "triage/stats.html", {"rows": rows, "totals": totals})
