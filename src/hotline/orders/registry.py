"""The one registry of the actions people and systems take on an order.

Per action: its verb, its label, its typed input (a pydantic model: ids for units and
categories, the allowed codes as literals, lengths as constraints) and `run`, which turns
that input into the call of its do_ function. The pages (web/actions.py: a Django form per
action for the HTML, its cleaned data turned into this input) and the JSON API (one endpoint
and body schema per action, generated from here) are two faces of it.

The input models only check shape; the do_ functions check the rest (reasons long enough,
units that handle orders, the responsibility list...) and raise DomainErrors.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.core.files.base import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from hotline.directory.models import User
from hotline.directory.roles import Role
from hotline.errors import InvalidInput

from . import actions as do
from . import policies, states
from .models import CALLBACK_APPEAL_REASONS, REDO_APPEAL_REASONS, ReturnKind, Satisfaction, WorkOrder
from .models import Reply as ReplyRow
from .states import Action

MAX_ID = 2**63 - 1  # the largest value an id column holds on every database


def _codes(codes: Iterable[str]) -> Any:
    """Literal["a", "b", ...] of the allowed codes (one schema enum, checked on input)."""
    return Literal[tuple(codes)]  # type: ignore[valid-type]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Ids = Annotated[list[Id], Field(max_length=50)]


def Text(max_length: int, *, required: bool = True, min_length: int = 1) -> Any:  # noqa: N802 - reads as a type
    """Text of at most max_length characters and, where required, at least min_length (after
    trimming spaces; the same minimum the do_ function asks, so the schema tells a client)."""
    return Annotated[str, StringConstraints(min_length=min_length if required else 0, max_length=max_length)]


REASON = do.MIN_REASON_CHARS  # a note that justifies a decision (actions' _reason)
NOTE_TEXT = 2  # a note, a contact, an urge (actions' _note_action)


ScreenReason = _codes(do.SCREEN_REASONS)
RedoReason = _codes(do.REDO_REASONS)
ReturnKindCode = _codes(ReturnKind.values)
SatisfactionCode = _codes(Satisfaction.values)
ResultCode = _codes(ReplyRow.Result.values)
UnreasonableCode = _codes(do.UNREASONABLE_REASONS)

# The names the pages' forms (and the API before the typed bodies) used for ids.
LEGACY_NAMES = {"unit": "unit_id", "co_units": "co_unit_ids", "category": "category_id",
                "lead_unit": "lead_unit_id", "suggested_unit": "suggested_unit_id", "callback": "callback_id"}


class ActionInput(BaseModel):
    """The base of every action's input: unknown fields are refused, and values are taken only
    as their own type (strict: "3" is not an integer, 1 is not true, 3.0 is not 3)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _legacy_names(cls, data: Any) -> Any:
        # {"unit": 3} as clients of the first API sent it: read as {"unit_id": 3}.
        if isinstance(data, dict):
            fields = cls.model_fields
            data = dict(data)
            for old, new in LEGACY_NAMES.items():
                if old in data and new in fields and old not in fields and new not in data:
                    data[new] = data.pop(old)
        return data


class EmptyIn(ActionInput):
    pass


class NoteIn(ActionInput):
    note: Text(4000, min_length=REASON)


class OptionalNoteIn(ActionInput):
    note: Text(4000, required=False) = ""


class TextIn(ActionInput):
    text: Text(4000, min_length=NOTE_TEXT)


class DispatchIn(ActionInput):
    unit_id: Id
    co_unit_ids: Ids = []
    category_id: Id | None = None
    note: Text(1000, required=False) = ""


class AnswerIn(ActionInput):
    answer: Text(4000, min_length=10)


class ScreenOutIn(ActionInput):
    reason: ScreenReason
    advice: Text(2000, min_length=REASON)


class MergeIn(ActionInput):
    main_number: Text(20)
    note: Text(1000, required=False) = ""


class ReturnIn(ActionInput):
    kind: ReturnKindCode
    reason: Text(4000, min_length=10)
    suggested_unit_id: Id | None = None


class ReassignIn(ActionInput):
    unit_id: Id
    co_unit_ids: Ids = []
    note: Text(2000, min_length=REASON)


class EscalateIn(ActionInput):
    unit_id: Id
    note: Text(2000, min_length=REASON)


class CoAskIn(ActionInput):
    unit_id: Id
    ask: Text(1000, required=False) = ""


class JointIn(ActionInput):
    lead_unit_id: Id
    co_unit_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    note: Text(2000, min_length=REASON)
    # what is asked of the co-units (协办事项): `co_ask` for each of them, `co_asks` per co-unit
    co_ask: Text(1000, required=False) = ""
    co_asks: Annotated[list[CoAskIn], Field(max_length=50)] = []


def _joint(oid: int, u: User, inp: JointIn) -> Any:
    asks = {unit: inp.co_ask for unit in inp.co_unit_ids} if inp.co_ask else {}
    asks.update({a.unit_id: a.ask for a in inp.co_asks})
    return do.do_joint(oid, actor=u, lead_unit_id=inp.lead_unit_id, co_unit_ids=inp.co_unit_ids, note=inp.note,
                       co_asks=asks)


class CoReplyIn(ActionInput):
    text: Text(4000, min_length=do.MIN_CO_REPLY_CHARS)


class CoUrgeIn(ActionInput):
    unit_id: Id
    text: Text(2000, min_length=NOTE_TEXT)


class ExtensionIn(ActionInput):
    days: Annotated[int, Field(ge=1, le=60)]
    reason: Text(2000, min_length=10)


class ExtensionDecisionIn(ActionInput):
    days: Annotated[int, Field(ge=1, le=60)] | None = None
    note: Text(2000, required=False) = ""


class ReplyIn(ActionInput):
    responder: Text(50)
    process: Text(8000, required=False) = ""
    outcome: Text(8000, required=False) = ""
    result: ResultCode
    contacted_caller: bool = False
    co_gap: Text(2000, required=False) = ""  # joint handling: why an overdue co-unit's part is missing


class EffectChecks(ActionInput):
    """The reviewer's effect checklist (审核要点), each true (yes), false (no) or left out:
    answered (诉求是否得到回应), resolved (问题是否解决，未解决是否说明原因和后续安排), factual
    (答复是否与事实相符), contacted (来电人是否被联系)."""

    answered: bool | None = None
    resolved: bool | None = None
    factual: bool | None = None
    contacted: bool | None = None

    def checks(self) -> dict[str, bool | None] | None:
        """The answers for the do_ function; None when none was given (an older client)."""
        out = {k: getattr(self, k) for k in do.EFFECT_QUESTIONS}
        return out if any(v is not None for v in out.values()) else None


class ApproveIn(EffectChecks):
    """Approve the reply; an answer "no" on the effect checklist needs a note."""

    note: Text(2000, required=False) = ""


class RedoIn(EffectChecks):
    """Reject for redo by effect: at least one "no" on the checklist, each reason standing on one
    (not_answered, brush_off: answered; not_solved: resolved; inconsistent: factual;
    promise_unkept: resolved or factual; other: any). Without any answer the reasons' questions
    are taken as "no"."""

    reasons: Annotated[list[RedoReason], Field(min_length=1, max_length=len(do.REDO_REASONS))]
    note: Text(2000, min_length=REASON)
    co_unit_ids: Ids = []  # joint handling: the co-units whose part is reopened


class CallbackIn(ActionInput):
    valid: bool = True
    contacted: bool | None = None
    resolved: bool | None = None
    satisfaction: SatisfactionCode | None = None
    phone: Text(30, required=False) = ""
    note: Text(2000, required=False) = ""


class VerifyIn(ActionInput):
    note: Text(2000, required=False) = ""


class AttemptIn(ActionInput):
    note: Text(500, required=False) = ""


class ReasonIn(ActionInput):
    reason: Text(2000, min_length=REASON)


class SuperviseIn(ActionInput):
    """督办: the instruction and the feedback deadline, in working days or as a date (YYYY-MM-DD);
    neither: the default by urgency (docs/supervision.md). on=false lifts the active supervision."""

    text: Text(2000, min_length=NOTE_TEXT)
    on: bool = True
    days: Annotated[int, Field(ge=1, le=30)] | None = None
    due_date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None


class SupervisionFeedbackIn(ActionInput):
    text: Text(4000, min_length=10)


class EscalateSupervisionIn(ActionInput):
    note: Text(2000, min_length=REASON)


class ReportUnreasonableIn(ActionInput):
    reason: UnreasonableCode
    explanation: Text(4000, min_length=10)
    evidence_ids: Annotated[list[Id], Field(max_length=20)] = []


class RecheckIn(ActionInput):
    callback_id: Id
    reached: bool
    confirmed: bool | None = None
    contacted: bool | None = None
    resolved: bool | None = None
    satisfaction: SatisfactionCode | None = None
    note: Text(4000, required=False) = ""


# appeals (申诉, docs/appeals.md)
class AppealRedoIn(ActionInput):
    review_id: Id | None = None
    reasons: Annotated[list[_codes(REDO_APPEAL_REASONS)], Field(min_length=1, max_length=len(REDO_APPEAL_REASONS))]
    explanation: Text(4000, min_length=10)
    evidence_ids: Annotated[list[Id], Field(max_length=20)] = []


class AppealCallbackIn(ActionInput):
    callback_id: Id | None = None
    reasons: Annotated[list[_codes(CALLBACK_APPEAL_REASONS)],
                       Field(min_length=1, max_length=len(CALLBACK_APPEAL_REASONS))]
    explanation: Text(4000, min_length=10)
    evidence_ids: Annotated[list[Id], Field(max_length=20)] = []


class AppealDecisionIn(ActionInput):
    appeal_id: Id | None = None
    note: Text(4000, min_length=REASON)


class AttachIn(ActionInput):
    """Not a JSON body: the API takes the file as multipart (POST .../evidence)."""

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    file: File


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    label: Any  # gettext_lazy
    input: type[ActionInput]
    run: Callable[[int, User, Any], Any]
    style: str = ""  # "danger" for actions that push an order away
    multipart: bool = False

    @property
    def verb(self) -> str:
        return self.action.value


def _merge(oid: int, u: User, inp: MergeIn) -> Any:
    main = WorkOrder.objects.filter(number=inp.main_number).only("pk").first()
    if main is None:
        raise InvalidInput(_("主工单编号不存在。"), details={"main_number": [_("请核对编号。")]})
    return do.do_merge(oid, actor=u, main_order_id=main.pk, note=inp.note)


A = Action
_SPECS = [
    ActionSpec(A.DISPATCH, gettext_lazy("派单"), DispatchIn, lambda o, u, i: do.do_dispatch(
        o, actor=u, unit_id=i.unit_id, co_unit_ids=i.co_unit_ids, category_id=i.category_id, note=i.note)),
    ActionSpec(A.CLAIM, gettext_lazy("主动认领"), OptionalNoteIn, lambda o, u, i: do.do_claim(o, actor=u, note=i.note)),
    ActionSpec(A.ANSWER, gettext_lazy("直接答复办结"), AnswerIn, lambda o, u, i: do.do_answer(o, actor=u, answer=i.answer)),
    ActionSpec(A.SCREEN_OUT, gettext_lazy("不予受理"), ScreenOutIn,
               lambda o, u, i: do.do_screen_out(o, actor=u, reason=i.reason, advice=i.advice), "danger"),
    ActionSpec(A.RESTORE, gettext_lazy("恢复受理"), NoteIn, lambda o, u, i: do.do_restore(o, actor=u, note=i.note)),
    ActionSpec(A.MERGE, gettext_lazy("合并到主工单"), MergeIn, _merge),
    ActionSpec(A.UNMERGE, gettext_lazy("撤销合并"), NoteIn, lambda o, u, i: do.do_unmerge(o, actor=u, note=i.note)),
    ActionSpec(A.SIGN, gettext_lazy("签收"), EmptyIn, lambda o, u, i: do.do_sign(o, actor=u)),
    ActionSpec(A.RETURN, gettext_lazy("回退"), ReturnIn, lambda o, u, i: do.do_return(
        o, actor=u, kind=i.kind, reason=i.reason, suggested_unit_id=i.suggested_unit_id), "danger"),
    ActionSpec(A.ACCEPT_RETURN, gettext_lazy("同意回退并改派"), ReassignIn, lambda o, u, i: do.do_accept_return(
        o, actor=u, unit_id=i.unit_id, note=i.note, co_unit_ids=i.co_unit_ids)),
    ActionSpec(A.REJECT_RETURN, gettext_lazy("驳回回退"), NoteIn,
               lambda o, u, i: do.do_reject_return(o, actor=u, note=i.note)),
    ActionSpec(A.RETURN_TO_CITY, gettext_lazy("退回市级"), ReasonIn,
               lambda o, u, i: do.do_return_to_city(o, actor=u, reason=i.reason), "danger"),
    ActionSpec(A.JOINT, gettext_lazy("联合处办"), JointIn, _joint),
    ActionSpec(A.ESCALATE, gettext_lazy("提级处理"), EscalateIn, lambda o, u, i: do.do_escalate(
        o, actor=u, unit_id=i.unit_id, note=i.note)),
    ActionSpec(A.CONTACT, gettext_lazy("记录联系来电人"), TextIn, lambda o, u, i: do.do_contact(o, actor=u, text=i.text)),
    ActionSpec(A.PROGRESS, gettext_lazy("记录办理进展"), TextIn, lambda o, u, i: do.do_progress(o, actor=u, text=i.text)),
    ActionSpec(A.REQUEST_EXTENSION, gettext_lazy("申请延期"), ExtensionIn, lambda o, u, i: do.do_request_extension(
        o, actor=u, days=i.days, reason=i.reason)),
    ActionSpec(A.APPROVE_EXTENSION, gettext_lazy("同意延期"), ExtensionDecisionIn,
               lambda o, u, i: do.do_approve_extension(o, actor=u, note=i.note, days=i.days)),
    ActionSpec(A.DENY_EXTENSION, gettext_lazy("不同意延期"), NoteIn,
               lambda o, u, i: do.do_deny_extension(o, actor=u, note=i.note)),
    ActionSpec(A.REPLY, gettext_lazy("答复"), ReplyIn, lambda o, u, i: do.do_reply(
        o, actor=u, responder=i.responder, process=i.process, outcome=i.outcome, result=i.result,
        contacted_caller=i.contacted_caller, co_gap=i.co_gap)),
    ActionSpec(A.APPROVE, gettext_lazy("审核通过"), ApproveIn,
               lambda o, u, i: do.do_approve(o, actor=u, note=i.note, checks=i.checks())),
    ActionSpec(A.REDO, gettext_lazy("驳回重办"), RedoIn,
               lambda o, u, i: do.do_redo(o, actor=u, reasons=i.reasons, note=i.note, checks=i.checks(),
                                          co_unit_ids=i.co_unit_ids), "danger"),
    ActionSpec(A.CALLBACK, gettext_lazy("记录回访结果"), CallbackIn, lambda o, u, i: do.do_callback(
        o, actor=u, valid=i.valid, contacted=i.contacted, resolved=i.resolved, satisfaction=i.satisfaction or "",
        phone=i.phone, note=i.note)),
    ActionSpec(A.CALLBACK_ATTEMPT, gettext_lazy("未接通"), AttemptIn,
               lambda o, u, i: do.do_callback_attempt(o, actor=u, note=i.note or "未接通")),
    ActionSpec(A.VERIFY, gettext_lazy("核验通过并办结"), VerifyIn, lambda o, u, i: do.do_verify(o, actor=u, note=i.note)),
    ActionSpec(A.REOPEN, gettext_lazy("重新办理"), ReasonIn, lambda o, u, i: do.do_reopen(o, actor=u, reason=i.reason),
               "danger"),
    ActionSpec(A.URGE, gettext_lazy("催办"), TextIn, lambda o, u, i: do.do_urge(o, actor=u, text=i.text)),
    ActionSpec(A.SUPERVISE, gettext_lazy("督办"), SuperviseIn,
               lambda o, u, i: do.do_supervise(o, actor=u, text=i.text, on=i.on, days=i.days, due_date=i.due_date)),
    # supervision (督办, docs/supervision.md)
    ActionSpec(A.SUPERVISION_FEEDBACK, gettext_lazy("督办反馈"), SupervisionFeedbackIn,
               lambda o, u, i: do.do_supervision_feedback(o, actor=u, text=i.text)),
    ActionSpec(A.CLOSE_SUPERVISION, gettext_lazy("督办办结"), NoteIn,
               lambda o, u, i: do.do_close_supervision(o, actor=u, note=i.note)),
    ActionSpec(A.LIFT_SUPERVISION, gettext_lazy("撤销督办"), NoteIn,
               lambda o, u, i: do.do_lift_supervision(o, actor=u, note=i.note)),
    ActionSpec(A.ESCALATE_SUPERVISION, gettext_lazy("提请市级联合督办"), EscalateSupervisionIn,
               lambda o, u, i: do.do_escalate_supervision(o, actor=u, note=i.note), "danger"),
    ActionSpec(A.ANNOTATE, gettext_lazy("备注"), TextIn, lambda o, u, i: do.do_annotate(o, actor=u, text=i.text)),
    ActionSpec(A.REPORT_UNREASONABLE, gettext_lazy("上报不合理诉求"), ReportUnreasonableIn,
               lambda o, u, i: do.do_report_unreasonable(o, actor=u, reason=i.reason, explanation=i.explanation,
                                                         evidence_ids=i.evidence_ids)),
    ActionSpec(A.UPHOLD_UNREASONABLE, gettext_lazy("认定不合理诉求"), NoteIn,
               lambda o, u, i: do.do_uphold_unreasonable(o, actor=u, note=i.note), "danger"),
    ActionSpec(A.REJECT_UNREASONABLE, gettext_lazy("不予认定不合理诉求"), NoteIn,
               lambda o, u, i: do.do_reject_unreasonable(o, actor=u, note=i.note)),
    ActionSpec(A.CONTEST_MARK, gettext_lazy("记录来电人异议"), ReasonIn,
               lambda o, u, i: do.do_contest_mark(o, actor=u, reason=i.reason)),
    ActionSpec(A.LIFT_MARK, gettext_lazy("异议成立，撤销标记"), NoteIn,
               lambda o, u, i: do.do_lift_mark(o, actor=u, note=i.note)),
    ActionSpec(A.KEEP_MARK, gettext_lazy("异议不成立，维持标记"), NoteIn,
               lambda o, u, i: do.do_keep_mark(o, actor=u, note=i.note)),
    ActionSpec(A.RECHECK, gettext_lazy("复核回访"), RecheckIn, lambda o, u, i: do.do_recheck(
        o, actor=u, callback_id=i.callback_id, reached=i.reached, confirmed=i.confirmed, contacted=i.contacted,
        resolved=i.resolved, satisfaction=i.satisfaction or "", note=i.note)),
    ActionSpec(A.APPEAL_REDO, gettext_lazy("对驳回重办提出申诉"), AppealRedoIn, lambda o, u, i: do.do_appeal_redo(
        o, actor=u, review_id=i.review_id, reasons=i.reasons, explanation=i.explanation, evidence_ids=i.evidence_ids)),
    ActionSpec(A.APPEAL_CALLBACK, gettext_lazy("对回访结果提出申诉"), AppealCallbackIn,
               lambda o, u, i: do.do_appeal_callback(o, actor=u, callback_id=i.callback_id, reasons=i.reasons,
                                                     explanation=i.explanation, evidence_ids=i.evidence_ids)),
    ActionSpec(A.UPHOLD_APPEAL, gettext_lazy("申诉成立"), AppealDecisionIn,
               lambda o, u, i: do.do_uphold_appeal(o, actor=u, note=i.note, appeal_id=i.appeal_id)),
    ActionSpec(A.REJECT_APPEAL, gettext_lazy("申诉不成立"), AppealDecisionIn,
               lambda o, u, i: do.do_reject_appeal(o, actor=u, note=i.note, appeal_id=i.appeal_id)),
    # joint handling (联合处办, docs/joint.md): the co-units' own parts
    ActionSpec(A.CO_SIGN, gettext_lazy("协办签收"), EmptyIn, lambda o, u, i: do.do_co_sign(o, actor=u)),
    ActionSpec(A.CO_REPLY, gettext_lazy("协办答复"), CoReplyIn, lambda o, u, i: do.do_co_reply(o, actor=u, text=i.text)),
    ActionSpec(A.CO_URGE, gettext_lazy("催办协办单位"), CoUrgeIn,
               lambda o, u, i: do.do_co_urge(o, actor=u, unit_id=i.unit_id, text=i.text)),
    # The upload stays a file (a temporary file on disk past a few hundred KB): never read whole.
    ActionSpec(A.ATTACH, gettext_lazy("上传材料"), AttachIn, lambda o, u, i: do.do_attach(o, actor=u, file=i.file),
               multipart=True),
]
REGISTRY: dict[Action, ActionSpec] = {spec.action: spec for spec in _SPECS}


def allowed_actions(order: WorkOrder, user: User, co_unit_ids: list[int] | None = None,
                    candidates: Iterable[Action] = REGISTRY) -> list[Action]:
    """The actions (of `candidates`, the registry's by default) this person may take on this
    order now, in the candidates' order."""
    if not user.is_authenticated:
        return []
    role = Role(user.role)
    state = states.State(order.state)
    co = co_unit_ids if co_unit_ids is not None else list(order.co_units.values_list("id", flat=True))
    out = []
    for action in candidates:
        if states.next_state(state, action) is None or not policies.applies_to_channel(action, order.channel):
            continue
        if not policies.applies_to_source(action, order.is_proactive):
            continue
        if policies.decide(role=role, action=action, state=state, actor_unit_id=user.unit_id,
                           lead_unit_id=order.lead_unit_id, co_unit_ids=co, proactive=order.is_proactive).allowed:
            out.append(action)
    return out


def parse(action: Action, data: dict[str, Any]) -> ActionInput:
    """The action's input from a plain dict (a form's converted cleaned data, a CLI's options),
    or InvalidInput with the messages per field."""
    try:
        return REGISTRY[action].input.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_("操作未完成：请检查填写的内容。"), details=field_errors(exc.errors())) from None


def field_errors(errors: Iterable[dict[str, Any]], skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """pydantic's errors as {field: [message in the user's language]} (the API's details)."""
    details: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if str(x) not in skip]
        details.setdefault(".".join(loc) or "body", []).append(error_text(err))
    return details


def error_text(err: dict[str, Any]) -> str:
    """One pydantic error in the user's language (its English text where no wording is known)."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    texts = {
        "missing": _("必填。"),
        "extra_forbidden": _("不认识的字段。"),
        "string_type": _("须为文字。"),
        "int_type": _("须为整数。"),
        "bool_type": _("须为 true 或 false。"),
        "list_type": _("须为列表。"),
        "literal_error": _("不是可选的值之一：%(v)s。") % {"v": ctx.get("expected", "")},
        "greater_than_equal": _("不能小于%(v)s。") % {"v": ctx.get("ge", "")},
        "less_than_equal": _("不能大于%(v)s。") % {"v": ctx.get("le", "")},
        "string_too_short": _("请填写。") if ctx.get("min_length") == 1 else (
            _("至少%(v)s个字。") % {"v": ctx.get("min_length", "")}),
        "string_too_long": _("不能超过%(v)s个字。") % {"v": ctx.get("max_length", "")},
        "too_short": _("至少选择%(v)s项。") % {"v": ctx.get("min_length", "")},
        "too_long": _("最多%(v)s项。") % {"v": ctx.get("max_length", "")},
        "model_type": _("须为JSON对象。"),
        "dict_type": _("须为JSON对象。"),
    }
    return str(texts.get(kind) or err.get("msg", ""))


def _check_text(inp: ActionInput) -> None:
    """Refuse text no database keeps as given: a NUL byte (PostgreSQL refuses it), a lone
    surrogate (not UTF-8). A 400 in the action's error shape, before anything runs."""
    bad: dict[str, list[str]] = {}
    for name, value in inp:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and ("\x00" in v or not _encodable(v)):
                bad[name] = [_("内容含有无法保存的控制字符。")]
    if bad:
        raise InvalidInput(_("操作未完成：请检查填写的内容。"), details=bad)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_action(action: Action, order_id: int, actor: User, inp: ActionInput | dict[str, Any], *,
               key: str | None = None, then: Callable[[int], Any] | None = None) -> Any:
    """Run an action from its typed input (or a plain dict, parsed into it), at most once per idempotency key (the API's
    Idempotency-Key header, the pages' hidden field): a retry gets do.Replayed. `then(order_id)`
    runs after the action's own transaction (a follow-up of a layer above, e.g. triage's route
    suggestion after an unmerge), not on a replay."""
    spec = REGISTRY[action]
    if isinstance(inp, dict):
        inp = parse(action, inp)
    if not isinstance(inp, spec.input):
        raise TypeError(f"{action} takes {spec.input.__name__}, not {type(inp).__name__}")
    _check_text(inp)

    def go() -> Any:
        result = spec.run(order_id, actor, inp)
        if then is not None:
            then(order_id)
        return result

    return do.idempotent(key, actor=actor, action=action, order_id=order_id, data=dict(inp), run=go)
