"""The classifier on generated data: labels, calibrated confidence, reasons, odd input."""

from __future__ import annotations

import pytest

from hotline.triage.textmodel import ModelError, TextClassifier, normalise
from hotline.triage.training import load_model, save_model

from .conftest import generated_rows


def test_it_learns_the_generated_categories(path_classifier):
    held_out = generated_rows(n_per_class=10, seed=99)
    pred = path_classifier.predict([r[0] for r in held_out])
    accuracy = sum(p == r[2] for p, r in zip(pred, held_out, strict=True)) / len(held_out)
    assert accuracy >= 0.9


def test_it_explains_a_prediction_with_the_words_that_drove_it(path_classifier):
    (p,) = path_classifier.explain(["幸福里小区停水三天了，水龙头不出水"])
    assert p.label == "公共服务/供水/停水"
    assert 0.5 < p.confidence <= 1.0
    assert any("水" in w for w in p.top_words)
    assert all(0.0 <= c <= p.confidence for _label, c in p.alternatives)


def test_probabilities_are_a_distribution(path_classifier):
    probs = path_classifier.predict_proba(["路灯不亮", "工地欠薪"])
    assert probs.shape == (2, len(path_classifier.classes_))
    assert abs(probs.sum(axis=1) - 1).max() < 1e-5


@pytest.mark.parametrize("text", ["", "   ", "路" * 50_000, "🐶🐶🐶 狗叫 😡", "The street light 路灯 is broken ابتسامة", None, 12345])
def test_odd_input_gets_a_sensible_answer_not_a_traceback(path_classifier, text):
    (p,) = path_classifier.explain([text])
    assert p.label in path_classifier.classes_
    assert 0.0 <= p.confidence <= 1.0


def test_an_empty_text_is_not_confident(path_classifier):
    (p,) = path_classifier.explain([""])
    assert p.confidence < 0.6


def test_normalise_folds_width_and_digits_and_caps_length():
    assert normalise("ＡＢＣ１２３  路灯") == "abc0 路灯"
    assert len(normalise("字" * 100_000)) <= 3000


def test_it_refuses_a_single_label():
    with pytest.raises(ModelError):
        TextClassifier().fit(["路灯不亮", "路灯坏了"], ["市政", "市政"])


def test_it_trains_on_any_label_set_including_two_classes():
    m = TextClassifier().fit(["路灯不亮"] * 5 + ["拖欠工资"] * 5, ["甲", "甲", "甲", "甲", "甲", "乙", "乙", "乙", "乙", "乙"])
    (p,) = m.explain(["路灯不亮了"])
    assert p.label == "甲" and p.top_words


def test_a_saved_model_loads_back_and_predicts_the_same(tmp_path, path_classifier):
    path = save_model(path_classifier, tmp_path / "m.joblib", kind="test")
    again = load_model(path)["classifier"]
    texts = ["东湖路路灯不亮", "孩子小学报名"]
    assert again.predict(texts) == path_classifier.predict(texts)


def test_a_foreign_file_is_refused_as_a_model(tmp_path):
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_model(bad)
