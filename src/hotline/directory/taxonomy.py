"""Loading a 3-level category tree (一级分类,二级分类,三级分类) from a CSV file, and reading
Chinese CSV files in whichever encoding they come (UTF-8 with or without BOM, GBK/GB18030).

`load_taxonomy` merges the file into the existing tree by path, so running it twice, or over a
tree the district already has, creates nothing twice."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from hotline import csvfile
from hotline.errors import InvalidInput

from .models import Category

TAXONOMY_COLUMNS = ("一级分类", "二级分类", "三级分类")
MAX_NAME = 100  # Category.name


def read_csv_text(path: str | Path) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with (hotline.csvfile detects it).
    Raises InvalidInput (code "unreadable_file") when the file is missing or in no accepted
    encoding."""
    return csvfile.read_text(path)


@dataclass
class TaxonomyResult:
    """What a load did: rows read, nodes created per level, and rejected rows by line."""

    rows: int = 0
    created: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    existing: int = 0  # rows whose level-3 node was already there
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def load_taxonomy(path: str | Path) -> TaxonomyResult:
    """Merge the category tree in `path` into Category.

    Before: the file has a header row naming 一级分类, 二级分类, 三级分类 (any order, extra columns
    ignored). After: every well-formed row's three nodes exist (paths "一级/二级/三级"); malformed
    rows (wrong column count, an empty or over-long name, a "/" in a name) are listed by line
    and change nothing. Raises InvalidInput when the file cannot be read or lacks a column."""
    text, _encoding = read_csv_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(_("文件是空的。"), code="missing_columns")
    names = [h.strip() for h in header]
    missing = [c for c in TAXONOMY_COLUMNS if c not in names]
    if missing:
        raise InvalidInput(_("缺少必需的列：%(cols)s。") % {"cols": "、".join(missing)}, code="missing_columns",
                           details={"missing": missing})
    index = [names.index(c) for c in TAXONOMY_COLUMNS]
    result = TaxonomyResult()
    existing = {c.path: c for c in Category.objects.all()}
    prev_end = 1
    with transaction.atomic():
        for row in reader:
            line, prev_end = prev_end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            problem = _row_problem(row, len(names), index)
            if problem:
                result.rejected.append((line, problem))
                continue
            parts = [row[i].strip() for i in index]
            if "/".join(parts) in existing:
                result.existing += 1
                continue
            parent: Category | None = None
            for level, name in enumerate(parts, start=1):
                path_ = f"{parent.path}/{name}" if parent else name
                node = existing.get(path_)
                if node is None:
                    node = Category.objects.create(name=name, parent=parent, level=level, path=path_)
                    existing[path_] = node
                    result.created[level] += 1
                parent = node
    return result


def _row_problem(row: list[str], width: int, index: list[int]) -> str:
    if len(row) != width:
        return _("列数不符：应为%(want)d列，实为%(got)d列。") % {"want": width, "got": len(row)}
    for i, label in zip(index, TAXONOMY_COLUMNS, strict=True):
        name = row[i].strip()
        if not name:
            return _("%(col)s为空。") % {"col": label}
        if len(name) > MAX_NAME:
            return _("%(col)s过长（不能超过%(n)d字）。") % {"col": label, "n": MAX_NAME}
        if "/" in name:
            return _("%(col)s不能含有“/”。") % {"col": label}
    return ""
