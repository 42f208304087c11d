"""The conversation's context (bot/dialogue/context.py): stored in a slot, read back, narrowed."""

from __future__ import annotations

from bot.dialogue.context import Context, load


def shown() -> Context:
    return Context(
        intent="residence_permit",
        procedures=["residence_permit_work"],
        kind="service_points",
        ids=["chaoyang_hall", "haidian_hall", "city_hall"],
        filters={"district": "chaoyang", "permit_type": "work"},
        facet="fee",
    )


def test_the_slot_value_reads_back_as_the_same_context() -> None:
    ctx = shown()
    assert load(ctx.to_slot()) == ctx


def test_no_slot_or_a_malformed_one_is_an_empty_context() -> None:
    assert load(None).empty
    assert load("chaoyang").empty
    odd = load({"intent": "visa", "ids": "not a list", "kind": "spaceships", "filters": [1]})
    assert odd.intent == "visa" and odd.ids == [] and odd.kind is None and odd.filters == {}


def test_unknown_filters_are_not_kept() -> None:
    ctx = load({"intent": "visa", "filters": {"district": "haidian", "colour": "red"}})
    assert ctx.filters == {"district": "haidian"}


def test_an_ordinal_points_at_one_record_shown() -> None:
    ctx = shown()
    assert ctx.pick("2") == ["haidian_hall"]
    assert ctx.pick("1") == ["chaoyang_hall"]
    assert ctx.pick("last") == ["city_hall"]
    assert ctx.pick(None) == ["chaoyang_hall", "haidian_hall", "city_hall"]


def test_an_ordinal_past_the_list_points_at_nothing() -> None:
    assert shown().pick("4") == []
    assert shown().pick("0") == []
    assert shown().pick("second") == []


def test_a_new_district_replaces_the_old_one_and_keeps_the_other_filters() -> None:
    ctx = shown().with_filters({"district": "haidian", "weekday": "saturday", "facet": "x"})
    assert ctx.filters == {"district": "haidian", "permit_type": "work", "weekday": "saturday"}
    assert ctx.intent == "residence_permit" and ctx.ids == shown().ids


def test_the_entry_that_answered_reads_back_and_is_no_topic() -> None:
    ctx = Context(faq="mobile_payment_fees")
    assert load(ctx.to_slot()) == ctx
    assert ctx.empty
