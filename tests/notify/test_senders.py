"""Each sender against a real HTTP server on 127.0.0.1 (no mocks): ok, 500 → retry, 400 →
permanent, a timeout → retry; the webhooks' body-level errcodes; DingTalk's signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.parse

import pytest
from django.core import mail

from hotline.notify.senders import OutgoingMessage, get_sender
from hotline.notify.senders.console import FileSender
from hotline.notify.senders.email import EmailSender
from hotline.notify.senders.sms import SmsGatewaySender
from hotline.notify.senders.webhook import DingTalkSender, WeComSender, dingtalk_sign

from .server import Behaviour, LocalServer

MSG = OutgoingMessage(id="notify-17-1", medium="sms", to="13900000001", subject="新工单202601010001",
                      text="【新工单】东湖街道：工单202601010001已派至本单位。", emergency=True)


@pytest.fixture(scope="module")
def _server():
    with LocalServer() as s:
        yield s


@pytest.fixture
def server(_server):
    _server.reset()
    return _server


def test_it_posts_the_sms_as_json_with_the_token_and_the_message_id(server):
    out = SmsGatewaySender(url=server.url + "/sms", token="t0ken", sign="【某区12345】").send(MSG)
    assert out.ok, out
    got = server.received[0]
    assert got.path == "/sms"
    assert got.headers["authorization"] == "Bearer t0ken"
    assert got.headers["content-type"].startswith("application/json")
    assert got.body == {"message_id": "notify-17-1", "to": "13900000001", "priority": "high",
                        "text": "【某区12345】【新工单】东湖街道：工单202601010001已派至本单位。"}


@pytest.mark.parametrize(("status", "retry"), [(500, True), (503, True), (429, True), (400, False), (401, False),
                                               (404, False)])
def test_a_gateway_error_is_retried_or_permanent_by_its_status(server, status, retry):
    server.behaviour = Behaviour(status=status, reply={"error": "nope"})
    out = SmsGatewaySender(url=server.url, token="t").send(MSG)
    assert not out.ok
    assert out.retry is retry
    assert f"HTTP {status}" in out.detail and "nope" in out.detail


def test_a_gateway_that_does_not_answer_in_time_is_retried(server):
    server.behaviour = Behaviour(delay=1.5)
    out = SmsGatewaySender(url=server.url, timeout=0.3).send(MSG)
    assert not out.ok and out.retry
    assert "timeout" in out.detail


def test_a_gateway_that_is_down_is_retried():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = SmsGatewaySender(url=f"http://127.0.0.1:{port}/", timeout=1).send(MSG)
    assert not out.ok and out.retry


def test_an_sms_without_a_number_or_a_gateway_is_permanent(server):
    assert SmsGatewaySender(url=server.url).send(OutgoingMessage("x", "sms", "", "", "text")).retry is False
    assert SmsGatewaySender(url="").send(MSG).retry is False
    assert server.received == []


def test_wecom_gets_markdown_and_mentions_by_number_in_text_mode(server):
    assert WeComSender(url=server.url + "/cgi-bin/webhook/send?key=k").send(MSG).ok
    assert WeComSender(url=server.url + "/cgi-bin/webhook/send?key=k", msgtype="text").send(MSG).ok
    md, text = server.received
    assert md.path == "/cgi-bin/webhook/send?key=k"
    assert md.body == {"msgtype": "markdown", "markdown": {"content": f"**{MSG.subject}**\n\n{MSG.text}"}}
    assert text.body == {"msgtype": "text", "text": {"content": MSG.text, "mentioned_mobile_list": ["13900000001"]}}


@pytest.mark.parametrize(("errcode", "retry"), [(93000, False), (45009, True)])
def test_a_webhook_refusal_inside_a_200_is_not_taken_for_success(server, errcode, retry):
    server.behaviour = Behaviour(reply={"errcode": errcode, "errmsg": "invalid webhook url"})
    out = WeComSender(url=server.url).send(MSG)
    assert not out.ok and out.retry is retry
    assert str(errcode) in out.detail


@pytest.mark.parametrize(("status", "retry"), [(502, True), (403, False)])
def test_a_webhook_http_error_is_retried_or_permanent(server, status, retry):
    server.behaviour = Behaviour(status=status)
    out = DingTalkSender(url=server.url).send(MSG)
    assert not out.ok and out.retry is retry


def test_a_webhook_timeout_is_retried(server):
    server.behaviour = Behaviour(delay=1.5)
    out = WeComSender(url=server.url, timeout=0.3).send(MSG)
    assert not out.ok and out.retry


def test_dingtalk_signs_the_url_with_timestamp_and_hmac(server):
    assert DingTalkSender(url=server.url + "/robot/send?access_token=abc", secret="SECxyz").send(MSG).ok
    got = server.received[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(got.path).query)
    assert query["access_token"] == ["abc"]
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SECxyz", f"{ts}\nSECxyz".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert got.body["msgtype"] == "markdown"
    assert got.body["at"] == {"atMobiles": ["13900000001"], "isAtAll": False}


def test_dingtalk_sign_matches_the_documented_recipe():
    ts, sign = dingtalk_sign("secret", 1700000000000)
    assert ts == 1700000000000
    assert sign == base64.b64encode(hmac.new(b"secret", b"1700000000000\nsecret", hashlib.sha256).digest()).decode()


def test_an_unsigned_dingtalk_robot_gets_the_url_as_it_is(server):
    assert DingTalkSender(url=server.url + "/robot/send?access_token=abc").send(MSG).ok
    assert server.received[0].path == "/robot/send?access_token=abc"


def test_email_goes_through_djangos_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = EmailSender().send(OutgoingMessage("notify-3-1", "email", "li@example.org", "主题", "正文"))
    assert out.ok
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (["li@example.org"], "主题", "正文")
    assert sent.extra_headers["X-Hotline-Message-Id"] == "notify-3-1"


def test_email_to_an_unreachable_smtp_server_is_retried(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
    out = EmailSender().send(OutgoingMessage("m", "email", "li@example.org", "s", "t"))
    assert not out.ok and out.retry


def test_email_without_an_address_is_permanent():
    assert EmailSender().send(OutgoingMessage("m", "email", "", "s", "t")).retry is False


def test_the_file_sender_writes_one_json_line_per_message(tmp_path):
    path = tmp_path / "n" / "messages.jsonl"
    sender = FileSender(path=str(path))
    assert sender.send(MSG).ok and sender.send(MSG).ok
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["notify-17-1", "notify-17-1"]
    assert lines[0]["text"] == MSG.text and lines[0]["to"] == "13900000001"


def test_the_default_sender_of_every_medium_is_the_file_under_the_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for medium in ("sms", "wecom", "email"):
        sender = get_sender(medium)
        assert isinstance(sender, FileSender)
        assert sender.path == tmp_path / "notify" / "messages.jsonl"


def test_the_sender_is_chosen_per_medium_by_dotted_path(settings, server):
    settings.HOTLINE_NOTIFY_SENDERS = {"sms": {"BACKEND": "hotline.notify.senders.sms.SmsGatewaySender",
                                               "OPTIONS": {"url": server.url, "token": "k"}},
                                       "wecom": "hotline.notify.senders.console.NullSender"}
    sms = get_sender("sms")
    assert isinstance(sms, SmsGatewaySender) and sms.url == server.url
    assert get_sender("wecom").send(MSG).ok
    assert server.received == []
