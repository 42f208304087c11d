"""Moving conversations stored before issue 17 into their channel's namespace (`wechat:`, `socketio:`).

Since conversation ids are namespaced per channel (bot/channels/common.py), WeChat conversations are stored
under `wechat:<OpenID>` and widget conversations under `socketio:<session id>`; REST keeps the bare sender
id. Conversations stored earlier under the bare id are found by the channel of their user messages
(`input_channel` of the `user` events) and renamed in one transaction. Run it once, with the Rasa servers
stopped (`beijing-assistant migrate-conversation-ids`); running it again changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.conversations.store import events

# Kept in step with bot/channels/common.py (this package does not import the channels, nor Rasa).
NAMESPACED_CHANNELS = ("wechat", "socketio")
SEPARATOR = ":"


@dataclass
class Plan:
    """Which bare conversation ids move where; `mixed` lists ids used by more than one channel (moved to
    the channel of most of their user messages)."""

    moves: dict[str, str] = field(default_factory=dict)
    mixed: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # the new id is already in use: left alone


def plan(engine: Engine) -> Plan:
    channels: dict[str, Counter[str]] = {}
    query = select(events.c.sender_id, events.c.data).where(events.c.type_name == "user")
    with engine.connect() as conn:
        for sender, data in conn.execute(query):
            if SEPARATOR in sender:
                continue
            try:
                channel = (json.loads(data or "{}") or {}).get("input_channel")
            except ValueError:
                continue
            channels.setdefault(sender, Counter())[str(channel)] += 1
        existing = {
            s for (s,) in conn.execute(select(events.c.sender_id).distinct()) if SEPARATOR in s
        }
    result = Plan()
    for sender, counts in sorted(channels.items()):
        channel = counts.most_common(1)[0][0]
        if len(counts) > 1:
            result.mixed.append(sender)
        if channel in NAMESPACED_CHANNELS:
            target = f"{channel}{SEPARATOR}{sender}"
            if target in existing:
                result.taken.append(sender)
            else:
                result.moves[sender] = target
    return result


def migrate(engine: Engine, moves: dict[str, str]) -> int:
    """Rename the conversations in `moves` (all or none); returns how many events moved."""
    moved = 0
    with engine.begin() as conn:
        for old, new in moves.items():
            moved += conn.execute(
                update(events).where(events.c.sender_id == old).values(sender_id=new)
            ).rowcount
    return moved
