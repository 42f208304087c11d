"""A long fact cut to the sentence the question points to (bot/dialogue/asked.py `_focused_cut`): the
abbreviation of a number ("Schalter Nr. 25", "No. 2") ends no sentence, so the number stays with it
(helper ans14d, answers_dev49 de_s3: "welcher Schalter?" after the lost passport lost the "25")."""

from __future__ import annotations

from bot.dialogue import asked
from bot.knowledge.kinds import procedures

HOURS = (
    "Mo–Sa 09:00–17:00. An Feiertagen geschlossen; die Zeiten an Brückentagen stehen auf der Seite der Behörde "
    "und können sich ändern. Bescheinigungen über verlorene Reisepässe (Schalter Nr. 25, 2. Stock) werden "
    "werktags ausgestellt."
)


def test_a_number_after_its_abbreviation_stays_in_the_sentence_kept() -> None:
    terms = procedures.terms("an welchem Schalter bekomme ich die Bescheinigung?")
    cut = asked._focused_cut(HOURS, 120, terms)
    assert "Nr. 25" in cut
    assert "09:…" not in cut  # a time is no label ("Pour qui : …") to keep before the sentence


def test_sentences_still_end_at_a_full_stop() -> None:
    parts = [p for p in asked._SENTENCE.split("It is at No. 2 Andingmen. Next one.") if p.strip()]
    assert parts == ["It is at No. 2 Andingmen.", "Next one."]
