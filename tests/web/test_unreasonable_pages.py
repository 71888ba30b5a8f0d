"""The pages of unreasonable requests: the unit's report from the order page, the centre's queue,
the unit's own list, the marks page, the caller's marks at intake and on the dispatch board, and a
scenario as a district would write it."""

from __future__ import annotations

from django.utils import timezone

from hotline.assessment import indicators
from hotline.orders import actions
from hotline.orders.models import CallerMark, UnreasonableReport, WorkOrder
from hotline.orders.states import State
from tests.conftest import make_order
from tests.orders.loop import UNREASONABLE_TEXT, bring_to, photo

PHONE = "13912345678"


def _as(client, district, name):
    client.force_login(district.people[name])
    return client


def test_the_unit_reports_from_the_order_page_and_a_refusal_keeps_the_form_with_its_error(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=PHONE)
    item = actions.do_attach(oid, actor=d.people["liqiang"], file=photo("answer-letter.jpg"))
    c = _as(client, d, "liqiang")
    page = c.get(f"/orders/{oid}/").content.decode()
    assert "上报不合理诉求" in page and "answer-letter.jpg" in page
    bad = c.post(f"/orders/{oid}/act/report_unreasonable/", {
        "report_unreasonable-reason": "repeated", "report_unreasonable-explanation": "太短"})
    assert bad.status_code == 400
    assert "至少10个字" in bad.content.decode() or "理由过短" in bad.content.decode()
    assert not UnreasonableReport.objects.exists()
    ok = c.post(f"/orders/{oid}/act/report_unreasonable/", {
        "report_unreasonable-reason": "repeated", "report_unreasonable-explanation": UNREASONABLE_TEXT,
        "report_unreasonable-evidence": [str(item.pk)]})
    assert ok.status_code == 302
    report = UnreasonableReport.objects.get(order_id=oid)
    assert list(report.evidence.values_list("pk", flat=True)) == [item.pk]
    # another street's handler neither sees the order nor reports it
    other = _as(client, d, "zhaomin")
    assert other.post(f"/orders/{oid}/act/report_unreasonable/", {
        "report_unreasonable-reason": "malicious",
        "report_unreasonable-explanation": UNREASONABLE_TEXT}).status_code == 404


def test_the_supervisor_decides_from_the_queue_and_the_unit_sees_how_it_ended(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=PHONE)
    actions.do_report_unreasonable(oid, actor=d.people["liqiang"], reason="private_interest",
                                   explanation=UNREASONABLE_TEXT)
    sup = _as(client, d, "liudu")
    queue = sup.get("/unreasonable/").content.decode()
    assert "为个人不正当利益的诉求" in queue and "uphold_unreasonable-note" in queue
    done = sup.post(f"/orders/{oid}/act/uphold_unreasonable/", {
        "uphold_unreasonable-note": "经核实，来电人要求为其个人商铺免除罚款，属个人私利诉求", "next": "/unreasonable/"})
    assert done.status_code == 302 and done["Location"] == "/unreasonable/"
    assert WorkOrder.objects.get(pk=oid).unreasonable
    # a dispatcher reads the queue but has no decision form; the decision itself is refused
    disp = _as(client, d, "chengang")
    assert "uphold_unreasonable-note" not in disp.get("/unreasonable/?tab=all").content.decode()
    unit = _as(client, d, "liqiang")
    mine = unit.get("/unreasonable/").content.decode()
    assert "本单位上报的不合理诉求" in mine and "已认定" in mine and "属个人私利诉求" in mine
    other = _as(client, d, "zhaomin")
    assert WorkOrder.objects.get(pk=oid).number not in other.get("/unreasonable/").content.decode()
    assert _as(client, d, "wangfang").get("/unreasonable/").status_code == 403


def test_the_marks_page_lists_marks_and_the_supervisor_lifts_one_on_contest(district, client):
    d = district
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=PHONE)
    actions.do_report_unreasonable(oid, actor=d.people["liqiang"], reason="malicious", explanation=UNREASONABLE_TEXT)
    actions.do_uphold_unreasonable(oid, actor=d.people["liudu"], note="多次辱骂接线员，属恶意诉求")
    agent = _as(client, d, "wangfang")
    assert PHONE in agent.get("/marks/").content.decode()
    assert agent.post(f"/orders/{oid}/act/contest_mark/", {
        "contest_mark-reason": "来电人称当时情绪激动，已道歉"}).status_code == 302
    sup = _as(client, d, "liudu")
    page = sup.get("/marks/").content.decode()
    assert "来电人称当时情绪激动" in page and "lift_mark-note" in page
    sup.post(f"/orders/{oid}/act/lift_mark/", {"lift_mark-note": "来电人已书面道歉，撤销标记", "next": "/marks/"})
    assert CallerMark.objects.get(order_id=oid).lifted_at is not None
    assert _as(client, d, "liqiang").get("/marks/").status_code == 403


def test_scenario_a_caller_who_calls_again_after_a_full_answer_is_marked_at_the_next_call(district, client):
    """张先生反复来电要求拆除邻居合法加装的电梯。东湖街道已三次上门说明政策并书面答复，来电人仍
    第四次来电。街道上报“已充分答复后仍重复诉求”，附上此前的书面答复；热线中心督办科认定。
    此后该号码再次来电时，坐席在受理页看到标记和理由，照常受理；该工单不计入东湖街道的满意率。"""
    d, p = district, district.people
    oid = make_order(d, caller_phone=PHONE, title="要求拆除邻居加装的电梯",
                     description="来电人第四次来电，要求拆除邻居加装的电梯，称影响采光。")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_sign(oid, actor=p["liqiang"])
    letter = actions.do_attach(oid, actor=p["liqiang"], file=photo("第三次书面答复.jpg"))
    actions.do_report_unreasonable(
        oid, actor=p["liqiang"], reason="repeated", evidence_ids=[letter.pk],
        explanation="加装电梯已经规划审批和业主表决，街道三次上门说明并书面答复，来电人仍重复来电要求拆除。")
    _as(client, d, "liudu").post(f"/orders/{oid}/act/uphold_unreasonable/", {
        "uphold_unreasonable-note": "已三次充分答复，属已充分答复后仍重复诉求，予以认定"})
    assert WorkOrder.objects.get(pk=oid).unreasonable
    # the street still answers the caller; the caller is called back, and is not satisfied
    actions.do_contact(oid, actor=p["liqiang"], text="已电话告知来电人加装电梯的审批依据。")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], responder="李强", result="explained", contacted_caller=True,
                     process="第四次上门向来电人出示规划审批文件和业主表决结果，说明电梯合法合规。",
                     outcome="已向来电人解释，电梯不予拆除；采光问题可通过诉讼途径主张。")
    if WorkOrder.objects.get(pk=oid).state == State.REPLIED:
        actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=False, satisfaction="unsatisfied")
    today = timezone.localdate()
    row = next(r for r in indicators.unit_table(today, today) if r["unit_id"] == d.units["street-a"].pk)
    assert row["valid_callbacks"] == 0 and row["excluded_unreasonable"] == 1

    # the next call from that number: the agent sees the mark and its reason, and takes the call
    agent = _as(client, d, "wangfang")
    panel = agent.post("/intake/suggest/", {"caller_phone": "139-1234-5678".replace("-", " "), "title": "电梯",
                                            "description": "又来电要求拆除电梯"}).content.decode()
    assert "该号码有不合理诉求标记" in panel and "已充分答复后仍重复诉求" in panel
    assert WorkOrder.objects.get(pk=oid).number in panel
    new = make_order(d, caller_phone=PHONE, title="再次要求拆除电梯", description="来电人第五次来电要求拆除电梯。")
    assert WorkOrder.objects.get(pk=new).state == State.RECEIVED  # a mark is never a block
    board = _as(client, d, "chengang").get("/dispatch/").content.decode()
    assert "来电人有不合理诉求标记" in board
    page = client.get(f"/orders/{new}/").content.decode()
    assert "该号码有不合理诉求标记" in page
    # another number shows nothing
    other = agent.post("/intake/suggest/", {"caller_phone": "13700001111", "title": "路灯",
                                            "description": "路灯不亮"}).content.decode()
    assert "该号码有不合理诉求标记" not in other


def test_the_monthly_report_and_the_units_page_say_what_was_excluded_in_both_languages(district, client, settings):
    d, p = district, district.people
    oid = bring_to(d, State.IN_PROGRESS, caller_phone=PHONE)
    actions.do_report_unreasonable(oid, actor=p["liqiang"], reason="repeated", explanation=UNREASONABLE_TEXT)
    actions.do_uphold_unreasonable(oid, actor=p["liudu"], note="已三次充分答复，予以认定")
    month = f"{timezone.localdate():%Y-%m}"
    c = _as(client, d, "liudu")
    report = c.get(f"/assessment/report/?month={month}").content.decode()
    assert "七、不合理诉求" in report and "本月承办单位上报不合理诉求1件；热线中心认定1件" in report
    unit = d.units["street-a"]
    page = c.get(f"/assessment/unit/{unit.pk}/").content.decode()
    assert "本期上报不合理诉求1件，热线中心认定1件" in page
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = c.get(f"/assessment/report/?month={month}").content.decode()
    assert "7. Unreasonable requests" in english and "the centre upheld 1 and rejected 0" in english
    queue = c.get("/unreasonable/?tab=all").content.decode()
    assert "Review of unreasonable requests" in queue and "Repeated after a full answer" in queue
