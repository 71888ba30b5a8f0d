"""Scenarios 6–8 of SCENARIOS.md through the real triage path (triage_order, then people acting
through the actions)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hotline.errors import InvalidInput
from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State
from hotline.orders.trace import verify_all
from hotline.triage import pipeline
from hotline.triage.models import DecisionKind, ReviewOutcome, TriageDecision
from tests.conftest import make_order
from tests.orders.loop import photo

POTHOLE_REPORTS = [
    "东湖路与湖滨路交叉口路面塌陷，有一个大坑，很危险",
    "东湖路湖滨路交叉口路面塌陷了一个大坑，车辆经过很危险",
    "湖滨路和东湖路交叉口的路面塌陷，出现大坑，很危险",
    "东湖路与湖滨路交叉口昨晚暴雨后路面塌陷，有大坑，很危险",
]


def _walk_to_callback(district, oid: int) -> None:
    p = district.people
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人，约定到场查看。")
    actions.do_attach(oid, actor=p["liqiang"], file=photo("site.jpg"))
    actions.do_reply(oid, actor=p["liqiang"], responder="李强", process="到现场设置围挡，通知市政养护单位连夜修复路面。",
                     outcome="塌陷路面已于次日修复完毕。")
    if WorkOrder.objects.get(pk=oid).state == State.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])


def test_a_court_matter_is_flagged_confirmed_by_an_agent_and_counted(district, client):
    oid = make_order(district, category="私人合同纠纷", title="和邻居的合同纠纷",
                     description="我和邻居签了借款合同，他借钱不还，要求热线帮我判决，让他还钱。")
    pipeline.triage_order(oid)
    order = WorkOrder.objects.get(pk=oid)
    assert order.state == State.RECEIVED  # a flag never closes an order by itself
    flag = TriageDecision.objects.get(order_id=oid, kind=DecisionKind.FLAG, code="litigation")
    assert "合同纠纷" in flag.reason or "借款" in flag.reason

    pipeline.review_decision(flag.pk, actor=district.people["wangfang"], outcome=ReviewOutcome.ACCEPT,
                             advice="属民事合同纠纷，请向人民调解委员会申请调解或向人民法院起诉。")
    order.refresh_from_db()
    assert order.state == State.SCREENED_OUT and order.screen_reason == "litigation"
    event = Event.objects.get(order_id=oid, action="screen_out")
    assert event.actor == district.people["wangfang"]

    month = timezone.localdate().strftime("%Y-%m")
    row = next(r for r in pipeline.flag_statistics() if r["code"] == "litigation" and r["month"] == month)
    assert (row["flagged"], row["confirmed"], row["screened_out"]) == (1, 1, 1)
    client.force_login(district.people["liudu"])
    csv_body = client.get("/triage/stats/?format=csv").content.decode("utf-8-sig")
    assert f"{month},litigation" in csv_body


def test_thirty_calls_about_one_pothole_are_merged_and_every_caller_called_back(district):
    p = district.people
    ids = []
    for i in range(30):
        ids.append(make_order(district, title="东湖路路面塌陷", description=POTHOLE_REPORTS[i % len(POTHOLE_REPORTS)],
                              caller_phone=f"1391234{i:04d}", caller_name=f"居民{i}"))
        pipeline.triage_order(ids[-1])
    first = WorkOrder.objects.get(pk=ids[0])
    assert first.state == State.DISPATCHED and first.lead_unit == district.units["street-a"]
    dispatch = Event.objects.get(order=first, action="dispatch")
    assert dispatch.actor.username == "system" and dispatch.data["basis"] == "rule"
    assert "权责清单" in dispatch.data["note"]

    later = WorkOrder.objects.filter(pk__in=ids[1:])
    assert all(o.state == State.MERGED and o.main_order_id == first.pk for o in later)
    merges = Event.objects.filter(order_id__in=ids[1:], action="merge")
    assert merges.count() == 29
    assert all(e.actor.username == "system" and e.data.get("score", 0) >= 0.45 for e in merges)

    _walk_to_callback(district, first.pk)
    for oid in ids:
        actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")
    assert Event.objects.filter(order_id__in=ids, action="callback").count() == 30
    assert list(verify_all()) == []


def _machine_merged(district) -> tuple[int, TriageDecision]:
    """Two reports of one pothole from two callers: triage merges the second into the first."""
    first = make_order(district, description=POTHOLE_REPORTS[0], caller_phone="13911110000")
    pipeline.triage_order(first)
    second = make_order(district, description=POTHOLE_REPORTS[1], caller_phone="13911110001")
    pipeline.triage_order(second)
    return second, TriageDecision.objects.get(order_id=second, kind=DecisionKind.MERGED)


def test_a_wrong_automatic_merge_corrected_in_review_goes_back_to_the_board(district):
    second, merge = _machine_merged(district)
    assert WorkOrder.objects.get(pk=second).state == State.MERGED
    wangfang = district.people["wangfang"]

    with pytest.raises(InvalidInput):  # undoing a merge needs the reason
        pipeline.review_decision(merge.pk, actor=wangfang, outcome=ReviewOutcome.CORRECT, correction={"note": ""})
    merge.refresh_from_db()
    assert merge.review_outcome == "" and WorkOrder.objects.get(pk=second).state == State.MERGED

    pipeline.review_decision(merge.pk, actor=wangfang, outcome=ReviewOutcome.CORRECT,
                             correction={"note": "回访核实：来电人说的是湖滨路另一处塌陷"})
    order = WorkOrder.objects.get(pk=second)
    assert order.state == State.RECEIVED and order.main_order_id is None
    undo = Event.objects.filter(order_id=second).latest("seq")
    assert undo.action == "unmerge" and undo.actor == wangfang
    # back on the board with the routing suggestion triage skipped at the merge, for a person to act on
    route = TriageDecision.objects.get(order_id=second, kind=DecisionKind.ROUTED)
    assert route.payload["unit"] == district.units["street-a"].pk and route.payload["basis"] == "rule"
    merge.refresh_from_db()
    assert merge.review_outcome == ReviewOutcome.CORRECT and merge.correction["wrong"] == DecisionKind.MERGED
    assert list(verify_all()) == []


def test_correcting_a_machine_merge_leaves_a_persons_later_merge_alone(district):
    second, merge = _machine_merged(district)
    p = district.people
    actions.do_unmerge(second, actor=p["chengang"], note="不是同一处塌陷，应并入另一张工单")
    other = make_order(district, title="湖滨路北段塌陷", caller_phone="13911110002")
    actions.do_merge(second, actor=p["chengang"], main_order_id=other, note="同一处")
    pipeline.review_decision(merge.pk, actor=p["wangfang"], outcome=ReviewOutcome.CORRECT,
                             correction={"note": "机器合并错了，已由派单员改并"})
    order = WorkOrder.objects.get(pk=second)
    assert order.state == State.MERGED and order.main_order_id == other


def test_a_different_pothole_in_another_street_is_not_merged(district):
    a = make_order(district, description=POTHOLE_REPORTS[0], caller_phone="13911110000")
    pipeline.triage_order(a)
    b = make_order(district, area="west-city", description=POTHOLE_REPORTS[1], caller_phone="13911110001")
    pipeline.triage_order(b)
    assert WorkOrder.objects.get(pk=b).state == State.DISPATCHED
    assert not TriageDecision.objects.filter(order_id=b, kind__in=[DecisionKind.MERGED, DecisionKind.DUPLICATE]).exists()


def test_the_caller_who_calls_every_day_is_linked_to_earlier_calls_and_shows_in_review(district, client, settings):
    settings.HOTLINE_TRIAGE_FREQUENT_CALLS = 5
    p = district.people
    now = timezone.now()
    texts = ["邻居家的狗每天晚上叫个不停，影响休息", "邻居养的狗又叫了一整晚，吵得睡不着",
             "楼上邻居的狗天天叫，影响休息，请管一管"]
    ids = []
    for day in range(6):
        oid = make_order(district, category="饲养宠物扰民", title="邻居狗叫扰民", description=texts[day % 3],
                         caller_phone="13700001111", received_at=now - dt.timedelta(days=5 - day))
        pipeline.triage_order(oid)
        if day == 0:
            order = WorkOrder.objects.get(pk=oid)
            assert order.state == State.DISPATCHED
            actions.do_sign(oid, actor=p["liqiang"])
            actions.do_contact(oid, actor=p["liqiang"], text="已联系来电人及养犬邻居。")
            actions.do_attach(oid, actor=p["liqiang"], file=photo("site.jpg"))
            actions.do_reply(oid, actor=p["liqiang"], responder="李强", process="社区民警和网格员上门劝导养犬人。",
                             outcome="养犬人承诺夜间将狗关在室内。")
        ids.append(oid)

    last = ids[-1]
    repeats = TriageDecision.objects.filter(order_id=last, kind=DecisionKind.REPEAT)
    assert set(repeats.values_list("related_order_id", flat=True)) == set(ids[:-1])
    first_link = repeats.get(related_order_id=ids[0])
    assert "养犬人承诺" in first_link.reason  # the earlier outcome, visible to the agent
    # while the earlier orders are still open, the repeat is not dispatched a second time
    assert WorkOrder.objects.get(pk=last).state == State.RECEIVED
    assert TriageDecision.objects.filter(order_id=last, kind=DecisionKind.FLAG, code="frequent_caller").exists()
    note = Event.objects.get(order_id=last, action="annotate")  # in the order's own trace, for the agent
    assert note.actor.username == "system" and WorkOrder.objects.get(pk=ids[0]).number in note.data["text"]

    client.force_login(p["wangfang"])
    page = client.get(f"/triage/review/?date={timezone.localdate().isoformat()}").content.decode()
    assert WorkOrder.objects.get(pk=last).number in page
    assert "重复诉求" in page
