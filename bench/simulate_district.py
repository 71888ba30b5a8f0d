"""A district like the study's, simulated: 48,813 orders in the second half of 2023, redo around
10%, satisfaction above resolution in some honest units, and a few units gaming their
satisfaction. The history is loaded through the history import (the `hotline import --history`
path: assessment.history.import_rows → orders.actions.do_import_history), the indicators are
computed, and the script reports:

- whether volumes and redo come out as generated (exact counts, and the rates);
- whether the gaming checks find the gaming units and not the others: precision and recall of
  the "suspect" verdict over the half-year and month by month.

    .venv/bin/python bench/simulate_district.py                  # the study's 48,813 orders
    .venv/bin/python bench/simulate_district.py --orders 10000   # quicker

It runs in a throwaway SQLite database (or DATABASE_URL if set: a database you created for it).
Honest units: resolved callers say "satisfied" 88% of the time, unresolved ones 12% (basically
satisfied 9% and 18%); a few honest units have lenient callers (unresolved but satisfied 30%), so
their satisfaction runs well above resolution without any gaming; 15% of requests are simple
consultations; 1% of honest callbacks are answered by a family member's number; 40 citizens call
one unit again and again about the same matter (scenario 8).
Gaming units use two or three of: friends and staff calling in simple questions and rating them
"satisfied" (scenario 5); lobbying unresolved callers into "satisfied"; having callbacks answered
by a staff number.

Scoring (issue 14, point 5): each unit also has its own share of late replies (against the reply
clock the product sets for the order's category and urgency on its dispatch day), of upheld
returns, and its repeat callers; some honest units handle hard matters (categories where
resolution runs 30 points lower); some units report unreasonable requests honestly (the requests
really are unreasonable: upheld in the old system, column 不合理诉求) and some abusively (unresolved
orders reported to dodge them: rejected, so they stay in the rates). The script sets a scheme per
group (streets: resolution, satisfaction, on-time replies; departments add upheld returns and
redo; companies add repeat calls and rank on the difficulty-adjusted figures) and checks that the
history import and the assessment reproduce, unit by unit, the generated on-time rate, redo rate,
upheld-return rate, repeat-call rate and score (recomputed here from the generated counts with
the documented formula, docs/scoring.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST, LAST = dt.date(2023, 7, 1), dt.date(2023, 12, 31)
STUDY_ORDERS, STUDY_REDO_RATE = 48_813, 5_041 / 48_813
SIMPLE = ["社保政策咨询", "就医咨询", "入学咨询"]


def staff_phone(unit_pk: int, k: int) -> str:
    """The k-th staff number of a unit: 11 digits whatever the unit's id (on PostgreSQL ids do not
    restart between tests, and an id past 999 made a 12-digit number the import refused)."""
    return f"1590{unit_pk % 1000:03d}{k:04d}"

def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        tmp = Path(tempfile.mkdtemp(prefix="hotline-sim-"))
        os.environ["HOTLINE_DATA_DIR"] = str(tmp)
        os.environ["HOTLINE_SQLITE_PATH"] = str(tmp / "sim.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key for the run
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)


def directory(rng: random.Random, n_units: int):
    """The demo district plus more streets, departments and companies, each with a staff list."""
    from hotline.demo.district import build_district
    from hotline.directory.models import Area, StaffPhone, Unit, UnitKind

    district = build_district(password="sim-password")
    kinds = [UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.DEPARTMENT, UnitKind.COMPANY]
    i = 0
    while Unit.objects.filter(handles_orders=True).count() < n_units:
        kind = kinds[i % len(kinds)]
        unit = Unit.objects.create(name=f"模拟{kind.label}{i:02d}", code=f"sim-{i:02d}", kind=kind)
        if kind == UnitKind.STREET:
            Area.objects.create(name=f"模拟街道{i:02d}", code=f"sim-area-{i:02d}", unit=unit)
        i += 1
    for unit in Unit.objects.filter(handles_orders=True):
        for k in range(5):
            StaffPhone.objects.get_or_create(unit=unit, phone=staff_phone(unit.pk, k), defaults={"name": f"员工{k}"})
    units = list(Unit.objects.filter(handles_orders=True).exclude(kind=UnitKind.AUTHORITY).order_by("pk"))
    areas = list(Area.objects.values_list("name", flat=True))
    leaves = [name for name in district.categories if name not in SIMPLE]
    return units, areas, leaves


def phone(rng: random.Random) -> str:
    return f"13{rng.randrange(10**9):09d}"


def ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


REPEAT_DAYS = 30  # as indicators.REPEAT_DAYS: an order repeats a call of the same caller to the same unit


def reply_due_of(category: str, t_d: dt.datetime) -> dt.datetime:
    """The reply clock the product sets on a history order (its category's deadline rule on its
    dispatch day, else the general tier): the generated lateness is decided against it."""
    from hotline.directory import snapshot
    from hotline.directory.models import Category
    from hotline.orders import deadlines
    from hotline.orders.models import Urgency

    cache = reply_due_of.__dict__.setdefault("cache", {})
    key = (category, t_d.date())
    if key not in cache:
        cat = Category.objects.filter(name=category).order_by("-level").first()
        rule = deadlines.rule_in_force(cat.pk if cat else None, t_d.date())
        urgency = rule.default_urgency if rule is not None and rule.default_urgency else Urgency.GENERAL
        cache[key] = (urgency, rule)
    urgency, rule = cache[key]
    return deadlines.clocks_from(t_d, urgency, deadlines.calendar_of(snapshot.current()), rule).reply_due


def simulate(n_orders: int, rng: random.Random, units, areas, leaves, n_gaming: int, n_lenient: int,
             n_hard: int = 0, n_honest_reporters: int = 0, n_abusive_reporters: int = 0):
    """History rows (English column names) and the truth behind them."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    start = dt.datetime.combine(FIRST, dt.time(8), tzinfo=tz)
    span = ((LAST - FIRST).days - 14) * 86400  # every order is closed within the half-year
    shuffled = units[:]
    rng.shuffle(shuffled)
    gaming = {u.pk: rng.sample(["friends", "lobby", "other_phone"], rng.choice([2, 3])) for u in shuffled[:n_gaming]}
    lenient = {u.pk for u in shuffled[n_gaming:n_gaming + n_lenient]}
    rest = [u.pk for u in shuffled[n_gaming + n_lenient:]]
    hard_units = set(rest[:n_hard])
    honest_reporters = set(rest[n_hard:n_hard + n_honest_reporters])
    abusive_reporters = set(rest[n_hard + n_honest_reporters:n_hard + n_honest_reporters + n_abusive_reporters])
    p_res = {u.pk: rng.uniform(0.55, 0.9) for u in units}
    weights = {u.pk: rng.uniform(0.3, 3.0) for u in units}
    # Hard matters: a third of the categories, where resolution runs 30 points lower for everyone.
    hard_leaves = set(rng.sample(leaves, max(4, len(leaves) // 3)))
    easy_leaves = [c for c in leaves if c not in hard_leaves]
    cats = {u.pk: rng.sample(sorted(hard_leaves) if u.pk in hard_units else easy_leaves, 4) for u in units}
    for u in units:  # most units also see a hard category now and then
        if u.pk not in hard_units and rng.random() < 0.5:
            cats[u.pk][0] = rng.choice(sorted(hard_leaves))
    p_late = {u.pk: rng.choice([0.02, 0.05, 0.1, 0.2, 0.35]) for u in units}
    p_upheld = {u.pk: rng.choice([0.1, 0.4, 0.8]) for u in units}
    staff = {u.pk: [staff_phone(u.pk, k) for k in range(5)] for u in units}
    friends = {u: staff[u][:2] + [phone(rng), phone(rng)] for u in gaming}
    # Citizens who call one unit again and again about the same matter (scenario 8).
    frequent = {phone(rng): rng.choice(units).pk for _ in range(40)}
    # Friends' calls are part of the district's volume: about 4% of a gaming unit's orders.
    total_w = sum(weights.values())
    friend_orders = {u: max(12, int(0.04 * n_orders * weights[u] / total_w)) for u in gaming}
    regular = n_orders - sum(friend_orders.values())
    redo_p = STUDY_REDO_RATE / (1 + STUDY_REDO_RATE)  # geometric: E[redos] = p/(1-p) = the study's rate
    rows, truth = [], {"redos": 0, "orders_by_unit": Counter()}
    per_unit = {u.pk: Counter() for u in units}  # the generated counts behind each indicator
    unit_list = list(weights)
    wl = [weights[u] for u in unit_list]
    by_pk = {u.pk: u for u in units}
    plan = [(rng.choices(unit_list, wl)[0], None) for _ in range(regular)]
    plan += [(u, "friend") for u, n in friend_orders.items() for _ in range(n)]
    rng.shuffle(plan)
    for i, (u, kind) in enumerate(plan):
        t0 = start + dt.timedelta(seconds=rng.randrange(span))
        t_d = t0 + dt.timedelta(minutes=rng.randrange(10, 180))
        t_s = t_d + dt.timedelta(minutes=rng.randrange(20, 600))
        redo = 0
        while rng.random() < redo_p and redo < 4:
            redo += 1
        truth["redos"] += redo
        ret = (2 if rng.random() < 0.15 else 1) if rng.random() < 0.03 else 0
        caller = phone(rng)
        # 15% of honest requests are simple consultations too.
        category = rng.choice(SIMPLE) if rng.random() < 0.15 else rng.choice(cats[u])
        if kind == "friend":
            caller, category = rng.choice(friends[u]), rng.choice(SIMPLE)
        elif rng.random() < 0.02:
            caller = rng.choice(list(frequent))
            u = frequent[caller]
        # The final reply: late against the order's own reply clock with the unit's share.
        due = reply_due_of(category, t_d)
        if rng.random() < p_late[u]:
            t_r = max(due, t_s) + dt.timedelta(hours=rng.randrange(2, 120))
        else:
            room = max(0.0, (due - t_s).total_seconds() - 3600)
            t_r = t_s + dt.timedelta(seconds=int(rng.uniform(0.05, 1.0) * room))
        t_c = t_s + dt.timedelta(seconds=int((t_r - t_s).total_seconds() * rng.uniform(0.0, 0.5))) \
            if rng.random() < 0.93 else None
        t_close = t_r + dt.timedelta(hours=rng.randrange(4, 60))
        # Replies (rounds) are spread evenly between signing and the final reply (the history import).
        step = (t_r - t_s) / (redo + 1)
        late = sum(1 for i in range(redo + 1) if (t_r if i == redo else t_s + step * (i + 1)) > due)
        upheld = sum(1 for _ in range(ret) if rng.random() < p_upheld[u])
        p = p_res[u] - (0.3 if category in hard_leaves else 0.0)
        resolved = True if kind == "friend" else rng.random() < (0.3 if caller in frequent else p)
        tactics = gaming.get(u, [])
        valid = rng.random() < 0.88
        unreasonable = ""
        if u in honest_reporters and kind != "friend" and rng.random() < 0.05:
            unreasonable, resolved = "重复诉求", False  # really unreasonable: upheld by the old system
        elif u in abusive_reporters and not resolved and rng.random() < 0.5:
            truth.setdefault("abusive_reports", Counter())[u] += 1  # reported, rejected: stays in the rates
        if resolved:
            sat = rng.choices(["满意", "基本满意", "不满意"], [88, 9, 3])[0]
        else:
            p_sat = 0.30 if u in lenient else 0.12
            if "lobby" in tactics:
                p_sat = 0.65
            sat = rng.choices(["满意", "基本满意", "不满意"], [p_sat * 100, 18, (1 - p_sat - 0.18) * 100])[0]
            if caller in frequent:
                sat = rng.choices(["满意", "不满意"], [20, 80])[0]
        if kind == "friend":
            sat = "满意"
        cb_phone = ""
        if "other_phone" in tactics and rng.random() < 0.10:
            cb_phone = rng.choice(staff[u])
        elif rng.random() < 0.01:
            cb_phone = phone(rng)
        rows.append({
            "number": f"S{i:09d}", "received_at": ts(t0), "caller_name": "市民", "caller_phone": caller,
            "area": rng.choice(areas), "title": f"{category}诉求", "description": f"关于{category}的诉求（模拟）",
            "category": category, "unit": by_pk[u].name, "dispatched_at": ts(t_d), "signed_at": ts(t_s),
            "first_contact_at": ts(t_c) if t_c else "", "replied_at": ts(t_r), "reply": "已处理（模拟）",
            "redo_count": str(redo), "return_count": str(ret), "closed_at": ts(t_close),
            "callback_valid": "是" if valid else "否", "callback_phone": cb_phone, "contacted": "是" if t_c else "否",
            "resolved": "是" if resolved else "否", "satisfaction": sat if valid else "",
            "returns_upheld": str(upheld), "unreasonable": unreasonable,
        })
        truth["orders_by_unit"][u] += 1
        c = per_unit[u]
        c["replies"] += redo + 1
        c["late"] += late
        c["redos"] += redo
        c["returns"] += ret
        c["upheld"] += upheld
        c["unreasonable"] += bool(unreasonable)
        c["unreasonable_valid"] += bool(unreasonable) and valid
        if valid and not unreasonable:
            c["valid"] += 1
            c["contacted"] += bool(t_c)
            c["resolved"] += resolved
            c["satisfied"] += sat == "满意"
            c["basic"] += sat == "基本满意"
    # Repeat calls: the same caller to the same unit within REPEAT_DAYS before (by received time).
    last_call: dict[tuple[str, int], dt.datetime] = {}
    pk_of = {x.name: x.pk for x in units}
    for row in sorted(rows, key=lambda r: r["received_at"]):
        u = pk_of[row["unit"]]
        t = dt.datetime.fromisoformat(row["received_at"])  # China time, as generated
        key = (row["caller_phone"], u)
        per_unit[u]["calls"] += 1
        if key in last_call and last_call[key] < t and t - last_call[key] <= dt.timedelta(days=REPEAT_DAYS):
            per_unit[u]["repeats"] += 1
        if key not in last_call or last_call[key] < t:
            last_call[key] = t
    truth["per_unit"] = per_unit
    truth["hard"] = hard_units
    truth["honest_reporters"] = honest_reporters
    truth["abusive_reporters"] = abusive_reporters
    truth["gaming"] = gaming
    truth["lenient"] = lenient
    return rows, truth


# The schemes the simulated district sets (from its first month): what the score check scores by.
SCHEMES = {
    "street": (False, [("resolution", 40, 1.0), ("satisfaction", 30, 1.0), ("reply_on_time", 30, 0.95)]),
    "department": (False, [("resolution", 30, 1.0), ("satisfaction", 25, 1.0), ("reply_on_time", 20, 0.95),
                           ("returns_upheld", 15, 0.8), ("redo", 10, 0.05)]),
    "company": (True, [("resolution", 35, 1.0), ("satisfaction", 25, 1.0), ("reply_on_time", 20, 0.9),
                       ("repeat_calls", 20, 0.02)]),
}
HIGHER = {"response": True, "resolution": True, "satisfaction": True, "reply_on_time": True, "redo": False,
          "returns_upheld": True, "repeat_calls": False}


def set_schemes(first: dt.date) -> None:
    from hotline.assessment import scoring

    for group, (adjusted, lines) in SCHEMES.items():
        scoring.save_version(group=group, effective_from=first.replace(day=1), adjusted=adjusted,
                             lines=[{"indicator": i, "weight": w, "target": t} for i, w, t in lines],
                             note="模拟区的考核方案", today=first)


def truth_values(c: Counter) -> dict[str, float | None]:
    """Each indicator's generated value, from the generated counts."""
    def div(a: float, b: float) -> float | None:
        return a / b if b else None

    return {"response": div(c["contacted"], c["valid"]), "resolution": div(c["resolved"], c["valid"]),
            "satisfaction": div(c["satisfied"] + 0.9 * c["basic"], c["valid"]),
            "reply_on_time": div(c["replies"] - c["late"], c["replies"]), "redo": div(c["redos"], c["replies"]),
            "returns_upheld": div(c["upheld"], c["returns"]), "repeat_calls": div(c["repeats"], c["calls"])}


def truth_score(values: dict[str, float | None], lines) -> float | None:
    """docs/scoring.md, written out again: higher is better: w × min(v / t, 1); lower is better:
    w × min((1 − v) / (1 − t), 1); lines without a value left out and the rest rescaled to 100."""
    earned = counted = 0.0
    for ind, w, t in lines:
        v = values[ind]
        if v is None:
            continue
        earned += w * min(v / t if HIGHER[ind] else (1 - v) / (1 - t), 1.0)
        counted += w
    return 100 * earned / counted if counted else None


ROW_KEYS = {"reply_on_time": "reply_on_time", "redo": "redo_rate", "returns_upheld": "upheld_return_rate",
            "repeat_calls": "repeat_rate"}
DEFAULT = (False, [("response", 10, 1.0), ("resolution", 50, 1.0), ("satisfaction", 40, 1.0)])


def check_scoring(truth: dict, first: dt.date, last: dt.date) -> dict:
    """Measured (history import → aggregates → indicators → score) against generated, unit by unit:
    the four new indicators and the score (groups that rank on the raw figures; the adjusted
    figures are the assessment's own estimate, so there the check is that hard matters stop
    costing honest units their rank)."""
    from hotline.assessment import indicators, scoring
    from hotline.assessment.models import ScoringScheme

    rows = {r["unit_id"]: r for r in indicators.unit_table(first, last)}
    out: dict = {ind: {"units": 0, "exact": 0, "max_error": 0.0} for ind in [*ROW_KEYS, "score", "excluded"]}
    for u, c in truth["per_unit"].items():
        row = rows.get(u)
        if row is None or not c["replies"]:
            continue
        values = truth_values(c)
        for ind, key in ROW_KEYS.items():
            want, got = values[ind], row[key]
            entry = out[ind]
            entry["units"] += 1
            if want is None or got is None:
                entry["exact"] += want is None and got is None
                continue
            err = abs(want - got)
            entry["max_error"] = max(entry["max_error"], err)
            entry["exact"] += err < 6e-5  # the assessment rounds rates to four places
        adjusted, lines = SCHEMES.get(row["group"], DEFAULT)
        if not adjusted:
            want, got = truth_score(values, lines), row["score"]
            entry = out["score"]
            entry["units"] += 1
            if want is None or got is None:
                entry["exact"] += want is None and got is None
            else:
                err = abs(want - got)
                entry["max_error"] = max(entry["max_error"], err)
                entry["exact"] += err < 0.01
        entry = out["excluded"]
        entry["units"] += 1
        entry["exact"] += row["excluded_unreasonable"] == c["unreasonable_valid"]
    # Honest units with hard matters: their score on the raw figures and on the adjusted ones,
    # and their rank within the group each way.
    hard = []
    for u in truth["hard"]:
        row = rows.get(u)
        if row is None or not row["valid_callbacks"]:
            continue
        _adj, lines = SCHEMES.get(row["group"], DEFAULT)
        line_dicts = [{"indicator": i, "weight": w, "target": t} for i, w, t in lines]
        group_rows = [r for r in rows.values() if r["group"] == row["group"] and r["valid_callbacks"]]

        def rank_of(adjusted: bool, unit_id: int, group_rows=group_rows, line_dicts=line_dicts) -> int:
            scheme = ScoringScheme(lines=line_dicts, adjusted=adjusted)
            scores = {r["unit_id"]: scoring.score(r, scheme)[0] or 0 for r in group_rows}
            return 1 + sum(1 for v in scores.values() if v > scores[unit_id])

        hard.append({"unit": row["unit"], "group": row["group"], "resolution": row["resolution_rate"],
                     "adjusted_resolution": row["adjusted_resolution"], "rank_raw": rank_of(False, u),
                     "rank_adjusted": rank_of(True, u), "of": len(group_rows)})
    out["hard_units"] = hard
    out["reporters"] = {
        "honest": [{"unit": rows[u]["unit"], "upheld_orders": truth["per_unit"][u]["unreasonable"],
                    "excluded_callbacks": rows[u]["excluded_unreasonable"]} for u in truth["honest_reporters"] if u in rows],
        "abusive": [{"unit": rows[u]["unit"], "rejected_reports": truth.get("abusive_reports", Counter())[u],
                     "excluded_callbacks": rows[u]["excluded_unreasonable"], "score": rows[u]["score"]}
                    for u in truth["abusive_reporters"] if u in rows],
    }
    return out


def print_scoring(result: dict) -> None:
    print("\nscoring (generated vs measured, unit by unit):")
    for ind in [*ROW_KEYS, "score", "excluded"]:
        e = result[ind]
        label = {"excluded": "unreasonable callbacks excluded"}.get(ind, ind)
        print(f"  {label}: {e['exact']} of {e['units']} units as generated (largest difference {e['max_error']:.5f})")
    for h in result["hard_units"]:
        print(f"  hard matters, honest: {h['unit']} ({h['group']}) resolution {100 * (h['resolution'] or 0):.1f}%, "
              f"adjusted {100 * (h['adjusted_resolution'] or 0):.1f}%: rank {h['rank_raw']} of {h['of']} on the raw "
              f"figures, {h['rank_adjusted']} on the adjusted ones")
    for r in result["reporters"]["honest"]:
        print(f"  honest reporter: {r['unit']}: {r['upheld_orders']} upheld unreasonable orders, "
              f"{r['excluded_callbacks']} callbacks out of its rates")
    for r in result["reporters"]["abusive"]:
        print(f"  abusive reporter: {r['unit']}: {r['rejected_reports']} reports rejected (kept in its rates), "
              f"{r['excluded_callbacks']} callbacks excluded, score {r['score']}")


def score(flagged: set[int], gaming: set[int]) -> tuple[float, float]:
    tp = len(flagged & gaming)
    precision = tp / len(flagged) if flagged else 1.0
    recall = tp / len(gaming) if gaming else 1.0
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=STUDY_ORDERS)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--gaming", type=int, default=5)
    parser.add_argument("--lenient", type=int, default=5)
    parser.add_argument("--hard", type=int, default=4, help="honest units that handle hard matters")
    parser.add_argument("--honest-reporters", type=int, default=3)
    parser.add_argument("--abusive-reporters", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    setup()
    from hotline.assessment import gaming, indicators, stats
    from hotline.assessment.history import import_rows
    from hotline.orders.models import WorkOrder

    rng = random.Random(args.seed)
    units, areas, leaves = directory(rng, args.units)
    rows, truth = simulate(args.orders, rng, units, areas, leaves, args.gaming, args.lenient, args.hard,
                           args.honest_reporters, args.abusive_reporters)
    set_schemes(FIRST)
    log(f"simulated {len(rows)} orders for {len(units)} units ({len(truth['gaming'])} gaming)")
    t = time.perf_counter()
    summary = import_rows(rows)
    t_import = time.perf_counter() - t
    log(f"imported {summary.created} orders in {t_import:.0f} s ({summary.created / t_import:.0f}/s), "
        f"{len(summary.errors)} errors")
    t = time.perf_counter()
    stats.rebuild(FIRST, LAST)
    t_rebuild = time.perf_counter() - t

    t = time.perf_counter()
    ov = indicators.overview(FIRST, LAST)
    t_overview = time.perf_counter() - t
    d = ov["district"]
    closed = Counter()
    for r in ov["units"]:
        closed[r["unit_id"]] = r["closed"]
    volumes_ok = all(closed[u] == n for u, n in truth["orders_by_unit"].items())
    redo_per_order = d["redos"] / args.orders
    print(f"orders: generated {args.orders}, received {d['received']}, closed per unit as generated: {volumes_ok}")
    print(f"redo: generated {truth['redos']} redos, measured {d['redos']}; "
          f"{100 * redo_per_order:.2f}% of orders (study 10.33%), {100 * d['redo_rate']:.2f}% of replies")
    print(f"district: response {100 * d['response_rate']:.1f}%, resolution {100 * d['resolution_rate']:.1f}%, "
          f"satisfaction {100 * d['satisfaction_rate']:.1f}%")

    gaming_units = set(truth["gaming"])
    fired = gaming.check(FIRST, LAST)
    flagged = {u for u, checks in fired.items() if gaming.suspect(checks)}
    precision, recall = score(flagged, gaming_units)
    names = {u.pk: u.name for u in units}
    rows_by_unit = {r["unit_id"]: r for r in ov["units"]}
    print("\nunits where a check fired (half-year):")
    for u in sorted(fired, key=lambda u: (u not in gaming_units, names.get(u, ""))):
        r = rows_by_unit.get(u, {})
        truth_label = ("gaming:" + "+".join(truth["gaming"][u])) if u in gaming_units else (
            "honest, lenient callers" if u in truth["lenient"] else "honest")
        print(f"  {names.get(u, u)} [{truth_label}] res {100 * (r.get('resolution_rate') or 0):.0f}% "
              f"sat {100 * (r.get('satisfaction_rate') or 0):.0f}% → "
              + ", ".join(c["check"] for c in fired[u]) + (" ⇒ SUSPECT" if u in flagged else ""))
    sat_gaps = sorted(((r["satisfaction_rate"] or 0) - (r["resolution_rate"] or 0), r["unit"]) for r in ov["units"]
                      if r["valid_callbacks"] and r["unit_id"] not in gaming_units)
    print(f"\nhalf-year: flagged {len(flagged)}, gaming {len(gaming_units)}: precision {precision:.2f}, "
          f"recall {recall:.2f}")
    print(f"honest units with satisfaction above resolution: {sum(1 for g, _ in sat_gaps if g > 0)} of "
          f"{len(sat_gaps)} (largest gap {100 * sat_gaps[-1][0]:.1f} points, {sat_gaps[-1][1]})")
    monthly = []
    month = FIRST
    while month <= LAST:
        nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        f = gaming.check(month, nxt - dt.timedelta(days=1))
        m_flagged = {u for u, c in f.items() if gaming.suspect(c)}
        p, r = score(m_flagged, gaming_units)
        monthly.append({"month": f"{month:%Y-%m}", "flagged": len(m_flagged), "precision": p, "recall": r})
        print(f"  {month:%Y-%m}: flagged {len(m_flagged)}, precision {p:.2f}, recall {r:.2f}")
        month = nxt
    scoring_result = check_scoring(truth, FIRST, LAST)
    print_scoring(scoring_result)
    print(json.dumps({
        "orders": args.orders, "received": d["received"], "volumes_as_generated": volumes_ok,
        "redos_generated": truth["redos"], "redos_measured": d["redos"], "redo_per_order": round(redo_per_order, 4),
        "redo_rate_per_reply": d["redo_rate"], "precision": precision, "recall": recall, "monthly": monthly,
        "import_s": round(t_import, 1), "rebuild_s": round(t_rebuild, 1), "overview_s": round(t_overview, 2),
        "orders_in_db": WorkOrder.objects.count(), "import_errors": len(summary.errors),
        "scoring": {k: v for k, v in scoring_result.items() if k not in ("hard_units", "reporters")},
        "hard_units": scoring_result["hard_units"],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
