"""Process a client's message once per conversation, however often the client re-sends it.

A client that got no answer (the Rasa server it reached died, a timeout, a dropped connection) cannot know
whether its message was processed. Rasa 3.6 keeps a turn all-or-nothing: `MessageProcessor.handle_message`
collects the user's message and every event of the turn in memory and saves them with one tracker-store
call at the end (`SQLTrackerStore.save`: one transaction), and the channel answers only after that. So when
the client re-sends the message with the same message id, the conversation's stored events say whether the
turn happened: if the id is there, the replies stored after it are sent again instead of processing the
message a second time; if not, nothing of the first attempt was kept and the message is processed normally.

The look-up and the processing run while holding the conversation's lock from Rasa's lock store (Redis when
there are several Rasa servers), the same lock `Agent.handle_message` takes, so two copies of one message
arriving at once, on one server or on two, are serialised and the second one finds the first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore

logger = logging.getLogger(__name__)


async def replay_stored_turn(tracker_store: TrackerStore, message: UserMessage) -> bool:
    """Send the replies stored for `message.message_id` to its output channel; False if it is not stored.

    Looks in the conversation's latest session (what `handle_message` loads anyway): a client re-sends
    within seconds, long before a session could expire. Replies are replayed through the same
    `OutputChannel.send_response` the first attempt used, so the client gets the same messages.
    """
    tracker = await tracker_store.retrieve(message.sender_id)
    if tracker is None:
        return False
    events = list(tracker.events)
    start = next(
        (
            i
            for i in range(len(events) - 1, -1, -1)
            if isinstance(events[i], UserUttered) and events[i].message_id == message.message_id
        ),
        None,
    )
    if start is None:
        return False
    for event in events[start + 1 :]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            await message.output_channel.send_response(message.sender_id, event.message())
    return True


async def handle_once(agent: Agent, message: UserMessage) -> bool:
    """Handle `message` unless its message id is already stored; True when the stored turn was replayed.

    Equivalent to `Agent.handle_message` (lock, then `MessageProcessor.handle_message`) with the look-up
    inside the lock. The agent must be ready (`agent.is_ready()`).
    """
    assert agent.processor is not None, "the agent has no model loaded"
    async with agent.lock_store.lock(message.sender_id):
        if await replay_stored_turn(agent.tracker_store, message):
            logger.info(
                "message %s of a conversation was already processed: sent its stored replies again",
                message.message_id,
            )
            return True
        await agent.processor.handle_message(message)
        return False
