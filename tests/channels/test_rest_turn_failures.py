"""A REST turn that fails or is cut short is answered as a failure, never with the replies it had collected.

Issue 17: in the scale-out test a REST message was now and then answered (200 with its replies) but never
stored. The cause: without the HTTP API, Rasa's Sanic app kept Sanic's 60-second response timeout, and
Sanic cancels a handler that takes longer while the connection stays open; Rasa's REST route catches the
cancellation (`rest.message.received.timeout`) and answers 200 with the replies collected so far, although
the turn never reached its save. The same route answered 200 with the collected replies when the turn
raised after replying (e.g. the save failed).

Here Rasa's REST route and the assistant's channel run in a real Sanic server on loopback, with a 1-second
response timeout and an agent whose turns reply and then take too long or fail, the way a turn that waits
for its conversation's lock, the action server or the database does. The Rasa server's own response
timeout is checked in test_rasa_server_keeps_rasas_response_timeout_without_the_api.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic
from servers import ROOT, free_port

from bot.channels.rest import SafeRestInput
from bot.rasa_ext.tracker_store import ConversationNotSaved

RESPONSE_TIMEOUT_S = 1


class ScriptedAgent:
    """Stands in for Rasa's Agent: each turn replies, then behaves as its message says."""

    def __init__(self) -> None:
        self.finished: list[str] = []  # turns that ran to their end (where Rasa saves the tracker)

    def is_ready(self) -> bool:
        return False  # message ids are handled by exactly_once with a real agent; not needed here

    async def handle_message(self, message: UserMessage) -> None:
        text = message.text or ""
        if text != "silent and slow":
            await message.output_channel.send_text_message(message.sender_id, f"reply to {text}")
        if "slow" in text:
            await asyncio.sleep(RESPONSE_TIMEOUT_S * 4)  # a lock, the action server, the database
        if text == "fails after replying":
            raise ConversationNotSaved("the database refused the turn")
        self.finished.append(text)


@pytest.fixture(scope="module")
def rest_server() -> Iterator[tuple[str, ScriptedAgent]]:
    agent = ScriptedAgent()
    app = Sanic(f"rest_turn_failures_{os.getpid()}", configure_logging=False)
    app.config.RESPONSE_TIMEOUT = RESPONSE_TIMEOUT_S
    app.ctx.agent = agent
    register([SafeRestInput()], app, "/webhooks/")
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def serve() -> None:
            server = await app.create_server(
                host="127.0.0.1", port=port, return_asyncio_server=True
            )
            assert server is not None
            await server.startup()
            state["server"] = server
            started.set()
            await server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30), "the Sanic server did not start"
    yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", agent
    loop.call_soon_threadsafe(state["server"].close)
    thread.join(5)


def post(url: str, text: str) -> requests.Response:
    return requests.post(url, json={"sender": "turn-failures", "message": text}, timeout=30)


def test_a_turn_that_ends_is_answered(rest_server: tuple[str, ScriptedAgent]) -> None:
    url, agent = rest_server
    response = post(url, "quick")
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "turn-failures", "text": "reply to quick"}]
    assert "quick" in agent.finished


def test_a_turn_cut_by_the_response_timeout_is_a_failure_not_an_answer(
    rest_server: tuple[str, ScriptedAgent],
) -> None:
    url, agent = rest_server
    response = post(url, "slow")
    # Before: 200 [{"text": "reply to slow"}] although the turn never reached its save.
    assert response.status_code == 503, response.text
    assert "reply to slow" not in response.text
    assert "slow" not in agent.finished
    silent = post(url, "silent and slow")
    # Before: 200 [] (the client took the empty list for an answer).
    assert silent.status_code == 503, silent.text


def test_a_turn_that_fails_after_replying_is_a_failure(
    rest_server: tuple[str, ScriptedAgent],
) -> None:
    url, _agent = rest_server
    response = post(url, "fails after replying")
    # Before: 200 with the reply, and nothing stored.
    assert response.status_code == 503, response.text
    assert "reply to" not in response.text


def test_rasa_server_keeps_rasas_response_timeout_without_the_api() -> None:
    """The Rasa server's environment gives Sanic Rasa's response timeout (1 h), not Sanic's 60 s default."""
    from rasa.core.constants import DEFAULT_RESPONSE_TIMEOUT

    env = {k: v for k, v in os.environ.items() if not k.startswith("SANIC_")}
    # The server's entry point as the launcher runs it, with Rasa's command line replaced by building the
    # app `rasa run` builds when the API is off.
    script = (
        "import rasa.__main__\n"
        "def run():\n"
        "    from rasa.core.run import _create_app_without_api\n"
        "    print(_create_app_without_api().config.RESPONSE_TIMEOUT)\n"
        "rasa.__main__.main = run\n"
        "from bot.rasa_ext import rasa_server\n"
        "rasa_server.main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert int(out.stdout.strip().splitlines()[-1]) == DEFAULT_RESPONSE_TIMEOUT
