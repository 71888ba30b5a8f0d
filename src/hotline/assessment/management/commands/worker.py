"""`hotline worker`: the db_worker (same options) that first makes sure the assessment's own
work is scheduled: the nightly refresh of the daily aggregates queued, and a catch-up queued at
once when past days are not built (assessment.tasks.on_worker_start). Pages never queue it."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from hotline.assessment.tasks import on_worker_start


class Command(DBWorkerCommand):
    help = "后台任务进程（db_worker），启动时安排考核日统计的夜间重算与补算。"

    def handle(self, *args: Any, **options: Any) -> None:
        on_worker_start()
        super().handle(*args, **options)
