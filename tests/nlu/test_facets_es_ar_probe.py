"""Spanish and Arabic words of what is asked found by the fourteenth session's translation probe
(bench/data/answers_dev48.yml: the English items of answers_dev9/answers_dev translated by hand), and a
gapped phrase whose first words a longer phrase of another facet holds (bot/nlu/facets.py)."""

from __future__ import annotations

import pytest

from bot.nlu import facets, gazetteer


def asked(text: str) -> set[str]:
    return {f.value for f in facets.analyse(text).facets}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("¿cuál es la tasa del permiso de trabajo para extranjeros?", "fee"),
        ("Registro, permiso de trabajo y de residencia: ¿qué va primero?", "order"),
        ("¿Un niño de nacionalidad china puede entrar al ISB?", "eligibility"),
        ("بعد ما بلّغت عن ضياع الجواز، كم يوم عندي عشان أطلع جواز جديد؟", "deadline"),
        ("التسجيل وتصريح العمل والإقامة، أبدأ بإيه؟", "order"),
        ("وإيه المواعيد النهائية؟", "deadline"),
        ("ازاي أحجز ميعاد للكشف الطبي؟", "booking"),
        ("مواعيد عمل قاعة الدخول والخروج", "hours"),
        ("مركز الخدمات الحكومية فاتح هلق؟", "hours"),
        ("متى يسكرون أيام الدوام؟", "hours"),
        ("Saint Paul American School لسا فاتحة ولا سكّرت؟", "status"),
    ],
)
def test_spanish_and_arabic_words_ask_their_facet(text: str, facet: str) -> None:
    assert facet in asked(text)


def test_a_still_open_school_asks_its_status_not_its_hours() -> None:
    assert asked("Saint Paul American School لسا فاتحة ولا سكّرت؟") == {"status"}


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("¿y el de emergencias?", "phone"),
        ("¿atienden los sábados?", "hours"),
        ("بياخد قد إيه؟", "processing_time"),
        ("قديش بتكلف؟", "fee"),
    ],
)
def test_short_spanish_and_arabic_follow_ups(text: str, facet: str) -> None:
    assert asked(text) == {facet}
    assert facets.is_follow_up(text)


def test_a_longer_phrase_keeps_the_first_words_of_a_gapped_one() -> None:
    # "كم يوم … الإقامة" (how many days … stay) is a validity; "كم يوم ياخذ" (how many days does it
    # take) holds its "كم يوم": the permit's "الإقامة" does not make it a stay.
    assert asked("كم يوم ياخذ تصريح الإقامة للطلاب؟") == {"processing_time"}
    assert asked("كم يوما يمكنني الإقامة في الصين بدون تأشيرة؟") == {"validity"}
    assert asked("كم يوم أقدر أبقى في الصين بدون فيزا؟") == {"validity"}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("كم يوم ياخذ تصريح الإقامة للطلاب؟", "permit_type", "study"),
        ("ازاي أحجز ميعاد للكشف الطبي بتاع الإقامة؟", "service", "medical_examination"),
        ("وكم تكلفة توثيق نتيجة فحص سويته في بلدي؟", "service", "medical_examination"),
    ],
)
def test_arabic_forms_with_an_attached_preposition(text: str, entity: str, value: str) -> None:
    assert (entity, value) in {(m.entity, m.value) for m in gazetteer.find_entities(text, {entity})}
