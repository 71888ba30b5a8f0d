"""Evidence files are served only through the order's checked view: whoever sees the order sees
its files, nobody else learns that they exist; what the procedure traces is written to the trace;
DEBUG changes nothing."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import Resolver404, clear_url_caches, resolve

from hotline.directory.models import User
from hotline.orders import actions
from hotline.orders.models import Event, Evidence
from hotline.orders.states import State
from tests.conftest import make_order
from tests.orders import files
from tests.orders.loop import bring_to, snapshot


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _attach(d, oid, name, data) -> Evidence:
    r = as_user(d.people["liqiang"]).post(f"/orders/{oid}/act/attach/",
                                          {"attach-file": SimpleUploadedFile(name, data)})
    assert r.status_code == 302, r.content.decode()[:500]
    return Evidence.objects.get(order_id=oid, name=name)


@pytest.fixture
def photo(district):
    """A site photo on an order that 东湖街道 (李强's street) handles."""
    oid = bring_to(district, State.IN_PROGRESS)
    return _attach(district, oid, "site.jpg", files.jpeg((30, 20)))


def _url(ev: Evidence) -> str:
    return f"/orders/{ev.order_id}/evidence/{ev.pk}/"


def _page(r, url: str) -> str:
    text = r.content.decode().replace(url, "")
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", text)


def _body(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


@pytest.mark.parametrize("who", ["liqiang", "zhoushen", "chengang", "liudu", "sunhui", "wangfang"])
def test_it_serves_a_photo_to_whoever_sees_the_order(district, photo, who):
    r = as_user(district.people[who]).get(_url(photo))
    assert r.status_code == 200
    assert _body(r) == Path(photo.file.path).read_bytes()
    assert r["Content-Type"] == "image/jpeg"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("inline")
    assert "sandbox" in r["Content-Security-Policy"]
    assert "no-store" in r["Cache-Control"]


def test_it_answers_404_to_a_handler_out_of_scope_as_for_evidence_that_does_not_exist(district, photo):
    c = as_user(district.people["zhaomin"])  # 西城街道: not her order
    assert c.get(_url(photo)).status_code == 404
    assert c.post(_url(photo)).status_code == 404
    other = f"/orders/{photo.order_id}/evidence/{photo.pk + 1000}/"
    missing = c.get(other)
    assert missing.status_code == 404
    # nothing but the address (and the per-response CSRF mask) tells the two apart
    assert _page(c.get(_url(photo)), _url(photo)) == _page(missing, other)


def test_it_answers_404_to_a_person_without_a_unit(district, photo):
    nobody = User.objects.create(username="nobody", role="handler", unit=None)
    assert as_user(nobody).get(_url(photo)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login_page(district, photo):
    r = Client().get(_url(photo))
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_it_does_not_serve_one_orders_evidence_under_another_orders_address(district, photo):
    other = bring_to(district, State.IN_PROGRESS)
    c = as_user(district.people["liqiang"])  # sees both orders
    assert c.get(f"/orders/{other}/evidence/{photo.pk}/").status_code == 404


def test_it_serves_documents_as_attachments_with_the_verified_type(district):
    oid = bring_to(district, State.IN_PROGRESS)
    for name, data, content_type in [("整改通知.pdf", files.pdf(), "application/pdf"),
                                     ("说明.txt", files.TEXT, "text/plain; charset=utf-8")]:
        ev = _attach(district, oid, name, data)
        r = as_user(district.people["zhoushen"]).get(_url(ev))
        assert r.status_code == 200
        assert (r["Content-Type"], r["X-Content-Type-Options"]) == (content_type, "nosniff")
        assert r["Content-Disposition"].startswith("attachment")
        assert "filename*=utf-8''" in r["Content-Disposition"]  # the Chinese name survives
        assert _body(r) == data


def test_it_serves_a_file_of_unknown_type_as_a_download_of_bytes(district, photo):
    Evidence.objects.filter(pk=photo.pk).update(content_type="")  # as uploaded before types were checked
    r = as_user(district.people["zhoushen"]).get(_url(photo))
    assert r["Content-Type"] == "application/octet-stream"
    assert r["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("debug", [False, True])
def test_it_has_no_route_to_the_media_folder_whatever_debug_says(district, photo, debug):
    import hotline.urls

    try:
        with override_settings(DEBUG=debug):
            importlib.reload(hotline.urls)
            clear_url_caches()
            with pytest.raises(Resolver404):
                resolve("/media/" + photo.file.name)
            assert Client().get("/media/" + photo.file.name).status_code == 404
            r = as_user(district.people["liqiang"]).get("/media/" + photo.file.name)
            assert r.status_code == 404
            assert Client().get(_url(photo)).status_code == 302
    finally:
        importlib.reload(hotline.urls)
        clear_url_caches()


def test_it_links_the_order_page_to_the_checked_view_not_to_the_file(district, photo):
    page = as_user(district.people["liqiang"]).get(f"/orders/{photo.order_id}/").content.decode()
    assert _url(photo) in page
    assert photo.file.url not in page and "/media/" not in page


def test_it_writes_no_event_when_the_procedure_does_not_trace_views(district, photo):
    before = snapshot(photo.order_id)
    as_user(district.people["zhoushen"]).get(_url(photo))
    assert snapshot(photo.order_id) == before


@pytest.fixture
def traced(district, photo):
    profile = district.profiles["site"]  # 道路塌陷破损's procedure
    profile.trace_evidence_views = True
    profile.save()
    return photo


def test_a_traced_procedure_asks_first_and_writes_nothing_on_get(district, traced):
    before = snapshot(traced.order_id)
    r = as_user(district.people["zhoushen"]).get(_url(traced))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    page = r.content.decode()
    assert 'method="post"' in page and "留痕" in page
    assert snapshot(traced.order_id) == before


def test_a_traced_procedure_records_each_view_by_whom(district, traced):
    c = as_user(district.people["zhoushen"])
    r = c.post(_url(traced))
    assert r.status_code == 200
    assert _body(r) == Path(traced.file.path).read_bytes()
    c.post(_url(traced))
    views = Event.objects.filter(order_id=traced.order_id, action="view_evidence")
    assert [(e.actor.username, e.data["evidence"]) for e in views] == [("zhoushen", traced.pk)] * 2
    timeline = as_user(district.people["chengang"]).get(f"/orders/{traced.order_id}/").content.decode()
    assert "查看证据材料" in timeline


def test_a_traced_procedure_writes_nothing_for_someone_out_of_scope(district, traced):
    before = snapshot(traced.order_id)
    assert as_user(district.people["zhaomin"]).post(_url(traced)).status_code == 404
    assert snapshot(traced.order_id) == before


def test_a_unit_that_sees_an_undispatched_order_in_its_area_sees_its_evidence(district):
    d = district
    oid = make_order(d)  # received, in 东湖街道's area
    actions.do_attach(oid, actor=d.people["wangfang"], file=_file("caller.jpg", files.jpeg()))
    ev = Evidence.objects.get(order_id=oid)
    assert as_user(d.people["liqiang"]).get(_url(ev)).status_code == 200
    assert as_user(d.people["zhengzhi"]).get(_url(ev)).status_code == 404


def _file(name, data):
    from django.core.files.base import ContentFile

    return ContentFile(data, name=name)


@override_settings(HOTLINE_SENDFILE="x-accel-redirect", HOTLINE_SENDFILE_PREFIX="/_evidence/")
def test_it_hands_the_file_to_nginx_when_configured(district, photo):
    r = as_user(district.people["zhoushen"]).get(_url(photo))
    assert r.status_code == 200
    assert r["X-Accel-Redirect"] == "/_evidence/" + photo.file.name
    assert r["Content-Type"] == "image/jpeg" and r["X-Content-Type-Options"] == "nosniff"
    assert _body(r) == b""


@override_settings(HOTLINE_SENDFILE="x-sendfile")
def test_it_hands_the_file_to_apache_when_configured(district, photo):
    r = as_user(district.people["zhoushen"]).get(_url(photo))
    assert r["X-Sendfile"] == photo.file.path
    assert _body(r) == b""
