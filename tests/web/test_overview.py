"""The supervisor's overview shows the period's three rates from valid callbacks."""

from django.test import Client

from hotline.orders import actions
from tests.conftest import make_order


def close_with(district, *, resolved, satisfaction, category="公交线路调整", area="west-city"):
    p = district.people
    oid = make_order(district, category=category, area=area, title="路灯不亮")
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["transport"].pk)
    actions.do_sign(oid, actor=p["jiaotong"])
    actions.do_reply(oid, actor=p["jiaotong"], responder="姜通", process="当天派人到现场检修线路并更换了损坏的灯具。",
                     outcome="路灯已恢复照明，已告知来电人。", contacted_caller=True)
    actions.do_approve(oid, actor=p["zhoushen"])
    actions.do_callback(oid, actor=p["sunhui"], contacted=True, resolved=resolved, satisfaction=satisfaction)


def test_it_shows_the_periods_rates(district):
    close_with(district, resolved=True, satisfaction="satisfied")
    close_with(district, resolved=False, satisfaction="basic")
    c = Client()
    c.force_login(district.people["liudu"])
    html = c.get("/overview/").content.decode()
    # response 2/2, resolution 1/2, satisfaction (1 + 0.9)/2: composite 0.1 + 0.25 + 0.38
    assert "73.0%" in html
    assert "100.0%" in html and "50.0%" in html and "95.0%" in html
