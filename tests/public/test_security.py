"""Security of the citizen pages: nothing of the order's internal life or its caller on the
public page, enumeration refused, CSRF on every form, stored XSS escaped everywhere."""

import re

import pytest
from django.test import Client

from hotline.orders import actions
from hotline.orders.models import Callback, WorkOrder
from hotline.public.models import Ticket
from tests.orders.loop import photo
from tests.public.helpers import file_request, filed, filed_keys, open_order, solve_page

NAME, PHONE = "欧阳晓明", "13987654321"
NOTE = "内部备注：来电人情绪激动，注意沟通方式"
RETURN = "退回理由：该路段属于市政道路，不归本街道"
ACCEPT = "同意退回，改派西城街道"
REVIEW = "审核意见：答复未写明整改时限，驳回重办"
CONTACT = "联系记录：已于上午致电来电人"
PROCESS = "处办过程：接单当天到现场设置围挡并通知养护单位修复"
RESPONDER = "司马答复人"


def _full_loop(district) -> tuple[Client, int, str, str]:
    p = district.people
    c = Client()
    oid, number, code = filed(c, district, name=NAME, phone=PHONE)
    actions.do_annotate(oid, actor=p["chengang"], text=NOTE)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk, note="按属地派单")
    actions.do_return(oid, actor=p["liqiang"], kind="not_remit", reason=RETURN)
    actions.do_accept_return(oid, actor=p["chengang"], unit_id=district.units["street-b"].pk, note=ACCEPT)
    actions.do_sign(oid, actor=p["zhaomin"])
    actions.do_contact(oid, actor=p["zhaomin"], text=CONTACT)
    actions.do_attach(oid, actor=p["zhaomin"], file=photo())
    reply = {"responder": RESPONDER, "process": PROCESS,
             "outcome": f"路面已修复。已电话告知{NAME}，号码{PHONE}。"}
    actions.do_reply(oid, actor=p["zhaomin"], **reply)
    if WorkOrder.objects.get(pk=oid).state == "replied":
        actions.do_redo(oid, actor=p["zhoushen"], reasons=["not_solved"], note=REVIEW)
        actions.do_attach(oid, actor=p["zhaomin"], file=photo("again.jpg"))
        actions.do_reply(oid, actor=p["zhaomin"], **reply)
    if WorkOrder.objects.get(pk=oid).state == "replied":
        actions.do_approve(oid, actor=p["zhoushen"])
    return c, oid, number, code


def test_no_staff_data_and_no_caller_data_on_the_public_page(district):
    c, oid, number, code = _full_loop(district)
    assert WorkOrder.objects.get(pk=oid).state == "awaiting_callback"
    done = set(WorkOrder.objects.get(pk=oid).events.values_list("action", flat=True))
    assert {"annotate", "return", "accept_return", "contact", "redo", "approve"} <= done
    open_order(c, number, code)
    pages = [c.get(f"/public/track/{number}/").content.decode()]
    actions.do_callback(oid, actor=district.people["sunhui"], contacted=True, resolved=True, satisfaction="satisfied",
                        note="回访员备注：来电人要求保密")
    pages.append(c.get(f"/public/track/{number}/").content.decode())
    order = WorkOrder.objects.get(pk=oid)
    secrets = [NAME, PHONE, NOTE, RETURN, ACCEPT, REVIEW, CONTACT, PROCESS, RESPONDER, "回访员备注", "东湖街道",
               order.description, "李强", "赵敏", "周审", "chengang", "zhoushen", "liqiang", "not_solved", "not_remit",
               Ticket.objects.get(order=order).code_hash, code]
    for html in pages:
        for value in secrets:
            assert value not in html, value
        assert "西城街道办事处" in html  # the handling unit now
        assert "路面已修复" in html  # the approved reply, with the caller's data masked
        assert "139****4321" in html
        assert not re.search(r'href="/(orders|triage|assessment|admin|accounts|api|units)', html)
        # one step of each kind: a return between units shows no second dispatch
        assert html.count("已派发承办单位") == 1


def test_the_reply_is_shown_only_after_approval(district):
    p = district.people
    c = Client()
    oid, number, code = filed(c, district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk, note="按属地派单")
    actions.do_sign(oid, actor=p["liqiang"])
    actions.do_contact(oid, actor=p["liqiang"], text="已联系")
    actions.do_attach(oid, actor=p["liqiang"], file=photo())
    actions.do_reply(oid, actor=p["liqiang"], responder="李强", process="接单当天到现场查看并通知养护单位修复路面", outcome="尚未审核的答复内容：路面已修复")
    open_order(c, number, code)
    state = WorkOrder.objects.get(pk=oid).state
    html = c.get(f"/public/track/{number}/").content.decode()
    if state == "replied":
        assert "尚未审核的答复内容" not in html and "正在审核" in html
        actions.do_approve(oid, actor=p["zhoushen"])
    assert "尚未审核的答复内容" in c.get(f"/public/track/{number}/").content.decode()


def test_enumerating_numbers_is_refused_and_locked(district):
    c = Client()
    _oid, number, code = filed(c, district)
    prefix = number[:-5]
    statuses = [open_order(c, f"{prefix}{n:05d}", code[::-1]).status_code for n in range(1, 9)]
    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
    assert open_order(c, number, code).status_code == 429  # locked on this address


def test_enumerating_codes_is_refused_and_locked(district):
    _oid, number, code = filed(Client(), district)
    statuses = []
    for i in range(8):
        statuses.append(open_order(Client(REMOTE_ADDR=f"10.3.0.{i}"), number, f"AAAAAA{i:02d}").status_code)
    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}


def test_every_form_needs_its_csrf_token(district):
    c = Client()
    oid, number, code = filed(c, district)
    from tests.public.helpers import take_round

    take_round(district, oid)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/public/", {"title": "x"}).status_code == 403
    assert strict.post("/public/track/", {"number": number, "code": code}).status_code == 403
    # a verified session without the token cannot evaluate either
    open_order(c, number, code)
    strict.cookies = c.cookies
    assert strict.post(f"/public/track/{number}/evaluate/", {"contacted": "yes", "resolved": "yes",
                                                            "satisfaction": "satisfied"}).status_code == 403
    assert not Callback.objects.filter(order_id=oid).exists()
    # the same session with the token does
    html = strict.get(f"/public/track/{number}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert strict.post(f"/public/track/{number}/evaluate/", {"contacted": "yes", "resolved": "yes",
                                                            "satisfaction": "satisfied",
                                                            "csrfmiddlewaretoken": token}).status_code == 302
    assert Callback.objects.filter(order_id=oid, channel="web").exists()


PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_xss_through_every_field_is_escaped_on_the_public_and_staff_pages(district, payload):
    c = Client()
    fields = {"title": f"标题{payload}", "description": f"描述{payload}", "address": f"地址{payload}",
              "name": f"名{payload}"[:50]}
    r = file_request(c, district, **fields)
    number, code = filed_keys(c, r)
    order = WorkOrder.objects.get(number=number)
    assert order.title == fields["title"] and order.address == fields["address"]
    from tests.public.helpers import take_round

    take_round(district, order.pk, reply={"responder": "李强", "process": f"过程{payload}",
                                          "outcome": f"结果{payload}"})
    open_order(c, number, code)
    c.post(f"/public/track/{number}/evaluate/", {"contacted": "yes", "resolved": "yes", "satisfaction": "satisfied",
                                                "comment": f"评价{payload}"})
    assert Callback.objects.get(order=order).note == f"评价{payload}"
    public = c.get(f"/public/track/{number}/").content.decode()
    staff = Client()
    staff.force_login(district.people["chengang"])
    staff_page = staff.get(f"/orders/{order.pk}/").content.decode()
    assert staff.get(f"/orders/{order.pk}/").status_code == 200
    for html in (public, staff_page):
        assert payload not in html
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "标题&lt;script&gt;" in public or "标题&quot;&gt;&lt;img" in public
    # the form page after an error shows the input escaped too
    bad = file_request(c, district, phone="1", **fields).content.decode()
    assert payload not in bad and "&lt;" in bad


def test_the_challenge_token_is_no_answer_sheet(district):
    """The signed token does not carry the answer in the clear."""
    c = Client()
    fresh = solve_page(c)
    import base64

    body = fresh["challenge"].split(":")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    assert '"h"' in raw and f':{fresh["answer"]}' not in raw and f'"{fresh["answer"]}"' not in raw


def test_no_api_key_acts_as_the_web_channel(district):
    from hotline.api.keys import create_system_key
    from hotline.errors import InvalidInput

    with pytest.raises(InvalidInput):
        create_system_key(name="fake web", scopes=["orders:create"], role="public")
