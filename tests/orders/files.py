"""Real files for the upload tests: photos made with Pillow (optionally with EXIF GPS and an
orientation), and files that pretend to be something they are not."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

GPS_IFD, ORIENTATION = 0x8825, 0x0112


def jpeg(size: tuple[int, int] = (16, 12), *, gps: bool = False, orientation: int | None = None,
         comment: bytes | None = None, color: str = "red") -> bytes:
    """A JPEG photo; with `gps`, EXIF carries a position (31.23 N, 121.47 E, Shanghai)."""
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 13.0, 48.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    img.save(out, "JPEG", exif=exif.tobytes(), **extra)
    return out.getvalue()


def png(size: tuple[int, int] = (16, 12), *, mode: str = "RGBA", text: dict[str, str] | None = None) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    out = io.BytesIO()
    Image.new(mode, size, "blue").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (16, 12), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "green").save(out, fmt)
    return out.getvalue()


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>>"
            b" endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")


def docx(*, macro: bool = False, member: str = "word/document.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(member, "<w:document/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def wav() -> bytes:
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return out.getvalue()


# What an attacker names as something harmless.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 44 + b"\x80\0\0\0" + b"\0" * 64 + b"PE\0\0"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
HTML = b"<!DOCTYPE html><html><body><script>fetch('/orders/export.csv')</script></body></html>"
# HTML that does not start like HTML: text first, a script further down.
HTML_LATE = "现场情况说明：\n路面已修复。\n".encode() + b"<script>alert(1)</script>\n"
TEXT = "现场情况说明：路面已于当天修复，来电人认可。\n".encode()
