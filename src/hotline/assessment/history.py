"""History import: a district moving from its old system brings its closed orders in, with
their whole life, and can then check its own figures with `hotline assess`.

`import_history(path, stdout=..., stderr=...)` reads the CSV (UTF-8 with or without BOM, or GBK),
accepts English or Chinese column names (docs/history_import.md), creates missing units, areas
and categories (and reports them), and hands the parsed rows to
`orders.actions.do_import_history` in batches. Returns an exit code: 0 when every row was
imported (or had been before), 1 when some rows were rejected (reported by line; the others are
imported), 2 when the file is unreadable, in no accepted encoding or lacks required columns.
The file is read by hotline.csvfile (encoding detected, no field-size limit); a cell over a
column's limit rejects its row, it is never cut."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hotline import csvfile
from hotline.directory.models import Area, Category, Unit, UnitKind, User
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.orders import actions
from hotline.orders.importer import check_bounds
from hotline.orders.models import Channel, Satisfaction, UnreasonableReason, Urgency
from hotline.orders.validation import as_int, phone_error

from . import stats, tasks

COLUMNS = [
    # English name, Chinese header, required
    ("number", "工单编号", True), ("received_at", "来电时间", True), ("channel", "渠道", False),
    ("caller_name", "来电人", False), ("caller_phone", "联系电话", False), ("area", "区域", False),
    ("address", "地址", False), ("title", "标题", False), ("description", "诉求内容", True),
    ("category", "诉求类型", False), ("unit", "承办单位", True), ("dispatched_at", "派单时间", False),
    ("signed_at", "签收时间", False), ("first_contact_at", "首次联系时间", False), ("replied_at", "答复时间", False),
    ("reply", "答复内容", False), ("redo_count", "重办次数", False), ("return_count", "退单次数", False),
    ("closed_at", "办结时间", False), ("callback_valid", "有效回访", False), ("callback_phone", "回访号码", False),
    ("contacted", "是否联系", False), ("resolved", "是否解决", False), ("satisfaction", "满意度", False),
]
# Optional extra columns: urgency/紧急程度 (emergency/utility/general/complex or 紧急/水电气热/一般/复杂);
# left empty, the category's default urgency on the order's dispatch date (its deadline rule), else general.
# unreasonable/不合理诉求: the old system upheld the order as an unreasonable request (a reason code or
# its Chinese label, UNREASONABLE below; empty: not).
# returns_upheld/退单成立次数: of the return_count returns, how many the old system upheld (empty: 0).
ALIASES = {zh: en for en, zh, _req in COLUMNS} | {en: en for en, _zh, _req in COLUMNS} | {
    "urgency": "urgency", "紧急程度": "urgency", "unreasonable": "unreasonable", "不合理诉求": "unreasonable",
    "returns_upheld": "returns_upheld", "退单成立次数": "returns_upheld"}
REQUIRED = [en for en, _zh, req in COLUMNS if req]
TRUE = {"是", "true", "1", "yes", "y", "t", "已联系", "已解决"}
FALSE = {"否", "false", "0", "no", "n", "f", "未联系", "未解决"}
SATISFACTION = {"满意": Satisfaction.SATISFIED, "基本满意": Satisfaction.BASIC, "不满意": Satisfaction.UNSATISFIED,
                "satisfied": Satisfaction.SATISFIED, "basic": Satisfaction.BASIC,
                "unsatisfied": Satisfaction.UNSATISFIED}
CHANNELS = {label: value for value, label in Channel.choices} | {v: v for v in Channel.values}
URGENCY = {"紧急": Urgency.EMERGENCY, "水电气热": Urgency.UTILITY, "一般": Urgency.GENERAL, "复杂": Urgency.COMPLEX} | {
    v: v for v in Urgency.values}
UNREASONABLE = {v: v for v in UnreasonableReason.values} | {
    "恶意诉求": UnreasonableReason.MALICIOUS, "重复诉求": UnreasonableReason.REPEATED,
    "个人私利": UnreasonableReason.PRIVATE_INTEREST, "法定途径": UnreasonableReason.LEGAL_CHANNEL,
    "超出公共职责": UnreasonableReason.NO_PUBLIC_DUTY}
BATCH = 500
MAX_NAME = 100  # Unit.name, Area.name, Category.name


@dataclass
class Summary:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)
    new_areas: list[str] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def read_text(path: Path) -> str:
    """The file's text, its encoding detected by hotline.csvfile; InvalidInput when unreadable."""
    return csvfile.read_text(path)[0]


def parse_time(value: str) -> dt.datetime | None:
    """ISO 8601 (with or without offset) or "2023-07-01 09:30[:00]", "2023/07/01 09:30";
    times without an offset are China time."""
    value = (value or "").strip()
    if not value:
        return None
    value = value.replace("/", "-").replace("T", " ").replace("Z", "+00:00")
    value = re.sub(r"^(\d{4})-(\d{1,2})-(\d{1,2})", lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_("时间格式不正确：%(v)s") % {"v": value}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return check_bounds(parsed, value, label=_("时间"))


def parse_bool(value: str) -> bool | None:
    v = (value or "").strip().lower()
    if not v:
        return None
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise ValueError(_("应填“是”或“否”：%(v)s") % {"v": value})


def parse_int(value: str) -> int:
    """A count (0..50; empty is 0), read by the one integer parser: "1.5" and "1.0" are refused."""
    v = (value or "").strip()
    if not v:
        return 0
    n = as_int(v)
    if n is None:
        raise ValueError(_("应为整数：%(v)s") % {"v": value})
    if n < 0 or n > 50:
        raise ValueError(_("次数超出范围：%(v)s") % {"v": value})
    return n


class Directory:
    """Looks up (and, where missing, creates) units, areas and categories by name."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.units = {u.name: u for u in Unit.objects.all()}
        self.areas = {a.name: a for a in Area.objects.all()}
        self.paths = {c.path: c for c in Category.objects.all()}
        self.leaves: dict[str, list[Category]] = {}
        for c in self.paths.values():
            self.leaves.setdefault(c.name, []).append(c)

    def unit(self, name: str) -> Unit:
        name = _name(name, _("承办单位"))
        if name not in self.units:
            kind = UnitKind.STREET if name.endswith(("街道", "街道办事处")) else (
                UnitKind.TOWN if name.endswith(("镇", "乡", "镇人民政府")) else (
                    UnitKind.COMPANY if "公司" in name else UnitKind.DEPARTMENT))
            self.units[name] = Unit.objects.create(name=name, code=_code(Unit, name), kind=kind, handles_orders=True)
            self.summary.new_units.append(name)
        return self.units[name]

    def area(self, name: str) -> Area | None:
        name = _name(name, _("区域"))
        if not name:
            return None
        if name not in self.areas:
            self.areas[name] = Area.objects.create(name=name, code=_code(Area, name))
            self.summary.new_areas.append(name)
        return self.areas[name]

    def category(self, value: str) -> Category | None:
        value = value.strip().strip("/")
        if not value:
            return None
        if value in self.paths:
            return self.paths[value]
        if "/" not in value:
            found = self.leaves.get(value) or []
            if len(found) >= 1:
                return sorted(found, key=lambda c: -c.level)[0]
        parent = None
        path = ""
        parts = value.split("/")
        if len(parts) > 3 or any(not p.strip() for p in parts):
            raise ValueError(_("诉求类型应为“一级/二级/三级”：%(v)s") % {"v": value})
        for part in parts:  # every name checked before any node is created
            _name(part, _("诉求类型"))
        for part in parts:
            path = f"{path}/{part}" if path else part
            if path not in self.paths:
                self.paths[path] = Category.objects.create(name=part[:100], parent=parent, path=path,
                                                           level=(parent.level + 1) if parent else 1)
                self.leaves.setdefault(part, []).append(self.paths[path])
                self.summary.new_categories.append(path)
            parent = self.paths[path]
        return parent


def _name(text: str, label: str) -> str:
    name = text.strip()
    if len(name) > MAX_NAME:
        raise ValueError(_("%(label)s名称过长（%(len)d字），不能超过%(n)d字。") % {"label": label, "len": len(name), "n": MAX_NAME})
    return name


def _check_lengths(row: dict[str, str]) -> None:
    for column, label, limit in (("title", _("标题"), settings.HOTLINE_MAX_TITLE),
                                 ("description", _("诉求内容"), settings.HOTLINE_MAX_DESCRIPTION),
                                 ("caller_name", _("来电人"), 50), ("address", _("地址"), 200),
                                 ("reply", _("答复内容"), settings.HOTLINE_MAX_DESCRIPTION)):
        value = (row.get(column) or "").strip()
        if len(value) > limit:
            raise ValueError(_("%(label)s过长（%(len)d字），不能超过%(n)d字。")
                             % {"label": label, "len": len(value), "n": limit})


def _code(model: Any, name: str) -> str:
    # Chinese names slugify to nothing: such codes are "imported-N".
    base = (slugify(name) or "imported")[:30]
    code, i = base, 1
    while model.objects.filter(code=code).exists():
        i += 1
        code = f"{base}-{i}"
    return code


def _record(row: dict[str, str], directory: Directory) -> actions.HistoryRecord:
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise ValueError(_("缺少%(col)s") % {"col": name})
    _check_lengths(row)
    number = row["number"].strip()
    if len(number) > 20:
        raise ValueError(_("工单编号过长（最多20位）：%(v)s") % {"v": number})
    for col in ("caller_phone", "callback_phone"):
        msg = phone_error(row.get(col) or "")
        if msg:
            raise ValueError(f"{col}: {msg}")
    received = parse_time(row["received_at"])
    assert received is not None
    satisfaction = (row.get("satisfaction") or "").strip()
    if satisfaction and satisfaction not in SATISFACTION:
        raise ValueError(_("满意度应为满意、基本满意或不满意：%(v)s") % {"v": satisfaction})
    channel = (row.get("channel") or "").strip()
    urgency = (row.get("urgency") or "").strip()
    valid = parse_bool(row.get("callback_valid") or "")
    resolved = parse_bool(row.get("resolved") or "")
    if valid is None:
        valid = resolved is not None and bool(satisfaction)
    description = (row.get("description") or "").strip()
    unreasonable = (row.get("unreasonable") or "").strip()
    if unreasonable and unreasonable not in UNREASONABLE:
        raise ValueError(_("不合理诉求应为恶意诉求、重复诉求、个人私利、法定途径或超出公共职责：%(v)s") % {"v": unreasonable})
    return_count = parse_int(row.get("return_count") or "")
    returns_upheld = parse_int(row.get("returns_upheld") or "")
    if returns_upheld > return_count:
        raise ValueError(_("退单成立次数不能多于退单次数：%(v)s") % {"v": returns_upheld})
    return actions.HistoryRecord(
        number=number, received_at=received, title=(row.get("title") or "").strip() or description[:30],
        description=description, unit=directory.unit(row["unit"]),
        channel=CHANNELS.get(channel, Channel.PHONE), caller_name=(row.get("caller_name") or "").strip(),
        caller_phone=(row.get("caller_phone") or "").strip(), area=directory.area(row.get("area") or ""),
        address=(row.get("address") or "").strip(), category=directory.category(row.get("category") or ""),
        urgency=URGENCY.get(urgency, Urgency.GENERAL) if urgency else "", dispatched_at=parse_time(row.get("dispatched_at") or ""),
        signed_at=parse_time(row.get("signed_at") or ""), first_contact_at=parse_time(row.get("first_contact_at") or ""),
        replied_at=parse_time(row.get("replied_at") or ""), reply=(row.get("reply") or "").strip(),
        redo_count=parse_int(row.get("redo_count") or ""), return_count=return_count,
        returns_upheld=returns_upheld,
        closed_at=parse_time(row.get("closed_at") or ""), callback_valid=valid,
        callback_phone=(row.get("callback_phone") or "").strip(), contacted=parse_bool(row.get("contacted") or ""),
        resolved=resolved, satisfaction=SATISFACTION.get(satisfaction, ""),
        unreasonable=UNREASONABLE.get(unreasonable, ""),
    )


def importer() -> User:
    """The administrator account history events are recorded under."""
    user = User.objects.filter(role=Role.ADMIN.value, is_active=True).order_by("pk").first()
    if user is None:
        user, _created = User.objects.get_or_create(
            username="history-import", defaults={"role": Role.ADMIN.value, "display_name": "历史数据导入",
                                                 "is_active": False})
    return user


def import_rows(rows: list[dict[str, str]], *, actor: User | None = None, summary: Summary | None = None,
                lines: list[int] | None = None) -> Summary:
    """Import already-read rows (keys: English column names). Rows with errors are skipped
    and listed in the summary with their line numbers (`lines`, the file's line of each row;
    by default line 2 = first data row, one line a row)."""
    summary = summary or Summary()
    actor = actor or importer()
    directory = Directory(summary)
    batch: list[actions.HistoryRecord] = []

    def flush() -> None:
        if batch:
            result = actions.do_import_history(batch, actor=actor)
            summary.created += len(result.created)
            summary.skipped += len(result.skipped)
            batch.clear()

    for i, row in zip(lines or range(2, len(rows) + 2), rows, strict=True):
        summary.rows += 1
        try:
            record = _record(row, directory)
        except (ValueError, AssertionError) as exc:
            summary.errors.append((i, str(exc)))
            continue
        day = timezone.localdate(record.received_at)
        summary.first_day = min(summary.first_day or day, day)
        summary.last_day = max(summary.last_day or day, timezone.localdate(record.closed_at or record.received_at))
        batch.append(record)
        if len(batch) >= BATCH:
            flush()
    flush()
    if summary.first_day is not None:
        # The imported days go back to live; the worker rebuilds them (a writer may queue that).
        stats.invalidate(summary.first_day)
        tasks.request_catch_up()
    return summary


def import_history(path: str | Path, *, stdout: TextIO, stderr: TextIO) -> int:
    """Read FILE.csv and import it; print a summary. 0 = file read, 2 = unreadable or missing
    required columns."""
    path = Path(path)
    try:
        text = read_text(path)
    except DomainError as exc:
        stderr.write(str(exc.message) + "\n")
        return 2
    records = csvfile.rows(text)
    first = next(records, None)
    header = [ALIASES.get((h or "").strip().lstrip("\ufeff")) for h in (first.cells if first else [])]
    missing = [f"{en}/{zh}" for en, zh, req in COLUMNS if req and en not in header]
    if missing:
        stderr.write(_("缺少必需的列：%(cols)s") % {"cols": "、".join(missing)} + "\n")
        return 2
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    refused: list[tuple[int, str]] = []
    for record in records:
        if record.error:
            refused.append((record.line, record.error))
        elif any("\x00" in cell for cell in record.cells):
            refused.append((record.line, _("含有NUL控制字符（\\x00），无法保存；请检查文件是否损坏。")))
        elif any(cell.strip() for cell in record.cells):
            # like csv.DictReader: missing cells are empty, extra cells are ignored
            rows.append({name: cell for name, cell in zip(header, record.cells, strict=False) if name})
            lines.append(record.line)
    summary = import_rows(rows, lines=lines, summary=Summary(rows=len(refused), errors=refused))
    summary.errors.sort()
    stdout.write(_("读取%(rows)d行，导入%(created)d张工单，已存在跳过%(skipped)d张，出错%(errors)d行。")
                 % {"rows": summary.rows, "created": summary.created, "skipped": summary.skipped,
                    "errors": len(summary.errors)} + "\n")
    for label, items in ((_("新建单位"), summary.new_units), (_("新建区域"), summary.new_areas),
                         (_("新建诉求分类"), summary.new_categories)):
        if items:
            stdout.write(f"{label}（{len(items)}）：{'、'.join(items)}\n")
    for line, message in summary.errors[:200]:
        stderr.write(_("第%(line)d行：%(msg)s") % {"line": line, "msg": message} + "\n")
    if summary.first_day:
        stdout.write(_("数据时间范围：%(a)s 至 %(b)s。考核统计已标记为需重算（hotline assess --rebuild）。")
                     % {"a": summary.first_day, "b": summary.last_day} + "\n")
    return 1 if summary.errors else 0
