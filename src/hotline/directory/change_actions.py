"""The only writers of change requests to the responsibility list (清单回头看), and of the versions
of the list that approving one creates.

Each function is keyword-only, runs in one durable transaction, locks the request's row, asks the
tables of directory/changeflow.py whether the actor may take the action in the request's state,
writes the request and one hash-chained RuleChangeEvent, and raises a DomainError (nothing
written) otherwise.

Approval never edits a rule in place: the rule concerned is closed at the effective date (its
`effective_to`, which is exclusive, so its last day in force is the day before) and the new
version starts on that date with the next version number; an addition starts a rule of its own;
a retirement only closes. The reference-data token is bumped in the same transaction, so every
process dispatches by the new list from its first day, and orders already dispatched keep the
rule they were dispatched under (WorkOrder.rule and their dispatch events name it).

Refused: an effective date that is not in the future (a change starts on a coming day, so that
one day's dispatches all rest on one version of the list), a rule already closed or with an
approved change of its own (two approved changes to one rule), an addition for a category and
area that already has a rule in force from that date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import chain
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound

from . import snapshot
from .changeflow import (
    CENTRE_READERS,
    UNIT_READERS,
    ChangeAction,
    ChangeKind,
    ChangeState,
    decide_change,
    next_change_state,
)
from .models import (
    CHANGE_STATE_CHOICES,
    Area,
    Category,
    ResponsibilityRule,
    RuleChange,
    RuleChangeEvent,
    Unit,
    User,
)

A = ChangeAction
MAX_CO_UNITS = 10
MAX_AHEAD_DAYS = 2 * 366  # an effective date further ahead is a typing error, not a plan
STATE_LABELS = dict(CHANGE_STATE_CHOICES)
# What a proposal's figures may hold (from the rules report, assessment/rules.py): counts, a
# share, the units the orders went to instead, the report's own reasons.
FIGURE_COUNTS = ("dispatches", "on_list", "off_list", "returns", "returns_upheld", "returns_rejected",
                 "returns_pending", "uncovered_dispatches")
FIGURE_TEXTS = ("review_reasons", "instead_text")


# ---- input -------------------------------------------------------------------------------------


def parse_id(value: Any) -> int | None:
    """A database id: a positive int or a string of ASCII digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 2**63 else None


def _text(value: Any, field: str, label: str, *, minimum: int, maximum: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < minimum:
        raise InvalidInput(_("请填写%(field)s（至少%(n)d个字）。") % {"field": label, "n": minimum},
                           details={field: [_("内容过短。")]})
    if len(text) > maximum:
        raise InvalidInput(_("%(field)s不能超过%(n)d字。") % {"field": label, "n": maximum},
                           details={field: [_("内容过长。")]})
    return text


def _day(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("日期无效。"), details={field: [_("请按“年-月-日”填写日期。")]}) from None


def _effective(value: Any, field: str = "effective_from") -> dt.date:
    day = _day(value, field)
    today = timezone.localdate()
    if day <= today:
        raise InvalidInput(_("生效日期须在今天之后：清单的修改从将来的某一天起执行。"),
                           details={field: [_("请选择明天或以后的日期。")]})
    if day > today + dt.timedelta(days=MAX_AHEAD_DAYS):
        raise InvalidInput(_("生效日期过远。"), details={field: [_("生效日期不能晚于两年以后。")]})
    return day


def _unit(value: Any, field: str) -> Unit:
    pk = parse_id(value)
    unit = Unit.objects.filter(pk=pk, active=True, handles_orders=True).first() if pk else None
    if unit is None:
        raise InvalidInput(_("单位不存在、已停用或不承办工单。"), details={field: [_("请选择有效的承办单位。")]})
    return unit


def _units(values: Any, field: str, lead: Unit | None) -> list[Unit]:
    if values is None or values == "":
        return []
    if isinstance(values, str | int | bytes | Mapping) or not isinstance(values, Iterable):
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为编号的列表。")]})
    ids: list[int] = []
    for v in values:
        if v == "":
            continue
        pk = parse_id(v)
        if pk is None:
            raise InvalidInput(_("参数格式不正确。"), details={field: [_("编号无效。")]})
        ids.append(pk)
        if len(ids) > MAX_CO_UNITS:
            raise InvalidInput(_("协办单位过多。"), details={field: [_("最多%(n)d个。") % {"n": MAX_CO_UNITS}]})
    ids = list(dict.fromkeys(ids))
    if lead is not None and lead.pk in ids:
        raise InvalidInput(_("主办单位不能同时是协办单位。"), details={field: [_("请去掉主办单位。")]})
    units = list(Unit.objects.filter(pk__in=ids, active=True, handles_orders=True).order_by("name"))
    if len(units) != len(ids):
        raise InvalidInput(_("单位不存在、已停用或不承办工单。"), details={field: [_("请选择有效的承办单位。")]})
    return units


def _figures(value: Any) -> dict[str, Any]:
    """The figures the proposal rests on, in the rules report's shape; anything else is refused."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [_("须为统计数字。")]})
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key in FIGURE_COUNTS:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 10**9:
                raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [key]})
            out[key] = v
        elif key == "off_list_share":
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1):
                raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [key]})
            out[key] = v
        elif key in FIGURE_TEXTS:
            if not isinstance(v, str) or len(v) > 1000:
                raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [key]})
            out[key] = v
        elif key == "instead":
            rows = list(v) if isinstance(v, list | tuple) else None
            if rows is None or len(rows) > 20 or not all(
                    isinstance(r, Mapping) and isinstance(r.get("unit"), str) and len(r["unit"]) <= 100
                    and isinstance(r.get("orders"), int) and not isinstance(r.get("orders"), bool)
                    and 0 <= r["orders"] < 10**9 for r in rows):
                raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [key]})
            out[key] = [{"unit": r["unit"], "orders": r["orders"]} for r in rows]
        else:
            raise InvalidInput(_("数据依据格式不正确。"), details={"figures": [str(key)[:40]]})
    return out


# ---- the trace --------------------------------------------------------------------------------


def _event(change: RuleChange, actor: User, action: ChangeAction, from_state: str, to_state: str, at: dt.datetime,
           data: dict[str, Any]) -> RuleChangeEvent:
    step = chain.advance(change, change.pk, action=action, from_state=from_state, to_state=to_state, actor=actor,
                         at=at, data=data)
    return RuleChangeEvent.objects.create(change=change, action=str(action), from_state=from_state, to_state=to_state,
                                          actor=actor, actor_role=actor.role, actor_unit_id=actor.unit_id, at=at,
                                          **step)


def verify(change: RuleChange) -> bool:
    """Whether a request's events form an unbroken chain (nothing changed, inserted or removed)."""
    return chain.verify_steps(change.pk, change.events.order_by("seq"), change.last_hash)


# ---- what a rule or matter concerns ----------------------------------------------------------------


def _area_units(area: Area | None) -> set[int]:
    """The units that govern the area and the areas above it."""
    return {a.unit_id for a in area.lineage() if a.unit_id is not None} if area is not None else set()


def concerned_units(*, rule: ResponsibilityRule | None = None, area: Area | None = None,
                    lead: Unit | None = None, co_units: Iterable[Unit] = ()) -> frozenset[int]:
    """The units a change concerns (who of them may propose it, changeflow's CONCERNED scope): a
    rule's lead and co-units and the units governing its area; for an addition, the units
    governing the area and those the proposal names."""
    out: set[int] = set()
    if rule is not None:
        out |= {rule.lead_unit_id, *rule.co_units.values_list("id", flat=True)} | _area_units(rule.area)
    else:
        out |= _area_units(area) | {u.pk for u in co_units} | ({lead.pk} if lead is not None else set())
    return frozenset(out)


def _refuse(decision_reason: str, action: ChangeAction) -> None:
    if decision_reason == "scope" and action is A.PROPOSE:
        raise NotAllowed(_("只能对本单位承担的清单条目或本单位辖区内的事项提出修改建议。"), details={"action": str(action)})
    if decision_reason == "scope":
        raise NotAllowed(_("只有提出人本人可以撤回这项修改建议。"), details={"action": str(action)})
    if decision_reason == "own":
        raise NotAllowed(_("不能审批自己提出的修改建议，须由另一位清单负责人审批。"), details={"action": str(action)})
    raise NotAllowed(_("您的角色无权执行此操作。"), details={"action": str(action)})


def _open_rule(rule_id: Any, *, lock: bool = False) -> ResponsibilityRule:
    pk = parse_id(rule_id)
    qs = ResponsibilityRule.objects.select_related("category", "area", "lead_unit")
    if lock:
        qs = qs.select_for_update(of=("self",))
    rule = qs.filter(pk=pk).first() if pk else None
    if rule is None:
        raise InvalidInput(_("清单条目不存在。"), details={"rule": [_("请选择有效的清单条目。")]})
    return rule


def _check_rule_open(rule: ResponsibilityRule, effective: dt.date) -> None:
    if rule.effective_to is not None:
        raise Conflict(_("%(rule)s已定于%(day)s失效（已废止或已有获批的修改），请针对现行版本提出。")
                       % {"rule": rule.label, "day": rule.effective_to}, details={"rule": [rule.label]})
    if rule.effective_from >= effective:
        raise Conflict(_("生效日期须晚于%(rule)s本身的生效日期（%(day)s）。") % {"rule": rule.label,
                                                                          "day": rule.effective_from},
                       details={"effective_from": [_("请选择更晚的日期。")]})


def _pair(category_id: int, area_id: int | None) -> QuerySet[ResponsibilityRule]:
    qs = ResponsibilityRule.objects.filter(category_id=category_id)
    return qs.filter(area__isnull=True) if area_id is None else qs.filter(area_id=area_id)


def _check_pair_free(category: Category, area: Area | None, effective: dt.date) -> None:
    clash = _pair(category.pk, area.pk if area else None).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=effective)).order_by("effective_from").first()
    if clash is not None:
        raise Conflict(_("该分类和区域已有清单条目（%(rule)s，主办单位“%(unit)s”）在%(day)s起有效，不能增补；"
                         "如需调整，请对该条目提出修改建议。")
                       % {"rule": clash.label, "unit": clash.lead_unit.name, "day": effective},
                       details={"category": [clash.label]})


# ---- the actions ---------------------------------------------------------------------------------


def propose(*, actor: User, kind: Any, rule_id: Any = None, category_id: Any = None, area_id: Any = None,
            lead_unit_id: Any = None, co_unit_ids: Any = (), basis: Any = "", reason: Any = "",
            effective_from: Any = None, figures: Any = None, figures_from: Any = None,
            figures_to: Any = None) -> RuleChange:
    """Propose a change to the list. Before: a role that proposes (changeflow.CHANGE_RIGHTS), for
    a unit one the change concerns; a kind (add, change, retire); for an addition a category (and
    area, none: district-wide) with no rule in force from the date, for a change or retirement a
    rule in force and not yet closed; for an addition or change a lead unit and co-units that
    handle orders, a basis (三定方案、法规条款、区里的决定), and for a change units that differ from
    the rule's; a reason of at least 10 characters; an effective date after today; the figures
    behind it (in the rules report's shape) with their period. After: a PROPOSED request with
    its first event."""
    role_only = decide_change(role=actor.role, action=A.PROPOSE, actor_id=actor.pk, actor_unit_id=actor.unit_id,
                              concerned_unit_ids=frozenset({actor.unit_id}) if actor.unit_id else frozenset())
    if not role_only.allowed and role_only.reason == "role":
        _refuse("role", A.PROPOSE)
    with transaction.atomic(durable=True):
        try:
            change_kind = ChangeKind(kind)
        except ValueError:
            raise InvalidInput(_("请选择修改类型。"), details={"kind": [_("增补、调整或废止。")]}) from None
        effective = _effective(effective_from)
        reason_text = _text(reason, "reason", _("理由"), minimum=10, maximum=2000)
        basis_text = _text(basis, "basis", _("依据"), minimum=0 if change_kind is ChangeKind.RETIRE else 4, maximum=1000)
        figs = _figures(figures)
        f_from = _day(figures_from, "figures_from") if figures_from not in (None, "") else None
        f_to = _day(figures_to, "figures_to") if figures_to not in (None, "") else None
        if (f_from is None) != (f_to is None) or (f_from and f_to and f_to < f_from):
            raise InvalidInput(_("数据依据的统计期间不正确。"), details={"figures_from": [_("起止日期须都填写，且截止不早于起始。")]})

        rule: ResponsibilityRule | None = None
        lead: Unit | None = None
        co: list[Unit] = []
        if change_kind is ChangeKind.ADD:
            if rule_id not in (None, ""):
                raise InvalidInput(_("增补条目不针对已有条目；调整已有条目请选择“调整主办或协办单位”。"),
                                   details={"kind": [_("增补条目不针对已有条目。")]})
            cat_pk = parse_id(category_id)
            category = Category.objects.filter(pk=cat_pk, active=True).first() if cat_pk else None
            if category is None:
                raise InvalidInput(_("诉求分类不存在。"), details={"category": [_("请选择有效的分类。")]})
            area = None
            if area_id not in (None, ""):
                area_pk = parse_id(area_id)
                area = Area.objects.filter(pk=area_pk).first() if area_pk else None
                if area is None:
                    raise InvalidInput(_("区域不存在。"), details={"area": [_("请选择列表中的区域（留空为全区）。")]})
            lead = _unit(lead_unit_id, "lead_unit")
            co = _units(co_unit_ids, "co_units", lead)
            concerned = concerned_units(area=area, lead=lead, co_units=co)
        else:
            if rule_id in (None, ""):
                raise InvalidInput(_("请选择要修改的清单条目。"), details={"rule": [_("请选择有效的清单条目。")]})
            rule = _open_rule(rule_id)
            category, area = rule.category, rule.area
            if change_kind is ChangeKind.CHANGE:
                lead = _unit(lead_unit_id, "lead_unit")
                co = _units(co_unit_ids, "co_units", lead)
            concerned = concerned_units(rule=rule)

        decision = decide_change(role=actor.role, action=A.PROPOSE, actor_id=actor.pk, actor_unit_id=actor.unit_id,
                                 concerned_unit_ids=concerned)
        if not decision.allowed:
            _refuse(decision.reason, A.PROPOSE)
        if rule is not None:
            _check_rule_open(rule, effective)
            if change_kind is ChangeKind.CHANGE and lead is not None:
                current = (rule.lead_unit_id, sorted(rule.co_units.values_list("id", flat=True)))
                if current == (lead.pk, sorted(u.pk for u in co)):
                    raise InvalidInput(_("建议的主办和协办单位与现行条目相同，没有需要修改的内容。"),
                                       details={"lead_unit": [_("请修改主办或协办单位。")]})
        else:
            _check_pair_free(category, area, effective)

        now = timezone.now()
        change = RuleChange.objects.create(
            kind=change_kind.value, state=ChangeState.PROPOSED.value, rule=rule, category=category, area=area,
            lead_unit=lead, co_unit_ids=[u.pk for u in co], basis=basis_text, reason=reason_text, figures=figs,
            figures_from=f_from, figures_to=f_to, effective_from=effective, proposed_by=actor,
            proposer_role=actor.role, proposer_unit_id=actor.unit_id, proposed_at=now)
        _event(change, actor, A.PROPOSE, "", ChangeState.PROPOSED.value, now, {
            "kind": change_kind.value, "rule": rule.pk if rule else None, "rule_version": rule.version if rule else None,
            "category": category.pk, "area": area.pk if area else None, "lead_unit": lead.pk if lead else None,
            "co_units": [u.pk for u in co], "basis": basis_text, "reason": reason_text,
            "effective_from": effective, "figures": figs, "figures_from": f_from, "figures_to": f_to})
        change.save(update_fields=["event_seq", "last_hash"])
    return change


def _lock(change_id: Any) -> RuleChange:
    pk = parse_id(change_id)
    change = RuleChange.objects.select_for_update(of=("self",)).filter(pk=pk).first() if pk else None
    if change is None:
        raise NotFound(_("清单修改建议不存在。"))
    return change


def _check(change: RuleChange, actor: User, action: ChangeAction) -> ChangeState:
    target = next_change_state(ChangeState(change.state), action)
    if target is None:
        raise InvalidTransition(_("这项修改建议当前状态为“%(state)s”，不能执行此操作。")
                                % {"state": STATE_LABELS[change.state]},
                                details={"state": change.state, "action": str(action)})
    decision = decide_change(role=actor.role, action=action, actor_id=actor.pk, actor_unit_id=actor.unit_id,
                             proposer_id=change.proposed_by_id)
    if not decision.allowed:
        _refuse(decision.reason, action)
    return target


def _decide(change: RuleChange, actor: User, action: ChangeAction, target: ChangeState, note: str,
            **data: Any) -> None:
    now = timezone.now()
    from_state = change.state
    change.state = target.value
    change.decided_by, change.decided_at, change.decision_note = actor, now, note
    _event(change, actor, action, from_state, target.value, now, {"note": note, **data})
    change.save()


def approve(change_id: Any, *, actor: User, effective_from: Any = None, note: Any = "") -> RuleChange:
    """Approve a proposal and apply it as a new version of the list, from the proposed date or
    the one the owner sets. Before: a list owner who did not propose it; a PROPOSED request; a
    date after today; the rule concerned still open and starting before that date (a change or
    retirement), or no rule for the category and area from that date (an addition); the units
    proposed still active. After: the old rule closed at that date, the new version (version+1)
    from it, the reference data's token bumped, the request APPROVED with its event."""
    note_text = _text(note, "note", _("审批意见"), minimum=0, maximum=2000)
    with transaction.atomic(durable=True):
        change = _lock(change_id)
        target = _check(change, actor, A.APPROVE)
        effective = _effective(effective_from if effective_from not in (None, "") else change.effective_from)
        kind = ChangeKind(change.kind)
        old: ResponsibilityRule | None = None
        lead = co = None
        if kind is not ChangeKind.RETIRE:
            lead = _unit(change.lead_unit_id, "lead_unit")
            co = _units(change.co_unit_ids, "co_units", lead)
        # the category's row first: whoever saves a rule for it (the admin, another approval)
        # does so after this transaction, and sees what it wrote (as ResponsibilityRule.save)
        Category.objects.select_for_update().filter(pk=change.category_id).exists()
        if kind is ChangeKind.ADD:
            _check_pair_free(change.category, change.area, effective)
        else:
            old = _open_rule(change.rule_id, lock=True)
            _check_rule_open(old, effective)
        version = (_pair(change.category_id, change.area_id).aggregate(v=Max("version"))["v"] or 0) + 1
        new: ResponsibilityRule | None = None
        try:
            if old is not None:
                # Only the end moves, to a date after its start: the range shrinks, so it can
                # clash with nothing; an update rather than save(), whose checks would also refuse
                # to close a rule whose lead unit no longer handles orders (the case that most
                # needs a change). The token is bumped below.
                ResponsibilityRule.objects.filter(pk=old.pk).update(effective_to=effective)
                old.effective_to = effective
            if lead is not None:
                new = ResponsibilityRule(category_id=change.category_id, area_id=change.area_id, lead_unit=lead,
                                         basis=change.basis, effective_from=effective, version=version)
                new.save()
                new.co_units.set(co or [])
        except ValidationError as exc:  # a rule saved by hand in between (the model's own check)
            raise Conflict(_("与现有清单条目冲突：%(msg)s") % {"msg": "；".join(exc.messages)}) from None
        snapshot.bump()  # the co-units above are written after the rule's own save
        change.applied_from, change.new_rule = effective, new
        _decide(change, actor, A.APPROVE, target, note_text, effective_from=effective,
                closed_rule=old.pk if old else None, new_rule=new.pk if new else None,
                version=new.version if new else None)
    return change


def reject(change_id: Any, *, actor: User, note: Any) -> RuleChange:
    """Reject a proposal with the reason. Before: a list owner who did not propose it; a
    PROPOSED request; a reason of at least 5 characters. After: REJECTED, with its event; the
    list unchanged."""
    note_text = _text(note, "note", _("不予批准的理由"), minimum=5, maximum=2000)
    with transaction.atomic(durable=True):
        change = _lock(change_id)
        target = _check(change, actor, A.REJECT)
        _decide(change, actor, A.REJECT, target, note_text)
    return change


def withdraw(change_id: Any, *, actor: User, note: Any = "") -> RuleChange:
    """The proposer withdraws an open proposal. After: WITHDRAWN, with its event."""
    note_text = _text(note, "note", _("说明"), minimum=0, maximum=2000)
    with transaction.atomic(durable=True):
        change = _lock(change_id)
        target = _check(change, actor, A.WITHDRAW)
        _decide(change, actor, A.WITHDRAW, target, note_text)
    return change


# ---- reads -----------------------------------------------------------------------------------------


def visible_to(user: Any) -> QuerySet[RuleChange]:
    """The change requests a person may read: the centre's roles all of them; a unit's people
    those their unit proposed and those about rules or areas that concern it; nobody else any."""
    qs = RuleChange.objects.select_related("rule", "category", "area", "lead_unit", "proposed_by", "proposer_unit",
                                           "decided_by", "new_rule")
    role = getattr(user, "role", "")
    if role in CENTRE_READERS:
        return qs
    unit = getattr(user, "unit_id", None)
    if role in UNIT_READERS and unit is not None:
        ids = RuleChange.objects.filter(
            Q(proposer_unit_id=unit) | Q(lead_unit_id=unit) | Q(rule__lead_unit_id=unit) | Q(rule__co_units=unit)
            | Q(area__unit_id=unit) | Q(area__parent__unit_id=unit)).values("id")
        return qs.filter(id__in=ids)
    return qs.none()


def rules_concerning(unit_id: int, on: dt.date | None = None) -> list[ResponsibilityRule]:
    """The rules in force (or starting later) that concern a unit: it leads them, co-handles
    them, or governs their area."""
    on = on or timezone.localdate()
    governed = Area.objects.filter(Q(unit_id=unit_id) | Q(parent__unit_id=unit_id)).values("id")
    return list(ResponsibilityRule.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
                .filter(Q(lead_unit_id=unit_id) | Q(co_units=unit_id) | Q(area_id__in=governed)).distinct()
                .select_related("category", "area", "lead_unit").order_by("category__path", "area__code"))


def versions(rule: ResponsibilityRule) -> list[dict[str, Any]]:
    """Every version of the rule's line (its category and area), oldest first: its dates (the
    last day in force is the day before `effective_to`), units, basis, and the approved change
    that created it."""
    rows = list(_pair(rule.category_id, rule.area_id).select_related("lead_unit").prefetch_related("co_units")
                .order_by("effective_from", "id"))
    made_by = {c.new_rule_id: c for c in RuleChange.objects.filter(new_rule__in=rows)}
    closed_by = {c.rule_id: c for c in RuleChange.objects.filter(rule__in=rows, state=ChangeState.APPROVED.value)}
    today = timezone.localdate()
    out = []
    for r in rows:
        out.append({
            "rule": r, "version": r.version, "effective_from": r.effective_from, "effective_to": r.effective_to,
            "last_day": r.effective_to - dt.timedelta(days=1) if r.effective_to else None,
            "lead_unit": r.lead_unit.name, "co_units": [u.name for u in r.co_units.all()], "basis": r.basis,
            "in_force": r.effective_from <= today and (r.effective_to is None or today < r.effective_to),
            "upcoming": r.effective_from > today, "made_by": made_by.get(r.pk), "closed_by": closed_by.get(r.pk),
        })
    return out
