"""Background work for triage: the triage queue the worker drains, and thin task wrappers that
load by id and call the pipeline."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from hotline.orders.models import TriageJob

from .pipeline import retrain_from_orders, triage_order

log = logging.getLogger(__name__)

CLAIM = 20


def triage_pending(*, limit: int = CLAIM) -> int:
    """Triage orders waiting in the triage queue; returns how many were finished.

    The jobs are claimed for a lease first (skip_locked: workers on other machines take other
    jobs), so a worker killed mid-way delays its orders by one lease and no more. Each order is
    then triaged in its own transaction (triage_order); one that fails keeps its error and is
    retried after a lease, up to HOTLINE_TRIAGE_MAX_ATTEMPTS claims."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.HOTLINE_WORKER_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            TriageJob.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True, attempts__lt=settings.HOTLINE_TRIAGE_MAX_ATTEMPTS)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("queued_at").values_list("order_id", flat=True)[:limit]
        )
        TriageJob.objects.filter(order_id__in=ids).update(claimed_until=now + lease, attempts=F("attempts") + 1)
    done = 0
    for order_id in ids:
        try:
            triage_order(order_id)
        except Exception as exc:  # noqa: BLE001 - kept on the job; the order still waits on the dispatch board
            log.exception("triage of order %s failed", order_id)
            TriageJob.objects.filter(order_id=order_id).update(last_error=repr(exc)[:2000])
        else:
            done += 1
    return done


@task()
def triage_order_task(order_id: int) -> int:
    """Triage one order now (if it still waits); returns how many decisions were recorded."""
    return len(triage_order(order_id))


@task()
def triage_orders_task(order_ids: list[int]) -> int:
    """Triage a batch of orders (tasks queued before the triage queue existed)."""
    return sum(len(triage_order(order_id)) for order_id in order_ids)


@task()
def retrain_task() -> dict[str, Any]:
    """Retrain the category model and the router from closed orders and review corrections."""
    return retrain_from_orders()
