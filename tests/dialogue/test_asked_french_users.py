"""French-speaking users as they write (helper ans13zv): a fact cut to fit keeps the part the question
points to; a topic or a place told before the question does not decide it; the steps of one procedure
asked in order; French elided articles are no visa letters (bot/dialogue/asked.py,
bot/knowledge/kinds/procedures.py)."""

from __future__ import annotations

from bot.dialogue import asked
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.knowledge.kinds import procedures


def text_of(turn: asked.Turn | None) -> str:
    assert turn is not None
    return "\n".join(r.text for r in turn.answer.replies)


def test_an_elided_french_article_is_no_visa_letter() -> None:
    assert "L" not in procedures.terms("L'exemption de visa de 30 jours")
    assert "J" not in procedures.terms("J'ai un visa Z")
    assert "Z" in procedures.terms("J'ai un visa Z")
    assert {"L", "F"} <= procedures.terms("visa L, F")
    assert "L" in procedures.terms("the L's extension")


def test_a_long_fact_cut_keeps_the_sentence_the_question_points_to() -> None:
    text = (
        "Who: Route one - a long sentence about salaries and taxes over many years in Beijing. "
        "Route two - married at least 5 years to a spouse, 9 months a year in China. "
        "Route three - professors with four years of service at a key institution."
    )
    cut = asked._focused_cut(text, 120, procedures.terms("conditions through my spouse, married"))
    assert cut.startswith("Who: ") and "9 months" in cut and len(cut) <= 120
    # Without words pointing anywhere, the start of the text.
    assert asked._focused_cut(text, 120, frozenset()).startswith("Who: Route one")


def test_a_list_item_the_question_points_to_stays_whole() -> None:
    lines = ["Title", *(f"{i}. " + "common words about papers and forms " * 3 for i in range(1, 4))]
    lines.append("4. A letter from the person visited and proof of the parental relationship.")
    out = asked.shorten_items(lines, 260, procedures.terms("documents for my parents"))
    assert out[-1] == lines[-1] and len("\n".join(out)) <= 260 + 10
    assert all(line.endswith("…") for line in out[1:4])


def test_who_of_a_category_asked_in_french_shows_that_category(use_kb: str) -> None:
    q = Question(
        "work_permit",
        "J'ai une licence et 3 ans d'expérience. Quelles sont les conditions pour un permis de "
        "travail de catégorie B ?",
        ("eligibility",),
    )
    out = text_of(asked.answer_question(q, Context(), lang="fr"))
    assert "Catégorie B" in out and "60 à 85" in out


def test_the_residence_permits_offices_asked_after_telling_a_move(use_kb: str) -> None:
    """ "emménager" made it accommodation registration; the sentence that asks names the residence
    permit and nothing of registration."""
    q = Question(
        "accommodation_registration",
        "On vient d'emménager à Tongzhou avec les enfants. Existe-t-il un bureau des titres de séjour "
        "à Tongzhou, et quelle est son adresse ?",
        ("address",),
        filters={"district": "tongzhou"},
    )
    out = text_of(asked.answer_question(q, Context(), lang="fr"))
    assert "Beiguan" in out


def test_a_hospital_told_before_the_question_does_not_answer_a_deadline(use_kb: str) -> None:
    q = Question(
        "healthcare",
        "Notre bébé est né à l'hôpital United Family il y a deux semaines. Dans quel délai faut-il "
        "le déclarer aux entrées-sorties ?",
        ("deadline",),
    )
    out = text_of(asked.answer_question(q, Context(), lang="fr"))
    assert "60" in out and "5927" not in out


def test_the_steps_of_one_procedure_asked_in_order_are_its_own(use_kb: str) -> None:
    q = Question(
        "work_permit",
        "Quelles sont les étapes pour obtenir un permis de travail en Chine, dans l'ordre ?",
        ("steps", "order"),
        filters={"service": "work_permit"},
    )
    assert "fwp.safea.gov.cn" in text_of(asked.answer_question(q, Context(), lang="fr"))
    # Several procedures named: every newcomer's steps in order.
    q = Question(
        "residence_permit",
        "Enregistrement, permis de travail, titre de séjour : quelles étapes dans quel ordre ?",
        ("steps", "order"),
    )
    out = text_of(asked.answer_question(q, Context(), lang="fr"))
    assert "24" in out and "30" in out
