"""Review by effect (审核看实效): what the procedures cost the units, measured from the trace, and
which redo reasons reviewers use. See docs/review.md.

`burden(first, last)`: for the orders whose first reply fell in the period (imported history left
out: its steps were reconstructed), per handling unit, per procedure profile and for the
district: characters written per reply, replies per order, evidence files and photos per order
(Evidence rows), steps the unit took per order (its events, looks at a phone number or a file
left out), review rounds and redo rounds per order, and two clocks measured from event times:
the minutes on working days from signing to the final reply and from the first contact to the
final reply (medians). These are elapsed working time while the order was with the unit, not
effort: nothing in the trace says how long a person spent writing. Nothing here is configured
minutes.

`reasons(first, last)`: the redo reasons given in the period, per unit and per reviewer, with
the effect questions answered "no" and the share of reviews that still carry the old
completeness codes (so a reviewer who rejects for form can be seen).

Reads only: aggregate queries over one period's rows.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.calendar import WorkCalendar, load_calendar
from hotline.directory.models import Unit, User
from hotline.directory.roles import UNIT_ROLES
from hotline.orders.actions import EFFECT_QUESTIONS, LEGACY_REDO_REASONS, REDO_REASON_LABELS
from hotline.orders.models import Event, Evidence, Reply, Review, WorkOrder
from hotline.orders.procedures import DEFAULT_PROFILE

from . import stats
from .rates import r4, ratio

# Looks, not work: a unit's person viewing a phone number or a file is in the trace, but is no step.
READ_ACTIONS = ("view_phone", "view_evidence")
MEASURES = ("orders", "replies", "replies_per_order", "chars_per_reply", "files_per_order", "photos_per_order",
            "unit_steps_per_order", "reviews_per_order", "redos_per_order", "sign_to_reply_minutes",
            "contact_to_reply_minutes")


def workday_minutes(start: dt.datetime, end: dt.datetime, cal: WorkCalendar) -> float:
    """Minutes of [start, end) that fall on working days (local time; weekends, holidays off,
    make-up working days on). 0 when end is not after start."""
    if end <= start:
        return 0.0
    tz = timezone.get_current_timezone()
    a, b = timezone.localtime(start, tz), timezone.localtime(end, tz)
    total = 0.0
    day = a.date()
    guard = 0
    while day <= b.date() and guard < 3700:
        if cal.is_workday(day):
            lo = max(a, dt.datetime.combine(day, dt.time.min, tzinfo=tz))
            hi = min(b, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
        guard += 1
    return total


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The measures of a group of orders (each row one order's trace figures)."""
    n = len(rows)
    replies = sum(r["replies"] for r in rows)
    return {
        "orders": n, "replies": replies,
        "replies_per_order": r4(ratio(replies, n)),
        "chars_per_reply": r4(ratio(sum(r["chars"] for r in rows), replies)),
        "files_per_order": r4(ratio(sum(r["files"] for r in rows), n)),
        "photos_per_order": r4(ratio(sum(r["photos"] for r in rows), n)),
        "unit_steps_per_order": r4(ratio(sum(r["steps"] for r in rows), n)),
        "reviews_per_order": r4(ratio(sum(r["reviews"] for r in rows), n)),
        "redos_per_order": r4(ratio(sum(r["redos"] for r in rows), n)),
        "sign_to_reply_minutes": _median([r["sign_minutes"] for r in rows if r["sign_minutes"] is not None]),
        "contact_to_reply_minutes": _median([r["contact_minutes"] for r in rows if r["contact_minutes"] is not None]),
    }


def burden(first: dt.date, last: dt.date) -> dict[str, Any]:
    """The burden the procedures put on units, measured from the trace (see the module's doc):
    {"district": {...}, "units": [...], "profiles": [...]} with MEASURES in each row."""
    lo, hi = stats.day_bounds(first, last)
    firsts = dict(Reply.objects.filter(round=1, replied_at__gte=lo, replied_at__lt=hi, order__imported=False)
                  .values_list("order_id", "unit_id"))
    if not firsts:
        return {"district": _summary([]), "units": [], "profiles": []}
    in_period = Reply.objects.filter(round=1, replied_at__gte=lo, replied_at__lt=hi,
                                     order__imported=False).values("order_id")
    orders = {o["id"]: o for o in WorkOrder.objects.filter(pk__in=in_period).values(
        "id", "category_id", "signed_at", "first_contact_at")}
    rep = {r["order_id"]: r for r in Reply.objects.filter(order_id__in=in_period).values("order_id").annotate(
        n=Count("pk"), chars=Sum(Length("process") + Length("outcome")), last=Max("replied_at"))}
    ev = {r["order_id"]: r for r in Evidence.objects.filter(order_id__in=in_period).values("order_id").annotate(
        files=Count("pk"), photos=Count("pk", filter=Q(kind=Evidence.Kind.PHOTO)))}
    steps = dict(Event.objects.filter(order_id__in=in_period, actor_role__in=[str(r) for r in UNIT_ROLES])
                 .exclude(action__in=READ_ACTIONS).values("order_id").annotate(n=Count("pk"))
                 .values_list("order_id", "n"))
    rv = {r["order_id"]: r for r in Review.objects.filter(order_id__in=in_period).values("order_id").annotate(
        reviews=Count("pk", filter=Q(sampled=True)), redos=Count("pk", filter=Q(decision=Review.Decision.REDO)))}
    cal = load_calendar()
    ref = snapshot.current()
    profile_names: dict[str, str] = {DEFAULT_PROFILE.code: DEFAULT_PROFILE.name}
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_profile: dict[str, list[dict[str, Any]]] = defaultdict(list)
    everything: list[dict[str, Any]] = []
    for order_id, unit_id in firsts.items():
        o = orders.get(order_id)
        if o is None:
            continue
        r = rep.get(order_id, {"n": 0, "chars": 0, "last": None})
        last_reply = r["last"]
        row = {
            "replies": r["n"], "chars": r["chars"] or 0,
            "files": ev.get(order_id, {}).get("files", 0), "photos": ev.get(order_id, {}).get("photos", 0),
            "steps": steps.get(order_id, 0),
            "reviews": rv.get(order_id, {}).get("reviews", 0), "redos": rv.get(order_id, {}).get("redos", 0),
            "sign_minutes": (workday_minutes(o["signed_at"], last_reply, cal)
                             if o["signed_at"] and last_reply else None),
            "contact_minutes": (workday_minutes(o["first_contact_at"], last_reply, cal)
                                if o["first_contact_at"] and last_reply and o["first_contact_at"] < last_reply
                                else None),
        }
        profile = (ref.profile(o["category_id"]) if o["category_id"] is not None else None) or DEFAULT_PROFILE
        profile_names.setdefault(profile.code, profile.name)
        by_unit[unit_id].append(row)
        by_profile[profile.code].append(row)
        everything.append(row)
    names = dict(Unit.objects.filter(pk__in=list(by_unit)).values_list("pk", "name"))
    units = sorted(({"unit_id": u, "unit": names.get(u, str(u)), **_summary(rows)} for u, rows in by_unit.items()),
                   key=lambda r: (-r["orders"], r["unit"]))
    profiles = sorted(({"profile": code, "profile_name": profile_names.get(code, code), **_summary(rows)}
                       for code, rows in by_profile.items()), key=lambda r: (-r["orders"], r["profile"]))
    return {"district": _summary(everything), "units": units, "profiles": profiles}


def reasons(first: dt.date, last: dt.date) -> dict[str, Any]:
    """The redo decisions of the period, per unit (the unit whose reply was sent back) and per
    reviewer: how many, the count of each reason code (old completeness codes included, so
    history still counts), the effect questions answered "no", and the redos that carry only old
    completeness codes ("form only"). Codes are in REDO_REASON_LABELS."""
    lo, hi = stats.day_bounds(first, last)
    rows = list(Review.objects.filter(decision=Review.Decision.REDO, at__gte=lo, at__lt=hi)
                .values_list("reviewer_id", "reply__unit_id", "reasons", "checks"))

    def blank() -> dict[str, Any]:
        return {"redos": 0, "codes": Counter(), "noes": Counter(), "form_only": 0}

    per_unit: dict[int, dict[str, Any]] = defaultdict(blank)
    per_reviewer: dict[int, dict[str, Any]] = defaultdict(blank)
    district = blank()
    for reviewer_id, unit_id, codes, checks in rows:
        codes = [str(c) for c in codes] if isinstance(codes, list) else []
        noes = [k for k, v in checks.items() if v is False and k in EFFECT_QUESTIONS] if isinstance(checks, dict) else []
        form_only = bool(codes) and all(c in LEGACY_REDO_REASONS for c in codes)
        for acc in (per_unit[unit_id], per_reviewer[reviewer_id], district):
            acc["redos"] += 1
            acc["codes"].update(codes)
            acc["noes"].update(noes)
            acc["form_only"] += form_only
    unit_names = dict(Unit.objects.filter(pk__in=list(per_unit)).values_list("pk", "name"))
    people = {u.pk: (u.display_name or u.username) for u in User.objects.filter(pk__in=list(per_reviewer))}

    def out(acc: dict[str, Any]) -> dict[str, Any]:
        return {"redos": acc["redos"], "reasons": dict(acc["codes"].most_common()),
                "reasons_text": _("、").join(f"{REDO_REASON_LABELS.get(c, c)} {n}" for c, n in acc["codes"].most_common()),
                "effect_noes": dict(acc["noes"].most_common()),
                "form_only": acc["form_only"], "form_only_share": r4(ratio(acc["form_only"], acc["redos"]))}

    return {
        "district": out(district),
        "units": sorted(({"unit_id": u, "unit": unit_names.get(u, str(u)), **out(a)} for u, a in per_unit.items()),
                        key=lambda r: (-r["redos"], r["unit"])),
        "reviewers": sorted(({"reviewer_id": p, "reviewer": people.get(p, str(p)), **out(a)}
                             for p, a in per_reviewer.items()), key=lambda r: (-r["redos"], r["reviewer"])),
    }
