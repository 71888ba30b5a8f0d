"""Groups of duplicates (many users, one event) and repeats (one user, one matter) in a plain
list of texts, for `hotline triage duplicates` and the benchmark. No Django."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from hotline.exports import write_csv

from .similarity import DuplicateIndex

TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d",
                "%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日")


def parse_day(value: str | None) -> int | None:
    """Days since 0001-01-01 for a date or date-time in a common Chinese/ISO format, else None."""
    s = (value or "").strip()
    if not s:
        return None
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).toordinal()  # noqa: DTZ007 (only the calendar day is used)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(s).toordinal()
    except ValueError:
        return None


@dataclass
class Link:
    row: int  # 0-based data row
    main: int  # the earliest row of its group
    kind: str  # "duplicate" | "repeat"
    score: float  # similarity to the row it was linked through


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def find_pairs(texts: Sequence[str], *, times: Sequence[str] | None = None, users: Sequence[str] | None = None,
               threshold: float = 0.5, repeat_threshold: float = 0.3, window_days: int = 90,
               ) -> list[tuple[int, int, str, float]]:
    """(earlier row, later row, kind, score) for every later row's matches among earlier rows
    within the window: "repeat" for the same user (score ≥ repeat_threshold), "duplicate" for
    different users (score ≥ threshold). Rows are compared in time order (file order without
    times); rows with no parseable time count as the latest day."""
    n = len(texts)
    days_raw = [parse_day(t) for t in times] if times is not None else [0] * n
    known = [d for d in days_raw if d is not None]
    fallback = max(known) if known else 0
    days = [fallback if d is None else d for d in days_raw]
    order = sorted(range(n), key=lambda i: (days[i], i))
    callers = [zlib.crc32(users[i].strip().encode()) if users is not None and users[i].strip() else 0
               for i in order]
    index = DuplicateIndex.build([texts[i] for i in order], [0] * n, callers, [days[i] for i in order])
    low = min(threshold, repeat_threshold)
    pairs: list[tuple[int, int, str, float]] = []
    for pos, row in enumerate(order):
        hits = index.query(texts[row], area=0, day=days[row], caller=callers[pos], window_days=window_days,
                           before=pos, min_score=low, limit=20)
        for h in hits:
            if h.same_caller and h.score >= repeat_threshold:
                pairs.append((order[h.doc], row, "repeat", round(h.score, 4)))
            elif not h.same_caller and h.score >= threshold:
                pairs.append((order[h.doc], row, "duplicate", round(h.score, 4)))
    return pairs


def group_rows(texts: Sequence[str], **kw: object) -> list[Link]:
    """Every row that belongs to a group of duplicates or repeats, with its group's main row.
    Duplicates and repeats are grouped separately (a row can be in one of each)."""
    pairs = find_pairs(texts, **kw)  # type: ignore[arg-type]
    links: list[Link] = []
    for kind in ("duplicate", "repeat"):
        g = _Groups()
        best: dict[int, float] = {}
        for a, b, k, s in pairs:
            if k == kind:
                g.union(a, b)
                best[a] = max(best.get(a, 0.0), s)
                best[b] = max(best.get(b, 0.0), s)
        members = sorted(best)
        roots = {r: g.find(r) for r in members}
        links.extend(Link(r, roots[r], kind, best[r]) for r in members)
    links.sort(key=lambda link: (link.kind, link.main, link.row))
    return links


def write_groups(fh: TextIO, links: Sequence[Link], texts: Sequence[str], ids: Sequence[str] | None = None) -> int:
    """CSV columns: kind, group (the main row's id), row id, is_main, score, text (first 80
    characters). Row ids are the --id-col values, or data row numbers counted from 1."""
    def rid(i: int) -> str:
        return ids[i] if ids is not None else str(i + 1)

    rows = ([link.kind, rid(link.main), rid(link.row), int(link.row == link.main), link.score,
             " ".join(str(texts[link.row]).split())[:80]] for link in links)
    return write_csv(fh, ["kind", "group", "row", "is_main", "score", "text"], rows)
