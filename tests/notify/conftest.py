"""The district shared per module (as tests/orders does), and helpers to see what an action told."""

from __future__ import annotations

import pytest

from hotline.notify.models import Notification
from tests.orders.conftest import _shared_district, district  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _messages_in_tmp(settings, tmp_path):
    # The default (file) sender writes under the data directory: not the developer's ./var.
    settings.DATA_DIR = tmp_path


def new_rows(since: int) -> list[Notification]:
    return list(Notification.objects.filter(pk__gt=since).select_related("person").order_by("pk"))


def last_id() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


class Told:
    """Run an action and collect the notifications it wrote (the outbox subscriber writes them
    in the action's transaction)."""

    def __init__(self) -> None:
        self.rows: list[Notification] = []

    def __call__(self, fn, *args, **kwargs):
        before = last_id()
        result = fn(*args, **kwargs)
        self.rows = new_rows(before)
        return result

    def who(self, **filters) -> list[str]:
        return sorted(r.person.username for r in self.rows if all(getattr(r, k) == v for k, v in filters.items()))


@pytest.fixture
def told() -> Told:
    return Told()
