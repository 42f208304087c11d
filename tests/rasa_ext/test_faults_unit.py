"""Issue 17 pieces without servers: the failed-turn marker in the reports, the fault texts, the restart
back-off's bookkeeping, WeChat's memory export, the lock store's endpoint from REDIS_URL."""

from __future__ import annotations

from bot.channels.wechat.quota import SendQuota
from bot.channels.wechat.render import Option
from bot.channels.wechat.users import UserMemory
from bot.conversations.aggregate import _unanswered_reason
from bot.conversations.store import Event
from bot.conversations.turns import replay
from bot.core import hotlines
from bot.dialogue import i18n
from bot.rasa_ext.faults import TURN_FAILED, fault_texts
from bot.runtime.serve import redis_lock_store


def test_a_failed_turn_is_counted_as_failed_not_answered() -> None:
    events = [
        Event(
            1,
            "u",
            "user",
            1.0,
            {"text": "where is the hospital", "parse_data": {"intent": {"name": "healthcare"}}},
        ),
        Event(2, "u", "action", 2.0, {"name": "action_find_hospital"}),
        Event(
            3,
            "u",
            "bot",
            3.0,
            {"text": "sorry", "metadata": {TURN_FAILED: "action_server_unavailable"}},
        ),
        Event(4, "u", "user", 4.0, {"text": "thanks", "parse_data": {"intent": {"name": "thank"}}}),
        Event(5, "u", "bot", 5.0, {"text": "you are welcome", "metadata": {}}),
    ]
    (conversation,) = replay(events)
    failed, fine = conversation.turns
    assert failed.failed == "action_server_unavailable" and _unanswered_reason(failed) == "failed"
    assert fine.failed is None and _unanswered_reason(fine) is None


def test_fault_texts_emergency_numbers_first_in_the_users_language() -> None:
    numbers = fault_texts("action_emergency", "emergency", "zh")[0]
    assert numbers == i18n.text("emergency_fallback", "zh").format(**hotlines.NUMBERS)
    assert "120" in numbers and "110" in numbers
    assert fault_texts("action_find_school", "international_school", "fr") == [
        i18n.t("kb_unavailable", "fr")
    ]
    assert fault_texts("action_find_school", None, "xx") == [i18n.t("kb_unavailable", "en")]


def test_wechat_memory_and_window_survive_export_and_load() -> None:
    memory, quota = UserMemory(), SendQuota()
    memory.set_options("o1", [Option("Work", '/residence_permit{"permit_type":"work"}')])
    memory.set_location("o1", 39.9, 116.4)
    memory.set_language("o1", "fr")
    quota.grant("o1")
    quota.use("o1", 2)
    restored_memory, restored_quota = UserMemory(), SendQuota()
    restored_memory.load("o1", memory.export("o1"))
    restored_quota.load("o1", quota.export("o1"))
    assert restored_memory.options("o1") == memory.options("o1")
    assert restored_memory.location("o1") == (39.9, 116.4)
    assert restored_memory.language("o1") == "fr"
    assert restored_quota.remaining("o1") == 3
    restored_memory.load("o2", {"options": "garbage"})  # malformed: ignored, no exception
    assert restored_memory.options("o2") == []


def test_lock_store_endpoint_from_redis_url() -> None:
    assert redis_lock_store("redis://:pw@10.0.0.5:6380/3", "beijing") == {
        "type": "bot.rasa_ext.lock_store.ResilientRedisLockStore",
        "url": "10.0.0.5",
        "port": 6380,
        "db": 3,
        "password": "pw",
        "key_prefix": "beijing",
    }
