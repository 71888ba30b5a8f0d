"""The review page by effect (审核看实效): one checklist, two buttons, the answers kept with the
review; the redo reasons report."""

from __future__ import annotations

import re

from django.test import Client

from hotline.orders import actions
from hotline.orders.models import Event, Review, WorkOrder
from hotline.orders.states import State
from tests.orders.loop import bring_to

YES = {"review-answered": "1", "review-resolved": "1", "review-factual": "1", "review-contacted": "1"}


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def _review_form(html: str, oid: int) -> str:
    start = html.index(f'action="/orders/{oid}/act/approve/"')
    return html[start:html.index("</form>", start)]


def test_the_review_page_asks_the_effect_questions_once_for_both_buttons(district):
    oid = bring_to(district, State.REPLIED)
    html = as_user(district.people["zhoushen"]).get("/review/").content.decode()
    form = _review_form(html, oid)
    for name in ("answered", "resolved", "factual", "contacted"):
        assert form.count(f'name="review-{name}"') == 2  # yes and no
        assert re.search(rf'name="review-{name}" value="1"[^>]*checked', form)  # yes by default: a quick approve
    assert f'formaction="/orders/{oid}/act/redo/"' in form and 'name="redo-reasons"' in form
    assert "缺少现场证据" not in form and "未写明处办过程" not in form  # completeness is no redo reason
    assert "诉求未解决且未说明原因和后续安排" in form


def test_a_quick_approve_keeps_the_yes_answers_with_the_review(district):
    oid = bring_to(district, State.REPLIED)
    r = as_user(district.people["zhoushen"]).post(f"/orders/{oid}/act/approve/", {**YES, "next": "/review/"})
    assert r.status_code == 302
    review = Review.objects.get(order_id=oid, decision="approve")
    assert review.checks == {"answered": True, "resolved": True, "factual": True, "contacted": True}
    assert Event.objects.filter(order_id=oid, action="approve").get().data["checks"] == review.checks


def test_an_approve_with_a_no_and_no_note_comes_back_with_the_error(district):
    oid = bring_to(district, State.REPLIED)
    c = as_user(district.people["zhoushen"])
    r = c.post(f"/orders/{oid}/act/approve/", {**YES, "review-contacted": "0"})
    assert r.status_code == 400 and "请说明为何仍予通过" in r.content.decode()
    assert WorkOrder.objects.get(pk=oid).state == State.REPLIED
    r = c.post(f"/orders/{oid}/act/approve/", {**YES, "review-contacted": "0",
                                                "review-note": "咨询类诉求已当场答复清楚，无需另行联系。"})
    assert r.status_code == 302 and WorkOrder.objects.get(pk=oid).state == State.AWAITING_CALLBACK


def test_the_redo_button_sends_the_checklist_and_the_reasons(district):
    oid = bring_to(district, State.REPLIED)
    c = as_user(district.people["zhoushen"])
    data = {**YES, "review-resolved": "0", "redo-reasons": ["not_solved"], "review-note": "未说明何时修复，也没有后续安排。"}
    # all "yes": a redo has nothing to stand on
    r = c.post(f"/orders/{oid}/act/redo/", {**data, "review-resolved": "1"})
    assert r.status_code == 400 and "至少有一项审核要点回答为“否”" in r.content.decode()
    # a reason that does not match the "no"
    r = c.post(f"/orders/{oid}/act/redo/", {**data, "redo-reasons": ["inconsistent"]})
    assert r.status_code == 400 and "驳回理由与审核要点不一致" in r.content.decode()
    r = c.post(f"/orders/{oid}/act/redo/", data)
    assert r.status_code == 302 and WorkOrder.objects.get(pk=oid).state == State.IN_PROGRESS
    review = Review.objects.get(order_id=oid, decision="redo")
    assert review.checks["resolved"] is False and review.reasons == ["not_solved"]
    page = as_user(district.people["lizhang"]).get(f"/orders/{oid}/").content.decode()
    assert "审核要点未做到：问题是否解决，未解决是否说明原因和后续安排" in page


def test_an_old_review_with_a_completeness_code_still_shows(district):
    oid = bring_to(district, State.REPLIED)
    review = actions.do_redo(oid, actor=district.people["zhoushen"], reasons=["not_solved"], note="未说明后续安排。")
    Review.objects.filter(pk=review.pk).update(reasons=["no_evidence"], checks={})  # as stored before
    page = as_user(district.people["lizhang"]).get(f"/orders/{oid}/").content.decode()
    assert "缺少现场证据（旧完整性理由）" in page


def test_the_reasons_report_shows_units_and_reviewers(district):
    p = district.people
    oid = bring_to(district, State.REPLIED)
    actions.do_redo(oid, actor=p["zhoushen"], reasons=["brush_off"], note="只让来电人去法院。",
                    checks={"answered": False, "resolved": False, "factual": True, "contacted": True})
    html = as_user(p["zhoushen"]).get("/assessment/review-reasons/").content.decode()
    assert "推诿（仅让来电人另寻途径） 1" in html and str(p["zhoushen"].display_name or p["zhoushen"]) in html
    csv = as_user(p["zhoushen"]).get("/assessment/review-reasons/?table=reviewers&format=csv").content.decode("utf-8-sig")
    assert "推诿（仅让来电人另寻途径） 1" in csv
    # a unit's person may not see the reviewers' report
    assert as_user(p["wujian"]).get("/assessment/review-reasons/").status_code == 403
