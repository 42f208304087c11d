"""Rasa's LogisticRegressionClassifier, safe for messages without features and fast to call per message.

Two changes, neither of which changes a prediction (tests/nlu/test_intent_classifier.py compares them with
Rasa's own class):

* A message with no token the featurizers know ("", "🙂🙂🙂") reaches Rasa 3.6's classifier as a row of zero
  width, and scikit-learn raises on it, so the whole turn failed. Such a message now gets no intent with
  confidence 0, which the FallbackClassifier turns into "did you mean ...?" like any other unclear message.
* Scoring one message: scikit-learn multiplies the message by the transposed weight matrix, which is not
  contiguous in memory, and SciPy copies all of it (23 intents x 40,000 n-grams) on every call; building
  the message's row went through SciPy's general block-matrix stacking. Profiling the server put these at
  a fifth of its CPU per turn. The transposed weights are kept contiguous once, and a message's sparse row
  is used as it is.
* Building the row: Rasa combines the featurizers' features with deep copies and SciPy's COO/CSR
  conversions, and `_row` then stacks sparse and dense parts with SciPy's block stacking, about 0.5 ms per
  message. `_direct_row` builds the same CSR row (same entries in the same order, same dtype) from the
  features' arrays, and falls back to `_row` whenever its premise (one row, column indices already in
  canonical order) does not hold; the product with the weights is the same call, so the scores are the
  same bits (tests/nlu/test_intent_classifier.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from sklearn.utils.extmath import softmax

from bot.rasa_ext import fence


def _row(message: Message) -> scipy.sparse.csr_matrix | None:
    """The message's sentence-level features as one sparse row (sparse, then dense), None when empty."""
    sparse = message.get_sparse_features(attribute=TEXT)[1]
    dense = message.get_dense_features(attribute=TEXT)[1]
    parts = []
    if sparse is not None and sparse.features.shape[-1]:
        parts.append(scipy.sparse.csr_matrix(sparse.features))
    if dense is not None and dense.features.shape[-1]:
        parts.append(scipy.sparse.csr_matrix(dense.features))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else scipy.sparse.hstack(parts, format="csr")


def _direct_row(message: Message) -> scipy.sparse.csr_matrix | None:
    """What `_row` returns, built from the features' arrays without SciPy's conversions and stacking.

    The sparse part is Rasa's combined sentence features (the featurizers' COO rows side by side, as
    `Message.get_sparse_features` joins them) in CSR form: the same entries in the same order when its
    column indices strictly increase, which is checked (otherwise `_row` builds it). The dense part keeps
    the non-zero entries, as `csr_matrix(ndarray)` does. Two parts are joined with the common dtype, as
    `scipy.sparse.hstack` does.
    """
    sparse = [
        f
        for f in message.features
        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and f.is_sparse()
    ]
    dense = [
        f
        for f in message.features
        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and f.is_dense()
    ]
    parts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (data, column indices, width)
    if sparse:
        data, cols, width = [], [], 0
        for f in sparse:
            coo = f.features
            if not isinstance(coo, scipy.sparse.coo_matrix) or coo.shape[0] != 1 or coo.row.any():
                return _row(message)
            data.append(coo.data)
            cols.append(coo.col.astype(np.int64, copy=False) + width)
            width += coo.shape[1]
        if width:
            joined = np.concatenate(cols)
            if joined.size > 1 and not bool(np.all(joined[1:] > joined[:-1])):
                return _row(message)
            parts.append((np.concatenate(data) if len(data) > 1 else data[0], joined, width))
    if dense:
        values = (
            np.concatenate([f.features for f in dense], axis=-1)
            if len(dense) > 1
            else dense[0].features
        )
        if values.ndim != 2 or values.shape[0] != 1:
            return _row(message)
        if values.shape[-1]:
            (nonzero,) = np.nonzero(values[0])
            parts.append((values[0, nonzero], nonzero, values.shape[-1]))
    if not parts:
        return None
    dtype = np.result_type(*(data.dtype for data, _, _ in parts))
    offsets = np.cumsum([0] + [width for _, _, width in parts])
    data = np.concatenate([d.astype(dtype, copy=False) for d, _, _ in parts])
    indices = np.concatenate([c + o for (_, c, _), o in zip(parts, offsets, strict=False)])
    return scipy.sparse.csr_matrix(
        (data, indices.astype(np.int32), np.array([0, data.size], dtype=np.int32)),
        shape=(1, int(offsets[-1])),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier with "no intent" for featureless messages and a faster scoring path."""

    _weights_t: np.ndarray | None = None

    def _multinomial(self) -> bool:
        """scikit-learn's own rule for when predict_proba is the softmax of the decision function."""
        clf = self.clf
        ovr = clf.multi_class in ("ovr", "warn") or (
            clf.multi_class == "auto" and (clf.classes_.size <= 2 or clf.solver == "liblinear")
        )
        return not ovr and clf.coef_.shape[0] > 1

    def _probabilities(self, X: scipy.sparse.csr_matrix) -> np.ndarray:
        # The fast path bypasses scikit-learn's predict_proba, so it is behind the fence (fence.py).
        if not self._multinomial() or not fence.enabled():
            return self.clf.predict_proba(X)
        if self._weights_t is None or self._weights_t.shape != self.clf.coef_.T.shape:
            self._weights_t = np.ascontiguousarray(self.clf.coef_.T)
        decision = np.asarray(X @ self._weights_t) + self.clf.intercept_
        return softmax(decision, copy=False)

    def process(self, messages: list[Message]) -> list[Message]:
        build = _direct_row if fence.enabled() else _row
        rows = [build(m) for m in messages]
        featured = [(m, r) for m, r in zip(messages, rows, strict=True) if r is not None]
        if featured:
            X = (
                scipy.sparse.vstack([r for _, r in featured], format="csr")
                if len(featured) > 1
                else featured[0][1]
            )
            probas = self._probabilities(X)
            for (message, _), row in zip(featured, probas, strict=True):
                self._set_intent(message, row)
        for message, row in zip(messages, rows, strict=True):
            if row is None:
                message.set(
                    INTENT,
                    {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                    add_to_output=True,
                )
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages

    def _set_intent(self, message: Message, probabilities: Any) -> None:
        """As Rasa's class does: the best intent, and the ranking cut to `ranking_length`."""
        ranking = [
            {"name": k, "confidence": v}
            for k, v in zip(self.clf.classes_, probabilities, strict=True)
        ]
        ranking = sorted(ranking, key=lambda e: -e["confidence"])
        intent = ranking[0]
        if self.config[RANKING_LENGTH] > 0:
            ranking = ranking[: self.config[RANKING_LENGTH]]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
