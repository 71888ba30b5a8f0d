"""Beyond TextClassifier's options: other learners on the same features, their mixtures, an
upper bound for per-class score offsets, and what title plus description gives together.

    .venv/bin/python bench/triage_variants.py [--data DIR] [--only titles|details] [--mlp]

Every model is scored out of fold on bench_triage.py's folds (group-aware, 5 folds), so the rows
compare with its table. Mixtures average log-softmax scores (the SVM margins at temperature
0.2) with equal weights; the weights were not tuned per data set. "offsets (upper bound)" fits
one score offset per class on the same out-of-fold scores it is measured on, so it is an
optimistic ceiling for threshold tuning, not a result. --mlp adds a one-hidden-layer network
(256 units, sparse embedding bag over the same TF-IDF features, 4 epochs, dropout 0.5); it
needs PyTorch, which the product does not install (`.venv/bin/pip install torch==2.13.0`).
The last block reads messages_full.csv, the only file holding title and description of the same
messages, and classifies title, description, and both together.
"""

from __future__ import annotations

import csv

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import LabelEncoder

from bench_triage import TextClassifier, cross_validate, data_parser, datasets, ours, splits


def _features(tr_docs: list[str], te_docs: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    vecs = TextClassifier()._vectorizers()
    a = sp.hstack([v.fit_transform(tr_docs) for v in vecs], format="csr")
    b = sp.hstack([v.transform(te_docs) for v in vecs], format="csr")
    return a, b


def _ours(tr_docs, y_tr, te_docs):
    return TextClassifier(calibrate=False).fit(tr_docs, y_tr.astype(str)).decision_function(te_docs)


def _ridge(tr_docs, y_tr, te_docs):
    a, b = _features(tr_docs, te_docs)
    return RidgeClassifier(alpha=1.0, class_weight="balanced").fit(a, y_tr).decision_function(b)


def _logistic(tr_docs, y_tr, te_docs):
    a, b = _features(tr_docs, te_docs)
    return LogisticRegression(C=20, max_iter=2000, class_weight="balanced").fit(a, y_tr).decision_function(b)


def _mlp(tr_docs, y_tr, te_docs, hidden: int = 256, epochs: int = 4, dropout: float = 0.5):
    import torch

    torch.manual_seed(0)
    a, b = _features(tr_docs, te_docs)
    n_classes = int(y_tr.max()) + 1
    bag = torch.nn.EmbeddingBag(a.shape[1], hidden, mode="sum", sparse=True)
    torch.nn.init.normal_(bag.weight, 0, 0.01)
    bias = torch.nn.Parameter(torch.zeros(hidden))
    out = torch.nn.Linear(hidden, n_classes)
    opt_bag = torch.optim.SparseAdam(list(bag.parameters()), lr=2e-3)
    opt_rest = torch.optim.Adam([bias, *out.parameters()], lr=2e-3)
    weights = torch.tensor(len(y_tr) / (n_classes * np.bincount(y_tr)), dtype=torch.float32)
    target = torch.from_numpy(y_tr)

    def hidden_of(x: sp.csr_matrix):
        return torch.relu(
            bag(
                torch.from_numpy(x.indices.astype(np.int64)),
                torch.from_numpy(x.indptr[:-1].astype(np.int64)),
                per_sample_weights=torch.from_numpy(x.data.astype(np.float32)),
            )
            + bias
        )

    for epoch in range(epochs):
        order = np.random.RandomState(epoch).permutation(a.shape[0])
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            h = torch.nn.functional.dropout(hidden_of(a[idx]), dropout, True)
            loss = torch.nn.functional.cross_entropy(out(h), target[idx], weight=weights)
            opt_bag.zero_grad()
            opt_rest.zero_grad()
            loss.backward()
            opt_bag.step()
            opt_rest.step()
    with torch.no_grad():
        return torch.log_softmax(out(hidden_of(b)), 1).numpy()


def out_of_fold(fit_score, texts: list[str], y: np.ndarray, folds: int) -> np.ndarray:
    scores = np.zeros((len(y), int(y.max()) + 1), dtype=np.float32)
    for tr, te in splits(texts, list(y), folds):
        scores[te] = fit_score([texts[i] for i in tr], y[tr], [texts[i] for i in te])
    return scores


def log_softmax(z: np.ndarray, t: float = 1.0) -> np.ndarray:
    z = z / t
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def offsets_upper_bound(scores: np.ndarray, y: np.ndarray) -> float:
    """Macro-F1 after per-class offsets chosen by coordinate search on the same scores."""

    def f1(off):
        return f1_score(y, (scores + off).argmax(1), average="macro")

    off = np.zeros(scores.shape[1])
    best = f1(off)
    for _ in range(3):
        for k in range(len(off)):
            for d in np.linspace(-0.3, 0.3, 25):
                trial = off.copy()
                trial[k] += d
                if (s := f1(trial)) > best:
                    best, off = s, trial
    return best


def row(data: str, name: str, y: np.ndarray, scores: np.ndarray) -> None:
    pred = scores.argmax(1)
    print(
        f"{data:8} {name:34} {f1_score(y, pred, average='macro'):8.4f} {accuracy_score(y, pred):8.4f}",
        flush=True,
    )


def main() -> None:
    ap = data_parser(__doc__)
    ap.add_argument("--mlp", action="store_true", help="add the PyTorch network (torch must be installed)")
    args = ap.parse_args()
    sets = datasets(args)
    print(f"{'data':8} {'model':34} {'macro_f1':>8} {'accuracy':>8}")
    for name, (texts, labels) in sets.items():
        y = LabelEncoder().fit_transform(labels)
        s_ours = out_of_fold(_ours, texts, y, args.folds)
        s_ridge = out_of_fold(_ridge, texts, y, args.folds)
        row(name, "hotline TextClassifier", y, s_ours)
        row(name, "ridge, same features", y, s_ridge)
        row(name, "logistic regression, same features", y, out_of_fold(_logistic, texts, y, args.folds))
        mix = log_softmax(s_ours, 0.2) + log_softmax(s_ridge, 0.2)
        row(name, "mix: ours + ridge", y, mix)
        if args.mlp:
            s_mlp = out_of_fold(_mlp, texts, y, args.folds)
            row(name, "MLP (PyTorch), same features", y, s_mlp)
            row(name, "mix: ours + MLP", y, log_softmax(s_ours, 0.2) + s_mlp)
            row(name, "mix: ours + ridge + MLP", y, mix + s_mlp)
        print(
            f"{name:8} {'offsets on ours (upper bound)':34} {offsets_upper_bound(s_ours, y):8.4f}", flush=True
        )
    with (args.data / "messages_full.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("一级标签") or "").strip()]
    labels = [r["一级标签"].strip() for r in rows]
    for name, text in (
        ("title", lambda r: r["留言主题"]),
        ("description", lambda r: r["留言详情"]),
        ("title + description", lambda r: f"{r['留言主题']}\n{r['留言详情']}"),
    ):
        f1, acc, _ = cross_validate(ours, [text(r) for r in rows], labels, args.folds)
        print(f"{'full':8} {'ours on ' + name:34} {f1:8.4f} {acc:8.4f}", flush=True)


if __name__ == "__main__":
    main()
