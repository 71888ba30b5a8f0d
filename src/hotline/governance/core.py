"""Hotspots: the pure part (no Django). What an order is about and where (its signature), which
earlier order it continues (the link), the shape of a group in time, and its heat score.

Shared by the nightly build and the incremental join (governance/build.py), the benchmark
(bench/bench_hotspots.py) and the tests, so that all of them group orders by one rule.

The grouping. Orders are taken in time order; each looks for the most similar earlier order in
its own *block* (the same area and the same place key: an estate, a site, a junction, a road, or a
300 m grid cell when only coordinates are known) received in the LINK_DAYS before it (at most
MAX_CANDIDATES of them, the latest). If the best similarity reaches the threshold the order joins
that order's group; otherwise it looks at the groups of the same block that were active a year
earlier (SEASON_DAYS) and have at least MIN_ORDERS orders (a returning seasonal matter), and
joins the best of them above the threshold; otherwise it starts a group of its own. Every order
has at most one parent, so the incremental join (one order as it arrives) and the full build
(all orders in time order) give the same groups. The nightly build then takes one second pass
(seasonal_merges): seasonal groups of one place, season and category mix, that callers worded
in ways sharing no characters, become one; new orders then join the merged group.

Similarity is the Jaccard index of character unigrams and bigrams (topic_grams, on the text as
triage.similarity.clean leaves it) of the title and the description, with the place's own name removed from the text: the block already says where,
and what is left says what about (two calls about a burst water main in one estate share
"水管/爆裂/漏水..." even when worded differently; a noise complaint from the same estate does not).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotline.triage.similarity import clean, jaccard

LINK_DAYS = 30  # an earlier order continues a matter if it came in this many days before
SEASON_DAYS = (330, 400)  # ... or, for a group, about a year before (a seasonal matter returns)
MAX_CANDIDATES = 300  # the latest orders of a block compared with a new one
THRESHOLD = 0.1  # similarity of the texts (places removed) that links two orders of one place
THRESHOLD_NO_PLACE = 0.3  # ... when neither says where (only the area, or nothing, is known)
SEASON_SAMPLE = 20  # the latest orders of a group of a year ago that a new order is compared with
MIN_ORDERS = 3  # a group with fewer orders is not a hotspot
TEXT_CHARS = 160  # the start of a message says what; the rest adds noise and time

BURST_HOURS = 6
BURST_MIN = 5  # at least this many orders within BURST_HOURS ...
BURST_SHARE = 0.5  # ... and that window holds at least this share of the group
PERSISTENT_DAYS = 7  # a group that spans a week or more ...
PERSISTENT_ACTIVE_DAYS = 5  # ... with orders on this many different days
RISING_WEEKS = 4
SEASON_GAP_DAYS = 180  # episodes of a group are separated by a quiet spell this long
SEASON_WINDOW = 45  # ... and a seasonal group's episodes fall within this many days of the calendar year

SEASON_MERGE_OVERLAP = 0.5  # seasonal groups of one place whose category mixes overlap this much are one matter

SHAPES = ("burst", "persistent", "rising", "seasonal")

# Places: estate/site words, roads, junction words. Addresses are normalised by dropping the
# numbers of buildings, units, floors and rooms and keeping the estate, site or road names.
_SITE = ("小区", "花园", "家园", "公寓", "大厦", "广场", "市场", "商场", "中学", "小学", "学校", "幼儿园", "医院",
         "公园", "新村", "新城", "社区", "宿舍", "工地", "厂", "苑", "园", "里", "城", "府", "庭", "湾", "中心",
         "车站", "站", "村", "大楼", "楼盘", "菜场")
_ROAD = ("大街", "大道", "路", "街", "巷", "桥")
_SITE_RE = re.compile(r"([\u4e00-\u9fa5A-Za-z]{2,8}?(?:" + "|".join(sorted(_SITE, key=len, reverse=True)) + r"))")
_ROAD_RE = re.compile(r"([\u4e00-\u9fa5]{1,6}?(?:" + "|".join(_ROAD) + r"))")
_NUMBERS = re.compile(r"[0-9]+(?:号楼|号院|栋|幢|单元|楼|层|室|户|号|座|期|门|弄|巷|排|组|米|km|m)?|[A-Za-z](?=[0-9])")
_ADMIN = re.compile(r"^(?:[\u4e00-\u9fa5A-Za-z0-9]{1,6}?(?:省|(?<![超城集菜])市|(?<![小社园景校厂])区|县))+")
_ADMIN_SMALL = re.compile(r"^[\u4e00-\u9fa5]{1,6}?(?:街道|镇|乡)")
_STOP = re.compile(r"反映|投诉|关于|举报|咨询|来电人|来电|居民|市民|地点|您好|一带|"
                   r"[在的是于住我们家对向从到位与和及跟同、，,。；;！!？?：:（）()\s]|交叉口|路口|十字|附近|旁边|对面|门口"
                   r"|东门|西门|南门|北门|正门|后门|周边|一带|内|外|前|后|东侧|西侧|南侧|北侧")
_JUNCTION = re.compile(r"与|和|交叉口|路口|十字|交汇")


def normalise(text: object) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def place_key(address: str = "", text: str = "", *, latitude: float | None = None,
              longitude: float | None = None) -> str:
    """Where an order is about, as a short key: an estate or site name ("阳光小区"), a junction
    ("东湖路+湖滨路"), a road ("东湖路"), or a 300 m grid cell ("geo:..."), else "".

    The address is read first (numbers of buildings, units, floors and rooms dropped: "阳光小区3号
    楼2单元501" and "阳光小区东门" are both "阳光小区"); without an address, the start of the text."""
    for source in (address, text[:120]):
        key = _place_of(normalise(source))
        if key:
            return key
    if latitude is not None and longitude is not None:
        return f"geo:{round(latitude / 0.003)}:{round(longitude / 0.003)}"
    return ""


def _place_of(s: str) -> str:
    if not s:
        return ""
    s = _ADMIN.sub("", s)
    s = _ADMIN_SMALL.sub("", s)
    junction = bool(_JUNCTION.search(s))
    s = _NUMBERS.sub(" ", s).replace("十字路口", "路 ").replace("路口", "路 ")
    parts = [p for p in _STOP.split(s) if p]
    sites: list[str] = []
    roads: list[str] = []
    for p in parts:
        m = _SITE_RE.search(p)
        if m and not m.group(1).endswith(_ROAD):
            sites.append(m.group(1))
            continue
        roads.extend(r for r in _ROAD_RE.findall(p) if len(r) >= 2)
    if sites:
        return sites[0][:20]
    if len(set(roads)) >= 2 and junction:
        return "+".join(sorted(set(roads[:2])))[:40]
    return roads[0][:20] if roads else ""


# The formulas of a complaint, shared by every matter: they would make all of them look alike.
_FORMULAS = re.compile(r"来电人?反映|市民反映|反映|投诉|举报|关于|的问题|问题|情况|地点|您好|你好|我是住在|住在|我是|居民|"
                       r"一带|附近|旁边|周边|东门|西门|南门|北门|请尽快处理|尽快处理|请尽快|尽快解决|希望有关部门|有关部门|"
                       r"麻烦派人来看看|麻烦|谢谢|感谢|之前反映过没人管|已经好几天了|好几天了|意见很大|"
                       # who is affected says nothing of what: "老人孩子都受影响", "老人小孩受到影响"
                       r"(?:家里)?(?:老人|老年人)(?:和|跟)?(?:孩子|小孩)?都?(?:受到|受)?影响|影响|"
                       r"交叉口|十字路口|路口|[东西南北]{2}角|[东西南北]侧|号楼|单元|与|和")


def topic_text(title: str, description: str, place: str, address: str = "") -> str:
    """The text that says what an order is about: the title and the start of the description, with
    the place's own name and the formulas of a complaint taken out (the block already says where)."""
    text = f"{normalise(title)} {normalise(description)[:TEXT_CHARS]}"
    address = normalise(address)
    if len(address) >= 3:
        text = text.replace(address, " ")
    if place and not place.startswith("geo:"):
        for name in place.split("+"):
            text = text.replace(name, " ")
    text = _NUMBERS.sub(" ", text)
    return _FORMULAS.sub(" ", text)


# Characters that say nothing about the matter (particles, pronouns, filler verbs): left out as
# single characters, kept inside bigrams.
_FILLER_CHARS = frozenset("的了是在我们你他她它这那有和与及也都就还又很太被把给对从到向为于着过啊吗呢吧呀请已经一个不没要能会说")


def topic_grams(text: str) -> set[str]:
    """Character unigrams (filler characters left out) and bigrams of each run of letters: two
    callers who reword one event still share most of its characters ("水管爆裂" / "自来水管破裂")."""
    out: set[str] = set()
    for run in clean(text).split():
        out.update(ch for ch in run if ch not in _FILLER_CHARS and not ch.isdigit())
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def topic_shingles(title: str, description: str, place: str, address: str = "") -> frozenset[int]:
    return frozenset(zlib.crc32(s.encode()) for s in topic_grams(topic_text(title, description, place, address)))


@dataclass
class Doc:
    """One order's signature, computed once: when, which block, what about, who called."""

    id: int
    at: float  # POSIX seconds
    area: int  # 0: no area
    place: str
    sig: frozenset[int]
    caller: int = 0
    root: int = 0  # its group's first order, once placed (read back from the store)

    @property
    def block(self) -> tuple[int, str]:
        return (self.area, self.place)


def caller_hash(phone: str) -> int:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return zlib.crc32(digits.encode()) if digits else 0


NEAR_HOURS = 6  # an order this close in time to a candidate at the same place ...
NEAR_FACTOR = 0.6  # ... needs only this share of the threshold (many people calling about one event at once)


def threshold_for(place: str) -> float:
    return THRESHOLD if place else THRESHOLD_NO_PLACE


def linked(doc: Doc, best: Doc | None, score: float) -> bool:
    """Whether the new order continues `best`'s group (see best_link)."""
    if best is None:
        return False
    limit = threshold_for(doc.place)
    if doc.place and doc.at - best.at <= NEAR_HOURS * 3600:
        limit *= NEAR_FACTOR
    return score >= limit


GROUP_K = 3  # a group is as similar as the mean of its GROUP_K members most similar to the new order


def best_link(doc: Doc, candidates: Iterable[Doc], root_of: dict[int, int]) -> tuple[Doc | None, float]:
    """The group the new order is most similar to, as (its member most similar to the order, the
    group's similarity): the mean of the GROUP_K best similarities to its members among the
    candidates (all of them when it has fewer there). One stray similar member is not enough
    to pull an order about something else into a big group (no chaining through one link).
    Ties: the group of the latest member."""
    per: dict[int, list[tuple[float, float, int, Doc]]] = {}
    for c in candidates:
        s = jaccard(doc.sig, c.sig)
        if s > 0:
            per.setdefault(root_of[c.id], []).append((s, c.at, c.id, c))
    best, score, key = None, 0.0, (0.0, 0)
    for items in per.values():
        items.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
        top = items[:GROUP_K]
        g = sum(x[0] for x in top) / len(top)
        k = (items[0][1], items[0][2])
        if g > score or (g == score and best is not None and k > key):
            best, score, key = items[0][3], g, k
    return best, score


@dataclass
class Group:
    """A group's summary while it is built: what the seasonal link compares a new order with."""

    root: Doc
    last: Doc
    size: int = 1
    tail: list[Doc] = field(default_factory=list)  # its latest SEASON_SAMPLE orders


class Builder:
    """The grouping of the module docstring, in memory, for orders given in time order.

    Memory is bounded by the orders of the last LINK_DAYS (at most MAX_CANDIDATES per block) and
    one summary per group of MIN_ORDERS or more in the last SEASON_DAYS[1] days."""

    def __init__(self) -> None:
        self.recent: dict[tuple[int, str], list[Doc]] = {}
        self.groups: dict[int, Group] = {}  # root id -> summary (only groups that may still grow)
        self.big: dict[tuple[int, str], list[int]] = {}  # block -> roots of groups with MIN_ORDERS or more
        self.root_of: dict[int, int] = {}  # for the orders still in `recent`
        self._seen = 0

    def add(self, doc: Doc) -> tuple[int, int | None, float]:
        """Place one order; returns its group's root id, its parent's id (None: it starts a group)
        and the similarity to the parent."""
        block = self.recent.setdefault(doc.block, [])
        lo = doc.at - LINK_DAYS * 86400
        while block and block[0].at < lo:
            block.pop(0)
        cands = block[-MAX_CANDIDATES:]
        best, score = best_link(doc, cands, self.root_of)
        root: int
        parent: int | None
        if linked(doc, best, score):
            root, parent = self.root_of[best.id], best.id
        else:
            g, score = best_season(doc, self.season_candidates(doc))
            if g is not None and score >= threshold_for(doc.place):
                root, parent = g.root.id, g.last.id
            else:
                root, parent, score = doc.id, None, 0.0
        self.root_of[doc.id] = root
        group = self.groups.get(root)
        if group is None:
            self.groups[root] = Group(doc, doc, 1, [doc])
        else:
            group.last, group.size = doc, group.size + 1
            group.tail = (group.tail + [doc])[-SEASON_SAMPLE:]
            if group.size == MIN_ORDERS:
                self.big.setdefault(group.root.block, []).append(root)
        block.append(doc)
        self._seen += 1
        if self._seen % 5000 == 0:
            self._evict(doc.at)
        return root, parent, score

    def season_candidates(self, doc: Doc) -> list[Group]:
        lo, hi = doc.at - SEASON_DAYS[1] * 86400, doc.at - SEASON_DAYS[0] * 86400
        groups = (self.groups.get(r) for r in self.big.get(doc.block, ()))
        return [g for g in groups if g is not None and lo <= g.last.at <= hi]

    def _evict(self, now: float) -> None:
        keep_after = now - SEASON_DAYS[1] * 86400
        link_after = now - LINK_DAYS * 86400
        self.groups = {r: g for r, g in self.groups.items()
                       if g.last.at >= link_after or (g.size >= MIN_ORDERS and g.last.at >= keep_after)}
        for key in [k for k, v in self.recent.items() if not v or v[-1].at < link_after]:
            del self.recent[key]
        for key in list(self.big):
            self.big[key] = [r for r in self.big[key] if r in self.groups]
            if not self.big[key]:
                del self.big[key]
        self.root_of = {d.id: self.root_of[d.id] for docs in self.recent.values() for d in docs}


def best_season(doc: Doc, groups: Iterable[Group]) -> tuple[Group | None, float]:
    """The best group of a year ago, compared as best_link compares (the mean of the GROUP_K
    best similarities) with its latest SEASON_SAMPLE orders."""
    best, score = None, 0.0
    for g in groups:
        sims = sorted((jaccard(doc.sig, d.sig) for d in g.tail), reverse=True)[:GROUP_K]
        s = sum(sims) / len(sims) if sims else 0.0
        if s > score or (s == score and best is not None and s > 0 and g.root.id < best.root.id):
            best, score = g, s
    return best, score


# ---- shape and heat --------------------------------------------------------------------------------


def _days(times: Sequence[dt.datetime]) -> list[float]:
    return [t.timestamp() / 86400 for t in times]


def densest_window(times: Sequence[dt.datetime], hours: float = BURST_HOURS) -> int:
    """The most orders within any `hours` (times sorted)."""
    xs = [t.timestamp() for t in times]
    best, j = 0, 0
    for i, x in enumerate(xs):
        while xs[j] < x - hours * 3600:
            j += 1
        best = max(best, i - j + 1)
    return best


def weekly(times: Sequence[dt.datetime], *, start: dt.datetime | None = None,
           end: dt.datetime | None = None) -> list[int]:
    """Orders per week from the first order's week (or `start`) to the last's (or `end`)."""
    if not times:
        return []
    t0 = start or times[0]
    t1 = end or times[-1]
    n = max(1, int((t1 - t0).total_seconds() // (7 * 86400)) + 1)
    out = [0] * n
    for t in times:
        k = int((t - t0).total_seconds() // (7 * 86400))
        if 0 <= k < n:
            out[k] += 1
    return out


def _episodes(times: Sequence[dt.datetime]) -> list[list[dt.datetime]]:
    eps: list[list[dt.datetime]] = []
    for t in times:
        if eps and (t - eps[-1][-1]).days < SEASON_GAP_DAYS:
            eps[-1].append(t)
        else:
            eps.append([t])
    return eps


def is_seasonal(times: Sequence[dt.datetime]) -> bool:
    """Two or more episodes with MIN_ORDERS-1 orders or more, in different years, each within
    SEASON_WINDOW days of the first one's place in the calendar."""
    eps = [e for e in _episodes(times) if len(e) >= MIN_ORDERS - 1]
    if len(eps) < 2 or len({e[0].year for e in eps}) < 2:
        return False
    doy = [e[0].timetuple().tm_yday for e in eps]
    return all(min(abs(d - doy[0]), 365 - abs(d - doy[0])) <= SEASON_WINDOW for d in doy[1:])


def _season_day(times: Sequence[dt.datetime]) -> int:
    """The day of the year the group's first season began."""
    return _episodes(times)[0][0].timetuple().tm_yday


def mix_overlap(a: Mapping[Any, int], b: Mapping[Any, int]) -> float:
    """How much of the smaller of two count mixes the other shares: Σ min / the smaller Σ (1: one
    mix holds the other, 0: nothing in common). Agents file one matter under neighbouring
    categories (供暖, 供热, 物业管理), and a smaller group is a part of the matter, not its copy."""
    small = min(sum(a.values()), sum(b.values()))
    return sum(min(n, b.get(k, 0)) for k, n in a.items()) / small if small else 0.0


@dataclass(frozen=True)
class GroupFacts:
    """What the seasonal merge reads of a finished group."""

    root: int
    block: tuple[int, str]
    times: Sequence[dt.datetime]  # sorted
    categories: Mapping[Any, int]  # category -> orders


def _top(parent: dict[int, int], r: int) -> int:
    while parent[r] != r:
        r = parent[r]
    return r


def seasonal_merges(groups: Iterable[GroupFacts]) -> dict[int, int]:
    """The second pass of the grouping, for what the text cannot link: a seasonal matter that
    callers word in ways sharing no characters ("暖气不热", "室内温度只有十几度", "供热不足，屋里
    很冷") forms several groups at one place, each returning every winter. Groups of one named
    place (the same block; a place key, not only the area) that are all seasonal, whose seasons
    begin within SEASON_WINDOW days of each other in the calendar, and whose category mixes
    overlap by SEASON_MERGE_OVERLAP or more (mix_overlap) are one matter. Returns root ->
    the root it joins (the root of the set's earliest group); roots that stay are not in it."""
    by_block: dict[tuple[int, str], list[GroupFacts]] = {}
    for g in groups:
        if g.block[1] and len(g.times) >= MIN_ORDERS and is_seasonal(g.times):
            by_block.setdefault(g.block, []).append(g)
    out: dict[int, int] = {}
    for gs in by_block.values():
        if len(gs) < 2:
            continue
        gs.sort(key=lambda g: (g.times[0], g.root))
        rank = {g.root: k for k, g in enumerate(gs)}
        top = {g.root: g.root for g in gs}
        days = {g.root: _season_day(g.times) for g in gs}
        for i, a in enumerate(gs):
            for b in gs[i + 1 :]:
                gap = abs(days[a.root] - days[b.root])
                if (min(gap, 365 - gap) <= SEASON_WINDOW
                        and mix_overlap(a.categories, b.categories) >= SEASON_MERGE_OVERLAP):
                    ra, rb = _top(top, a.root), _top(top, b.root)
                    if ra != rb:
                        first, later = sorted((ra, rb), key=rank.__getitem__)
                        top[later] = first
        for g in gs:
            r = _top(top, g.root)
            if r != g.root:
                out[g.root] = r
    return out


def is_rising(times: Sequence[dt.datetime]) -> bool:
    """RISING_WEEKS weeks or more with 2 × RISING_WEEKS orders or more, whose least-squares line
    over the weekly counts at least doubles from the first week to the last (its start taken as
    half an order a week or more), and whose busier half is the later one."""
    w = weekly(times)
    if len(w) < RISING_WEEKS or sum(w) < 2 * RISING_WEEKS:
        return False
    n = len(w)
    mx, my = (n - 1) / 2, sum(w) / n
    slope = sum((i - mx) * (y - my) for i, y in enumerate(w)) / sum((i - mx) ** 2 for i in range(n))
    start, end = my - slope * mx, my + slope * mx
    half = n // 2
    return slope > 0 and end >= 2 * max(start, 0.5) and sum(w[n - half:]) > sum(w[:half])


def shape_of(times: Sequence[dt.datetime]) -> str:
    """burst, seasonal, rising or persistent (times sorted). Burst, rising and persistent are
    judged on the latest episode (the orders since the last quiet spell of SEASON_GAP_DAYS), so a
    matter that returned this year is judged on this year:

    - burst: BURST_MIN or more orders within BURST_HOURS, holding BURST_SHARE of the episode;
    - seasonal: is_seasonal (returns at the same time of year);
    - rising: is_rising (grows week after week);
    - persistent: spans PERSISTENT_DAYS with orders on PERSISTENT_ACTIVE_DAYS days.
    A group that fits none (a few orders close together) is called a burst when it spans two
    days or less, else persistent: every group has one of the four shapes."""
    if not times:
        return "persistent"
    current = _episodes(times)[-1]
    if is_announced_burst(current):
        return "burst"
    if is_seasonal(times):
        return "seasonal"
    if is_rising(current):
        return "rising"
    span = (current[-1] - current[0]).total_seconds() / 86400
    if span >= PERSISTENT_DAYS and len({t.date() for t in current}) >= PERSISTENT_ACTIVE_DAYS:
        return "persistent"
    return "burst" if span <= 2 else "persistent"


def is_announced_burst(times: Sequence[dt.datetime]) -> bool:
    """A burst worth telling the dispatch board and the supervisors about: BURST_MIN calls or more
    within BURST_HOURS, holding BURST_SHARE of the orders since the last quiet spell (the
    fallback "burst" of a few calls is not)."""
    if not times:
        return False
    current = _episodes(times)[-1]
    peak = densest_window(current)
    return peak >= BURST_MIN and peak >= BURST_SHARE * len(current)


URGENCY_WEIGHT = {"emergency": 2.0, "utility": 1.5, "complex": 1.2, "general": 1.0}


@dataclass
class Heat:
    orders: int
    callers: int
    recent: int  # orders in the 7 days up to the group's last order
    baseline: float  # mean orders a week before those 7 days, since the group's first order
    repeats: float  # share of orders that repeat an earlier call of the same caller
    unresolved: float  # share of orders unresolved, unsatisfied or overdue
    severity: float  # mean urgency weight
    parts: dict = field(default_factory=dict)

    def score(self) -> float:
        """The heat score (documented in docs/governance.md):

            volume   = sqrt(orders) + sqrt(distinct callers)
            growth   = 1 + 0.5 × max(0, log2((recent + 1) / (baseline + 1)))
            trouble  = 1 + 0.5 × repeats + 0.5 × unresolved
            severity = mean urgency weight (emergency 2, utility 1.5, complex 1.2, general 1)
            score    = volume × growth × trouble × severity

        recent: orders in the group's last 7 days; baseline: the group's own mean orders a week
        before them (its place and matter's own baseline; 0 for a new matter, so a burst grows
        against nothing). Distinct callers count beside volume: thirty people calling once weigh
        more than one person calling thirty times."""
        volume = math.sqrt(self.orders) + math.sqrt(self.callers)
        growth = 1 + 0.5 * max(0.0, math.log2((self.recent + 1) / (self.baseline + 1)))
        trouble = 1 + 0.5 * self.repeats + 0.5 * self.unresolved
        self.parts = {"volume": round(volume, 3), "growth": round(growth, 3), "trouble": round(trouble, 3),
                      "severity": round(self.severity, 3)}
        return round(volume * growth * trouble * self.severity, 2)


def heat(times: Sequence[dt.datetime], callers: Sequence[int], *, repeats: int = 0, unresolved: int = 0,
         urgencies: Sequence[str] = ()) -> Heat:
    n = len(times)
    last = times[-1]
    recent = sum(1 for t in times if (last - t).total_seconds() < 7 * 86400)
    before = [t for t in times if (last - t).total_seconds() >= 7 * 86400]
    weeks = max(1.0, (last - dt.timedelta(days=7) - times[0]).total_seconds() / (7 * 86400)) if before else 1.0
    baseline = len(before) / weeks if before else 0.0
    known = [c for c in callers if c]
    distinct = len(set(known)) + (n - len(known))
    counts = Counter(known)
    repeat_calls = sum(v - 1 for v in counts.values())
    sev = sum(URGENCY_WEIGHT.get(u, 1.0) for u in urgencies) / len(urgencies) if urgencies else 1.0
    return Heat(orders=n, callers=distinct, recent=recent, baseline=baseline,
                repeats=min(1.0, (repeats + repeat_calls) / n), unresolved=min(1.0, unresolved / n), severity=sev)


def medoid(sigs: Sequence[frozenset[int]], *, sample: int = 60) -> int:
    """The index of the member most similar to the others (the first `sample` and the last
    `sample` members are compared, to bound the work for a big group)."""
    n = len(sigs)
    if n <= 2:
        return 0
    idx = list(range(n)) if n <= 2 * sample else list(range(sample)) + list(range(n - sample, n))
    best, score = idx[0], -1.0
    for i in idx:
        s = sum(jaccard(sigs[i], sigs[j]) for j in idx if j != i)
        if s > score:
            best, score = i, s
    return best
