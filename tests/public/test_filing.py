"""Filing a request on the web: it becomes an order through the intake action (channel web),
with its photos as evidence, after the honeypot, the challenge, the rate limits and the photo
checks (by content) let it through."""

import io
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from hotline.orders.models import Event, Evidence, TriageJob, WorkOrder
from hotline.public import challenge
from hotline.public.config import DEFAULTS
from hotline.public.models import Ticket
from tests.public.helpers import file_request, filed_keys, form_fields, png, solve_page


def _limits(**kw):
    return override_settings(HOTLINE_PUBLIC={**DEFAULTS, **kw})


def test_a_valid_request_becomes_a_web_order_with_its_photos_and_a_triage_job(district):
    c = Client()
    number, code = filed_keys(c, file_request(c, district, photos=[png("a.png"), png("b.png", (12, 9))]))
    order = WorkOrder.objects.get(number=number)
    assert (order.channel, order.state, order.caller_phone) == ("web", "received", "13912345678")
    assert order.created_by.username == "public.web" and order.created_by.role == "public"
    assert order.area == district.areas["east-lake"] and order.address == "东湖路88号门前"
    assert list(order.evidence.values_list("kind", flat=True)) == [Evidence.Kind.PHOTO] * 2
    assert list(Event.objects.filter(order=order).values_list("action", flat=True)) == ["create", "attach", "attach"]
    assert TriageJob.objects.filter(order=order).exists()
    ticket = Ticket.objects.get(order=order)
    assert code not in ticket.code_hash and len(code) == 8
    # the code is shown once: the page does not show it again
    assert code not in c.get("/public/filed/", follow=True).content.decode()


def test_a_chosen_category_is_kept(district):
    c = Client()
    cat = district.categories["路灯不亮"]
    number, _code = filed_keys(c, file_request(c, district, category=cat.pk))
    assert WorkOrder.objects.get(number=number).category == cat


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "请填写标题。"),
    ("title", "长" * 201, "200"),
    ("description", "", "请填写"),
    ("area", "", "请选择所在街道。"),
    ("area", "999999", "选择一个有效的选项"),
    ("address", "", "请填写详细地址。"),
    ("address", "路" * 201, "200"),
    ("name", "", "请填写姓名。"),
    ("name", "名" * 51, "50"),
    ("phone", "", "请填写联系电话。"),
    ("phone", "1391234", "电话号码格式不正确"),
    ("category", "abc", "选择一个有效的选项"),
    ("description", "有\x00控制字符", "控制字符"),
])
def test_each_invalid_field_gets_its_message_and_nothing_is_written(district, field, value, message):
    c = Client()
    r = file_request(c, district, **{field: value})
    assert r.status_code == 400
    html = r.content.decode()
    assert message in html and "请按提示修改后再提交。" in html
    assert WorkOrder.objects.count() == 0
    # the form keeps what was typed (escaped) and offers a fresh challenge
    assert 'name="challenge" value="' in html and challenge.solve(html)


def test_the_honeypot_refuses_quietly(district):
    c = Client()
    r = file_request(c, district, website="http://spam.example")
    assert r.status_code == 400 and "提交未成功" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_wrong_answer_is_refused(district):
    c = Client()
    fresh = solve_page(c)
    r = file_request(c, district, answer=str(int(fresh["answer"]) + 1), challenge=fresh["challenge"])
    assert r.status_code == 400 and "验证问题回答不正确" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_forged_or_missing_token_is_refused(district):
    c = Client()
    forged = signing.dumps({"n": "x", "h": "y"}, salt="another-salt")
    for token in ("", "garbage", forged):
        r = file_request(c, district, challenge=token, answer="7")
        assert r.status_code == 400 and "验证问题无效" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_an_expired_challenge_is_refused(district):
    c = Client()
    fresh = solve_page(c)
    later = time.time() + 31 * 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        r = file_request(c, district, **fresh)
    assert r.status_code == 400 and "验证问题已过期" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_challenge_answers_once(district):
    c = Client()
    fresh = solve_page(c)
    assert file_request(c, district, **fresh).status_code == 302
    r = file_request(c, district, phone="13800001111", **fresh)
    assert r.status_code == 400 and "验证问题已使用过" in r.content.decode()
    assert WorkOrder.objects.count() == 1


def test_a_bench_may_turn_the_challenge_off(district):
    with _limits(challenge=False):
        c = Client()
        assert "data-challenge" not in c.get("/public/").content.decode()
        r = c.post("/public/", form_fields(district))
        assert r.status_code == 302
    assert WorkOrder.objects.count() == 1


def test_filings_are_limited_per_address(district):
    with _limits(file_per_ip_per_hour=2, file_per_phone_per_day=100):
        c = Client()
        for phone in ("13800000011", "13800000012"):
            assert file_request(c, district, phone=phone).status_code == 302
        r = file_request(c, district, phone="13800000013")
        assert r.status_code == 429 and "提交过于频繁" in r.content.decode()
        # another address is not held back
        other = Client(REMOTE_ADDR="10.1.2.3")
        assert file_request(other, district, phone="13800000014").status_code == 302
    assert WorkOrder.objects.count() == 3


def test_filings_are_limited_per_phone(district):
    with _limits(file_per_ip_per_hour=100, file_per_phone_per_day=2):
        for i in range(2):
            c = Client(REMOTE_ADDR=f"10.0.0.{i + 1}")
            assert file_request(c, district, phone="139 1234 5678").status_code == 302
        c = Client(REMOTE_ADDR="10.0.0.9")
        r = file_request(c, district, phone="13912345678")
        assert r.status_code == 429 and "该号码今天提交的诉求已达上限" in r.content.decode()
        assert file_request(c, district, phone="13912345679").status_code == 302
    assert WorkOrder.objects.count() == 3


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize("content", [_pdf(), b"<!doctype html><html><body><script>alert(1)</script></body></html>"])
def test_a_photo_that_is_something_else_inside_is_refused(district, content):
    c = Client()
    fake = SimpleUploadedFile("site.jpg", content, content_type="image/jpeg")
    r = file_request(c, district, photos=[fake])
    assert r.status_code == 400 and "不是可用的照片" in r.content.decode()
    assert WorkOrder.objects.count() == 0 and Evidence.objects.count() == 0


def test_a_document_is_not_a_photo(district):
    c = Client()
    r = file_request(c, district, photos=[SimpleUploadedFile("a.pdf", _pdf(), content_type="application/pdf")])
    assert r.status_code == 400 and "不是可用的照片" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_photo_too_big_and_too_many_photos_are_refused(district):
    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((300, 300), 100).convert("RGB").save(buf, format="PNG")
    big = SimpleUploadedFile("big.png", buf.getvalue(), content_type="image/png")
    with _limits(max_photo_bytes=len(buf.getvalue()) - 1, max_photos=2):
        c = Client()
        r = file_request(c, district, photos=[big])
        assert r.status_code == 400 and "超过" in r.content.decode()
        r = file_request(c, district, photos=[png("1.png"), png("2.png"), png("3.png")])
        assert r.status_code == 400 and "最多上传2张照片" in r.content.decode()
    assert WorkOrder.objects.count() == 0


def test_the_form_names_its_fields_and_has_no_staff_link(district):
    html = Client().get("/public/").content.decode()
    for name in ("title", "description", "category", "area", "address", "photos", "name", "phone", "website",
                 "answer", "challenge", "csrfmiddlewaretoken"):
        assert f'name="{name}"' in html, name
    assert not re.search(r'href="/(orders|triage|assessment|admin|accounts|api)', html)


def test_the_pages_speak_english_when_asked(district):
    c = Client()
    c.cookies["django_language"] = "en"
    html = c.get("/public/").content.decode()
    assert "Send a request online" in html and "What is" in html
    assert "Follow a request" in c.get("/public/track/").content.decode()
