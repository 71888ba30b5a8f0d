"""The background workers' heartbeats: how a worker on any machine tells the others it is alive."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One running `hotline db_worker`. It writes its row before it claims anything, renews
    `beat_at` every HOTLINE_WORKER_BEAT_SECONDS from a thread (so a long task does not stop the
    beat) and deletes the row on a clean exit. A row older than HOTLINE_WORKER_LEASE_SECONDS
    belongs to a dead worker: its RUNNING tasks are returned to the queue by the recovery sweep."""

    worker_id = models.CharField(_("进程编号"), max_length=64, primary_key=True)
    host = models.CharField(_("主机"), max_length=255, blank=True)
    pid = models.IntegerField(_("进程号"), default=0)
    started_at = models.DateTimeField(_("启动时间"))
    beat_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台进程")
        verbose_name_plural = _("后台进程")

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.host}:{self.pid}"
