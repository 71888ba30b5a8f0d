"""Reads. `orders_visible_to(user)` is the one place where a user's role and unit become a
queryset filter: every list, page, export and API read starts from it."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from hotline.directory.models import User
from hotline.directory.roles import UNIT_ROLES, Role

from .models import CallerMark, Supervision, WorkOrder
from .states import FINAL_STATES, OPEN_STATES, PROACTIVE_SOURCES, UNIT_CLOCK_STATES, State
from .validation import as_id, normalise_phone


def orders_visible_to(user: User) -> QuerySet[WorkOrder]:
    """District roles see every order; a unit's people see the orders their unit leads or
    co-handles, and undispatched orders in the areas their unit governs (so they can claim
    them). Anyone else sees nothing."""
    qs = WorkOrder.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active and user.role != Role.SYSTEM:
        return qs.none()
    role = Role(user.role)
    if role in UNIT_ROLES:
        if user.unit_id is None:
            return qs.none()
        # A subquery for co-handled orders instead of a join: no DISTINCT over the whole list.
        co_handled = WorkOrder.co_units.through.objects.filter(unit_id=user.unit_id).values("workorder_id")
        return qs.filter(
            Q(lead_unit_id=user.unit_id)
            | Q(id__in=co_handled)
            | Q(state=State.RECEIVED, area__unit_id=user.unit_id)
        )
    return qs


def orders_published() -> QuerySet[WorkOrder]:
    """What the district discloses to anyone (Open311's public reads): every order except those
    screened out (abusive, or not a public matter) and those merged into another (the main order
    stands for them). Which fields of them are published is the reader's business (open311)."""
    return WorkOrder.objects.exclude(state__in=[State.SCREENED_OUT, State.MERGED])


def order_for(user: User, order_id: int) -> WorkOrder | None:
    """One order, if the user may see it."""
    pk = as_id(order_id)
    return orders_visible_to(user).filter(pk=pk).first() if pk is not None else None


def overdue_q(now: dt.datetime | None = None) -> Q:
    """The one rule for "overdue": past a running clock (not signed in time, caller not contacted
    in time, not replied in time)."""
    now = now or timezone.now()
    return (
        Q(state=State.DISPATCHED, sign_due__lt=now)
        | Q(state=State.IN_PROGRESS, reply_due__lt=now)
        | Q(state=State.IN_PROGRESS, first_contact_at__isnull=True, contact_due__lt=now)
    )


def overdue(qs: QuerySet[WorkOrder], now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """Orders past a running clock (overdue_q)."""
    return qs.filter(overdue_q(now))


def with_overdue(qs: QuerySet[WorkOrder], now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """The orders, each with `is_overdue` by the same rule as `overdue()`, so a row's tag and
    the count on the same page cannot disagree."""
    return qs.annotate(is_overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))


def due_soon(qs: QuerySet[WorkOrder], now: dt.datetime | None = None, hours: float | None = None) -> QuerySet[WorkOrder]:
    """Orders whose reply or sign clock runs out within the next hours (not yet overdue)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=hours if hours is not None else settings.HOTLINE_DUE_SOON_HOURS)
    return qs.filter(
        Q(state=State.DISPATCHED, sign_due__gte=now, sign_due__lte=horizon)
        | Q(state__in=list(UNIT_CLOCK_STATES), reply_due__gte=now, reply_due__lte=horizon)
    )


def open_orders(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """The one rule for "open" (在办): the states' OPEN_STATES group."""
    return qs.filter(state__in=sorted(OPEN_STATES))


def closed_orders(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """The other side of open_orders: the states' FINAL_STATES group (closed, screened out, merged)."""
    return qs.filter(state__in=sorted(FINAL_STATES))


def caller_history(phone: str, *, exclude_id: int | None = None, days: int = 365) -> QuerySet[WorkOrder]:
    """A caller's earlier orders (for the agent while the caller is on the line)."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = WorkOrder.objects.filter(caller_phone=phone, received_at__gte=since).order_by("-received_at")
    return qs.exclude(pk=exclude_id) if exclude_id else qs


def active_marks(phone: str, now: dt.datetime | None = None) -> QuerySet[CallerMark]:
    """The marks on a caller's record shown now (not lifted, not expired), newest first: what the
    agent sees at intake. The number is matched as intake stores it (normalise_phone), like the
    caller's history and the repeat-caller check. A mark expires by itself: no job clears it."""
    phone = normalise_phone(phone or "")[:20]
    if not phone:
        return CallerMark.objects.none()
    now = now or timezone.now()
    return (CallerMark.objects.filter(phone=phone, lifted_at__isnull=True, expires_at__gt=now)
            .select_related("order").order_by("-created_at"))
def proactive(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Proactive orders (未诉先办): no caller, opened by the centre."""
    return qs.filter(source__in=sorted(PROACTIVE_SOURCES))


def calls(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """The other side of proactive(): orders a caller (or another system for one) brought in."""
    return qs.exclude(source__in=sorted(PROACTIVE_SOURCES))


def awaiting_verification(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Proactive orders whose reply was approved: the centre verifies the result (核验) to close
    them, or reopens them when it fails. The oldest first."""
    return proactive(qs).filter(state=State.AWAITING_CALLBACK).order_by("updated_at", "id")


# ---- supervision (督办) --------------------------------------------------------------------------------

SUPERVISION_DUE_SOON_HOURS = 24  # the list's "due soon" tab: the feedback is owed within a day
SUPERVISION_TABS = ("active", "due_soon", "overdue", "answered", "escalated", "ended", "all")


def supervisions_visible_to(user: User) -> QuerySet[Supervision]:
    """The supervisions a person sees: those of the orders they see (orders_visible_to); a unit's
    people only those of the orders their unit leads (a co-unit reports to the lead unit)."""
    qs = Supervision.objects.filter(order__in=orders_visible_to(user))
    if getattr(user, "is_authenticated", False) and Role(user.role) in UNIT_ROLES:
        qs = qs.filter(order__lead_unit_id=user.unit_id)
    return qs


def supervision_tab(qs: QuerySet[Supervision], tab: str, now: dt.datetime | None = None) -> QuerySet[Supervision]:
    """One tab of the supervision list (督办件): active; due soon (feedback owed within
    SUPERVISION_DUE_SOON_HOURS); overdue (feedback owed and past its deadline, escalated or not
    yet); answered (waiting for the supervisor); escalated (ever, to the city); ended (closed or
    lifted); all."""
    now = now or timezone.now()
    waiting = ["open", "escalated"]
    if tab == "active":
        return qs.filter(state__in=["open", "answered", "escalated"])
    if tab == "due_soon":
        return qs.filter(state__in=waiting, due__gte=now, due__lte=now + dt.timedelta(hours=SUPERVISION_DUE_SOON_HOURS))
    if tab == "overdue":
        return qs.filter(state__in=waiting, due__lt=now)
    if tab == "answered":
        return qs.filter(state="answered")
    if tab == "escalated":
        return qs.filter(escalated_at__isnull=False)
    if tab == "ended":
        return qs.filter(state__in=["closed", "lifted"])
    return qs
