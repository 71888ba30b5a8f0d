"""The text classifier behind `classify()`: Chinese short texts → label, with a calibrated
confidence and the words that drove the decision. Pure scikit-learn and rjieba: no Django, no
download, CPU only, so the CLI and the benchmarks use exactly what the product uses.

Features: TF-IDF (sublinear) over character 1–2-grams and over rjieba words and word bigrams
(character trigrams, search-mode sub-words, place-code stripping and other weights were tried
in cross-validation and changed macro-F1 by less than 0.002, so the faster set stayed).
Model: a one-vs-rest linear SVM on those features, plus a second SVM on naive-Bayes-scaled
features (NBSVM, Wang & Manning 2012), averaged; the averaged margins are turned into
probabilities by a temperature-scaled softmax fitted on held-out folds of the training data
(so "confidence 0.93" means right about 93% of the time on data like the training data).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import rjieba
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import LinearSVC

# Long bodies carry their category in the first paragraphs; capping keeps a 50,000-character
# message from costing a second and keeps memory per request bounded.
MAX_CHARS = 3000
FORMAT_VERSION = 1

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


class ModelError(ValueError):
    """Training or loading failed for a reason the user can act on (message in Chinese)."""


def normalise(text: object) -> str:
    """NFKC (full-width → half-width), lower case, digits folded to one token, whitespace
    collapsed, capped at MAX_CHARS. Never raises: any object becomes a string."""
    s = "" if text is None else str(text)
    s = unicodedata.normalize("NFKC", s[: MAX_CHARS * 2]).lower()
    s = _DIGITS.sub("0", s)
    return _SPACE.sub(" ", s).strip()[:MAX_CHARS]


def words(text: str) -> list[str]:
    """rjieba words of a normalised text, without whitespace and lone punctuation."""
    return [w for w in rjieba.cut(text) if w.strip() and not (len(w) == 1 and not w.isalnum())]


def _word_analyzer(text: str) -> list[str]:
    ws = words(text)
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False)]


def _search_analyzer(text: str) -> list[str]:
    # Search-mode segmentation adds the shorter words inside long ones (营销中心 → 营销, 中心),
    # which helps titles where one long compound carries the topic.
    ws = words(text)
    fine = [w for w in rjieba.cut_for_search(text) if w.strip() and len(w) > 1 and w not in ws]
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False)] + fine


_PLACE_CODE = re.compile(r"[a-z]0?[省市县区]")


def _strip_codes(text: str) -> str:
    # The data's pseudonymised places (A市, K1区) say nothing about the topic.
    return _PLACE_CODE.sub(" ", text)


@dataclass
class Prediction:
    """One classification: the label, the probability the model gives it, and the features
    (words or character runs) that pushed hardest towards it, strongest first."""

    label: str
    confidence: float
    top_words: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature T minimising held-out log loss of softmax(scores / T) (grid, robust)."""
    best_t, best_loss = 1.0, np.inf
    # Below 0.1, SVM margins a hair apart become certainties: data that separable in
    # cross-validation says more about the training data than about tomorrow's calls.
    for t in np.geomspace(0.1, 5.0, 40):
        p = _softmax(scores / t)
        loss = -np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)))
        if loss < best_loss:
            best_t, best_loss = float(t), float(loss)
    return best_t


class TextClassifier:
    """Fit on (texts, labels); predict labels with confidence and reasons.

    Before fit: nothing. After fit: `classes_` holds the label set (any strings), and
    `predict_proba` rows sum to 1. Picklable (joblib) and safe to share between threads."""

    def __init__(self, *, c: float = 1.0, nb_weight: float = 1.0, char_ngrams: tuple[int, int] = (1, 2),
                 min_df: int = 1, calibrate: bool = True, word_weight: float = 1.0, search_words: bool = False,
                 strip_codes: bool = False) -> None:
        self.c = c
        self.word_weight = word_weight
        self.search_words = search_words
        self.strip_codes = strip_codes
        self.nb_weight = nb_weight
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.calibrate = calibrate
        self.version = FORMAT_VERSION
        self.temperature = 1.0
        self.trained_at = 0.0
        self.n_train = 0

    # ---- features
    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        chars = TfidfVectorizer(analyzer="char", ngram_range=self.char_ngrams, sublinear_tf=True,
                                min_df=self.min_df, max_features=400_000, dtype=np.float32)
        wordv = TfidfVectorizer(analyzer=_search_analyzer if self.search_words else _word_analyzer,
                                sublinear_tf=True, min_df=self.min_df,
                                max_features=300_000, dtype=np.float32)
        return chars, wordv

    def _prep(self, texts: Iterable[object]) -> list[str]:
        docs = [normalise(t) for t in texts]
        return [_strip_codes(d) for d in docs] if getattr(self, "strip_codes", False) else docs

    def _transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        xw = self.words_.transform(texts)
        if getattr(self, "word_weight", 1.0) != 1.0:
            xw = xw * self.word_weight
        return sp.hstack([self.chars_.transform(texts), xw], format="csr")

    # ---- the two linear models
    def _fit_models(self, x: sp.csr_matrix, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        """Weights (n_classes × n_features) and intercepts of the averaged SVM + NBSVM."""
        svm = LinearSVC(C=self.c, class_weight="balanced")
        svm.fit(x, y)
        coef, icpt = svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)
        if self.nb_weight <= 0 or n_classes < 2:
            return coef, icpt
        # NBSVM: scale each feature by its one-vs-rest log-count ratio, per class.
        binary = x.copy()
        binary.data[:] = 1.0
        w_nb = np.zeros_like(coef)
        i_nb = np.zeros_like(icpt)
        for k in range(coef.shape[0]):
            pos = y == k if n_classes > 2 else y == 1
            p = np.asarray(binary[pos].sum(axis=0)).ravel() + 1.0
            q = np.asarray(binary[~pos].sum(axis=0)).ravel() + 1.0
            r = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            m = LinearSVC(C=self.c, class_weight="balanced")
            m.fit(x.multiply(r).tocsr(), pos.astype(int))
            w_nb[k] = m.coef_.ravel() * r
            i_nb[k] = m.intercept_[0]
        w = self.nb_weight
        return (coef + w * w_nb) / (1 + w), (icpt + w * i_nb) / (1 + w)

    def fit(self, texts: Iterable[object], labels: Iterable[object]) -> TextClassifier:
        docs = self._prep(texts)
        labs = [str(v).strip() for v in labels]
        keep = [i for i, (d, lab) in enumerate(zip(docs, labs, strict=True)) if d and lab]
        docs, labs = [docs[i] for i in keep], [labs[i] for i in keep]
        if len(set(labs)) < 2:
            raise ModelError("训练数据至少需要两个类别，且每行须有非空的文本和标签。")
        self.encoder_ = LabelEncoder().fit(labs)
        y = self.encoder_.transform(labs)
        n_classes = len(self.encoder_.classes_)
        self.chars_, self.words_ = self._vectorizers()
        xc = self.chars_.fit_transform(docs)
        xw = self.words_.fit_transform(docs)
        if self.word_weight != 1.0:
            xw = xw * self.word_weight
        x = sp.hstack([xc, xw], format="csr")
        self.coef_, self.intercept_ = self._fit_models(x, y, n_classes)
        if self.calibrate:
            self.temperature = self._calibrate(x, y, n_classes)
        self.n_char_features_ = xc.shape[1]
        self.feature_names_ = np.concatenate(
            [self.chars_.get_feature_names_out(), self.words_.get_feature_names_out()]
        )
        self.n_train = len(docs)
        self.trained_at = time.time()
        return self

    def _calibrate(self, x: sp.csr_matrix, y: np.ndarray, n_classes: int) -> float:
        counts = np.bincount(y, minlength=n_classes)
        folds = int(min(3, counts.min()))
        if folds < 2:
            return 1.0
        scores = np.zeros((len(y), n_classes), dtype=np.float32)
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
            coef, icpt = self._fit_models(x[tr], y[tr], n_classes)
            scores[te] = self._margins(x[te], coef, icpt, n_classes)
        return _fit_temperature(scores, y)

    @staticmethod
    def _margins(x: sp.csr_matrix, coef: np.ndarray, icpt: np.ndarray, n_classes: int) -> np.ndarray:
        m = np.asarray(x @ coef.T) + icpt
        if n_classes == 2 and m.shape[1] == 1:
            m = np.hstack([-m, m])
        return m

    # ---- prediction
    @property
    def classes_(self) -> list[str]:
        return list(self.encoder_.classes_)

    def decision_function(self, texts: Sequence[object]) -> np.ndarray:
        x = self._transform(self._prep(texts))
        return self._margins(x, self.coef_, self.intercept_, len(self.encoder_.classes_))

    def predict_proba(self, texts: Sequence[object]) -> np.ndarray:
        return _softmax(self.decision_function(texts) / self.temperature)

    def predict(self, texts: Sequence[object]) -> list[str]:
        if not len(texts):
            return []
        return list(self.encoder_.classes_[np.argmax(self.decision_function(texts), axis=1)])

    def explain(self, texts: Sequence[object], *, top: int = 5) -> list[Prediction]:
        """Predictions with confidence, the runner-up labels and the top contributing features.
        An empty text gets the most frequent-looking class at low confidence (no raise)."""
        docs = self._prep(texts)
        x = self._transform(docs)
        n_classes = len(self.encoder_.classes_)
        margins = self._margins(x, self.coef_, self.intercept_, n_classes)
        probs = _softmax(margins / self.temperature)
        out: list[Prediction] = []
        for i in range(len(docs)):
            order = np.argsort(-probs[i])
            k = int(order[0])
            row = x.getrow(i)
            coef = self.coef_[k] if self.coef_.shape[0] > 1 else self.coef_[0] * (1 if k == 1 else -1)
            contrib = row.data * coef[row.indices]
            # Words first (they read as reasons), then character runs; never punctuation.
            is_word = row.indices >= self.n_char_features_
            ranked = np.lexsort((-contrib, ~is_word))
            names: list[str] = []
            for j in ranked:
                if contrib[j] <= 0:
                    continue
                name = str(self.feature_names_[row.indices[j]]).strip()
                if len(name) < 2 or not all(ch.isalnum() or ch == " " for ch in name):
                    continue
                if not any(name in n for n in names):
                    names.append(name)
                if len(names) >= top:
                    break
            out.append(Prediction(
                label=str(self.encoder_.classes_[k]), confidence=round(float(probs[i, k]), 4), top_words=names,
                alternatives=[(str(self.encoder_.classes_[j]), round(float(probs[i, j]), 4)) for j in order[1:3]],
            ))
        return out


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(y_true), list(y_pred), average="macro", zero_division=0))
