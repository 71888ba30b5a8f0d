"""Repeat and duplicate detection: quality on real messages, speed at a million orders.

    .venv/bin/python bench/bench_duplicates.py [--data DIR] [--orders 1000000] [--queries 1000] [--skip-quality]

1. Quality on hot_issues.csv (4,326 public messages with user ids and times). It has no gold
   clusters; recurring titles give natural ground truth. A gold duplicate pair is two messages
   of *different* users with the same (normalised) title; a gold repeat pair is two messages of
   the *same* user with the same title. Detection reads only the message body (留言详情), never
   the title, so the titles stay an independent check. Strict precision counts every found
   pair with different titles as wrong: a lower bound, since people describe one matter under
   reworded titles. Relaxed precision counts a pair as right when the two titles are similar
   (character-bigram Jaccard ≥ 0.4), still judged on the titles, not the bodies. Recall is
   against the strict (identical-title) pairs.
2. Speed: a DuplicateIndex over N generated orders (20 areas, one year, templated texts with
   real-sounding places and problems), then Q queries of new orders against their area's last
   90 days. Prints build time, index memory, peak process memory and query latency.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from hotline.triage.duplicates import find_pairs  # noqa: E402
from hotline.triage.similarity import DuplicateIndex, clean, jaccard, shingles  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c"


def gold_pairs(titles: list[str], users: list[str]) -> tuple[set, set]:
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(titles):
        key = clean(t)
        if key:
            by_title[key].append(i)
    dup, rep = set(), set()
    for rows in by_title.values():
        for a, b in itertools.combinations(sorted(rows), 2):
            (rep if users[a] == users[b] else dup).add((a, b))
    return dup, rep


def quality(data: Path) -> None:
    with (data / "hot_issues.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    titles = [r["留言主题"] for r in rows]
    bodies = [r["留言详情"] for r in rows]
    users = [r["留言用户"].strip() for r in rows]
    times = [r["留言时间"] for r in rows]
    gold_dup, gold_rep = gold_pairs(titles, users)
    same_user_pairs = sum(len(v) * (len(v) - 1) // 2 for v in _groups(users).values())
    print(f"hot_issues.csv: {len(rows)} messages; gold duplicate pairs {len(gold_dup)}, gold repeat pairs "
          f"{len(gold_rep)} (of {same_user_pairs} same-user pairs)")
    print(f"{'kind':10} {'window':>7} {'threshold':>9} {'found':>6} {'precision':>9} {'relaxed_p':>9} "
          f"{'recall':>7}")
    title_sh = [shingles(t) for t in titles]
    for window in (90, 100_000):
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            t0 = time.perf_counter()
            pairs = find_pairs(bodies, times=times, users=users, threshold=threshold, repeat_threshold=threshold,
                               window_days=window)
            secs = time.perf_counter() - t0
            for kind, gold in (("duplicate", gold_dup), ("repeat", gold_rep)):
                found = {(min(a, b), max(a, b)) for a, b, k, _s in pairs if k == kind}
                tp = len(found & gold)
                similar = sum(1 for a, b in found if (a, b) in gold or jaccard(title_sh[a], title_sh[b]) >= 0.4)
                p = tp / len(found) if found else 0.0
                rp = similar / len(found) if found else 0.0
                r = tp / len(gold) if gold else 0.0
                label = f"{window}d" if window < 100_000 else "any"
                print(f"{kind:10} {label:>7} {threshold:9.2f} {len(found):6d} {p:9.3f} {rp:9.3f} {r:7.3f}"
                      f"   ({secs:.1f}s)")


def _groups(users: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(users):
        out[u].append(i)
    return out


ROADS = [a + b for a, b in itertools.product("东西南北中新老文明和平建设人民解放幸福光明", "湖山城河园桥江港苑林")]
SUFFIX = ["路", "大街", "小区", "花园", "胡同", "巷", "村", "社区"]
PROBLEMS = [
    "路面塌陷有大坑", "路灯不亮好几天", "井盖丢失很危险", "垃圾堆放没人清理", "下水道堵塞污水外溢", "饭店油烟扰民",
    "夜间施工噪音很大", "停水一整天了", "停电没有通知", "供暖温度不达标", "小区物业不作为", "违章搭建占用绿地",
    "占道经营影响通行", "共享单车乱停放", "公交站牌损坏", "狗叫扰民影响休息", "树木倒伏压住电线", "广告牌松动",
    "积水严重无法通行", "工地扬尘污染", "露天焚烧垃圾", "电梯经常故障", "楼道堆放杂物", "外墙瓷砖脱落",
    "学校门口交通拥堵", "菜市场卫生差", "拖欠农民工工资", "预付卡商家跑路", "药店售卖过期药品", "出租车拒载",
]
FILLERS = ["", "请尽快处理", "已经反映多次", "居民意见很大", "希望有关部门管一管", "存在安全隐患", "影响老人孩子出行"]


def synthetic(n: int, seed: int = 1) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    texts, areas, callers, days = [], np.empty(n, np.uint32), np.empty(n, np.uint32), np.empty(n, np.int32)
    per_day = n / 365
    for i in range(n):
        road = rng.choice(ROADS) + rng.choice(SUFFIX)
        texts.append(f"{road}{rng.randint(1, 200)}号附近{rng.choice(PROBLEMS)}，{rng.choice(FILLERS)}")
        areas[i] = rng.randrange(20)
        callers[i] = rng.randrange(1, 400_000)
        days[i] = int(i / per_day)
    return texts, areas, callers, days


def speed(n: int, queries: int) -> None:
    t0 = time.perf_counter()
    texts, areas, callers, days = synthetic(n)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = DuplicateIndex.build(texts, areas, callers, days)
    build = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    texts_mb = sum(sys.getsizeof(t) for t in texts) / 1024**2
    del texts
    q_texts, q_areas, q_callers, _d = synthetic(queries, seed=2)
    last_day = int(days[-1])
    lat, cpu = [], []
    found = 0
    for t, a, c in zip(q_texts, q_areas, q_callers, strict=True):
        s, sc = time.perf_counter(), time.process_time()
        hits = index.query(t, area=int(a), day=last_day, caller=int(c), window_days=90, min_score=0.5)
        lat.append((time.perf_counter() - s) * 1000)
        cpu.append((time.process_time() - sc) * 1000)
        found += bool(hits)
    lat_a, cpu_a = np.array(lat), np.array(cpu)
    print(f"index: {n:,} orders, generated in {gen:.1f}s, built in {build:.1f}s; index memory "
          f"{index.nbytes() / 1024**2:.0f} MiB (+{texts_mb:.0f} MiB of generated texts, freed); "
          f"peak process RSS {peak_mb:.0f} MiB")
    print(f"query against the area's last 90 days: {queries} queries, p50 {np.percentile(lat_a, 50):.2f} ms, "
          f"p95 {np.percentile(lat_a, 95):.2f} ms, max {lat_a.max():.2f} ms wall; CPU p50 "
          f"{np.percentile(cpu_a, 50):.2f} ms, p95 {np.percentile(cpu_a, 95):.2f} ms; {found} had a match ≥ 0.5")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args()
    if not args.skip_quality:
        if (args.data / "hot_issues.csv").exists():
            quality(args.data)
        else:
            print(f"hot_issues.csv not found under {args.data}: quality skipped")
    speed(args.orders, args.queries)


if __name__ == "__main__":
    main()
