"""With the patches of Rasa internals switched off (BJ_RASA_PATCHES=0) the assistant answers exactly
as with them on: two real assistants side by side, the same scripted conversations, message by
message.

Needs the trained model (`make test` trains it first when the training data changed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from servers import assistant_env, start_assistant

from bot.runtime import serve


@dataclass
class Assistant:
    servers: serve.Servers
    log: Path


pytestmark = pytest.mark.slow

# Conversations (sender -> messages in order) over every kind of answer, nine languages, entities,
# follow-ups, ratings, a language change, unclear and featureless messages. No "open now" question:
# the two assistants answer a few seconds apart.
SCRIPT: dict[str, list[str]] = {
    "en": [
        "hi",
        "where can I renew my residence permit in chaoyang?",
        "is it open on saturday?",
        "👍",
        "what documents do I need for a work permit?",
        "international schools with IB for my 8 year old in shunyi",
        "blorp",
        "🙂🙂🙂",
        "I want to talk to a person",
    ],
    "zh": ["你好", "朝阳区哪里可以办居留许可？", "附近有国际医院吗？", "谢谢"],
    "ru": ["Где продлить визу в Хайдяне?", "больница с английским языком"],
    "ar": ["أحتاج سيارة إسعاف الآن"],
    "fr": ["Où renouveler mon permis de séjour à Chaoyang ?", "answer in english please"],
    "ja": ["朝陽区で居留許可を更新するにはどこへ行けばいいですか？"],
    "ko": ["차오양구에서 거류허가를 연장하려면 어디로 가야 하나요?"],
    "de": ["Wo verlängere ich meine Aufenthaltserlaubnis in Chaoyang?"],
    "es": ["¿Dónde renuevo mi permiso de residencia en Chaoyang?", "👎"],
}


@pytest.fixture(scope="module")
def assistants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Assistant]]:
    """Two assistants, BJ_RASA_PATCHES=1 and =0, each with its own knowledge base and store."""
    started: dict[str, Assistant] = {}
    try:
        for patches in ("1", "0"):
            var = tmp_path_factory.mktemp(f"patches{patches}")
            env = {**assistant_env(var), "BJ_RASA_PATCHES": patches}
            running = start_assistant(env, log_dir=var)
            started[patches] = Assistant(running, var / "rasa.log")
        yield started
    finally:
        for assistant in started.values():
            assistant.servers.stop()


def _say(base: str, sender: str, text: str) -> list[dict]:
    response = requests.post(
        f"{base}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}),
        headers={"Content-Type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_same_replies_with_patches_off(assistants: dict[str, Assistant]) -> None:
    on, off = assistants["1"].servers, assistants["0"].servers
    replies = 0
    for sender, messages in SCRIPT.items():
        for text in messages:
            patched = _say(on.rasa_url, f"fence-{sender}", text)
            shipped = _say(off.rasa_url, f"fence-{sender}", text)
            assert shipped == patched, (sender, text)
            replies += len(patched)
    assert replies >= sum(len(m) for m in SCRIPT.values())  # every message was answered


def test_each_server_says_whether_the_patches_are_on(assistants: dict[str, Assistant]) -> None:
    def log(patches: str) -> str:
        return assistants[patches].log.read_text(encoding="utf-8", errors="replace")

    assert "Rasa speed-ups: installed (Rasa 3.6.21)" in log("1")
    assert "Rasa speed-ups: off, Rasa runs as shipped" in log("0")


def _encoder_workers(rasa_pid: int) -> list[int]:
    """The Rasa server's encoder worker processes (bot/nlu/encoder_worker.py), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == rasa_pid and b"bot.nlu.encoder_worker" in command:
            found.append(int(entry.name))
    return found


def test_encoder_worker_runs_beside_the_patched_server_and_may_die(
    assistants: dict[str, Assistant],
) -> None:
    """With the patches on, a worker process encodes the messages (bot/nlu/encoder_worker.py); when it
    dies the server encodes in process and answers the same, and starts the worker again later."""
    import os
    import signal
    import time

    on, off = assistants["1"].servers, assistants["0"].servers
    rasa_pid = on.processes[1].pid
    assert not _encoder_workers(off.processes[1].pid)
    workers = _encoder_workers(rasa_pid)
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(0.5)
    for text in ["how much does a work residence permit cost?", "и в Хайдяне?"]:
        assert _say(on.rasa_url, "worker-gone", text) == _say(off.rasa_url, "worker-gone", text)
    time.sleep(11)  # RESTART_AFTER: the next message starts it again
    _say(on.rasa_url, "worker-back", "hi")
    deadline = time.monotonic() + 60
    while not (again := _encoder_workers(rasa_pid)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert again and again != workers
