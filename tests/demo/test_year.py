"""The demo district has lived a year: events at their own times over twelve months, the clocks
respected or missed, and the previous month's report full (orders, callbacks, rankings, warnings,
gaming suspicions)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hotline.assessment import indicators
from hotline.demo import scenarios
from hotline.directory.models import User
from hotline.orders.models import Callback, Event, WorkOrder
from hotline.orders.states import State

OPEN = [State.RECEIVED, State.DISPATCHED, State.RETURNED, State.IN_PROGRESS, State.REPLIED, State.AWAITING_CALLBACK]


def _months_back(n: int) -> list[tuple[dt.date, dt.date]]:
    """The last n complete months, newest first."""
    out = []
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    for _ in range(n):
        out.append((last.replace(day=1), last))
        last = last.replace(day=1) - dt.timedelta(days=1)
    return out


@pytest.mark.django_db
def test_the_demo_has_lived_twelve_months_and_last_month_s_report_is_full(client):
    call_command("demo", "--orders", "600", "--seed", "7", "--taxonomy", "", stdout=StringIO())
    now = timezone.now()
    first = WorkOrder.objects.order_by("received_at").values_list("received_at", flat=True).first()
    assert now - first >= dt.timedelta(days=300)
    assert not Event.objects.filter(at__gt=now).exists()

    # Every month of the last twelve has orders received and callbacks made.
    for start, end in _months_back(11):
        lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
        hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
        assert WorkOrder.objects.filter(received_at__gte=lo, received_at__lt=hi).exists(), start
        assert Callback.objects.filter(at__gte=lo, at__lt=hi).exists(), start

    # Per order, events come in time order: received <= dispatched <= replied <= called back.
    last_at: dict[int, dt.datetime] = {}
    for oid, at in Event.objects.order_by("order_id", "seq").values_list("order_id", "at"):
        assert at >= last_at.get(oid, at), oid
        last_at[oid] = at
    for o in WorkOrder.objects.filter(state=State.CLOSED, main_order__isnull=True).exclude(replied_at=None):
        cb = o.callbacks.order_by("at").first()
        assert o.received_at <= o.dispatched_at <= o.replied_at <= cb.at

    # What is still open is recent, except the one deliberate long-overdue case (scenario 2).
    old_open = WorkOrder.objects.filter(state__in=OPEN, received_at__lt=now - dt.timedelta(days=40))
    assert set(old_open.values_list("category__name", flat=True)) <= {"航空器噪声"}

    # The reply clocks were kept or missed: the past months' on-time rate is neither 0 nor 100 %.
    year = _months_back(11)
    whole = indicators.overview(year[-1][0], year[0][1])["district"]
    assert 0 < whole["reply_on_time"] < 1 and whole["replies_late"] > 0 and whole["redos"] > 0
    assert whole["extensions"] > 0
    rates = [indicators.overview(s, e)["district"]["reply_on_time"] for s, e in year]
    assert sum(1 for r in rates if r is not None and r < 1) >= 6

    # The previous month's monthly report, as the district's supervisor sees it.
    client.force_login(User.objects.get(username="liudu"))
    start, _end = year[0]
    resp = client.get(reverse("assessment:report"), {"month": f"{start:%Y-%m}"})
    assert resp.status_code == 200
    data = resp.context["data"]
    assert data["district"]["orders"] > 30 and data["district"]["callbacks"] > 20
    assert 0 < data["district"]["satisfaction_rate"] < 1
    groups = resp.context["groups_of_units"]
    assert sum(len(rows) for rows in groups.values()) >= 5
    rules = {w["rule"] for w in data["warnings"]}
    assert "overdue_jump" in rules  # 北山镇 fell behind last month
    suspects = {s["unit"] for s in resp.context["suspects"]}
    gaming_unit = WorkOrder.objects.filter(lead_unit__code=scenarios.GAMING_UNIT).first().lead_unit.name
    assert gaming_unit in suspects
    html = resp.content.decode()
    assert "北山镇人民政府" in html and gaming_unit in html
