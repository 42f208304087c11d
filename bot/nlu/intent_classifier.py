"""Rasa's LogisticRegressionClassifier, made safe for messages that have no features.

A message with no token the featurizers know ("", "🙂🙂🙂") reaches Rasa 3.6's classifier as a row of zero
width, and scikit-learn raises on it, so the whole turn failed. Such a message now gets no intent with
confidence 0, which the FallbackClassifier turns into "did you mean ...?" like any other unclear message.
"""

from __future__ import annotations

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


def _has_features(message: Message) -> bool:
    sparse = message.get_sparse_features(attribute=TEXT)[1]
    dense = message.get_dense_features(attribute=TEXT)[1]
    width = (sparse.features.shape[-1] if sparse is not None else 0) + (dense.features.shape[-1] if dense is not None else 0)
    return width > 0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier that answers "no intent" for a message without features."""

    def process(self, messages: list[Message]) -> list[Message]:
        featured = [m for m in messages if _has_features(m)]
        if featured:
            super().process(featured)
        for message in messages:
            if not _has_features(message):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages
