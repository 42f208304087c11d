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
    # (the newborn's words would let the entry on that subject answer first: faq_subject_said)
    monkeypatch.setattr(answers, "faq_subject_said", lambda text, **kw: None)
    baby = "Unser Baby ist geboren, bis wann müssen wir es anmelden?"
    asked.answer_question(Question("healthcare", baby, facets=("deadline",)), Context())
    asked.answer_question(Question("healthcare", "Adresse?", facets=("address",)), Context())
    asked.answer_question(Question("visa", "bis wann?", facets=("deadline",)), Context())
    assert seen[:3] == [True, False, False]


def _related(topic: str, related: list[str]) -> index.Match:
    return index.Match("e", 1.0, {"id": "e", "topic": topic, "related": related})


def test_an_entry_beside_a_procedure_the_words_only_come_near_answers(
    decisions: dict[str, match.Decision],
) -> None:
    # The 30-day visa-free entry lists the 240-hour transit, whose title shares "безвизовый".
    decisions["anywhere"] = match.Decision(_related("immigration", ["visa_free_transit_240h"]))
    text = "безвизовый режим для россиян до какой даты продлён?"
    assert answers.faq_beside_procedure(text, ["visa_free_transit_240h"]) == ("entry", "e")
    assert answers.faq_beside_procedure(text, ["port_visa"]) is None
    decisions["anywhere"] = match.Decision(None)
    assert answers.faq_beside_procedure(text, ["visa_free_transit_240h"]) is None


def test_the_entry_beside_never_replaces_a_fact_the_procedure_holds(
    use_kb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []

    def beside(text: str | None, ids: list[str], **kw: Any) -> None:
        seen.append(list(ids))

    monkeypatch.setattr(answers, "faq_beside_procedure", beside)
    # The transit holds no end date: the entries beside it are asked.
    q = Question("visa", "безвизовый въезд для россиян до какого числа?", facets=("deadline",))
    asked._entry_beside(q, "ru")
    assert seen and "visa_free_transit_240h" in seen[-1]
    # An L-visa extension's validity is the procedure's own fact: no entry is asked.
    seen.clear()
    q = Question("visa", "продлить визу L на сколько дней?", facets=("validity",))
    asked._entry_beside(q, "ru")
    assert seen == []
    # Two facts asked, one the transit lacks (the end date): the entries beside it are asked.
    q = Question(
        "visa", "безвизовый въезд для россиян до какого числа действует?", ("deadline", "validity")
    )
    asked._entry_beside(q, "ru")
    assert seen and "visa_free_transit_240h" in seen[-1]
    # The processing time is the permit's; what it lacks (the booking) is the halls': no entry on
    # booking online ("¿Cuánto tarda ... si pido cita online?", answers_dev37).
    seen.clear()
    work = {"permit_type": "work"}
    text = "¿Cuánto tarda el permiso de residencia de trabajo si pido cita online?"
    q = Question("residence_permit", text, ("processing_time", "booking"), None, work)
    asked._entry_beside(q, "es")
    assert seen == []
    # Booking alone is nothing the procedure holds: the entries beside it are still asked.
    text = "¿Cómo pido cita online para el permiso de residencia de trabajo?"
    asked._entry_beside(Question("residence_permit", text, ("booking",), None, work), "es")
    assert seen and "residence_permit_work" in seen[-1]


def test_the_entries_beside_a_procedure_compete_with_the_others_not_with_each_other(
    decisions: dict[str, match.Decision],
) -> None:
    def entry(entry_id: str, score: float, related: list[str]) -> index.Match:
        return index.Match(
            entry_id, score, {"id": entry_id, "topic": "immigration", "related": related}
        )

    transit = ["visa_free_transit_240h"]
    russia, thirty = entry("russia", 0.85, transit), entry("thirty", 0.79, transit)
    # No answer at the ordinary bar (the two lead each other by less than the margin).
    decisions["anywhere"] = match.Decision(None, [russia, thirty])
    assert answers.faq_beside_procedure("безвиз до какого числа?", transit) == ("entry", "russia")
    # An entry on something else as close: no answer.
    decisions["anywhere"] = match.Decision(None, [russia, entry("other", 0.80, ["port_visa"])])
    assert answers.faq_beside_procedure("безвиз до какого числа?", transit) is None
    # Below the threshold: no answer.
    decisions["anywhere"] = match.Decision(None, [entry("russia", 0.70, transit)])
    assert answers.faq_beside_procedure("безвиз до какого числа?", transit) is None


def test_a_follow_up_on_an_entry_keeps_it_on_a_near_tie(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "und wie viele muss ich richtig haben?" after the theory test's entry: its siblings score about
    as well on the follow-up's words alone, the entry answered last keeps the question; a sibling that
    fits clearly better still answers ("are there any fees?" after binding a card)."""

    def entry(entry_id: str) -> dict[str, Any]:
        return {"id": entry_id, "topic": "driving"}

    def closest(scores: dict[str, float]) -> list[index.Match]:
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [index.Match(i, s, entry(i)) for i, s in ranked]

    near = {"driving_licence_exchange_documents": 0.313, "driving_theory_test": 0.297}
    monkeypatch.setattr(match.index, "lookup", lambda *a, **kw: closest(near))
    found = match.follow_up_entry(
        "und wie viele muss ich richtig haben?", entry("driving_theory_test")
    )
    assert found is not None and found.entry_id == "driving_theory_test"
    clear = {"driving_licence_exchange_documents": 0.40, "driving_theory_test": 0.30}
    monkeypatch.setattr(match.index, "lookup", lambda *a, **kw: closest(clear))
    found = match.follow_up_entry("welche Unterlagen?", entry("driving_theory_test"))
    assert found is not None and found.entry_id == "driving_licence_exchange_documents"


def test_a_follow_up_goes_to_the_sibling_that_asks_its_facet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "뭘 가져가야 돼요?" (what do I bring?) after where to exchange a driving licence: the words alone
    score the exam exemptions a little higher; the documents' entry, whose own questions ask the
    documents, answers."""

    def entry(entry_id: str, questions: list[str]) -> dict[str, Any]:
        return {"id": entry_id, "topic": "driving", "questions": {"ko": questions}}

    exemptions = entry("driving_exam_exemptions", ["중국 면허로 바꿀 때 시험을 봐야 하나요?"])
    documents = entry("driving_licence_exchange_documents", ["면허 교환에 필요한 서류는?"])
    where = entry("driving_licence_where", ["면허 교환은 어디서 하나요?"])
    found_scores = [
        index.Match("driving_exam_exemptions", 0.34, exemptions),
        index.Match("driving_licence_exchange_documents", 0.30, documents),
        index.Match("driving_licence_where", 0.25, where),
    ]
    monkeypatch.setattr(match.index, "lookup", lambda *a, **kw: found_scores)
    found = match.follow_up_entry("뭘 가져가야 돼요?", where)
    assert found is not None and found.entry_id == "driving_licence_exchange_documents"


@pytest.mark.parametrize("follow_up", ["а сколько стоит?", "is it free?", "how much?"])
def test_a_follow_up_asking_what_the_answer_in_context_says_stays_on_it(
    monkeypatch: pytest.MonkeyPatch, follow_up: str
) -> None:
    """ "а сколько стоит?" after where to buy a SIM card, whose answer says there is no handling fee:
    that answer again, not the entry on how many cards a passport allows, whose questions ("сколько
    SIM-карт …") share the follow-up's "сколько" and score its few words a little higher; a bare "how
    much?" scores under the floor against every entry and still asks the answer in context."""
    where = {
        "id": "sim_card_where",
        "topic": "phone",
        "questions": {"en": ["Where can I buy a Chinese SIM card?"]},
        "answer": {
            "en": "Buy it at a service hall; there is no handling fee (the plan costs extra)."
        },
    }
    per_passport = {
        "id": "sim_cards_per_passport",
        "topic": "phone",
        "questions": {
            "ru": ["Сколько SIM-карт можно оформить на один паспорт?"],
            "en": ["How many SIM cards per passport?", "Is there a limit per passport?"],
            "de": ["Wie viele SIM-Karten pro Pass?"],
        },
        "answer": {"en": "Up to 5 SIM cards per valid passport."},
    }
    low = 0.15 if follow_up == "how much?" else 0.28
    scores = [
        index.Match("sim_cards_per_passport", low + 0.03, per_passport),
        index.Match("sim_card_where", low, where),
    ]
    monkeypatch.setattr(match.index, "lookup", lambda *a, **kw: scores)
    found = match.follow_up_entry(follow_up, where)
    assert found is not None and found.entry_id == "sim_card_where"
    # An answer that says nothing of the fee gains nothing: the sibling the words fit answers.
    silent = {**where, "answer": {"en": "Buy it at a service hall of China Mobile."}}
    scores[1] = index.Match("sim_card_where", low, silent)
    found = match.follow_up_entry(follow_up, silent)
    assert found is None or found.entry_id == "sim_cards_per_passport"


def _scored(entry_id: str, score: float, related: list[str]) -> index.Match:
    return index.Match(
        entry_id, score, {"id": entry_id, "topic": "immigration", "related": related}
    )


def test_an_entry_on_a_subject_beside_the_topic_answers_when_it_is_decisive(
    use_kb: str, decisions: dict[str, match.Decision]
) -> None:
    # The newborn's mailbox (written beside the stay permit) for a message read as accommodation
    # registration: far above the bar and far ahead of the next entry.
    mailbox = _scored("newborn_mail", 1.05, ["stay_permit"])
    decisions["anywhere"] = match.Decision(mailbox, [mailbox, _scored("newborn_days", 0.69, [])])
    text = "куда отправить документы на регистрацию новорождённого по почте?"
    topics = {"accommodation_registration"}
    assert answers.faq_decisive(text, topics, ("website",)) == ("entry", "newborn_mail")
    # Not decisive: below threshold plus margin, or too close to the next entry.
    low = _scored("newborn_mail", 0.80, ["stay_permit"])
    decisions["anywhere"] = match.Decision(low, [low, _scored("newborn_days", 0.50, [])])
    assert answers.faq_decisive(text, topics, ("website",)) is None
    decisions["anywhere"] = match.Decision(mailbox, [mailbox, _scored("newborn_days", 0.95, [])])
    assert answers.faq_decisive(text, topics, ("website",)) is None


def test_an_entry_beside_a_procedure_of_the_topic_that_holds_the_fact_never_answers_first(
    use_kb: str, decisions: dict[str, match.Decision]
) -> None:
    # The processing-time entry is written beside the work residence permit, which holds its own
    # processing time: a residence-permit question gets the procedure's fact.
    generic = _scored("processing", 0.95, ["visa_stay_extension", "residence_permit_work"])
    decisions["anywhere"] = match.Decision(generic, [generic, _scored("other", 0.55, [])])
    text = "how long does a work residence permit take?"
    assert answers.faq_decisive(text, {"residence_permit"}, ("processing_time",)) is None
    # Asked under another topic, the entry is beside nothing of it.
    assert answers.faq_decisive(text, {"work_permit"}, ("processing_time",)) == (
        "entry",
        "processing",
    )


def test_a_procedure_matched_only_by_the_entry_s_own_words_does_not_keep_the_topic(
    use_kb: str,
) -> None:
    """ "베이징에서 아기를 낳았는데 출생 후 며칠 안에 거류 등록을 해야 하나요?" matches accommodation
    registration strongly ("등록", "며칠"), but the newborn's registration entry asks with those words
    too and the message is phrased like its questions: the entry's 60 days answer, not the 24 hours."""
    text = "베이징에서 아기를 낳았는데 출생 후 며칠 안에 거류 등록을 해야 하나요?"
    assert asked._best_entry_terms(text)
    q = Question("accommodation_registration", text, facets=("deadline",))
    turn = asked._decisive_entry(q, Context(), "ko")
    assert turn is not None
    assert "60" in "\n".join(r.text for r in turn.answer.replies)


def test_a_message_asking_nothing_in_particular_gets_a_decisive_entry_before_the_topic_page(
    use_kb: str,
) -> None:
    """ "Mon enfant est né à Pékin, que faire ?" asks no facet and the NLU reads it as visas: the
    newborn's steps answer decisively, not the page on port visas."""
    text = "Mon enfant est né à Pékin, que faire ?"
    q = Question("visa", text)
    assert asked._decisive_entry(q, Context(), "fr") is None  # a facet question only, by default
    turn = asked.summary_turn(q, lang="fr")
    assert turn is not None
    assert turn.answer.replies[0].text.startswith("(1)")
    assert "60" in turn.answer.replies[0].text
    # An entry beside the topic's namesake procedure (registering online, beside accommodation
    # registration) leaves a message asking nothing in particular to that topic's page.
    text = "Ich wohne in einer Mietwohnung. Muss ich mich irgendwo anmelden?"
    q = Question("accommodation_registration", text)
    assert asked._decisive_entry(q, Context(), "de", summary=True) is None


def test_a_message_not_phrased_like_the_closest_entry_keeps_every_procedure_word(
    use_kb: str,
) -> None:
    text = (
        "Wie lange darf ich mit einer Aufenthaltserlaubnis zum Arbeiten höchstens in China bleiben?"
    )
    assert asked._best_entry_terms(text) == frozenset()


def _asking(questions: list[str]) -> index.Match:
    return index.Match(
        "e", 1.0, {"id": "e", "topic": "immigration", "questions": {"en": questions}}
    )


def test_an_entry_about_other_facts_than_asked_never_answers_instead_of_the_topic(
    decisions: dict[str, match.Decision],
) -> None:
    # An entry whose own questions ask the processing time does not answer "where" or "how much",
    # however close the words ("비자 연장은 어디서 해요?" came back as "within seven working days").
    took = _asking(["How long does a visa extension take?", "how many days does it take?"])
    decisions["in_topic"] = match.Decision(took)
    assert answers.faq_instead("where do I extend my visa?") is None
    assert answers.faq_instead("how much is a visa extension?") is None
    assert answers.faq_instead("how long does a visa extension take?") == ("entry", "e")
    # A message asking nothing in particular, or an entry whose questions ask nothing in
    # particular, is matched as before.
    assert answers.faq_instead("visa extension") == ("entry", "e")
    decisions["in_topic"] = match.Decision(_asking(["Do I need a visa?", "visa-free entry?"]))
    assert answers.faq_instead("where do I extend my visa?") == ("entry", "e")


@pytest.mark.parametrize(
    ("intent", "lang", "text", "facets", "filters", "procedure"),
    [
        (
            "find_service_point",
            "ko",
            "비자 연장은 어디서 해요?",
            ("address",),
            {"service": "visa_extension"},
            None,
        ),
        ("visa", "ja", "ビザの延長はいくらかかりますか？", ("fee",), {}, "visa_stay_extension"),
    ],
)
def test_a_visa_extensions_place_or_fee_is_not_the_processing_time_entry(
    use_kb: str,
    intent: str,
    lang: str,
    text: str,
    facets: tuple[str, ...],
    filters: dict[str, str],
    procedure: str | None,
) -> None:
    turn = asked.answer_question(
        Question(intent, text, facets, filters=filters), Context(), lang=lang
    )
    assert turn is not None and turn.context.faq is None
    if procedure:
        assert turn.context.procedures[:1] == [procedure]
    else:
        assert turn.context.kind == "service_points" and turn.context.ids


@pytest.mark.parametrize(
    ("entry_id", "text", "filters", "other"),
    [
        # a fee is not answered by the entry on how long an extension takes
        (
            "exit_entry_processing_time",
            "Combien coûte une prolongation de visa à Pékin ?",
            {},
            True,
        ),
        ("exit_entry_processing_time", "كم رسوم تمديد التأشيرة السياحية في بكين؟", {}, True),
        (
            "exit_entry_processing_time",
            "How long does a visa extension take in Beijing?",
            {},
            False,
        ),
        ("port_visa_airports", "空港でのアライバルビザ（口岸ビザ）の手数料はいくら？", {}, True),
        ("port_visa_airports", "北京の空港でアライバルビザは取れますか？", {}, False),
        # the main hall's phone is not the Shunyi hall's, nor the Chaoyang hall's
        (
            "exit_entry_main_hall_phone",
            "¿Cuál es el teléfono de la oficina de extranjería de Shunyi?",
            {"district": "shunyi"},
            True,
        ),
        ("exit_entry_main_hall_phone", "Chaoyang exit-entry hall phone number?", {}, True),
        ("exit_entry_main_hall_phone", "what's the phone number of the Andingmen hall?", {}, False),
        ("exit_entry_main_hall_phone", "phone number of the exit-entry hall?", {}, False),
    ],
)
def test_an_entry_on_another_fact_or_another_place_does_not_answer(
    use_kb: str, entry_id: str, text: str, filters: dict[str, str], other: bool
) -> None:
    """Issue 13, honest gaps: an entry the words come near but that answers another question (another
    fact, another place's fact) leaves the message to the topic's answer, which says what it lacks."""
    from bot.knowledge.kinds import faq

    entry = faq.faq_entry(entry_id)
    assert entry is not None
    assert answers.answers_other_question(entry, text, filters) is other


def test_a_how_long_question_is_not_kept_from_an_entry_about_a_deadline() -> None:
    # "en cuanto tiempo?" reads as a processing time; the entry's questions ask a deadline ("within how
    # many days"): "how long" asks either, so the entry may answer.
    entry = {
        "id": "si",
        "questions": {"en": ["within how many days must my employer register me?"]},
    }
    assert match.question_facets(entry).get("deadline")
    assert not match.asks_another_facet(entry, "how long does it take?")
    assert match.asks_another_facet(entry, "where do I register?")


def test_a_district_told_does_not_keep_an_entry_beside_a_procedure_from_answering(
    use_kb: str,
) -> None:
    # The newborn's deadline is written beside the stay permit and the main hall: where the baby was born
    # (Chaoyang) is told, not asked; the main hall's phone entry (beside no procedure) stays a place's.
    newborn = {"id": "n", "related": ["stay_permit", "psb_exit_entry_main_hall"]}
    text = "Unser Baby ist in Chaoyang geboren, bis wann müssen wir es anmelden?"
    assert not answers.answers_other_question(newborn, text, {"district": "chaoyang"})
    phone = {"id": "p", "related": ["psb_exit_entry_main_hall", "immigration_12367"]}
    text = "what is the phone number of the exit-entry office in Shunyi?"
    assert answers.answers_other_question(phone, text, {"district": "shunyi"})


@pytest.mark.parametrize(
    ("entry_id", "text", "other"),
    [
        # "permis" / "permiso" is a work permit here, not a driving licence
        ("driving_licence_exchange_documents", "Quels documents pour le permis de travail ?", True),
        (
            "driving_licence_exchange_documents",
            "¿Qué documentos necesito para el permiso de trabajo?",
            True,
        ),
        (
            "driving_licence_exchange_documents",
            "Quels documents pour échanger mon permis de conduire ?",
            False,
        ),
        # an entry whose own questions name the service still answers
        (
            "bank_account_passport_only",
            "Can I open a bank account without a residence permit?",
            False,
        ),
        (
            "social_insurance_deadline",
            "Must my employer pay social insurance once I have the work permit?",
            False,
        ),
        # a service told beside the question leaves the entry its subject ("tax residence")
        (
            "tax_residency_183_days",
            "Do I have to pay tax in China if I have a residence permit?",
            False,
        ),
        ("tax_residency_183_days", "هل يجب أن أدفع الضرائب في الصين إذا كانت لدي إقامة؟", False),
        ("tax_residency_183_days", "Dois-je payer des impôts si j'ai un titre de séjour ?", False),
        # an entry on an immigration subject is the topic's neighbour: left to the other checks
        ("exit_entry_processing_time", "How long does a work permit take?", False),
    ],
)
def test_an_entry_whose_questions_never_name_the_service_asked_does_not_answer(
    use_kb: str, entry_id: str, text: str, other: bool
) -> None:
    from bot.knowledge.kinds import faq

    entry = faq.faq_entry(entry_id)
    assert entry is not None
    assert match.names_other_service(entry, text) is other


@pytest.mark.parametrize(
    ("text", "lang", "said"),
    [
        ("무비자로 중국에 며칠까지 있을 수 있어요?", "ko", "30"),
        ("한국 사람인데 비자 없이 중국에 며칠 있을 수 있어요?", "ko", "비즈니스"),
        ("¿Hasta cuándo dura la exención de visado de 30 días?", "es", "2026"),
        ("Bis wann gilt die 30-tägige Visabefreiung?", "de", "2026"),
        ("30天免签政策到什么时候结束？", "zh", "2026"),
    ],
)
def test_a_stay_without_a_visa_and_no_transit_is_the_visa_free_entrys(
    use_kb: str, text: str, lang: str, said: str
) -> None:
    """The 240-hour transit, the visa extension and the processing time share the words of a question on
    the 30-day visa-free entry ("무비자", "how many days", "until when"); the entry answers it, not the
    country list (no length in it) when a length or an end date is asked."""
    from bot.nlu import facets as nlu_facets

    asks = tuple(dict.fromkeys(f.value for f in nlu_facets.analyse(text).facets))
    turn = asked._entry_beside(Question("visa", text, facets=asks), lang)
    assert turn is not None
    assert said in "\n".join(r.text for r in turn.answer.replies)


def test_a_transit_named_keeps_the_transit(use_kb: str) -> None:
    from bot.dialogue import word_lists

    assert word_lists.asks_visa_free_entry("무비자로 며칠 있을 수 있어요?")
    assert not word_lists.asks_visa_free_entry("240 hour visa free transit, how does it work?")
    assert not word_lists.asks_visa_free_entry("무비자 경유는 몇 시간까지 되나요?")
    assert not word_lists.asks_visa_free_entry("How do I extend my visa?")


def _entry(entry_id: str, topic: str, score: float = 0.7, answer: str = "") -> index.Match:
    return index.Match(entry_id, score, {"id": entry_id, "topic": topic, "answer": {"en": answer}})


@pytest.mark.parametrize(
    ("text", "entry_id", "topic"),
    [
        ("Можно ли ездить за рулём в Пекине с российскими правами?", "driving_x", "driving"),
        ("هل أستطيع قيادة السيارة في بكين برخصتي المصرية؟", "driving_x", "driving"),
        ("아기가 베이징에서 태어났어요. 이제 뭘 해야 하나요?", "newborn_steps", "immigration"),
        (
            "Unser Sohn ist in Peking zur Welt gekommen – was müssen wir jetzt erledigen?",
            "newborn_x",
            "health",
        ),
    ],
)
def test_an_entry_on_the_subject_the_words_say_answers_from_the_beside_floor(
    decisions: dict[str, match.Decision], text: str, entry_id: str, topic: str
) -> None:
    """Driving or a baby born, said in the message's own words: the closest entry answers when it is on
    that subject, though the NLU read another topic (the R visa, hospitals) and no bar is reached."""
    decisions["anywhere"] = match.Decision(None, [_entry(entry_id, topic, 0.65)])
    assert answers.faq_subject_said(text) == ("entry", entry_id)


def test_an_entry_on_another_subject_or_below_the_floor_does_not_answer(
    decisions: dict[str, match.Decision],
) -> None:
    text = "Можно ли ездить за рулём в Пекине с российскими правами?"
    decisions["anywhere"] = match.Decision(None, [_entry("r_visa_x", "immigration", 0.9)])
    assert answers.faq_subject_said(text) is None
    decisions["anywhere"] = match.Decision(None, [_entry("driving_x", "driving", 0.5)])
    assert answers.faq_subject_said(text) is None
    # no subject said, no country named: nothing is looked up
    assert answers.faq_subject_said("Where is the exit-entry hall?") is None


def test_a_country_named_gets_the_entry_about_it(
    decisions: dict[str, match.Decision], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "我是俄罗斯人，来北京玩需要办签证吗？" read as the port visa: the entry about Russia answers (its own
    end date), not the topic; an entry listing many countries does not count as about one."""
    russia = _entry(
        "visa_free_russia_brunei", "immigration", 0.82, "Russia and Brunei end on 14 Sep 2026"
    )
    decisions["anywhere"] = match.Decision(russia, [russia])
    monkeypatch.setattr(match, "about_countries", lambda entry: entry["id"] == russia.entry_id)
    assert answers.faq_subject_said("我是俄罗斯人，来北京玩需要办签证吗？") == (
        "entry",
        russia.entry_id,
    )
    listing = _entry(
        "visa_free_country_list", "immigration", 0.82, "France, Russia, Germany, Italy"
    )
    decisions["anywhere"] = match.Decision(listing, [listing])
    assert answers.faq_subject_said("我是俄罗斯人，来北京玩需要办签证吗？") is None


def test_the_subject_said_answers_before_the_topic_the_nlu_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def said(text: str | None, **kw: Any) -> Any:
        seen.append(str(text))
        return ("entry", "driving_x")

    monkeypatch.setattr(answers, "faq_subject_said", said)
    text = "Можно ли ездить за рулём в Пекине с российскими правами?"
    turn = asked.answer_question(Question("talent_services", text), Context())
    assert turn is not None and turn.answer == ("entry", "driving_x") and seen == [text]
    # not when the message names a topic's service ("how do I extend my visa?" from a Russian)
    seen.clear()
    asked.answer_question(Question("visa", "I'm Russian, how do I extend my visa?"), Context())
    assert seen == []
