"""The review queue, the callback console and the screening review: what they show, paging,
filters, and a fixed number of queries per page."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hotline.orders import actions
from hotline.triage import pipeline
from tests.conftest import make_order
from tests.web.test_reply_form import OUTCOME, PROCESS


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def _replied(district, title="小区电梯坏了") -> int:
    p = district.people
    oid = make_order(district, category="物业服务纠纷", title=title, description=f"{title}，南苑小区3号楼，物业不修。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["housing"].pk)
    actions.do_sign(oid, actor=p["wujian"])
    actions.do_reply(oid, actor=p["wujian"], responder="吴建", process=PROCESS, outcome=OUTCOME, contacted_caller=True)
    return oid


def test_the_review_queue_shows_30_a_page(district):
    for i in range(31):
        _replied(district, title=f"电梯故障{i:02d}号")
    html = as_user(district.people["zhoushen"]).get("/review/").content.decode()
    assert html.count('class="card review-item"') == 30 and "共 31 条" in html


def test_the_review_queue_filters_by_redo_round_and_unit(district):
    p = district.people
    first, again = _replied(district, "首次答复的工单"), _replied(district, "重办后的工单")
    actions.do_redo(again, actor=p["zhoushen"], reasons=["not_solved"], note="请说明问题是否解决。")
    actions.do_reply(again, actor=p["wujian"], responder="吴建", process=PROCESS, outcome=OUTCOME, contacted_caller=True)
    c = as_user(p["zhoushen"])
    redo = c.get("/review/?redo=redo").content.decode()
    assert "重办后的工单" in redo and "首次答复的工单" not in redo
    assert "首次答复的工单" in c.get("/review/?redo=first").content.decode()
    other = district.units["street-b"].pk
    assert "首次答复的工单" not in c.get(f"/review/?unit={other}").content.decode()
    assert c.get("/review/?sort=nonsense&unit=abc&category=zz").status_code == 200
    assert first


def test_the_review_queue_asks_the_same_number_of_queries_for_one_reply_or_many(district):
    c = as_user(district.people["zhoushen"])
    counts = []
    for n in (1, 5):
        while _count_replied() < n:
            _replied(district, title=f"电梯故障{_count_replied()}")
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/review/").status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def _count_replied() -> int:
    from hotline.orders.models import WorkOrder

    return WorkOrder.objects.filter(state="replied").count()


def test_the_callback_console_shows_the_callers_request_beside_the_reply(district):
    p = district.people
    oid = _replied(district, "电梯停运一周")
    actions.do_approve(oid, actor=p["zhoushen"])
    html = as_user(p["sunhui"]).get("/callback/").content.decode()
    assert "来电人诉求" in html and "电梯停运一周，南苑小区3号楼，物业不修。" in html and OUTCOME in html


def test_the_screening_review_shows_25_a_page_and_filters_by_kind(district):
    for i in range(27):
        pipeline.triage_order(make_order(district, category="私人合同纠纷", title=f"借款纠纷{i}",
                                         description=f"朋友借款{i}万元不还，我要去法院起诉他", caller_phone=f"1391234{i:04d}"))
    c = as_user(district.people["wangfang"])
    html = c.get("/triage/review/").content.decode()
    assert html.count('<tr id="decision-') == 25 and "下一页" in html
    flags = c.get("/triage/review/?kind=flag&page=2").content.decode()
    assert "甄别标记" in flags and '<tr id="decision-' in flags
    assert "kind=flag" in c.get("/triage/review/?kind=flag").content.decode()
