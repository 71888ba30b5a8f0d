"""Reading the CSV files people bring (Excel exports, old systems' dumps): one reader for the
order import, the history import and the category tree.

The encoding is detected, never assumed: a byte-order mark says UTF-8 or UTF-16; otherwise the
bytes must be strict UTF-8, or GB18030 (what Excel on a Chinese Windows saves) *and* read as
plausible simplified Chinese. Big5 and Shift-JIS bytes mostly decode as GB18030 without error,
but into rare characters outside GB2312: such a file is refused, naming the encodings accepted,
rather than imported as garbled text. Rows are split with no field-size limit (a 1 MB cell must
be one rejected row, not the silent end of the file); the callers check each cell's length.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from hotline.errors import InvalidInput

# Python's csv module stops at 128 KiB per field by default and the reader cannot skip a field
# it refused; the whole file is in memory anyway, so a field may be as long as the file.
csv.field_size_limit(2**31 - 1)

# GB18030 text that is really Big5 or Shift-JIS shows mostly characters outside GB2312 (the
# 6,763 common simplified characters and punctuation) or in its rows of kana, Greek, Cyrillic,
# pinyin and box drawing (where Big5's most common characters, 0xA4-0xA9 lead bytes, land);
# real GBK text has a few at most (rare names like 喆). Refused above this share of non-ASCII characters, when there are at least
# MIN_RARE of them: even in a tiny file, refusing a real GBK file (save it as UTF-8) costs less
# than importing Big5 as garbled text with success.
MAX_RARE_SHARE = 0.10
MIN_RARE = 1
# A few NULs in a UTF-8 file are damage in some rows (rejected by line); many are UTF-16
# without a byte-order mark, or not a text file at all.
MAX_NUL_SHARE = 0.01


def accepted() -> str:
    return _("UTF-8（可带BOM）、带BOM的UTF-16 或 GBK/GB18030")


def decode(raw: bytes, name: str = "") -> tuple[str, str]:
    """The text of a CSV file's bytes and the encoding it was read with; InvalidInput
    ("unreadable_file") naming the encodings accepted when it is in none of them."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            if encoding == "utf-16" and raw.startswith(codecs.BOM_UTF32_LE):
                break  # UTF-32: not accepted
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    else:
        if raw.count(b"\x00") <= max(1, len(raw) * MAX_NUL_SHARE):
            try:
                return raw.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                text = ""
            if text and plausible_chinese(text):
                return text, "gb18030"
    raise InvalidInput(
        _("无法识别文件 %(path)s 的编码（可能是 Big5、Shift-JIS 或非文本文件）。只接受 %(accepted)s 编码的CSV文件，"
          "请用 Excel 或记事本“另存为”UTF-8 后再导入。") % {"path": name, "accepted": accepted()},
        code="unreadable_file")


def plausible_chinese(text: str) -> bool:
    """Whether GB18030-decoded text looks like simplified Chinese rather than Big5 or Shift-JIS
    read with the wrong table."""
    rare = total = 0
    for ch in text:
        if ord(ch) < 128:
            continue
        total += 1
        try:
            code = ch.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
            continue
        if len(code) == 2 and 0xA4 <= code[0] <= 0xA9:
            rare += 1
    return rare < MIN_RARE or rare <= total * MAX_RARE_SHARE


def read_text(path: str | Path) -> tuple[str, str]:
    """The text of the CSV file at `path` and its encoding (see decode); InvalidInput
    ("unreadable_file") when the file cannot be read."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(_("无法读取文件 %(path)s：%(why)s") % {"path": path, "why": exc.strerror or exc},
                           code="unreadable_file") from None
    return decode(raw, str(path))


@dataclass
class Row:
    """One record of the file: the line it starts on, its cells, or why it could not be split."""

    line: int
    cells: list[str]
    error: str = ""


def rows(text: str) -> Iterator[Row]:
    """The records of a CSV text, the header first. A record the csv module refuses is yielded
    with its error, and reading goes on after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0  # the last line of the previous record
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(end + 1, [], _("CSV格式错误：%(why)s") % {"why": exc})
            end = reader.line_num
            continue
        yield Row(end + 1, cells)
        end = reader.line_num
