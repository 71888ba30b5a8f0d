"""Following a request: the number and its code open the order's public page; wrong pairs get
one message whichever half was wrong, and are locked out per address and per number."""

import pytest
from django.test import Client, override_settings

from hotline.public.config import DEFAULTS
from tests.public.helpers import filed, open_order

WRONG = "工单编号或查询码不正确，请核对后再试。"


def test_the_right_code_opens_the_order_and_the_session_holds_only_it(district):
    c = Client()
    oid, number, code = filed(c, district)
    r = open_order(c, number, code.lower())  # codes are read case-insensitively
    assert r.status_code == 302 and r["Location"] == f"/public/track/{number}/"
    html = c.get(r["Location"]).content.decode()
    assert number in html and "已受理，正在分派" in html and "诉求已受理" in html
    assert "139****5678" in html and "13912345678" not in html
    # another browser without the code is sent to the form
    assert Client().get(f"/public/track/{number}/")["Location"] == "/public/track/"


def test_wrong_number_and_wrong_code_get_the_same_answer(district):
    c = Client()
    _oid, number, code = filed(c, district)
    wrong_code = open_order(c, number, "ABCDEFGH")
    wrong_number = open_order(c, "2000010199999", code)
    assert wrong_code.status_code == wrong_number.status_code == 400
    assert WRONG in wrong_code.content.decode() and WRONG in wrong_number.content.decode()
    strip = lambda r: r.content.decode().replace(number, "").replace("2000010199999", "")  # noqa: E731
    import re
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", strip(wrong_code)) == token.sub("", strip(wrong_number))


def test_the_code_of_one_order_does_not_open_another(district):
    c = Client()
    _a, number_a, code_a = filed(c, district)
    _b, number_b, code_b = filed(c, district, phone="13800002222")
    assert open_order(c, number_b, code_a).status_code == 400
    assert open_order(c, number_a, code_a).status_code == 302
    # the session verified for A does not open B
    assert c.get(f"/public/track/{number_b}/")["Location"] == "/public/track/"
    assert open_order(c, number_b, code_b).status_code == 302
    assert c.get(f"/public/track/{number_a}/")["Location"] == "/public/track/"  # one order at a time


@pytest.mark.parametrize("by", ["address", "number"])
def test_failures_lock_the_address_and_the_number(district, by):
    c = Client()
    _oid, number, code = filed(c, district)
    with override_settings(HOTLINE_PUBLIC={**DEFAULTS, "track_failures": 3}):
        for i in range(3):
            guesser = c if by == "address" else Client(REMOTE_ADDR=f"10.9.9.{i}")
            target = f"2000010100{i:03d}" if by == "address" else number
            assert open_order(guesser, target, "ZZZZZZZZ").status_code == 400
        # now even the right pair is refused, from this address (or for this number)
        r = open_order(c, number, code)
        assert r.status_code == 429 and "查询失败次数过多" in r.content.decode()
        if by == "address":  # the citizen on another address is not locked out of their order
            assert open_order(Client(REMOTE_ADDR="10.7.7.7"), number, code).status_code == 302
        else:
            assert open_order(Client(REMOTE_ADDR="10.7.7.7"), number, code).status_code == 429


def test_bad_input_is_an_error_not_a_500(district):
    c = Client()
    for data in ({}, {"number": "x" * 500, "code": "y"}, {"number": "1\x00", "code": "\x00"}):
        assert c.post("/public/track/", data).status_code == 400
    assert c.get("/public/track/%00/").status_code == 302
    assert c.get("/public/filed/").status_code == 302
