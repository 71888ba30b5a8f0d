"""The demo district's orders: the nine scenarios, then everyday orders spread over the past
twelve months and over every state of the loop, all through the actions, each step at its own
moment (see flow.py). Orders come more on working days and in the daytime, heating complaints
from mid-November to mid-March, noise and outages in summer; the orders still open are the
recent ones. At the end the assessment's daily aggregates are built for every past day, so the
monthly reports of the past months have their figures."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from hotline.assessment import stats
from hotline.orders.models import WorkOrder
from hotline.orders.states import State

from . import scenarios
from .district import District, build_deadline_rules
from .flow import Demo

# Everyday orders: the state each ends in, with its share.
MIX = [
    (State.RECEIVED, 0.08), (State.DISPATCHED, 0.10), (State.RETURNED, 0.05), (State.IN_PROGRESS, 0.15),
    (State.REPLIED, 0.08), (State.AWAITING_CALLBACK, 0.10), (State.CLOSED, 0.37), (State.SCREENED_OUT, 0.05),
    (State.RETURNED_TO_CITY, 0.02),
]
EVERYDAY_LEAVES = [
    "道路塌陷破损", "路灯不亮", "室温不达标", "物业服务纠纷", "社保政策咨询", "餐饮油烟噪声", "施工噪声", "露天焚烧",
    "预付卡退费", "公交线路调整", "就医咨询", "入学咨询", "饲养宠物扰民", "停水", "停电",
]
SCREEN_OUTS = [
    ("emergency", "来电人反映有人打架，属于紧急警情，已告知立即拨打110报警。"),
    ("no_content", "来电人未说明具体诉求即挂断，回拨无人接听。"),
    ("out_of_scope", "所反映事项属于外省市管辖，已告知当地12345热线电话。"),
    ("private_interest", "来电人要求政府为其个人经营亏损兜底，不属于政务服务事项，已做解释。"),
]
RETURN_REASONS = [
    ("not_remit", "该路段属于市管道路，不在本单位养护范围内，建议改派市政部门。"),
    ("needs_others", "涉及供水管线和道路两家单位，需联合处办，本单位无法单独完成。"),
]


@dataclass
class DemoSummary:
    """What the demo made: orders by state and the scenarios' order ids."""

    orders: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    scenarios: dict[int, list[int]] = field(default_factory=dict)


DAYS = 365
# Everyday leaves by season: (months, weight in them, weight otherwise). Heating complaints are
# handled separately (HEATING_FROM .. HEATING_TO).
SEASONS = {
    "施工噪声": ({5, 6, 7, 8, 9}, 2.0, 0.7), "餐饮油烟噪声": ({5, 6, 7, 8, 9}, 2.2, 0.6),
    "停水": ({6, 7, 8}, 2.0, 0.6), "停电": ({6, 7, 8}, 2.5, 0.6), "露天焚烧": ({3, 4, 10, 11}, 2.0, 0.3),
    "入学咨询": ({4, 5, 6, 7, 8}, 2.5, 0.3), "饲养宠物扰民": ({4, 5, 6, 7, 8, 9}, 1.5, 0.8),
}
HEATING = "室温不达标"
SAMPLED = {"社保政策咨询", "就医咨询", "入学咨询"}  # their procedure (政策咨询) samples the review
HEATING_FROM, HEATING_TO = (11, 15), (3, 15)  # the heating season of the north
# Calls by hour of day (0..23): few at night, most in the morning and the early afternoon.
HOURS = [1, 0.5, 0.3, 0.3, 0.3, 0.6, 1.5, 4, 8, 10, 10, 8, 5, 7, 9, 9, 8, 7, 5, 5, 4, 3, 2, 1.5]
# How long ago (days) an everyday order in each open state was received: the open are recent.
RECENT = {
    State.RECEIVED: (0.02, 1.5), State.DISPATCHED: (0.1, 3), State.RETURNED: (0.2, 4),
    State.IN_PROGRESS: (1, 12), State.REPLIED: (1, 6), State.AWAITING_CALLBACK: (1.5, 6),
}
CLOSED_FROM = 6  # a closed order was received at least this many days ago
OPEN_SHARE = 0.15  # of the everyday orders, this share is drawn from the whole MIX (open or not)


def populate(district: District, *, orders: int = 800, seed: int = 2023) -> DemoSummary:
    """Play the nine scenarios, then add everyday orders until there are `orders` in all, then
    build the assessment's aggregates of every past day.

    Before: the district's directory exists. After: the demo's deadline rules exist (unless some
    did already); the orders are in every state of the loop,
    each one's trace written by the actions as the persona who would act, at its own moment."""
    demo = Demo(district, random.Random(seed))
    build_deadline_rules(district, today=timezone.localdate(demo.now))
    with demo.playing() as trip:
        demo.trip = trip
        summary = DemoSummary(scenarios=scenarios.play_all(demo))
        made = sum(len(ids) for ids in summary.scenarios.values())
        made += len(fell_behind(demo))
        everyday(demo, max(0, orders - made))
    demo.trip = None
    stats.rebuild_all(until=timezone.localdate() - dt.timedelta(days=1))
    summary.by_state = dict(WorkOrder.objects.values_list("state").annotate(n=Count("id")).order_by("state"))
    summary.orders = sum(summary.by_state.values())
    return summary


def everyday(demo: Demo, count: int) -> Counter:
    """`count` ordinary orders: each one's state drawn from MIX, its day and hour from the
    year's rhythm (recent for those still open), taken by the agent at that moment and then
    taken along the loop, step by step."""
    rng = demo.rng
    states, weights = zip(*MIX, strict=True)
    # A year of orders is mostly settled: the open ones are about the last two weeks' share.
    settled = [(s, w) for s, w in MIX if s not in RECENT]
    s_states, s_weights = zip(*settled, strict=True)
    planned = []
    for i in range(count):
        # The first few cover every state once, so even a small demo shows the whole loop.
        if i < len(states):
            target = states[i]
        elif rng.random() < OPEN_SHARE:
            target = rng.choices(states, weights=weights)[0]
        else:
            target = rng.choices(s_states, weights=s_weights)[0]
        planned.append((received_moment(demo, target), target))
    done: Counter = Counter()
    for at, target in sorted(planned, key=lambda p: p[0]):
        leaf = season_leaf(rng, timezone.localtime(at).date())
        if target is State.REPLIED and leaf in SAMPLED:
            leaf = "道路塌陷破损"  # a sampled review could pass it at once: REPLIED needs one that waits
        area = rng.choice(sorted(demo.district.areas))
        urgency = "utility" if leaf in {"停水", "停电", HEATING} else rng.choice(["general"] * 9 + ["complex"])
        oid = demo.create(leaf=leaf, area=area, received_at=at, channel=_channel(rng, target), urgency=urgency)
        _take(demo, oid, target)
        done[target] += 1
    return done


BEHIND_UNIT, BEHIND_AREA, BEHIND_ORDERS = "town-d", "north-hill", 10


def fell_behind(demo: Demo) -> list[int]:
    """Last month 北山镇 was short of staff after a storm: its road repairs were all answered
    after the reply clock (the report's warning on late replies has something to say)."""
    first, _last = demo.previous_month()
    usual = demo.late.get(BEHIND_UNIT)
    demo.late[BEHIND_UNIT] = 1.0
    ids = []
    try:
        for i in range(BEHIND_ORDERS):
            day = first + dt.timedelta(days=i)
            oid = demo.create(leaf="道路塌陷破损", area=BEHIND_AREA, received_at=demo.on(day, hour=9 + i % 8))
            demo.walk(oid, State.CLOSED)
            ids.append(oid)
    finally:
        if usual is None:
            demo.late.pop(BEHIND_UNIT, None)
        else:
            demo.late[BEHIND_UNIT] = usual
    return ids


def received_moment(demo: Demo, target: State) -> dt.datetime:
    """When an everyday order that ends in `target` was received."""
    rng = demo.rng
    if target in RECENT:
        low, high = RECENT[target]
        return demo.days_ago(rng.uniform(low, high))
    while True:
        days = rng.uniform(CLOSED_FROM, DAYS)
        day = timezone.localtime(demo.now - dt.timedelta(days=days)).date()
        # Fewer calls at weekends; more in the heating season and in summer.
        weight = (0.55 if day.weekday() >= 5 else 1.0) * (1.3 if _heating(day) or day.month in {6, 7, 8} else 1.0)
        if rng.random() < weight / 1.3:
            break
    hour = rng.choices(range(24), weights=HOURS)[0]
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59))))
    return min(at, demo.now)


def season_leaf(rng: random.Random, day: dt.date) -> str:
    """An everyday category for a call on `day`, by the season."""
    weights = []
    for leaf in EVERYDAY_LEAVES:
        if leaf == HEATING:
            weights.append(4.0 if _heating(day) else 0.05)
            continue
        months, inside, outside = SEASONS.get(leaf, (set(), 1.0, 1.0))
        weights.append(inside if day.month in months else outside)
    return rng.choices(EVERYDAY_LEAVES, weights=weights)[0]


def _heating(day: dt.date) -> bool:
    return (day.month, day.day) >= HEATING_FROM or (day.month, day.day) <= HEATING_TO


def _channel(rng: random.Random, target: State) -> str:
    channel = rng.choice(["phone"] * 6 + ["web", "app", "wechat"])
    # An order that goes back to the city came from it (上级转办): only those can.
    return "transfer" if target is State.RETURNED_TO_CITY else channel


def _take(demo: Demo, oid: int, target: State) -> None:
    rng = demo.rng
    act = demo.act  # every action at its own moment (flow.DELAYS)
    if target is State.SCREENED_OUT:
        reason, advice = rng.choice(SCREEN_OUTS)
        act.do_screen_out(oid, actor=demo.agent, reason=reason, advice=advice)
        return
    if target is State.RETURNED_TO_CITY:
        act.do_return_to_city(oid, actor=demo.dispatcher, reason="所反映事项属于市级部门职责，不在本区管辖范围，退回市级平台改派。")
        return
    if target is State.RETURNED:
        demo.dispatch(oid)
        kind, reason = rng.choice(RETURN_REASONS)
        act.do_return(oid, actor=demo.handler_of(oid), kind=kind, reason=reason)
        return
    if target is State.RECEIVED:
        if rng.random() < 0.3:
            act.do_urge(oid, actor=demo.agent, text="来电人再次来电催促，请尽快派单。")
        return
    redo = rng.random() < 0.12
    demo.walk(oid, target, redo=redo)
    if target in {State.DISPATCHED, State.IN_PROGRESS} and rng.random() < 0.2:
        act.do_urge(oid, actor=demo.dispatcher, text="来电人来电催办，请抓紧办理。")
    if target is State.IN_PROGRESS:
        roll = rng.random()
        handler = demo.handler_of(oid)
        if roll < 0.15:
            act.do_request_extension(oid, actor=handler, days=5, reason="需协调多个部门现场会商，原定时限内无法办结。")
            act.do_approve_extension(oid, actor=demo.dispatcher, note="同意延期。")
        elif roll < 0.25:
            act.do_supervise(oid, actor=demo.supervisor, text="该诉求群众反映强烈，请主要负责同志督办落实。")
        elif roll < 0.6:
            act.do_contact(oid, actor=handler, text="电话联系来电人，告知正在协调处理。")
