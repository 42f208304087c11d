"""Faults answered: a turn whose custom action cannot run still gets a polite reply, on every channel.

Rasa 3.6 answers nothing when the action server is down, times out or fails (`MessageProcessor._run_action`
logs the exception and carries on with no events), and the turn is stored as if it had been answered: REST
returned `200 []`, WeChat "success", the widget nothing. Here:

* every call to the action server is bounded by ACTION_SERVER_TIMEOUT (Rasa's own is 5 minutes), and after
  a timeout calls fail at once for ACTION_SERVER_RETRY_AFTER seconds, so one hung action server does not
  hold every user for the full timeout in turn;
* a transport failure (connection refused or dropped, timeout, 5xx) raises `ActionServerFailed`, a
  RasaException, so the language-slot call inside `action_extract_slots` is skipped as Rasa skips any
  failed slot mapping;
* the turn's own action (the one the policies predicted) answers instead with the polite text of the user's
  language from the locale catalogue; for an emergency, the emergency numbers. Those replies are BotUttered
  events of the turn, so every channel sends them the way it sends any reply, and they carry the marker
  `metadata.turn_failed` (`TURN_FAILED`) that the conversation reports count as failed, not answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from bot.core import config, hotlines
from bot.dialogue import i18n
from bot.rasa_ext import fence

logger = logging.getLogger(__name__)

TURN_FAILED = "turn_failed"
# Values of the marker: why the turn failed.
TIMEOUT = "action_server_timeout"
UNAVAILABLE = "action_server_unavailable"
EMERGENCY_ACTION = "action_emergency"
EMERGENCY_INTENT = "emergency"


class _Breaker:
    """After a timeout, fail fast until `retry_after` seconds have passed."""

    def __init__(self) -> None:
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, seconds: float) -> None:
        self.open_until = time.monotonic() + seconds


BREAKER = _Breaker()


def fault_texts(action_name: str, intent: str | None, lang: str | None) -> list[str]:
    """What the user gets when `action_name` could not run: emergency numbers first for an emergency."""
    from bot.dialogue.language import answer_language

    lang = answer_language(lang)
    if action_name == EMERGENCY_ACTION or intent == EMERGENCY_INTENT:
        numbers = i18n.text("emergency_fallback", lang).format(**hotlines.NUMBERS)
        return [numbers, i18n.t("kb_unavailable", lang)]
    return [i18n.t("kb_unavailable", lang)]


def _language(tracker: Any) -> str | None:
    lang = tracker.get_slot("language")
    if lang:
        return str(lang)
    from bot.dialogue.language import detect_language

    return detect_language(tracker.latest_message.text or "" if tracker.latest_message else "")


def install() -> bool:
    """Install the fault handling into Rasa's RemoteAction and MessageProcessor (idempotent)."""
    global _installed
    if _installed:
        return True
    if not fence.enabled():  # Rasa as shipped (BJ_RASA_PATCHES=0, or another Rasa version)
        return False
    import aiohttp
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import BotUttered
    from rasa.shared.exceptions import RasaException

    class ActionServerFailed(RasaException):
        """The action server could not be reached, timed out or failed (never a rejection)."""

        def __init__(self, message: str = "", reason: str = UNAVAILABLE) -> None:
            super().__init__(
                message, reason
            )  # both in args: copies of the exception keep the reason
            self.message, self.reason = message, reason

        def __str__(self) -> str:
            return self.message

    original_run = RemoteAction.run

    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> Any:
        if self.action_endpoint is None:
            return await original_run(self, output_channel, nlg, tracker, domain)
        if BREAKER.is_open():
            raise ActionServerFailed(
                f"action server timed out recently; '{self.name()}' not called", TIMEOUT
            )
        try:
            return await asyncio.wait_for(
                original_run(self, output_channel, nlg, tracker, domain),
                timeout=config.action_server_timeout(),
            )
        except ActionExecutionRejection:
            raise
        except asyncio.TimeoutError as exc:
            BREAKER.trip(config.action_server_retry_after())
            raise ActionServerFailed(
                f"action server timed out running '{self.name()}'", TIMEOUT
            ) from exc
        except (RasaException, aiohttp.ClientError) as exc:
            raise ActionServerFailed(
                f"action server failed running '{self.name()}': {exc}"
            ) from exc

    class AnsweredRemoteAction(RemoteAction):
        """The turn's predicted custom action: on failure, the polite reply marked as a failed turn."""

        async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
            try:
                return await run(self, output_channel, nlg, tracker, domain)
            except ActionServerFailed as exc:
                logger.warning("turn answered politely: %s", exc)
                intent = (
                    (tracker.latest_message.intent or {}).get("name")
                    if tracker.latest_message
                    else None
                )
                reason = exc.reason
                return [
                    BotUttered(text, metadata={TURN_FAILED: reason})
                    for text in fault_texts(self.name(), intent, _language(tracker))
                ]

    original_run_action = MessageProcessor._run_action

    async def _run_action(
        self: MessageProcessor,
        action: Any,
        tracker: Any,
        output_channel: Any,
        nlg: Any,
        prediction: Any,
    ) -> bool:
        if type(action) is RemoteAction:
            action = AnsweredRemoteAction(action.name(), action.action_endpoint)
        return await original_run_action(self, action, tracker, output_channel, nlg, prediction)

    RemoteAction.run = run
    MessageProcessor._run_action = _run_action
    _installed = True
    return True


_installed = False
