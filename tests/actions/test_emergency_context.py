"""The emergency action keeps the departments it named as the context, and answers a classifier-only
emergency that asks a phone of the hospital just shown (actions/actions.py ActionEmergency)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from actions import actions as acts
from bot.dialogue import context
from bot.dialogue.context import Context
from tests.actions.test_actions import ent, run, texts, tracker


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def _context(events: list[Any]) -> Context:
    slot = next(e for e in events if isinstance(e, dict) and e.get("name") == context.SLOT)
    value = slot["value"]
    return context.load(json.loads(value) if isinstance(value, str) else value)


def test_the_emergency_departments_named_are_the_context() -> None:
    messages, events = run(acts.ActionEmergency(), tracker("ambulance now!", "emergency"))
    assert messages[0]["text"].startswith("🚨") and "120" in messages[0]["text"]
    ctx = _context(events)
    assert ctx.kind == "hospitals" and "beijing_united_family_hospital" in ctx.ids


def test_a_classifier_emergency_asking_the_shown_hospitals_phone_gets_it() -> None:
    shown = Context(intent="healthcare", kind="hospitals", ids=["beijing_united_family_hospital"])
    trk = tracker(
        "what's their emergency number?",
        "emergency",
        [ent("facet", "phone")],
        **{context.SLOT: shown.to_slot()},
    )
    out = texts(run(acts.ActionEmergency(), trk)[0])
    assert "5927 7120" in out and "🚨" not in out
    # The safety rules' emergency stays the emergency numbers.
    acute = tracker(
        "he is not breathing, what's their emergency number?",
        "emergency",
        [ent("facet", "phone"), ent("emergency_type", "medical")],
        **{context.SLOT: shown.to_slot()},
    )
    assert texts(run(acts.ActionEmergency(), acute)[0]).startswith("🚨")
