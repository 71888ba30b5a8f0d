"""Background tasks (Django's Tasks API): thin wrappers that load by id and call the pipeline."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

log = logging.getLogger(__name__)


@task()
def triage_order_task(order_id: int) -> int:
    """Triage one new order; returns how many decisions were recorded."""
    from .pipeline import triage_order

    return len(triage_order(order_id))


@task()
def retrain_task() -> dict[str, Any]:
    """Retrain the category model and the router from closed orders and review corrections."""
    from .pipeline import retrain_from_orders

    return retrain_from_orders()


def enqueue_triage(order_ids: list[int]) -> None:
    """Queue triage of newly created orders. Called on commit of intake; a failure to queue is
    logged and never breaks intake (the dispatcher still sees the order on the board)."""
    for order_id in order_ids:
        try:
            triage_order_task.enqueue(order_id)
        except Exception:  # the queue is an optimisation, intake must not fail because of it
            log.exception("could not queue triage of order %s", order_id)
