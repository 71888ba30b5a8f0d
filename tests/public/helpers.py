"""Helpers of the citizen tests: a filing through the form, a small real PNG, a tracked client."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.public import challenge


def png(name: str = "site.png", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def form_fields(district: Any, **over: Any) -> dict[str, Any]:
    data = {
        "title": "东湖路路灯不亮", "description": "东湖路88号门前路灯连续三晚不亮，夜里行人看不清路。",
        "category": "", "area": district.areas["east-lake"].pk, "address": "东湖路88号门前",
        "name": "张先生", "phone": "13912345678", "website": "",
    }
    data.update(over)
    return data


def solve_page(client: Client) -> dict[str, str]:
    """GET the form; the challenge token and its answer."""
    html = client.get("/public/").content.decode()
    token = re.search(r'name="challenge" value="([^"]+)"', html)
    return {"challenge": token.group(1) if token else "", "answer": challenge.solve(html) if token else ""}


def file_request(client: Client, district: Any, **over: Any):
    data = {**form_fields(district), **solve_page(client)}
    data.update(over)
    return client.post("/public/", data)


def filed_keys(client: Client, response: Any) -> tuple[str, str]:
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(response["Location"]).content.decode()
    number = re.search(r'id="order-number">([^<]+)<', html).group(1)
    code = re.search(r'id="query-code">([^<]+)<', html).group(1)
    return number, code


def take_round(district: Any, oid: int, *, unit: str = "street-a", handler: str = "liqiang",
               reply: dict[str, Any] | None = None) -> None:
    """Staff take a filed order to its callback: dispatch, sign, reply, approve."""
    from hotline.orders import actions
    from tests.orders.loop import REPLY_TEXT

    p = district.people
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units[unit].pk, note="按属地和职责派单处理")
    actions.do_sign(oid, actor=p[handler])
    actions.do_reply(oid, actor=p[handler], **(reply or REPLY_TEXT))
    from hotline.orders.models import WorkOrder

    if WorkOrder.objects.get(pk=oid).state == "replied":
        actions.do_approve(oid, actor=p["zhoushen"])


def filed(client: Client, district: Any, **over: Any) -> tuple[int, str, str]:
    """A request filed through the form: (order id, number, code)."""
    from hotline.orders.models import WorkOrder

    number, code = filed_keys(client, file_request(client, district, **over))
    return WorkOrder.objects.get(number=number).pk, number, code


def open_order(client: Client, number: str, code: str):
    return client.post("/public/track/", {"number": number, "code": code})
