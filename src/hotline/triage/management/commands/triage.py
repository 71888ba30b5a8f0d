"""`hotline triage ...`: train, evaluate and find duplicates on any CSV, and run triage on the
system's own orders.

    hotline triage train --input FILE.csv --text-col COL --label-col COL --out MODEL
    hotline triage evaluate --model MODEL --input FILE.csv --text-col COL --label-col COL
    hotline triage duplicates --input FILE.csv --text-col COL [--time-col COL] [--user-col COL] [--out FILE]
    hotline triage retrain          (from closed orders and review corrections; makes them active)
    hotline triage run ORDER_ID...  (triage orders now, without the task queue)

Nothing here assumes a label set or column names. Errors are one line in Chinese, never a
traceback.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.errors import DomainError
from hotline.triage.duplicates import group_rows, write_groups
from hotline.triage.textmodel import ModelError, TextClassifier
from hotline.triage.training import evaluate, load_model, read_csv, save_model


class Command(BaseCommand):
    help = "智能甄别：训练和评估分类模型、查找重复诉求（train / evaluate / duplicates / retrain / run）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        train = sub.add_parser("train", help="从CSV训练分类模型")
        train.add_argument("--input", required=True)
        train.add_argument("--text-col", required=True)
        train.add_argument("--label-col", required=True)
        train.add_argument("--out", required=True, help="模型文件路径")
        train.add_argument("--no-calibrate", action="store_true", help="不做置信度校准（更快）")
        ev = sub.add_parser("evaluate", help="在带标签的CSV上评估模型，输出一行JSON")
        ev.add_argument("--model", required=True)
        ev.add_argument("--input", required=True)
        ev.add_argument("--text-col", required=True)
        ev.add_argument("--label-col", required=True)
        dup = sub.add_parser("duplicates", help="在CSV中查找重复诉求（同人同事）和多人同事，输出CSV")
        dup.add_argument("--input", required=True)
        dup.add_argument("--text-col", required=True)
        dup.add_argument("--time-col")
        dup.add_argument("--user-col")
        dup.add_argument("--id-col", help="输出中用来标识行的列（默认行号）")
        dup.add_argument("--threshold", type=float, default=0.5, help="多人同事的相似度阈值（0–1）")
        dup.add_argument("--repeat-threshold", type=float, default=0.3, help="同人同事的相似度阈值（0–1）")
        dup.add_argument("--window-days", type=int, default=90)
        dup.add_argument("--out", help="输出文件（默认标准输出）")
        sub.add_parser("retrain", help="用已办结工单和复核纠正重新训练并启用")
        run = sub.add_parser("run", help="立即对指定工单运行智能甄别")
        run.add_argument("order_ids", nargs="+", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"do_{opts['sub']}")(opts)
        except (ModelError, DomainError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from None
        except (OSError, MemoryError) as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from None

    def do_train(self, opts: dict[str, Any]) -> None:
        data, enc = read_csv(opts["input"], [opts["text_col"], opts["label_col"]])
        t0 = time.perf_counter()
        model = TextClassifier(calibrate=not opts["no_calibrate"]).fit(data[opts["text_col"]],
                                                                        data[opts["label_col"]])
        path = save_model(model, opts["out"], kind="csv", source=str(opts["input"]))
        self.stdout.write(json.dumps({
            "model": str(path), "n": model.n_train, "classes": len(model.classes_), "encoding": enc,
            "train_secs": round(time.perf_counter() - t0, 1),
        }, ensure_ascii=False))

    def do_evaluate(self, opts: dict[str, Any]) -> None:
        bundle = load_model(opts["model"])
        data, _enc = read_csv(opts["input"], [opts["text_col"], opts["label_col"]])
        result = evaluate(bundle["classifier"], data[opts["text_col"]], data[opts["label_col"]])
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def do_duplicates(self, opts: dict[str, Any]) -> None:
        cols = [c for c in (opts["text_col"], opts.get("time_col"), opts.get("user_col"), opts.get("id_col")) if c]
        data, _enc = read_csv(opts["input"], list(dict.fromkeys(cols)))
        groups = group_rows(
            data[opts["text_col"]],
            times=data.get(opts["time_col"]) if opts.get("time_col") else None,
            users=data.get(opts["user_col"]) if opts.get("user_col") else None,
            threshold=opts["threshold"], repeat_threshold=opts["repeat_threshold"],
            window_days=opts["window_days"],
        )
        ids = data[opts["id_col"]] if opts.get("id_col") else None
        if opts.get("out"):
            with open(opts["out"], "w", encoding="utf-8-sig", newline="") as fh:
                n = write_groups(fh, groups, data[opts["text_col"]], ids)
            self.stderr.write(f"{n} 行写入 {opts['out']}")
        else:
            write_groups(sys.stdout, groups, data[opts["text_col"]], ids)

    def do_retrain(self, opts: dict[str, Any]) -> None:
        from hotline.triage.pipeline import retrain_from_orders

        self.stdout.write(json.dumps(retrain_from_orders(), ensure_ascii=False))

    def do_run(self, opts: dict[str, Any]) -> None:
        from hotline.triage.pipeline import triage_order

        for oid in opts["order_ids"]:
            made = triage_order(oid)
            self.stdout.write(json.dumps({"order": oid, "decisions": [
                {"kind": d.kind, "reason": d.reason, "confidence": d.confidence} for d in made]}, ensure_ascii=False))
