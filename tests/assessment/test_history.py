"""History import: the template loads, the trace stays honest, bad input is reported."""

import csv
import io
import json
from pathlib import Path

from django.core.management import call_command

from hotline.assessment.history import import_history, import_rows
from hotline.directory.models import Unit
from hotline.orders.models import Callback, Event, OrderReturn, Reply, Review, WorkOrder
from hotline.orders.states import TRANSITIONS, Action, State
from hotline.orders.trace import verify_all
from tests.assessment.conftest import hist

TEMPLATE = Path(__file__).resolve().parents[2] / "src/hotline/assessment/templates_csv/history_template.csv"


def _run(path):
    out, err = io.StringIO(), io.StringIO()
    return import_history(path, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_it_loads_the_template_with_whole_lives_and_an_honest_trace(district):
    rc, out, err = _run(TEMPLATE)
    assert rc == 0, err
    assert "导入2张工单" in out
    heating = WorkOrder.objects.get(number="2023070100002")
    assert heating.state == State.CLOSED and heating.imported
    assert heating.lead_unit == district.units["enforcement"]
    assert heating.category == district.categories["新建小区未供暖"]
    assert (heating.redo_count, heating.return_count) == (1, 2)
    assert Reply.objects.filter(order=heating).count() == 2
    assert list(Review.objects.filter(order=heating).order_by("at", "pk").values_list("decision", flat=True)) == [
        "redo", "approve"]
    assert OrderReturn.objects.filter(order=heating).count() == 2
    cb = Callback.objects.get(order=heating)
    assert (cb.valid, cb.resolved, cb.satisfaction) == (True, False, "unsatisfied")
    events = list(Event.objects.filter(order=heating).order_by("seq"))
    assert all(e.imported for e in events)
    assert events[0].at.isoformat().startswith("2023-07-01T02:12")  # 10:12 China time
    # the state path follows the state machine, step by step
    for e in events[1:]:
        assert TRANSITIONS[(State(e.from_state), Action(e.action))] == State(e.to_state)
    assert [e.action for e in events] == ["create", "dispatch", "return", "reject_return", "return", "reject_return",
                                          "sign", "reply", "redo", "reply", "approve", "callback"]
    assert list(verify_all()) == []


def test_it_creates_missing_units_areas_and_categories_and_reports_them(district, tmp_path):
    row = hist("N1", "新区管委会", area="新城片区", category="城乡建设/园林绿化/树木修剪")
    out = io.StringIO()
    path = tmp_path / "gbk.csv"
    with path.open("w", encoding="gbk", newline="") as f:  # an old system's export in GBK
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    rc = import_history(path, stdout=out, stderr=io.StringIO())
    assert rc == 0
    text = out.getvalue()
    assert "新建单位（1）：新区管委会" in text and "新建区域（1）：新城片区" in text
    assert "城乡建设/园林绿化/树木修剪" in text
    assert Unit.objects.get(name="新区管委会").handles_orders


def test_it_refuses_a_file_without_required_columns(district, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("工单编号,标题\n1,x\n", encoding="utf-8")
    rc, _out, err = _run(path)
    assert rc == 2
    assert "来电时间" in err and "承办单位" in err
    assert _run(tmp_path / "missing.csv")[0] == 2


def test_it_reports_bad_rows_and_keeps_the_good_ones(district):
    rows = [hist("OK1", "东湖街道办事处"), hist("BAD1", "东湖街道办事处", received_at="yesterday"),
            hist("BAD2", "东湖街道办事处", satisfaction="很好"), hist("BAD3", "东湖街道办事处", caller_phone="12")]
    summary = import_rows(rows)
    assert summary.created == 1
    assert [line for line, _msg in summary.errors] == [3, 4, 5]


def test_importing_twice_skips_what_is_already_there(district):
    assert _run(TEMPLATE)[0] == 0
    rc, out, _err = _run(TEMPLATE)
    assert rc == 0 and "导入0张工单，已存在跳过2张" in out
    assert WorkOrder.objects.count() == 2


def test_the_import_command_path_gives_the_assess_command_its_figures(district):
    assert _run(TEMPLATE)[0] == 0
    out = io.StringIO()
    call_command("assess", "--from", "2023-07-01", "--to", "2023-07-31", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    by_unit = {row["unit"]: row for row in lines}
    assert set(by_unit) == {"东湖街道办事处", "区城市管理综合行政执法局"}
    heating = by_unit["区城市管理综合行政执法局"]
    assert heating["redo_rate"] == 0.5 and heating["resolution_rate"] == 0.0 and heating["gaming"] == []
    for key in ("unit", "orders", "response_rate", "resolution_rate", "satisfaction_rate", "composite", "redo_rate",
                "return_rate", "resolution_vs_expected", "satisfaction_vs_expected", "gaming"):
        assert key in heating


def test_hotline_import_history_runs_the_history_import(district):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", "--history", str(TEMPLATE), stdout=out, stderr=err)
    except SystemExit as exc:  # the command may exit with the import's code
        assert exc.code in (0, None)
    assert "导入2张工单" in out.getvalue()
    assert WorkOrder.objects.filter(imported=True).count() == 2
