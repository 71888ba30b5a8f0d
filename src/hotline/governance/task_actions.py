"""The only writers of governance tasks (专项治理), their measures, progress and links.

Each function is keyword-only, runs in one durable transaction, locks the task's row, asks the
tables of governance/taskflow.py whether the actor may take the action in the task's state, writes
the task and one hash-chained TaskEvent, and raises a DomainError (nothing written) otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import chain
from hotline.directory.models import Area, Category, Unit, User
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound
from hotline.orders import clock
from hotline.orders.actions import do_create_proactive, one_transaction
from hotline.orders.evidence import check as check_file
from hotline.orders.models import WorkOrder
from hotline.orders.validation import as_id, as_int

from . import effect
from .models import (
    TASK_STATE_CHOICES,
    VERDICT_CHOICES,
    GovernanceTask,
    OrderSignature,
    TaskEvent,
    TaskMeasure,
    TaskOrder,
    TaskProgress,
)
from .taskflow import TaskAction, TaskState, decide_task, next_task_state

A = TaskAction
MAX_LINKED = 2000  # orders linked from the hotspots at creation (the largest first)
MAX_MEASURES = 50
STATE_LABELS = dict(TASK_STATE_CHOICES)


# ---- shared machinery -----------------------------------------------------------------------------


def _text(value: Any, field: str, *, minimum: int, maximum: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < minimum:
        raise InvalidInput(_("请填写%(field)s（至少%(n)d个字）。") % {"field": _field_label(field), "n": minimum},
                           details={field: [_("内容过短。")]})
    if len(text) > maximum:
        raise InvalidInput(_("%(field)s不能超过%(n)d字。") % {"field": _field_label(field), "n": maximum},
                           details={field: [_("内容过长。")]})
    return text


def _field_label(field: str) -> str:
    return {"title": _("任务名称"), "problem": _("问题描述"), "text": _("内容"), "note": _("说明")}.get(field, field)


def _unit(value: Any, field: str) -> Unit:
    pk = as_id(value)
    unit = Unit.objects.filter(pk=pk, active=True).first() if pk else None
    if unit is None or not unit.handles_orders:
        raise InvalidInput(_("单位不存在、已停用或不承办工单。"), details={field: [_("请选择有效的承办单位。")]})
    return unit


def _ids(values: Any, field: str, *, limit: int = 200) -> list[int]:
    if values is None or values == "":
        return []
    if isinstance(values, str | int) or not isinstance(values, Iterable):
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为编号的列表。")]})
    out: list[int] = []
    for v in values:
        pk = as_id(v)
        if pk is None:
            raise InvalidInput(_("参数格式不正确。"), details={field: [_("编号无效。")]})
        out.append(pk)
    out = list(dict.fromkeys(out))
    if len(out) > limit:
        raise InvalidInput(_("选择的项目过多。"), details={field: [_("最多%(n)d项。") % {"n": limit}]})
    return out


def _day(value: Any, field: str, *, not_before: dt.date | None = None) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            day = None
    if day is None:
        raise InvalidInput(_("日期无效。"), details={field: [_("请按“年-月-日”填写日期。")]})
    if not_before is not None and day < not_before:
        raise InvalidInput(_("期限不能早于今天。"), details={field: [_("请选择今天或以后的日期。")]})
    if day > dt.date(2100, 1, 1):
        raise InvalidInput(_("日期无效。"), details={field: [_("日期过远。")]})
    return day


def _lock(task_id: Any) -> GovernanceTask:
    pk = as_id(task_id)
    task = GovernanceTask.objects.select_for_update().filter(pk=pk).first() if pk else None
    if task is None:
        raise NotFound(_("治理任务不存在。"))
    return task


def _check(task: GovernanceTask, actor: User, action: TaskAction, *, owner_unit_id: int | None = None) -> TaskState:
    state = TaskState(task.state)
    target = next_task_state(state, action)
    involved = frozenset(task.co_units.values_list("id", flat=True)) | frozenset(
        task.measures.values_list("owner_id", flat=True))
    decision = decide_task(role=actor.role, action=action, actor_unit_id=actor.unit_id,
                           lead_unit_id=task.lead_unit_id, involved_unit_ids=involved, owner_unit_id=owner_unit_id)
    if target is None:
        raise InvalidTransition(_("治理任务当前状态为“%(state)s”，不能执行此操作。") % {"state": STATE_LABELS[task.state]},
                                details={"state": task.state, "action": str(action)})
    if not decision.allowed:
        if decision.reason == "scope":
            raise NotAllowed(_("这项治理任务（或措施）不属于您所在的单位。"), details={"action": str(action)})
        raise NotAllowed(_("您的角色无权执行此操作。"), details={"action": str(action)})
    return target


def _event(task: GovernanceTask, actor: User, action: TaskAction, from_state: str, to_state: str, at: dt.datetime,
           data: dict[str, Any]) -> TaskEvent:
    step = chain.advance(task, task.number, action=action, from_state=from_state, to_state=to_state, actor=actor,
                         at=at, data=data)
    return TaskEvent.objects.create(task=task, action=str(action), from_state=from_state, to_state=to_state,
                                    actor=actor, actor_role=actor.role, actor_unit_id=actor.unit_id, at=at, **step)


def _finish(task: GovernanceTask, actor: User, action: TaskAction, target: TaskState, now: dt.datetime,
            **data: Any) -> TaskEvent:
    from_state = task.state
    task.state = target.value
    task.updated_at = now
    event = _event(task, actor, action, from_state, target.value, now, data)
    task.save()
    return event


def _measure(task: GovernanceTask, measure_id: Any) -> TaskMeasure:
    pk = as_id(measure_id)
    measure = task.measures.filter(pk=pk).first() if pk else None
    if measure is None:
        raise InvalidInput(_("措施不存在。"), details={"measure": [_("请选择本任务的一项措施。")]})
    return measure


def verify(task: GovernanceTask) -> bool:
    """Whether a task's events form an unbroken chain (nothing changed, inserted or removed)."""
    return chain.verify_steps(task.number, task.events.order_by("seq"), task.last_hash)


# ---- the actions ---------------------------------------------------------------------------------


def create_task(*, actor: User, title: Any, problem: Any, lead_unit_id: Any, co_unit_ids: Any = (),
                category_ids: Any = (), area_ids: Any = (), hotspot_roots: Any = (), target_reduction: Any = 50,
                target_weeks: Any = 13, comparison: Any = "areas") -> GovernanceTask:
    """Draft a task (立项). Before: a supervisor or an administrator; a title and problem; a lead
    unit that handles orders, co-units other than it; at least one category (the matter the effect
    is measured on); areas (none: the whole district); a target (a fall of 1-100% within 1-104
    weeks). After: a DRAFT task linked to its hotspots' orders, with its first event."""
    decision = decide_task(role=actor.role, action=A.CREATE, actor_unit_id=actor.unit_id, lead_unit_id=None)
    if not decision.allowed:
        raise NotAllowed(_("只有督办领导可以设立治理任务。"))
    title_text = _text(title, "title", minimum=4, maximum=200)
    problem_text = _text(problem, "problem", minimum=10, maximum=4000)
    lead = _unit(lead_unit_id, "lead_unit")
    co_units = [_unit(pk, "co_units") for pk in _ids(co_unit_ids, "co_units", limit=20)]
    if any(u.pk == lead.pk for u in co_units):
        raise InvalidInput(_("牵头单位不能同时是配合单位。"), details={"co_units": [_("请去掉牵头单位。")]})
    cat_ids = _ids(category_ids, "categories")
    categories = list(Category.objects.filter(pk__in=cat_ids))
    if not categories or len(categories) != len(cat_ids):
        raise InvalidInput(_("请选择治理事项的诉求分类。"), details={"categories": [_("至少一项，且须在分类目录中。")]})
    a_ids = _ids(area_ids, "areas")
    areas = list(Area.objects.filter(pk__in=a_ids))
    if len(areas) != len(a_ids):
        raise InvalidInput(_("区域不存在。"), details={"areas": [_("请选择列表中的区域。")]})
    reduction = as_int(target_reduction, minimum=1, maximum=100)
    if reduction is None:
        raise InvalidInput(_("目标降幅须为1到100之间的整数。"), details={"target_reduction": [_("例如50表示下降50%。")]})
    weeks = as_int(target_weeks, minimum=1, maximum=104)
    if weeks is None:
        raise InvalidInput(_("评估周期须为1到104周。"), details={"target_weeks": [_("例如13周约为三个月。")]})
    if comparison not in {"areas", "last_year"}:
        raise InvalidInput(_("对照方式无效。"), details={"comparison": [_("请选择列表中的一项。")]})
    roots = _ids(hotspot_roots, "hotspots", limit=50)
    now = clock.now()
    for _attempt in range(3):
        try:
            with transaction.atomic(durable=True):
                task = GovernanceTask(title=title_text, problem=problem_text, lead_unit=lead, target_reduction=reduction,
                                      target_weeks=weeks, comparison=comparison, created_by=actor, created_at=now,
                                      updated_at=now, hotspot_roots=roots, number=_next_number(now))
                task.save(force_insert=True)
                task.co_units.set(co_units)
                task.categories.set(categories)
                task.areas.set(areas)
                linked = _link_hotspots(task, roots)
                _event(task, actor, A.CREATE, "", TaskState.DRAFT.value, now, {
                    "title": title_text, "lead_unit": lead.pk, "co_units": [u.pk for u in co_units],
                    "categories": [c.pk for c in categories], "areas": [a.pk for a in areas], "hotspots": roots,
                    "linked": linked, "target": {"reduction": reduction, "weeks": weeks, "comparison": comparison}})
                task.save(update_fields=["event_seq", "last_hash"])
                return task
        except IntegrityError:  # two supervisors took the same number at once: take the next one
            continue
    raise Conflict(_("任务编号冲突，请重试。"))


def _next_number(now: dt.datetime) -> str:
    prefix = f"ZX{timezone.localtime(now).year}"
    last = GovernanceTask.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    n = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{n:04d}"


def _link_hotspots(task: GovernanceTask, roots: list[int]) -> int:
    if not roots:
        return 0
    ids = list(OrderSignature.objects.filter(root_id_value__in=roots).order_by("-received_at")
               .values_list("order_id", flat=True)[:MAX_LINKED])
    if len(set(OrderSignature.objects.filter(root_id_value__in=roots).values_list("root_id_value", flat=True))) != len(roots):
        raise InvalidInput(_("热点不存在。"), details={"hotspots": [_("请从热点列表选择。")]})
    TaskOrder.objects.bulk_create([TaskOrder(task=task, order_id=i) for i in ids], ignore_conflicts=True)
    return len(ids)


def add_measure(task_id: Any, *, actor: User, text: Any, owner_id: Any, due_on: Any) -> TaskMeasure:
    """A measure (措施) with its owner unit (the lead or a co-unit) and deadline (today or later)."""
    body = _text(text, "text", minimum=4, maximum=500)
    owner = _unit(owner_id, "owner")
    due = _day(due_on, "due_on", not_before=clock.localdate())
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.ADD_MEASURE)
        if owner.pk != task.lead_unit_id and not task.co_units.filter(pk=owner.pk).exists():
            raise InvalidInput(_("责任单位须是牵头单位或配合单位。"), details={"owner": [_("请选择本任务的单位。")]})
        count = task.measures.count()
        if count >= MAX_MEASURES:
            raise InvalidInput(_("措施过多。"), details={"text": [_("一项任务最多%(n)d条措施。") % {"n": MAX_MEASURES}]})
        now = clock.now()
        measure = TaskMeasure.objects.create(task=task, seq=count + 1, text=body, owner=owner, due_on=due,
                                             created_at=now)
        _finish(task, actor, A.ADD_MEASURE, target, now, measure=measure.seq, text=body, owner=owner.pk, due_on=due)
    return measure


def start(task_id: Any, *, actor: User) -> GovernanceTask:
    """Start the work (启动): at least one measure; the task's deadline is the end of its target
    period unless a measure is due later."""
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.START)
        last_due = task.measures.aggregate(m=Max("due_on"))["m"]
        if last_due is None:
            raise InvalidInput(_("请先增加至少一条治理措施。"), details={"measures": [_("尚无措施。")]})
        now = clock.now()
        task.started_at = now
        task.due_on = max(last_due, clock.localdate() + dt.timedelta(weeks=task.target_weeks))
        _finish(task, actor, A.START, target, now, due_on=task.due_on)
    return task


def report(task_id: Any, *, actor: User, measure_id: Any, text: Any, file: Any = None,
           file_name: str = "") -> TaskProgress:
    """A unit's progress on its own measure (报告进展), with an optional piece of evidence checked by
    its content (the same check as an order's evidence)."""
    body = _text(text, "text", minimum=5, maximum=4000)
    checked = check_file(file, file_name or getattr(file, "name", "")) if file is not None else None
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        measure = _measure(task, measure_id)
        target = _check(task, actor, A.REPORT, owner_unit_id=measure.owner_id)
        now = clock.now()
        row = TaskProgress(measure=measure, text=body, by=actor, at=now)
        if checked is not None:
            row.file.save(checked.name, checked.content, save=False)
            row.file_name, row.file_type, row.file_sha256 = checked.name, checked.content_type, checked.sha256
        row.save()
        _finish(task, actor, A.REPORT, target, now, measure=measure.seq, text=body,
                file={"name": checked.name, "sha256": checked.sha256} if checked else None)
    return row


def complete_measure(task_id: Any, *, actor: User, measure_id: Any, note: Any = "") -> TaskMeasure:
    """The owner marks its measure done (措施完成); the event says whether it was on time."""
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        measure = _measure(task, measure_id)
        target = _check(task, actor, A.COMPLETE_MEASURE, owner_unit_id=measure.owner_id)
        if measure.done_at is not None:
            raise InvalidTransition(_("这条措施已经完成。"), details={"measure": measure.seq})
        if not measure.progress.exists():
            raise InvalidInput(_("请先报告这条措施的进展和佐证材料。"), details={"measure": [_("尚无进展报告。")]})
        now = clock.now()
        measure.done_at = now
        measure.save(update_fields=["done_at"])
        on_time = clock.localdate() <= measure.due_on
        note_text = note.strip()[:1000] if isinstance(note, str) else ""
        _finish(task, actor, A.COMPLETE_MEASURE, target, now, measure=measure.seq, on_time=on_time, note=note_text)
    return measure


def link(task_id: Any, *, actor: User, numbers: Any) -> int:
    """Link work orders to the task by their numbers (关联工单); returns how many were new."""
    if isinstance(numbers, str):
        numbers = [n for n in numbers.replace("，", ",").replace("\n", ",").split(",")]
    wanted = [n.strip() for n in (numbers or []) if isinstance(n, str) and n.strip()]
    if not wanted or len(wanted) > 200:
        raise InvalidInput(_("请填写1到200个工单编号。"), details={"numbers": [_("以逗号或换行分隔。")]})
    found = dict(WorkOrder.objects.filter(number__in=wanted).values_list("number", "id"))
    missing = [n for n in wanted if n not in found]
    if missing:
        raise InvalidInput(_("工单不存在：%(n)s。") % {"n": "、".join(missing[:5])},
                           details={"numbers": [_("请核对工单编号。")]})
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.LINK)
        have = set(task.links.filter(order_id__in=found.values()).values_list("order_id", flat=True))
        new = [pk for pk in found.values() if pk not in have]
        TaskOrder.objects.bulk_create([TaskOrder(task=task, order_id=pk) for pk in new])
        _finish(task, actor, A.LINK, target, clock.now(), numbers=[n for n, pk in found.items() if pk in new])
    return len(new)


def submit(task_id: Any, *, actor: User, note: Any) -> GovernanceTask:
    """Submit for assessment (申请结项): every measure done."""
    body = _text(note, "note", minimum=5, maximum=2000)
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.SUBMIT)
        open_measures = list(task.measures.filter(done_at__isnull=True).values_list("seq", flat=True))
        if open_measures:
            raise InvalidInput(_("还有措施未完成：第%(s)s条。") % {"s": "、".join(map(str, open_measures))},
                               details={"measures": [_("措施全部完成后才能申请结项。")]})
        now = clock.now()
        task.submitted_at = now
        _finish(task, actor, A.SUBMIT, target, now, note=body)
    return task


def resume(task_id: Any, *, actor: User, note: Any) -> GovernanceTask:
    """Send a submitted task back to work (退回继续治理), with the reason."""
    body = _text(note, "note", minimum=5, maximum=2000)
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.RESUME)
        task.submitted_at = None
        _finish(task, actor, A.RESUME, target, clock.now(), note=body)
    return task


def assess(task_id: Any, *, actor: User, verdict: Any, note: Any) -> GovernanceTask:
    """Assess the task (评估结项) with the effect measurement as it stands, kept in the event."""
    if verdict not in dict(VERDICT_CHOICES):
        raise InvalidInput(_("请选择评估结论。"), details={"verdict": [_("请选择列表中的一项。")]})
    body = _text(note, "note", minimum=5, maximum=2000)
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.ASSESS)
        now = clock.now()
        measured = effect.of_task(task, now=now)
        task.verdict, task.closed_at = verdict, now
        _finish(task, actor, A.ASSESS, target, now, verdict=verdict, note=body, effect=measured.as_dict())
    return task


def cancel(task_id: Any, *, actor: User, note: Any) -> GovernanceTask:
    body = _text(note, "note", minimum=5, maximum=2000)
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.CANCEL)
        task.closed_at = clock.now()
        _finish(task, actor, A.CANCEL, target, task.closed_at, note=body)
    return task


def annotate(task_id: Any, *, actor: User, text: Any) -> GovernanceTask:
    body = _text(text, "text", minimum=2, maximum=2000)
    with transaction.atomic(durable=True):
        task = _lock(task_id)
        target = _check(task, actor, A.ANNOTATE)
        _finish(task, actor, A.ANNOTATE, target, clock.now(), text=body)
    return task


def dispatch_proactive(task_id: Any, *, actor: User, title: Any, description: Any, unit_id: Any,
                       area_id: Any = None, address: Any = "", category_id: Any = None, note: Any = "") -> WorkOrder:
    """Act before the call (未诉先办) as part of the task: a proactive work order whose source is
    the task, dispatched to one of the task's units, round the same loop and closed by the centre's
    verification (orders.actions.do_create_proactive). The order and the task's event are one
    transaction: both are written or neither."""
    unit = _unit(unit_id, "unit")
    for name, value in (("area", area_id), ("category", category_id)):
        if value not in (None, "") and as_id(value) is None:
            raise InvalidInput(_("参数格式不正确。"), details={name: [_("编号无效。")]})
    with one_transaction():
        task = _lock(task_id)
        target = _check(task, actor, A.PROACTIVE)
        if unit.pk != task.lead_unit_id and not task.co_units.filter(pk=unit.pk).exists():
            raise InvalidInput(_("承办单位须是牵头单位或配合单位。"), details={"unit": [_("请选择本任务的单位。")]})
        order = do_create_proactive(actor=actor, title=title if isinstance(title, str) else "",
                                    description=description if isinstance(description, str) else "",
                                    unit_id=unit.pk, source="task", source_ref=task.pk, area_id=as_id(area_id),
                                    address=address if isinstance(address, str) else "",
                                    category_id=as_id(category_id), note=note if isinstance(note, str) else "")
        TaskOrder.objects.create(task=task, order=order, proactive=True)
        _finish(task, actor, A.PROACTIVE, target, clock.now(), order=order.number, unit=unit.pk)
    return order
