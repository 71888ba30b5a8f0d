"""`hotline triage train / evaluate / duplicates` on any CSV, and their clear errors."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout

import pytest
from django.core.management import CommandError, call_command

from .conftest import generated_rows


def _write(path, header, rows, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _run(*args) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("triage", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def labelled(tmp_path):
    # Column names and labels unlike the shared data's, on purpose.
    rows = [(text, name) for text, name, _path in generated_rows(n_per_class=12)]
    return _write(tmp_path / "train.csv", ["内容", "类别"], rows)


def test_it_trains_and_evaluates_on_any_columns_and_labels(tmp_path, labelled):
    model = tmp_path / "out" / "m.joblib"
    info = json.loads(_run("train", "--input", str(labelled), "--text-col", "内容", "--label-col", "类别",
                           "--out", str(model)))
    assert model.exists() and info["classes"] == 6
    test = _write(tmp_path / "test.csv", ["内容", "类别"],
                  [(t, n) for t, n, _p in generated_rows(n_per_class=5, seed=3)])
    result = json.loads(_run("evaluate", "--model", str(model), "--input", str(test), "--text-col", "内容",
                             "--label-col", "类别").strip().splitlines()[-1])
    assert result["n"] == 30
    assert result["macro_f1"] >= 0.8 and result["accuracy"] >= 0.8 and result["docs_per_s"] > 0


def test_it_reads_a_gbk_file(tmp_path):
    rows = [(t, n) for t, n, _p in generated_rows(n_per_class=8)]
    gbk = _write(tmp_path / "gbk.csv", ["text", "label"], rows, encoding="gbk")
    info = json.loads(_run("train", "--input", str(gbk), "--text-col", "text", "--label-col", "label",
                           "--out", str(tmp_path / "m.joblib"), "--no-calibrate"))
    assert info["encoding"] == "gb18030"


def test_a_missing_column_is_named_in_the_error(labelled, tmp_path):
    with pytest.raises(CommandError, match="缺少列：标题.*内容、类别"):
        _run("train", "--input", str(labelled), "--text-col", "标题", "--label-col", "类别",
             "--out", str(tmp_path / "m.joblib"))


def test_an_unknown_encoding_is_reported_not_a_traceback(tmp_path):
    weird = tmp_path / "utf16.csv"
    weird.write_bytes("text,label\n路灯不亮,市政\n".encode("utf-16"))
    with pytest.raises(CommandError, match="编码"):
        _run("train", "--input", str(weird), "--text-col", "text", "--label-col", "label",
             "--out", str(tmp_path / "m.joblib"))


def test_a_missing_file_or_model_is_reported(tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        _run("train", "--input", str(tmp_path / "none.csv"), "--text-col", "a", "--label-col", "b",
             "--out", str(tmp_path / "m.joblib"))
    with pytest.raises(CommandError, match="找不到模型文件"):
        _run("evaluate", "--model", str(tmp_path / "none.joblib"), "--input", str(tmp_path / "x.csv"),
             "--text-col", "a", "--label-col", "b")


def test_one_label_only_is_reported(tmp_path):
    one = _write(tmp_path / "one.csv", ["t", "l"], [("路灯不亮", "甲"), ("路灯坏了", "甲")])
    with pytest.raises(CommandError, match="至少需要两个类别"):
        _run("train", "--input", str(one), "--text-col", "t", "--label-col", "l", "--out", str(tmp_path / "m"))


def test_it_writes_groups_of_duplicates_and_repeats(tmp_path):
    src = _write(tmp_path / "msgs.csv", ["id", "who", "when", "body"], [
        ("m1", "u1", "2024/5/1 10:00:00", "东湖路与湖滨路交叉口路面塌陷，有一个大坑，很危险"),
        ("m2", "u2", "2024/5/1 11:00:00", "东湖路湖滨路交叉口路面塌陷了一个大坑，很危险"),
        ("m3", "u3", "2024/5/2 09:00:00", "孩子小学报名需要什么材料"),
        ("m4", "u3", "2024/5/9 09:00:00", "孩子小学报名需要准备什么材料？"),
        ("m5", "u4", "2024/5/9 09:00:00", "🐶" * 3 + "x" * 50_000),
    ])
    out = tmp_path / "groups.csv"
    call_command("triage", "duplicates", "--input", str(src), "--text-col", "body", "--time-col", "when",
                 "--user-col", "who", "--id-col", "id", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    got = {(r["kind"], r["group"], r["row"]) for r in rows}
    assert got == {("duplicate", "m1", "m1"), ("duplicate", "m1", "m2"), ("repeat", "m3", "m3"), ("repeat", "m3", "m4")}


def test_duplicates_work_without_time_or_user_columns(tmp_path):
    src = _write(tmp_path / "plain.csv", ["body"], [("路灯不亮很久了没人修",), ("路灯不亮很久了，没人修",), ("",)])
    out = tmp_path / "g.csv"
    call_command("triage", "duplicates", "--input", str(src), "--text-col", "body", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert {r["row"] for r in rows} == {"1", "2"} and {r["kind"] for r in rows} == {"duplicate"}


def test_run_and_retrain_work_on_the_systems_own_orders(district):
    from tests.conftest import make_order

    oid = make_order(district, category="路灯不亮")
    out = io.StringIO()
    call_command("triage", "run", str(oid), stdout=out)
    line = json.loads(out.getvalue().splitlines()[0])
    assert line["order"] == oid and "auto_dispatched" in {d["kind"] for d in line["decisions"]}
    out = io.StringIO()
    call_command("triage", "retrain", stdout=out)
    assert json.loads(out.getvalue())["category"]["trained"] is False  # too few closed orders yet
