"""The places of a procedure asked by name, the newcomers' steps asked with a procedure of their topic,
follow-ups after hospitals, and the service a question is about (bot/dialogue/asked.py,
bot/knowledge/kinds/service_points.py), on the real knowledge base. Facts checked are copied from
knowledge/*.yml."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import asked
from bot.dialogue.answers import Answer
from bot.dialogue.asked import Question
from bot.dialogue.context import Context
from bot.knowledge.kinds import service_points

# A Wednesday morning in Beijing.
NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _kb(use_kb: str) -> None:
    """Every test reads the session knowledge base."""


def all_text(answer: Answer) -> str:
    return "\n".join(r.text for r in answer.replies)


def test_booking_a_procedure_named_under_healthcare_is_the_booking_of_its_place() -> None:
    # knowledge/service_points.yml beijing_ithcc: "Book in advance via ... beijingithc.org.cn/yuyue".
    q = Question(
        "healthcare",
        "how do I make an appointment for the residence permit medical check",
        facets=("steps", "booking"),
    )
    assert q.facets == ("booking",)  # "how do I book" asks how to book, not the steps
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None
    assert "beijingithc.org.cn/yuyue" in all_text(turn.answer)
    assert turn.context.ids == ["beijing_ithcc"]


def test_a_place_intents_own_places_stay_when_its_words_barely_match_a_procedure() -> None:
    # "hours" is a title word of the accommodation registration ("within 24 hours"): not named.
    q = Question(
        "opening_hours",
        "hours of the exit entry hall in tongzhou",
        facets=("hours",),
        filters={"district": "tongzhou"},
    )
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None and "17:00" in all_text(turn.answer)
    assert "tongzhou_exit_entry_hall" in turn.context.ids


def test_where_the_residence_permits_medical_examination_is_done_is_its_centre() -> None:
    q = Question(
        "residence_permit",
        "居留许可的体检在哪里做",
        facets=("address",),
        filters={"service": "medical_examination"},
    )
    turn = asked.answer_question(q, Context(), lang="zh", now=NOW, faq_first=False)
    assert turn is not None and "德政路10号" in all_text(turn.answer)


def test_the_narrowest_need_is_the_one_asked_when_offices_of_different_kinds_do_them() -> None:
    assert (
        service_points.narrowest_service(["residence_permit", "medical_examination"])
        == "medical_examination"
    )
    # An extension of a residence permit: both at an exit-entry hall, the first named.
    assert (
        service_points.narrowest_service(["residence_permit", "visa_extension"])
        == "residence_permit"
    )
    assert service_points.narrowest_service([]) is None


def test_what_first_matched_to_the_joint_application_is_still_the_newcomers_steps() -> None:
    """ "permiso de trabajo y de residencia" matches the two-permit joint application's title, a
    procedure of a topic in the newcomers' steps: the steps in order with their deadlines."""
    q = Question(
        "work_permit",
        "acabo de llegar para trabajar: registro, permiso de trabajo y de residencia, "
        "¿qué hago primero y qué plazos hay?",
        facets=("order", "deadline"),
    )
    turn = asked.answer_question(q, Context(), lang="es", faq_first=False)
    assert turn is not None and turn.context.facet == "order"
    text = all_text(turn.answer)
    assert "24" in text and "30" in text


def test_the_exact_service_procedure_comes_before_the_services_group() -> None:
    q = Question(
        "find_service_point",
        "which documents?",
        facets=("documents",),
        filters={"service": "visa_extension"},
    )
    proc = asked.service_procedure(q, "en")
    assert proc is not None and proc["id"] == "visa_stay_extension"


def _hospital_context() -> Context:
    q = Question("healthcare", "phone number of united family hospital", facets=("phone",))
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None and turn.context.kind == "hospitals"
    return turn.context


def test_an_emergency_number_asked_after_a_hospital_is_that_hospitals_phone() -> None:
    ctx = _hospital_context()
    q = Question("emergency", "what's their emergency number?", facets=("phone",))
    assert asked.asks_of_hospitals_shown(q, ctx)
    assert "5927 7120" in all_text(asked.follow_up(q, ctx, now=NOW).answer)
    # Not without hospitals shown, nor for a question that is no phone, address or hours.
    assert not asked.asks_of_hospitals_shown(q, Context())
    assert not asked.asks_of_hospitals_shown(replace_facets(q, ("fee",)), ctx)


def replace_facets(q: Question, facets: tuple[str, ...]) -> Question:
    return Question(q.intent, q.text, facets=facets)


def test_where_is_it_after_a_hospital_is_its_address_not_every_office() -> None:
    ctx = _hospital_context()
    q = Question("find_service_point", "地址在哪", facets=("address",))
    turn = asked.answer_question(q, ctx, lang="zh", now=NOW, faq_first=False)
    assert turn is not None and "将台路2号" in all_text(turn.answer)


def test_a_gap_every_place_shown_shares_is_said_once() -> None:
    """Tried as a user: the opening hours asked of the E-Town and Fengtai halls (neither holds any)
    said "I don't have that in our sources: opening hours" under each."""
    gap = asked.unknown_line("service_points", None, ["hours"], "en")
    blocks = [f"📍 A\n{gap}\nSource: a", f"📍 B\n{gap}\nSource: b\nNot yet confirmed by our staff."]
    once = asked.gaps_once(blocks, "en")
    assert "\n\n".join(once).count(gap) == 1 and once[-1].endswith(gap)
    # Not when one place holds the fact (its block has no gap line), nor for one place.
    assert asked.gaps_once([blocks[0], "📍 C\nOpen 09:00-17:00\nSource: c"], "en")[0] == blocks[0]
    assert asked.gaps_once(blocks[:1], "en") == blocks[:1]


@pytest.mark.parametrize("lang", ["en", "ru", "ar", "es"])
def test_the_offer_of_a_person_is_short_and_keeps_the_numbers(lang: str) -> None:
    from bot.dialogue import answers

    answer = answers.handoff_answer(["psb_exit_entry_main_hall"], "residence_permit", lang=lang)
    text = all_text(answer)
    assert text.index("12367") < text.index("12345") and "8402 0101" in text
    assert len(text) < 760  # issue 13 §7 (the note on a translation follows)
    assert answer.replies[0].card  # the whole descriptions are on the card


def test_a_fact_of_the_procedure_the_centre_shown_offers_is_asked_whatever_topic_the_nlu_read() -> (
    None
):
    """ "كم تكلفة التحقق من فحص أجريته في بلدي؟" (the verification's fee) after the health-check centre,
    read as a visa question: the medical examination's fee (knowledge/procedures.yml: CNY 60)."""
    where = Question(
        "find_service_point",
        "where do I get the medical exam for my residence permit?",
        facets=("address",),
        filters={"service": "medical_examination"},
    )
    shown = asked.answer_question(where, Context(), now=NOW, faq_first=False)
    assert shown is not None and shown.context.ids == ["beijing_ithcc"]
    q = Question("visa", "كم تكلفة التحقق من فحص أجريته في بلدي؟", facets=("fee",))
    turn = asked.answer_question(q, shown.context, lang="ar", now=NOW, faq_first=False)
    assert turn is not None and "60" in all_text(turn.answer)
    assert turn.context.procedures == ["medical_examination_residence_permit"]
    # Without that context the NLU's topic stands.
    assert not asked._context_procedure_matched(q, Context(), "ar")


def test_booking_the_residence_permits_medical_examination_is_not_a_hospital_entry() -> None:
    q = Question(
        "residence_permit",
        "كيف أحجز موعداً للفحص الطبي الخاص بالإقامة؟",
        facets=("steps", "booking"),
    )
    assert asked._names_a_procedure(q)
    turn = asked.answer_question(q, Context(), lang="ar", now=NOW, faq_first=True)
    assert turn is not None and "beijingithc.org.cn/yuyue" in all_text(turn.answer)
    # The topic's namesake procedure may still get an entry.
    register = Question("accommodation_registration", "do I register at a friend's flat too?")
    assert not asked._names_a_procedure(register)


@pytest.mark.parametrize(("lang", "words"), [("en", "Ambulance"), ("ru", "номер скорой помощи")])
def test_an_emergency_number_is_said_in_the_users_language(lang: str, words: str) -> None:
    """The hotlines' names are English and Chinese; other languages get the first words of the
    translated description instead (knowledge/translations/ru/hotlines.yml)."""
    from bot.dialogue import answers

    first = answers.emergency_answer(None, lang=lang).replies[0].text
    line = next(x for x in first.split("\n") if x.startswith("☎ 120"))
    assert words in line and len(line) < 80


@pytest.mark.parametrize(
    ("intent", "text", "filters", "lang"),
    [
        ("accommodation_registration", "숙박등록은 어디서 해요?", {}, "ko"),
        (
            "find_service_point",
            "where do I do accommodation registration?",
            {"service": "accommodation_registration"},
            "en",
        ),
    ],
)
def test_where_to_go_when_no_office_for_it_has_an_address_is_the_procedures_steps(
    intent: str, text: str, filters: dict[str, str], lang: str
) -> None:
    # knowledge/procedures.yml accommodation_registration, steps[1]: "go to the local police station (派出所)
    # for the address where you live"; its two service points have no address.
    q = Question(intent, text, facets=("address",), filters=filters)
    turn = asked.answer_question(q, Context(), lang=lang, now=NOW, faq_first=False)
    assert turn is not None
    text_out = all_text(turn.answer)
    assert "派出所" in text_out
    assert text_out.index("派出所") < text_out.index("Huaqingjiayuan")
    assert turn.context.procedures[:1] == ["accommodation_registration"]


def test_where_to_go_with_addresses_known_is_the_places_only() -> None:
    q = Question(
        "residence_permit",
        "where do I renew my work residence permit in Chaoyang?",
        facets=("address",),
        filters={"district": "chaoyang", "permit_type": "work"},
    )
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None
    assert "Steps" not in all_text(turn.answer) and "Jiuxianqiao" in all_text(turn.answer)


def test_a_procedure_the_words_match_answers_instead_of_asking_the_permit_type() -> None:
    # knowledge/procedures.yml r_visa_high_level_talent validity: "up to 180 days per stay".
    q = Question(
        "residence_permit",
        "Wie lange darf ich mit dem R-Visum pro Aufenthalt bleiben?",
        facets=("validity",),
    )
    turn = asked.answer_question(q, Context(), lang="de", now=NOW, faq_first=False)
    assert turn is not None and "180" in all_text(turn.answer)
    assert turn.context.procedures == ["r_visa_high_level_talent"]
    # A residence permit of no type whose words match no other procedure still asks the type.
    q = Question("residence_permit", "how long is a residence permit valid?", facets=("validity",))
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None and not turn.context.procedures


def test_a_part_of_the_joint_application_answering_makes_its_own_topic_the_context() -> None:
    # Read as a work-permit question; the joint application has no fee, its part the residence permit has.
    q = Question(
        "work_permit", "Was kostet die Aufenthaltserlaubnis zum Arbeiten?", facets=("fee",)
    )
    turn = asked.answer_question(q, Context(), lang="de", now=NOW, faq_first=False)
    assert turn is not None and "400" in all_text(turn.answer)
    assert turn.context.intent == "residence_permit"
    q = Question(
        "follow_up", "und in Haidian, wo?", facets=("address",), filters={"district": "haidian"}
    )
    turn = asked.follow_up(q, turn.context, lang="de", now=NOW)
    assert "Shuangyushu" in all_text(turn.answer)
    assert "Arbeitserlaubnis" not in all_text(turn.answer).split("\n")[0]


def test_offices_of_a_topic_whose_first_procedure_the_words_barely_match_are_any_of_its_offices() -> (
    None
):
    # "출입국" alone ranks the port visa first among the visa procedures (1.2, under MATCH_MIN): the
    # visa offices in Haidian (the Zhongguancun hall extends visas), not the airports' office.
    q = Question(
        "visa",
        "해정구 출입국 서비스홀 전화번호 뭐에요?",
        facets=("phone",),
        filters={"district": "haidian"},
    )
    turn = asked.answer_question(q, Context(), lang="ko", now=NOW, faq_first=False)
    assert turn is not None
    assert turn.context.ids[0] == "zhongguancun_exit_entry_hall"
    assert "airport_port_visa_office" not in turn.context.ids
    # Words of its own (the port-visa office) keep the first procedure's office.
    q = Question("visa", "ما هو رقم هاتف مكتب تأشيرة الميناء في المطار؟", facets=("phone",))
    turn = asked.answer_question(q, Context(), lang="ar", now=NOW, faq_first=False)
    assert turn is not None and turn.context.ids[0] == "airport_port_visa_office"


def test_an_entry_outside_the_topics_does_not_answer_a_message_naming_a_topics_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The entries' classifier put "welche Unterlagen?" close to the driving licence's documents (0.86).
    entry = Answer([], faq_entry="driving_licence_exchange_documents")
    monkeypatch.setattr(asked.answers, "faq_outside_topics", lambda *a, **k: entry)
    monkeypatch.setattr(asked.answers, "faq_instead", lambda *a, **k: None)
    q = Question(
        "work_permit",
        "Ich brauche eine Verlaengerung meiner Aufenthaltserlaubnis zum Arbeiten, welche Unterlagen?",
        facets=("documents",),
    )
    turn = asked.answer_question(q, Context(), lang="de", now=NOW)
    assert turn is not None and turn.answer is not entry
    assert "Reisepass" in all_text(turn.answer)
    # Naming no topic's service, it does.
    q = Question("work_permit", "welche Unterlagen brauche ich?", facets=("documents",))
    turn = asked.answer_question(q, Context(), lang="de", now=NOW)
    assert turn is not None and turn.answer is entry


def test_the_exit_entry_office_of_a_district_is_its_exit_entry_hall_before_its_other_offices() -> (
    None
):
    # Chaoyang has the CBD talent centre and the Chaoyang exit-entry hall (knowledge/service_points.yml).
    q = Question(
        "find_service_point",
        "조양구 출입국 사무소 주소",
        facets=("address",),
        filters={"district": "chaoyang"},
    )
    turn = asked.answer_question(q, Context(), lang="ko", now=NOW, faq_first=False)
    assert turn is not None and turn.context.ids[0] == "chaoyang_exit_entry_hall"
    q = Question(
        "find_service_point",
        "offices for foreigners in Chaoyang",
        facets=("address",),
        filters={"district": "chaoyang"},
    )
    turn = asked.answer_question(q, Context(), now=NOW, faq_first=False)
    assert turn is not None and "cbd_talent_one_stop_centre" in turn.context.ids


def test_an_exit_entry_hall_named_after_a_procedure_done_elsewhere_is_that_hall() -> None:
    """ "where is the zhongguancun exit entry hall" (Korean, German too) after accommodation
    registration, done at police stations: the hall named, not the registration's steps; "where do I
    do it in Haidian?" stays on the registration."""
    ctx = Context(intent="accommodation_registration", procedures=["accommodation_registration"])
    for lang, text in (
        ("en", "where is the zhongguancun exit entry hall"),
        ("ko", "중관춘 출입국 홀은 어디예요?"),
        ("de", "wo ist die Ein- und Ausreisehalle in Zhongguancun?"),
    ):
        q = Question(
            "find_service_point", text, facets=("address",), filters={"district": "haidian"}
        )
        turn = asked.answer_question(q, ctx, lang=lang, now=NOW, faq_first=False)
        assert turn is not None and "Shuangyushu" in all_text(turn.answer), (lang, text)
    q = Question(
        "find_service_point",
        "and in haidian, where?",
        facets=("address",),
        filters={"district": "haidian"},
    )
    turn = asked.answer_question(q, ctx, now=NOW, faq_first=False)
    assert turn is not None and turn.context.intent == "accommodation_registration"
