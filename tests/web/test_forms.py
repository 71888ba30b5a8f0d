"""Forms show their errors in Chinese beside the field, lose nothing, and never give a 500."""

import pytest
from django.test import Client

from hotline.orders import actions
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import Action
from hotline.web.actions import REGISTRY
from tests.conftest import make_order


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def test_it_keeps_what_the_agent_typed_and_marks_the_bad_fields(district):
    c = as_user(district.people["wangfang"])
    r = c.post("/intake/", {"caller_name": "王女士", "caller_phone": "1381234", "channel": "phone",
                            "title": "小区噪声", "description": "x" * 30000, "urgency": "general"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "电话号码格式不正确" in html and "诉求内容过长" in html
    assert 'value="王女士"' in html  # nothing typed is lost
    assert WorkOrder.objects.count() == 0


def test_a_resubmitted_intake_form_creates_one_order(district):
    c = as_user(district.people["wangfang"])
    data = {"caller_phone": "13812345678", "channel": "phone", "title": "路灯不亮", "description": "西城路路灯不亮三天。",
            "urgency": "general", "idempotency_key": "form-abc"}
    assert c.post("/intake/", data).status_code == 302
    assert c.post("/intake/", data).status_code == 302
    assert WorkOrder.objects.count() == 1


def test_the_intake_form_does_not_offer_the_channels_only_systems_write(district):
    c = as_user(district.people["wangfang"])
    html = c.get("/intake/").content.decode()
    assert 'value="phone"' in html and 'value="wechat"' in html
    assert 'value="open311"' not in html and 'value="import"' not in html
    data = {"caller_phone": "13812345678", "channel": "open311", "title": "路灯不亮", "description": "西城路路灯不亮三天。",
            "urgency": "general"}
    refused = c.post("/intake/", data)
    assert refused.status_code == 400 and "channel" in refused.context["form"].errors
    assert WorkOrder.objects.count() == 0


def test_a_reply_missing_its_elements_comes_back_with_the_list(district):
    p = district.people
    oid = make_order(district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    actions.do_sign(oid, actor=p["liqiang"])
    c = as_user(p["liqiang"])
    r = c.post(f"/orders/{oid}/act/reply/", {"reply-responder": "李强", "reply-process": "",
                                             "reply-outcome": "来电人诉求应通过法律途径解决", "reply-result": "explained"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "答复不完整" in html and "处办过程过于简单" in html and "现场证据不足" in html
    assert WorkOrder.objects.get(pk=oid).state == "in_progress"
    check = c.post(f"/orders/{oid}/reply-check/", {"reply-process": "", "reply-outcome": "来电人诉求应通过法律途径解决"})
    assert "推诿" in check.content.decode() or "另寻途径" in check.content.decode()


# One request carries garbage for every action's fields at once (each form reads its prefix).
GARBAGE = [{}, {"dispatch-unit": "abc", "dispatch-co_units": ["-1", "zz"], "request_extension-days": "9" * 30,
                "callback-valid": "maybe", "merge-main_number": "\x00\x01", "reply-result": "🙂" * 1000,
                "return-kind": "'; DROP TABLE", "redo-reasons": ["nope"], "joint-lead_unit": "1e9"}]


@pytest.mark.parametrize("who", ["chengang", "liqiang", "liudu"])
def test_nothing_posted_to_any_action_gives_a_500(district, who):
    p = district.people
    oid = make_order(district)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk)
    c = as_user(p[who])
    before = Event.objects.filter(order_id=oid).count()
    for action in [*REGISTRY, "nonsense"]:
        verb = action.value if isinstance(action, Action) else action
        for data in GARBAGE:
            r = c.post(f"/orders/{oid}/act/{verb}/", data)
            assert r.status_code in (302, 400, 403, 404), (who, verb, data, r.status_code)
    # Garbage may be valid for harmless actions (none here): the trace shows only real steps.
    after = Event.objects.filter(order_id=oid)
    assert all(e.action in {a.value for a in Action} for e in after)
    assert after.count() >= before
