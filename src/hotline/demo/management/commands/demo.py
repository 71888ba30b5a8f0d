"""`hotline demo`: the demo district with a few hundred orders in every state, and its logins.

`make run` calls `hotline demo --if-empty` every time: with orders already there it only prints
the logins."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.demo.district import DEMO_PASSWORD, PEOPLE, build_district, load_district
from hotline.demo.generate import populate
from hotline.directory.models import Unit, User
from hotline.directory.roles import ROLE_LABELS, Role
from hotline.errors import InvalidInput
from hotline.orders.models import WorkOrder

DEFAULT_TAXONOMY = Path(__file__).resolve().parents[5].parent / "shared" / "data" / "tipdm2020c" / "taxonomy.csv"


class Command(BaseCommand):
    help = "生成演示区：单位、人员、分类、权责清单和各种状态的工单，并列出演示账号。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已有工单时不生成，只列出演示账号")
        parser.add_argument("--orders", type=int, default=800, help="工单总数（默认800）")
        parser.add_argument("--seed", type=int, default=2023, help="随机种子（同一种子生成同样的内容）")
        parser.add_argument("--taxonomy", default=None,
                            help="三级分类CSV（一级分类,二级分类,三级分类）；不给出时使用随附的分类文件（如有），"
                                 "给出空字符串则只用演示区自带的分类")

    def handle(self, *args: Any, **options: Any) -> None:
        if WorkOrder.objects.exists():
            if not options["if_empty"]:
                raise CommandError("数据库中已有工单，未生成演示数据（每次运行请用 --if-empty，或换一个空数据库）。")
            self.stdout.write(f"已有 {WorkOrder.objects.count()} 张工单，跳过生成。")
            self._logins()
            return
        started = time.perf_counter()
        district = load_district() or build_district()
        named = options["taxonomy"]
        if named is None:
            # The bundled taxonomy is a bonus of the development checkout: a new checkout without it
            # simply uses the demo's own categories, and there is nothing for its user to do.
            self._taxonomy(str(DEFAULT_TAXONOMY) if DEFAULT_TAXONOMY.is_file() else "")
        else:
            self._taxonomy(named, named=True)
        summary = populate(district, orders=max(0, options["orders"]), seed=options["seed"])
        self.stdout.write(f"已生成 {summary.orders} 张演示工单（{time.perf_counter() - started:.1f} 秒）：")
        self.stdout.write("  " + "，".join(f"{_state_label(s)} {n}" for s, n in summary.by_state.items()))
        self._logins()

    def _taxonomy(self, path: str, *, named: bool = False) -> None:
        if not path:
            return
        if not Path(path).is_file():
            if named:
                self.stdout.write(f"未找到分类文件 {path}：请检查 --taxonomy 给出的路径。本次只使用演示区自带的分类。")
            return
        from hotline.directory.taxonomy import load_taxonomy

        try:
            result = load_taxonomy(path)
        except InvalidInput as exc:
            self.stderr.write(f"分类文件未导入：{exc.message}")
            return
        self.stdout.write(f"已导入分类：读取 {result.rows} 行，新建 {result.created_total} 个分类节点，"
                          f"拒绝 {len(result.rejected)} 行。")
        for line, reason in result.rejected[:20]:
            self.stdout.write(f"  第{line}行：{reason}")

    def _logins(self) -> None:
        usernames = [p[0] for p in PEOPLE]
        users = {u.username: u for u in User.objects.filter(username__in=usernames).select_related("unit")}
        rows = [("账号", "姓名", "角色", "单位", "密码")]
        for username in usernames:
            user = users.get(username)
            if user is None:
                continue
            unit: Unit | None = user.unit
            rows.append((username, user.display_name, ROLE_LABELS[Role(user.role)], unit.name if unit else "",
                         DEMO_PASSWORD))
        widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write("演示账号（http://127.0.0.1:8000 登录）：")
        for i, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _state_label(state: str) -> str:
    from hotline.orders.models import STATE_LABELS
    from hotline.orders.states import State

    return str(STATE_LABELS[State(state)])


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
