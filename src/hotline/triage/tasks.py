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


@task()
def triage_orders_task(order_ids: list[int]) -> int:
    """Triage a batch of new orders (an import); one order's failure does not stop the rest."""
    from .pipeline import triage_order

    done = 0
    for order_id in order_ids:
        try:
            done += len(triage_order(order_id))
        except Exception:  # noqa: BLE001 - logged; the order still waits on the dispatch board
            log.exception("triage of order %s failed", order_id)
    return done


BATCH = 200


def enqueue_triage(order_ids: list[int]) -> None:
    """Queue triage of newly created orders. Called on commit of intake; a failure to queue is
    logged and never breaks intake (the dispatcher still sees the order on the board). A batch
    (an import) is queued as one task per 200 orders: one row and one commit each, instead of
    one per order."""
    try:
        if len(order_ids) == 1:
            triage_order_task.enqueue(order_ids[0])
            return
        for start in range(0, len(order_ids), BATCH):
            triage_orders_task.enqueue(list(order_ids[start:start + BATCH]))
    except Exception:  # the queue is an optimisation, intake must not fail because of it
        log.exception("could not queue triage of orders %s", order_ids[:5])
