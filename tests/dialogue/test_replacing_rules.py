"""The rules that answer with something other than the topic's ordinary answer, kept narrow
(bench/data/answers_dev37.yml): an entry beside a procedure, a school named by a curriculum, another
procedure named in the message, a fact asked as a wish for a person."""

from __future__ import annotations

import pytest

from bot.dialogue import asked
from bot.dialogue.asked import Question
from bot.dialogue.context import Context


def _text(turn: asked.Turn | None) -> str:
    assert turn is not None
    return "\n".join(r.text for r in turn.answer.replies)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Какие документы нужны на рабочий ВНЖ, если медосмотр я уже проходил у себя на родине?",
            "ru",
        ),
        (
            "Quels documents pour le permis de séjour travail, la visite médicale faite en France suffit ?",
            "fr",
        ),
        (
            "¿Qué documentos necesito para el permiso de residencia de trabajo si ya tengo el chequeo médico?",
            "es",
        ),
    ],
)
def test_a_permit_named_before_the_medical_check_is_what_is_asked(
    use_kb: str, text: str, lang: str
) -> None:
    q = Question("residence_permit", text, ("documents",), None, {"permit_type": "work"})
    assert asked.ranked_procedures("residence_permit", q)[0]["id"] == "residence_permit_work"
    turn = asked.answer_question(q, Context(), lang=lang)
    assert turn is not None and turn.context.procedures[0] == "residence_permit_work"


@pytest.mark.parametrize(
    "text",
    [
        "Сколько стоит медосмотр для рабочего ВНЖ?",
        "how much is the medical check for a work residence permit?",
        "工作居留许可的体检多少钱？",
    ],
)
def test_the_medical_check_named_first_is_still_what_is_asked(use_kb: str, text: str) -> None:
    q = Question("residence_permit", text, ("fee",), None, {"permit_type": "work"})
    first = asked.ranked_procedures("residence_permit", q)[0]["id"]
    assert first == "medical_examination_residence_permit"


def test_a_school_is_named_only_by_its_own_curriculum(use_kb: str) -> None:
    # French is the Lycée's own (first) curriculum: the one school named.
    found = asked.school_by_curriculum("quelle est l'adresse du lycée français ?")
    assert found is not None and found["id"] == "lycee_francais_pekin"
    # A bilingual school that also has an American track is no "American school": the list answers.
    assert asked.school_by_curriculum("Американская школа в Пекине — где находится?") is None
    assert asked.school_by_curriculum("¿qué escuela tiene A-levels?") is None


def test_a_wish_to_speak_with_someone_about_a_fact_gets_the_fact(use_kb: str) -> None:
    # "sprechen" read as the languages asked: the wish, not a fact.
    text = "Ich möchte mit jemandem sprechen: wie viel kostet die Aufenthaltserlaubnis?"
    q = Question("human_handoff", text, ("languages", "fee"))
    assert "400" in _text(asked.handoff_fact_turn(q, lang="de"))
    # Where a procedure is done: its places.
    text = "Хочу поговорить с человеком: где пройти медосмотр для ВНЖ?"
    q = Question("human_handoff", text, ("address",))
    assert "Dezheng" in _text(asked.handoff_fact_turn(q, lang="ru"))
    # Only a wish: the handoff.
    assert asked.handoff_fact_turn(Question("human_handoff", "Quiero hablar con un humano")) is None


def test_an_entry_fitting_what_the_writer_tells_never_replaces_the_named_permit_s_fact(
    use_kb: str,
) -> None:
    # The social-insurance entry fits "работодатель платит соцстрах"; the fee asked is the permit's.
    text = "Сколько стоит рабочий ВНЖ, если работодатель платит соцстрах?"
    q = Question("residence_permit", text, ("fee",), None, {"permit_type": "work"})
    assert asked._decisive_entry(q, Context(), "ru") is None
    turn = asked.answer_question(q, Context(), lang="ru")
    assert turn is not None and turn.context.procedures[0] == "residence_permit_work"


@pytest.mark.parametrize(
    ("text", "lang", "intent", "facets", "filters", "entry", "procedure"),
    [
        (
            "¿Y cuánto cuesta el permiso de residencia de trabajo?",
            "es",
            "residence_permit",
            ("fee",),
            {"permit_type": "work"},
            "mobile_payment_fees",
            "residence_permit_work",
        ),
        (
            "А какие документы нужны для регистрации?",
            "ru",
            "accommodation_registration",
            ("documents",),
            {},
            "accommodation_late_fine",
            "accommodation_registration",
        ),
    ],
)
def test_a_new_question_naming_a_topic_s_service_is_no_follow_up_on_an_entry(
    use_kb: str,
    text: str,
    lang: str,
    intent: str,
    facets: tuple[str, ...],
    filters: dict[str, str],
    entry: str,
    procedure: str,
) -> None:
    q = Question(intent, text, facets, None, filters)
    turn = asked.answer_question(q, Context(faq=entry), lang=lang)
    assert turn is not None and turn.context.procedures[:1] == [procedure]


def test_a_family_member_told_in_an_earlier_sentence_names_no_permit_type(use_kb: str) -> None:
    # "Kindern" is a family permit's word; told in the sentence before, it does not make the medical
    # examination named in the question a residence permit's subordinate clause.
    text = (
        "Hallo, wir sind gerade mit zwei Kindern nach Shunyi gezogen, mein Mann arbeitet bei einem "
        "Autohersteller. Wie viel kostet die vollstaendige Gesundheitsuntersuchung fuer die "
        "Aufenthaltserlaubnis?"
    )
    q = Question("residence_permit", text, ("fee",), None, {"permit_type": "family"})
    turn = asked.answer_question(q, Context(), lang="de")
    assert turn is not None and turn.context.procedures[0] == "medical_examination_residence_permit"
    assert "650" in _text(turn)
