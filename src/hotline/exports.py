"""The one export module: every download of a table (the order list, assessment tables, the
screening statistics, the CLI's duplicate groups) goes through here, as CSV (UTF-8 with a BOM, so Excel reads the Chinese)
or XLSX (openpyxl).

Text that people typed (a caller's title, name, address) reaches spreadsheets here, so every
text cell is neutralised (OWASP "CSV injection"): in CSV a cell that a spreadsheet would read
as a formula gets a leading apostrophe; in XLSX every text cell is written as a string cell
(never a formula), and one that looks like a formula also carries Excel's quote prefix, so
editing the cell does not turn it into one either. The XLSX keeps the exact text. Real numbers
(counts, rates) stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.functional import Promise

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Any]  # (key, header label)

# First characters that make a spreadsheet evaluate a cell. Tab, CR and LF count because
# importers strip leading whitespace; the full-width forms because some IMEs and locales
# normalise them to the ASCII ones.
_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
_LEADING_SPACE = " \t\r\n\u3000\xa0"


def looks_like_formula(text: str) -> bool:
    return bool(text) and (text[0] in _TRIGGERS or text.lstrip(_LEADING_SPACE)[:1] in _TRIGGERS)


def neutralise(value: Any) -> Any:
    """A CSV cell that no spreadsheet evaluates: text that looks like a formula gets a leading
    apostrophe; anything that is not text is returned as it is."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A Python value as a cell: numbers stay numbers, everything else becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) \
            else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(str(cell_value(v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}={cell_value(v)}" for k, v in value.items())
    if isinstance(value, Promise):
        return str(value)
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_row(row: Sequence[Any]) -> list[Any]:
    return [neutralise(cell_value(v)) for v in row]


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The table as CSV text, line by line, the first with the BOM."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(_csv_row(header))
    for row in rows:
        yield writer.writerow(_csv_row(row))


def write_csv(fh: TextIO, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    """The table into an open text file (the caller chooses the encoding, e.g. utf-8-sig);
    returns the number of data rows."""
    writer = csv.writer(fh)
    writer.writerow(_csv_row(header))
    n = 0
    for row in rows:
        writer.writerow(_csv_row(row))
        n += 1
    return n


def xlsx_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> bytes:
    """The table as an XLSX workbook (write-only, so a long list does not sit in memory as cells)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet))
    labels = [str(cell_value(h)) for h in header]
    for i, label in enumerate(labels):
        ws.column_dimensions[_column_letter(i)].width = max(10, 2 * len(label) + 2)

    def cell(value: Any, bold: bool = False) -> Any:
        value = cell_value(value)
        if isinstance(value, str):
            # Control characters cannot be stored in XLSX (openpyxl would raise): drop them.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # never "f", whatever the text starts with
            if looks_like_formula(value):
                c.quotePrefix = True
        if bold:
            c.font = Font(bold=True)
        return c

    ws.append([cell(label, bold=True) for label in labels])
    for row in rows:
        ws.append([cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet1"


def check_format(fmt: str) -> str:
    """`fmt` if it is one we write; otherwise a 404 (never a CSV under another name)."""
    if fmt not in FORMATS:
        raise Http404("unknown export format")
    return fmt


def download(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, name: str, fmt: str,
             sheet: str = "Sheet1", stream: bool = False) -> HttpResponse:
    """A download of the table. With `stream` a CSV is sent while it is written (a long order
    list); small tables and XLSX are built, then sent."""
    check_format(fmt)
    filename = f"{name}.{fmt}"
    response: HttpResponse
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(header, rows, sheet=sheet), content_type=XLSX_TYPE)
    elif stream:
        response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")  # type: ignore[assignment]
    else:
        response = HttpResponse("".join(csv_lines(header, rows)).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


def table_download(rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, name: str, fmt: str) -> HttpResponse:
    """A download of dict rows, one column per (key, label)."""
    header = [label for _key, label in columns]
    body = ([row.get(key) for key, _label in columns] for row in rows)
    return download(header, body, name=name, fmt=fmt, sheet=name)
