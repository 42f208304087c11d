"""Rasa's stored events, replayed into conversations and turns.

A *turn* is one user message and what the assistant did about it (the actions it ran) until the next
user message. A *conversation* is one Rasa session of one sender: a new one starts after
`session_expiration_time` minutes of silence (domain.yml), so a user who comes back next week has a new
conversation.

Slots are replayed too: Rasa stores a SlotSet event only when a value changes, so the language of a
message (the `language` slot after its turn) may have been set days before the report period; that is
why the events of a conversation are read from its beginning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select

from bot.conversations import store
from bot.conversations.store import Event
from bot.rasa_ext.faults import TURN_FAILED

# Housekeeping actions that are not the assistant's answer.
SILENT_ACTIONS = {
    "action_listen",
    "action_session_start",
    "action_extract_slots",
    "action_unlikely_intent",
}
TYPES = ("user", "action", "bot", "slot", "session_started", "restart", "reset_slots")


@dataclass
class Turn:
    """One user message and the assistant's response to it."""

    timestamp: float
    text: str
    channel: str
    intent: str | None
    confidence: float | None
    ranking: list[tuple[str, float]]
    entities: list[dict[str, Any]]
    actions: list[str] = field(default_factory=list)
    policies: list[str | None] = field(default_factory=list)
    language: str | None = None  # the `language` slot after the turn
    topic: str | None = None  # the `last_topic` slot after the turn
    faq_entry: str | None = None  # the questions-and-answers entry that answered this message
    failed: str | None = None  # why the assistant could not answer (action server down, timed out)

    @property
    def typed(self) -> bool:
        """False for button clicks (payloads such as /rate_answer{"rating":"up"})."""
        return not self.text.startswith("/")

    def entity(self, name: str) -> Any:
        return next((e.get("value") for e in self.entities if e.get("entity") == name), None)

    def best_guess(self) -> str | None:
        """The likeliest real intent (for nlu_fallback: the first ranked intent that is not the fallback)."""
        return next((name for name, _ in self.ranking if name != "nlu_fallback"), None)


@dataclass
class Conversation:
    """One session of one sender. `sender` is kept for grouping only: reports never show it."""

    sender: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return self.turns[0].channel if self.turns else "unknown"


def _user_turn(event: Event) -> Turn:
    data = event.data
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or []
        if isinstance(r, dict) and r.get("name")
    ]
    confidence = intent.get("confidence")
    return Turn(
        timestamp=event.timestamp,
        text=str(data.get("text") or ""),
        channel=str(data.get("input_channel") or "unknown"),
        intent=intent.get("name") or event.data.get("intent_name"),
        confidence=float(confidence) if confidence is not None else None,
        ranking=ranking,
        entities=[e for e in parse.get("entities") or [] if isinstance(e, dict)],
    )


def replay(events: Iterable[Event]) -> Iterator[Conversation]:
    """Conversations from events ordered by sender, then id (the order Rasa stored them in)."""
    sender: str | None = None
    slots: dict[str, Any] = {}
    conversation: Conversation | None = None
    turn: Turn | None = None

    def close_turn() -> None:
        nonlocal turn
        if turn is not None:
            turn.language = slots.get("language")
            turn.topic = slots.get("last_topic")
            turn = None

    for event in events:
        if event.sender_id != sender:
            close_turn()
            if conversation is not None and conversation.turns:
                yield conversation
            sender, slots = event.sender_id, {}
            conversation = Conversation(sender)
        assert conversation is not None
        kind = event.type_name
        if kind == "session_started":
            close_turn()
            if conversation.turns:
                yield conversation
            conversation = Conversation(event.sender_id)
        elif kind == "user":
            close_turn()
            turn = _user_turn(event)
            conversation.turns.append(turn)
        elif kind == "action":
            name = event.data.get("name")
            if turn is not None and name and name not in SILENT_ACTIONS:
                turn.actions.append(str(name))
                turn.policies.append(event.data.get("policy"))
        elif kind == "bot":
            reason = (event.data.get("metadata") or {}).get(TURN_FAILED)
            if turn is not None and reason:
                turn.failed = str(reason)
        elif kind == "slot":
            slots[str(event.data.get("name"))] = event.data.get("value")
            if turn is not None and event.data.get("name") == "faq_answered":
                turn.faq_entry = event.data.get("value")
        elif kind in ("restart", "reset_slots"):
            slots = {}
    close_turn()
    if conversation is not None and conversation.turns:
        yield conversation


def read_conversations(engine: Any, start: float, end: float) -> Iterator[Conversation]:
    """Every conversation of the senders who wrote between `start` and `end`, from its first event
    (older turns are needed for the language and the answer a rating is about); callers keep the turns
    inside the period."""
    e = store.events
    active = select(e.c.sender_id).where(
        and_(e.c.type_name == "user", e.c.timestamp >= start, e.c.timestamp < end)
    )
    statement = (
        select(e.c.id, e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.data)
        .where(e.c.sender_id.in_(active.distinct()), e.c.timestamp < end, e.c.type_name.in_(TYPES))
        .order_by(e.c.sender_id, e.c.id)
    )
    return replay(store.iterate(engine, statement))
