"""Uploads through the order page: checked by their content (not their name), photos re-encoded
without their metadata, an oversize file refused with the limit in the message while it streams;
a refused upload writes nothing (no file on disk, no row, no event)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image

from hotline.orders.models import Event, Evidence
from hotline.orders.states import State
from tests.orders import files
from tests.orders.loop import bring_to, snapshot


def _stored() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def order(district):
    return bring_to(district, State.IN_PROGRESS)


@pytest.fixture
def liqiang(district):
    c = Client()
    c.force_login(district.people["liqiang"])
    return c


def _upload(client, oid, name, data, content_type="application/octet-stream"):
    return client.post(f"/orders/{oid}/act/attach/",
                       {"attach-file": SimpleUploadedFile(name, data, content_type=content_type)})


def _refused(client, oid, name, data, content_type="application/octet-stream"):
    before, on_disk = snapshot(oid), _stored()
    r = _upload(client, oid, name, data, content_type)
    assert r.status_code == 400, (name, r.status_code)
    assert snapshot(oid) == before
    assert _stored() == on_disk
    return r.content.decode()


@pytest.mark.parametrize("name,data,declared", [
    ("photo.jpg", files.EXE, "image/jpeg"),
    ("pic.png", files.SVG, "image/png"),
    ("note.txt", files.HTML, "text/plain"),
    ("note.txt", files.HTML_LATE, "text/plain"),
    ("report.pdf", files.HTML, "application/pdf"),
    ("report.docx", files.EXE, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("recording.mp3", files.SVG, "audio/mpeg"),
])
def test_it_refuses_a_file_whose_content_is_not_what_its_name_says(order, liqiang, name, data, declared):
    page = _refused(liqiang, order, name, data, declared)
    assert "文件内容" in page


@pytest.mark.parametrize("name,data", [
    ("photo.jpg", files.png()),  # a real photo, but not what its name says
    ("scan.pdf", files.jpeg()),
    ("notes.docx", files.docx(member="other/readme.xml")),  # a zip, not a Word document
    ("macro.docx", files.docx(macro=True)),  # a Word document with macros
])
def test_it_refuses_an_allowed_type_under_another_types_name(order, liqiang, name, data):
    _refused(liqiang, order, name, data)


def test_it_refuses_svg_whatever_it_is_called(order, liqiang):
    for name in ("drawing.svg", "pic.png", "pic.jpg"):
        _refused(liqiang, order, name, files.SVG, "image/svg+xml")


def test_it_re_encodes_a_photo_without_its_gps_position_and_applies_the_orientation(order, liqiang):
    original = files.jpeg((40, 20), gps=True, orientation=6, comment=b"taken at 31.23N 121.47E")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(files.GPS_IFD)  # the position is there
    r = _upload(liqiang, order, "现场照片.jpg", original, "image/jpeg")
    assert r.status_code == 302
    ev = Evidence.objects.get(order_id=order, name="现场照片.jpg")
    stored = Path(ev.file.path).read_bytes()
    assert stored != original
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG"
    assert img.size == (20, 40)  # turned upright: orientation 6 is "rotate 90° clockwise"
    exif = img.getexif()
    assert not exif.get_ifd(files.GPS_IFD) and files.GPS_IFD not in exif
    assert exif.get(files.ORIENTATION) in (None, 1)
    assert b"31.23N" not in stored and b"PhoneMaker" not in stored and "comment" not in img.info
    assert (ev.kind, ev.content_type, ev.size) == ("photo", "image/jpeg", len(stored))
    assert ev.sha256 == hashlib.sha256(stored).hexdigest()
    event = Event.objects.get(order_id=order, action="attach")
    assert event.data["sha256"] == ev.sha256
    assert event.data["source_sha256"] == hashlib.sha256(original).hexdigest()


def test_it_strips_text_chunks_from_a_png_and_keeps_transparency(order, liqiang):
    r = _upload(liqiang, order, "plan.png", files.png(text={"Location": "31.23N 121.47E"}), "image/png")
    assert r.status_code == 302
    ev = Evidence.objects.get(order_id=order, name="plan.png")
    stored = Path(ev.file.path).read_bytes()
    img = Image.open(io.BytesIO(stored))
    assert (img.format, img.mode, ev.content_type) == ("PNG", "RGBA", "image/png")
    assert b"31.23N" not in stored and not getattr(img, "text", {})


@pytest.mark.parametrize("name,fmt,stored_as", [("a.webp", "WEBP", "JPEG"), ("a.gif", "GIF", "PNG")])
def test_it_stores_other_photo_formats_as_jpeg_or_png(order, liqiang, name, fmt, stored_as):
    assert _upload(liqiang, order, name, files.image(fmt)).status_code == 302
    ev = Evidence.objects.get(order_id=order, kind="photo", name__startswith="a.")
    assert Image.open(ev.file.path).format == stored_as
    assert ev.file.name.endswith(".jpg" if stored_as == "JPEG" else ".png")
    assert ev.name == "a.jpg" if stored_as == "JPEG" else ev.name == "a.png"


@pytest.mark.parametrize("name,data,kind,content_type", [
    ("现场说明.txt", files.TEXT, "document", "text/plain; charset=utf-8"),
    ("整改通知.pdf", files.pdf(), "document", "application/pdf"),
    ("整改报告.docx", files.docx(), "document",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台账.xlsx", files.xlsx(), "document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("通话录音.wav", files.wav(), "audio", "audio/wav"),
])
def test_it_accepts_documents_and_recordings_as_they_are(order, liqiang, name, data, kind, content_type):
    assert _upload(liqiang, order, name, data).status_code == 302
    ev = Evidence.objects.get(order_id=order, name=name)
    assert Path(ev.file.path).read_bytes() == data
    assert (ev.kind, ev.content_type, ev.sha256) == (kind, content_type, hashlib.sha256(data).hexdigest())


def test_it_refuses_a_truncated_photo(order, liqiang):
    whole = files.jpeg((200, 150))
    page = _refused(liqiang, order, "site.jpg", whole[: len(whole) // 2], "image/jpeg")
    assert "图片" in page


def test_it_refuses_a_corrupt_photo(order, liqiang):
    header_only = files.jpeg((64, 48))[:20] + b"\xff\xd9"  # a JPEG header, then its end marker
    _refused(liqiang, order, "site.jpg", header_only, "image/jpeg")


@override_settings(HOTLINE_MAX_IMAGE_PIXELS=10_000)
def test_it_refuses_a_photo_with_too_many_pixels(order, liqiang):
    page = _refused(liqiang, order, "bomb.png", files.image("PNG", (200, 200), mode="1"), "image/png")
    assert "像素" in page


def test_it_refuses_an_oversize_file_stating_the_limit(order, liqiang):
    data = b"\xff\xd8\xff\xe0" + b"\0" * (20 * 1024 * 1024)
    page = _refused(liqiang, order, "site.jpg", data, "image/jpeg")
    assert "文件过大（不能超过20MB）" in page


@override_settings(HOTLINE_MAX_UPLOAD_BYTES=3 * 1024 * 1024)
def test_it_states_the_configured_limit(order, liqiang):
    page = _refused(liqiang, order, "site.txt", b"a" * (3 * 1024 * 1024 + 1), "text/plain")
    assert "不能超过3MB" in page


def test_it_refuses_an_empty_file_and_a_missing_name(order, liqiang):
    _refused(liqiang, order, "site.jpg", b"", "image/jpeg")
    _refused(liqiang, order, "virus.exe", files.EXE)
    _refused(liqiang, order, "noext", files.jpeg())


@override_settings(HOTLINE_MAX_UPLOAD_BYTES=1024 * 1024)
def test_the_upload_handler_stops_writing_beyond_the_limit(rf):
    """The request never holds more than a chunk: beyond the limit the rest is read and dropped,
    and what reaches the form is an empty file that knows its size (so the action can say so)."""
    from hotline.web.uploads import LimitedUploadHandler

    handler = LimitedUploadHandler(rf.post("/"))
    handler.new_file("attach-file", "big.jpg", "image/jpeg", None)
    chunk = b"x" * handler.chunk_size
    written = 0
    for i in range(40):  # 40 chunks of 64 KiB: 2.5 MB
        assert handler.receive_data_chunk(chunk, i * len(chunk)) is None
        written = handler.written
    upload = handler.file_complete(40 * len(chunk))
    assert written <= 1024 * 1024
    assert upload.size == 40 * len(chunk)
    assert upload.read() == b""


@override_settings(HOTLINE_MAX_UPLOAD_BYTES=1024 * 1024)
def test_the_upload_handler_counts_every_file_of_a_request_together(rf):
    from hotline.web.uploads import LimitedUploadHandler

    handler = LimitedUploadHandler(rf.post("/"))
    sizes = []
    for n in range(3):  # three files of 512 KiB: the third is past the limit
        handler.new_file(f"f{n}", f"f{n}.txt", "text/plain", None)
        handler.receive_data_chunk(b"x" * 512 * 1024, 0)
        sizes.append(handler.file_complete(512 * 1024).size)
    assert sizes[:2] == [512 * 1024] * 2 and sizes[2] > 1024 * 1024
    assert handler.written == 1024 * 1024


def test_an_action_refused_after_the_check_leaves_no_file(district, order):
    from django.core.files.base import ContentFile

    from hotline.errors import NotAllowed
    from hotline.orders import actions

    before, on_disk = snapshot(order), _stored()
    with pytest.raises(NotAllowed):  # 赵敏's street does not handle this order
        actions.do_attach(order, actor=district.people["zhaomin"], file=ContentFile(files.jpeg(), name="a.jpg"))
    assert (snapshot(order), _stored()) == (before, on_disk)


def test_a_failure_after_the_file_is_written_removes_it(district, order, monkeypatch):
    from django.core.files.base import ContentFile

    from hotline.orders import actions
    from hotline.orders.actions import unit

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(unit, "_finish", broken)
    before, on_disk = snapshot(order), _stored()
    with pytest.raises(RuntimeError):
        actions.do_attach(order, actor=district.people["liqiang"], file=ContentFile(files.jpeg(), name="a.jpg"))
    assert (snapshot(order), _stored()) == (before, on_disk)
