"""Writing Rasa-shaped events into a conversation store for tests of the reports and of purge.

The rows look like those Rasa's SQLTrackerStore writes (one row per event, the event as JSON in `data`);
the end-to-end tests check the same code against a store filled by the real assistant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine

from bot.conversations.store import events, metadata

DAY = 86400.0


@dataclass
class Store:
    """A conversation store; `t` is the clock of the next event (seconds since 1970)."""

    url: str
    t: float
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine(self.url, future=True)
        metadata.create_all(self.engine)

    def _add(
        self,
        sender: str,
        type_name: str,
        data: dict[str, Any],
        intent: str | None = None,
        action: str | None = None,
    ) -> None:
        self.t += 1.0
        data = {"event": type_name, "timestamp": self.t, **data}
        with self.engine.begin() as conn:
            conn.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=self.t,
                    intent_name=intent,
                    action_name=action,
                    data=json.dumps(data),
                )
            )

    def session(self, sender: str) -> None:
        self._add(sender, "action", {"name": "action_session_start"}, action="action_session_start")
        self._add(sender, "session_started", {})
        self._add(sender, "action", {"name": "action_listen"}, action="action_listen")

    def user(
        self,
        sender: str,
        text: str,
        intent: str,
        confidence: float = 0.95,
        channel: str = "rest",
        entities: dict[str, str] | None = None,
        ranking: list[tuple[str, float]] | None = None,
    ) -> None:
        ranking = ranking or [(intent, confidence)]
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        }
        self._add(
            sender,
            "user",
            {
                "text": text,
                "parse_data": parse,
                "input_channel": channel,
                "metadata": {"location": {"lat": 39.9, "lon": 116.4}},
            },
            intent=intent,
        )

    def slot(self, sender: str, name: str, value: Any) -> None:
        self._add(sender, "slot", {"name": name, "value": value})

    def turn(
        self,
        sender: str,
        text: str,
        intent: str,
        *actions: str,
        language: str | None = None,
        topic: str | None = None,
        **user: Any,
    ) -> None:
        """A whole turn: the message, the language slot when it changes, the actions, the topic slot."""
        self.user(sender, text, intent, **user)
        self._add(sender, "action", {"name": "action_extract_slots"}, action="action_extract_slots")
        if language:
            self.slot(sender, "language", language)
        for name in actions:
            self._add(
                sender,
                "action",
                {"name": name, "policy": "RulePolicy", "confidence": 1.0},
                action=name,
            )
            self._add(sender, "bot", {"text": f"reply of {name}", "data": {}})
            if topic:
                self.slot(sender, "last_topic", topic)
        self._add(sender, "action", {"name": "action_listen"}, action="action_listen")

    def dispose(self) -> None:
        self.engine.dispose()
