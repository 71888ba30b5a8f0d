"""`hotline import FILE.csv`: load orders from a CSV file through the intake action.

Exit status 0 when every row was imported (or had been before), 1 when some rows were rejected
(they are listed by line; the other rows are imported), 2 when the file cannot be read, is in no
accepted encoding or lacks required columns. `--history` hands the file to the
assessment's history importer instead (closed orders of past years, for baselines)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from hotline.directory.models import User
from hotline.errors import DomainError
from hotline.orders.actions import system_user
from hotline.orders.importer import BATCH_SIZE, import_orders

MAX_LISTED = 200  # rejected rows printed; the count is always complete


class Command(BaseCommand):
    help = "从CSV文件导入工单（Import work orders from a CSV file）。列说明见 docs/import.md。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV文件（UTF-8、带BOM的UTF-16 或 GBK 编码）")
        parser.add_argument("--as", dest="username", default="", help="以哪个用户的身份受理（默认：系统账号）")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="每批写入的行数（默认1000）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument("--history", action="store_true", help="作为历史工单导入（交给考核模块的历史导入）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if options["history"]:
            self._history(path)
            return
        actor = self._actor(options["username"])
        quiet = options["no_progress"] or options["verbosity"] == 0

        def bar(total: int) -> Any:
            return tqdm(total=total, file=self.stderr._out, unit="行", desc="导入", disable=quiet,
                        dynamic_ncols=True)

        try:
            report = import_orders(path, actor=actor, batch_size=max(1, options["batch_size"]), progress=bar)
        except DomainError as exc:  # the file as a whole is unusable, or the user may not take orders in
            self.stderr.write(f"导入失败：{exc.message}")
            sys.exit(2)
        self.stdout.write(f"文件编码：{report.encoding}")
        self.stdout.write(f"读取 {report.read} 行；新建 {report.created} 张工单；"
                          f"跳过重复 {report.duplicates} 行；拒绝 {len(report.rejected)} 行。")
        for error in report.rejected[:MAX_LISTED]:
            self.stdout.write(f"  {error}")
        if len(report.rejected) > MAX_LISTED:
            self.stdout.write(f"  ……另有 {len(report.rejected) - MAX_LISTED} 行被拒绝，未逐一列出。")
        if report.rejected:
            # a script running the import must notice: 1 = some rows need fixing and importing again
            sys.exit(1)

    def _actor(self, username: str) -> User:
        if not username:
            return system_user()
        user = User.objects.filter(username=username).first()
        if user is None:
            self.stderr.write(f"导入失败：用户“{username}”不存在。")
            sys.exit(2)
        return user

    def _history(self, path: str) -> None:
        try:
            from hotline.assessment.history import import_history
        except ImportError:
            self.stderr.write("导入失败：历史工单导入（hotline.assessment.history）尚未安装，无法使用 --history。")
            sys.exit(2)
        code = import_history(path, stdout=self.stdout, stderr=self.stderr)
        if code:
            sys.exit(code)
