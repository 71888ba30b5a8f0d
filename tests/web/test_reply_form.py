"""The reply form after an error, and the redo reasons the unit and the second review see."""

from __future__ import annotations

from django.test import Client

from hotline.orders import actions
from tests.conftest import make_order

PROCESS = "接到工单后当天联系物业公司负责人，到小区现场核实电梯故障情况，督促物业当天报修并张贴告示。"
OUTCOME = "电梯已于次日修复并通过检测，已电话告知来电人，来电人表示认可。"


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def _in_progress(district) -> int:
    p = district.people
    oid = make_order(district, category="物业服务纠纷", title="小区电梯坏了", description="南苑小区3号楼电梯坏了一周，物业不修。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["housing"].pk)
    actions.do_sign(oid, actor=p["wujian"])
    return oid


def _redone(district) -> int:
    p = district.people
    oid = _in_progress(district)
    actions.do_reply(oid, actor=p["wujian"], responder="吴建", process=PROCESS, outcome=OUTCOME, contacted_caller=True)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["inconsistent", "not_solved"], note="请核实维修情况后重新答复。")
    return oid


def test_a_refused_reply_lists_each_missing_element_once(district):
    oid = _in_progress(district)
    c = as_user(district.people["wujian"])
    r = c.post(f"/orders/{oid}/act/reply/", {"reply-responder": "吴建", "reply-process": "",
                                             "reply-outcome": "已处理", "reply-result": "resolved"})
    assert r.status_code == 400
    html = r.content.decode()
    assert html.count("处办过程过于简单") == 1


def test_a_refused_reply_keeps_the_checklist_ticks(district):
    oid = _in_progress(district)
    c = as_user(district.people["wujian"])
    r = c.post(f"/orders/{oid}/act/reply/", {"reply-responder": "吴建", "reply-process": "",
                                             "reply-outcome": OUTCOME, "reply-result": "resolved"})
    check = r.content.decode().split('id="reply-check"')[1].split("</div>")[0]
    assert 'class="ok"' in check and 'class="missing"' in check


def test_the_reply_form_posts_by_htmx_and_errors_come_back_in_place(district):
    oid = _in_progress(district)
    c = as_user(district.people["wujian"])
    page = c.get(f"/orders/{oid}/").content.decode()
    assert f'hx-post="/orders/{oid}/act/reply/"' in page and 'hx-select="#action-reply"' in page
    r = c.post(f"/orders/{oid}/act/reply/", {"reply-responder": "吴建", "reply-process": "", "reply-outcome": "",
                                             "reply-result": "resolved"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="action-reply"' in r.content.decode()
    done = c.post(f"/orders/{oid}/act/reply/", {"reply-responder": "吴建", "reply-process": PROCESS,
                                                "reply-outcome": OUTCOME, "reply-result": "resolved",
                                                "reply-contacted_caller": "on"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Redirect"] == f"/orders/{oid}/"


def test_the_unit_sees_the_ticked_redo_reasons_in_its_inbox_and_on_the_order(district):
    oid = _redone(district)
    c = as_user(district.people["wujian"])
    inbox = c.get("/inbox/").content.decode()
    assert "答复与事实或来电人所述不符" in inbox and "请核实维修情况后重新答复" in inbox
    order = c.get(f"/orders/{oid}/").content.decode()
    assert "答复与事实或来电人所述不符、诉求未解决且未说明原因和后续安排" in order
    # without a checklist (an older client) the reasons' questions stand as the "no" answers
    assert "审核要点未做到：问题是否解决，未解决是否说明原因和后续安排、答复是否与事实相符" in order


def test_the_second_review_shows_the_first_rejection(district):
    p = district.people
    oid = _redone(district)
    actions.do_reply(oid, actor=p["wujian"], responder="吴建", process=PROCESS + "补充维修单。", outcome=OUTCOME,
                     contacted_caller=True)
    html = as_user(p["zhoushen"]).get("/review/").content.decode()
    assert "第1次答复被驳回" in html and "答复与事实或来电人所述不符" in html and "请核实维修情况后重新答复" in html
    assert str(p["zhoushen"]) in html
