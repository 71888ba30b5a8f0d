"""`hotline import --history` on hostile files: each bad row rejected with its line and reason,
the other rows kept, no encoding guessed into garbled text, nothing cut silently."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from hotline.assessment.history import import_history
from hotline.orders.models import WorkOrder
from tests.race import race

HEADER = "工单编号,来电时间,诉求内容,承办单位,标题\n"


def _write(tmp_path: Path, data: str | bytes) -> Path:
    path = tmp_path / "history.csv"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _run(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return import_history(path, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_it_rejects_a_one_megabyte_description_by_line_instead_of_cutting_it(district, tmp_path):
    huge = "很" * (1024 * 1024)
    path = _write(tmp_path, HEADER + "H1,2023-07-01 09:00,路灯不亮,东湖街道办事处,\n"
                  f"H2,2023-07-01 09:00,{huge},东湖街道办事处,\n"
                  "H3,2023-07-01 09:00,井盖缺失,东湖街道办事处,\n")
    rc, _out, err = _run(path)
    assert set(WorkOrder.objects.values_list("number", flat=True)) == {"H1", "H3"}
    assert "第3行：" in err and f"不能超过{settings.HOTLINE_MAX_DESCRIPTION}字" in err
    assert rc == 1


def test_it_rejects_dates_outside_the_hotlines_lifetime_by_line(district, tmp_path):
    path = _write(tmp_path, HEADER + "H1,0001-01-01,路灯不亮,东湖街道办事处,\nH2,1900-01-01,路灯不亮,东湖街道办事处,\n"
                  "H3,2023-07-01 09:00,井盖缺失,东湖街道办事处,\nH4,2999-01-01,路灯不亮,东湖街道办事处,\n")
    rc, _out, err = _run(path)
    assert list(WorkOrder.objects.values_list("number", flat=True)) == ["H3"]
    assert "第2行：" in err and "第3行：" in err and "第5行：" in err
    assert rc == 1


def test_it_refuses_a_big5_file(district, tmp_path):
    text = "number,received_at,description,unit\nH1,2023-07-01 09:00,東湖路口塌了一個坑很危險，請盡快處理,東湖街道辦事處\n"
    rc, _out, err = _run(_write(tmp_path, text.encode("big5")))
    assert rc == 2
    assert "UTF-8" in err and "GBK" in err
    assert not WorkOrder.objects.exists()


def test_it_rejects_a_nul_row_and_numbers_lines_after_a_multiline_cell(district, tmp_path):
    path = _write(tmp_path, HEADER + 'H1,2023-07-01 09:00,"第一行\n第二行",东湖街道办事处,\n'
                  "H2,2023-07-01 09:00,井盖\x00缺失,东湖街道办事处,\nH3,2023-07-01 09:00,停水,东湖街道办事处,\n")
    rc, _out, err = _run(path)
    assert set(WorkOrder.objects.values_list("number", flat=True)) == {"H1", "H3"}
    assert "第4行：" in err and "NUL" in err
    assert rc == 1


def test_it_rejects_a_unit_name_too_long_instead_of_cutting_it(district, tmp_path):
    path = _write(tmp_path, HEADER + f"H1,2023-07-01 09:00,路灯不亮,{'长' * 150}街道,\n")
    rc, _out, err = _run(path)
    assert not WorkOrder.objects.exists()
    assert "第2行：" in err and "承办单位" in err
    assert rc == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_history_imports_both_end_cleanly(tmp_path):
    from hotline.demo.district import build_district

    build_district(password="pw")
    path = _write(tmp_path, HEADER + "".join(f"H{i},2023-07-01 09:00,路灯不亮{i},东湖街道办事处,\n" for i in range(200)))
    codes = race([lambda: _run(path)[0]] * 2, timeout=120)
    assert codes == [0, 0]
    assert WorkOrder.objects.filter(number__startswith="H").count() == 200
