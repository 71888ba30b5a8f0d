"""Out to the city: the events it must hear of become messages on the order's stream, in the
action's transaction; the deliverer POSTs them signed, and the simulator receives them in order."""

from __future__ import annotations

import time

import pytest

from hotline import outbox
from hotline.citylink import inbound, outbound, signing
from hotline.citylink.simulator import Faults, Simulator
from hotline.orders import actions
from hotline.outbox.models import OutboxMessage
from tests.conftest import make_order
from tests.orders.loop import REPLY_TEXT, photo

from .conftest import SECRET, city_order

pytestmark = pytest.mark.usefixtures("citylink_settings")


def _take(district, number="SZ-1", **kw) -> int:
    body = city_order(number, category_code=district.categories["道路塌陷破损"].path, **kw)
    inbound.take_order(body)
    return inbound.CityOrder.objects.get(city_number=number).order_id


def _walk(district, oid: int) -> None:
    p = district.people
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已电话联系王女士，约定下午到场。")
    actions.do_request_extension(oid, actor=p["liqiang"], days=2, reason="需协调供电公司更换线路。")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], **REPLY_TEXT)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=True, satisfaction="satisfied")


def test_a_city_orders_life_goes_up_in_order_and_the_districts_own_orders_do_not(district):
    oid = _take(district)
    _walk(district, oid)
    own = make_order(district)
    _walk(district, own)
    rows = list(OutboxMessage.objects.filter(channel="citylink").order_by("seq"))
    assert [r.kind for r in rows] == ["order.signed", "order.extension_requested", "order.replied",
                                      "order.callback", "order.closed"]
    assert {r.stream for r in rows} == {"order:SZ-1"} and [r.seq for r in rows] == [1, 2, 3, 4, 5]
    replied = rows[2].payload
    assert replied["city_number"] == "SZ-1" and replied["data"]["responder"] == REPLY_TEXT["responder"]
    assert replied["data"]["outcome"] == REPLY_TEXT["outcome"]
    assert rows[3].payload["data"] == {"valid": True, "contacted": True, "resolved": True, "satisfaction": "satisfied"}
    assert "caller_phone" not in str([r.payload for r in rows])


@pytest.fixture
def city(settings):
    sim = Simulator(inbound_url="http://127.0.0.1:9/unused", secret=SECRET, rate=0).start()
    settings.HOTLINE_CITYLINK_URL = sim.url
    settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS = 2
    yield sim
    sim.stop()


def test_the_deliverer_posts_signed_updates_the_city_receives_in_order(district, city):
    oid = _take(district)
    _walk(district, oid)
    while outbox.deliver_due("citylink"):
        pass
    report = city.report()
    assert report["updates_received"] == 5 and report["out_of_order"] == 0 and report["duplicates"] == 0
    assert city.per_order == {"SZ-1": [1, 2, 3, 4, 5]}
    assert set(OutboxMessage.objects.filter(channel="citylink").values_list("state", flat=True)) == {"delivered"}


def test_a_resent_update_is_a_duplicate_at_the_city(district, city):
    oid = _take(district)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_sign(oid, actor=district.people["liqiang"])
    row = OutboxMessage.objects.get(channel="citylink")
    assert outbound.deliver(row).ok and outbound.deliver(row).ok  # the answer to the first was "lost"
    assert city.report()["updates_received"] == 1 and city.report()["duplicates"] == 1


def test_a_dead_city_is_retried_and_a_refusal_is_permanent(district, settings):
    oid = _take(district)
    actions.do_dispatch(oid, actor=district.people["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_sign(oid, actor=district.people["liqiang"])
    row = OutboxMessage.objects.get(channel="citylink")
    settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS = 1
    settings.HOTLINE_CITYLINK_URL = "http://127.0.0.1:9/updates"  # nothing listens there
    outcome = outbound.deliver(row)
    assert not outcome.ok and outcome.retry
    settings.HOTLINE_CITYLINK_URL = "http://127.0.0.1:9/updates"
    settings.HOTLINE_CITYLINK_SECRET = ""
    outcome = outbound.deliver(row)
    assert not outcome.ok and outcome.retry and "SECRET" in outcome.detail  # never sent unsigned
    settings.HOTLINE_CITYLINK_SECRET = SECRET
    settings.HOTLINE_CITYLINK_URL = "ftp://city.example/updates"
    assert outbound.deliver(row).retry is False
    dead = Simulator(inbound_url="http://127.0.0.1:9/unused", secret="another-secret", rate=0).start()
    try:
        settings.HOTLINE_CITYLINK_URL = dead.url  # a city that does not know our secret: 401
        outcome = outbound.deliver(row)
        assert not outcome.ok and outcome.retry is False and "401" in outcome.detail
    finally:
        dead.stop()


def test_a_city_with_faults_still_gets_every_update_once_in_order(district, settings):
    sim = Simulator(inbound_url="http://127.0.0.1:9/unused", secret=SECRET, rate=0,
                    faults=Faults(timeout=0.2, error500=0.2, hang=1.2), seed=7).start()
    settings.HOTLINE_CITYLINK_URL = sim.url
    settings.HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS = 1
    settings.HOTLINE_OUTBOX_BACKOFF_SECONDS = 0.01
    settings.HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS = 0.05
    try:
        for n in range(3):
            _walk(district, _take(district, f"SZ-{n}"))
        deadline = time.monotonic() + 60
        while OutboxMessage.objects.filter(channel="citylink").exclude(state="delivered").exists():
            assert time.monotonic() < deadline, outbox.status()
            outbox.deliver_due("citylink")
            time.sleep(0.02)
    finally:
        sim.stop()
    report = sim.report()
    assert report["updates_received"] == 15 and report["out_of_order"] == 0
    assert all(seqs == [1, 2, 3, 4, 5] for seqs in sim.per_order.values())
    assert report["dropped"] + report["duplicates"] > 0  # the faults did happen


def test_signatures_both_ways_are_the_same_scheme():
    body = b'{"a": 1}'
    headers = signing.signed_headers(SECRET, body, now=1_764_763_200)
    digest = signing.verify(SECRET, headers["X-Citylink-Timestamp"], headers["X-Citylink-Signature"], body,
                            window=300, now=1_764_763_200 + 299)
    assert len(digest) == 64
    with pytest.raises(signing.BadSignature):
        signing.verify(SECRET, headers["X-Citylink-Timestamp"], headers["X-Citylink-Signature"], body, window=300,
                       now=1_764_763_200 + 301)
