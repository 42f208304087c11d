"""The NLU's sentence vector handed to the action server (bot/nlu/text_vector.py, bot/faq/encoder.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.faq import encoder as faq_encoder
from bot.nlu import text_vector
from bot.nlu.text_vector import TEXT_VECTOR

TEXT = "where can I renew my residence permit in Chaoyang?"


def raw_vector(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=faq_encoder.DIMENSION).astype(np.float32)


def test_pack_is_json_and_unpacks_bit_for_bit() -> None:
    raw = raw_vector()
    packed = json.loads(json.dumps(text_vector.pack(TEXT, "use", raw)))
    assert np.array_equal(text_vector.unpack(packed, TEXT, "use"), raw)


@pytest.mark.parametrize(
    "packed, text, backend",
    [
        (text_vector.pack(TEXT, "use", raw_vector()), "another message", "use"),
        (text_vector.pack(TEXT, "use", raw_vector()), TEXT, "e5"),
        ({**text_vector.pack(TEXT, "use", raw_vector()), "dim": 384}, TEXT, "use"),
        ({**text_vector.pack(TEXT, "use", raw_vector()), "f32": "not base64!"}, TEXT, "use"),
        ({"text": TEXT, "backend": "use"}, TEXT, "use"),
        (None, TEXT, "use"),
        ("a string", TEXT, "use"),
    ],
)
def test_a_vector_of_another_text_or_encoder_or_damaged_is_not_used(packed, text, backend) -> None:
    assert text_vector.unpack(packed, text, backend) is None


def test_the_matcher_uses_the_vector_of_that_message_only(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = raw_vector(1)
    message = {"text": TEXT, TEXT_VECTOR: text_vector.pack(TEXT, faq_encoder.BACKEND, raw)}
    fresh = faq_encoder.encode([TEXT])  # the encoder itself
    batch = faq_encoder.encode(
        [TEXT, "hello"]
    )  # (a batch's numbers differ from one text's in the last bits)
    with faq_encoder.given(message):
        # The message's own text: the given vector, made unit length as an encoding would be.
        assert np.array_equal(faq_encoder.encode([TEXT])[0], raw / np.linalg.norm(raw))
        # Any other text, or several texts: encoded as before.
        assert np.array_equal(faq_encoder.encode(["hello"]), faq_encoder.encode(["hello"]))
        assert np.array_equal(faq_encoder.encode([TEXT, "hello"]), batch)
    # Outside the block the text is encoded again.
    assert np.array_equal(faq_encoder.encode([TEXT]), fresh)
    # A message without a vector (a button payload, an older model) changes nothing.
    with faq_encoder.given({"text": TEXT}):
        assert np.array_equal(faq_encoder.encode([TEXT]), fresh)
