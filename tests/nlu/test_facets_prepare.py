"""`facets.prepare` builds every index `analyse` uses, so that no message pays for it (the action server
calls it at start; its threads would otherwise each build them at once in the first turns)."""

from __future__ import annotations

from bot.nlu import facets

CACHED = (
    facets.lexicon,
    facets._gapped,
    facets._spelling,
    facets._word_languages,
    facets._rule_forms,
    facets._real_words,
)


def test_prepare_builds_every_index_and_analyse_then_builds_none() -> None:
    for cached in CACHED:
        cached.cache_clear()
    facets.prepare()
    built = {cached.__name__: cached.cache_info().misses for cached in CACHED}
    assert all(misses == 1 for misses in built.values()), built
    # A message with a misspelling (the respelling indexes) and Arabic "and" (the rule forms).
    facets.analyse("how mcuh does the adress cost")
    facets.analyse("والسبت؟")
    assert {cached.__name__: cached.cache_info().misses for cached in CACHED} == built
