"""Root causes of a hotspot: the figures, and the supervisor's finding in the hash-chained trace."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from hotline.errors import InvalidInput, NotAllowed
from hotline.governance import rootcause
from hotline.governance.models import Finding, Hotspot
from hotline.orders.actions import HistoryRecord, do_import_history

from .data import WATER

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotspot(district) -> Hotspot:
    """Eight closed calls about one burst main: two by the same caller, two redone, one returned
    once, the same reply each time but one, two callbacks unresolved."""
    start = dt.datetime(2024, 3, 4, 8, tzinfo=dt.UTC)
    rows = [HistoryRecord(
        number=f"R2024{n:05d}", received_at=start + dt.timedelta(minutes=9 * n), title=WATER[n % 6],
        description=WATER[n % 6], unit=district.units["water"], area=district.areas["east-lake"],
        address="东湖路与湖滨路交叉口", caller_phone="13500000001" if n < 2 else f"1350000{n:04d}",
        closed_at=start + dt.timedelta(days=2 + n), redo_count=1 if n in (3, 4) else 0, return_count=1 if n == 5 else 0,
        reply="已安排抢修队到场关阀抢修，现已恢复供水。" if n else "已转交市政部门。",
        callback_valid=True, contacted=True, resolved=n not in (6, 7), satisfaction="unsatisfied" if n == 7 else "satisfied")
        for n in range(8)]
    do_import_history(rows, actor=district.people["admin"])
    call_command("hotspots", "--from", "2024-03-01", "--to", "2024-03-31", stdout=io.StringIO())
    return Hotspot.objects.get()


def test_the_figures_say_why_the_calls_recur(hotspot):
    f = rootcause.figures(hotspot.root_order_id)
    assert f["orders"] == 8 and f["repeat_callers"] == 1 and f["repeat_calls"] == 1
    assert f["redone"] == 2 and f["bounced"] == 1 and f["closed"] == 8
    assert f["days_to_close_median"] is not None and f["days_to_close_median"] > 2
    assert f["replies"] >= 8 and f["templated_share"] is not None and f["templated_share"] >= 0.7
    assert f["unresolved"] == 2 and f["unsatisfied"] == 1
    assert f["units"] == {"区自来水公司": 8}


def test_a_supervisor_records_a_finding_in_the_chained_trace(district, hotspot, client):
    client.force_login(district.people["liudu"])
    url = reverse("governance:finding", args=[hotspot.root_order_id])
    resp = client.post(url, {"causes": ["ageing_facilities", "management_gap"], "note": "管网老化，维保缺位"})
    assert resp.status_code == 302
    client.post(url, {"causes": ["policy_gap"], "note": ""})
    found = list(Finding.objects.order_by("seq"))
    assert [f.seq for f in found] == [1, 2] and found[0].causes == ["ageing_facilities", "management_gap"]
    assert found[1].prev_hash == found[0].hash and found[0].figures["orders"] == 8
    assert rootcause.verify(hotspot.root_order_id)
    page = client.get(reverse("governance:hotspot", args=[hotspot.root_order_id])).content.decode()
    assert "管网老化，维保缺位" in page and "设施老化" in page
    Finding.objects.filter(seq=1).update(note="改过")  # tampering shows
    assert not rootcause.verify(hotspot.root_order_id)


def test_a_finding_needs_a_known_cause_and_a_supervisor(district, hotspot, client):
    with pytest.raises(InvalidInput):
        rootcause.record_finding(hotspot.root_order_id, actor=district.people["liudu"], causes=[])
    with pytest.raises(InvalidInput):
        rootcause.record_finding(hotspot.root_order_id, actor=district.people["liudu"], causes=["no_such_cause"])
    with pytest.raises(NotAllowed):
        rootcause.record_finding(hotspot.root_order_id, actor=district.people["chengang"], causes=["other"])
    client.force_login(district.people["liudu"])
    url = reverse("governance:finding", args=[hotspot.root_order_id])
    assert client.post(url, {"causes": ["nope"]}).status_code == 400
    client.force_login(district.people["chengang"])
    assert client.post(url, {"causes": ["other"]}).status_code == 403
    assert not Finding.objects.exists()


def test_the_figures_of_a_category_or_an_area(district, hotspot, client):
    client.force_login(district.people["liudu"])
    url = reverse("governance:causes")
    period = {"from": "2024-03-01", "to": "2024-03-31"}
    east = client.get(url, {**period, "area": district.areas["east-lake"].pk})
    assert east.status_code == 200 and east.context["figures"]["orders"] == 8
    assert east.context["figures"]["redone"] == 2
    west = client.get(url, {**period, "area": district.areas["west-city"].pk})
    assert west.context["figures"]["orders"] == 0
    other_month = client.get(url, {"from": "2024-05-01", "to": "2024-05-31"})
    assert other_month.context["figures"]["orders"] == 0
    assert client.get(url, {"area": "x"}).status_code == 400
    client.force_login(district.people["liqiang"])
    assert client.get(url).status_code == 403
