"""Daily aggregates: computed from the orders' own tables, stored in UnitDayStats/MixDayStats
(and, for the gaming checks, CallerDayStats/OtherAnswerDay), and read back as sums for any period.

`compute(first, last)` derives the counters of a range of local days with a dozen grouped
queries; `rebuild(first, last)` stores them (a django-tasks task and `hotline assess --rebuild`
call it); `unit_totals()` and `mix_totals()` answer a period from the stored days plus a live
computation of the days not built yet (usually today), so pages never scan a year of events
and are never stale."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, F, Func, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate
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

from .models import (
    COUNTERS,
    AreaDayStats,
    CallerDayStats,
    MixDayStats,
    MixMonthStats,
    OtherAnswerDay,
    StatsBuild,
    UnitDayStats,
)

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


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in local time, as aware datetimes."""
    tz = _tz()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


class _SqliteLocalDate(Func):
    """date(at, '+480 minutes'): SQLite's own date arithmetic, for zones with a fixed offset
    (China has had no daylight saving since 1991). Django's TruncDate calls a Python function per
    row on SQLite, which dominated the cost of a rebuild."""

    output_field = models.DateField()

    def __init__(self, field: str, minutes: int) -> None:
        super().__init__(F(field))
        self.template = f"date(%(expressions)s, '{minutes:+d} minutes')"


class _Seconds(Func):
    """Seconds from b to a, computed natively (julianday on SQLite, EXTRACT(EPOCH) elsewhere)."""

    output_field = models.FloatField()

    def __init__(self, a: str, b: str) -> None:
        super().__init__(F(a), F(b))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # PostgreSQL
        extra.setdefault("template", "EXTRACT(EPOCH FROM (%(expressions)s))")
        extra.setdefault("arg_joiner", " - ")
        return super().as_sql(compiler, connection, **extra)


def _fixed_offset_minutes() -> int | None:
    tz = _tz()
    year = timezone.now().year
    offsets = {dt.datetime(year, m, 1, tzinfo=tz).utcoffset() for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


def _day(field: str) -> Func:
    minutes = _fixed_offset_minutes()
    if connection.vendor == "sqlite" and minutes is not None:
        return _SqliteLocalDate(field, minutes)
    return TruncDate(field, tzinfo=_tz())


def _seconds(a: str, b: str) -> _Seconds:
    return _Seconds(a, b)


def _secs(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    return int(round(float(value)))


def _count(**filters: Any) -> Count:
    return Count("pk", filter=Q(**filters)) if filters else Count("pk")


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


def counted_q() -> Q:
    """Callbacks that count for their unit (fair attribution): not on an order confirmed beyond
    its unit's authority, unless the unit is itself an authority that took it. The authority
    units are listed by id, which keeps the unit table out of the join."""
    authorities = list(Unit.objects.filter(kind=UnitKind.AUTHORITY).values_list("pk", flat=True))
    return Q(order__outside_authority=False) | Q(unit_id__in=authorities)


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
                bucket[dst] += _secs(value) if dst.endswith("_seconds") else int(value or 0)

    # New assignments of an order to a unit (the unit is in the event's data).
    assigned = (events.filter(action__in=ASSIGNING).annotate(u=Cast(KT("data__unit"), models.BigIntegerField()))
                .values("u").annotate(d=_day("at"), n=Count("pk"),
                                      first=Count("pk", filter=Q(from_state="received")),
                                      secs=Sum(_seconds("at", "order__received_at"), filter=Q(from_state="received")))
                .values("u", "d", "n", "first", "secs"))
    add(assigned, "u", {"n": "dispatched", "first": "first_dispatches", "secs": "dispatch_seconds"})
    signs = (events.filter(action="sign").values("actor_unit").annotate(d=_day("at"), n=Count("pk"),
                                                                           late=_count(data__late=True))
             .values("actor_unit", "d", "n", "late"))
    add(signs, "actor_unit", {"n": "signed", "late": "signed_late"})
    replies = (events.filter(action="reply").values("actor_unit")
               .annotate(d=_day("at"), n=Count("pk"), late=_count(data__late=True),
                         na=_count(data__result="no_authority"))
               .values("actor_unit", "d", "n", "late", "na"))
    add(replies, "actor_unit", {"n": "replies", "late": "replies_late", "na": "no_authority_replies"})
    first_replies = (Reply.objects.filter(active, replied_at__gte=lo, replied_at__lt=hi, round=1).values("unit")
                     .annotate(d=_day("replied_at"), n=Count("pk"), due=_count(order__contact_due__isnull=False),
                               ok=_count(order__contact_due__isnull=False,
                                         order__first_contact_at__lte=F("order__contact_due")))
                     .values("unit", "d", "n", "due", "ok"))
    add(first_replies, "unit", {"n": "first_replies", "due": "contact_due", "ok": "contact_on_time"})
    reviews = (Review.objects.filter(active, at__gte=lo, at__lt=hi).values("reply__unit")
               .annotate(d=_day("at"), n=Count("pk"), redo=_count(decision=Review.Decision.REDO))
               .values("reply__unit", "d", "n", "redo"))
    add(reviews, "reply__unit", {"n": "reviews", "redo": "redos"})

    returns = OrderReturn.objects.filter(active, at__gte=lo, at__lt=hi)
    add(returns.values("unit").annotate(d=_day("at"), n=Count("pk"), pp=_count(order__return_count__gte=2))
        .values("unit", "d", "n", "pp"), "unit", {"n": "returns", "pp": "pingpong_returns"})
    decided = (OrderReturn.objects.filter(active, decided_at__gte=lo, decided_at__lt=hi).values("unit")
               .annotate(d=_day("decided_at"), n=Count("pk"),
                         up=Count("pk", filter=Q(outcome__in=[OrderReturn.Outcome.ACCEPTED, OrderReturn.Outcome.ESCALATED])),
                         rej=_count(outcome=OrderReturn.Outcome.REJECTED), joint=_count(outcome=OrderReturn.Outcome.JOINT),
                         secs=Sum(_seconds("decided_at", "at")))
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
                units[(unit_id, timezone.localtime(at, _tz()).date())]["pingpong_orders"] += 1

    ext = (ExtensionRequest.objects.filter(active, requested_at__gte=lo, requested_at__lt=hi).values("unit")
           .annotate(d=_day("requested_at"), n=Count("pk"), ok=_count(status=ExtensionRequest.Status.APPROVED))
           .values("unit", "d", "n", "ok"))
    add(ext, "unit", {"n": "extensions", "ok": "extensions_approved"})

    # Callbacks. Fair attribution: an order confirmed beyond its unit's authority (a return of
    # that kind accepted, or escalated) counts only for an authority-kind unit that took it.
    counted = counted_q()
    good = Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
    cbs = Callback.objects.filter(active, at__gte=lo, at__lt=hi, reached=True, unit__isnull=False)
    cb_rows = (cbs.values("unit").annotate(
        d=_day("at"), n=Count("pk"), x_valid=Count("pk", filter=Q(valid=True) & counted),
        x_contacted=Count("pk", filter=Q(valid=True, contacted=True) & counted),
        x_resolved=Count("pk", filter=Q(valid=True, resolved=True) & counted),
        x_sat=Count("pk", filter=Q(valid=True, satisfaction=Satisfaction.SATISFIED) & counted),
        x_basic=Count("pk", filter=Q(valid=True, satisfaction=Satisfaction.BASIC) & counted),
        x_us=Count("pk", filter=Q(valid=True, resolved=False) & good & counted),
        x_other=Count("pk", filter=Q(valid=True) & ~Q(phone="") & ~Q(phone=F("order__caller_phone"))),
        x_exv=Count("pk", filter=Q(valid=True) & ~counted),
        x_exr=Count("pk", filter=Q(valid=True, resolved=True) & ~counted),
    ).values("unit", "d", "n", "x_valid", "x_contacted", "x_resolved", "x_sat", "x_basic", "x_us", "x_other",
             "x_exv", "x_exr"))
    add(cb_rows, "unit", {"n": "callbacks", "x_valid": "valid", "x_contacted": "contacted", "x_resolved": "resolved",
                          "x_sat": "satisfied", "x_basic": "basic", "x_us": "unresolved_satisfied",
                          "x_other": "other_phone", "x_exv": "excluded_valid", "x_exr": "excluded_resolved"})
    for row in (cbs.filter(Q(valid=True) & counted).values("unit", "order__category", "order__urgency")
                .annotate(d=_day("at"), x_valid=Count("pk"), x_resolved=_count(resolved=True),
                          x_sat=_count(satisfaction=Satisfaction.SATISFIED),
                          x_basic=_count(satisfaction=Satisfaction.BASIC))
                .values("unit", "d", "order__category", "order__urgency", "x_valid", "x_resolved", "x_sat", "x_basic")):
        cell = mix[(row["unit"], row["d"], row["order__category"], row["order__urgency"])]
        cell["valid"] += row["x_valid"]
        cell["resolved"] += row["x_resolved"]
        cell["satisfied"] += row["x_sat"]
        cell["basic"] += row["x_basic"]
    for row in (cbs.filter(Q(valid=True) & counted).values("order__area")
                .annotate(d=_day("at"), x_valid=Count("pk"), x_contacted=_count(contacted=True),
                          x_resolved=_count(resolved=True), x_sat=_count(satisfaction=Satisfaction.SATISFIED),
                          x_basic=_count(satisfaction=Satisfaction.BASIC))
                .values("order__area", "d", "x_valid", "x_contacted", "x_resolved", "x_sat", "x_basic")):
        areas[(row["order__area"], row["d"])] = {
            "valid": row["x_valid"], "contacted": row["x_contacted"], "resolved": row["x_resolved"],
            "satisfied": row["x_sat"], "basic": row["x_basic"]}
    # Gaming checks: the same few numbers rating simple requests, and answers from other numbers.
    callers: dict[CallerKey, list[int]] = {}
    for row in (cbs.filter(Q(valid=True, order__category_id__in=simple_categories()) & counted)
                .exclude(order__caller_phone="").values("unit", "order__caller_phone")
                .annotate(d=_day("at"), n=Count("pk"), x_sat=_count(satisfaction=Satisfaction.SATISFIED))
                .values_list("unit", "d", "order__caller_phone", "n", "x_sat")):
        callers[(row[0], row[1], row[2])] = [row[3], row[4]]
    answers: list[OtherAnswer] = list(
        cbs.filter(Q(valid=True) & counted).exclude(phone="").exclude(phone=F("order__caller_phone"))
        .annotate(d=_day("at")).values_list("pk", "unit", "d", "order__caller_phone", "phone", "satisfaction"))
    by_pk = Q(pk__in=events.values("order_id")) if short else Q()
    for row in (WorkOrder.objects.filter(by_pk, received_at__gte=lo, received_at__lt=hi).values("category", "urgency")
                .annotate(d=_day("received_at"), n=Count("pk")).values("category", "urgency", "d", "n")):
        mix[(None, row["d"], row["category"], row["urgency"])]["received"] += row["n"]

    closed = (WorkOrder.objects.filter(by_pk, closed_at__gte=lo, closed_at__lt=hi, state="closed",
                                       lead_unit__isnull=False)
              .values("lead_unit").annotate(d=_day("closed_at"), n=Count("pk"),
                                            secs=Sum(_seconds("closed_at", "received_at")))
              .values("lead_unit", "d", "n", "secs"))
    add(closed, "lead_unit", {"n": "closed", "secs": "close_seconds"})
    evidence = (Evidence.objects.filter(active, uploaded_at__gte=lo, uploaded_at__lt=hi).values("uploaded_by__unit")
                .annotate(d=_day("uploaded_at"), n=Count("pk")).values("uploaded_by__unit", "d", "n"))
    add(evidence, "uploaded_by__unit", {"n": "evidence"})
    notes = (Note.objects.filter(active, at__gte=lo, at__lt=hi, kind__in=[Note.Kind.PROGRESS, Note.Kind.CONTACT])
             .values("unit").annotate(d=_day("at"), n=Count("pk")).values("unit", "d", "n"))
    add(notes, "unit", {"n": "notes"})
    return Computed(dict(units), dict(mix), dict(areas), callers, answers)


def rebuild(first: dt.date, last: dt.date) -> dict[str, int]:
    """Recompute and store the aggregates of days first..last; move the build mark forward
    when the range reaches it. Today and later are never stored (they are still changing and
    are computed live). Returns how many rows were written."""
    last = min(last, timezone.localdate() - dt.timedelta(days=1))
    if first > last:
        return {"unit_rows": 0, "mix_rows": 0}
    units, mix, areas, callers, answers = compute(first, last)
    with transaction.atomic():
        UnitDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        MixDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        AreaDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        CallerDayStats.objects.filter(day__gte=first, day__lte=last).delete()
        OtherAnswerDay.objects.filter(day__gte=first, day__lte=last).delete()
        CallerDayStats.objects.bulk_create(
            [CallerDayStats(unit_id=u, day=d, phone=p, callbacks=n, satisfied=x) for (u, d, p), (n, x) in callers.items()],
            batch_size=2000)
        OtherAnswerDay.objects.bulk_create(
            [OtherAnswerDay(callback_id=pk, unit_id=u, day=d, caller_phone=cp or "", phone=p, satisfaction=sat)
             for pk, u, d, cp, p, sat in answers], batch_size=2000)
        AreaDayStats.objects.bulk_create(
            [AreaDayStats(area_id=a, day=d, **c) for (a, d), c in areas.items()], batch_size=2000)
        UnitDayStats.objects.bulk_create(
            [UnitDayStats(unit_id=u, day=d, **c) for (u, d), c in units.items()], batch_size=2000)
        MixDayStats.objects.bulk_create(
            [MixDayStats(unit_id=u, day=d, category_id=cat, urgency=urg, **c) for (u, d, cat, urg), c in mix.items()],
            batch_size=2000)
        _roll_up_months(first, last)
        mark, _ = StatsBuild.objects.select_for_update().get_or_create(key="default")
        if mark.built_through is None or (first <= mark.built_through + dt.timedelta(days=1) and last > mark.built_through):
            mark.built_through = last
        if mark.built_from is None or first < mark.built_from:
            mark.built_from = first
        mark.built_at = timezone.now()
        mark.save()
    return {"unit_rows": len(units), "mix_rows": len(mix)}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _roll_up_months(first: dt.date, last: dt.date) -> None:
    """Re-sum the case-mix month rows of every month that days first..last touch."""
    month = _month_start(first)
    while month <= last:
        nxt = _next_month(month)
        MixMonthStats.objects.filter(month=month).delete()
        rows = (MixDayStats.objects.filter(day__gte=month, day__lt=nxt).values("unit", "category", "urgency")
                .annotate(**{f"x_{c}": Sum(c) for c in MIX_COUNTERS}))
        MixMonthStats.objects.bulk_create(
            [MixMonthStats(unit_id=r["unit"], month=month, category_id=r["category"], urgency=r["urgency"],
                           **{c: r[f"x_{c}"] or 0 for c in MIX_COUNTERS}) for r in rows], batch_size=2000)
        month = nxt


def rebuild_all(*, until: dt.date | None = None) -> dict[str, int]:
    """Rebuild from the first order's day through `until` (default: yesterday)."""
    until = until or timezone.localdate() - dt.timedelta(days=1)
    first = WorkOrder.objects.order_by("received_at").values_list("received_at", flat=True).first()
    if first is None:
        return {"unit_rows": 0, "mix_rows": 0}
    start = timezone.localtime(first, _tz()).date()
    StatsBuild.objects.filter(key="default").delete()
    return rebuild(start, until)


def invalidate(first: dt.date) -> None:
    """Past days changed (a history import): from `first` on, compute live until rebuilt."""
    mark = StatsBuild.objects.filter(key="default").first()
    if mark is not None and mark.built_through is not None and mark.built_through >= first:
        if mark.built_from is not None and first <= mark.built_from:
            mark.built_through = None
        else:
            mark.built_through = first - dt.timedelta(days=1)
        mark.save()


def _split(first: dt.date, last: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """The part of first..last that is stored, and the parts to compute live. Past days found
    not built (the nightly rebuild did not run, a history import sent them back) make the
    worker catch up, so only the first pages after a lapse pay for computing them live."""
    mark = StatsBuild.objects.filter(key="default").first()
    stored, live = _stored_and_live(first, last, mark)
    through = mark.built_through if mark is not None else None
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    if any(lo <= yesterday and (through is None or hi > through) for lo, hi in live):
        request_catch_up(mark)
    return stored, live


def _stored_and_live(first: dt.date, last: dt.date, mark: StatsBuild | None,
                     ) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    if mark is None or mark.built_through is None or mark.built_from is None:
        return None, [(first, last)]
    lo, hi = max(first, mark.built_from), min(last, mark.built_through)
    if lo > hi:
        return None, [(first, last)]
    live = []
    if first < lo:
        live.append((first, lo - dt.timedelta(days=1)))
    if last > hi:
        live.append((hi + dt.timedelta(days=1), last))
    return (lo, hi), live


CATCH_UP_EVERY = dt.timedelta(minutes=30)


def request_catch_up(mark: StatsBuild | None) -> bool:
    """Queue the rebuild of the days behind (tasks.refresh_stats) unless one was queued in the
    last CATCH_UP_EVERY (`mark`: the build mark as just read, None when there is none yet).
    Returns whether it queued one."""
    from .tasks import refresh_stats

    now = timezone.now()
    if mark is None:
        mark, _created = StatsBuild.objects.get_or_create(key="default")
    if mark.catch_up_requested_at is not None and mark.catch_up_requested_at >= now - CATCH_UP_EVERY:
        return False  # a page view asked recently: read only
    due = Q(catch_up_requested_at__isnull=True) | Q(catch_up_requested_at__lt=now - CATCH_UP_EVERY)
    if not StatsBuild.objects.filter(due, key="default").update(catch_up_requested_at=now):
        return False
    transaction.on_commit(lambda: refresh_stats.enqueue(days=3))
    return True


def unit_totals(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Each unit's counters summed over days first..last."""
    stored, live = _split(first, last)
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    if stored is not None:
        qs = UnitDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        for row in qs.values("unit").annotate(**{c: Sum(c) for c in COUNTERS}):
            bucket = out[row["unit"]]
            for c in COUNTERS:
                bucket[c] += row[c] or 0
    for a, b in live:
        units = compute(a, b).units
        for (u, _d), counters in units.items():
            if unit_ids is not None and u not in unit_ids:
                continue
            for c, v in counters.items():
                out[u][c] += v
    return dict(out)


def unit_days(first: dt.date, last: dt.date, unit_id: int) -> dict[dt.date, dict[str, int]]:
    """One unit's counters day by day (for its charts)."""
    stored, live = _split(first, last)
    out: dict[dt.date, dict[str, int]] = {}
    if stored is not None:
        for row in UnitDayStats.objects.filter(unit_id=unit_id, day__gte=stored[0], day__lte=stored[1]).values():
            out[row["day"]] = {c: row[c] for c in COUNTERS}
    for a, b in live:
        units = compute(a, b).units
        for (u, d), counters in units.items():
            if u == unit_id:
                out[d] = counters
    return dict(sorted(out.items()))


def mix_totals(first: dt.date, last: dt.date, *, by_day: bool = False) -> dict[tuple, dict[str, int]]:
    """Case-mix cells summed over the period: key (unit, category, urgency), or with by_day
    (unit, day, category, urgency). Unit None rows carry intake volume by category."""
    stored, live = _split(first, last)
    keys = ["unit", "day", "category", "urgency"] if by_day else ["unit", "category", "urgency"]
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MIX_COUNTERS, 0))
    if stored is not None:
        # Whole months from the month table (not when asked day by day), the edges day by day.
        lo, hi = stored
        head = _month_start(lo) if lo.day == 1 else _next_month(lo)
        tail = head
        while not by_day and _next_month(tail) - dt.timedelta(days=1) <= hi:
            tail = _next_month(tail)
        parts = []
        if tail > head:
            parts.append(MixMonthStats.objects.filter(month__gte=head, month__lt=tail))
            parts.append(MixDayStats.objects.filter(Q(day__gte=lo, day__lt=head) | Q(day__gte=tail, day__lte=hi)))
        else:
            parts.append(MixDayStats.objects.filter(day__gte=lo, day__lte=hi))
        for qs in parts:
            for row in qs.values(*keys).annotate(**{f"x_{c}": Sum(c) for c in MIX_COUNTERS}):
                bucket = out[tuple(row[k] for k in keys)]
                for c in MIX_COUNTERS:
                    bucket[c] += row[f"x_{c}"] or 0
    for a, b in live:
        mix = compute(a, b).mix
        for (u, d, cat, urg), counters in mix.items():
            key = (u, d, cat, urg) if by_day else (u, cat, urg)
            for c, v in counters.items():
                out[key][c] += v
    return dict(out)


def area_totals(first: dt.date, last: dt.date) -> dict[int | None, dict[str, int]]:
    """Valid callbacks per area summed over the period."""
    stored, live = _split(first, last)
    out: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AREA_COUNTERS, 0))
    if stored is not None:
        for row in (AreaDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1]).values("area")
                    .annotate(**{c: Sum(c) for c in AREA_COUNTERS})):
            for c in AREA_COUNTERS:
                out[row["area"]][c] += row[c] or 0
    for a, b in live:
        for (area, _d), counters in compute(a, b).areas.items():
            for c, v in counters.items():
                out[area][c] += v
    return dict(out)


def caller_totals(first: dt.date, last: dt.date, *, at_least: int,
                  unit_ids: list[int] | None = None) -> dict[tuple[int, str], list[int]]:
    """Simple requests' valid callbacks per (unit, caller phone) over days first..last, as
    [callbacks, satisfied], for the pairs with at least `at_least` callbacks (pairs with fewer
    are left out, which keeps a year's one-off callers out of the answer)."""
    stored, live = _split(first, last)
    live_rows: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for a, b in live:
        for (u, _d, phone), (n, x) in compute(a, b).callers.items():
            if unit_ids is None or u in unit_ids:
                cell = live_rows[(u, phone)]
                cell[0] += n
                cell[1] += x
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    if stored is not None:
        # A pair can reach `at_least` only if its stored days hold at least that minus the most
        # any pair gained live.
        need = max(1, at_least - max((n for n, _x in live_rows.values()), default=0))
        qs = CallerDayStats.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        for u, phone, n, x in (qs.values("unit", "phone").annotate(n=Sum("callbacks"), x=Sum("satisfied"))
                               .filter(n__gte=need).values_list("unit", "phone", "n", "x")):
            out[(u, phone)] = [n, x]
    for key, (n, x) in live_rows.items():
        out[key][0] += n
        out[key][1] += x
    return {k: v for k, v in out.items() if v[0] >= at_least}


def other_answers(first: dt.date, last: dt.date, *, phones: Iterable[str] | None = None,
                  unit_ids: list[int] | None = None) -> list[OtherAnswer]:
    """The valid, counted callbacks of days first..last answered from a number other than the
    caller's (optionally only those answered from `phones`), ordered by callback id."""
    stored, live = _split(first, last)
    wanted = set(phones) if phones is not None else None
    out: list[OtherAnswer] = []
    if stored is not None:
        qs = OtherAnswerDay.objects.filter(day__gte=stored[0], day__lte=stored[1])
        if wanted is not None:
            qs = qs.filter(phone__in=wanted)
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        out.extend(qs.values_list("callback_id", "unit_id", "day", "caller_phone", "phone", "satisfaction"))
    for a, b in live:
        out.extend(r for r in compute(a, b).answers
                   if (wanted is None or r[4] in wanted) and (unit_ids is None or r[1] in unit_ids))
    return sorted(out)
