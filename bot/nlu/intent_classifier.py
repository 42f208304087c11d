"""Rasa's LogisticRegressionClassifier, safe for messages without features and fast to call per message.

Two changes, neither of which changes a prediction (tests/test_intent_classifier.py compares them with
Rasa's own class):

* A message with no token the featurizers know ("", "🙂🙂🙂") reaches Rasa 3.6's classifier as a row of zero
  width, and scikit-learn raises on it, so the whole turn failed. Such a message now gets no intent with
  confidence 0, which the FallbackClassifier turns into "did you mean ...?" like any other unclear message.
* Scoring one message: scikit-learn multiplies the message by the transposed weight matrix, which is not
  contiguous in memory, and SciPy copies all of it (23 intents x 40,000 n-grams) on every call; building
  the message's row went through SciPy's general block-matrix stacking. Profiling the server put these at
  a fifth of its CPU per turn. The transposed weights are kept contiguous once, and a message's sparse row
  is used as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
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
        rows = [_row(m) for m in messages]
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
