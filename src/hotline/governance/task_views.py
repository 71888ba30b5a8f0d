"""Governance task pages (专项治理): the list, a task drafted from hotspots, one task with its
measures, progress, orders, effect and trace, and the monthly list of high-frequency problems.
Every change goes through governance/task_actions.py; a refused change shows the page again with
the message and what was typed (nothing lost, nothing written)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotline import periods
from hotline.directory.models import Area, Category, Unit
from hotline.directory.responsibility import RuleBook
from hotline.directory.roles import Role
from hotline.errors import DomainError, InvalidInput
from hotline.orders.models import WorkOrder
from hotline.orders.validation import as_id
from hotline.web.views.common import paginate, roles_required

from . import effect, monthly, selectors, task_actions
from .models import (
    COMPARISON_CHOICES,
    TASK_ACTION_LABELS,
    TASK_STATE_CHOICES,
    VERDICT_CHOICES,
    Hotspot,
    OrderSignature,
    TaskProgress,
)
from .taskflow import TASK_RIGHTS, TaskAction, TaskState, next_task_state

READERS = (Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER, Role.REVIEWER, Role.HANDLER, Role.UNIT_HEAD)
PLANNERS = (Role.SUPERVISOR, Role.ADMIN)


@roles_required(*READERS)
def task_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    qs = selectors.tasks_visible_to(request.user)
    if state in dict(TASK_STATE_CHOICES):
        qs = qs.filter(state=state)
    else:
        state = ""
    return render(request, "governance/tasks.html", {
        "page": paginate(request, qs.order_by("-created_at", "-id"), 30), "state": state,
        "states": TASK_STATE_CHOICES, "may_plan": request.user.role in {r.value for r in PLANNERS}})


def _units() -> Any:
    return Unit.objects.filter(active=True, handles_orders=True).order_by("name")


def _draft_from_hotspots(roots: list[int]) -> dict[str, Any]:
    """A draft prefilled from hotspots: the label, the categories and areas of their orders, and
    the lead unit the responsibility list names for the commonest category and area."""
    hotspots = list(Hotspot.objects.filter(root_order_id__in=roots).select_related("area"))
    if not hotspots:
        return {}
    ids = OrderSignature.objects.filter(root_id_value__in=[h.root_order_id for h in hotspots]).values("order_id")
    pairs = list(WorkOrder.objects.filter(pk__in=ids).values_list("category_id", "area_id"))
    cats = Counter(c for c, _a in pairs if c)
    areas = Counter(a for _c, a in pairs if a)
    lead, co = None, []
    if cats:
        rule = RuleBook.load().lookup(cats.most_common(1)[0][0], areas.most_common(1)[0][0] if areas else None)
        if rule is not None:
            lead = rule.lead_unit_id
            co = list(rule.co_units.values_list("id", flat=True))
    top = max(hotspots, key=lambda h: h.score)
    problem = "；".join(f"{h.label}（{h.area or ''}{h.address or h.place}，{h.orders}件）" for h in hotspots)
    return {"title": top.label[:200], "problem": _("热点：") + problem, "categories": list(cats),
            "areas": list(areas), "lead_unit": lead, "co_units": co, "hotspots": [h.root_order_id for h in hotspots]}


def _int_list(values: list[str]) -> list[int]:
    return [i for i in (as_id(v) for v in values) if i is not None]


@roles_required(*PLANNERS)
def task_new(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    message = ""
    if request.method == "POST":
        post = request.POST
        try:
            task = task_actions.create_task(
                actor=request.user, title=post.get("title", ""), problem=post.get("problem", ""),  # type: ignore[arg-type]
                lead_unit_id=post.get("lead_unit"), co_unit_ids=post.getlist("co_units"),
                category_ids=post.getlist("categories"), area_ids=post.getlist("areas"),
                hotspot_roots=post.getlist("hotspots"), target_reduction=post.get("target_reduction"),
                target_weeks=post.get("target_weeks"), comparison=post.get("comparison"))
            return redirect("governance:task", pk=task.pk)
        except DomainError as exc:
            message, errors = str(exc.message), exc.details
        draft = {"title": post.get("title", ""), "problem": post.get("problem", ""),
                 "lead_unit": as_id(post.get("lead_unit")), "co_units": _int_list(post.getlist("co_units")),
                 "categories": _int_list(post.getlist("categories")), "areas": _int_list(post.getlist("areas")),
                 "hotspots": _int_list(post.getlist("hotspots")), "target_reduction": post.get("target_reduction", ""),
                 "target_weeks": post.get("target_weeks", ""), "comparison": post.get("comparison", "areas")}
    else:
        draft = {"target_reduction": 50, "target_weeks": 13, "comparison": "areas", "categories": [], "areas": [],
                 "co_units": [], "hotspots": []}
        draft.update(_draft_from_hotspots(_int_list(request.GET.getlist("hotspots"))))
    hotspots = list(Hotspot.objects.filter(root_order_id__in=draft.get("hotspots") or []))
    return render(request, "governance/task_new.html", {
        "draft": draft, "errors": errors, "message": message, "hotspots": hotspots, "units": _units(),
        "categories": Category.objects.filter(active=True).order_by("path"), "areas": Area.objects.order_by("name"),
        "comparisons": COMPARISON_CHOICES}, status=400 if message else 200)


def _task_or_404(request: HttpRequest, pk: int) -> Any:
    task = selectors.tasks_visible_to(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def _offered(task: Any, user: Any) -> set[str]:
    """The actions the page offers this user on this task now (the forms it shows)."""
    rights = TASK_RIGHTS.get(user.role, {})
    state = TaskState(task.state)
    return {str(a) for a in rights if next_task_state(state, a) is not None}


@roles_required(*READERS)
def task_detail(request: HttpRequest, pk: int, *, error: DomainError | None = None,
                posted: dict[str, Any] | None = None) -> HttpResponse:
    task = _task_or_404(request, pk)
    measures = list(task.measures.select_related("owner").prefetch_related("progress__by"))
    today = timezone.localdate()
    for m in measures:
        m.overdue = m.done_at is None and m.due_on < today
        m.on_time = m.done_at is not None and timezone.localtime(m.done_at).date() <= m.due_on
        m.mine = request.user.unit_id is not None and m.owner_id == request.user.unit_id
    links = task.links.select_related("order", "order__area", "order__lead_unit").order_by("-order__received_at")
    units = [task.lead_unit, *task.co_units.order_by("name")]
    events = list(task.events.select_related("actor").order_by("-seq"))
    for e in events:
        e.label = TASK_ACTION_LABELS.get(e.action, e.action)
    return render(request, "governance/task.html", {
        "task": task, "measures": measures, "links": links[:100], "linked": links.count(), "units": units,
        "categories": list(task.categories.order_by("path")), "areas": list(task.areas.order_by("name")),
        "effect": effect.of_task(task), "events": events,
        "offered": _offered(task, request.user), "verdicts": VERDICT_CHOICES, "today": today,
        "intact": task_actions.verify(task), "error": error, "posted": posted or {}},
        status=error.status if error else 200)


def _run(request: HttpRequest, pk: int, verb: str) -> Any:
    user, post = request.user, request.POST
    if verb == "measure":
        return task_actions.add_measure(pk, actor=user, text=post.get("text", ""), owner_id=post.get("owner"),  # type: ignore[arg-type]
                                        due_on=post.get("due_on", ""))
    if verb == "start":
        return task_actions.start(pk, actor=user)  # type: ignore[arg-type]
    if verb == "report":
        upload = request.FILES.get("file")
        return task_actions.report(pk, actor=user, measure_id=post.get("measure"), text=post.get("text", ""),  # type: ignore[arg-type]
                                   file=upload, file_name=upload.name if upload else "")
    if verb == "complete":
        return task_actions.complete_measure(pk, actor=user, measure_id=post.get("measure"),  # type: ignore[arg-type]
                                             note=post.get("note", ""))
    if verb == "link":
        return task_actions.link(pk, actor=user, numbers=post.get("numbers", ""))  # type: ignore[arg-type]
    if verb in {"submit", "resume", "cancel"}:
        return getattr(task_actions, verb)(pk, actor=user, note=post.get("note", ""))
    if verb == "assess":
        return task_actions.assess(pk, actor=user, verdict=post.get("verdict"), note=post.get("note", ""))  # type: ignore[arg-type]
    if verb == "proactive":
        return task_actions.dispatch_proactive(
            pk, actor=user, title=post.get("title", ""), description=post.get("description", ""),  # type: ignore[arg-type]
            unit_id=post.get("unit"), area_id=post.get("area") or None, address=post.get("address", ""),
            category_id=post.get("category") or None, note=post.get("note", ""))
    if verb == "annotate":
        return task_actions.annotate(pk, actor=user, text=post.get("text", ""))  # type: ignore[arg-type]
    raise Http404


@roles_required(*READERS)
def task_file(request: HttpRequest, pk: int, progress: int) -> HttpResponse:
    """A progress report's evidence, to those who may read the task; always a download, with
    the type its content was found to be (task_actions.report checks it on upload)."""
    task = _task_or_404(request, pk)
    row = TaskProgress.objects.filter(pk=progress, measure__task=task).exclude(file="").first()
    if row is None:
        raise Http404
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.file_name,
                        content_type=row.file_type or "application/octet-stream")


VERBS = {"proactive", "measure", "start", "report", "complete", "link", "submit", "resume", "assess", "cancel", "annotate"}


@require_POST
@roles_required(*READERS)
def task_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    if verb not in VERBS:
        raise Http404
    _task_or_404(request, pk)
    try:
        _run(request, pk, verb)
    except DomainError as exc:
        return task_detail(request, pk, error=exc, posted={"verb": verb, **request.POST.dict()})
    return redirect("governance:task", pk=pk)


@roles_required(Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER, Role.REVIEWER)
def monthly_list(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("month", "")
    today = timezone.localdate()
    if raw:
        first, _last = periods.parse_month(raw)
    else:
        first = today.replace(day=1)
    if first > today:
        raise InvalidInput(_("不能查看将来的月份。"), details={"month": [_("请选择本月或以前的月份。")]})
    data = monthly.build(first)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return render(request, "governance/monthly.html", {
        "m": data, "prev": prev, "next": nxt if nxt <= today else None,
        "may_plan": request.user.role in {r.value for r in PLANNERS}, "action": TaskAction})
