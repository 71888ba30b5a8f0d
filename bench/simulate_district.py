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
            StaffPhone.objects.get_or_create(unit=unit, phone=f"1590{unit.pk:03d}{k:04d}", defaults={"name": f"员工{k}"})
    units = list(Unit.objects.filter(handles_orders=True).exclude(kind=UnitKind.AUTHORITY).order_by("pk"))
    areas = list(Area.objects.values_list("name", flat=True))
    leaves = [name for name in district.categories if name not in SIMPLE]
    return units, areas, leaves


def phone(rng: random.Random) -> str:
    return f"13{rng.randrange(10**9):09d}"


def ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def simulate(n_orders: int, rng: random.Random, units, areas, leaves, n_gaming: int, n_lenient: int):
    """History rows (English column names) and the truth behind them."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    start = dt.datetime.combine(FIRST, dt.time(8), tzinfo=tz)
    span = ((LAST - FIRST).days - 14) * 86400  # every order is closed within the half-year
    shuffled = units[:]
    rng.shuffle(shuffled)
    gaming = {u.pk: rng.sample(["friends", "lobby", "other_phone"], rng.choice([2, 3])) for u in shuffled[:n_gaming]}
    lenient = {u.pk for u in shuffled[n_gaming:n_gaming + n_lenient]}
    p_res = {u.pk: rng.uniform(0.55, 0.9) for u in units}
    weights = {u.pk: rng.uniform(0.3, 3.0) for u in units}
    cats = {u.pk: rng.sample(leaves, 4) for u in units}
    staff = {u.pk: [f"1590{u.pk:03d}{k:04d}" for k in range(5)] for u in units}
    friends = {u: staff[u][:2] + [phone(rng), phone(rng)] for u in gaming}
    # Citizens who call one unit again and again about the same matter (scenario 8).
    frequent = {phone(rng): rng.choice(units).pk for _ in range(40)}
    # Friends' calls are part of the district's volume: about 4% of a gaming unit's orders.
    total_w = sum(weights.values())
    friend_orders = {u: max(12, int(0.04 * n_orders * weights[u] / total_w)) for u in gaming}
    regular = n_orders - sum(friend_orders.values())
    redo_p = STUDY_REDO_RATE / (1 + STUDY_REDO_RATE)  # geometric: E[redos] = p/(1-p) = the study's rate
    rows, truth = [], {"redos": 0, "orders_by_unit": Counter()}
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
        t_c = t_s + dt.timedelta(minutes=rng.randrange(30, 1800)) if rng.random() < 0.93 else None
        t_r = t_s + dt.timedelta(hours=rng.randrange(12, 240))
        t_close = t_r + dt.timedelta(hours=rng.randrange(4, 60))
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
        resolved = True if kind == "friend" else rng.random() < (0.3 if caller in frequent else p_res[u])
        tactics = gaming.get(u, [])
        valid = rng.random() < 0.88
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
        })
        truth["orders_by_unit"][u] += 1
    truth["gaming"] = gaming
    truth["lenient"] = lenient
    return rows, truth


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
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    setup()
    from hotline.assessment import gaming, indicators, stats
    from hotline.assessment.history import import_rows
    from hotline.orders.models import WorkOrder

    rng = random.Random(args.seed)
    units, areas, leaves = directory(rng, args.units)
    rows, truth = simulate(args.orders, rng, units, areas, leaves, args.gaming, args.lenient)
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
    print(json.dumps({
        "orders": args.orders, "received": d["received"], "volumes_as_generated": volumes_ok,
        "redos_generated": truth["redos"], "redos_measured": d["redos"], "redo_per_order": round(redo_per_order, 4),
        "redo_rate_per_reply": d["redo_rate"], "precision": precision, "recall": recall, "monthly": monthly,
        "import_s": round(t_import, 1), "rebuild_s": round(t_rebuild, 1), "overview_s": round(t_overview, 2),
        "orders_in_db": WorkOrder.objects.count(), "import_errors": len(summary.errors),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
