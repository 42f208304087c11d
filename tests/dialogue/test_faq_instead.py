"""When an entry answers a message the NLU placed in a topic (bot/dialogue/answers.faq_instead)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue import answers, asked
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.faq import index, match


def _match(topic: str) -> index.Match:
    return index.Match("e", 1.0, {"id": "e", "topic": topic})


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> dict[str, match.Decision]:
    """What each of match's deciders returns (none answers unless a test says so)."""
    found = {name: match.Decision(None) for name in ("in_topic", "anywhere")}
    monkeypatch.setattr(match, "decide_in_topic", lambda text, url=None: found["in_topic"])
    monkeypatch.setattr(match, "decide", lambda text, url=None, **kw: found["anywhere"])
    monkeypatch.setattr(
        answers, "_faq_answer_safe", lambda entry, lang="en": ("entry", entry["id"])
    )
    return found


def test_beyond_the_places_an_entry_answers_at_the_usual_bar(
    decisions: dict[str, match.Decision],
) -> None:
    decisions["anywhere"] = match.Decision(_match("immigration"))
    text = "Unser Baby ist geboren, bis wann müssen wir es anmelden?"
    assert answers.faq_instead(text) is None
    assert answers.faq_instead(text, beyond=True) == ("entry", "e")


def test_a_fact_hospitals_never_hold_asks_beyond_the_places(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    def instead(text: str | None, **kw: Any) -> None:
        seen.append(kw.get("beyond"))

    monkeypatch.setattr(answers, "faq_instead", instead)
    baby = "Unser Baby ist geboren, bis wann müssen wir es anmelden?"
    asked.answer_question(Question("healthcare", baby, facets=("deadline",)), Context())
    asked.answer_question(Question("healthcare", "Adresse?", facets=("address",)), Context())
    asked.answer_question(Question("visa", "bis wann?", facets=("deadline",)), Context())
    assert seen[:3] == [True, False, False]
