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


def counts(width: int, columns: list[int], seed: int) -> scipy.sparse.coo_matrix:
    """A count-vector sentence row as Rasa's CountVectorsFeaturizer leaves it (int64 COO, sorted columns)."""
    values = np.random.default_rng(seed).integers(1, 4, size=len(columns)).astype(np.int64)
    return scipy.sparse.coo_matrix(
        (values, (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))),
        shape=(1, width),
    )


def featured(sparse: list[scipy.sparse.coo_matrix], dense: list[np.ndarray]) -> Message:
    msg = Message(data={TEXT: "x"})
    for i, row in enumerate(sparse):
        msg.add_features(Features(row, FEATURE_TYPE_SENTENCE, TEXT, f"CountVectorsFeaturizer{i}"))
        # sequence features (one row per token) are not part of the sentence row
        msg.add_features(
            Features(scipy.sparse.coo_matrix((3, row.shape[1])), "sequence", TEXT, f"Cvf{i}")
        )
    for i, values in enumerate(dense):
        msg.add_features(Features(values, FEATURE_TYPE_SENTENCE, TEXT, f"Dense{i}"))
    return msg


def direct_row_cases() -> list[Message]:
    rng = np.random.default_rng(5)
    encoder = rng.standard_normal((1, 512)).astype(np.float32)
    with_zeros = encoder.copy()
    with_zeros[0, [0, 7, 511]] = 0.0
    with_zeros[0, 9] = -0.0
    with_nan = encoder.copy()
    with_nan[0, 3] = np.nan
    words, chars = counts(400, [3, 17, 250], 1), counts(2000, [0, 5, 6, 1999], 2)
    return [
        featured([words, chars], [encoder]),  # the assistant's pipeline
        featured([words, chars], [with_zeros]),
        featured([words, chars], [with_nan]),
        featured([words, chars], []),  # one part only: its own dtype
        featured([], [encoder]),
        featured([words], [encoder, with_zeros]),  # two dense featurizers
        featured([counts(400, [], 3), chars], [encoder]),  # a featurizer without known n-grams
        featured([counts(0, [], 4)], [np.zeros((1, 0), dtype=np.float32)]),  # no width: no row
        featured([], []),
        # premise broken (unsorted or repeated columns, two rows): built by `_row` instead
        featured([scipy.sparse.coo_matrix(([1, 2], ([0, 0], [9, 4])), shape=(1, 10))], [encoder]),
        featured([scipy.sparse.coo_matrix(([1, 2], ([0, 0], [4, 4])), shape=(1, 10))], [encoder]),
        featured([scipy.sparse.coo_matrix(([1, 2], ([0, 1], [4, 5])), shape=(2, 10))], []),
    ]


@pytest.mark.parametrize("case", range(len(direct_row_cases())))
def test_direct_row_is_the_row_scipy_builds(case: int) -> None:
    """Same entries, order and dtype as `_row` (Rasa's feature combination and SciPy's stacking), so the
    product with the weights gives the same bits."""
    from bot.nlu.intent_classifier import _direct_row, _row
    from bot.rasa_ext import speedups

    speedups.install()  # Rasa's feature combination as the server runs it
    try:
        msg = direct_row_cases()[case]
        theirs = _row(copy.deepcopy(msg))
        mine = _direct_row(msg)
        if theirs is None:
            assert mine is None
            return
        assert mine is not None
        assert (mine.shape, mine.dtype) == (theirs.shape, theirs.dtype)
        assert mine.indices.tolist() == theirs.indices.tolist()
        assert mine.indptr.tolist() == theirs.indptr.tolist()
        assert mine.data.tobytes() == theirs.data.tobytes()
        weights = np.random.default_rng(6).standard_normal((mine.shape[1], 23))
        assert np.asarray(mine @ weights).tobytes() == np.asarray(theirs @ weights).tobytes()
    finally:
        speedups.uninstall()
