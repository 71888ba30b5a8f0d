"""The pages of joint handling: the co-unit's parts in its inbox with their due time and a co-sign
button, the order page's parts table, the co-reply and urge forms, the gathered co-replies and the
stated gap on the lead's reply, the redo form's parts (docs/joint.md)."""

from __future__ import annotations

from hotline.orders import actions
from hotline.orders.models import CoPart
from tests.conftest import make_order
from tests.orders.loop import CO_REPLY_TEXT, REPLY_TEXT, cst, frozen, photo


def _as(client, district, name):
    client.force_login(district.people[name])
    return client


def _joint(d) -> int:
    p = d.people
    oid = make_order(d)
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_return(oid, actor=p["liqiang"], kind="needs_others", reason="需要城管执法局配合拆除占道设施，请联合处办。")
    actions.do_joint(oid, actor=p["chengang"], lead_unit_id=d.units["street-a"].pk,
                     co_unit_ids=[d.units["enforcement"].pk], note="街道主办，城管执法局协办拆除",
                     co_asks={d.units["enforcement"].pk: "拆除占道彩钢棚"})
    return oid


def test_the_co_unit_finds_its_part_in_its_inbox_signs_and_replies_from_the_pages(district, client):
    d = district
    oid = _joint(d)
    part = CoPart.objects.get(order_id=oid)
    c = _as(client, d, "zhengzhi")
    inbox = c.get("/inbox/").content.decode()
    assert 'id="sec-co"' in inbox and "协办签收" in inbox
    assert f"/orders/{oid}/act/co_sign/" in inbox
    assert c.post(f"/orders/{oid}/act/co_sign/", {}).status_code == 302
    page = c.get(f"/orders/{oid}/").content.decode()
    assert 'id="co-parts"' in page and "拆除占道彩钢棚" in page and "协办答复" in page
    bad = c.post(f"/orders/{oid}/act/co_reply/", {"co_reply-text": "已办"})
    assert bad.status_code == 400
    assert c.post(f"/orders/{oid}/act/co_reply/", {"co_reply-text": CO_REPLY_TEXT}).status_code == 302
    part.refresh_from_db()
    assert part.state == "replied"
    # the lead does not get the co-unit's forms, the co-unit not the lead's
    lead_page = _as(client, d, "liqiang").get(f"/orders/{oid}/").content.decode()
    assert "action-co_reply" not in lead_page and "action-co_urge" not in lead_page  # nothing owed to urge
    assert CO_REPLY_TEXT in lead_page


def test_the_lead_sees_late_parts_urges_and_states_the_gap_on_its_reply(district, client):
    d, p = district, district.people
    with frozen(cst(2026, 3, 2, 10)):
        oid = _joint(d)
        actions.do_sign(oid, actor=p["liqiang"])
        actions.do_contact(oid, actor=p["liqiang"], text="已电话联系来电人")
        actions.do_attach(oid, actor=p["liqiang"], file=photo())
    with frozen(cst(2026, 3, 6, 10)):
        c = _as(client, d, "liqiang")
        inbox = c.get("/inbox/").content.decode()
        late = inbox[inbox.index('id="sec-co_overdue"'):]
        assert d.units["enforcement"].name in late.split("</section>")[0]
        page = c.get(f"/orders/{oid}/").content.decode()
        assert "action-co_urge" in page and "超期" in page
        unit = str(d.units["enforcement"].pk)
        assert c.post(f"/orders/{oid}/act/co_urge/", {"co_urge-unit": unit, "co_urge-text": "请尽快反馈"}).status_code == 302
        assert CoPart.objects.get(order_id=oid).urge_count == 1
        form = {f"reply-{k}": v for k, v in REPLY_TEXT.items()} | {"reply-result": "resolved", "reply-contacted_caller": "on"}
        refused = c.post(f"/orders/{oid}/act/reply/", form)
        assert refused.status_code == 400 and "请说明缺少哪些协办答复及原因" in refused.content.decode()
        done = c.post(f"/orders/{oid}/act/reply/", form | {"reply-co_gap": "城管执法局超期未答复，已催办。"})
        assert done.status_code == 302
        page = c.get(f"/orders/{oid}/").content.decode()
        assert "城管执法局超期未答复，已催办。" in page and "协办答复缺项" in page
    reviewer = _as(client, d, "zhoushen").get(f"/orders/{oid}/").content.decode()
    assert "退回协办单位重新答复" in reviewer
