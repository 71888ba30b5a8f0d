"""What an evidence file may be, decided by its content, not its name.

`check(file, name)` reads an upload (a file object: an UploadedFile, a django File, BytesIO),
streams it in chunks, and returns what to store: the detected type (libmagic) must be an
allowed one and agree with the file's extension; photos are decoded by Pillow and re-encoded to
JPEG or PNG, upright and without their metadata (EXIF with the GPS position, XMP, comments, text
chunks); Office files must be what their name says and carry no macros; text must not be
markup. Everything else is refused with an InvalidInput in the user's language, before anything
is written.

Served back (web/views/evidence.py) with the type stored here, never one guessed from the name.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import magic
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from hotline.errors import InvalidInput

CHUNK = 64 * 1024
HEAD = 1024 * 1024  # what libmagic is shown (its own default read limit)

PHOTO, DOCUMENT, AUDIO = "photo", "document", "audio"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Allowed:
    kind: str
    extensions: frozenset[str]
    content_type: str  # what the file is served as


def _a(kind: str, exts: str, content_type: str) -> Allowed:
    return Allowed(kind, frozenset(exts.split()), content_type)


# libmagic's answer -> what it may be called and how it is served. Old Office files are OLE
# containers: libmagic names Word and Excel ones, and calls some of them just "CDFV2".
ALLOWED: dict[str, Allowed] = {
    "image/jpeg": _a(PHOTO, ".jpg .jpeg", "image/jpeg"),
    "image/png": _a(PHOTO, ".png", "image/png"),
    "image/webp": _a(PHOTO, ".webp", "image/webp"),
    "image/gif": _a(PHOTO, ".gif", "image/gif"),
    "application/pdf": _a(DOCUMENT, ".pdf", "application/pdf"),
    DOCX: _a(DOCUMENT, ".docx", DOCX),
    XLSX: _a(DOCUMENT, ".xlsx", XLSX),
    "application/msword": _a(DOCUMENT, ".doc", "application/msword"),
    "application/vnd.ms-excel": _a(DOCUMENT, ".xls", "application/vnd.ms-excel"),
    "application/vnd.ms-office": _a(DOCUMENT, ".doc .xls", "application/vnd.ms-office"),
    "application/cdfv2": _a(DOCUMENT, ".doc .xls", "application/vnd.ms-office"),
    "text/plain": _a(DOCUMENT, ".txt", "text/plain"),
    "audio/mpeg": _a(AUDIO, ".mp3", "audio/mpeg"),
    "audio/x-m4a": _a(AUDIO, ".m4a", "audio/mp4"),
    "audio/mp4": _a(AUDIO, ".m4a", "audio/mp4"),
    "audio/amr": _a(AUDIO, ".amr", "audio/amr"),
    "audio/x-wav": _a(AUDIO, ".wav", "audio/wav"),
    "audio/wav": _a(AUDIO, ".wav", "audio/wav"),
    "audio/vnd.wave": _a(AUDIO, ".wav", "audio/wav"),
}
EXTENSIONS = frozenset().union(*(a.extensions for a in ALLOWED.values()))
# An OOXML file is a zip: libmagic names it only when its entries come in the usual order.
ZIP_NAMES = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
# Markup anywhere in a text file: a browser that ignores the served type would run it.
MARKUP = re.compile(rb"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|frame|svg|object|embed|meta|link|style|"
                    rb"img|form|base|math|a\s)", re.IGNORECASE)


@dataclass
class Checked:
    """An upload that passed: what to store, under which extension, and what it is."""

    content: File
    name: str  # the name shown (the upload's, with the extension of what is stored)
    ext: str
    kind: str
    content_type: str
    size: int
    sha256: str  # of what is stored
    source_sha256: str  # of what was uploaded (differs when a photo was re-encoded)


def limit_text(n: int) -> str:
    mb, kb = 1024 * 1024, 1024
    return f"{n // mb}MB" if n % mb == 0 else f"{n // kb}KB" if n % kb == 0 else f"{n}B"


def _refuse(message: str, hint: str) -> InvalidInput:
    # The message goes beside the field too: the form shows what a field's details say.
    return InvalidInput(message, details={"file": [message, hint]})


def _size(f: IO[bytes] | File) -> int:
    size = getattr(f, "size", None)
    if isinstance(size, int):
        return size
    f.seek(0, io.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def _chunks(f: IO[bytes] | File) -> Iterator[bytes]:
    f.seek(0)
    while chunk := f.read(CHUNK):
        yield chunk
    f.seek(0)


def _sha256(f: IO[bytes] | File) -> str:
    h = hashlib.sha256()
    for chunk in _chunks(f):
        h.update(chunk)
    return h.hexdigest()


def check(file: IO[bytes] | File, name: str) -> Checked:
    """Check an upload by its content; return what to store, or raise InvalidInput."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[-200:] or "file"
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in EXTENSIONS:
        raise _refuse(_("不支持的文件类型：%(ext)s。") % {"ext": ext or name},
                      _("请上传照片、PDF、Word、Excel、文本或录音文件。"))
    limit = settings.HOTLINE_MAX_UPLOAD_BYTES
    size = _size(file)
    if size > limit:
        raise _refuse(_("文件过大（不能超过%(limit)s）。") % {"limit": limit_text(limit)}, _("请压缩后再上传。"))
    if size == 0:
        raise _refuse(_("文件是空的。"), _("请重新选择文件。"))
    file.seek(0)
    head = file.read(HEAD)
    file.seek(0)
    detected = magic.from_buffer(head, mime=True).lower()
    if detected == "application/zip" and ext in ZIP_NAMES:
        detected = DOCX if ext == ".docx" else XLSX  # confirmed by _check_office below
    allowed = ALLOWED.get(detected)
    if allowed is None or ext not in allowed.extensions:
        raise _refuse(_("文件内容与文件名不符或不被接受：“%(name)s”的内容是%(type)s。") % {"name": name, "type": detected},
                      _("请上传照片、PDF、Word、Excel、文本或录音文件。"))
    source_sha256 = _sha256(file)
    content_type = allowed.content_type
    if allowed.kind == PHOTO:
        data, ext, content_type = _reencode(file, detected)
        name = name.rsplit(".", 1)[0] + ext
        stored: File = ContentFile(data)
        return Checked(stored, name, ext, PHOTO, content_type, len(data), hashlib.sha256(data).hexdigest(),
                       source_sha256)
    if detected in (DOCX, XLSX):
        _check_office(file, ext)
    if detected == "text/plain":
        content_type = _check_text(file, head)
    stored = file if isinstance(file, File) else File(file)
    return Checked(stored, name, ext, allowed.kind, content_type, size, source_sha256, source_sha256)


def _not_office(ext: str) -> InvalidInput:
    return _refuse(_("文件内容与文件名不符：这不是有效的%(ext)s文件。") % {"ext": ext}, _("请用Office或WPS另存后再上传。"))


def _check_office(file: IO[bytes] | File, ext: str) -> None:
    try:
        with zipfile.ZipFile(file) as z:  # reads the central directory only: nothing is unpacked
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_office(ext) from None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names or ZIP_NAMES[ext] not in names:
        raise _not_office(ext)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refuse(_("不接受含宏的Office文件。"), _("请另存为不含宏的文档后再上传。"))


def _check_text(file: IO[bytes] | File, head: bytes) -> str:
    tail = b""
    for chunk in _chunks(file):
        if MARKUP.search(tail + chunk):
            raise _refuse(_("文件内容与文件名不符：文本文件中含有网页代码。"), _("请上传纯文本，或另存为PDF后上传。"))
        tail = chunk[-64:]  # a tag split across two chunks
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not merely a character cut at the end of the head
                continue
        return f"text/plain; charset={encoding}"
    return "text/plain"


def _corrupt() -> InvalidInput:
    return _refuse(_("图片已损坏或不完整，无法打开。"), _("请重新拍摄或导出后再上传。"))


def _reencode(file: IO[bytes] | File, detected: str) -> tuple[bytes, str, str]:
    """Decode the photo and write it again: upright (EXIF orientation applied), as JPEG (PNG
    when it has transparency or was lossless), with no metadata but its colour profile."""
    max_pixels = settings.HOTLINE_MAX_IMAGE_PIXELS
    too_many = _refuse(_("图片像素过多（不能超过%(n)d万像素）。") % {"n": max_pixels // 10_000},
                       _("请缩小图片后再上传。"))
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, refuses) on a decompression bomb: a small
            # file that unpacks to gigabytes. Here every such warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file) as probe:
                if probe.format != PILLOW_FORMATS[detected]:
                    raise _corrupt()
                if probe.width * probe.height > max_pixels:
                    raise too_many
                probe.verify()
            file.seek(0)
            with Image.open(file) as img:
                img.load()  # the whole image is decoded: a truncated file fails here
                icc = img.info.get("icc_profile")
                out = ImageOps.exif_transpose(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, KeyError, IndexError,
            TypeError, ZeroDivisionError):
        raise _corrupt() from None
    finally:
        file.seek(0)
    alpha = out.mode in ("RGBA", "LA", "PA") or (out.mode == "P" and "transparency" in out.info)
    png = alpha or detected in ("image/png", "image/gif")
    if alpha and out.mode != "RGBA":
        out = out.convert("RGBA")  # before the info goes: a palette's transparency lives there
    elif png and out.mode not in ("1", "L", "P", "RGB", "RGBA", "I", "I;16") or not png and out.mode not in ("L", "RGB"):
        out = out.convert("RGB")
    out.info = {}  # EXIF (GPS, camera, time), XMP, comments, PNG text: none of it is kept
    buf = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if png:
        out.save(buf, "PNG", **extra)
        return buf.getvalue(), ".png", "image/png"
    out.save(buf, "JPEG", quality=90, **extra)
    return buf.getvalue(), ".jpg", "image/jpeg"
