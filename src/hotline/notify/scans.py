"""The scans the worker runs: orders whose clock runs out soon or has run out, told to the unit
once per order, clock and deadline (the dedupe key; an approved extension moves the deadline
and so tells again); and the assessment's early warnings, told to the supervisors once a day.

Each scan writes its Notification rows (services.notify, deduplicated) and returns them as
Queued, for the caller to hand to the outbox in the same transaction (delivery.scan)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline.assessment import warnings as warning_rules
from hotline.assessment.models import Subscription
from hotline.orders import selectors
from hotline.orders.models import Supervision, WorkOrder
from hotline.orders.states import State

from . import rules, services
from .rules import Kind
from .services import Queued

CLOCK_LABELS = {"sign": gettext_noop("签收时限"), "contact": gettext_noop("首次联系时限"),
                "reply": gettext_noop("答复时限"), "supervision": gettext_noop("督办反馈时限")}
LIMIT = 2000  # orders per scan and kind: a backlog is worked off over the next scans


def _clock_label(clock: str) -> str:
    return _(CLOCK_LABELS[clock])


def _tell(kind: Kind, order: WorkOrder, clock: str, due: dt.datetime, now: dt.datetime,
          people_of: dict[int, list]) -> list[Queued]:
    people = people_of.get(order.lead_unit_id, [])
    key = f"{kind.value}:{order.pk}:{clock}:{int(due.timestamp())}"
    return services.notify(kind, people, services.order_context(order, clock=_clock_label(clock), due=due),
                           order=order, emergency=order.urgency == "emergency", now=now, dedupe=key)


def _people_by_unit(orders: list[WorkOrder]) -> dict[int, list]:
    out: dict[int, list] = {}
    for person in services.unit_people({o.lead_unit_id for o in orders}):
        out.setdefault(person.unit_id, []).append(person)
    return out


def due_soon(now: dt.datetime | None = None) -> list[Queued]:
    """Orders whose sign or reply clock runs out within HOTLINE_DUE_SOON_HOURS (selectors.due_soon)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=settings.HOTLINE_DUE_SOON_HOURS)
    orders = list(selectors.due_soon(selectors.open_orders(WorkOrder.objects.all()), now)
                  .select_related("lead_unit").order_by("reply_due", "pk")[:LIMIT])
    people_of = _people_by_unit(orders)
    out: list[Queued] = []
    for order in orders:
        clocks = [("reply", order.reply_due)]
        if order.state == State.DISPATCHED:
            clocks.insert(0, ("sign", order.sign_due))
        for clock, due in clocks:
            if due is not None and now <= due <= horizon:
                out += _tell(Kind.DUE_SOON, order, clock, due, now, people_of)
    return out


def overdue(now: dt.datetime | None = None) -> list[Queued]:
    """Orders past a running clock (selectors.overdue) whose deadline passed within the last
    HOTLINE_NOTIFY_OVERDUE_WINDOW_HOURS: told once when a clock runs out, not every scan ever after."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.HOTLINE_NOTIFY_OVERDUE_WINDOW_HOURS)
    recent = Q(sign_due__gte=since) | Q(contact_due__gte=since) | Q(reply_due__gte=since)
    orders = list(selectors.overdue(selectors.open_orders(WorkOrder.objects.all()), now).filter(recent)
                  .select_related("lead_unit").order_by("pk")[:LIMIT])
    people_of = _people_by_unit(orders)
    out: list[Queued] = []
    for order in orders:
        # Which of overdue_q's clocks ran out (an order may be late on two).
        clocks = []
        if order.state == State.DISPATCHED:
            clocks.append(("sign", order.sign_due))
        elif order.state == State.IN_PROGRESS:
            clocks.append(("reply", order.reply_due))
            if order.first_contact_at is None:
                clocks.append(("contact", order.contact_due))
        for clock, due in clocks:
            if due is not None and since <= due < now:
                out += _tell(Kind.OVERDUE, order, clock, due, now, people_of)
    return out


def supervision_due_soon(now: dt.datetime | None = None) -> list[Queued]:
    """Supervisions whose feedback deadline runs out within HOTLINE_DUE_SOON_HOURS and whose
    feedback is still owed (open or escalated): the lead unit is told once per supervision and
    deadline (the "supervision" clock)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=settings.HOTLINE_DUE_SOON_HOURS)
    sups = list(Supervision.objects.filter(state__in=["open", "escalated"], due__gte=now, due__lte=horizon,
                                           order__lead_unit__isnull=False)
                .select_related("order", "order__lead_unit").order_by("due", "pk")[:LIMIT])
    orders = [s.order for s in sups]
    people_of = _people_by_unit(orders)
    out: list[Queued] = []
    for sup in sups:
        out += _tell(Kind.DUE_SOON, sup.order, "supervision", sup.due, now, people_of)
    return out


def evaluate_warnings(now: dt.datetime | None = None) -> list[dict]:
    """Today's early warnings (read outside the scan's transaction: the rules read the aggregates)."""
    return warning_rules.evaluate(timezone.localtime(now or timezone.now()).date())


def warnings(now: dt.datetime | None = None, found: list[dict] | None = None) -> list[Queued]:
    """Today's early warnings (`found`, default evaluated now), told to the supervisors: a
    category surge (the burst) to every supervisor, any other rule to the supervisors who follow
    it; once per warning and day."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    if found is None:
        found = evaluate_warnings(now)
    found = [w for w in found if w["rule"] not in rules.SKIPPED_RULES]
    if not found:
        return []
    everyone = services.supervisors()
    following: dict[str, set[int]] = {}
    for user_id, rule in Subscription.objects.filter(user__in=everyone).values_list("user_id", "rule"):
        following.setdefault(rule, set()).add(user_id)
    link = services.base_url() + reverse("assessment:warnings")
    out: list[Queued] = []
    for w in found:
        if w["rule"] in rules.ALWAYS_TOLD_RULES:
            people = everyone
        else:
            people = [p for p in everyone if p.pk in following.get(w["rule"], set())]
        subject_key = w["unit_id"] if w["unit_id"] is not None else w["evidence"].get("category_id", w["subject"])
        key = f"warning:{w['rule']}:{subject_key}:{day.isoformat()}"
        ctx = {"rule": w["rule_label"], "subject": w["subject"], "text": w["message"], "link": link}
        out += services.notify(Kind.WARNING, people, ctx, now=now, dedupe=key)
    return out
