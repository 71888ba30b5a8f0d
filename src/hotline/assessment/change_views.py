"""Change requests to the responsibility list (清单回头看): the list with its filters, a proposal
prefilled from the rules report's figures, one request with its figures, proposal, trace and the
forms its reader may use, and a rule's versions. Every change goes through
directory/change_actions.py; a refused one shows the page again with the message and what was
typed (nothing lost, nothing written). The figures a proposal carries are computed here from the
rules report for the period the form names, never taken from what was posted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from hotline import periods
from hotline.directory import change_actions
from hotline.directory.changeflow import CHANGE_RIGHTS, ChangeAction, ChangeState, next_change_state
from hotline.directory.models import (
    CHANGE_ACTION_LABELS,
    CHANGE_KIND_CHOICES,
    CHANGE_STATE_CHOICES,
    Area,
    Category,
    ResponsibilityRule,
    Unit,
)
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.web.views.common import paginate, roles_required

from . import rules

READERS = (Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER, Role.REVIEWER, Role.HANDLER, Role.UNIT_HEAD)
PROPOSERS = tuple(Role(r) for r, rights in CHANGE_RIGHTS.items() if ChangeAction.PROPOSE in rights)
FIGURE_LABELS = [
    ("dispatches", _l("派单数")), ("on_list", _l("按清单派单")), ("off_list", _l("改派其他单位")),
    ("off_list_share", _l("改派比例")), ("instead_text", _l("改派给")), ("returns", _l("引用本条的退单")),
    ("returns_upheld", _l("退单获准")), ("returns_rejected", _l("退单被驳回")), ("returns_pending", _l("待裁定")),
    ("review_reasons", _l("建议复核的理由")), ("uncovered_dispatches", _l("无清单依据的派单")),
]


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _units() -> Any:
    return Unit.objects.filter(active=True, handles_orders=True).order_by("name")


def _unit_names(ids: list[int]) -> list[str]:
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names.get(i, str(i)) for i in ids]


def _rules_for(user: Any) -> list[ResponsibilityRule]:
    """The open rules a person may propose changes to (a unit: those that concern it)."""
    if user.role in {Role.HANDLER.value, Role.UNIT_HEAD.value}:
        return [r for r in change_actions.rules_concerning(user.unit_id) if r.effective_to is None] \
            if user.unit_id else []
    return list(ResponsibilityRule.objects.filter(effective_to__isnull=True)
                .select_related("category", "area", "lead_unit").order_by("category__path", "area__code"))


@roles_required(*READERS)
def change_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    qs = change_actions.visible_to(request.user)
    if state in dict(CHANGE_STATE_CHOICES):
        qs = qs.filter(state=state)
    else:
        state = ""
    if kind in dict(CHANGE_KIND_CHOICES):
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    page = paginate(request, qs.order_by("-proposed_at", "-id"), 30)
    for c in page:
        c.co_names = _unit_names(c.co_unit_ids)
    mine = _rules_for(request.user) if request.user.role in {Role.HANDLER.value, Role.UNIT_HEAD.value} else []
    return render(request, "assessment/rule_changes.html", {
        "page": page, "state": state, "kind": kind, "states": CHANGE_STATE_CHOICES, "kinds": CHANGE_KIND_CHOICES,
        "may_propose": request.user.role in {r.value for r in PROPOSERS}, "mine": mine})


def _figures_period(params: Any) -> tuple[dt.date, dt.date]:
    """The period the figures cover: the form's own (figures_from, figures_to), else the rules
    report's (?from=&to= or ?month=), else the last 90 days."""
    if params.get("figures_from") or params.get("figures_to"):
        return periods.period({"from": params.get("figures_from", ""), "to": params.get("figures_to", "")})
    if params.get("from") or params.get("to") or params.get("month"):
        return periods.period(params)
    today = timezone.localdate()
    return today - dt.timedelta(days=89), today


def _prefill(params: Any, first: dt.date, last: dt.date, user: Any) -> dict[str, Any]:
    """A proposal prefilled from the figures: for a rule, its units (and, where the orders went
    elsewhere, the unit they went to most as the lead proposed) and a reason that quotes the
    counts; for a matter no rule covers, its category and area."""
    draft: dict[str, Any] = {"kind": "change", "co_units": [], "effective_from": _next_monday(timezone.localdate()),
                             "figures_from": first, "figures_to": last}
    unit_role = user.role in {Role.HANDLER.value, Role.UNIT_HEAD.value}
    rule_id = change_actions.parse_id(params.get("rule"))
    rule = ResponsibilityRule.objects.select_related("category", "area", "lead_unit").filter(pk=rule_id).first() \
        if rule_id else None
    if rule is not None and unit_role and rule.pk not in {r.pk for r in _rules_for(user)}:
        rule = None  # a unit sees the figures only of rules that concern it (the report is the centre's)
    if rule is not None:
        figs = rules.proposal_figures(first, last, rule_id=rule.pk)
        draft.update(rule=rule.pk, lead_unit=rule.lead_unit_id, basis=rule.basis,
                     co_units=list(rule.co_units.values_list("id", flat=True)))
        top = (figs.get("instead") or [None])[0]
        top_unit = Unit.objects.filter(name=top["unit"]).first() if top else None
        if top_unit is not None and figs.get("off_list"):
            draft["lead_unit"] = top_unit.pk
            draft["co_units"] = [u for u in draft["co_units"] if u != top_unit.pk]
            if rule.lead_unit_id != top_unit.pk:
                draft["co_units"].append(rule.lead_unit_id)
        parts = [_("%(first)s至%(last)s，%(rule)s（%(where)s，主办单位“%(unit)s”）派单%(n)d件")
                 % {"first": first, "last": last, "rule": rule.label, "where": rule.area.name if rule.area else _("全区"),
                    "unit": rule.lead_unit.name, "n": figs.get("dispatches", 0)}]
        if figs.get("off_list"):
            parts.append(_("其中%(n)d件未按本条派出（%(to)s）") % {"n": figs["off_list"], "to": figs.get("instead_text", "")})
        if figs.get("returns"):
            parts.append(_("引用本条的退单%(n)d件，获准%(up)d件") % {"n": figs["returns"], "up": figs.get("returns_upheld", 0)})
        draft["reason"] = _("；").join(parts) + _("。建议调整本条。")
        draft["figures"] = figs
        return draft
    cat_id = change_actions.parse_id(params.get("category"))
    if cat_id and Category.objects.filter(pk=cat_id).exists():
        area_id = change_actions.parse_id(params.get("area"))
        area = Area.objects.filter(pk=area_id).first() if area_id else None
        if unit_role and (area is None or user.unit_id not in change_actions.concerned_units(area=area)):
            return draft
        figs = rules.proposal_figures(first, last, category_id=cat_id, area_id=area.pk if area else None)
        draft.update(kind="add", category=cat_id, area=area.pk if area else None, figures=figs)
        if area is not None and area.unit_id:
            draft["lead_unit"] = area.unit_id
        draft["reason"] = _("%(first)s至%(last)s，该事项无清单依据的派单%(n)d件，建议增补清单条目。") % {
            "first": first, "last": last, "n": figs.get("uncovered_dispatches", 0)}
    return draft


def _posted(post: Any) -> dict[str, Any]:
    return {"kind": post.get("kind", ""), "rule": change_actions.parse_id(post.get("rule")),
            "category": change_actions.parse_id(post.get("category")), "area": change_actions.parse_id(post.get("area")),
            "lead_unit": change_actions.parse_id(post.get("lead_unit")),
            "co_units": [i for i in (change_actions.parse_id(v) for v in post.getlist("co_units")) if i],
            "basis": post.get("basis", ""), "reason": post.get("reason", ""),
            "effective_from": post.get("effective_from", ""), "figures_from": post.get("figures_from", ""),
            "figures_to": post.get("figures_to", "")}


@roles_required(*PROPOSERS)
def change_new(request: HttpRequest) -> HttpResponse:
    message, errors = "", {}
    status = 200
    if request.method == "POST":
        post = request.POST
        draft = _posted(post)
        try:
            first, last = _figures_period(post)
            kind = post.get("kind", "")
            rule_id = post.get("rule") if kind != "add" else None
            figures = (rules.proposal_figures(first, last, rule_id=change_actions.parse_id(rule_id)) if kind != "add"
                       else rules.proposal_figures(first, last, category_id=change_actions.parse_id(post.get("category")),
                                                   area_id=change_actions.parse_id(post.get("area"))))
            change = change_actions.propose(
                actor=request.user, kind=kind, rule_id=rule_id,  # type: ignore[arg-type]
                category_id=post.get("category") if kind == "add" else None,
                area_id=post.get("area") if kind == "add" else None,
                lead_unit_id=post.get("lead_unit") if kind != "retire" else None,
                co_unit_ids=post.getlist("co_units") if kind != "retire" else [],
                basis=post.get("basis", ""), reason=post.get("reason", ""),
                effective_from=post.get("effective_from", ""), figures=figures, figures_from=first,
                figures_to=last)
            return redirect("assessment:rule_change", pk=change.pk)
        except DomainError as exc:
            message, errors, status = str(exc.message), exc.details, exc.status
        draft["figures"] = {}
    else:
        try:
            first, last = _figures_period(request.GET)
        except DomainError as exc:
            return render(request, "assessment/rule_change_form.html", _form_ctx(
                request, {"kind": "change", "co_units": []}, str(exc.message), exc.details), status=exc.status)
        draft = _prefill(request.GET, first, last, request.user)
    return render(request, "assessment/rule_change_form.html", _form_ctx(request, draft, message, errors),
                  status=status)


def _form_ctx(request: HttpRequest, draft: dict[str, Any], message: str, errors: Any) -> dict[str, Any]:
    figs = draft.get("figures") or {}
    return {"draft": draft, "message": message, "errors": errors if isinstance(errors, dict) else {},
            "kinds": CHANGE_KIND_CHOICES, "rules": _rules_for(request.user), "units": _units(),
            "categories": Category.objects.filter(active=True).order_by("path"), "areas": Area.objects.order_by("name"),
            "figures": [(label, _figure_text(k, figs[k])) for k, label in FIGURE_LABELS if k in figs]}


def _figure_text(key: str, value: Any) -> str:
    if key == "off_list_share" and isinstance(value, int | float):
        return f"{value * 100:.0f}%"
    return str(value)


def _offered(change: Any, user: Any) -> set[str]:
    """The forms the page shows this reader: the actions their role has, the state allows, and
    their scope permits (an owner does not decide their own proposal; only the proposer withdraws)."""
    state = ChangeState(change.state)
    out = set()
    for action in CHANGE_RIGHTS.get(user.role, {}):
        if next_change_state(state, action) is None:
            continue
        own = change.proposed_by_id == user.pk
        if action is ChangeAction.WITHDRAW and not own:
            continue
        if action in (ChangeAction.APPROVE, ChangeAction.REJECT) and own:
            continue
        out.add(str(action))
    return out


def _change_or_404(request: HttpRequest, pk: int) -> Any:
    change = change_actions.visible_to(request.user).filter(pk=pk).first()
    if change is None:
        raise Http404
    return change


@roles_required(*READERS)
def change_detail(request: HttpRequest, pk: int, *, error: DomainError | None = None,
                  posted: dict[str, Any] | None = None) -> HttpResponse:
    change = _change_or_404(request, pk)
    events = list(change.events.select_related("actor").order_by("-seq"))
    for e in events:
        e.label = CHANGE_ACTION_LABELS.get(e.action, e.action)
    figs = change.figures or {}
    report_url = ""
    if change.figures_from and change.figures_to:
        report_url = f"{reverse('assessment:rules')}?from={change.figures_from}&to={change.figures_to}"
    current_co: list[str] = []
    if change.rule is not None:
        current_co = list(change.rule.co_units.order_by("name").values_list("name", flat=True))
    return render(request, "assessment/rule_change.html", {
        "change": change, "events": events, "co_names": _unit_names(change.co_unit_ids), "current_co": current_co,
        "figures": [(label, _figure_text(k, figs[k])) for k, label in FIGURE_LABELS if k in figs],
        "report_url": report_url, "offered": _offered(change, request.user), "intact": change_actions.verify(change),
        "error": error, "posted": posted or {}, "today": timezone.localdate()},
        status=error.status if error else 200)


VERBS = {"approve", "reject", "withdraw"}


@require_POST
@roles_required(*READERS)
def change_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    if verb not in VERBS:
        raise Http404
    _change_or_404(request, pk)
    post = request.POST
    try:
        if verb == "approve":
            change_actions.approve(pk, actor=request.user, effective_from=post.get("effective_from", ""),  # type: ignore[arg-type]
                                   note=post.get("note", ""))
        elif verb == "reject":
            change_actions.reject(pk, actor=request.user, note=post.get("note", ""))  # type: ignore[arg-type]
        else:
            change_actions.withdraw(pk, actor=request.user, note=post.get("note", ""))  # type: ignore[arg-type]
    except DomainError as exc:
        return change_detail(request, pk, error=exc, posted={"verb": verb, **post.dict()})
    return redirect("assessment:rule_change", pk=pk)


@roles_required(*READERS)
def rule_history(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Every version of a rule's line (its category and area): which was in force when, and the
    change requests that made or closed each."""
    rule = ResponsibilityRule.objects.select_related("category", "area", "lead_unit").filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    rows = change_actions.versions(rule)
    changes = change_actions.visible_to(request.user).filter(rule__in=[r["rule"] for r in rows])
    return render(request, "assessment/rule_history.html", {
        "rule": rule, "versions": rows, "changes": changes.order_by("-proposed_at"),
        "may_propose": request.user.role in {r.value for r in PROPOSERS},
        "current": next((r["rule"] for r in rows if r["effective_to"] is None), None)})
