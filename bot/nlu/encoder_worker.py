"""The sentence encoder in a process of its own, so that the Rasa server's event loop need not wait for it.

Why: the Rasa server is one Python process whose event loop answers every conversation; the multilingual
sentence encoder (`bot.nlu.sentence_encoder`, about 3 ms of CPU per message) was the largest single item
of its CPU per turn (docs/measurements.md). Run in a thread, it would still hold the interpreter lock in
its many short numpy steps and wait up to the switch interval for it after each of them while the loop
is busy; in a process of its own it runs on another core. The server's NLU then reads the vector the
worker computed for the message (`precomputed`, filled by bot/rasa_ext/speedups.py before Rasa runs its
NLU graph) and encodes in process only when the worker cannot answer (not ready yet, gone, too slow).

The worker computes exactly what the server would: the same function (`encode_raw`), one text at a time,
with the same number of BLAS threads, so the vectors are bit for bit the same
(tests/nlu/test_encoder_worker.py checks it).

Protocol on the worker's stdin/stdout (binary frames, network byte order):

* request: `!II` (request id, byte length of the text) + the text in UTF-8;
* response: `!III` (request id, status, byte length of the payload) + the payload: for OK the raw
  float32 vector (little-endian), for ERROR a UTF-8 message. A READY frame (request id 0) says the
  model is loaded and warm. End of input ends the worker, so it never outlives its server.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import numpy as np

logger = logging.getLogger(__name__)

REQUEST = struct.Struct("!II")
RESPONSE = struct.Struct("!III")
OK, ERROR, READY = 0, 1, 2
# A message longer than this is encoded in process (the channels cap messages far below it).
MAX_TEXT_BYTES = 64 * 1024
# How long a message waits for the worker before it is encoded in process instead.
DEFAULT_TIMEOUT = 2.0
# After the worker has gone, how long before it is started again.
RESTART_AFTER = 10.0
# `BJ_ENCODER_WORKER=0` keeps the encoding in the Rasa server's own process (e.g. where memory is short:
# the worker is a second copy of the encoder, about 150 MB).
SWITCH = "BJ_ENCODER_WORKER"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- the worker process ---------------------------------------------------------------------------


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(stdin: IO[bytes], stdout: IO[bytes], backend: str, threads: int) -> None:
    """Answer requests until the input ends (the worker's main loop)."""
    from bot.nlu.encoders import encode_raw, get_encoder

    get_encoder(backend, threads)  # load and warm up before saying READY
    stdout.write(RESPONSE.pack(0, READY, 0))
    stdout.flush()
    while True:
        header = _read_exactly(stdin, REQUEST.size)
        if header is None:
            return
        request_id, length = REQUEST.unpack(header)
        body = _read_exactly(stdin, length)
        if body is None:
            return
        try:
            vector = encode_raw([body.decode("utf-8")], backend, threads=threads)[0]
            payload, status = np.ascontiguousarray(vector, dtype="<f4").tobytes(), OK
        except Exception as error:  # one bad message must not end the worker
            payload, status = f"{type(error).__name__}: {error}".encode()[:1000], ERROR
        stdout.write(RESPONSE.pack(request_id, status, len(payload)) + payload)
        stdout.flush()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    backend, threads = args[0], int(args[1])
    serve(sys.stdin.buffer, sys.stdout.buffer, backend, threads)


# --- the server's side ----------------------------------------------------------------------------


class EncoderWorker:
    """A worker process and the event loop's non-blocking conversation with it.

    Everything but `start` runs on the event loop's thread; nothing blocks it: requests are written to a
    non-blocking pipe (the rest waits for the loop's writer callback), responses are read when the loop
    says the pipe is readable.
    """

    def __init__(self, backend: str, threads: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.backend = backend
        self.threads = threads
        self.timeout = timeout
        self.ready = False
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.starts = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Future[np.ndarray | None]] = {}
        self._next_id = 1
        self._inbox = b""
        self._outbox = b""

    # lifecycle

    def start(self) -> None:
        env = dict(os.environ)
        for variable in THREAD_VARIABLES:
            env[variable] = str(self.threads)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.nlu.encoder_worker", self.backend, str(self.threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        os.set_blocking(self.process.stdin.fileno(), False)
        os.set_blocking(self.process.stdout.fileno(), False)
        self.ready = False
        self.started_at = time.monotonic()
        self.starts += 1
        self._inbox = self._outbox = b""
        logger.info("Sentence encoder worker started (pid %d)", self.process.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        self._detach()
        self._fail_pending()
        self.ready = False
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    # encoding

    async def encode(self, text: str) -> np.ndarray | None:
        """The encoder's raw output for `text`, or None when the worker cannot give it now (the caller
        then encodes in process)."""
        data = text.encode("utf-8")
        if len(data) > MAX_TEXT_BYTES or not self._usable():
            return None
        request_id = self._next_id
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        future: asyncio.Future[np.ndarray | None] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._send(REQUEST.pack(request_id, len(data)) + data)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except asyncio.TimeoutError:
            logger.warning(
                "Sentence encoder worker took over %.1f s; encoding in process", self.timeout
            )
            return None
        finally:
            self._pending.pop(request_id, None)

    def _usable(self) -> bool:
        """Attached to the running loop and ready; starts the worker again a while after it went."""
        if self.process is None or self.process.poll() is not None:
            if self.process is not None:
                self._gone("exited")
            if time.monotonic() - self.started_at < RESTART_AFTER:
                return False
            self.start()
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._detach()
            self._loop = loop
            assert self.process is not None and self.process.stdout is not None
            loop.add_reader(self.process.stdout.fileno(), self._on_readable)
            if not self.ready:
                self._on_readable()  # READY may be waiting already (the worker started with the model)
        return self.ready and self.process is not None

    def _send(self, frame: bytes) -> None:
        self._outbox += frame
        self._flush()

    def _flush(self) -> None:
        assert (
            self.process is not None and self.process.stdin is not None and self._loop is not None
        )
        fd = self.process.stdin.fileno()
        try:
            while self._outbox:
                written = os.write(fd, self._outbox)
                self._outbox = self._outbox[written:]
        except BlockingIOError:
            self._loop.add_writer(fd, self._flush)
            return
        except OSError:  # the worker has gone: its pipe is broken
            self._gone("stopped reading")
            return
        self._loop.remove_writer(fd)

    def _on_readable(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        try:
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._gone("closed its output")
            return
        self._inbox += chunk
        while len(self._inbox) >= RESPONSE.size:
            request_id, status, length = RESPONSE.unpack_from(self._inbox)
            if len(self._inbox) < RESPONSE.size + length:
                break
            payload = self._inbox[RESPONSE.size : RESPONSE.size + length]
            self._inbox = self._inbox[RESPONSE.size + length :]
            if status == READY:
                self.ready = True
                logger.info(
                    "Sentence encoder worker ready after %.1f s", time.monotonic() - self.started_at
                )
                continue
            future = self._pending.get(request_id)
            if future is None or future.done():
                continue  # answered after its timeout
            if status == OK:
                future.set_result(np.frombuffer(payload, dtype="<f4").astype(np.float32))
            else:
                logger.warning("Sentence encoder worker: %s", payload.decode(errors="replace"))
                future.set_result(None)

    def _gone(self, how: str) -> None:
        process = self.process
        logger.warning(
            "Sentence encoder worker %s (%s); encoding in process, starting it again in %.0f s",
            how,
            f"pid {process.pid}" if process is not None else "no process",
            RESTART_AFTER,
        )
        self.stop()
        self.started_at = time.monotonic()

    def _detach(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed() or self.process is None:
            return
        for stream in (self.process.stdout, self.process.stdin):
            if stream is not None and not stream.closed:
                loop.remove_reader(stream.fileno())
                loop.remove_writer(stream.fileno())

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        self._pending.clear()


# --- the switch and the hand-over to the NLU ------------------------------------------------------

_enabled = False
_workers: dict[tuple[str, int], EncoderWorker] = {}
# The vectors the worker computed for the message being parsed: {(backend, text): raw vector}.
_PRECOMPUTED: contextvars.ContextVar[dict[tuple[str, str], np.ndarray] | None] = (
    contextvars.ContextVar("bot_precomputed_sentence_vectors", default=None)
)


def enable() -> None:
    """Use workers in this process (the Rasa server; bot/rasa_ext/speedups.py). Off elsewhere: training,
    tests and benchmarks that run the NLU in process encode in process."""
    global _enabled
    _enabled = True


def disable() -> None:
    global _enabled
    _enabled = False
    for worker in _workers.values():
        worker.stop()
    _workers.clear()


def enabled() -> bool:
    return _enabled


def ensure_started(backend: str, threads: int) -> EncoderWorker | None:
    """The worker for `backend`, started now if workers are on (called when the NLU model loads, so the
    worker warms up while the server starts)."""
    if not _enabled:
        return None
    worker = _workers.get((backend, threads))
    if worker is None:
        worker = _workers[(backend, threads)] = EncoderWorker(backend, threads)
        worker.start()
    return worker


def workers() -> list[EncoderWorker]:
    return list(_workers.values())


async def precompute(text: str) -> dict[tuple[str, str], np.ndarray]:
    """Every running worker's vector of `text` (usually one worker: the model's backend)."""
    found: dict[tuple[str, str], np.ndarray] = {}
    for (backend, _), worker in list(_workers.items()):
        vector = await worker.encode(text)
        if vector is not None:
            found[(backend, text)] = vector
    return found


@contextmanager
def handed_over(vectors: dict[tuple[str, str], np.ndarray]) -> Iterator[None]:
    """Make `vectors` available to `precomputed` in this context (the NLU graph run that follows)."""
    token = _PRECOMPUTED.set(vectors)
    try:
        yield
    finally:
        _PRECOMPUTED.reset(token)


def precomputed(backend: str, text: str) -> np.ndarray | None:
    """The worker's vector of `text` for the message being parsed, if it gave one."""
    vectors = _PRECOMPUTED.get()
    return None if vectors is None else vectors.get((backend, text))


if __name__ == "__main__":
    main()
