"""`hotline import` on hostile files: every row imported or rejected with its line and reason,
the file's other rows never lost, and no encoding guessed into garbled text."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from hotline.orders.importer import import_orders
from hotline.orders.models import WorkOrder
from tests.race import race

HEADER = "编号,标题,诉求内容,来电时间\n"


def _write(tmp_path: Path, data: str | bytes, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _run(path: Path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import", str(path), "--no-progress", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_it_rejects_a_one_megabyte_cell_by_line_and_keeps_the_rows_after_it(district, tmp_path):
    huge = "很" * (1024 * 1024)
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\n"
                  f"A-2,超长,{huge},\n"
                  "A-3,井盖缺失,望湖街井盖缺失,\n")
    code, out, _err = _run(path)
    assert set(WorkOrder.objects.values_list("idempotency_key", flat=True)) == {"csv:A-1", "csv:A-3"}
    assert "第3行：诉求内容：诉求内容过长（1048576字）" in out
    assert f"不能超过{settings.HOTLINE_MAX_DESCRIPTION}字" in out
    assert code == 1


def test_it_rejects_a_year_one_date_as_a_row_error(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,0001-01-01\nA-2,井盖缺失,望湖街井盖缺失,2023-07-01\n")
    report = import_orders(path, actor=district.people["wangfang"])
    assert report.created == 1
    assert [e.line for e in report.rejected] == [2]
    assert "早于2000-01-01" in report.rejected[0].reason


@pytest.mark.parametrize("when", ["1900-01-01", "1999-12-31 23:59:59", "9999-12-31 23:59:59", "2999-01-01"])
def test_it_rejects_a_date_outside_the_hotlines_lifetime(district, tmp_path, when):
    path = _write(tmp_path, HEADER + f"A-1,路灯不亮,湖滨路路灯不亮,{when}\n")
    report = import_orders(path, actor=district.people["wangfang"])
    assert report.created == 0
    assert [e.line for e in report.rejected] == [2]
    assert "来电时间" in report.rejected[0].reason


def test_it_takes_the_lower_date_bound_from_the_settings(district, tmp_path, settings):
    import datetime as dt

    settings.HOTLINE_EARLIEST_DATE = dt.date(1990, 1, 1)
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,1995-06-01 08:00\n")
    assert import_orders(path, actor=district.people["wangfang"]).created == 1


BIG5_TEXT = "title,description\n東湖路路面塌陷,東湖路口塌了一個坑很危險，請盡快處理\n錦華苑停水,錦華苑今天早上突然停水\n"
SHIFT_JIS_TEXT = "title,description\n道路陥没,東湖路の交差点で道路が陥没しています。危険です\n断水,今朝から突然断水しました\n"


@pytest.mark.parametrize(("text", "encoding"), [(BIG5_TEXT, "big5"), (SHIFT_JIS_TEXT, "shift_jis")],
                         ids=["big5", "shift_jis"])
def test_it_refuses_big5_and_shift_jis_instead_of_garbling_them(district, tmp_path, text, encoding):
    code, _out, err = _run(_write(tmp_path, text.encode(encoding)))
    assert code == 2
    assert "UTF-8" in err and "GBK" in err
    assert not WorkOrder.objects.exists()


def test_it_refuses_even_a_tiny_big5_file(district, tmp_path):
    code, _out, err = _run(_write(tmp_path, "title,description\n停水,停水\n".encode("big5")))
    assert code == 2
    assert "GBK" in err
    assert not WorkOrder.objects.exists()


def test_it_still_reads_gbk_with_a_few_rare_characters(district, tmp_path):
    text = "title,description,caller_name\n东湖路路面塌陷,东湖路口塌了一个坑很危险，请尽快处理,王喆\n"
    code, out, _err = _run(_write(tmp_path, text.encode("gbk")))
    assert code == 0
    assert "文件编码：gb18030" in out
    assert WorkOrder.objects.get().caller_name == "王喆"


def test_it_reads_utf16_with_a_bom(district, tmp_path):
    code, out, _err = _run(_write(tmp_path, (HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\n").encode("utf-16")))
    assert code == 0
    assert "文件编码：utf-16" in out
    assert WorkOrder.objects.get().title == "路灯不亮"


def test_it_rejects_the_row_with_a_nul_byte_by_line_and_keeps_the_others(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\nA-2,井盖\x00缺失,望湖街井盖缺失,\nA-3,停水,锦华苑停水,\n")
    code, out, _err = _run(path)
    assert "文件编码：utf-8" in out
    assert "第3行：" in out and "NUL" in out
    assert set(WorkOrder.objects.values_list("idempotency_key", flat=True)) == {"csv:A-1", "csv:A-3"}
    assert code == 1


def test_it_rejects_a_repeated_number_with_other_content_naming_both_lines(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\nA-2,停水,锦华苑停水,\nA-1,井盖缺失,望湖街井盖缺失,\n")
    report = import_orders(path, actor=district.people["wangfang"])
    assert report.created == 2
    assert [(e.line, e.reason) for e in report.rejected] == [
        (4, "编号“A-1”与第2行重复，但内容不同；同一编号只能对应一张工单。")]
    assert WorkOrder.objects.get(idempotency_key="csv:A-1").title == "路灯不亮"


def test_it_rejects_a_number_imported_before_with_other_content(district, tmp_path):
    import_orders(_write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\n"), actor=district.people["wangfang"])
    report = import_orders(_write(tmp_path, HEADER + "A-1,井盖缺失,望湖街井盖缺失,\n", name="b.csv"),
                           actor=district.people["wangfang"])
    assert (report.created, report.duplicates) == (0, 0)
    assert [e.line for e in report.rejected] == [2]
    assert "已导入" in report.rejected[0].reason and "内容不同" in report.rejected[0].reason


def test_it_counts_a_file_imported_again_by_another_user_as_already_imported(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\n")
    import_orders(path, actor=district.people["wangfang"])
    report = import_orders(path, actor=district.people["chengang"])
    assert (report.created, report.duplicates, report.rejected) == (0, 1, [])


def test_it_exits_0_when_every_row_was_imported_or_already_there(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,路灯不亮,湖滨路路灯不亮,\n")
    assert _run(path)[0] == 0
    assert _run(path)[0] == 0


def test_it_trims_cells_and_keeps_a_formula_like_cell_as_written(district, tmp_path):
    path = _write(tmp_path, HEADER + "A-1,  =1+1  ,\t=HYPERLINK(\"x\") 内容\t,\n")
    import_orders(path, actor=district.people["wangfang"])
    order = WorkOrder.objects.get()
    assert (order.title, order.description) == ("=1+1", '=HYPERLINK("x") 内容')


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_imports_of_one_file_both_end_cleanly_and_import_each_row_once(tmp_path):
    from hotline.demo.district import build_district

    district = build_district(password="pw")
    rows = "".join(f"B-{i},路灯不亮{i},湖滨路{i}号路灯不亮,\n" for i in range(300))
    path = _write(tmp_path, HEADER + rows)
    results = race([lambda: import_orders(path, actor=district.people["wangfang"], batch_size=50)] * 2, timeout=120)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.created for r in results) == 300
    assert sum(r.duplicates for r in results) == 300
    assert all(r.rejected == [] for r in results)
    assert WorkOrder.objects.filter(idempotency_key__startswith="csv:B-").count() == 300
