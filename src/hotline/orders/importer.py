"""Importing orders from a CSV file (`hotline import FILE.csv`).

Parsing is here and testable without a terminal; the command only prints. Each row becomes an
Intake, batches go through actions.do_create_many (so imported orders get their first event
like any other), and every rejected row is reported with its line number and the reason in
Chinese. Re-importing a file creates nothing twice: each row carries an idempotency key, its
`number` column when it has one, else a hash of the row's content. No row is ever dropped
silently: a row that cannot be imported (an over-long cell, a NUL byte, a date out of range, a
number repeated with other content...) is rejected with its line, and reading goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import csvfile
from hotline.directory.models import Area, Category, User
from hotline.errors import InvalidInput

from . import deadlines
from .actions import Intake, do_create_many
from .models import Channel, Urgency

BATCH_SIZE = 1000

# Column -> the header names accepted for it (English or Chinese, case-insensitive).
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("number", "key", "编号", "工单编号"),
    "title": ("title", "标题"),
    "description": ("description", "诉求内容"),
    "caller_name": ("caller_name", "来电人"),
    "caller_phone": ("caller_phone", "联系电话"),
    "channel": ("channel", "渠道"),
    "address": ("address", "地址"),
    "area": ("area", "区域"),
    "category": ("category", "诉求类型"),
    "urgency": ("urgency", "紧急程度"),
    "received_at": ("received_at", "来电时间"),
}
REQUIRED = ("title", "description")
FIELD_LABELS = {
    "number": "编号", "title": "标题", "description": "诉求内容", "caller_name": "来电人", "caller_phone": "联系电话",
    "channel": "渠道", "address": "地址", "area": "区域", "category": "诉求类型", "urgency": "紧急程度",
    "received_at": "来电时间", "idempotency_key": "编号", "row": "行",
}
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                    "%Y/%m/%d")
MAX_NUMBER = 76  # the key is "csv:" + the number, in WorkOrder.idempotency_key (80)
URGENCY_WORDS = {"紧急": Urgency.EMERGENCY, "水电气热": Urgency.UTILITY, "一般": Urgency.GENERAL, "复杂": Urgency.COMPLEX}


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("第%(line)d行：%(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did. `rejected` lists each refused row with its line and reason."""

    encoding: str = ""
    read: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)


@dataclass
class ParsedFile:
    encoding: str
    rows: list[tuple[int, dict[str, str]]]  # (line, column -> value) for rows of the right width
    errors: list[RowError]


def parse_file(path: str | Path) -> ParsedFile:
    """Read and split a CSV file. Raises InvalidInput ("unreadable_file", "missing_columns")
    when the file as a whole cannot be used; row problems are returned, not raised."""
    text, encoding = csvfile.read_text(path)
    records = csvfile.rows(text)
    first = next(records, None)
    if first is not None and first.error:
        raise InvalidInput(_("文件不是有效的CSV：%(why)s") % {"why": first.error}, code="unreadable_file")
    if first is None:
        raise InvalidInput(_("文件是空的。"), code="missing_columns", details={"missing": list(REQUIRED)})
    header = first.cells
    mapping = map_header(header)
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        labels = "、".join(f"{FIELD_LABELS[c]}（{c}）" for c in missing)
        raise InvalidInput(_("缺少必需的列：%(cols)s。") % {"cols": labels}, code="missing_columns",
                           details={"missing": missing})
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for record in records:
        if record.error:
            errors.append(RowError(record.line, record.error))
            continue
        row = record.cells
        if not any(cell.strip() for cell in row):
            continue
        if any("\x00" in cell for cell in row):
            errors.append(RowError(record.line, _("含有NUL控制字符（\\x00），无法保存；请检查文件是否损坏。")))
            continue
        if len(row) != len(header):
            errors.append(RowError(record.line, _("列数不符：应为%(want)d列，实为%(got)d列。")
                                   % {"want": len(header), "got": len(row)}))
            continue
        # Leading and trailing whitespace (spaces, tabs, line breaks) is trimmed; nothing else
        # of a cell is changed (a cell starting with "=" is text: exports neutralise it).
        rows.append((record.line, {mapping[i]: row[i].strip() for i in mapping}))
    return ParsedFile(encoding, rows, errors)


def map_header(header: list[str]) -> dict[int, str]:
    """Column index -> field name for the columns we know; unknown columns are ignored."""
    known = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in aliases}
    out: dict[int, str] = {}
    for i, raw in enumerate(header):
        name = known.get(raw.strip().lstrip("\ufeff").lower())
        if name is not None and name not in out.values():
            out[i] = name
    return out


class Lookups:
    """Areas by name or code and categories by path or unique leaf name, loaded once."""

    def __init__(self) -> None:
        self.areas: dict[str, int] = {}
        for area in Area.objects.all():
            self.areas[area.name] = self.areas[area.code] = area.pk
        self.paths: dict[str, int] = {}
        self.leaves: dict[str, list[int]] = {}
        for cat in Category.objects.filter(active=True).only("id", "name", "path"):
            self.paths[cat.path] = cat.pk
            self.leaves.setdefault(cat.name, []).append(cat.pk)
        self.channels = {str(label): value for value, label in Channel.choices} | {v: v for v in Channel.values}
        self.urgencies = dict(URGENCY_WORDS) | {str(label): value for value, label in Urgency.choices} | {
            v: v for v in Urgency.values}

    def category(self, text: str) -> int:
        key = text.replace("／", "/").strip().strip("/")
        if "/" in key:
            key = "/".join(part.strip() for part in key.split("/"))
            if key in self.paths:
                return self.paths[key]
            raise ValueError(_("未知的诉求类型“%(v)s”。") % {"v": text})
        found = self.leaves.get(key, [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValueError(_("未知的诉求类型“%(v)s”。") % {"v": text})
        raise ValueError(_("诉求类型“%(v)s”不唯一，请填写完整路径（一级/二级/三级）。") % {"v": text})


def parse_datetime(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """ISO 8601 (with or without offset) or "2023-07-01 09:30:00"; naive times are China time.
    Raises ValueError (in Chinese) for anything else and for a time out of bounds (check_bounds)."""
    value = text.strip()
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        for fmt in DATETIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)  # noqa: DTZ007 (made aware just below)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(_("来电时间“%(v)s”格式不正确，应为 2023-07-01 09:30:00 或 ISO 8601。") % {"v": text})
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=timezone.get_default_timezone())
    return check_bounds(parsed, text, label=_("来电时间"), now=now)


def check_bounds(value: dt.datetime, text: str, *, label: str, now: dt.datetime | None = None) -> dt.datetime:
    """`value` when it lies between settings.HOTLINE_EARLIEST_DATE and now (plus a small clock
    skew); else ValueError naming the bound. Years 1 and 9999 are checked without arithmetic
    that would overflow."""
    earliest = settings.HOTLINE_EARLIEST_DATE
    if value.year <= 1 or value.date() < earliest:
        raise ValueError(_("%(label)s“%(v)s”早于%(min)s（热线启用之前），请核对。")
                         % {"label": label, "v": text, "min": earliest.isoformat()})
    latest = (now or timezone.now()) + dt.timedelta(minutes=settings.HOTLINE_CLOCK_SKEW_MINUTES)
    try:
        late = value.year >= dt.MAXYEAR or value > latest
    except OverflowError:
        late = True
    if late:
        raise ValueError(_("%(label)s“%(v)s”晚于当前时间。") % {"label": label, "v": text})
    return value


def row_digest(values: dict[str, str]) -> str:
    """A hash of a row's content (every column but its number)."""
    body = "\x1f".join(values.get(c, "") for c in COLUMNS if c != "number")
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def row_key(values: dict[str, str]) -> str:
    """The idempotency key of a row: its number when given, else a hash of its content."""
    if values.get("number"):
        return f"csv:{values['number']}"
    return "csv:" + row_digest(values)[:40]


def to_intake(values: dict[str, str], lookups: Lookups, now: dt.datetime) -> Intake:
    """One row as an Intake. Raises ValueError with every problem of the row, in Chinese."""
    problems: list[str] = []
    area_id = category_id = None
    received_at = None
    channel = Channel.PHONE.value
    urgency = Urgency.GENERAL.value
    if values.get("area"):
        area_id = lookups.areas.get(values["area"])
        if area_id is None:
            problems.append(_("未知的区域“%(v)s”。") % {"v": values["area"]})
    if values.get("category"):
        try:
            category_id = lookups.category(values["category"])
        except ValueError as exc:
            problems.append(str(exc))
    if values.get("channel"):
        channel = lookups.channels.get(values["channel"], "")
        if not channel:
            problems.append(_("未知的渠道“%(v)s”。") % {"v": values["channel"]})
    if values.get("urgency"):
        urgency = lookups.urgencies.get(values["urgency"], "")
        if not urgency:
            problems.append(_("未知的紧急程度“%(v)s”。") % {"v": values["urgency"]})
    if values.get("received_at"):
        try:
            received_at = parse_datetime(values["received_at"], now=now)
        except ValueError as exc:
            problems.append(str(exc))
    if len(values.get("number", "")) > MAX_NUMBER:
        problems.append(_("编号过长（%(len)d个字符），不能超过%(n)d个字符。") % {"len": len(values["number"]), "n": MAX_NUMBER})
    if problems:
        raise ValueError("；".join(p.rstrip("。") for p in problems) + "。")
    if not values.get("urgency") and category_id is not None:
        # no urgency in the file: the category's default, as intake pre-selects it
        on = timezone.localdate(received_at or now)
        urgency = deadlines.default_urgency(category_id, on) or urgency
    return Intake(
        title=values.get("title", ""), description=values.get("description", ""),
        caller_name=values.get("caller_name", ""), caller_phone=values.get("caller_phone", ""), channel=channel,
        address=values.get("address", ""), area_id=area_id, category_id=category_id, urgency=urgency,
        received_at=received_at, idempotency_key=row_key(values),
    )


def describe(details: Any) -> str:
    """InvalidInput details ({field: [messages]}) as one Chinese sentence."""
    if not isinstance(details, dict) or not details:
        return _("数据有误。")
    parts = []
    for name, messages in details.items():
        text = "".join(str(m) for m in (messages if isinstance(messages, list | tuple) else [messages]))
        parts.append(f"{FIELD_LABELS.get(name, name)}：{text.rstrip('。')}")
    return "；".join(parts) + "。"


class Progress(Protocol):
    def update(self, n: int) -> Any: ...
    def close(self) -> Any: ...


def import_orders(
    path: str | Path, *, actor: User, batch_size: int = BATCH_SIZE,
    progress: Callable[[int], Progress] | None = None,
) -> ImportReport:
    """Import every good row of `path` as a received order; report the rest by line.

    Before: `actor` may create orders. After: each valid row not imported before (by its key)
    is an order with its create event; rows already imported (same key, same content) count as
    duplicates; a key repeated with other content (in the file or in the database) is a
    rejected row; nothing is kept of a rejected row. Raises InvalidInput when the file as a whole cannot be used.
    `progress(total)` gives a bar that is told of each batch's rows (tqdm on the command line)."""
    parsed = parse_file(path)
    report = ImportReport(encoding=parsed.encoding, read=len(parsed.rows) + len(parsed.errors))
    report.rejected.extend(parsed.errors)
    lookups = Lookups()
    now = timezone.now()
    first_seen: dict[str, tuple[int, str]] = {}  # number -> (line, content digest) of its first row
    bar = progress(len(parsed.rows)) if progress else None
    for start in range(0, len(parsed.rows), batch_size):
        batch = parsed.rows[start:start + batch_size]
        intakes: list[Intake] = []
        lines: list[int] = []
        for line, values in batch:
            number = values.get("number", "")
            if number:
                digest = row_digest(values)
                first_line, first_digest = first_seen.setdefault(number, (line, digest))
                if first_digest != digest:
                    report.rejected.append(RowError(line, _("编号“%(n)s”与第%(first)d行重复，但内容不同；同一编号只能对应一张工单。")
                                                    % {"n": number, "first": first_line}))
                    continue
            try:
                intakes.append(to_intake(values, lookups, now))
            except ValueError as exc:
                report.rejected.append(RowError(line, str(exc)))
                continue
            lines.append(line)
        if intakes:
            result = do_create_many(intakes, actor=actor)
            report.created += len(result.created)
            report.duplicates += result.duplicates
            for index, details in result.errors:
                report.rejected.append(RowError(lines[index], describe(details)))
            for index, order_number in result.conflicts:
                report.rejected.append(RowError(lines[index], _(
                    "编号“%(n)s”已导入为工单%(order)s，但内容不同；同一编号只能对应一张工单。")
                    % {"n": intakes[index].idempotency_key.removeprefix("csv:"), "order": order_number}))
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    report.rejected.sort(key=lambda e: e.line)
    return report
