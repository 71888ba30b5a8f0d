"""The pages of appeals (申诉): the unit head's appeal from the order page, the centre's queue with
the overdue ones flagged and its export, the score appeal from the unit's score page, and the
monthly report's section."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hotline.assessment.models import ScoreAppeal
from hotline.directory.calendar import load_calendar
from hotline.orders import actions, clock
from hotline.orders.models import OrderAppeal, Review
from hotline.orders.states import State
from tests.orders import files
from tests.orders.loop import APPEAL_TEXT, bring_appealable_to, bring_to

WHY = "本月三张工单属于市政道路塌陷，按权责清单应由城管执法局承办，误计入本单位的解决率。"


def _as(client, district, name):
    client.force_login(district.people[name])
    return client


def test_the_unit_head_appeals_from_the_order_page_and_a_refusal_keeps_the_form(district, client):
    d = district
    oid = bring_appealable_to(d, State.IN_PROGRESS)
    review = Review.objects.get(order_id=oid, decision="redo")
    head = _as(client, d, "lizhang")
    page = head.get(f"/orders/{oid}/").content.decode()
    assert "对驳回重办提出申诉" in page and "答复已说明原因和后续安排" in page
    bad = head.post(f"/orders/{oid}/act/appeal_redo/", {
        "appeal_redo-review_id": str(review.pk), "appeal_redo-reasons": ["reply_explained"],
        "appeal_redo-explanation": "不服"})
    assert bad.status_code == 400 and not OrderAppeal.objects.exists()
    ok = head.post(f"/orders/{oid}/act/appeal_redo/", {
        "appeal_redo-review_id": str(review.pk), "appeal_redo-reasons": ["reply_explained", "other"],
        "appeal_redo-explanation": APPEAL_TEXT})
    assert ok.status_code == 302
    assert OrderAppeal.objects.get().reasons == ["reply_explained", "other"]
    # the handler of the same unit does not file (the head does)
    assert "appeal_redo-explanation" not in _as(client, d, "liqiang").get(f"/orders/{oid}/").content.decode()


def test_the_supervisor_decides_from_the_queue_and_the_overdue_are_flagged(district, client, settings):
    d = district
    settings.HOTLINE_APPEAL_DAYS = 1
    past = timezone.localtime() - dt.timedelta(days=10)
    with clock.at(past):
        old = bring_appealable_to(d, State.IN_PROGRESS)
        actions.do_appeal_redo(old, actor=d.people["lizhang"], reasons=["reply_explained"],
                               explanation="=HYPERLINK(\"http://x\")，答复已说明原因和后续安排")
    new = bring_appealable_to(d, State.CLOSED)
    actions.do_appeal_callback(new, actor=d.people["lizhang"], reasons=["wrong_person"],
                               explanation="回访接听人是来电人的邻居，并非来电人本人")
    sup = _as(client, d, "liudu")
    queue = sup.get("/appeals/").content.decode()
    assert queue.count('class="card appeal"') == 2 and "uphold_appeal-note" in queue
    assert queue.count("tag warn overdue") == 1
    overdue = sup.get("/appeals/?tab=overdue").content.decode()
    assert f"appeal-{OrderAppeal.objects.get(order_id=old).pk}" in overdue
    assert f"appeal-{OrderAppeal.objects.get(order_id=new).pk}" not in overdue
    export = sup.get("/appeals/?tab=pending&format=csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "申诉类型" and len(rows) == 3
    assert all(not cell.startswith("=") for row in rows for cell in row)
    appeal = OrderAppeal.objects.get(order_id=new)
    done = sup.post(f"/orders/{new}/act/uphold_appeal/", {
        "uphold_appeal-appeal_id": str(appeal.pk), "uphold_appeal-note": "回访录音证实接听人不是来电人",
        "next": "/appeals/"})
    assert done.status_code == 302 and done["Location"] == "/appeals/"
    appeal.refresh_from_db()
    assert appeal.status == "upheld" and appeal.callback.voided_at is not None
    order_page = sup.get(f"/orders/{new}/").content.decode()
    assert 'id="appeals"' in order_page and "申诉成立" in order_page and "已作废" in order_page
    # another street's head sees none of it; the unit sees its own
    assert 'class="card appeal"' not in _as(client, d, "zhaomin").get("/appeals/").content.decode()
    assert _as(client, d, "lizhang").get("/appeals/").content.decode().count('class="card appeal"') == 2


def _in_window():
    today = timezone.localdate().replace(day=1)
    day = load_calendar().nth_workday_after(today - dt.timedelta(days=1), 1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())


def test_the_unit_head_files_a_score_appeal_from_the_score_page_and_the_supervisor_corrects_it(district, client):
    d = district
    unit = d.units["street-a"]
    now = _in_window()
    month = (now.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    head = _as(client, d, "lizhang")
    page = head.get(f"/assessment/unit/{unit.pk}/?month={month:%Y-%m}")
    assert page.status_code == 200 and "score-appeal-form" in page.content.decode()
    with clock.at(now):
        bad = head.post("/appeals/score/file/", {"month": f"{month:%Y-%m}", "indicators": ["resolution"],
                                                 "reasons": ["attribution"], "explanation": "太短"})
        assert bad.status_code == 400 and "理由" in bad.content.decode()
        upload = SimpleUploadedFile("统计截图.png", files.png(), content_type="image/png")
        ok = head.post("/appeals/score/file/", {"month": f"{month:%Y-%m}", "indicators": ["resolution"],
                                                "reasons": ["attribution"], "explanation": WHY, "evidence": upload})
        assert ok.status_code == 302
        appeal = ScoreAppeal.objects.get()
        assert appeal.evidence_type == "image/png"
        # the file goes to whoever reads the appeal, as the orders' evidence does; to no one else
        got = _as(client, d, "liudu").get(f"/appeals/score/{appeal.pk}/evidence/")
        assert got.status_code == 200 and got["Content-Type"] == "image/png" and got["X-Content-Type-Options"] == "nosniff"
        assert _as(client, d, "zhaomin").get(f"/appeals/score/{appeal.pk}/evidence/").status_code == 404
        head = _as(client, d, "lizhang")
        assert _as(client, d, "liqiang").post("/appeals/score/file/", {}).status_code == 403
        sup = _as(client, d, "liudu")
        assert sup.post(f"/appeals/score/{appeal.pk}/uphold/", {"correction": "x", "note": "申诉成立，更正"}).status_code == 400
        assert sup.post(f"/appeals/score/{appeal.pk}/uphold/",
                        {"correction": "3.5", "note": "核实后应计入城管执法局"}).status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == "upheld" and float(appeal.correction) == 3.5


def test_the_monthly_report_has_a_section_on_appeals(district, client):
    d = district
    oid = bring_to(d, State.REPLIED)
    actions.do_redo(oid, actor=d.people["zhoushen"], reasons=["brush_off"], note="推诿，仅让来电人另寻途径")
    actions.do_appeal_redo(oid, actor=d.people["lizhang"], reasons=["reply_explained"], explanation=APPEAL_TEXT)
    actions.do_reject_appeal(oid, actor=d.people["liudu"], note="答复确实只让来电人另寻途径")
    month = f"{timezone.localdate():%Y-%m}"
    page = _as(client, d, "liudu").get(f"/assessment/report/?month={month}").content.decode()
    assert 'id="appeals"' in page and "本月承办单位提出申诉1项" in page and "不成立1项" in page
