"""`hotline verify-trace`: check every order's event hash chain; exit 1 on any problem."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from hotline.orders.trace import verify_all


class Command(BaseCommand):
    help = "校验所有工单的留痕哈希链（Verify the hash chain of every order's events）。"

    def handle(self, *args: Any, **options: Any) -> None:
        from hotline.orders.models import WorkOrder

        problems = 0
        for problem in verify_all():
            problems += 1
            self.stdout.write(str(problem))
        total = WorkOrder.objects.count()
        if problems:
            self.stderr.write(f"发现 {problems} 处留痕问题（共检查 {total} 张工单）。")
            sys.exit(1)
        self.stdout.write(f"留痕完整：{total} 张工单的哈希链全部通过校验。")
