"""审核看实效: the burden the procedures put on units, measured from the trace of generated
orders (characters, files, steps, rounds, minutes between events), and the redo reasons report."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management import call_command

from hotline.assessment import burden, indicators
from hotline.directory.calendar import WorkCalendar
from hotline.orders import actions
from hotline.orders.models import Review, WorkOrder
from hotline.orders.states import State
from tests.conftest import make_order
from tests.orders.loop import cst, frozen, photo

PROCESS = "当天到东湖路现场查看塌陷范围，设置围挡和警示灯，通知市政养护单位连夜修补。"
OUTCOME = "路面已修补完毕并通过验收，已电话告知来电人。"
ANSWER = "已电话解答社保转移接续的办理流程和所需材料。"
MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def _site_order(d, day: int) -> int:
    """A road collapse (现场处置类: a site photo is required): signed 09:00, contacted 09:30, two
    photos, replied the next day at 10:00."""
    p = d.people
    with frozen(cst(2025, 3, day, 8, 50)):
        oid = make_order(d, category="道路塌陷破损", title="东湖路路面塌陷")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    with frozen(cst(2025, 3, day, 9)):
        actions.do_sign(oid, actor=p["liqiang"])
    with frozen(cst(2025, 3, day, 9, 30)):
        actions.do_contact(oid, actor=p["liqiang"], text="电话联系来电人，约定到场时间。")
        actions.do_attach(oid, actor=p["liqiang"], file=photo("before.jpg"))
        actions.do_attach(oid, actor=p["liqiang"], file=photo("after.jpg"))
        actions.do_view_phone(oid, actor=p["liqiang"])  # a look, not a step
    with frozen(cst(2025, 3, day + 1, 10)):
        actions.do_reply(oid, actor=p["liqiang"], responder="李强", process=PROCESS, outcome=OUTCOME,
                         contacted_caller=True)
        actions.do_approve(oid, actor=p["zhoushen"])
    return oid


def _consultation(d, day: int) -> int:
    """A social-insurance question (政策咨询: no photo, no contact required): signed 09:00,
    answered at 11:00."""
    p = d.people
    with frozen(cst(2025, 3, day, 8, 50)):
        oid = make_order(d, category="社保政策咨询", title="社保转移咨询")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["hrss"].pk)
    with frozen(cst(2025, 3, day, 9)):
        actions.do_sign(oid, actor=p["renshe"])
    with frozen(cst(2025, 3, day, 11)):
        actions.do_reply(oid, actor=p["renshe"], responder="任社", process="", outcome=ANSWER)
        if WorkOrder.objects.get(pk=oid).state == State.REPLIED:
            actions.do_approve(oid, actor=p["zhoushen"])
    return oid


def test_workday_minutes_leave_out_weekends_and_holidays():
    cal = WorkCalendar()
    # Friday 17:00 to Monday 09:00: seven hours of Friday, nine of Monday
    assert burden.workday_minutes(cst(2025, 3, 7, 17), cst(2025, 3, 10, 9), cal) == 16 * 60
    # 30 September 23:00 to 9 October 01:00: 1-3 October are holidays, 4-5 a weekend
    assert burden.workday_minutes(cst(2025, 9, 30, 23), cst(2025, 10, 9, 1), cal) == 60 + 3 * 1440 + 60
    assert burden.workday_minutes(cst(2025, 3, 10, 9), cst(2025, 3, 7, 17), cal) == 0
    assert burden.workday_minutes(cst(2025, 3, 8, 9), cst(2025, 3, 9, 18), cal) == 0  # a weekend only


def test_要求现场照片的流程比政策咨询多留痕多耗时_从留痕实测(district):
    """东湖街道处置三件道路塌陷（现场处置类，须上传现场照片），区人社局答复三件社保政策咨询（无需照片、
    无需联系）。负能诊断的各流程留痕负担表从留痕记录算出：现场处置类每件两张照片、五步操作、签收到答复
    一天多（1500个工作日分钟）；政策咨询没有照片、两步、两小时。不是配置的分钟数。"""
    d = district
    for day in (4, 11, 18):  # Tuesdays, replied on Wednesdays
        _site_order(d, day)
        _consultation(d, day)
    data = burden.burden(*MARCH)
    profiles = {r["profile"]: r for r in data["profiles"]}
    site, consult = profiles["site"], profiles["consult"]
    assert (site["orders"], consult["orders"]) == (3, 3)
    assert (site["files_per_order"], site["photos_per_order"]) == (2.0, 2.0)
    assert (consult["files_per_order"], consult["photos_per_order"]) == (0.0, 0.0)
    assert site["unit_steps_per_order"] == 5.0 and consult["unit_steps_per_order"] == 2.0  # the look is no step
    assert site["chars_per_reply"] == len(PROCESS) + len(OUTCOME) and consult["chars_per_reply"] == len(ANSWER)
    assert site["sign_to_reply_minutes"] == 25 * 60 and consult["sign_to_reply_minutes"] == 120
    assert site["contact_to_reply_minutes"] == 25 * 60 - 30 and consult["contact_to_reply_minutes"] is None
    assert site["reviews_per_order"] == 1.0 and site["redos_per_order"] == 0.0
    assert site["profile_name"] == "现场处置类"
    units = {r["unit_id"]: r for r in data["units"]}
    assert units[d.units["street-a"].pk]["photos_per_order"] == 2.0
    assert data["district"]["orders"] == 6
    # the diagnostics page's figures are these, and no configured minutes are left
    diag = indicators.diagnostics(*MARCH)
    row = next(r for r in diag["units"] if r["unit_id"] == d.units["street-a"].pk)
    assert row["sign_to_reply_minutes"] == 1500 and "doc_minutes_per_order" not in row
    assert {r["profile"] for r in diag["profiles"]} == {"site", "consult"}
    # outside the period nothing is counted
    assert burden.burden(dt.date(2025, 4, 1), dt.date(2025, 4, 30))["district"]["orders"] == 0


def test_a_redo_round_counts_its_reply_and_its_time(district):
    d, p = district, district.people
    _site_order(d, 4)
    # a second order sent back once: two replies, one redo, the clock runs to the final reply
    with frozen(cst(2025, 3, 11, 8, 50)):
        oid = make_order(d, category="道路塌陷破损", title="西城路路面塌陷")
        actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    with frozen(cst(2025, 3, 11, 9)):
        actions.do_sign(oid, actor=p["liqiang"])
        actions.do_contact(oid, actor=p["liqiang"], text="电话联系来电人。")
        actions.do_attach(oid, actor=p["liqiang"], file=photo())
        actions.do_reply(oid, actor=p["liqiang"], responder="李强", process=PROCESS, outcome=OUTCOME,
                         contacted_caller=True)
    with frozen(cst(2025, 3, 11, 10)):
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["inconsistent"], checks={"factual": False},
                        note="来电人说路面仍未修补，答复与事实不符。")
    with frozen(cst(2025, 3, 12, 9)):
        actions.do_attach(oid, actor=p["liqiang"], file=photo("again.jpg"))  # a fresh photo for the new reply
        actions.do_reply(oid, actor=p["liqiang"], responder="李强", process=PROCESS, outcome=OUTCOME,
                         contacted_caller=True)
        actions.do_approve(oid, actor=p["zhoushen"])
    site = {r["profile"]: r for r in burden.burden(*MARCH)["profiles"]}["site"]
    assert site["orders"] == 2 and site["replies"] == 3 and site["redos_per_order"] == 0.5
    assert site["reviews_per_order"] == 1.5
    assert site["sign_to_reply_minutes"] == (25 * 60 + 24 * 60) / 2  # the median of two


def test_assess_json_reports_the_measured_burden(district):
    _site_order(district, 4)
    out = io.StringIO()
    call_command("assess", "--from", "2025-03-01", "--to", "2025-03-31", "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    row = next(r for r in rows if r["unit"] == district.units["street-a"].name)
    assert row["burden"]["orders"] == 1 and row["burden"]["photos_per_order"] == 2.0
    assert row["burden"]["sign_to_reply_minutes"] == 1500
    assert set(row["burden"]) == set(burden.MEASURES)


def test_the_reasons_report_counts_old_completeness_codes_as_form_only(district):
    """历史审核里“缺少现场证据”这样的旧完整性理由仍然计入统计，单独列为“仅因完整性驳回”。"""
    p = district.people
    from tests.orders.loop import bring_to
    with frozen(cst(2025, 3, 4, 9)):
        one = bring_to(district, State.REPLIED)
        actions.do_redo(one, actor=p["zhoushen"], reasons=["brush_off"], note="只让来电人去法院。",
                        checks={"answered": False})
        two = bring_to(district, State.REPLIED)
        old = actions.do_redo(two, actor=p["zhoushen"], reasons=["not_solved"], note="未说明后续安排。")
    Review.objects.filter(pk=old.pk).update(reasons=["no_evidence"], checks={})  # as stored before review by effect
    data = burden.reasons(*MARCH)
    assert data["district"]["redos"] == 2 and data["district"]["form_only"] == 1
    assert data["district"]["reasons"] == {"brush_off": 1, "no_evidence": 1}
    assert data["district"]["effect_noes"] == {"answered": 1}
    reviewer = data["reviewers"][0]
    assert reviewer["reviewer_id"] == p["zhoushen"].pk and reviewer["form_only_share"] == 0.5
    assert data["units"][0]["unit_id"] == district.units["street-a"].pk
