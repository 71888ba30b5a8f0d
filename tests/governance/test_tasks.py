"""Governance tasks (专项治理): the state and rights tables, a task's life through its actions with
its hash-chained trace, refused input that writes nothing, the pages, and the effect measurement on
generated data whose truth is known (a real fall is credited, a fall everywhere is not)."""

from __future__ import annotations

import datetime as dt
import io
import random
from itertools import product

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotline.errors import InvalidInput, InvalidTransition, NotAllowed
from hotline.governance import effect, task_actions
from hotline.governance.models import GovernanceTask, TaskEvent, TaskMeasure, TaskOrder, TaskProgress
from hotline.governance.taskflow import (
    FINAL_TASK_STATES,
    TASK_RIGHTS,
    TASK_TRANSITIONS,
    TaskAction,
    TaskState,
    decide_task,
    next_task_state,
)
from hotline.orders import clock
from hotline.orders.actions import HistoryRecord, do_import_history
from tests.orders.files import png

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)  # a Monday


# ---- the tables (pure) ------------------------------------------------------------------------------


def test_final_states_allow_nothing_but_a_note():
    for (state, action), _to in TASK_TRANSITIONS.items():
        if state in FINAL_TASK_STATES:
            assert action is TaskAction.ANNOTATE


def test_every_state_is_reachable_from_a_draft():
    seen, todo = {TaskState.DRAFT}, [TaskState.DRAFT]
    while todo:
        s = todo.pop()
        for (frm, _a), to in TASK_TRANSITIONS.items():
            if frm is s and to not in seen:
                seen.add(to)
                todo.append(to)
    assert seen == set(TaskState)


@pytest.mark.parametrize("role,action", list(product(["supervisor", "handler", "unit_head", "dispatcher", "agent",
                                                       "callback"], list(TaskAction))))
def test_rights_by_role_and_scope(role, action):
    own = decide_task(role=role, action=action, actor_unit_id=7, lead_unit_id=7, owner_unit_id=7,
                      involved_unit_ids=frozenset({7}))
    other = decide_task(role=role, action=action, actor_unit_id=8, lead_unit_id=7, owner_unit_id=7,
                        involved_unit_ids=frozenset({7}))
    if role == "supervisor":
        assert own.allowed and other.allowed
    elif role in {"handler", "unit_head"}:
        expected = action in {TaskAction.REPORT, TaskAction.COMPLETE_MEASURE, TaskAction.ANNOTATE} or (
            role == "unit_head" and action is TaskAction.SUBMIT)
        assert own.allowed is expected
        assert not other.allowed and (other.reason == ("scope" if expected else "role"))
    else:
        assert not own.allowed and own.reason == "role"
    assert set(TASK_RIGHTS["handler"]) <= set(TASK_RIGHTS["unit_head"])


# ---- the life of a task -------------------------------------------------------------------------


@pytest.fixture
def task(district) -> GovernanceTask:
    return task_actions.create_task(
        actor=district.people["liudu"], title="东湖街道餐饮油烟扰民专项治理", problem="东湖街道多家饭店油烟扰民，反复投诉。",
        lead_unit_id=district.units["street-a"].pk, co_unit_ids=[district.units["environment"].pk],
        category_ids=[district.categories["餐饮油烟噪声"].pk], area_ids=[district.areas["east-lake"].pk],
        target_reduction=50, target_weeks=12)


def test_a_task_goes_through_its_life_with_an_unbroken_trace(district, task):
    p = district.people
    assert task.state == "draft" and task.number.startswith("ZX")
    m1 = task_actions.add_measure(task.pk, actor=p["liudu"], text="为沿街饭店加装油烟净化设备", owner_id=district.units["street-a"].pk,
                                  due_on=clock.localdate() + dt.timedelta(days=30))
    m2 = task_actions.add_measure(task.pk, actor=p["liudu"], text="对油烟排放开展执法检测", owner_id=district.units["environment"].pk,
                                  due_on=(clock.localdate() + dt.timedelta(days=40)).isoformat())
    task_actions.start(task.pk, actor=p["liudu"])
    task.refresh_from_db()
    assert task.state == "active" and task.started_at and task.due_on >= clock.localdate() + dt.timedelta(weeks=12)
    # each unit reports on its own measure only
    with pytest.raises(NotAllowed):
        task_actions.report(task.pk, actor=p["liqiang"], measure_id=m2.pk, text="已经检测完毕")
    task_actions.report(task.pk, actor=p["liqiang"], measure_id=m1.pk, text="已为12家饭店加装净化器",
                        file=SimpleUploadedFile("现场.png", png()), file_name="现场.png")
    task_actions.complete_measure(task.pk, actor=p["liqiang"], measure_id=m1.pk)
    with pytest.raises(InvalidInput):  # a measure is done only after its progress is reported
        task_actions.complete_measure(task.pk, actor=p["huanbao"], measure_id=m2.pk)
    with pytest.raises(InvalidInput):  # the task is submitted only once every measure is done
        task_actions.submit(task.pk, actor=p["lizhang"], note="第一条措施完成")
    task_actions.report(task.pk, actor=p["huanbao"], measure_id=m2.pk, text="检测12家，均已达标排放")
    task_actions.complete_measure(task.pk, actor=p["huanbao"], measure_id=m2.pk)
    task_actions.submit(task.pk, actor=p["lizhang"], note="两项措施均已完成")  # the lead unit's head
    task_actions.resume(task.pk, actor=p["liudu"], note="再观察一个月的来电")
    task_actions.submit(task.pk, actor=p["liudu"], note="观察期满，申请结项")
    task_actions.assess(task.pk, actor=p["liudu"], verdict="met", note="来电明显下降")
    task.refresh_from_db()
    assert task.state == "closed" and task.verdict == "met" and task.closed_at
    actions = list(task.events.values_list("action", flat=True))
    assert actions == ["create", "add_measure", "add_measure", "start", "report", "complete_measure", "report",
                       "complete_measure", "submit", "resume", "submit", "assess"]
    assert task.events.get(action="assess").data["effect"]["method"] == "areas"
    assert TaskProgress.objects.get(measure=m1).file_sha256
    assert task_actions.verify(task)
    TaskEvent.objects.filter(task=task, action="resume").update(data={"note": "改过的理由"})
    assert not task_actions.verify(task)
    with pytest.raises(InvalidTransition):
        task_actions.add_measure(task.pk, actor=p["liudu"], text="结项后再加措施", owner_id=district.units["street-a"].pk,
                                 due_on=clock.localdate())


@pytest.mark.parametrize("kw,field", [
    ({"title": "短"}, "title"),
    ({"lead_unit_id": "1; DROP TABLE"}, "lead_unit"),
    ({"category_ids": []}, "categories"),
    ({"category_ids": [987654]}, "categories"),
    ({"area_ids": ["x"]}, "areas"),
    ({"target_reduction": 0}, "target_reduction"),
    ({"target_reduction": "50.5"}, "target_reduction"),
    ({"target_weeks": 500}, "target_weeks"),
    ({"comparison": "anything"}, "comparison"),
    ({"hotspot_roots": [424242]}, "hotspots"),
])
def test_refused_input_writes_nothing(district, kw, field):
    args = {"title": "西城街道路灯专项治理", "problem": "西城街道路灯长期不亮，反复来电。",
            "lead_unit_id": district.units["street-b"].pk, "category_ids": [district.categories["路灯不亮"].pk],
            "area_ids": [district.areas["west-city"].pk], **kw}
    with pytest.raises(InvalidInput) as e:
        task_actions.create_task(actor=district.people["liudu"], **args)
    assert field in e.value.details
    assert GovernanceTask.objects.count() == 0 and TaskEvent.objects.count() == 0


def test_only_the_centre_plans_and_a_measure_belongs_to_a_task_unit(district, task):
    with pytest.raises(NotAllowed):
        task_actions.create_task(actor=district.people["liqiang"], title="街道自己立项", problem="街道自己立的治理任务。",
                                 lead_unit_id=district.units["street-a"].pk,
                                 category_ids=[district.categories["路灯不亮"].pk])
    with pytest.raises(InvalidInput) as e:
        task_actions.add_measure(task.pk, actor=district.people["liudu"], text="请供电公司处理",
                                 owner_id=district.units["power"].pk, due_on=clock.localdate())
    assert "owner" in e.value.details
    with pytest.raises(InvalidInput):
        task_actions.add_measure(task.pk, actor=district.people["liudu"], text="过去的期限",
                                 owner_id=district.units["street-a"].pk, due_on="2020-01-01")
    with pytest.raises(InvalidInput):  # no measure, no start
        task_actions.start(task.pk, actor=district.people["liudu"])
    assert TaskMeasure.objects.count() == 0 and task.events.count() == 1


def test_a_hostile_upload_is_refused_and_nothing_is_kept(district, task):
    p = district.people
    m = task_actions.add_measure(task.pk, actor=p["liudu"], text="加装净化器", owner_id=district.units["street-a"].pk,
                                 due_on=clock.localdate())
    task_actions.start(task.pk, actor=p["liudu"])
    with pytest.raises(InvalidInput):
        task_actions.report(task.pk, actor=p["liqiang"], measure_id=m.pk, text="见附件照片",
                            file=SimpleUploadedFile("photo.png", b"<script>alert(1)</script>"), file_name="photo.png")
    assert TaskProgress.objects.count() == 0 and task.events.count() == 3


def test_tasks_created_from_hotspots_link_their_orders(district):
    from django.core.management import call_command

    from hotline.governance.models import Hotspot

    from .data import WATER
    start = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    do_import_history([HistoryRecord(
        number=f"H2026{n:05d}", received_at=start + dt.timedelta(hours=n), title=WATER[n], description=WATER[n],
        unit=district.units["water"], area=district.areas["east-lake"], address="东湖路与湖滨路交叉口",
        category=district.categories["停水"], caller_phone=f"1350000{n:04d}", closed_at=start + dt.timedelta(days=2))
        for n in range(6)], actor=district.people["admin"])
    call_command("hotspots", "--from", "2026-03-01", "--to", "2026-03-31", stdout=io.StringIO())
    hotspot = Hotspot.objects.get()
    client = _client(district, "liudu")
    form = client.get(reverse("governance:task_new"), {"hotspots": hotspot.root_order_id})
    assert form.status_code == 200
    draft = form.context["draft"]
    assert draft["categories"] == [district.categories["停水"].pk]
    assert draft["areas"] == [district.areas["east-lake"].pk] and draft["lead_unit"] is not None
    resp = client.post(reverse("governance:task_new"), {
        "title": draft["title"], "problem": draft["problem"], "lead_unit": draft["lead_unit"],
        "categories": draft["categories"], "areas": draft["areas"], "hotspots": [hotspot.root_order_id],
        "target_reduction": "50", "target_weeks": "13", "comparison": "areas"})
    assert resp.status_code == 302
    task = GovernanceTask.objects.get()
    assert TaskOrder.objects.filter(task=task).count() == 6 and task.hotspot_roots == [hotspot.root_order_id]
    page = client.get(reverse("governance:monthly"), {"month": "2026-03"}).content.decode()
    assert task.number in page and hotspot.label in page


def _client(district, username):
    from django.test import Client
    c = Client()
    c.force_login(district.people[username])
    return c


def test_the_pages_keep_what_was_typed_and_hide_other_units_tasks(district, task):
    client = _client(district, "liudu")
    resp = client.post(reverse("governance:task_action", args=[task.pk, "measure"]),
                       {"text": "为沿街饭店加装油烟净化设备", "owner": district.units["street-a"].pk, "due_on": "不是日期"})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "为沿街饭店加装油烟净化设备" in body and "日期无效" in body
    assert TaskMeasure.objects.count() == 0
    resp = client.post(reverse("governance:task_new"), {"title": "西城街道路灯专项治理", "problem": "太短",
                                                        "lead_unit": district.units["street-b"].pk})
    assert resp.status_code == 400 and "西城街道路灯专项治理" in resp.content.decode()
    # a unit that takes no part in the task sees neither it in the list nor its page
    other = _client(district, "zhaomin")
    assert other.get(reverse("governance:task", args=[task.pk])).status_code == 404
    assert task.number not in other.get(reverse("governance:tasks")).content.decode()
    assert _client(district, "liqiang").get(reverse("governance:task", args=[task.pk])).status_code == 200
    assert _client(district, "wangfang").get(reverse("governance:tasks")).status_code == 403
    assert client.post(reverse("governance:task_action", args=[task.pk, "nonsense"])).status_code == 404


# ---- did it work? (generated data, the truth known) --------------------------------------------------


def _calls(district, *, area: str, n: int, start: dt.datetime, days: int, seed: int, prefix: str) -> list[HistoryRecord]:
    rnd = random.Random(seed)
    unit = district.units[{"east-lake": "street-a", "west-city": "street-b", "south-park": "street-c",
                           "north-hill": "town-d"}[area]]
    out = []
    for k in range(n):
        at = start + dt.timedelta(seconds=rnd.uniform(0, days * 86400))
        out.append(HistoryRecord(number=f"{prefix}{seed:02d}{k:05d}", received_at=at, title="饭店油烟扰民",
                                 description="楼下饭店油烟很大", unit=unit, area=district.areas[area],
                                 category=district.categories["餐饮油烟噪声"], caller_phone=f"137{seed:02d}{k:06d}",
                                 closed_at=at + dt.timedelta(days=3)))
    return out


def _world(district, *, treated: tuple[int, int], control: tuple[int, int]) -> None:
    """Calls in east-lake (the task's area) and in the three other areas, 84 days before and after T0."""
    rows = _calls(district, area="east-lake", n=treated[0], start=T0 - dt.timedelta(days=84), days=84, seed=1, prefix="B")
    rows += _calls(district, area="east-lake", n=treated[1], start=T0, days=84, seed=2, prefix="A")
    for i, area in enumerate(["west-city", "south-park", "north-hill"]):
        rows += _calls(district, area=area, n=control[0] // 3, start=T0 - dt.timedelta(days=84), days=84, seed=10 + i, prefix="B")
        rows += _calls(district, area=area, n=control[1] // 3, start=T0, days=84, seed=20 + i, prefix="A")
    do_import_history(rows, actor=district.people["admin"])


def _measured(district, **kw) -> effect.Effect:
    return effect.measure(category_ids=[district.categories["餐饮油烟噪声"].pk], area_ids=[district.areas["east-lake"].pk],
                          start=T0, days=84, target_reduction=50, now=T0 + dt.timedelta(days=90), **kw)


def test_a_real_fall_is_credited(district):
    _world(district, treated=(60, 20), control=(90, 90))
    e = _measured(district, method="areas")
    assert (e.before, e.after, e.comparison_before, e.comparison_after) == (60, 20, 90, 90)
    assert e.credited and e.target_met and e.high < 1 and e.low < e.ratio < e.high
    assert -75 < e.change_pct < -55


def test_a_fall_that_happened_everywhere_is_not_credited(district):
    _world(district, treated=(60, 20), control=(90, 30))
    e = _measured(district, method="areas")
    assert e.raw_pct == -67 and e.comparison_pct == -67
    assert not e.credited and not e.target_met and e.low < 1 < e.high


def test_a_small_fall_is_credited_without_meeting_the_target(district):
    _world(district, treated=(150, 90), control=(150, 150))
    e = _measured(district, method="areas")
    assert e.credited and not e.target_met


def test_the_same_weeks_last_year_is_the_comparison_of_a_seasonal_matter(district):
    year = dt.timedelta(days=365)
    rows = _calls(district, area="east-lake", n=60, start=T0 - dt.timedelta(days=84), days=84, seed=1, prefix="B")
    rows += _calls(district, area="east-lake", n=20, start=T0, days=84, seed=2, prefix="A")
    rows += _calls(district, area="east-lake", n=60, start=T0 - year - dt.timedelta(days=84), days=84, seed=3, prefix="L")
    rows += _calls(district, area="east-lake", n=21, start=T0 - year, days=84, seed=4, prefix="M")
    do_import_history(rows, actor=district.people["admin"])
    e = _measured(district, method="last_year")
    assert e.method == "last_year" and (e.comparison_before, e.comparison_after) == (60, 21)
    assert not e.credited  # the season ends every year at this time


def test_too_early_to_tell(district):
    e = effect.measure(category_ids=[district.categories["餐饮油烟噪声"].pk], area_ids=[], start=T0, days=84,
                       method="areas", target_reduction=50, now=T0 + dt.timedelta(days=3))
    assert e.too_early and e.ratio is None and not e.credited and e.method == "last_year"


def test_the_interval_narrows_with_more_calls():
    small = effect.ratio_interval(10, 20, 30, 30)
    large = effect.ratio_interval(100, 200, 300, 300)
    assert small[0] == pytest.approx(large[0]) == pytest.approx(0.5)
    assert small[1] < large[1] < 0.5 < large[2] < small[2]
    assert effect.ratio_interval(0, 10, 10, 10)[0] < 0.1  # no zero division


def test_next_state_refuses_what_is_not_in_the_table():
    assert next_task_state(TaskState.CLOSED, TaskAction.START) is None
    assert next_task_state(TaskState.DRAFT, TaskAction.START) is TaskState.ACTIVE


def test_the_monthly_report_shows_each_task_with_its_effect(district):
    _world(district, treated=(60, 20), control=(90, 90))
    p = district.people
    with clock.at(T0):
        task = task_actions.create_task(
            actor=p["liudu"], title="东湖街道餐饮油烟扰民专项治理", problem="东湖街道多家饭店油烟扰民，反复投诉。",
            lead_unit_id=district.units["street-a"].pk, category_ids=[district.categories["餐饮油烟噪声"].pk],
            area_ids=[district.areas["east-lake"].pk], target_reduction=50, target_weeks=12)
        task_actions.add_measure(task.pk, actor=p["liudu"], text="为沿街饭店加装油烟净化设备",
                                 owner_id=district.units["street-a"].pk, due_on=clock.localdate() + dt.timedelta(days=10))
        task_actions.start(task.pk, actor=p["liudu"])
    body = _client(district, "liudu").get(reverse("assessment:report"), {"month": "2026-05"}).content.decode()
    assert task.number in body and "计入成效" in body and "不计入成效" not in body
    row = body[body.index(task.number):]
    assert "0/1" in row[:600] and ">1<" in row[:600]  # the measure was due in March and is not done
    # the month before the task existed does not list it
    assert task.number not in _client(district, "liudu").get(reverse("assessment:report"), {"month": "2026-01"}).content.decode()


def test_a_task_acts_before_the_call_with_a_proactive_order_that_does_not_count_as_a_call(district, task):
    p = district.people
    task_actions.add_measure(task.pk, actor=p["liudu"], text="对沿街饭店逐户上门检查", owner_id=district.units["street-a"].pk,
                             due_on=clock.localdate())
    task_actions.start(task.pk, actor=p["liudu"])
    with pytest.raises(InvalidInput) as e:  # a unit outside the task
        task_actions.dispatch_proactive(task.pk, actor=p["liudu"], title="上门检查饭店油烟", description="逐户检查油烟净化设备",
                                        unit_id=district.units["power"].pk)
    assert "unit" in e.value.details and TaskOrder.objects.filter(proactive=True).count() == 0
    with pytest.raises(InvalidInput):  # a guessed area id
        task_actions.dispatch_proactive(task.pk, actor=p["liudu"], title="上门检查饭店油烟", description="逐户检查油烟净化设备",
                                        unit_id=district.units["street-a"].pk, area_id="east-lake")
    order = task_actions.dispatch_proactive(
        task.pk, actor=p["liudu"], title="上门检查东湖街道沿街饭店油烟", description="逐户检查油烟净化设备是否正常运行",
        unit_id=district.units["street-a"].pk, area_id=district.areas["east-lake"].pk,
        category_id=district.categories["餐饮油烟噪声"].pk)
    order.refresh_from_db()
    assert (order.source, order.source_ref, order.state, order.lead_unit_id) == (
        "task", task.pk, "dispatched", district.units["street-a"].pk)
    assert TaskOrder.objects.get(task=task, order=order).proactive
    assert task.events.order_by("-seq").first().data["order"] == order.number
    # the effect counts calls: the task's own proactive order is not one
    e = effect.measure(category_ids=[district.categories["餐饮油烟噪声"].pk], area_ids=[district.areas["east-lake"].pk],
                       start=order.received_at - dt.timedelta(days=30), days=60, method="areas", target_reduction=50,
                       now=order.received_at + dt.timedelta(days=1))
    assert e.after == 0
    # a unit cannot open one
    with pytest.raises(NotAllowed):
        task_actions.dispatch_proactive(task.pk, actor=p["liqiang"], title="上门检查", description="逐户检查油烟净化设备",
                                        unit_id=district.units["street-a"].pk)


def test_the_task_page_opens_a_proactive_order_and_keeps_what_was_typed_when_refused(district, task):
    p = district.people
    task_actions.add_measure(task.pk, actor=p["liudu"], text="对沿街饭店逐户上门检查", owner_id=district.units["street-a"].pk,
                             due_on=clock.localdate())
    task_actions.start(task.pk, actor=p["liudu"])
    client = _client(district, "liudu")
    page = client.get(reverse("governance:task", args=[task.pk])).content.decode()
    assert "proactive-form" in page
    url = reverse("governance:task_action", args=[task.pk, "proactive"])
    resp = client.post(url, {"title": "", "description": "逐户检查油烟净化设备是否正常运行", "unit": district.units["street-a"].pk})
    assert resp.status_code == 400 and "逐户检查油烟净化设备是否正常运行" in resp.content.decode()
    assert TaskOrder.objects.filter(proactive=True).count() == 0
    resp = client.post(url, {"title": "上门检查东湖街道沿街饭店油烟", "description": "逐户检查油烟净化设备是否正常运行",
                             "unit": district.units["street-a"].pk, "area": district.areas["east-lake"].pk,
                             "category": district.categories["餐饮油烟噪声"].pk})
    assert resp.status_code == 302
    link = TaskOrder.objects.get(proactive=True)
    assert link.order.number in client.get(reverse("governance:task", args=[task.pk])).content.decode()
