"""Reading labelled CSVs, training, evaluating, saving and loading models. No Django import at
module level, so the command line works on any CSV without a database.

A saved model is a joblib file holding a dict: {"format", "classifier", "kind", "source",
"trained_at", "n"}; it is written to a temporary file and renamed, so a reader never sees half
a model.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib

from .textmodel import ModelError, TextClassifier, macro_f1

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
MAX_CSV_BYTES = 2 * 1024**3


def read_csv(path: str | Path, columns: Sequence[str]) -> tuple[dict[str, list[str]], str]:
    """The named columns of a CSV file as lists of strings, and the encoding it was read in.

    Tries UTF-8 (with or without BOM), then GB18030/GBK. Raises ModelError (in Chinese) for a
    missing file, an unknown encoding, or missing columns (naming those that exist)."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"找不到文件：{p}")
    raw = p.read_bytes()[:MAX_CSV_BYTES]
    text = encoding = None
    for enc in ENCODINGS:
        try:
            text, encoding = raw.decode(enc), enc
            break
        except UnicodeDecodeError:
            continue
    if text is None or encoding is None:
        raise ModelError(f"无法识别文件编码（已尝试UTF-8和GBK/GB18030）：{p}。请另存为UTF-8编码的CSV。")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ModelError(
                f"CSV缺少列：{'、'.join(missing)}。文件中的列为：{'、'.join(header) or '（空文件）'}"
            )
        idx = [header.index(c) for c in columns]
        out: dict[str, list[str]] = {c: [] for c in columns}
        for row in reader:
            if not row:
                continue
            for c, i in zip(columns, idx, strict=True):
                out[c].append(row[i] if i < len(row) else "")
    except csv.Error as exc:
        raise ModelError(f"CSV格式错误：{exc}") from None
    return out, encoding


def train_csv(path: str | Path, text_col: str, label_col: str, **params: Any) -> TextClassifier:
    data, _enc = read_csv(path, [text_col, label_col])
    return TextClassifier(**params).fit(data[text_col], data[label_col])


def evaluate(model: TextClassifier, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and speed of `model` on labelled texts (rows with an empty label are
    skipped; labels the model never saw count as errors). Speed is given per wall-clock second
    and per CPU second of this process (the two differ on a shared, busy machine)."""
    pairs = [(t, str(lab).strip()) for t, lab in zip(texts, labels, strict=True) if str(lab).strip()]
    if not pairs:
        raise ModelError("没有可评估的数据行（标签列为空）。")
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    model.predict(xs[:10])  # load the word dictionary before the clock starts
    t0, c0 = time.perf_counter(), time.process_time()
    pred = model.predict(xs)
    secs = max(time.perf_counter() - t0, 1e-9)
    cpu = max(time.process_time() - c0, 1e-9)  # fair on a busy machine: what one core costs
    acc = sum(a == b for a, b in zip(pred, ys, strict=True)) / len(ys)
    return {"n": len(ys), "accuracy": round(acc, 4), "macro_f1": round(macro_f1(ys, pred), 4),
            "docs_per_s": round(len(ys) / secs, 1), "docs_per_cpu_s": round(len(ys) / cpu, 1),
            "labels": len(set(ys)),
            "unknown_labels": sorted(set(ys) - set(model.classes_))[:20]}


def save_model(model: TextClassifier, path: str | Path, *, kind: str = "generic", source: str = "") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    bundle = {"format": 1, "classifier": model, "kind": kind, "source": source, "trained_at": time.time(),
              "n": model.n_train}
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(bundle, tmp, compress=3)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def load_model(path: str | Path) -> dict[str, Any]:
    """The bundle saved at `path`. Raises ModelError if absent or not a triage model."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"找不到模型文件：{p}")
    try:
        bundle = joblib.load(p)
    except Exception as exc:  # a truncated, foreign or incompatible pickle
        raise ModelError(f"无法读取模型文件{p}：{type(exc).__name__}") from None
    if not isinstance(bundle, dict) or not isinstance(bundle.get("classifier"), TextClassifier):
        raise ModelError(f"{p}不是本系统训练的模型。")
    return bundle


class ModelCache:
    """Per-process cache of a model file, reloaded when the file's mtime changes (so a model
    retrained by a worker on another process is picked up without a restart)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, path: Path) -> dict[str, Any] | None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        key = str(path)
        hit = self._cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
        with self._lock:
            try:
                bundle = load_model(path)
            except ModelError:
                return None
            self._cache[key] = (mtime, bundle)
            return bundle

    def clear(self) -> None:
        self._cache.clear()


MODELS = ModelCache()
