"""The pages' face of the action registry (orders/registry.py): each action's Django form.

The order page and the workspaces show exactly the actions that states.py and policies.py allow
for this person on this order now, and every POST goes through `perform`: the form checks the
input's shape for the page, its cleaned data becomes the action's typed input, the registry
runs it, and the actions' DomainErrors are put beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.directory.models import User
from hotline.errors import DomainError
from hotline.orders import registry
from hotline.orders.registry import REGISTRY, ActionInput, allowed_actions
from hotline.orders.states import Action
from hotline.triage.pipeline import suggest_route

from . import forms as f

__all__ = ["FORMS", "REGISTRY", "allowed_actions", "apply_domain_error", "form_for", "form_input", "perform",
           "run_action"]

A = Action
# The page's form of each action of the registry (widgets, choices, help texts); its cleaned
# data becomes the action's typed input (form_input) and runs through the registry.
FORMS: dict[Action, type[forms.Form]] = {
    A.DISPATCH: f.DispatchForm, A.CLAIM: f.NoteForm, A.ANSWER: f.AnswerForm, A.SCREEN_OUT: f.ScreenOutForm,
    A.RESTORE: f.NoteForm, A.MERGE: f.MergeForm, A.UNMERGE: f.NoteForm, A.SIGN: f.EmptyForm,
    A.RETURN: f.ReturnForm, A.ACCEPT_RETURN: f.ReassignForm, A.REJECT_RETURN: f.NoteForm, A.JOINT: f.JointForm,
    A.RETURN_TO_CITY: f.ReasonForm,
    A.ESCALATE: f.EscalateForm, A.CONTACT: f.TextForm, A.PROGRESS: f.TextForm,
    A.REQUEST_EXTENSION: f.ExtensionForm, A.APPROVE_EXTENSION: f.ExtensionDecisionForm,
    A.DENY_EXTENSION: f.NoteForm, A.REPLY: f.ReplyForm, A.APPROVE: f.ApproveForm, A.REDO: f.RedoForm,
    A.CALLBACK: f.CallbackForm, A.CALLBACK_ATTEMPT: f.AttemptForm, A.REOPEN: f.ReasonForm, A.VERIFY: f.VerifyForm, A.URGE: f.TextForm,
    A.SUPERVISE: f.SuperviseForm, A.ANNOTATE: f.TextForm, A.ATTACH: f.AttachForm,
    A.REPORT_UNREASONABLE: f.ReportUnreasonableForm, A.UPHOLD_UNREASONABLE: f.NoteForm,
    A.REJECT_UNREASONABLE: f.NoteForm, A.CONTEST_MARK: f.ReasonForm, A.LIFT_MARK: f.NoteForm,
    A.KEEP_MARK: f.NoteForm, A.RECHECK: f.RecheckForm,
    A.APPEAL_REDO: f.AppealRedoForm, A.APPEAL_CALLBACK: f.AppealCallbackForm,
    A.UPHOLD_APPEAL: f.AppealDecisionForm, A.REJECT_APPEAL: f.AppealDecisionForm,
    # supervision (督办)
    A.SUPERVISION_FEEDBACK: f.SupervisionFeedbackForm, A.CLOSE_SUPERVISION: f.NoteForm,
    A.LIFT_SUPERVISION: f.NoteForm, A.ESCALATE_SUPERVISION: f.NoteForm,
    # joint handling (docs/joint.md)
    A.CO_SIGN: f.EmptyForm, A.CO_REPLY: f.CoReplyForm, A.CO_URGE: f.CoUrgeForm,
}
# What a layer above the orders does after an action (orders cannot call triage).
FOLLOW_UPS = {A.UNMERGE: suggest_route}


def form_for(action: Action, order: Any, *args: Any, **kwargs: Any) -> forms.Form:
    """The action's form for this order (a form whose choices depend on the order narrows them)."""
    form = FORMS[action](*args, **kwargs)
    for_order = getattr(form, "for_order", None)
    return for_order(order) if for_order is not None else form


def form_input(action: Action, cleaned: dict[str, Any]) -> ActionInput:
    """A form's cleaned data as the action's typed input: a chosen row becomes its id
    (`unit` → `unit_id`), a multiple choice of rows a list of ids (`co_units` → `co_unit_ids`),
    and a field left empty takes the input's default."""
    data: dict[str, Any] = {}
    for name, value in cleaned.items():
        if isinstance(value, models.Model):
            data[f"{name}_id"] = value.pk
        elif isinstance(value, models.QuerySet):
            data[f"{name.removesuffix('s')}_ids"] = sorted(o.pk for o in value)
        elif value is None or value == "":
            continue
        else:
            data[name] = list(value) if isinstance(value, tuple) else value
    return registry.parse(action, data)


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a DomainError's messages beside the fields it names (or at the top of the form)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for name, messages in details.items():
        # the typed input's names (unit_id, co_unit_ids) are the form's unit, co_units
        field = next((f for f in (name, name.removesuffix("_id"), name.removesuffix("_ids") + "s")
                      if f in form.fields), name)
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


def run_action(action: Action, order_id: int, user: User, inp: ActionInput | dict[str, Any], *,
               key: str | None = None) -> Any:
    """Run an action from its typed input through the registry, with the follow-up of this
    layer (see FOLLOW_UPS); the API and the pages both call this."""
    return registry.run_action(action, order_id, user, inp, key=key, then=FOLLOW_UPS.get(action))


def perform(action: Action, order_id: int, user: User, form: forms.Form, *, key: str | None = None) -> tuple[bool, Any]:
    """Validate the form and run the action. Returns (done, result-or-None); on failure the
    errors are on the form."""
    if not form.is_valid():
        return False, None
    try:
        return True, run_action(action, order_id, user, form_input(action, form.cleaned_data), key=key)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return False, None
