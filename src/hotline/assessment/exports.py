"""Every table to CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and Excel (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.encoding import escape_uri_path

Column = tuple[str, str]  # (key, Chinese header)


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else value


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([str(label) for _key, label in columns])
    for row in rows:
        writer.writerow([_value(row.get(key)) for key, _label in columns])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "Sheet1"
    ws.append([str(label) for _key, label in columns])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([_value(row.get(key)) for key, _label in columns])
    for i, (_key, label) in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, 2 * len(str(label)) + 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def response(rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, name: str, fmt: str) -> HttpResponse:
    """A download of the table in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        body = to_xlsx(rows, columns, name)
        resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        filename = f"{name}.xlsx"
    else:
        resp = HttpResponse(to_csv(rows, columns), content_type="text/csv; charset=utf-8")
        filename = f"{name}.csv"
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return resp
