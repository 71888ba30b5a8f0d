"""The demo district's orders: the nine scenarios, then everyday orders spread over the past
sixty days and over every state of the loop, all through the actions."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

from hotline.orders import actions as act
from hotline.orders.models import WorkOrder
from hotline.orders.states import State

from . import scenarios
from .district import District
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


def populate(district: District, *, orders: int = 400, seed: int = 2023) -> DemoSummary:
    """Play the nine scenarios, then add everyday orders until there are `orders` in all.

    Before: the district's directory exists. After: the orders are in every state of the loop,
    each one's trace written by the actions as the persona who would act."""
    demo = Demo(district, random.Random(seed))
    summary = DemoSummary(scenarios=scenarios.play_all(demo))
    made = sum(len(ids) for ids in summary.scenarios.values())
    everyday(demo, max(0, orders - made))
    summary.by_state = dict(WorkOrder.objects.values_list("state").annotate(n=Count("id")).order_by("state"))
    summary.orders = sum(summary.by_state.values())
    return summary


def everyday(demo: Demo, count: int) -> Counter:
    """`count` ordinary orders over the past sixty days, taken in as one batch (as an import
    would), then each taken to a state drawn from MIX."""
    rng = demo.rng
    states, weights = zip(*MIX, strict=True)
    plan: list[tuple[str, State]] = []
    intakes = []
    for i in range(count):
        leaf = rng.choice(EVERYDAY_LEAVES)
        area = rng.choice(sorted(demo.district.areas))
        # The first few cover every state once, so even a small demo shows the whole loop.
        target = states[i] if i < len(states) else rng.choices(states, weights=weights)[0]
        urgency = "utility" if leaf in {"停水", "停电", "室温不达标"} else rng.choice(["general"] * 9 + ["complex"])
        key = f"demo:{demo.now:%Y%m%d%H%M%S}:{i}"
        intakes.append(demo.intake(leaf=leaf, area=area, received_at=demo.days_ago(rng.uniform(0.05, 60)),
                                   channel=_channel(rng, target), urgency=urgency,
                                   key=key))
        plan.append((key, target))
    done: Counter = Counter()
    if not intakes:
        return done
    result = act.do_create_many(intakes, actor=demo.agent)
    by_key = {o.idempotency_key: o.pk for o in result.created}
    for key, target in plan:
        _take(demo, by_key[key], target)
        done[target] += 1
    return done


def _channel(rng: random.Random, target: State) -> str:
    channel = rng.choice(["phone"] * 6 + ["web", "app", "wechat"])
    # An order that goes back to the city came from it (上级转办): only those can.
    return "transfer" if target is State.RETURNED_TO_CITY else channel


def _take(demo: Demo, oid: int, target: State) -> None:
    rng = demo.rng
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
