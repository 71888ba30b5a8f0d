"""The district shared per module (as tests/orders does), and helpers to see what an action told."""

from __future__ import annotations

import importlib.util

import pytest

from hotline.notify import services
from hotline.notify.models import Notification
from hotline.orders.models import Event
from tests.orders.conftest import _shared_district, district  # noqa: F401 - fixtures

# Until the outbox (wt-citylink) is merged into this branch.
collect_ignore = [] if importlib.util.find_spec("hotline.outbox") else ["test_outbox_flow.py"]


def new_rows(since: int) -> list[Notification]:
    return list(Notification.objects.filter(pk__gt=since).select_related("person").order_by("pk"))


def last_id() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class Told:
    """Run an action and collect the notifications it wrote."""

    def __init__(self) -> None:
        self.rows: list[Notification] = []

    def __call__(self, fn, *args, **kwargs):
        before, last_event = last_id(), Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        result = fn(*args, **kwargs)
        for event in Event.objects.filter(pk__gt=last_event).select_related("order").order_by("pk"):
            services.for_event(event)  # until the outbox subscriber does it in the action
        self.rows = new_rows(before)
        return result

    def who(self, **filters) -> list[str]:
        return sorted(r.person.username for r in self.rows if all(getattr(r, k) == v for k, v in filters.items()))


@pytest.fixture
def told() -> Told:
    return Told()
