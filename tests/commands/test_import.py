"""`hotline import FILE.csv`: good rows kept, bad rows reported by line, encodings, idempotency."""

from __future__ import annotations

import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from hotline.directory.taxonomy import load_taxonomy
from hotline.orders.importer import import_orders
from hotline.orders.models import Event, WorkOrder
from hotline.orders.trace import verify_all

TEMPLATE = Path(__file__).resolve().parents[2] / "src/hotline/orders/templates_csv/orders_template.csv"

GOOD_AND_BAD = (
    "title,description,caller_phone,area,category,received_at,urgency\n"
    "东湖路路面塌陷,东湖路口塌了一个坑很危险,13812345678,东湖街道,道路塌陷破损,2023-07-01 09:30:00,一般\n"
    ",没有标题的诉求,13812345678,,,,\n"
    "来电时间不对,内容,,,,2023-13-45 10:00,\n"
    "区域和分类不对,内容,,火星,不存在的分类,,\n"
    "电话不对,内容,12,,,,\n"
    "列数不对,a,b,c\n"
    "锦华苑停水,锦华苑今天早上突然停水,010-62345678,west-city,公共服务/供水/停水,2023-07-01T10:05:00+08:00,水电气热\n"
)


def _run(path: Path, *args: str, code: int | None = None) -> str:
    """The command's stdout; `code`: the exit status it must end with (0 or 1; any when None)."""
    out = StringIO()
    try:
        call_command("import", str(path), "--no-progress", *args, stdout=out, stderr=StringIO())
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    assert code is None or status == code, (status, out.getvalue())
    return out.getvalue()


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_it_keeps_good_rows_and_reports_each_bad_row_by_line_with_exit_1(district, tmp_path):
    out = _run(_write(tmp_path, GOOD_AND_BAD), code=1)
    assert WorkOrder.objects.count() == 2
    assert "读取 7 行；新建 2 张工单；跳过重复 0 行；拒绝 5 行。" in out
    assert "第3行：标题：请填写标题" in out
    assert "第4行：来电时间“2023-13-45 10:00”格式不正确" in out
    assert "第5行：未知的区域“火星”；未知的诉求类型“不存在的分类”" in out
    assert "第6行：联系电话：电话号码格式不正确" in out
    assert "第7行：列数不符：应为7列，实为4列" in out
    water = WorkOrder.objects.get(title="锦华苑停水")
    assert (water.area.code, water.category.name, water.urgency) == ("west-city", "停水", "utility")
    assert water.received_at.isoformat() == "2023-07-01T02:05:00+00:00"
    pothole = WorkOrder.objects.get(title="东湖路路面塌陷")
    # a naive time in the file is China time
    assert pothole.received_at.isoformat() == "2023-07-01T01:30:00+00:00"
    assert Event.objects.filter(action="create").count() == 2
    assert list(verify_all()) == []


def test_it_reads_a_gbk_file(district, tmp_path):
    out = _run(_write(tmp_path, GOOD_AND_BAD, encoding="gbk"))
    assert "文件编码：gb18030" in out
    assert set(WorkOrder.objects.values_list("title", flat=True)) == {"东湖路路面塌陷", "锦华苑停水"}


def test_it_reads_utf8_with_a_bom_and_chinese_headers(district):
    out = _run(TEMPLATE, code=0)
    assert "新建 2 张工单" in out
    assert WorkOrder.objects.filter(caller_name="张先生", area__code="east-lake").exists()


def test_it_skips_rows_imported_before(district, tmp_path):
    path = _write(tmp_path, GOOD_AND_BAD)
    _run(path)
    _run(TEMPLATE)
    assert "新建 0 张工单；跳过重复 2 行；拒绝 5 行" in _run(path)
    assert "新建 0 张工单；跳过重复 2 行；拒绝 0 行" in _run(TEMPLATE)
    assert WorkOrder.objects.count() == 4


def test_it_counts_a_row_repeated_within_one_file_once(district, tmp_path):
    header = "编号,标题,诉求内容\n"
    path = _write(tmp_path, header + "A-1,路灯不亮,湖滨路路灯不亮\nA-1,路灯不亮,湖滨路路灯不亮\nA-2,路灯不亮,望湖街路灯不亮\n")
    out = _run(path)
    assert "新建 2 张工单；跳过重复 1 行" in out
    assert set(WorkOrder.objects.values_list("idempotency_key", flat=True)) == {"csv:A-1", "csv:A-2"}


def test_it_refuses_a_file_without_required_columns_with_exit_2(district, tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import", str(_write(tmp_path, "名称,内容\n一,二\n")), "--no-progress", stdout=StringIO(),
                     stderr=err)
    assert exc.value.code == 2
    assert "缺少必需的列：标题（title）、诉求内容（description）" in err.getvalue()
    assert not WorkOrder.objects.exists()


def test_it_refuses_an_unreadable_file_with_exit_2(district, tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import", str(tmp_path / "missing.csv"), stdout=StringIO(), stderr=err)
    assert exc.value.code == 2
    assert "无法读取文件" in err.getvalue()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)
    with pytest.raises(SystemExit) as exc:
        call_command("import", str(binary), stdout=StringIO(), stderr=err)
    assert exc.value.code == 2
    assert "无法识别文件" in err.getvalue()


def test_it_numbers_lines_after_a_quoted_multiline_field(district, tmp_path):
    text = '标题,诉求内容\n多行,"第一行\n第二行"\n,空标题\n'
    out = _run(_write(tmp_path, text))
    assert "第4行：标题：请填写标题" in out
    assert WorkOrder.objects.get(title="多行").description == "第一行\n第二行"


def test_it_asks_for_the_full_path_when_a_leaf_name_is_ambiguous(district, tmp_path):
    load_taxonomy(_write(tmp_path, "一级分类,二级分类,三级分类\n甲,乙,停水\n", name="tax.csv"))
    report = import_orders(_write(tmp_path, "标题,诉求内容,诉求类型\n停水,小区停水,停水\n停水,小区停水了,甲/乙/停水\n"),
                           actor=district.people["wangfang"])
    assert report.created == 1
    assert [e.line for e in report.rejected] == [2]
    assert "不唯一" in report.rejected[0].reason
    assert WorkOrder.objects.get().category.path == "甲/乙/停水"


def test_it_reports_a_missing_history_importer_with_exit_2(district, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hotline.assessment.history", None)  # import now fails
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import", str(TEMPLATE), "--history", stdout=StringIO(), stderr=err)
    assert exc.value.code == 2
    assert "--history" in err.getvalue()


def test_it_refuses_a_user_who_may_not_take_orders_in_with_exit_2(district):
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import", str(TEMPLATE), "--as", "zhoushen", "--no-progress", stdout=StringIO(), stderr=err)
    assert exc.value.code == 2
    assert "无权受理" in err.getvalue()
    assert not WorkOrder.objects.exists()
