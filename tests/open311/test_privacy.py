"""Caller data never leaves in a GET: checked against everything the order and its Open311 row
hold, in every format, for anonymous and keyed readers; free text has numbers and emails
masked; the public does not see screened-out or merged orders, nor the street address."""

from __future__ import annotations

import pytest

from hotline.open311.models import Open311Request
from hotline.open311.published import mask_text
from hotline.orders import actions
from hotline.orders.models import WorkOrder
from tests.conftest import make_order
from tests.open311.conftest import form, post

pytestmark = pytest.mark.django_db

TEXT = ("东湖路88号院门口路面塌陷。我是王小明，电话13912345678，也可打010-6655 4433，"
        "身份证11010519491231002X，邮箱 reporter@example.cn，2024-01-05 起就这样了。")


def _personal(order: WorkOrder, *, with_address: bool) -> list[str]:
    """Everything about the caller the order holds, and the numbers written into its text."""
    extra = Open311Request.objects.get(order=order)
    values = [order.caller_name, order.caller_phone, extra.email, extra.device_id, extra.account_id,
              "13912345678", "6655 4433", "11010519491231002X", "1949"]
    if with_address:
        values.append(order.address)
    assert all(values)
    return values


def _bodies(client, number: str, **params) -> list[bytes]:
    out = []
    for fmt in ("json", "xml"):
        for path in (f"/open311/v2/requests.{fmt}", f"/open311/v2/requests/{number}.{fmt}"):
            response = client.get(path, params)
            assert response.status_code == 200, response.content
            out.append(response.content)
    return out


@pytest.mark.parametrize("keyed", [False, True])
def test_no_caller_data_in_any_get(client, district, raw_key, keyed):
    response = post(client, raw_key, form(district, description=TEXT))
    number = response.json()[0]["service_request_id"]
    order = WorkOrder.objects.get(number=number)
    params = {"api_key": raw_key} if keyed else {}
    bodies = _bodies(client, number, **params)
    for body in bodies:
        text = body.decode()
        assert number in text
        # a keyed reader (a district system) gets the street address as written
        for value in _personal(order, with_address=not keyed):
            assert value not in text, value
        assert "2024-01-05" in text  # a date is not a number to hide
    record = client.get(f"/open311/v2/requests/{number}.json", params).json()[0]
    assert record["media_url"] == "https://photos.example.cn/p/123.jpg"
    if keyed:
        assert record["address"] == "东湖路88号院3号楼2单元501"
    else:
        assert record["address"] == ""  # no area was given: the public gets no address at all
        assert (record["lat"], record["long"]) == (39.904, 116.407)


def test_the_public_gets_the_street_not_the_address(client, district, raw_key):
    post(client, raw_key, form(district, **{"attribute[area]": "east-lake"}))
    (record,) = client.get("/open311/v2/requests.json").json()
    assert record["address"] == district.areas["east-lake"].name and record["address_id"] == "east-lake"


def test_an_order_taken_by_phone_publishes_no_caller_data_either(client, district):
    pk = make_order(district, caller_name="赵先生", caller_phone="13700001111",
                    description="赵先生反映：13700001111 楼下施工噪音扰民，联系人赵先生。")
    body = client.get("/open311/v2/requests.json").content.decode()
    assert "赵先生" not in body and "13700001111" not in body and "0001111" not in body
    assert WorkOrder.objects.get(pk=pk).number in body


def test_the_public_does_not_see_screened_out_or_merged_orders(client, district, raw_key):
    chengang = district.people["chengang"]
    kept = make_order(district)
    screened = make_order(district)
    merged = make_order(district)
    actions.do_screen_out(screened, actor=chengang, reason="malicious", advice="请文明表达诉求，谢谢配合。")
    actions.do_merge(merged, actor=chengang, main_order_id=kept)
    numbers = {pk: WorkOrder.objects.get(pk=pk).number for pk in (kept, screened, merged)}
    public = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()}
    assert public == {numbers[kept]}
    for pk in (screened, merged):
        assert client.get(f"/open311/v2/requests/{numbers[pk]}.json").status_code == 404
    keyed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json", {"api_key": raw_key}).json()}
    assert set(keyed) == set(numbers.values())
    assert keyed[numbers[screened]]["status"] == "closed"
    assert keyed[numbers[screened]]["status_notes"] == "不予受理：恶意或辱骂性诉求"
    assert "请文明" not in str(keyed)  # the advice to the caller is not published


def test_xml_drops_characters_xml_cannot_carry(client, district):
    import xml.etree.ElementTree as ET

    make_order(district, description="路面塌陷\x01\x0b\x1f，请处理。<b>&amp;</b>")
    root = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert root.findtext("request/description") == "路面塌陷，请处理。<b>&amp;</b>"


@pytest.mark.parametrize(("text", "masked"), [
    ("电话13912345678", "电话***"),
    ("电话+86 139 1234 5678", "电话***"),
    ("电话１３９１２３４５６７８", "电话***"),
    ("座机010-66554433转", "座机***转"),
    ("身份证11010519491231002x", "身份证***"),
    ("邮箱a.b@example.com。", "邮箱***。"),
    ("3号楼2单元501", "3号楼2单元501"),
    ("2024-01-05起", "2024-01-05起"),
    ("tel13912345678", "tel***"),
    ("A12345678B", "A***B"),
    ("1234567", "***"),
    ("123456", "123456"),
])
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_a_units_key_reads_only_that_units_orders_and_cannot_post(client, district):
    from hotline.api.keys import create_system_key
    from tests.open311.conftest import errors_of

    _key, raw = create_system_key(name="east-lake-app", scopes=["open311"], role="handler", unit_code="street-a")
    chengang = district.people["chengang"]
    ours = make_order(district, area="east-lake")
    theirs = make_order(district, area="west-city")
    actions.do_dispatch(ours, actor=chengang, unit_id=district.units["street-a"].pk)
    actions.do_dispatch(theirs, actor=chengang, unit_id=district.units["street-b"].pk)
    ours_no, theirs_no = (WorkOrder.objects.get(pk=pk).number for pk in (ours, theirs))
    listed = {r["service_request_id"] for r in client.get("/open311/v2/requests.json", {"api_key": raw}).json()}
    assert listed == {ours_no}
    assert client.get(f"/open311/v2/requests/{theirs_no}.json", {"api_key": raw}).status_code == 404
    by_id = client.get("/open311/v2/requests.json", {"api_key": raw, "service_request_id": theirs_no}).json()
    assert by_id == []
    refused = post(client, raw, form(district))
    assert refused.status_code == 403 and errors_of(refused)[0]["code"] == 403
    assert WorkOrder.objects.count() == 2
