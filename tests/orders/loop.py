"""Test helpers for the closed loop: the intended behaviour written out independently of
states.py / policies.py, a way to bring an order into any state through the actions, and one
call with valid arguments for every action.

The intended behaviour is written by action (where it applies) and by role (who may take it),
the other way round from the literal tables, so a slip in either is caught by comparison.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import connection

from hotline.demo.district import District
from hotline.directory.models import User
from hotline.directory.roles import Role
from hotline.orders import actions, clock
from hotline.orders.models import Callback, Evidence, Supervision, WorkOrder
from hotline.orders.states import Action, State
from hotline.orders.validation import as_id
from tests.conftest import make_order as _make_order
from tests.orders import files

A, S, R = Action, State, Role
ALL = frozenset(State)
OPEN = frozenset({S.RECEIVED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK})

# ---- intended behaviour (DESIGN.md "The closed loop") --------------------------------------------

# Actions that move an order: {from state: to state}.
MOVES: dict[Action, dict[State, State]] = {
    A.DISPATCH: {S.RECEIVED: S.DISPATCHED},
    A.CLAIM: {S.RECEIVED: S.DISPATCHED},
    A.ANSWER: {S.RECEIVED: S.CLOSED},
    A.SCREEN_OUT: {S.RECEIVED: S.SCREENED_OUT},
    A.MERGE: {S.RECEIVED: S.MERGED},
    A.UNMERGE: {S.MERGED: S.RECEIVED},
    A.SIGN: {S.DISPATCHED: S.IN_PROGRESS},
    A.RETURN: {S.DISPATCHED: S.RETURNED},
    A.ACCEPT_RETURN: {S.RETURNED: S.DISPATCHED},
    A.REJECT_RETURN: {S.RETURNED: S.DISPATCHED},
    A.JOINT: {S.RETURNED: S.DISPATCHED},
    A.ESCALATE: {S.RETURNED: S.DISPATCHED},
    A.RETURN_TO_CITY: {S.RECEIVED: S.RETURNED_TO_CITY, S.RETURNED: S.RETURNED_TO_CITY},
    A.REPLY: {S.IN_PROGRESS: S.REPLIED},
    A.APPROVE: {S.REPLIED: S.AWAITING_CALLBACK},
    A.REDO: {S.REPLIED: S.IN_PROGRESS},
    A.CALLBACK: {S.AWAITING_CALLBACK: S.CLOSED, S.MERGED: S.MERGED},
    A.REOPEN: {S.AWAITING_CALLBACK: S.IN_PROGRESS, S.CLOSED: S.IN_PROGRESS},
    A.RESTORE: {S.SCREENED_OUT: S.RECEIVED},
    # a proactive order (no caller) is closed by the centre's verification instead of a callback
    A.VERIFY: {S.AWAITING_CALLBACK: S.CLOSED},
}
# Actions that leave the state as it is, and the states they apply in.
STAYS: dict[Action, frozenset[State]] = {
    A.CONTACT: frozenset({S.IN_PROGRESS}),
    A.PROGRESS: frozenset({S.IN_PROGRESS}),
    A.REQUEST_EXTENSION: frozenset({S.IN_PROGRESS}),
    A.APPROVE_EXTENSION: frozenset({S.IN_PROGRESS}),
    A.DENY_EXTENSION: frozenset({S.IN_PROGRESS}),
    A.CALLBACK_ATTEMPT: frozenset({S.AWAITING_CALLBACK, S.MERGED}),
    # urging chases a unit or the centre while someone still has to act on the request
    A.URGE: frozenset({S.RECEIVED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS}),
    A.SUPERVISE: OPEN,
    A.ANNOTATE: ALL,
    A.ATTACH: frozenset({S.RECEIVED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED}),
    A.VIEW_PHONE: frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REPLIED}),
    # evidence is part of the record: viewable in every state, closed or not
    A.VIEW_EVIDENCE: ALL,
    # a unit reports an unreasonable request while it holds the order (the same states in which
    # it may look at the caller's number); the report, and the caller's mark that comes of it, are
    # decided whatever the order went on to, once a unit has had it
    A.REPORT_UNREASONABLE: frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REPLIED}),
    **{a: frozenset({S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK, S.CLOSED,
                     S.RETURNED_TO_CITY})
       for a in (A.UPHOLD_UNREASONABLE, A.REJECT_UNREASONABLE, A.CONTEST_MARK, A.LIFT_MARK, A.KEEP_MARK)},
    # the centre re-checks a callback (复核回访) once one has been made: the order was called back
    # and closed, or a merged order's caller was called
    A.RECHECK: frozenset({S.CLOSED, S.MERGED}),
    # appeals (申诉): filed and decided once the order has had a redo or a callback, whatever it went
    # on to: it is then in progress, replied, awaiting callback or closed (the action itself needs a
    # redo or a callback of the unit to appeal)
    **{a: frozenset({S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK, S.CLOSED})
       for a in (A.APPEAL_REDO, A.APPEAL_CALLBACK, A.UPHOLD_APPEAL, A.REJECT_APPEAL)},
    # supervision (督办): the lead unit feeds back, and a supervisor closes on that feedback, while
    # a unit leads the order or after it closed; a supervision is lifted whatever became of the
    # order; it is escalated to the city only while a unit holds the order
    A.SUPERVISION_FEEDBACK: frozenset({S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK,
                                       S.CLOSED}),
    A.CLOSE_SUPERVISION: frozenset({S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK,
                                    S.CLOSED}),
    A.LIFT_SUPERVISION: ALL,
    A.ESCALATE_SUPERVISION: frozenset({S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK}),
    # joint handling: a co-unit signs and replies its own part, the lead urges it, while the lead
    # is on the order's clock; the order does not move (docs/joint.md)
    A.CO_SIGN: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
    A.CO_REPLY: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
    A.CO_URGE: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
}


def intended_target(state: State, action: Action) -> State | None:
    if action in MOVES:
        return MOVES[action].get(state)
    return state if state in STAYS.get(action, ()) else None


# Unit scopes: "lead" = the actor's unit leads the order; "involved" = leads or co-handles;
# "unit" = any handling unit (the action itself narrows claiming to the unit's own area).
UNIT_RIGHTS = {
    A.CLAIM: "unit", A.SIGN: "lead", A.RETURN: "lead", A.REQUEST_EXTENSION: "lead", A.REPLY: "lead",
    A.CONTACT: "involved", A.PROGRESS: "involved", A.ANNOTATE: "involved", A.ATTACH: "involved",
    A.VIEW_PHONE: "involved", A.VIEW_EVIDENCE: "unit", A.REPORT_UNREASONABLE: "lead",
    A.SUPERVISION_FEEDBACK: "lead",  # the lead unit answers the supervisor
    # "co" = the actor's unit co-handles the order and does not lead it (its own part)
    A.CO_SIGN: "co", A.CO_REPLY: "co", A.CO_URGE: "lead",
}
# Only the unit's head files an appeal (the unit's formal position), for the order its unit leads.
UNIT_HEAD_RIGHTS = {A.APPEAL_REDO: "lead", A.APPEAL_CALLBACK: "lead"}
# District roles act on every order; some only in some states.
DISTRICT_RIGHTS: dict[Role, dict[Action, frozenset[State] | None]] = {
    R.AGENT: {a: None for a in (A.ANSWER, A.SCREEN_OUT, A.MERGE, A.UNMERGE, A.URGE, A.ANNOTATE, A.ATTACH,
                                A.VIEW_EVIDENCE, A.CONTEST_MARK)},
    R.DISPATCHER: {a: None for a in (
        A.DISPATCH, A.ANSWER, A.SCREEN_OUT, A.RESTORE, A.MERGE, A.UNMERGE, A.ACCEPT_RETURN, A.REJECT_RETURN, A.JOINT,
        A.ESCALATE, A.RETURN_TO_CITY, A.APPROVE_EXTENSION, A.DENY_EXTENSION, A.URGE, A.ANNOTATE, A.ATTACH,
        A.VIEW_EVIDENCE, A.VERIFY)},
    R.REVIEWER: {A.APPROVE: None, A.REDO: None, A.ANNOTATE: None, A.VIEW_EVIDENCE: None},
    # a callback agent reopens only what the caller says is unresolved; a closed order is reopened
    # by a supervisor
    R.CALLBACK: {A.CALLBACK: None, A.CALLBACK_ATTEMPT: None, A.ANNOTATE: None, A.VIEW_EVIDENCE: None,
                 A.REOPEN: frozenset({S.AWAITING_CALLBACK}), A.RECHECK: None},
    R.SUPERVISOR: {A.VERIFY: None, A.SUPERVISE: None, A.URGE: None, A.RESTORE: None, A.UNMERGE: None, A.APPROVE_EXTENSION: None,
                   A.DENY_EXTENSION: None, A.ANNOTATE: None, A.VIEW_EVIDENCE: None, A.REOPEN: frozenset({S.CLOSED}),
                   # the centre's decisions on unreasonable requests and on the callers' contests
                   A.UPHOLD_UNREASONABLE: None, A.REJECT_UNREASONABLE: None, A.LIFT_MARK: None,
                   A.KEEP_MARK: None,
                   # the second, independent callback of a suspect one
                   A.RECHECK: None,
                   # the centre's decision on a unit's appeal
                   A.UPHOLD_APPEAL: None, A.REJECT_APPEAL: None,
                   # supervision: closed on the unit's feedback, lifted, escalated to the city by hand
                   A.CLOSE_SUPERVISION: None, A.LIFT_SUPERVISION: None, A.ESCALATE_SUPERVISION: None},
    R.ADMIN: {A.ANNOTATE: None, A.VIEW_EVIDENCE: None},
    # triage never closes or screens out by itself; a reply not drawn for sampled review is
    # passed by do_reply itself, so the system never approves through do_approve
    R.SYSTEM: {A.DISPATCH: None, A.MERGE: None, A.ANNOTATE: None,
               # the worker escalates a supervision whose deadline passed without feedback
               A.ESCALATE_SUPERVISION: None},
    # the city platform hands orders down, urges and supervises them (联合督办), and notes things
    R.CITY: {A.URGE: None, A.SUPERVISE: None, A.ANNOTATE: None},
    # the citizens' web channel: the photos of a new request, the citizen's own callback answers
    R.PUBLIC: {A.ATTACH: frozenset({S.RECEIVED}), A.CALLBACK: frozenset({S.AWAITING_CALLBACK})},
}
CREATORS = frozenset({R.AGENT, R.DISPATCHER, R.SYSTEM, R.CITY, R.PUBLIC})
# On a proactive order (no caller) the centre that verifies it reopens it when it fails
# verification; the callback agent has no caller to ask.
PROACTIVE_REOPEN: dict[Role, frozenset[State]] = {
    R.DISPATCHER: frozenset({S.AWAITING_CALLBACK}), R.SUPERVISOR: frozenset({S.AWAITING_CALLBACK, S.CLOSED}),
    R.CALLBACK: frozenset()}
PROACTIVE_CREATORS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.SYSTEM})


def intended_allowed(role: Role, action: Action, state: State, relation: str, proactive: bool = False) -> bool:
    """May a person of `role` take `action` on an order in `state` (a proactive one when
    `proactive`)? `relation` is the actor's unit's relation to the order: "lead", "co", "other" or
    "none" (no unit). Whether the action applies to the order's source at all is apart
    (intended_for_source)."""
    if intended_target(state, action) is None:
        return False
    if proactive and action is A.REOPEN and role in PROACTIVE_REOPEN:
        return state in PROACTIVE_REOPEN[role]
    if role in (R.HANDLER, R.UNIT_HEAD):
        scope = UNIT_RIGHTS.get(action) or (UNIT_HEAD_RIGHTS.get(action) if role is R.UNIT_HEAD else None)
        if scope == "unit":
            return relation != "none"
        if scope == "lead":
            return relation == "lead"
        if scope == "involved":
            return relation in ("lead", "co")
        if scope == "co":
            return relation == "co"
        return False
    rights = DISTRICT_RIGHTS.get(role, {})
    if action not in rights:
        return False
    states = rights[action]
    return states is None or state in states


def intended_for_source(action: Action, proactive: bool) -> bool:
    """Whether the action applies to a proactive order / a caller's: a callback needs a caller,
    a verification is for proactive orders only."""
    if action in (A.CALLBACK, A.CALLBACK_ATTEMPT, A.RECHECK, A.REPORT_UNREASONABLE, A.UPHOLD_UNREASONABLE,
                  A.REJECT_UNREASONABLE, A.CONTEST_MARK, A.LIFT_MARK, A.KEEP_MARK, A.APPEAL_CALLBACK):
        return not proactive  # no caller: nobody to call back, no caller's request or record
    if action is A.VERIFY:
        return proactive
    return True


# ---- bringing an order into a state through the actions ----------------------------------------

REPLY_TEXT = {
    "responder": "李强",
    "process": "接单后当天下午到现场查看，设置围挡并通知市政养护单位修复路面。",
    "outcome": "路面已于次日修复完毕，来电人表示认可。",
}
PHOTO = files.jpeg()  # a real photo: uploads are checked by their content


def photo(name: str = "site.jpg", data: bytes = PHOTO) -> ContentFile:
    return ContentFile(data, name=name)


UNREASONABLE_TEXT = "来电人就同一事项第五次来电，此前已三次书面答复并现场说明，诉求超出政策规定。"


SUPERVISION_TEXT = "来电人多次反映，请限3个工作日内反馈办理情况"
FEEDBACK_TEXT = "已于当日到现场处置，围挡已设置，路面修复正在排期，预计两日内完成。"


def bring_to(d: District, state: State, *, report: bool = False, supervise: bool = False, **order_kw: Any) -> int:
    """A new order (a road collapse in 东湖街道, led by 东湖街道办事处 under the responsibility
    list) walked through the loop by the personas until it is in `state`. With `report`, 李强
    reports it as unreasonable as soon as it is dispatched (the report stays pending on the way).
    With `supervise`, 刘督 puts it under supervision as soon as it is received (督办, open on the way)."""
    p = d.people
    if supervise:
        real = _make_order

        def make_order(d: District, **kw: Any) -> int:  # noqa: N807 - the same helper, supervised at once
            oid = real(d, **kw)
            actions.do_supervise(oid, actor=p["liudu"], text=SUPERVISION_TEXT)
            return oid
    else:
        make_order = _make_order
    if report and state is S.RETURNED_TO_CITY:
        oid = make_order(d, **{"channel": "transfer", **order_kw})
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
        actions.do_report_unreasonable(oid, actor=p["liqiang"], reason="repeated", explanation=UNREASONABLE_TEXT)
        actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该事项属于市级部门职责，请退回市级平台。")
        actions.do_return_to_city(oid, actor=p["chengang"], reason="属于市级部门职责，退回市级平台重新派单")
        return oid
    if state is S.MERGED:
        main = bring_to(d, S.AWAITING_CALLBACK)
        oid = make_order(d, **order_kw)
        actions.do_attach(oid, actor=p["wangfang"], file=photo("caller.jpg"))  # sent by the caller
        actions.do_merge(oid, actor=p["chengang"], main_order_id=main, note="同一处路面塌陷")
        return oid
    if state is S.RETURNED_TO_CITY:
        oid = make_order(d, **{"channel": "transfer", **order_kw})  # the city handed it down
        actions.do_attach(oid, actor=p["wangfang"], file=photo("caller.jpg"))
        actions.do_return_to_city(oid, actor=p["chengang"], reason="属于市级部门职责，退回市级平台重新派单")
        return oid
    oid = make_order(d, **order_kw)
    if state is S.RECEIVED:
        return oid
    if state is S.SCREENED_OUT:
        actions.do_attach(oid, actor=p["wangfang"], file=photo("caller.jpg"))  # sent by the caller
        actions.do_screen_out(oid, actor=p["chengang"], reason="litigation", advice="请通过人民法院起诉解决。")
        return oid
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    if report:
        actions.do_report_unreasonable(oid, actor=p["liqiang"], reason="repeated", explanation=UNREASONABLE_TEXT)
    if state is S.DISPATCHED:
        return oid
    if state is S.RETURNED:
        actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。")
        return oid
    actions.do_sign(oid, actor=p["liqiang"])
    if state is S.IN_PROGRESS:
        return oid
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系张先生，约定下午到场。")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    answer_parts(d, oid)
    actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    if state is S.REPLIED:
        return oid
    actions.do_approve(oid, actor=p["zhoushen"])
    if state is S.AWAITING_CALLBACK:
        return oid
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    assert state is S.CLOSED, state
    return oid


CO_REPLY_TEXT = "已到现场核查，涉及本单位职责的部分已处理完毕，情况如上，请主办单位汇总答复。"


def unit_member(d: District, unit_id: int) -> User:
    """A person of the unit who may act for it (a handler, or its head)."""
    return next(u for u in d.people.values() if u.unit_id == unit_id and u.role in (R.HANDLER, R.UNIT_HEAD))


def answer_parts(d: District, oid: int) -> None:
    """Each co-unit with a part still owed signs for it and replies it (joint handling), so that
    the lead unit's reply may gather them."""
    from hotline.orders.models import CoPart

    for part in CoPart.objects.filter(order_id=oid, state__in=("assigned", "signed")):
        member = unit_member(d, part.unit_id)
        if part.state == "assigned":
            actions.do_co_sign(oid, actor=member)
        actions.do_co_reply(oid, actor=member, text=CO_REPLY_TEXT)


PROACTIVE_STATES = (S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK, S.CLOSED)


def new_proactive(d: District, **kw: Any) -> int:
    """A proactive order (a patrol found the collapsed road), opened and dispatched by 陈刚 to
    东湖街道办事处 under the responsibility list."""
    return actions.do_create_proactive(
        actor=kw.pop("actor", d.people["chengang"]), title=kw.pop("title", "巡查发现东湖路路面塌陷"),
        description=kw.pop("description", "网格员巡查发现东湖路与湖滨路交叉口路面塌陷约一平方米，请尽快处置。"),
        area_id=d.areas["east-lake"].pk, address=kw.pop("address", "东湖路与湖滨路交叉口"),
        category_id=d.categories[kw.pop("category", "道路塌陷破损")].pk, unit_id=kw.pop("unit_id", d.units["street-a"].pk),
        source=kw.pop("source", "patrol"), source_ref=kw.pop("source_ref", None), **kw).pk


def bring_proactive_to(d: District, state: State, **kw: Any) -> int:
    """A proactive order walked through the loop until it is in `state` (it starts dispatched)."""
    p = d.people
    oid = new_proactive(d, **kw)
    if state is S.DISPATCHED:
        return oid
    if state is S.RETURNED:
        actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。")
        return oid
    actions.do_sign(oid, actor=p["liqiang"])
    if state is S.IN_PROGRESS:
        return oid
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], **PROACTIVE_REPLY)
    if state is S.REPLIED:
        return oid
    actions.do_approve(oid, actor=p["zhoushen"])
    if state is S.AWAITING_CALLBACK:
        return oid
    actions.do_verify(oid, actor=p["chengang"], note="已到现场核验，路面修复完好")
    assert state is S.CLOSED, state
    return oid


def bring_proactive_appealable_to(d: District, state: State) -> int:
    """A proactive order whose first reply 周审 sent back for redo, walked on to `state` (in
    progress, replied, awaiting verification, closed): an appeal of the redo applies to it."""
    p = d.people
    oid = bring_proactive_to(d, S.REPLIED)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note="诉求未解决且未说明原因")
    if state is S.IN_PROGRESS:
        return oid
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], **PROACTIVE_REPLY)
    if state is S.REPLIED:
        return oid
    if WorkOrder.objects.get(pk=oid).state == S.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])
    if state is S.AWAITING_CALLBACK:
        return oid
    actions.do_verify(oid, actor=p["chengang"], note="已到现场核验，路面修复完好")
    assert state is S.CLOSED, state
    return oid


PROACTIVE_REPLY = {
    "responder": "李强",
    "process": "接单后当天下午到现场查看，设置围挡并通知市政养护单位修复路面。",
    "outcome": "路面已于次日修复完毕，现场已恢复通行。",
}


# ---- one valid call per action ----------------------------------------------------------------


@dataclass
class Ctx:
    """What a call needs besides the order: the district, and a main order for merges."""

    d: District
    main_order_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def unit(self, code: str) -> int:
        return self.d.units[code].pk

    def other_unit(self, oid: int, *codes: str) -> int:
        lead = WorkOrder.objects.filter(pk=oid).values_list("lead_unit_id", flat=True).first() if isinstance(
            oid, int) else None
        return next(self.unit(c) for c in codes if self.unit(c) != lead)

    def callback_to_recheck(self, oid: int, actor: User) -> int:
        """A callback of the order that `actor` may re-check (valid, not voided, not a re-check's
        own record, no verdict yet, made by someone else); 0, which names none, if there is none."""
        pk = as_id(oid)
        if pk is None:
            return 0
        found = (Callback.objects.filter(order_id=pk, valid=True, reached=True, voided_at__isnull=True,
                                         replaces__isnull=True).exclude(agent=actor)
                 .exclude(rechecks__verdict__in=["confirmed", "fabricated"]).order_by("-pk")
                 .values_list("pk", flat=True).first())
        return found or 0

    def co_unit_of(self, oid: int) -> int:
        """A co-unit of the order (城管执法局 if it has none: the action refuses it)."""
        pk = as_id(oid)
        found = WorkOrder.co_units.through.objects.filter(workorder_id=pk).values_list("unit_id", flat=True).first() \
            if pk else None
        return found or self.unit("enforcement")

    def evidence_of(self, oid: int) -> int:
        """An evidence file of the order (0, which names none, if it has none)."""
        pk = as_id(oid)  # the garbage-id tests pass anything as the order
        return (Evidence.objects.filter(order_id=pk).values_list("pk", flat=True).first() or 0) if pk else 0


CALLS: dict[Action, Callable[[int, User, Ctx], Any]] = {
    A.DISPATCH: lambda o, u, c: actions.do_dispatch(o, actor=u, unit_id=c.unit("street-a")),
    A.CLAIM: lambda o, u, c: actions.do_claim(o, actor=u, note="辖区内事项，主动认领"),
    A.ANSWER: lambda o, u, c: actions.do_answer(o, actor=u, answer="已在电话中告知来电人办理流程和所需材料。"),
    A.SCREEN_OUT: lambda o, u, c: actions.do_screen_out(o, actor=u, reason="litigation", advice="请通过人民法院起诉解决。"),
    A.RESTORE: lambda o, u, c: actions.do_restore(o, actor=u, note="来电人申诉，经核实属于受理范围"),
    A.MERGE: lambda o, u, c: actions.do_merge(o, actor=u, main_order_id=c.main_order_id, note="同一处路面塌陷"),
    A.UNMERGE: lambda o, u, c: actions.do_unmerge(o, actor=u, note="核实后不是同一处塌陷，单独派单"),
    A.SIGN: lambda o, u, c: actions.do_sign(o, actor=u),
    A.RETURN: lambda o, u, c: actions.do_return(o, actor=u, kind="not_remit", reason="该路段属于市政道路，由区城管执法局负责。"),
    A.ACCEPT_RETURN: lambda o, u, c: actions.do_accept_return(
        o, actor=u, unit_id=c.other_unit(o, "enforcement", "housing"), note="经核实属于城管执法局职责"),
    A.REJECT_RETURN: lambda o, u, c: actions.do_reject_return(o, actor=u, note="权责清单规定由属地街道负责"),
    A.JOINT: lambda o, u, c: actions.do_joint(
        o, actor=u, lead_unit_id=c.unit("street-a"), co_unit_ids=[c.unit("enforcement")], note="需街道和城管联合处置"),
    A.ESCALATE: lambda o, u, c: actions.do_escalate(o, actor=u, unit_id=c.other_unit(o, "caac", "airport"),
                                                    note="超出承办单位权限，提级处理"),
    A.RETURN_TO_CITY: lambda o, u, c: actions.do_return_to_city(o, actor=u, reason="属于市级部门职责，退回市级平台重新派单"),
    A.CONTACT: lambda o, u, c: actions.do_contact(o, actor=u, text="已电话联系来电人"),
    A.PROGRESS: lambda o, u, c: actions.do_progress(o, actor=u, text="已到现场设置围挡"),
    A.REQUEST_EXTENSION: lambda o, u, c: actions.do_request_extension(
        o, actor=u, days=5, reason="需协调市政养护单位排期施工，五个工作日内无法完成"),
    A.APPROVE_EXTENSION: lambda o, u, c: actions.do_approve_extension(o, actor=u, note="同意"),
    A.DENY_EXTENSION: lambda o, u, c: actions.do_deny_extension(o, actor=u, note="理由不充分，请按期办结"),
    A.REPLY: lambda o, u, c: actions.do_reply(o, actor=u, contacted_caller=True, **REPLY_TEXT),
    A.APPROVE: lambda o, u, c: actions.do_approve(o, actor=u, note="答复完整", checks=dict.fromkeys(actions.EFFECT_QUESTIONS, True)),
    A.REDO: lambda o, u, c: actions.do_redo(o, actor=u, reasons=["not_solved"], note="未说明修复是否完成",
                                            checks={"answered": True, "resolved": False}),
    A.CALLBACK: lambda o, u, c: actions.do_callback(o, actor=u, contacted=True, resolved=True, satisfaction="satisfied"),
    A.CALLBACK_ATTEMPT: lambda o, u, c: actions.do_callback_attempt(o, actor=u),
    A.REOPEN: lambda o, u, c: actions.do_reopen(o, actor=u, reason="来电人表示问题仍未解决"),
    A.URGE: lambda o, u, c: actions.do_urge(o, actor=u, text="来电人来电催促"),
    A.SUPERVISE: lambda o, u, c: actions.do_supervise(o, actor=u, text="请限期办结并报告"),
    A.ANNOTATE: lambda o, u, c: actions.do_annotate(o, actor=u, text="备注：来电人白天不方便接电话"),
    A.ATTACH: lambda o, u, c: actions.do_attach(o, actor=u, file=photo("photo.jpg")),
    A.VIEW_PHONE: lambda o, u, c: actions.do_view_phone(o, actor=u),
    A.VIEW_EVIDENCE: lambda o, u, c: actions.do_view_evidence(o, actor=u, evidence_id=c.evidence_of(o)),
    A.REPORT_UNREASONABLE: lambda o, u, c: actions.do_report_unreasonable(
        o, actor=u, reason="repeated", explanation=UNREASONABLE_TEXT),
    A.UPHOLD_UNREASONABLE: lambda o, u, c: actions.do_uphold_unreasonable(o, actor=u, note="经核实，已充分答复，属重复诉求"),
    A.REJECT_UNREASONABLE: lambda o, u, c: actions.do_reject_unreasonable(o, actor=u, note="诉求有新情况，应继续办理"),
    A.CONTEST_MARK: lambda o, u, c: actions.do_contest_mark(o, actor=u, reason="来电人称此次反映的是新问题"),
    A.LIFT_MARK: lambda o, u, c: actions.do_lift_mark(o, actor=u, note="核实来电人反映属实，撤销标记"),
    A.KEEP_MARK: lambda o, u, c: actions.do_keep_mark(o, actor=u, note="异议理由不成立，维持标记"),
    A.RECHECK: lambda o, u, c: actions.do_recheck(o, actor=u, callback_id=c.callback_to_recheck(o, u), reached=True,
                                                  confirmed=True, resolved=True, satisfaction="satisfied",
                                                  note="来电人确认此前回访是本人作答"),
    A.VERIFY: lambda o, u, c: actions.do_verify(o, actor=u, note="已到现场核验，办理结果属实"),
    A.APPEAL_REDO: lambda o, u, c: actions.do_appeal_redo(
        o, actor=u, reasons=["reply_explained"], explanation=APPEAL_TEXT),
    A.APPEAL_CALLBACK: lambda o, u, c: actions.do_appeal_callback(
        o, actor=u, reasons=["other_matter"], explanation=APPEAL_CALLBACK_TEXT),
    A.UPHOLD_APPEAL: lambda o, u, c: actions.do_uphold_appeal(o, actor=u, note="经核实答复已说明原因，申诉成立"),
    A.REJECT_APPEAL: lambda o, u, c: actions.do_reject_appeal(o, actor=u, note="答复确未说明原因，申诉不成立"),
    A.SUPERVISION_FEEDBACK: lambda o, u, c: actions.do_supervision_feedback(o, actor=u, text=FEEDBACK_TEXT),
    A.CLOSE_SUPERVISION: lambda o, u, c: actions.do_close_supervision(o, actor=u, note="反馈属实，督办办结"),
    A.LIFT_SUPERVISION: lambda o, u, c: actions.do_lift_supervision(o, actor=u, note="来电人已撤回诉求，撤销督办"),
    A.ESCALATE_SUPERVISION: lambda o, u, c: escalate_as(o, u),
    A.CO_SIGN: lambda o, u, c: actions.do_co_sign(o, actor=u),
    A.CO_REPLY: lambda o, u, c: actions.do_co_reply(o, actor=u, text=CO_REPLY_TEXT),
    A.CO_URGE: lambda o, u, c: actions.do_co_urge(o, actor=u, unit_id=c.co_unit_of(o), text="请抓紧答复协办部分"),
}
APPEAL_TEXT = "答复已写明无法立即修复的原因（需市政排期）和后续安排，并已告知来电人，驳回理由与事实不符。"
APPEAL_CALLBACK_TEXT = "回访录音显示来电人评价的是另一件物业纠纷，与本工单的路面修复无关。"
APPEAL_ACTIONS = frozenset({A.APPEAL_REDO, A.APPEAL_CALLBACK, A.UPHOLD_APPEAL, A.REJECT_APPEAL})


def bring_appealable_to(d: District, state: State, **order_kw: Any) -> int:
    """An order of 东湖街道办事处 that has both a redo (周审 sent the first reply back) and a valid
    callback (孙回's), walked on to `state` (one of the appeal states): called back and closed,
    then, for the other states, reopened by 刘督 and walked again."""
    p = d.people
    oid = bring_to(d, S.REPLIED, **order_kw)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note="诉求未解决且未说明原因")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, **REPLY_TEXT)
    if WorkOrder.objects.get(pk=oid).state == S.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    if state is S.CLOSED:
        return oid
    actions.do_reopen(oid, actor=p["liudu"], reason="来电人反映问题反复出现")
    if state is S.IN_PROGRESS:
        return oid
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], contacted_caller=True, **REPLY_TEXT)
    if state is S.REPLIED:
        return oid
    if WorkOrder.objects.get(pk=oid).state == S.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])
    assert state is S.AWAITING_CALLBACK, state
    return oid


def escalate_as(oid: Any, actor: User) -> Any:
    """Escalate the order's supervision: a supervisor now, the system (the worker) only once the
    deadline has passed, so it acts just after it."""
    if actor.role != R.SYSTEM.value:
        return actions.do_escalate_supervision(oid, actor=actor, note="单位逾期未反馈，提请市级联合督办")
    pk = as_id(oid)
    sup = Supervision.objects.filter(order_id=pk, state="open").first() if pk else None
    if sup is None:
        return actions.do_escalate_supervision(oid, actor=actor)
    with clock.at(sup.due + dt.timedelta(minutes=1)):
        return actions.do_escalate_supervision(oid, actor=actor)

# Actions that need a report made earlier (bring_to(report=True)), and what else before them.
NEEDS_REPORT = frozenset({A.UPHOLD_UNREASONABLE, A.REJECT_UNREASONABLE, A.CONTEST_MARK, A.LIFT_MARK, A.KEEP_MARK})
UNREASONABLE_ACTIONS = NEEDS_REPORT | {A.REPORT_UNREASONABLE}
# Actions that need a supervision opened earlier (bring_to(supervise=True)); with SUPERVISE itself,
# each needs a fresh order (one active supervision per order).
NEEDS_SUPERVISION = frozenset({A.SUPERVISION_FEEDBACK, A.CLOSE_SUPERVISION, A.LIFT_SUPERVISION,
                               A.ESCALATE_SUPERVISION})
SUPERVISION_ACTIONS = NEEDS_SUPERVISION | {A.SUPERVISE}


def prepare(d: District, oid: int, state: State, action: Action | None = None) -> None:
    """What a valid `action` (None: any action) in `state` needs beforehand: a pending extension
    request (to approve or deny one) and a site photo (the road-collapse procedure needs one
    for a reply), and a file to view where none was attached on the way (the dispatcher attaches
    one)."""
    if action in (None, A.VIEW_EVIDENCE) and state in (S.RECEIVED, S.DISPATCHED, S.RETURNED):
        actions.do_attach(oid, actor=d.people["chengang"], file=photo("caller.jpg"))
    if action is A.RECHECK:
        # a callback by a second callback agent, so that every entitled persona (孙回 too) has
        # one it did not make to re-check
        other = second_callback_agent(d)
        if state is S.CLOSED:
            actions.do_reopen(oid, actor=d.people["liudu"], reason="来电人反映问题反复出现")
            actions.do_attach(oid, actor=d.people["liqiang"], file=photo())
            actions.do_reply(oid, actor=d.people["liqiang"], contacted_caller=True, **REPLY_TEXT)
            if WorkOrder.objects.get(pk=oid).state == S.REPLIED:
                actions.do_approve(oid, actor=d.people["zhoushen"])
            actions.do_callback(oid, actor=other, contacted=True, resolved=True, satisfaction="satisfied")
        elif state is S.MERGED:
            actions.do_callback(oid, actor=other, contacted=True, resolved=True, satisfaction="satisfied")
    if action is A.CLOSE_SUPERVISION:
        # the lead unit's feedback, to close the supervision on
        actions.do_supervision_feedback(oid, actor=d.people["liqiang"], text=FEEDBACK_TEXT)
    if action in (A.CONTEST_MARK, A.LIFT_MARK, A.KEEP_MARK):
        # the report (made by bring_to(report=True)) upheld, and for a decision a contest recorded
        actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="经核实，已充分答复，属重复诉求")
        if action is not A.CONTEST_MARK:
            actions.do_contest_mark(oid, actor=d.people["wangfang"], reason="来电人称此次反映的是新问题")
    if action is A.CO_REPLY and state in (S.DISPATCHED, S.IN_PROGRESS):
        # the co-unit signs for its part before it replies it
        from hotline.orders.models import CoPart

        for part in CoPart.objects.filter(order_id=oid, state="assigned"):
            actions.do_co_sign(oid, actor=unit_member(d, part.unit_id))
    if state is not S.IN_PROGRESS:
        return
    if action in (None, A.APPROVE_EXTENSION, A.DENY_EXTENSION):
        actions.do_request_extension(oid, actor=d.people["liqiang"], days=3,
                                     reason="需协调市政养护单位排期施工，时间不够")
    if action in (None, A.REPLY):
        actions.do_attach(oid, actor=d.people["liqiang"], file=photo())
    if action is A.REPLY:
        answer_parts(d, oid)


def second_callback_agent(d: District) -> User:
    """钱回, a second callback agent of the centre (the district has one, 孙回)."""
    user, _ = User.objects.get_or_create(username="qianhui", defaults={
        "display_name": "钱回", "role": R.CALLBACK.value, "unit": d.units["district"]})
    return user


SIDE_TABLES = ("notes", "replies", "reviews", "returns", "callbacks", "extensions", "evidence", "events",
               "unreasonable_reports", "caller_marks", "mark_contests", "rechecks", "appeals", "supervisions", "co_parts")


def snapshot(oid: int) -> tuple[dict[str, Any], list[int], tuple[int, ...]]:
    """Everything a refused action must leave as it was: the order row, its co-units, and the
    count of its events and of each kind of row hanging off it (one query for the counts)."""
    row = WorkOrder.objects.filter(pk=oid).values().get()
    co = sorted(WorkOrder.co_units.through.objects.filter(workorder_id=oid).values_list("unit_id", flat=True))
    tables = [WorkOrder._meta.get_field(rel).related_model._meta.db_table for rel in SIDE_TABLES]
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t} WHERE order_id = %s)" for t in tables)
    with connection.cursor() as cur:
        cur.execute(sql, [oid] * len(tables))
        counts = tuple(cur.fetchone())
    return row, co, counts


@contextmanager
def frozen(when: dt.datetime) -> Iterator[None]:
    """Run the actions as if it were `when` (they read the time through django.utils.timezone)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def cst(*args: int) -> dt.datetime:
    """A time in Beijing (Asia/Shanghai, the settings' zone)."""
    return dt.datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))
