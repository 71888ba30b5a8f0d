"""The closed loop as a literal table: (State, Action) -> State. Pure: no Django import.

Every action an order can undergo is here. Actions that change no state map a state to
itself. Anything not in the table is refused.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"  # 已受理
    DISPATCHED = "dispatched"  # 已派单
    RETURNED = "returned"  # 已回退
    IN_PROGRESS = "in_progress"  # 办理中
    REPLIED = "replied"  # 已答复
    AWAITING_CALLBACK = "awaiting_callback"  # 待回访
    CLOSED = "closed"  # 已办结
    SCREENED_OUT = "screened_out"  # 不予受理
    MERGED = "merged"  # 已合并
    RETURNED_TO_CITY = "returned_to_city"  # 已退回市级 (a city order that is not the district's to handle)


class Action(StrEnum):
    CREATE = "create"  # 受理 (writes the first event; no state before it)
    DISPATCH = "dispatch"  # 派单
    CLAIM = "claim"  # 主动认领
    ANSWER = "answer"  # 直接答复办结 (answered at intake)
    SCREEN_OUT = "screen_out"  # 不予受理
    RESTORE = "restore"  # 申诉恢复
    MERGE = "merge"  # 合并
    UNMERGE = "unmerge"  # 撤销合并 (a person finds the two are not the same matter)
    SIGN = "sign"  # 签收
    RETURN = "return"  # 回退
    ACCEPT_RETURN = "accept_return"  # 同意回退并改派 (定点分派)
    REJECT_RETURN = "reject_return"  # 驳回回退
    JOINT = "joint"  # 联合处办
    ESCALATE = "escalate"  # 提级 (to the authority above)
    RETURN_TO_CITY = "return_to_city"  # 退回市级 (an order the city handed down, sent back to it)
    CONTACT = "contact"  # 联系来电人
    PROGRESS = "progress"  # 办理进展
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"  # 同意延期
    DENY_EXTENSION = "deny_extension"  # 不同意延期
    REPLY = "reply"  # 答复
    APPROVE = "approve"  # 审核通过
    REDO = "redo"  # 驳回重办
    CALLBACK = "callback"  # 回访
    CALLBACK_ATTEMPT = "callback_attempt"  # 回访未接通
    REOPEN = "reopen"  # 重新办理
    URGE = "urge"  # 催办
    SUPERVISE = "supervise"  # 督办
    ANNOTATE = "annotate"  # 备注
    ATTACH = "attach"  # 上传材料
    VIEW_PHONE = "view_phone"  # 查看来电人完整号码 (masked for units; each look is traced)
    VIEW_EVIDENCE = "view_evidence"  # 查看证据材料 (traced where the procedure says so)
    # Unreasonable requests (上报不合理诉求): the lead unit reports, the centre decides; an upheld
    # report marks the caller's record, which the caller may contest (the centre decides that too).
    REPORT_UNREASONABLE = "report_unreasonable"  # 上报不合理诉求
    UPHOLD_UNREASONABLE = "uphold_unreasonable"  # 认定不合理诉求
    REJECT_UNREASONABLE = "reject_unreasonable"  # 不予认定（驳回上报）
    CONTEST_MARK = "contest_mark"  # 来电人对标记提出异议 (recorded by an agent)
    LIFT_MARK = "lift_mark"  # 异议成立，撤销标记
    KEEP_MARK = "keep_mark"  # 异议不成立，维持标记
    # Consequences of gaming: the centre calls the caller again about a suspect callback.
    RECHECK = "recheck"  # 复核回访
    # Appeals (申诉): the lead unit's head appeals a redo decision or a callback of its order; a
    # supervisor upholds or rejects the appeal. None of these moves the order (docs/appeals.md).
    APPEAL_REDO = "appeal_redo"  # 对驳回重办提出申诉
    APPEAL_CALLBACK = "appeal_callback"  # 对回访结果提出申诉
    UPHOLD_APPEAL = "uphold_appeal"  # 申诉成立
    REJECT_APPEAL = "reject_appeal"  # 申诉不成立
    VERIFY = "verify"  # 核验办结 (a proactive order, with no caller, is closed by the centre's verification)
    # Supervision (督办, docs/supervision.md): SUPERVISE opens a supervision with its own deadline;
    # the lead unit feeds back, a supervisor closes or lifts it; missed, it is escalated to the city.
    SUPERVISION_FEEDBACK = "supervision_feedback"  # 督办反馈
    CLOSE_SUPERVISION = "close_supervision"  # 督办办结
    LIFT_SUPERVISION = "lift_supervision"  # 撤销督办
    ESCALATE_SUPERVISION = "escalate_supervision"  # 提请市级联合督办
    # Joint handling (联合处办, docs/joint.md): each co-unit's own part of the order (协办任务); none
    # of these moves the order, each moves the part (orders/coparts.py).
    CO_SIGN = "co_sign"  # 协办签收
    CO_REPLY = "co_reply"  # 协办答复
    CO_URGE = "co_urge"  # 催办协办单位 (by the lead unit)


S, A = State, Action

OPEN_STATES = frozenset(
    {S.RECEIVED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK}
)
FINAL_STATES = frozenset({S.CLOSED, S.SCREENED_OUT, S.MERGED, S.RETURNED_TO_CITY})


def is_open(state: str) -> bool:
    """Whether an order in `state` is still open (the rule of selectors.open_orders, for one value)."""
    return state in OPEN_STATES


# States in which exactly one unit leads the order.
LED_STATES = frozenset({S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK})
# States in which a unit is on the clock to act (sign, contact, reply).
UNIT_CLOCK_STATES = frozenset({S.DISPATCHED, S.IN_PROGRESS})
# States in which the lead unit holds the order and may report it as unreasonable (the same in
# which it may look at the caller's number): it has it to sign, handle or has replied to it.
UNIT_HOLDS_STATES = frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REPLIED})
# States an order can be in once a unit has reported it: the report is decided, and the caller's
# mark contested and decided, whatever the order went on to (a report does not stop the loop).
REPORTED_STATES = frozenset(
    {S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK, S.CLOSED, S.RETURNED_TO_CITY}
)
# States in which a callback has been recorded and may be re-checked (复核回访): the order was
# called back and closed, or a merged order's caller was called. (A reopened order is being
# handled again: its new callback will be the one to look at.)
RECHECK_STATES = frozenset({S.CLOSED, S.MERGED})
# ---- supervision (督办): none of its steps moves the order --------------------------------------
# The lead unit feeds back, and a supervisor closes the supervision on that feedback, while a unit
# leads the order or once it has closed (a unit may have settled the matter before feeding back).
SUPERVISION_FEEDBACK_STATES = LED_STATES | {S.CLOSED}
# A supervision opened while the order was open may outlive it in any state: it can always be lifted.
SUPERVISION_LIFT_STATES = frozenset(State)
# Escalation asks the city to press the unit that holds the order: only while one does.
SUPERVISION_ESCALATE_STATES = LED_STATES
# Joint handling: a co-unit signs and replies its part, and the lead unit urges it, while the lead
# is on the order's clock (dispatched, in progress); once the lead has replied the parts are gathered.
CO_PART_STATES = frozenset({S.DISPATCHED, S.IN_PROGRESS})

# States in which an appeal (申诉) is filed and decided: those an order can be in once it has had a
# redo or a callback (an order sent back for redo is in progress, and never again dispatched or
# returned); an appeal does not stop the loop. The action itself checks that there is a redo or a
# callback of the unit to appeal.
APPEAL_STATES = frozenset({S.IN_PROGRESS, S.REPLIED, S.AWAITING_CALLBACK, S.CLOSED})
APPEAL_ACTIONS = (Action.APPEAL_REDO, Action.APPEAL_CALLBACK, Action.UPHOLD_APPEAL, Action.REJECT_APPEAL)

TRANSITIONS: dict[tuple[State, Action], State] = {
    # received: the district centre (or triage) decides what happens to the request
    (S.RECEIVED, A.DISPATCH): S.DISPATCHED,
    (S.RECEIVED, A.CLAIM): S.DISPATCHED,
    (S.RECEIVED, A.ANSWER): S.CLOSED,
    (S.RECEIVED, A.SCREEN_OUT): S.SCREENED_OUT,
    (S.RECEIVED, A.MERGE): S.MERGED,
    (S.RECEIVED, A.RETURN_TO_CITY): S.RETURNED_TO_CITY,
    (S.RECEIVED, A.URGE): S.RECEIVED,
    (S.RECEIVED, A.SUPERVISE): S.RECEIVED,
    (S.RECEIVED, A.ANNOTATE): S.RECEIVED,
    (S.RECEIVED, A.ATTACH): S.RECEIVED,
    # dispatched: the unit signs for it or returns it
    (S.DISPATCHED, A.SIGN): S.IN_PROGRESS,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.DISPATCHED, A.URGE): S.DISPATCHED,
    (S.DISPATCHED, A.SUPERVISE): S.DISPATCHED,
    (S.DISPATCHED, A.ANNOTATE): S.DISPATCHED,
    (S.DISPATCHED, A.ATTACH): S.DISPATCHED,
    # returned: the district centre arbitrates
    (S.RETURNED, A.ACCEPT_RETURN): S.DISPATCHED,
    (S.RETURNED, A.REJECT_RETURN): S.DISPATCHED,
    (S.RETURNED, A.JOINT): S.DISPATCHED,
    (S.RETURNED, A.ESCALATE): S.DISPATCHED,
    (S.RETURNED, A.RETURN_TO_CITY): S.RETURNED_TO_CITY,
    (S.RETURNED, A.URGE): S.RETURNED,
    (S.RETURNED, A.SUPERVISE): S.RETURNED,
    (S.RETURNED, A.ANNOTATE): S.RETURNED,
    (S.RETURNED, A.ATTACH): S.RETURNED,
    # in progress: the unit works on site and replies
    (S.IN_PROGRESS, A.CONTACT): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.PROGRESS): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.REQUEST_EXTENSION): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.APPROVE_EXTENSION): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.DENY_EXTENSION): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.REPLY): S.REPLIED,
    (S.IN_PROGRESS, A.URGE): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.SUPERVISE): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.ANNOTATE): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.ATTACH): S.IN_PROGRESS,
    # replied: the district centre reviews the reply
    (S.REPLIED, A.APPROVE): S.AWAITING_CALLBACK,
    (S.REPLIED, A.REDO): S.IN_PROGRESS,
    (S.REPLIED, A.SUPERVISE): S.REPLIED,
    (S.REPLIED, A.ANNOTATE): S.REPLIED,
    (S.REPLIED, A.ATTACH): S.REPLIED,
    # awaiting callback: the callback agent asks the caller
    (S.AWAITING_CALLBACK, A.CALLBACK): S.CLOSED,
    (S.AWAITING_CALLBACK, A.CALLBACK_ATTEMPT): S.AWAITING_CALLBACK,
    (S.AWAITING_CALLBACK, A.REOPEN): S.IN_PROGRESS,
    (S.AWAITING_CALLBACK, A.SUPERVISE): S.AWAITING_CALLBACK,
    (S.AWAITING_CALLBACK, A.ANNOTATE): S.AWAITING_CALLBACK,
    # ... or, for a proactive order (no caller), the centre verifies the result on site
    (S.AWAITING_CALLBACK, A.VERIFY): S.CLOSED,
    # final states
    (S.CLOSED, A.REOPEN): S.IN_PROGRESS,
    (S.CLOSED, A.ANNOTATE): S.CLOSED,
    (S.SCREENED_OUT, A.RESTORE): S.RECEIVED,
    (S.SCREENED_OUT, A.ANNOTATE): S.SCREENED_OUT,
    (S.RETURNED_TO_CITY, A.ANNOTATE): S.RETURNED_TO_CITY,
    # a merged order follows its main order; its caller is still called back (scenario 7)
    (S.MERGED, A.CALLBACK): S.MERGED,
    (S.MERGED, A.CALLBACK_ATTEMPT): S.MERGED,
    (S.MERGED, A.ANNOTATE): S.MERGED,
    # ... until a person finds it is not the same matter: back to the dispatch board
    (S.MERGED, A.UNMERGE): S.RECEIVED,
    # a unit looks at the caller's full number to call them: allowed while it holds the order
    (S.DISPATCHED, A.VIEW_PHONE): S.DISPATCHED,
    (S.IN_PROGRESS, A.VIEW_PHONE): S.IN_PROGRESS,
    (S.REPLIED, A.VIEW_PHONE): S.REPLIED,
    # evidence stays viewable for as long as the order is (assessment, appeals, reopening)
    (S.RECEIVED, A.VIEW_EVIDENCE): S.RECEIVED,
    (S.DISPATCHED, A.VIEW_EVIDENCE): S.DISPATCHED,
    (S.RETURNED, A.VIEW_EVIDENCE): S.RETURNED,
    (S.IN_PROGRESS, A.VIEW_EVIDENCE): S.IN_PROGRESS,
    (S.REPLIED, A.VIEW_EVIDENCE): S.REPLIED,
    (S.AWAITING_CALLBACK, A.VIEW_EVIDENCE): S.AWAITING_CALLBACK,
    (S.CLOSED, A.VIEW_EVIDENCE): S.CLOSED,
    (S.SCREENED_OUT, A.VIEW_EVIDENCE): S.SCREENED_OUT,
    (S.MERGED, A.VIEW_EVIDENCE): S.MERGED,
    (S.RETURNED_TO_CITY, A.VIEW_EVIDENCE): S.RETURNED_TO_CITY,
    # unreasonable requests: none of these moves the order (the unit still answers the caller)
    **{(s, A.REPORT_UNREASONABLE): s for s in sorted(UNIT_HOLDS_STATES)},
    **{(s, a): s for s in sorted(REPORTED_STATES)
       for a in (A.UPHOLD_UNREASONABLE, A.REJECT_UNREASONABLE, A.CONTEST_MARK, A.LIFT_MARK, A.KEEP_MARK)},
    # a re-check changes no state: it voids a rating, or confirms it
    **{(s, A.RECHECK): s for s in sorted(RECHECK_STATES)},
    # appeals (申诉) change no state: they correct the figures when upheld
    **{(s, a): s for s in sorted(APPEAL_STATES) for a in APPEAL_ACTIONS},
    # supervision: its feedback, close, lift and escalation change no state of the order
    **{(s, a): s for s in sorted(SUPERVISION_FEEDBACK_STATES)
       for a in (A.SUPERVISION_FEEDBACK, A.CLOSE_SUPERVISION)},
    **{(s, A.LIFT_SUPERVISION): s for s in sorted(SUPERVISION_LIFT_STATES)},
    **{(s, A.ESCALATE_SUPERVISION): s for s in sorted(SUPERVISION_ESCALATE_STATES)},
    # joint handling: the co-units' parts move, the order does not
    **{(s, a): s for s in sorted(CO_PART_STATES) for a in (A.CO_SIGN, A.CO_REPLY, A.CO_URGE)},
}

# Where an order came from (WorkOrder.source): a caller's request, or the centre's own initiative
# (未诉先办: a governance task, a hotspot, a seasonal rule, a patrol). A proactive order has no
# caller: it is closed by the centre's verification (VERIFY), never by a callback.
CALL_SOURCE = "call"
PROACTIVE_SOURCES = frozenset({"task", "hotspot", "seasonal", "patrol"})


def is_proactive(source: str) -> bool:
    return source in PROACTIVE_SOURCES


ALL_STATES = tuple(State)
ALL_ACTIONS = tuple(a for a in Action if a is not A.CREATE)


def next_state(state: State, action: Action) -> State | None:
    """The state after `action`, or None when the action does not apply in `state`."""
    return TRANSITIONS.get((state, action))


def actions_from(state: State) -> list[Action]:
    return [a for (s, a) in TRANSITIONS if s is state]
