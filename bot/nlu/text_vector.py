"""The NLU's sentence vector of a user message, handed from the Rasa server to the action server.

The Rasa server's NLU encodes every message with the multilingual sentence encoder
(`bot.nlu.sentence_encoder`); the questions-and-answers matcher in the action server (`bot.faq`) needs the
vector of the same message from the same encoder. Instead of encoding the message a second time (about
3-4 ms of CPU per turn), the NLU puts the encoder's output for the message text into its result (parse
data key `TEXT_VECTOR`), the action server reads it from the tracker's latest message, and the
conversation store drops it when the turn is saved (it is of no use after the turn).

The vector is the encoder's raw float32 output, before any normalisation, so that whoever uses it gets
bit for bit what encoding the text again would give. No Rasa imports: the action server reads it.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

# The NLU result's key (an output property of `SentenceEncoderFeaturizer`).
TEXT_VECTOR = "text_vector"


def pack(text: str, backend: str, raw: np.ndarray) -> dict[str, Any]:
    """The JSON form of `raw` (one text's encoder output) for the NLU result."""
    vector = np.ascontiguousarray(raw, dtype="<f4")
    return {
        "text": text,
        "backend": backend,
        "dim": int(vector.shape[-1]),
        "f32": base64.b64encode(vector.tobytes()).decode("ascii"),
    }


def unpack(packed: Any, text: str, backend: str) -> np.ndarray | None:
    """The raw vector `pack` stored, when it is `backend`'s vector of exactly `text`; else None."""
    if (
        not isinstance(packed, dict)
        or packed.get("text") != text
        or packed.get("backend") != backend
    ):
        return None
    try:
        data = base64.b64decode(packed["f32"], validate=True)
        vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
    except (KeyError, TypeError, ValueError):
        return None
    return vector if vector.shape == (packed.get("dim"),) else None
