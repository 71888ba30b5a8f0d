"""One registry from an action to its form and to the do_ function that performs it.

The order page and the workspaces show exactly the actions that states.py and policies.py allow
for this person on this order now, and every POST goes through `perform`, which turns the
actions' DomainErrors into errors beside the fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import User
from hotline.directory.roles import Role
from hotline.errors import DomainError, InvalidInput
from hotline.orders import actions as do
from hotline.orders import policies, states
from hotline.orders.models import WorkOrder
from hotline.orders.states import Action

from . import forms as f


def _ids(qs: Any) -> list[int]:
    return [u.pk for u in qs] if qs else []


def _merge(oid: int, u: User, d: dict[str, Any]) -> Any:
    main = WorkOrder.objects.filter(number=d["main_number"].strip()).first()
    if main is None:
        raise InvalidInput(_("主工单编号不存在。"), details={"main_number": [_("请核对编号。")]})
    return do.do_merge(oid, actor=u, main_order_id=main.pk, note=d.get("note", ""))


def _unmerge(oid: int, u: User, d: dict[str, Any]) -> Any:
    from hotline.triage.pipeline import undo_merge

    return undo_merge(oid, actor=u, note=d["note"])


def _attach(oid: int, u: User, d: dict[str, Any]) -> Any:
    # The upload stays a file (a temporary file on disk past a few hundred KB): never read whole.
    return do.do_attach(oid, actor=u, file=d["file"])


@dataclass(frozen=True)
class ActionSpec:
    label: Any
    form: type[forms.Form]
    run: Callable[[int, User, dict[str, Any]], Any]
    style: str = ""  # "danger" for actions that push an order away
    multipart: bool = False


A = Action
REGISTRY: dict[Action, ActionSpec] = {
    A.DISPATCH: ActionSpec(_("派单"), f.DispatchForm, lambda o, u, d: do.do_dispatch(
        o, actor=u, unit_id=d["unit"].pk, co_unit_ids=_ids(d.get("co_units")),
        category_id=d["category"].pk if d.get("category") else None, note=d.get("note", ""))),
    A.CLAIM: ActionSpec(_("主动认领"), f.NoteForm, lambda o, u, d: do.do_claim(o, actor=u, note=d.get("note", ""))),
    A.ANSWER: ActionSpec(_("直接答复办结"), f.AnswerForm, lambda o, u, d: do.do_answer(o, actor=u, answer=d["answer"])),
    A.SCREEN_OUT: ActionSpec(_("不予受理"), f.ScreenOutForm,
                             lambda o, u, d: do.do_screen_out(o, actor=u, reason=d["reason"], advice=d["advice"]),
                             "danger"),
    A.RESTORE: ActionSpec(_("恢复受理"), f.NoteForm, lambda o, u, d: do.do_restore(o, actor=u, note=d["note"])),
    A.MERGE: ActionSpec(_("合并到主工单"), f.MergeForm, _merge),
    A.UNMERGE: ActionSpec(_("撤销合并"), f.NoteForm, _unmerge),
    A.SIGN: ActionSpec(_("签收"), f.EmptyForm, lambda o, u, d: do.do_sign(o, actor=u)),
    A.RETURN: ActionSpec(_("回退"), f.ReturnForm, lambda o, u, d: do.do_return(
        o, actor=u, kind=d["kind"], reason=d["reason"],
        suggested_unit_id=d["suggested_unit"].pk if d.get("suggested_unit") else None), "danger"),
    A.ACCEPT_RETURN: ActionSpec(_("同意回退并改派"), f.ReassignForm, lambda o, u, d: do.do_accept_return(
        o, actor=u, unit_id=d["unit"].pk, note=d["note"], co_unit_ids=_ids(d.get("co_units")))),
    A.REJECT_RETURN: ActionSpec(_("驳回回退"), f.NoteForm, lambda o, u, d: do.do_reject_return(o, actor=u, note=d["note"])),
    A.JOINT: ActionSpec(_("联合处办"), f.JointForm, lambda o, u, d: do.do_joint(
        o, actor=u, lead_unit_id=d["lead_unit"].pk, co_unit_ids=_ids(d.get("co_units")), note=d["note"])),
    A.ESCALATE: ActionSpec(_("提级处理"), f.ReassignForm, lambda o, u, d: do.do_escalate(
        o, actor=u, unit_id=d["unit"].pk, note=d["note"])),
    A.CONTACT: ActionSpec(_("记录联系来电人"), f.TextForm, lambda o, u, d: do.do_contact(o, actor=u, text=d["text"])),
    A.PROGRESS: ActionSpec(_("记录办理进展"), f.TextForm, lambda o, u, d: do.do_progress(o, actor=u, text=d["text"])),
    A.REQUEST_EXTENSION: ActionSpec(_("申请延期"), f.ExtensionForm, lambda o, u, d: do.do_request_extension(
        o, actor=u, days=d["days"], reason=d["reason"])),
    A.APPROVE_EXTENSION: ActionSpec(_("同意延期"), f.ExtensionDecisionForm, lambda o, u, d: do.do_approve_extension(
        o, actor=u, note=d.get("note", ""), days=d.get("days"))),
    A.DENY_EXTENSION: ActionSpec(_("不同意延期"), f.NoteForm, lambda o, u, d: do.do_deny_extension(o, actor=u, note=d["note"])),
    A.REPLY: ActionSpec(_("答复"), f.ReplyForm, lambda o, u, d: do.do_reply(
        o, actor=u, responder=d["responder"], process=d.get("process", ""), outcome=d.get("outcome", ""),
        result=d["result"], contacted_caller=d.get("contacted_caller", False))),
    A.APPROVE: ActionSpec(_("审核通过"), f.ApproveForm, lambda o, u, d: do.do_approve(o, actor=u, note=d.get("note", ""))),
    A.REDO: ActionSpec(_("驳回重办"), f.RedoForm, lambda o, u, d: do.do_redo(
        o, actor=u, reasons=d["reasons"], note=d["note"]), "danger"),
    A.CALLBACK: ActionSpec(_("记录回访结果"), f.CallbackForm, lambda o, u, d: do.do_callback(
        o, actor=u, valid=d["valid"], contacted=d.get("contacted"), resolved=d.get("resolved"),
        satisfaction=d.get("satisfaction", ""), phone=d.get("phone", ""), note=d.get("note", ""))),
    A.CALLBACK_ATTEMPT: ActionSpec(_("未接通"), f.AttemptForm, lambda o, u, d: do.do_callback_attempt(
        o, actor=u, note=d.get("note") or "未接通")),
    A.REOPEN: ActionSpec(_("重新办理"), f.ReasonForm, lambda o, u, d: do.do_reopen(o, actor=u, reason=d["reason"]), "danger"),
    A.URGE: ActionSpec(_("催办"), f.TextForm, lambda o, u, d: do.do_urge(o, actor=u, text=d["text"])),
    A.SUPERVISE: ActionSpec(_("督办"), f.SuperviseForm, lambda o, u, d: do.do_supervise(
        o, actor=u, text=d["text"], on=d["on"])),
    A.ANNOTATE: ActionSpec(_("备注"), f.TextForm, lambda o, u, d: do.do_annotate(o, actor=u, text=d["text"])),
    A.ATTACH: ActionSpec(_("上传材料"), f.AttachForm, _attach, multipart=True),
}


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
        if states.next_state(state, action) is None:
            continue
        if policies.decide(role=role, action=action, state=state, actor_unit_id=user.unit_id,
                           lead_unit_id=order.lead_unit_id, co_unit_ids=co).allowed:
            out.append(action)
    return out


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a DomainError's messages beside the fields it names (or at the top of the form)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for field, messages in details.items():
        if field in form.fields and isinstance(messages, list | tuple):
            for message in messages:
                form.add_error(field, str(message))
            placed = True
    if exc.code == "reply_incomplete":
        # One list: a short lead, then each missing element once (the message itself repeats
        # them all in one sentence, so it is not shown as well).
        form.add_error(None, _("答复不完整，请补充以下内容后再提交："))
        for message in details.get("messages", []):
            form.add_error(None, str(message))
    elif not placed or exc.code == "outside_responsibility_list":
        form.add_error(None, str(exc.message))


def run_action(action: Action, order_id: int, user: User, data: dict[str, Any], *, key: str | None = None) -> Any:
    """Run an action from its form's cleaned data, at most once per idempotency key (the
    API's Idempotency-Key header, the pages' hidden field): a retry gets do.Replayed."""
    return do.idempotent(key, actor=user, action=action, order_id=order_id, data=data,
                         run=lambda: REGISTRY[action].run(order_id, user, data))


def perform(action: Action, order_id: int, user: User, form: forms.Form, *, key: str | None = None) -> tuple[bool, Any]:
    """Validate the form and run the action. Returns (done, result-or-None); on failure the
    errors are on the form."""
    if not form.is_valid():
        return False, None
    try:
        return True, run_action(action, order_id, user, form.cleaned_data, key=key)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return False, None
