"""Bounded conversations: a new session after SESSION_MAX_TURNS user messages, keeping the slots.

Rasa loads, replays and sends to the action server every event of the current session on every turn, and
the policies featurise all of it, so a turn cost grew with the length of the conversation without bound
(35 ms at 50 turns, over a second at 1,000; issue 17). A session also ends after
`session_expiration_time` minutes of silence (domain.yml); here it also ends after a number of user
messages. The new session starts the way Rasa starts any session (`action_session_start`, which carries the
slots over: language, district, permit type, ...), so the user notices nothing, while the tracker store
loads only the current session (bot/rasa_ext/tracker_store.py).

Rasa's `action_session_start` carries the slots over by copying every SlotSet event of the ending session,
including the copies it made at that session's start: each session began with all the slot events of every
earlier one, so the tracker still grew with the conversation (measured with bench/long_conversation.py:
CPU per turn 20 ms at turn 10, 118 ms at turn 1,000 even with sessions of 20 turns). Here it carries one
SlotSet per slot, the slot's last one (same values, same metadata), which is what the copies amounted to.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core import config
from bot.rasa_ext import fence

logger = logging.getLogger(__name__)


def turns_in_session(tracker: Any) -> int:
    """User messages since the tracker's latest session start."""
    from rasa.shared.core.events import SessionStarted, UserUttered

    turns = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered):
            turns += 1
    return turns


_installed = False


def install() -> bool:
    """Make `MessageProcessor._has_session_expired` also true after SESSION_MAX_TURNS user messages."""
    global _installed
    if _installed:
        return True
    if not fence.enabled():  # Rasa as shipped (BJ_RASA_PATCHES=0, or another Rasa version)
        return False
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._has_session_expired

    def _has_session_expired(self: MessageProcessor, tracker: Any) -> bool:
        if original(self, tracker):
            return True
        if not self.domain.session_config.are_sessions_enabled():
            return False
        if turns_in_session(tracker) >= config.session_max_turns():
            logger.debug("conversation %s: session full, starting a new one", tracker.sender_id)
            return True
        return False

    MessageProcessor._has_session_expired = _has_session_expired

    from rasa.core.actions.action import ActionSessionStart
    from rasa.shared.core.events import SlotSet

    def _slot_set_events_from_tracker(tracker: Any) -> list[SlotSet]:
        latest: dict[str, SlotSet] = {}
        for event in tracker.applied_events():
            if isinstance(event, SlotSet):
                latest.pop(event.key, None)  # keep the order in which the slots were last set
                latest[event.key] = event
        return [SlotSet(key=e.key, value=e.value, metadata=e.metadata) for e in latest.values()]

    ActionSessionStart._slot_set_events_from_tracker = staticmethod(_slot_set_events_from_tracker)
    _installed = True
    return True
