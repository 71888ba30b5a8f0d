"""Helpers for assessment tests: walk orders round the loop through the actions, so figures
are computed from exactly what the product writes."""

from __future__ import annotations

from hotline.orders import actions
from tests.conftest import make_order
from tests.orders.loop import photo

HANDLERS = {
    "street-a": "liqiang", "street-b": "zhaomin", "street-c": "hanxue", "town-d": "fengshan",
    "enforcement": "zhengzhi", "housing": "wujian", "environment": "huanbao", "hrss": "renshe",
    "market": "shijian", "transport": "jiaotong", "water": "shuiwu", "power": "dianli", "heating": "reli",
    "airport": "qianji", "caac": "minhang",
}
PROCESS = "当天到现场查看，联系相关责任方现场处置，并向来电人说明了处理情况。"
OUTCOME = "问题已处理完毕，来电人表示认可。"


def dispatched(district, unit: str = "street-a", **kw) -> int:
    """An order dispatched to `unit` (the dispatcher states a reason when the list says otherwise)."""
    p = district.people
    oid = make_order(district, **kw)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units[unit].pk, note="按属地和职责派单处理")
    return oid


def handled(district, oid: int, unit: str = "street-a", *, redo: int = 0, contact: bool = True) -> int:
    """Sign, (contact), reply (redone `redo` times) and approve."""
    p = district.people
    h = p[HANDLERS[unit]]
    actions.do_sign(oid, actor=h)
    if contact:
        actions.do_contact(oid, actor=h, text="已电话联系来电人，约定到场时间。")
    actions.do_attach(oid, actor=h, file=photo("site.jpg"))
    for _ in range(redo):
        actions.do_reply(oid, actor=h, responder=h.display_name, process=PROCESS, outcome=OUTCOME,
                         contacted_caller=contact)
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note="问题未解决也未说明原因，请补充。")
        actions.do_attach(oid, actor=h, file=photo("site2.jpg"))
    actions.do_reply(oid, actor=h, responder=h.display_name, process=PROCESS, outcome=OUTCOME, contacted_caller=contact)
    from hotline.orders.models import WorkOrder
    if WorkOrder.objects.get(pk=oid).state == "replied":
        actions.do_approve(oid, actor=p["zhoushen"])
    return oid


def closed(district, unit: str = "street-a", *, contacted: bool = True, resolved: bool = True,
           satisfaction: str = "satisfied", phone: str = "", valid: bool = True, redo: int = 0, **kw) -> int:
    """An order taken all the way round the loop to a callback with these answers."""
    oid = dispatched(district, unit, **kw)
    handled(district, oid, unit, redo=redo)
    p = district.people
    if valid:
        actions.do_callback(oid, actor=p["sunhui"], contacted=contacted, resolved=resolved,
                            satisfaction=satisfaction, phone=phone)
    else:
        actions.do_callback(oid, actor=p["sunhui"], valid=False, note="多次未接通")
    return oid


def hist(number: str, unit: str, day: str = "2023-07-03", *, resolved: bool = True, satisfaction: str = "满意",
         contacted: bool = True, **kw) -> dict[str, str]:
    """One history-import row (English column names) of a closed order of unit `unit` (a unit name)."""
    row = {
        "number": number, "received_at": f"{day} 09:00:00", "caller_name": "市民", "caller_phone": "13700000000",
        "title": "历史工单", "description": "历史工单诉求内容", "category": "道路塌陷破损", "unit": unit,
        "dispatched_at": f"{day} 09:30:00", "signed_at": f"{day} 10:00:00", "first_contact_at": f"{day} 11:00:00",
        "replied_at": f"{day} 15:00:00", "reply": "已处理", "redo_count": "0", "return_count": "0",
        "closed_at": f"{day} 17:00:00", "callback_valid": "是", "callback_phone": "",
        "contacted": "是" if contacted else "否", "resolved": "是" if resolved else "否", "satisfaction": satisfaction,
    }
    row.update({k: str(v) for k, v in kw.items()})
    return row
