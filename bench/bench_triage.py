"""Benchmark the triage classifier against the usual baseline, with group-aware 5-fold CV.

    .venv/bin/python bench/bench_triage.py [--data DIR] [--folds 5] [--only titles|details]

Groups: identical (normalised) texts always fall on the same side of a split
(StratifiedGroupKFold), so a duplicate message cannot be "learned" from its twin. Baseline:
TF-IDF over rjieba words + LinearSVC (C=1), the published reference (macro-F1 ≈ 0.90 on these
data). Ours: hotline.triage.textmodel.TextClassifier with its defaults. Prints one table row per
data set and model, then single-core throughput on titles.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from hotline.triage.textmodel import TextClassifier, normalise, words  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c"
SETS = {"titles": ("titles.csv", "title"), "details": ("details.csv", "detail")}


def load(path: Path, col: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get(col) or "").strip() and (r.get("label") or "").strip()]
    return [r[col] for r in rows], [r["label"].strip() for r in rows]


def baseline():
    return make_pipeline(TfidfVectorizer(analyzer=lambda t: words(normalise(t))), LinearSVC(C=1.0))


def cross_validate(make, texts: list[str], labels: list[str], folds: int) -> tuple[float, float, float]:
    groups = {t: i for i, t in enumerate(dict.fromkeys(normalise(t) for t in texts))}
    g = np.array([groups[normalise(t)] for t in texts])
    y = np.array(labels)
    preds = np.empty(len(y), dtype=object)
    t0 = time.perf_counter()
    for tr, te in StratifiedGroupKFold(folds, shuffle=True, random_state=0).split(texts, y, g):
        model = make().fit([texts[i] for i in tr], y[tr])
        preds[te] = model.predict([texts[i] for i in te])
    secs = time.perf_counter() - t0
    return f1_score(y, preds.astype(str), average="macro"), accuracy_score(y, preds.astype(str)), secs


def throughput(texts: list[str], labels: list[str]) -> float:
    model = TextClassifier().fit(texts, labels)
    batch = (texts * (20000 // len(texts) + 1))[:20000]
    model.predict(batch[:100])
    t0 = time.perf_counter()
    model.predict(batch)
    return len(batch) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--only", choices=sorted(SETS))
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"data folder not found: {args.data}")
    print(f"{'data':8} {'model':28} {'macro_f1':>8} {'accuracy':>8} {'cv_secs':>8}")
    for name, (fname, col) in SETS.items():
        if args.only and name != args.only:
            continue
        texts, labels = load(args.data / fname, col)
        for label, make in (("tfidf-words+LinearSVC", baseline), ("hotline TextClassifier", TextClassifier)):
            f1, acc, secs = cross_validate(make, texts, labels, args.folds)
            print(f"{name:8} {label:28} {f1:8.4f} {acc:8.4f} {secs:8.1f}", flush=True)
    if not args.only or args.only == "titles":
        texts, labels = load(args.data / SETS["titles"][0], SETS["titles"][1])
        print(f"titles throughput, one core: {throughput(texts, labels):,.0f} texts/s")


if __name__ == "__main__":
    main()
