"""bench/nlu_sweep.py: the fallback rule, the count transforms and the folds it judges variants with."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import nlu_sweep  # noqa: E402


def test_decide_applies_the_fallback_classifiers_threshold_and_ambiguity() -> None:
    classes = np.array(["greet", "visa", "work_permit"])
    proba = np.array(
        [
            [0.10, 0.80, 0.10],  # clear
            [0.30, 0.35, 0.35],  # top below 0.40
            [0.05, 0.49, 0.46],  # top two closer than 0.05
            [0.02, 0.52, 0.46],  # 0.06 apart: not ambiguous
        ]
    )
    assert nlu_sweep.decide(proba, classes, 0.40, 0.05) == [
        "visa",
        "nlu_fallback",
        "nlu_fallback",
        "visa",
    ]


def test_count_transforms() -> None:
    counts = scipy.sparse.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0]]))
    raw = nlu_sweep._tf(counts, "raw", False).toarray()
    np.testing.assert_allclose(raw, counts.toarray())
    np.testing.assert_allclose(
        nlu_sweep._tf(counts, "log", False).toarray()[0], [1, 1 + np.log(3), 0]
    )
    np.testing.assert_allclose(nlu_sweep._tf(counts, "binary", False).toarray()[0], [1, 1, 0])
    normed = nlu_sweep._tf(counts, "raw", True).toarray()
    np.testing.assert_allclose(np.linalg.norm(normed[0]), 1.0)
    np.testing.assert_allclose(normed[1], 0.0)  # an empty row stays empty
    assert counts.toarray()[0, 1] == 3.0  # the input is not modified


def test_design_scales_each_block_and_the_start_keeps_the_scores() -> None:
    blocks = nlu_sweep.Blocks(
        word=scipy.sparse.csr_matrix(np.array([[1.0, 2.0]])),
        char=scipy.sparse.csr_matrix(np.array([[3.0, 0.0, 1.0]])),
        dense=np.array([[0.5, -0.5]]),
    )
    v = nlu_sweep.Variant("x", word_scale=2.0, char_scale=0.5, dense_scale=3.0)
    X = nlu_sweep.design(blocks, v).toarray()
    np.testing.assert_allclose(X, [[2, 4, 1.5, 0, 0.5, 1.5, -1.5]])

    class Reference:
        coef_ = np.arange(14, dtype=float).reshape(2, 7)
        intercept_ = np.array([0.1, 0.2])

    base = nlu_sweep.design(blocks, nlu_sweep.Variant("base")).toarray()
    coef, intercept = nlu_sweep.start_from(Reference(), v, (2, 3))
    np.testing.assert_allclose(X @ coef.T, base @ Reference.coef_.T)


def test_folds_are_stratified_by_language_and_intent_and_cover_every_example() -> None:
    labels = [("en", "visa")] * 10 + [("zh", "visa")] * 5 + [("en", "greet")] * 3
    folds = nlu_sweep.stratified_folds(labels, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(labels)))
    for fold in folds:
        assert sum(labels[i] == ("en", "visa") for i in fold) == 2
        assert sum(labels[i] == ("zh", "visa") for i in fold) == 1
