"""The order page: everything about one order, and the actions this person may take on it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hotline.directory.models import limit_label
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.orders import actions as do
from hotline.orders import procedures, supervisions
from hotline.orders.actions import UNREASONABLE_REASONS
from hotline.orders.models import STATE_LABELS, Event, Supervision, WorkOrder, action_label
from hotline.orders.selectors import active_marks, order_for
from hotline.orders.states import Action, State
from hotline.orders.supervisions import Step, SupervisionState
from hotline.triage.services import board_suggestions

from ..actions import REGISTRY, allowed_actions, form_for, perform
from .common import is_htmx, phone_for, shows_full_phone


def localtime_text(iso: str) -> str:
    """An ISO time from an event's data, as local time (minutes)."""
    try:
        return f"{timezone.localtime(dt.datetime.fromisoformat(iso)):%Y-%m-%d %H:%M}"
    except (TypeError, ValueError):
        return str(iso)


def _visible_or_404(request: HttpRequest, order_id: int) -> WorkOrder:
    order = order_for(request.user, order_id)  # type: ignore[arg-type]
    if order is None:
        raise Http404(_("工单不存在或您无权查看。"))
    return order


# Lazy: built at import, shown in the language of each request.
BASIS_LABELS = {"rule": gettext_lazy("按权责清单"), "override": gettext_lazy("未按权责清单（已说明理由）"),
                "manual": gettext_lazy("人工判断（清单无条目）"), "model": gettext_lazy("智能派单模型")}
SHOWN_KEYS = ("note", "text", "reason", "advice", "answer", "explanation", "main_order", "merged_in", "unmerged")
# Events whose `kind` is an unreasonable-request reason code (shown by its label).
REPORT_EVENTS = {Action.REPORT_UNREASONABLE, Action.UPHOLD_UNREASONABLE, Action.REJECT_UNREASONABLE}


def _timeline(order: WorkOrder) -> list[dict[str, Any]]:
    """The order's events as people read them: what was done, by whom, when, and why."""
    events = Event.objects.filter(order=order).select_related("actor", "actor_unit").order_by("seq")
    out = []
    for ev in events:
        label = action_label(ev.action)
        moved = ev.from_state != ev.to_state and ev.to_state in State._value2member_map_
        # The machine's note on its own dispatch repeats its basis, rule and confidence in the
        # language it ran in; the event's fields say the same in the reader's language, once.
        machine_note = ev.data.get("basis") in BASIS_LABELS and getattr(ev.actor, "role", "") == Role.SYSTEM
        lines = [str(ev.data[k]) for k in SHOWN_KEYS if ev.data.get(k) and not (machine_note and k == "note")]
        if ev.data.get("basis") in BASIS_LABELS:
            basis = str(BASIS_LABELS[ev.data["basis"]])
            if machine_note and ev.data.get("rule"):
                basis += _("：") + _("权责清单#%(n)s") % {"n": ev.data["rule"]}
            if ev.data.get("confidence") is not None:
                basis += _("，置信度 %(c).2f") % {"c": float(ev.data["confidence"])}
            lines.insert(0, basis)
        if ev.data.get("reply_limit"):
            lines.append(_deadline_line(ev.data))
        if ev.data.get("late"):
            lines.append(str(_("超时")))
        if ev.action in REPORT_EVENTS and ev.data.get("kind") in UNREASONABLE_REASONS:
            lines.insert(0, str(UNREASONABLE_REASONS[ev.data["kind"]]))
        if ev.data.get("expires_at"):
            lines.append(_("来电人标记有效期至 %(d)s") % {"d": localtime_text(ev.data["expires_at"])})
        out.append({"event": ev, "label": label, "to_label": STATE_LABELS[State(ev.to_state)] if moved else "",
                    "lines": lines})
    return out


def _deadline_line(data: dict[str, Any]) -> str:
    """What a dispatch's event says of the reply clock it started, in the reader's language."""
    try:
        amount, unit = data["reply_limit"]
        limit = limit_label(amount, unit)
    except (TypeError, ValueError):
        return ""
    rule = data.get("deadline_rule")
    if data.get("limit_source") == "rule" and rule:
        text = _("答复时限%(limit)s（按时限规则#%(n)s）") % {"limit": limit, "n": rule}
    elif rule:
        text = _("答复时限%(limit)s（按紧急程度：早于时限规则#%(n)s到期）") % {"limit": limit, "n": rule}
    else:
        text = _("答复时限%(limit)s（按紧急程度）") % {"limit": limit}
    if data.get("reply_kept"):
        text += _("；原答复时限更晚，保持不变")
    return str(text)


# The supervision steps, offered on the page only where the order's supervision can take them.
SUPERVISION_STEPS = {Action.SUPERVISION_FEEDBACK: Step.FEEDBACK, Action.CLOSE_SUPERVISION: Step.CLOSE,
                     Action.LIFT_SUPERVISION: Step.LIFT, Action.ESCALATE_SUPERVISION: Step.ESCALATE}


def _fits_supervision(action: Action, active: Supervision | None) -> bool:
    """Whether to offer `action` given the order's active supervision (none: no step to take, a
    new one may be opened). The actions check the same themselves; this only spares forms."""
    if action is Action.SUPERVISE:
        return active is None
    step = SUPERVISION_STEPS.get(action)
    if step is None:
        return True
    return active is not None and supervisions.next_state(SupervisionState(active.state), step) is not None


def _joint_forms(allowed: list[Action], parts: list[Any], user: Any) -> list[Action]:
    """The joint-handling forms worth showing: the rights tables allow them by role and unit, the
    parts say whether there is anything to do (a part to sign, to reply, an owed part to urge)."""
    owed = [p for p in parts if p.state in ("assigned", "signed")]
    mine = next((p for p in parts if p.unit_id == getattr(user, "unit_id", None) and p.state != "withdrawn"), None)
    wanted = {Action.CO_URGE: bool(owed), Action.CO_SIGN: mine is not None and mine.state == "assigned",
              Action.CO_REPLY: mine is not None and mine.state == "signed"}
    return [a for a in allowed if wanted.get(a, True)]


def order_context(request: HttpRequest, order: WorkOrder, bound: tuple[Action, Any] | None = None) -> dict[str, Any]:
    user = request.user
    co_units = list(order.co_units.all())
    allowed = allowed_actions(order, user, [u.pk for u in co_units])  # type: ignore[arg-type]
    active = order.supervisions.filter(state__in=[s.value for s in supervisions.ACTIVE]).first()
    allowed = [a for a in allowed if (bound is not None and bound[0] is a) or _fits_supervision(a, active)]
    co_parts = list(order.co_parts.select_related("unit", "gathered_by", "replied_by").prefetch_related("evidence")
                    .order_by("pk")) if co_units or order.dispatch_count > 1 else []
    allowed = _joint_forms(allowed, co_parts, user)
    forms = []
    for action in allowed:
        spec = REGISTRY[action]
        if bound is not None and bound[0] is action:
            form = bound[1]
        else:
            form = form_for(action, order, prefix=action.value, initial=_initial(action, order, user))
        forms.append({"action": action, "label": spec.label, "form": form, "style": spec.style,
                      "multipart": spec.multipart, "open": bound is not None and bound[0] is action,
                      # a double click or a resent form carries the same key: done once (do.idempotent)
                      "key": uuid.uuid4().hex})
    profile = procedures.profile_for(order)
    checklist = procedures.checklist(profile, has_caller=not order.is_proactive)
    reply_state = None
    if bound is not None and bound[0] is Action.REPLY:
        # The live checklist keeps its state after a refused reply: ticks from what was typed;
        # the missing elements are listed once, in the form's errors.
        reply_state = _reply_check_context(order, bound[1].data)
        reply_state["gaps"] = []
    source_link, source_text = _source(order)
    return {
        "source_link": source_link, "source_text": source_text,
        "reply_check": reply_state,
        "order": order,
        "phone": phone_for(user, order),
        "phone_masked": not shows_full_phone(user),
        "can_view_phone": bool(allowed_actions(order, user, [u.pk for u in co_units], [Action.VIEW_PHONE])),  # type: ignore[arg-type]
        "co_units": co_units,
        # joint handling: each co-unit's part, its clock and its reply (with its files)
        "co_parts": co_parts,
        "timeline": _timeline(order),
        "replies": order.replies.select_related("unit").prefetch_related("evidence", "reviews", "co_parts__unit")
        .order_by("round"),
        "evidence": order.evidence.all().order_by("uploaded_at"),
        "notes": order.notes.select_related("by", "unit").order_by("at"),
        "returns": order.returns.select_related("unit", "suggested_unit", "rule_cited", "decided_by").order_by("at"),
        "extensions": order.extensions.order_by("requested_at"),
        "callbacks": order.callbacks.select_related("agent").order_by("at"),
        "merged_orders": order.merged_orders.all()[:50],
        "unreasonable_reports": order.unreasonable_reports.select_related("unit", "by", "decided_by")
        .prefetch_related("evidence").order_by("at"),
        "appeals": order.appeals.select_related("unit", "by", "decided_by").prefetch_related("evidence").order_by("at"),
        "caller_marks": order.caller_marks.prefetch_related("contests__by", "contests__decided_by")
        .order_by("created_at"),
        "supervisions": order.supervisions.select_related("unit", "opened_by", "feedback_by", "ended_by")
        .order_by("opened_at"),
        "now": timezone.now(),
        # the caller's marks in force, from this order or others: for the centre (not the units)
        "active_marks": list(active_marks(order.caller_phone)[:10]) if shows_full_phone(user) else [],
        "rule": do.rule_for(order.category, order.area),
        "profile": profile,
        "checklist": checklist,
        "forms": forms,
        "history": WorkOrder.objects.filter(caller_phone=order.caller_phone).exclude(pk=order.pk).order_by("-received_at")[:10]
        if order.caller_phone and shows_full_phone(user) else [],
    }


def _source(order: WorkOrder) -> tuple[str, str]:
    """Where a proactive order came from: a link to it where it has a page, and its name."""
    if not order.is_proactive or order.source_ref is None:
        return "", ""
    ref = order.source_ref
    if order.source == "hotspot":
        return reverse("governance:hotspot", args=[ref]), _("热点（首单#%(n)s）") % {"n": ref}
    if order.source == "seasonal":
        return f"{reverse('governance:seasonal')}#rule-{ref}", _("季节性规则#%(n)s") % {"n": ref}
    return "", _("专项治理任务#%(n)s") % {"n": ref}


def _initial(action: Action, order: WorkOrder, user: Any) -> dict[str, Any]:
    if action is Action.DISPATCH:
        # The same suggestion as the dispatch board's (one function): the machine's category
        # where the agent chose none, and the unit the list (or the router) names for it.
        s = board_suggestions([order])[order.pk]
        initial: dict[str, Any] = {}
        if s.category_source == "machine":
            initial["category"] = s.category_id
        if s.unit_id is not None:
            initial["unit"] = s.unit_id
        if s.rule is not None:
            initial["co_units"] = list(s.rule.co_units.values_list("id", flat=True))
        return initial
    if action is Action.REPLY:
        return {"responder": str(user)}
    return {}


@login_required
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _visible_or_404(request, order_id)
    return render(request, "web/order.html", order_context(request, order))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
@login_required
def act(request: HttpRequest, order_id: int, verb: str) -> HttpResponse:
    """Perform one action from a form. On error the order page comes back with the form open
    and the errors beside its fields (status 400); nothing was written."""
    order = _visible_or_404(request, order_id)
    try:
        action = Action(verb)
        spec = REGISTRY[action]
    except (ValueError, KeyError):
        raise Http404(_("未知的操作。")) from None
    form = form_for(action, order, request.POST, request.FILES, prefix=action.value)
    done, _result = perform(action, order.pk, request.user, form,  # type: ignore[arg-type]
                            key=request.POST.get("idempotency_key") or None)
    if done:
        messages.success(request, _("已完成：%(a)s（工单 %(n)s）") % {"a": spec.label, "n": order.number})
        target = _safe_next(request, f"/orders/{order.pk}/")
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    order.refresh_from_db()
    # htmx (the reply form) swaps the form's part of the page in place, so the address stays the
    # order page's and a reload does not post again; htmx swaps only 2xx answers.
    return render(request, "web/order.html", order_context(request, order, (action, form)),
                  status=200 if is_htmx(request) else 400)


@require_POST
@login_required
def view_phone(request: HttpRequest, order_id: int) -> HttpResponse:
    """Show a caller's full number to a unit's person; the look is written to the trace."""
    order = _visible_or_404(request, order_id)
    try:
        phone = do.do_view_phone(order.pk, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=403 if exc.status == 403 else 409)
    return HttpResponse(f'<a href="tel:{phone}">{phone}</a> <span class="muted small">{_("（已记录查看）")}</span>')


@require_POST
@login_required
def reply_check(request: HttpRequest, order_id: int) -> HttpResponse:
    """Live check of a draft reply against the category's procedure (htmx): what a reviewer
    will look for, and what is still missing."""
    order = _visible_or_404(request, order_id)
    return render(request, "web/_reply_check.html", _reply_check_context(order, request.POST))


def _reply_check_context(order: WorkOrder, p: Any) -> dict[str, Any]:
    """What the draft reply in `p` (the reply form's fields) has and lacks, for the checklist."""
    draft = procedures.Draft(
        responder=p.get("reply-responder", ""), process=p.get("reply-process", ""), outcome=p.get("reply-outcome", ""),
        contacted_caller=p.get("reply-contacted_caller") in {"on", "true", "1"},
        evidence_count=order.evidence.filter(reply__isnull=True).count(),
    )
    profile = procedures.profile_for(order)
    gaps = procedures.reply_gaps(profile, draft, contact_recorded=order.first_contact_at is not None,
                                 has_caller=not order.is_proactive)
    missing = {g.code for g in gaps}
    brush_off = procedures.looks_like_brush_off(draft.process, draft.outcome)
    return {
        "items": [{"code": code, "label": label, "ok": code not in missing}
                  for code, label in procedures.checklist(profile, has_caller=not order.is_proactive)],
        "gaps": gaps, "brush_off": brush_off,
    }
