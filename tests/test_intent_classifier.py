"""Our logistic-regression intent classifier predicts exactly what Rasa's own does, and survives empty messages."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from sklearn.linear_model import LogisticRegression

from bot.nlu.intent_classifier import SafeLogisticRegressionClassifier

N_FEATURES = 3000


def message(row: scipy.sparse.spmatrix | None, dense: np.ndarray | None = None) -> Message:
    msg = Message(data={TEXT: "x"})
    if row is not None:
        msg.add_features(
            Features(
                scipy.sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "CountVectorsFeaturizer"
            )
        )
    if dense is not None:
        msg.add_features(Features(dense, FEATURE_TYPE_SENTENCE, TEXT, "SomeDenseFeaturizer"))
    return msg


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    rng = np.random.default_rng(3)
    X = scipy.sparse.random(600, N_FEATURES, density=0.01, format="csr", random_state=4)
    y = [f"intent_{i}" for i in rng.integers(0, 7, size=600)]
    clf = LogisticRegression(max_iter=300, random_state=42).fit(X, y)
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))

    def make(cls: type) -> LogisticRegressionClassifier:
        component = cls({**cls.get_default_config()}, "clf", storage, Resource("clf"))
        component.clf = clf
        return component

    return make(SafeLogisticRegressionClassifier), make(LogisticRegressionClassifier)


@pytest.mark.parametrize("patches", ["on", "off"])
def test_same_intents_and_confidences_as_rasas_classifier(
    fitted: tuple, patches: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with the fence's switch off (BJ_RASA_PATCHES=0: scikit-learn's own predict_proba)."""
    if patches == "off":
        monkeypatch.setenv("BJ_RASA_PATCHES", "0")
    ours, rasas = fitted
    rows = [
        scipy.sparse.random(1, N_FEATURES, density=d, format="coo", random_state=s)
        for s, d in enumerate([0.001, 0.01, 0.05] * 5)
    ]
    for batch in ([message(r) for r in rows], [message(rows[0])]):
        mine, theirs = ours.process(copy.deepcopy(batch)), rasas.process(copy.deepcopy(batch))
        for a, b in zip(mine, theirs, strict=True):
            assert a.get("intent")["name"] == b.get("intent")["name"]
            assert [r["name"] for r in a.get("intent_ranking")] == [
                r["name"] for r in b.get("intent_ranking")
            ]
            np.testing.assert_allclose(
                [r["confidence"] for r in a.get("intent_ranking")],
                [r["confidence"] for r in b.get("intent_ranking")],
                rtol=1e-12,
            )


def test_a_message_without_features_gets_no_intent(fitted: tuple) -> None:
    ours, rasas = fitted
    empty = message(None)
    with pytest.raises(ValueError):
        rasas.process([copy.deepcopy(empty)])  # what happened before: the turn failed
    row = scipy.sparse.random(1, N_FEATURES, density=0.01, format="coo", random_state=9)
    done = ours.process([empty, message(row)])
    assert (
        done[0].get("intent") == {"name": None, "confidence": 0.0}
        and done[0].get("intent_ranking") == []
    )
    assert done[1].get("intent")["name"].startswith("intent_")
