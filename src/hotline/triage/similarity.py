"""Text similarity for repeats and duplicates, and an in-memory index that finds them among a
million stored orders in milliseconds. Pure Python + numpy (no Django), shared by the service,
the `triage duplicates` command and the benchmark.

Similarity is the Jaccard index of character-bigram sets: robust to word order, to the
different words two callers use for one pothole, and to missing word boundaries in Chinese.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

MAX_CHARS = 400  # the start of a message says what and where; the rest adds noise and time
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# Polite formulas every message shares: they would make all messages look alike.
_BOILERPLATE = re.compile(r"尊敬的领导|领导(?:您|你)好|您好|你好|谢谢|感谢|麻烦|请尽快|尽快处理|希望|请问")


def clean(text: object) -> str:
    s = unicodedata.normalize("NFKC", "" if text is None else str(text)[: MAX_CHARS * 3]).lower()
    s = _BOILERPLATE.sub(" ", s)
    return _NOISE.sub(" ", s).strip()[:MAX_CHARS]


def shingles(text: object) -> frozenset[str]:
    """Character bigrams within each run of letters (single characters for one-char runs)."""
    out: set[str] = set()
    for run in clean(text).split():
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def shingle_ids(text: object) -> np.ndarray:
    """Stable 32-bit ids of a text's shingles (crc32: same across processes, unlike hash())."""
    return np.fromiter((zlib.crc32(s.encode()) for s in shingles(text)), dtype=np.uint32)


@dataclass
class Hit:
    doc: int
    score: float
    same_caller: bool


class DuplicateIndex:
    """Orders in arrival order, blocked by area; a query sees only its own area and a window of
    earlier documents (the last 90 days, as a range of document numbers, because documents are
    added in time order).

    Layout (built once by `build`, then read-only): a CSR inverted index from (area, shingle)
    keys to sorted document numbers, plus per-document shingle count, area and caller hash.
    Memory is about 4 bytes per (document, distinct shingle) pair."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.offsets = np.zeros(1, dtype=np.int64)
        self.postings = np.zeros(0, dtype=np.int32)
        self.sizes = np.zeros(0, dtype=np.int32)
        self.callers = np.zeros(0, dtype=np.uint32)
        self.days = np.zeros(0, dtype=np.int32)
        self.areas = np.zeros(0, dtype=np.uint32)

    @staticmethod
    def _key(area: int, ids: np.ndarray) -> np.ndarray:
        return (np.uint64(area) << np.uint64(32)) | ids.astype(np.uint64)

    @classmethod
    def build(cls, texts: Iterable[object], areas: Sequence[int], callers: Sequence[int], days: Sequence[int],
              ) -> DuplicateIndex:
        """Index documents given in time order (days non-decreasing)."""
        idx = cls()
        key_parts: list[np.ndarray] = []
        doc_parts: list[np.ndarray] = []
        sizes: list[int] = []
        for doc, (text, area) in enumerate(zip(texts, areas, strict=False)):
            ids = np.unique(shingle_ids(text))
            sizes.append(len(ids))
            key_parts.append(cls._key(int(area), ids))
            doc_parts.append(np.full(len(ids), doc, dtype=np.int32))
        keys = np.concatenate(key_parts) if key_parts else np.zeros(0, dtype=np.uint64)
        docs = np.concatenate(doc_parts) if doc_parts else np.zeros(0, dtype=np.int32)
        del key_parts, doc_parts
        order = np.lexsort((docs, keys))
        keys, docs = keys[order], docs[order]
        del order
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
        idx.keys = keys[starts]
        idx.offsets = np.r_[starts, len(keys)].astype(np.int64)
        idx.postings = docs
        idx.sizes = np.asarray(sizes, dtype=np.int32)
        idx.areas = np.asarray(areas, dtype=np.uint32)[: len(sizes)]
        idx.callers = np.asarray(callers, dtype=np.uint32)[: len(sizes)]
        idx.days = np.asarray(days, dtype=np.int32)[: len(sizes)]
        return idx

    def __len__(self) -> int:
        return len(self.sizes)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.keys, self.offsets, self.postings, self.sizes, self.callers,
                                      self.days, self.areas))

    def query(self, text: object, *, area: int, day: int, caller: int = 0, window_days: int = 90,
              before: int | None = None, min_score: float = 0.3, limit: int = 10) -> list[Hit]:
        """Documents of `area` received in the `window_days` up to `day` (and, when `before`
        is given, numbered below it) whose similarity to `text` is at least `min_score`, best
        first; documents of the same caller are returned whatever their score if ≥ min_score/2
        (a caller repeating himself uses fewer words the second time)."""
        ids = np.unique(shingle_ids(text))
        if len(ids) == 0 or len(self) == 0:
            return []
        hi = int(np.searchsorted(self.days, day, side="right"))  # nothing from the future
        if before is not None:
            hi = min(hi, before)
        lo = int(np.searchsorted(self.days[:hi], day - window_days, side="left"))
        if lo >= hi:
            return []
        qkeys = self._key(area, ids)
        pos = np.searchsorted(self.keys, qkeys)
        inside = pos < len(self.keys)
        pos, qkeys = pos[inside], qkeys[inside]
        pos = pos[self.keys[pos] == qkeys]
        slices = []
        for p in pos:
            a, b = self.offsets[p], self.offsets[p + 1]
            post = self.postings[a:b]
            i, j = np.searchsorted(post, (lo, hi))
            if j > i:
                slices.append(post[i:j])
        if not slices:
            return []
        hits = np.concatenate(slices) - lo
        overlap = np.bincount(hits, minlength=hi - lo)
        cand = np.flatnonzero(overlap)
        inter = overlap[cand]
        score = inter / (len(ids) + self.sizes[lo + cand] - inter)
        same = (self.callers[lo + cand] == caller) if caller else np.zeros(len(cand), dtype=bool)
        keep = (score >= min_score) | (same & (score >= min_score / 2))
        cand, score, same = cand[keep], score[keep], same[keep]
        best = np.argsort(-score)[:limit]
        return [Hit(int(lo + cand[k]), float(score[k]), bool(same[k])) for k in best]
