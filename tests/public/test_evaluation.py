"""Evaluating online: once the order awaits its callback, the verified citizen answers the
callback questions; it is a callback (channel web, verified by the query code) through
do_callback, counted in the unit's figures, and seen by the gaming checks."""

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from hotline.assessment import gaming, indicators
from hotline.orders.models import Callback, Event, WorkOrder
from hotline.public.citizen import device_of
from tests.public.helpers import filed, open_order, take_round

ANSWERS = {"contacted": "yes", "resolved": "yes", "satisfaction": "satisfied", "comment": "处理得很快"}


def _evaluate(c, number, **over):
    return c.post(f"/public/track/{number}/evaluate/", {**ANSWERS, **over})


def test_the_citizen_evaluates_once_awaiting_callback_and_it_counts(district):
    c = Client()
    oid, number, code = filed(c, district)
    open_order(c, number, code)
    assert "评价办理结果" not in c.get(f"/public/track/{number}/").content.decode()
    assert _evaluate(c, number).status_code == 409  # not yet
    take_round(district, oid)
    html = c.get(f"/public/track/{number}/").content.decode()
    assert "评价办理结果" in html and "已办结，请您评价" in html and "东湖街道办事处" in html
    assert "路面已于次日修复完毕" in html  # the approved reply
    r = _evaluate(c, number, resolved="no", satisfaction="basic")
    assert r.status_code == 302
    cb = Callback.objects.get(order_id=oid)
    assert (cb.channel, cb.verification, cb.valid, cb.contacted, cb.resolved, cb.satisfaction) == (
        "web", "query_code", True, True, False, "basic")
    assert cb.agent.username == "public.web" and cb.note == "处理得很快" and len(cb.device) == 64
    assert cb.unit == district.units["street-a"]
    event = Event.objects.filter(order_id=oid).order_by("-seq").first()
    assert (event.action, event.data["channel"], event.data["verification"]) == ("callback", "web", "query_code")
    assert WorkOrder.objects.get(pk=oid).state == "closed"
    page = c.get(f"/public/track/{number}/").content.decode()
    assert "感谢您的评价" in page and "已办结" in page and "评价办理结果" not in page
    # only once
    assert _evaluate(c, number).status_code == 409
    assert Callback.objects.filter(order_id=oid).count() == 1
    today = timezone.localdate()
    row = next(r for r in indicators.unit_table(today, today) if r["unit_id"] == district.units["street-a"].pk)
    assert (row["valid_callbacks"], row["response_rate"], row["resolution_rate"]) == (1, 1.0, 0.0)
    assert row["satisfaction_rate"] == pytest.approx(0.9, abs=1e-4)


def test_missing_answers_are_asked_for(district):
    c = Client()
    oid, number, code = filed(c, district)
    take_round(district, oid)
    open_order(c, number, code)
    r = _evaluate(c, number, satisfaction="")
    assert r.status_code == 400 and "请回答每个问题" in r.content.decode()
    assert _evaluate(c, number, satisfaction="great").status_code == 400
    assert not Callback.objects.filter(order_id=oid).exists()


def test_without_the_code_no_one_evaluates(district):
    c = Client()
    oid, number, _code = filed(c, district)
    take_round(district, oid)
    r = _evaluate(Client(), number)
    assert r.status_code == 302 and r["Location"] == "/public/track/"
    assert not Callback.objects.filter(order_id=oid).exists()


def test_one_device_answering_many_orders_of_one_unit_is_flagged(district):
    same = {"REMOTE_ADDR": "10.20.30.40", "HTTP_USER_AGENT": "Mozilla/5.0 (Fake)"}
    unit = district.units["street-a"].pk
    with override_settings(HOTLINE_PUBLIC={"file_per_ip_per_hour": 100, "file_per_phone_per_day": 100}):
        for i in range(3):
            c = Client(**same)
            oid, number, code = filed(c, district, phone=f"1380000{i:04d}")
            take_round(district, oid)
            open_order(c, number, code)
            assert _evaluate(c, number).status_code == 302
        # an honest citizen elsewhere does not add to it
        c = Client(REMOTE_ADDR="10.99.0.1")
        oid, number, code = filed(c, district, phone="13700009999")
        take_round(district, oid)
        open_order(c, number, code)
        _evaluate(c, number)
    today = timezone.localdate()
    fired = {f["check"]: f for f in gaming.check(today, today).get(unit, [])}
    assert "shared_device" in fired
    ev = fired["shared_device"]["evidence"]
    assert ev["devices"] == 1 and ev["orders"] == 3 and ev["by_device"][0]["rated_satisfied"] == 3
    assert len(fired["shared_device"]["orders"]) == 3
    assert ev["by_device"][0]["device"] == device_of(type("R", (), {"META": same})())[:8]


def test_two_answers_from_one_device_do_not_fire(district):
    same = {"REMOTE_ADDR": "10.20.30.41", "HTTP_USER_AGENT": "Mozilla/5.0 (Fake)"}
    for i in range(2):
        c = Client(**same)
        oid, number, code = filed(c, district, phone=f"1380001{i:04d}")
        take_round(district, oid)
        open_order(c, number, code)
        _evaluate(c, number)
    today = timezone.localdate()
    checks = {f["check"] for f in gaming.check(today, today).get(district.units["street-a"].pk, [])}
    assert "shared_device" not in checks
