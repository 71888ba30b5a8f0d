"""The counters of a range of local days, derived from the orders' own tables with a dozen
grouped queries (pure reads), and a memo so one page computes a live range once."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.db import models
from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from hotline.directory.models import Category, ReviewMode, Unit, UnitKind
from hotline.orders.models import (
    Callback,
    Event,
    Evidence,
    ExtensionRequest,
    Note,
    OrderReturn,
    Reply,
    Review,
    Satisfaction,
    WorkOrder,
)
from hotline.orders.states import PROACTIVE_SOURCES

from ..models import COUNTERS
from .sql import as_seconds, count_where, day_bounds, local_day, local_tz, seconds_between

MIX_COUNTERS = ["received", "valid", "resolved", "satisfied", "basic"]
AREA_COUNTERS = ["valid", "contacted", "resolved", "satisfied", "basic"]
# Actions that hand an order to a lead unit (a rejected return hands it back: the unit gets it again).
ASSIGNING = ["dispatch", "claim", "accept_return", "reject_return", "joint", "escalate"]
# Ranges shorter than this are read order by order through the event index (see compute()).
SHORT_RANGE_DAYS = 7
UnitKey = tuple[int, dt.date]
MixKey = tuple[int | None, dt.date, int | None, str]
AreaKey = tuple[int | None, dt.date]
CallerKey = tuple[int, dt.date, str]
# (callback id, unit, day, caller phone, answering phone, satisfaction)
OtherAnswer = tuple[int, int, dt.date, str, str, str]


class Computed(NamedTuple):
    units: dict[UnitKey, dict[str, int]]
    mix: dict[MixKey, dict[str, int]]
    areas: dict[AreaKey, dict[str, int]]
    # gaming checks: simple requests' callbacks per caller phone [callbacks, satisfied], and
    # the callbacks answered from another number
    callers: dict[CallerKey, list[int]] = {}
    answers: list[OtherAnswer] = []


_memo: contextvars.ContextVar[dict[tuple[dt.date, dt.date], Computed] | None] = contextvars.ContextVar(
    "assessment_stats_memo", default=None)


@contextlib.contextmanager
def memo() -> Iterator[None]:
    """Within this block a live range is computed once, however many tables ask for it (one page
    view asks for units, case mix and areas). Nested blocks share the outer one's results."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def compute(first: dt.date, last: dt.date) -> Computed:
    """The counters of local days first..last (inclusive), from the source tables. Pure read."""
    cache = _memo.get()
    if cache is not None:
        if (first, last) not in cache:
            cache[(first, last)] = _compute(first, last)
        return cache[(first, last)]
    return _compute(first, last)


def authority_q() -> Q:
    """Callbacks not excluded as beyond their unit's authority: not on an order confirmed beyond
    its unit's authority, unless the unit is itself an authority that took it. The authority
    units are listed by id, which keeps the unit table out of the join."""
    authorities = list(Unit.objects.filter(kind=UnitKind.AUTHORITY).values_list("pk", flat=True))
    return Q(order__outside_authority=False) | Q(unit_id__in=authorities)


def counted_q() -> Q:
    """Callbacks that count for their unit (fair attribution): within its authority (authority_q)
    and not on an order the centre upheld as an unreasonable request (the unit is not blamed for
    the answers on it; the order still counts as received, docs/unreasonable.md)."""
    return authority_q() & Q(order__unreasonable=False)


def simple_categories() -> list[int]:
    """Categories whose procedure is reviewed by sample (consultations and other simple matters),
    resolved in Python once so the callback query does not join the category tree."""
    cats = list(Category.objects.select_related("profile", "parent__profile", "parent__parent__profile"))
    return [c.pk for c in cats if (p := c.effective_profile()) is not None and p.review_mode == ReviewMode.SAMPLE]


def _compute(first: dt.date, last: dt.date) -> Computed:
    lo, hi = day_bounds(first, last)
    events = Event.objects.filter(at__gte=lo, at__lt=hi)
    if not events.exists():  # every fact has an event: a range without events has nothing to count
        return Computed({}, {}, {})
    # Every fact of a day has an event that day. For a short range (today, computed live at each
    # page view) the orders with events in the range are found through Event's index on `at`, so
    # the other tables are read by order instead of scanned whole; a long range (a rebuild) scans.
    short = (last - first).days < SHORT_RANGE_DAYS
    active = Q(order__in=events.values("order_id")) if short else Q()
    units: dict[UnitKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    mix: dict[MixKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MIX_COUNTERS, 0))
    areas: dict[AreaKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AREA_COUNTERS, 0))

    def add(rows: Iterable[dict[str, Any]], unit_field: str, mapping: dict[str, str]) -> None:
        for row in rows:
            if row[unit_field] is None:
                continue
            bucket = units[(row[unit_field], row["d"])]
            for src, dst in mapping.items():
                value = row[src]
                bucket[dst] += as_seconds(value) if dst.endswith("_seconds") else int(value or 0)

    # New assignments of an order to a unit (the unit is in the event's data).
    assigned = (events.filter(action__in=ASSIGNING).annotate(u=Cast(KT("data__unit"), models.BigIntegerField()))
                .values("u").annotate(d=local_day("at"), n=Count("pk"),
                                      first=Count("pk", filter=Q(from_state="received")),
                                      secs=Sum(seconds_between("at", "order__received_at"), filter=Q(from_state="received")))
                .values("u", "d", "n", "first", "secs"))
    add(assigned, "u", {"n": "dispatched", "first": "first_dispatches", "secs": "dispatch_seconds"})
    signs = (events.filter(action="sign").values("actor_unit").annotate(d=local_day("at"), n=Count("pk"),
                                                                           late=count_where(data__late=True))
             .values("actor_unit", "d", "n", "late"))
    add(signs, "actor_unit", {"n": "signed", "late": "signed_late"})
    replies = (events.filter(action="reply").values("actor_unit")
               .annotate(d=local_day("at"), n=Count("pk"), late=count_where(data__late=True),
                         na=count_where(data__result="no_authority"))
               .values("actor_unit", "d", "n", "late", "na"))
    add(replies, "actor_unit", {"n": "replies", "late": "replies_late", "na": "no_authority_replies"})
    first_replies = (Reply.objects.filter(active, replied_at__gte=lo, replied_at__lt=hi, round=1).values("unit")
                     .annotate(d=local_day("replied_at"), n=Count("pk"), due=count_where(order__contact_due__isnull=False),
                               ok=count_where(order__contact_due__isnull=False,
                                         order__first_contact_at__lte=F("order__contact_due")))
                     .values("unit", "d", "n", "due", "ok"))
    add(first_replies, "unit", {"n": "first_replies", "due": "contact_due", "ok": "contact_on_time"})
    # A redo the centre overturned on the unit's appeal (申诉成立, docs/appeals.md) is no longer
    # counted against the unit: it stays a review of that day, not a redo.
    reviews = (Review.objects.filter(active, at__gte=lo, at__lt=hi).values("reply__unit")
               .annotate(d=local_day("at"), n=Count("pk"),
                         redo=count_where(decision=Review.Decision.REDO, overturned_at__isnull=True))
               .values("reply__unit", "d", "n", "redo"))
    add(reviews, "reply__unit", {"n": "reviews", "redo": "redos"})

    returns = OrderReturn.objects.filter(active, at__gte=lo, at__lt=hi)
    add(returns.values("unit").annotate(d=local_day("at"), n=Count("pk"), pp=count_where(order__return_count__gte=2))
        .values("unit", "d", "n", "pp"), "unit", {"n": "returns", "pp": "pingpong_returns"})
    decided = (OrderReturn.objects.filter(active, decided_at__gte=lo, decided_at__lt=hi).values("unit")
               .annotate(d=local_day("decided_at"), n=Count("pk"),
                         up=Count("pk", filter=Q(outcome__in=[OrderReturn.Outcome.ACCEPTED, OrderReturn.Outcome.ESCALATED,
                                                                OrderReturn.Outcome.TO_CITY])),
                         rej=count_where(outcome=OrderReturn.Outcome.REJECTED), joint=count_where(outcome=OrderReturn.Outcome.JOINT),
                         secs=Sum(seconds_between("decided_at", "at")))
               .values("unit", "d", "n", "up", "rej", "joint", "secs"))
    add(decided, "unit", {"n": "arbitrated", "up": "returns_upheld", "rej": "returns_rejected",
                          "joint": "returns_joint", "secs": "arbitration_seconds"})
    # Ping-pong: an order counts once, against the unit whose return was its second.
    pp_orders = list(returns.filter(order__return_count__gte=2).values_list("order_id", flat=True).distinct())
    if pp_orders:
        seen: dict[int, int] = defaultdict(int)
        for order_id, unit_id, at in (OrderReturn.objects.filter(order_id__in=pp_orders)
                                      .order_by("order_id", "at", "pk").values_list("order_id", "unit_id", "at")):
            seen[order_id] += 1
            if seen[order_id] == 2 and lo <= at < hi:
                units[(unit_id, timezone.localtime(at, local_tz()).date())]["pingpong_orders"] += 1

    ext = (ExtensionRequest.objects.filter(active, requested_at__gte=lo, requested_at__lt=hi).values("unit")
           .annotate(d=local_day("requested_at"), n=Count("pk"), ok=count_where(status=ExtensionRequest.Status.APPROVED))
           .values("unit", "d", "n", "ok"))
    add(ext, "unit", {"n": "extensions", "ok": "extensions_approved"})

    # Callbacks. Fair attribution: an order confirmed beyond its unit's authority (a return of
    # that kind accepted, or escalated) counts only for an authority-kind unit that took it.
    # A rating voided by a re-check (复核回访 found it fabricated) no longer counts in the rates;
    # the caller's real answers are a callback of their own. The gaming evidence below still sees
    # it: a suspicion does not vanish because it was confirmed.
    counted = counted_q()
    rated = counted & Q(voided_at__isnull=True)
    within = authority_q()
    good = Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
    cbs = Callback.objects.filter(active, at__gte=lo, at__lt=hi, reached=True, unit__isnull=False)
    cb_rows = (cbs.values("unit").annotate(
        d=local_day("at"), n=Count("pk"), x_valid=Count("pk", filter=Q(valid=True) & rated),
        x_contacted=Count("pk", filter=Q(valid=True, contacted=True) & rated),
        x_resolved=Count("pk", filter=Q(valid=True, resolved=True) & rated),
        x_sat=Count("pk", filter=Q(valid=True, satisfaction=Satisfaction.SATISFIED) & rated),
        x_basic=Count("pk", filter=Q(valid=True, satisfaction=Satisfaction.BASIC) & rated),
        x_us=Count("pk", filter=Q(valid=True, resolved=False) & good & rated),
        x_other=Count("pk", filter=Q(valid=True) & ~Q(phone="") & ~Q(phone=F("order__caller_phone"))),
        x_exv=Count("pk", filter=Q(valid=True) & ~within),
        x_exr=Count("pk", filter=Q(valid=True, resolved=True) & ~within),
        x_exu=Count("pk", filter=Q(valid=True, order__unreasonable=True) & within),
    ).values("unit", "d", "n", "x_valid", "x_contacted", "x_resolved", "x_sat", "x_basic", "x_us", "x_other",
             "x_exv", "x_exr", "x_exu"))
    add(cb_rows, "unit", {"n": "callbacks", "x_valid": "valid", "x_contacted": "contacted", "x_resolved": "resolved",
                          "x_sat": "satisfied", "x_basic": "basic", "x_us": "unresolved_satisfied",
                          "x_other": "other_phone", "x_exv": "excluded_valid", "x_exr": "excluded_resolved",
                          "x_exu": "excluded_unreasonable"})
    for row in (cbs.filter(Q(valid=True) & rated).values("unit", "order__category", "order__urgency")
                .annotate(d=local_day("at"), x_valid=Count("pk"), x_resolved=count_where(resolved=True),
                          x_sat=count_where(satisfaction=Satisfaction.SATISFIED),
                          x_basic=count_where(satisfaction=Satisfaction.BASIC))
                .values("unit", "d", "order__category", "order__urgency", "x_valid", "x_resolved", "x_sat", "x_basic")):
        cell = mix[(row["unit"], row["d"], row["order__category"], row["order__urgency"])]
        cell["valid"] += row["x_valid"]
        cell["resolved"] += row["x_resolved"]
        cell["satisfied"] += row["x_sat"]
        cell["basic"] += row["x_basic"]
    for row in (cbs.filter(Q(valid=True) & rated).values("order__area")
                .annotate(d=local_day("at"), x_valid=Count("pk"), x_contacted=count_where(contacted=True),
                          x_resolved=count_where(resolved=True), x_sat=count_where(satisfaction=Satisfaction.SATISFIED),
                          x_basic=count_where(satisfaction=Satisfaction.BASIC))
                .values("order__area", "d", "x_valid", "x_contacted", "x_resolved", "x_sat", "x_basic")):
        areas[(row["order__area"], row["d"])] = {
            "valid": row["x_valid"], "contacted": row["x_contacted"], "resolved": row["x_resolved"],
            "satisfied": row["x_sat"], "basic": row["x_basic"]}
    # Gaming checks: the same few numbers rating simple requests, and answers from other numbers.
    callers: dict[CallerKey, list[int]] = {}
    for row in (cbs.filter(Q(valid=True, order__category_id__in=simple_categories()) & counted)
                .exclude(order__caller_phone="").values("unit", "order__caller_phone")
                .annotate(d=local_day("at"), n=Count("pk"), x_sat=count_where(satisfaction=Satisfaction.SATISFIED))
                .values_list("unit", "d", "order__caller_phone", "n", "x_sat")):
        callers[(row[0], row[1], row[2])] = [row[3], row[4]]
    answers: list[OtherAnswer] = list(
        cbs.filter(Q(valid=True) & counted).exclude(phone="").exclude(phone=F("order__caller_phone"))
        .annotate(d=local_day("at")).values_list("pk", "unit", "d", "order__caller_phone", "phone", "satisfaction"))
    by_pk = Q(pk__in=events.values("order_id")) if short else Q()
    # Intake volume counts callers' requests: a proactive order (未诉先办) is the centre's own work,
    # not a call received.
    for row in (WorkOrder.objects.filter(by_pk, received_at__gte=lo, received_at__lt=hi)
                .exclude(source__in=sorted(PROACTIVE_SOURCES)).values("category", "urgency")
                .annotate(d=local_day("received_at"), n=Count("pk")).values("category", "urgency", "d", "n")):
        mix[(None, row["d"], row["category"], row["urgency"])]["received"] += row["n"]

    closed = (WorkOrder.objects.filter(by_pk, closed_at__gte=lo, closed_at__lt=hi, state="closed",
                                       lead_unit__isnull=False)
              .values("lead_unit").annotate(d=local_day("closed_at"), n=Count("pk"),
                                            secs=Sum(seconds_between("closed_at", "received_at")))
              .values("lead_unit", "d", "n", "secs"))
    add(closed, "lead_unit", {"n": "closed", "secs": "close_seconds"})
    evidence = (Evidence.objects.filter(active, uploaded_at__gte=lo, uploaded_at__lt=hi).values("uploaded_by__unit")
                .annotate(d=local_day("uploaded_at"), n=Count("pk")).values("uploaded_by__unit", "d", "n"))
    add(evidence, "uploaded_by__unit", {"n": "evidence"})
    # Proactive work: a proactive order has no caller, so no callback and no place in the three
    # rates; the centre's verification (its VERIFY event, naming the unit) credits the unit.
    verified = (events.filter(action="verify").annotate(u=Cast(KT("data__unit"), models.BigIntegerField()))
                .values("u").annotate(d=local_day("at"), n=Count("pk"), first=count_where(data__first_time=True))
                .values("u", "d", "n", "first"))
    add(verified, "u", {"n": "proactive_verified", "first": "proactive_first_time"})
    notes = (Note.objects.filter(active, at__gte=lo, at__lt=hi, kind__in=[Note.Kind.PROGRESS, Note.Kind.CONTACT])
             .values("unit").annotate(d=local_day("at"), n=Count("pk")).values("unit", "d", "n"))
    add(notes, "unit", {"n": "notes"})
    return Computed(dict(units), dict(mix), dict(areas), callers, answers)
