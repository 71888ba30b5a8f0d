"""Exports: cells a spreadsheet would evaluate are neutralised, personal data goes only to the
roles with the full-number right (and each such export is in the security log), an unknown
format is a 404."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from hotline.audit.models import AuditEntry
from hotline.exports import neutralise
from tests.conftest import make_order

EVIL_TITLE = '=HYPERLINK("http://evil.example","点我")'


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def csv_text(response):
    return b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else \
        response.content.decode("utf-8-sig")


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1", "\n=1", "  =1", "＝1+1",
                                   "＋1", "－1", "＠A1"])
def test_it_prefixes_every_formula_trigger_with_an_apostrophe(value):
    assert neutralise(value) == "'" + value


def test_it_leaves_plain_text_and_numbers_alone():
    assert neutralise("东湖路路面塌陷") == "东湖路路面塌陷"
    assert neutralise(-3) == -3 and neutralise(0.5) == 0.5


def test_it_neutralises_a_formula_title_and_caller_in_the_csv_export(district):
    make_order(district, title=EVIL_TITLE, caller_name="=1+2")
    text = csv_text(as_user(district.people["chengang"]).get("/orders/export.csv"))
    assert "'=HYPERLINK(" in text and "'=1+2" in text
    assert ',"=HYPERLINK' not in text and ",=1+2" not in text


def test_it_writes_a_formula_title_as_an_inert_string_cell_in_the_xlsx_export(district):
    make_order(district, title=EVIL_TITLE, caller_name="\t=1+1")
    r = as_user(district.people["chengang"]).get("/orders/export.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    title = ws.cell(row=2, column=header.index("标题") + 1)
    caller = ws.cell(row=2, column=header.index("来电人") + 1)
    for cell in (title, caller):
        assert cell.data_type == "s"
        assert cell.value.startswith("'") or cell.quotePrefix
    assert title.value.lstrip("'") == EVIL_TITLE
    redo = ws.cell(row=2, column=header.index("重办次数") + 1)
    assert redo.value == 0 and redo.data_type == "n"


def test_it_answers_an_unknown_export_format_with_404(district):
    make_order(district)
    assert as_user(district.people["chengang"]).get("/orders/export.pdf").status_code == 404


def test_it_records_an_export_of_personal_data_in_the_security_log(district):
    make_order(district)
    make_order(district, area="west-city")
    c = as_user(district.people["liudu"])
    text = csv_text(c.get(f"/orders/export.csv?area={district.areas['west-city'].pk}"))
    assert "13812345678" in text
    entry = AuditEntry.objects.get(kind="export")
    assert entry.actor == district.people["liudu"]
    assert entry.data["rows"] == 1 and entry.data["filter"]["area"] == str(district.areas["west-city"].pk)


@pytest.mark.parametrize("who", ["wangfang", "liqiang", "admin"])
def test_it_exports_without_personal_columns_for_roles_without_the_right(district, who):
    oid = make_order(district, caller_name="张先生")
    from hotline.orders import actions

    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    text = csv_text(as_user(district.people[who]).get("/orders/export.csv"))
    assert "东湖路路面塌陷" in text
    assert "张先生" not in text and "5678" not in text and "联系电话" not in text
    assert not AuditEntry.objects.filter(kind="export").exists()


def test_it_finds_an_order_by_its_callers_name(district):
    make_order(district, caller_name="欧阳娜娜", title="东湖路路面塌陷")
    make_order(district, caller_name="张先生", title="西城路面塌陷", area="west-city")
    page = as_user(district.people["chengang"]).get("/orders/?q=欧阳").content.decode()
    assert "东湖路路面塌陷" in page and "西城路面塌陷" not in page


def test_it_neutralises_the_screening_statistics_csv(district, monkeypatch):
    from hotline.triage import pipeline

    monkeypatch.setattr(pipeline, "flag_statistics", lambda: [
        {"month": "2026-11", "code": "abuse", "label": "=1+2", "flagged": 3, "confirmed": 1, "overridden": 0,
         "screened_out": 1}])
    r = as_user(district.people["liudu"]).get("/triage/stats/?format=csv")
    text = csv_text(r)
    assert "'=1+2" in text and ",3," in text


def test_it_neutralises_an_order_title_in_the_assessment_gaps_export(district, monkeypatch):
    from hotline.assessment import indicators

    monkeypatch.setattr(indicators, "gaps", lambda first, last: {"orders": [
        {"order_id": 1, "number": "N1", "title": EVIL_TITLE, "category": "c", "returned_by": "u",
         "authority": "a", "state": "s"}]})
    r = as_user(district.people["liudu"]).get("/assessment/gaps/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    cell = ws.cell(row=2, column=2)
    assert cell.data_type == "s" and (cell.value.startswith("'") or cell.quotePrefix)
    assert as_user(district.people["liudu"]).get("/assessment/gaps/?format=pdf").status_code == 404


def test_it_neutralises_texts_in_the_duplicate_groups_file():
    from hotline.triage.duplicates import Link, write_groups

    buf = io.StringIO()
    write_groups(buf, [Link(0, 0, "duplicate", 1.0)], ["=1+2 路灯不亮"])
    assert buf.getvalue().splitlines()[1].endswith(",'=1+2 路灯不亮")
