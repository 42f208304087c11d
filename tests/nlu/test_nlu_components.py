"""The mixed-script tokenizer and the gazetteer entity extractor."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import gazetteer
from bot.nlu.components import GazetteerEntityExtractor, MultilingualTokenizer, split_tokens


def test_mixed_english_chinese() -> None:
    tokens = split_tokens("where to renew RP in 朝阳区 pls")
    words = [w for w, _ in tokens]
    assert words[:5] == ["where", "to", "renew", "RP", "in"]
    assert "朝阳区" in words or "朝阳" in words
    assert words[-1] == "pls"


def test_offsets_point_into_the_text() -> None:
    text = "我想在海淀区办签证延期, ok?"
    for word, start in split_tokens(text):
        assert text[start : start + len(word)] == word


def test_char_mode_splits_han_per_character() -> None:
    assert [w for w, _ in split_tokens("居留许可", cjk_mode="char")] == ["居", "留", "许", "可"]


def test_other_scripts() -> None:
    assert [w for w, _ in split_tokens("Где продлить визу?")] == ["Где", "продлить", "визу"]
    assert [w for w, _ in split_tokens("비자 연장 어디서")] == ["비자", "연장", "어디서"]
    assert [w for w, _ in split_tokens("ビザ")] == ["ビ", "ザ"]


def test_tokenizer_component_handles_emoji_only() -> None:
    tok = MultilingualTokenizer(MultilingualTokenizer.get_default_config())
    assert [t.text for t in tok.tokenize(Message({"text": "👍👍"}), "text")] == ["👍👍"]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("residence permit in Chaoyang", "district", "chaoyang"),
        ("朝阳区居留许可", "district", "chaoyang"),
        ("朝陽で", "district", "chaoyang"),
        ("차오양", "district", "chaoyang"),
        ("Чаоян", "district", "chaoyang"),
        ("office in chaoyan", "district", "chaoyang"),  # one typo
        ("haidain district", "district", "haidian"),
        ("near sanlitun", "district", "chaoyang"),
        ("IB schools", "curriculum", "ib"),
        ("a-levels", "curriculum", "a_level"),
        ("study residence permit", "permit_type", "study"),
        ("私人事务类居留", "permit_type", "private_affairs"),
        # A spouse is the family permit (tenth session): "for my wife" asks of the family reunion permit.
        ("아내 거류허가는 어떤 서류가 필요해요?", "permit_type", "family"),
        ("妻の場合の必要書類は？", "permit_type", "family"),
        ("ولزوجتي، ما الوثائق المطلوبة؟", "permit_type", "family"),
        ("и для жены?", "permit_type", "family"),
        ("und für meine Frau?", "permit_type", "family"),
        ("et pour mon mari ?", "permit_type", "family"),
        ("¿y para mi marido?", "permit_type", "family"),
        ("我老婆呢", "permit_type", "family"),
        ("open on saturday", "weekday", "saturday"),
        ("周六开门吗", "weekday", "saturday"),
        ("my son is 7", "age", "7"),
        ("孩子5岁", "age", "5"),
        # Months in whole years, as the knowledge base stores ages ("from 18 months": age_min 1).
        ("which schools take a 6-month-old baby?", "age", "0"),
        ("생후 18개월 아기", "age", "1"),
        ("une école pour mon bébé de 6 mois", "age", "0"),
        ("ребёнку 9 месяцев", "age", "0"),
        ("visa extension", "service", "visa_extension"),
        # French and Spanish words for the same procedure (eleventh session, answers_dev31)
        ("quiero alargar la visa F", "service", "visa_extension"),
        ("prolonger mon séjour à Pékin", "service", "visa_extension"),
        ("el empadronamiento en pekin", "service", "accommodation_registration"),
        ("déclaration d'hébergement", "service", "accommodation_registration"),
        # the French registration form and "se déclarer à la police" (answers_dev47 probes, ans14b)
        ("Je dois faire la fiche d'hébergement où ?", "service", "accommodation_registration"),
        ("je dois me déclarer à la police", "service", "accommodation_registration"),
        ("me robaron el pasaporte", "service", "lost_passport_certificate"),
        ("renovar el carné de extranjería", "service", "residence_permit"),
        ("visa de talento", "service", "talent_services"),
        ("永住カードの発行手数料は？", "service", "permanent_residence"),
        ("Was kostet die Niederlassungserlaubnis?", "service", "permanent_residence"),
        ("english speaking doctor", "medical_need", "english_speaking"),
        ("说中文", "language", "zh"),
    ],
)
def test_gazetteer(text: str, entity: str, value: str) -> None:
    found = {(m.entity, m.value) for m in gazetteer.find_entities(text)}
    assert (entity, value) in found


def test_no_false_district_in_ordinary_words() -> None:
    assert not [
        m
        for m in gazetteer.find_entities("I changed my passport yesterday")
        if m.entity == "district"
    ]


def test_extractor_limits_entities_to_intents() -> None:
    ext = GazetteerEntityExtractor(
        {
            "entity_intents": {
                "language": ["change_language"],
                "curriculum": ["international_school"],
            }
        }
    )
    school = Message(
        {"text": "japanese school in chaoyang", "intent": {"name": "international_school"}}
    )
    lang = Message({"text": "answer in japanese", "intent": {"name": "change_language"}})
    ext.process([school, lang])
    assert {(e["entity"], e["value"]) for e in school.get("entities")} == {
        ("curriculum", "japanese"),
        ("district", "chaoyang"),
    }
    assert {(e["entity"], e["value"]) for e in lang.get("entities")} == {("language", "ja")}


@pytest.mark.parametrize("form", ["chaoyang", "ib", "new york", "résidence", "Чаоян", "تشاويانغ"])
def test_bounded_matches_equal_the_look_around_patterns(form: str) -> None:
    """Word boundaries are checked in Python (fast to compile); the matches are those of the
    negative look-behind/look-ahead patterns the gazetteer used before."""
    import re

    from bot.nlu import gazetteer

    letter = f"[^\\W_{gazetteer._CJK_CHARS}]"
    body = r"\s+".join(re.escape(part) for part in form.split())
    reference = re.compile(rf"(?<!{letter}){body}(?!{letter})", re.IGNORECASE)
    plain = re.compile(body, re.IGNORECASE)
    texts = [
        f"{form}",
        f"x{form}",
        f"{form}x",
        f"_{form}_",
        f"1{form}",
        f"{form}1",
        f"朝阳{form}朝阳",
        f"{form}{form}",
        f"{form} {form}",
        f"é{form}é",
        f"({form})",
        f"{form.upper()}!",
        f"{form}-{form}",
        "",
        "ib ibib ib",
        "new  york, newyork",
    ]
    for text in texts:
        expected = [m.span() for m in reference.finditer(text)]
        assert [m.span() for m in gazetteer._bounded(plain, text)] == expected, text


def test_case_folding_never_separates_what_the_regex_treats_as_equal() -> None:
    """The gazetteer runs only the forms whose folded literal occurs in the folded message; that is exact
    only if every character the regex engine matches (IGNORECASE) to a character of a literal folds
    alike. Checked for every character of every literal against every Unicode character, with the
    regex engine as the judge (the table is built from it too, but in one combined pass)."""
    import re

    from bot.nlu import gazetteer

    index = gazetteer._patterns()
    literal_chars = {ch for literal in index.literals for ch in literal}
    assert len(literal_chars) > 100
    every_char = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    any_literal_char = "[" + "".join(map(re.escape, sorted(literal_chars))) + "]"
    # Every character the engine finds equal to some literal character (others cannot be in a match).
    equal = "".join(m.group() for m in re.finditer(any_literal_char, every_char, re.IGNORECASE))
    assert len(equal) >= len(literal_chars)
    for ch in literal_chars:
        want = ch.translate(index.fold)
        for m in re.finditer(re.escape(ch), equal, re.IGNORECASE):
            assert m.group().translate(index.fold) == want, (ch, m.group())
    # The CPython-internal equivalences the old table read from sre_compile are among them.
    for a, b in [("s", "\u017f"), ("k", "\u212a"), ("i", "\u0131"), ("I", "\u0130")]:
        assert a.translate(index.fold) == b.translate(index.fold), (a, b)


def test_candidate_forms_are_those_whose_literal_occurs() -> None:
    """The Aho-Corasick pass selects exactly the forms whose folded literal is in the folded text."""
    from bot.nlu import gazetteer

    index = gazetteer._patterns()
    assert sum(map(len, index.forms_of_literal)) == len(index.forms)
    texts = ["where can I renew my residence permit in CHAOYANG?", "朝阳区的医院", "", "IB ſchool"]
    for text in texts:
        folded = text.translate(index.fold)
        expected = sorted(
            i
            for literal, forms in zip(index.literals, index.forms_of_literal, strict=True)
            if literal in folded
            for i in forms
        )
        assert index.candidates(text) == expected, text
        assert expected or not text, text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Where can I renew my work residence permit in Chaoyang?", "find_service_point"),
        ("Где продлить рабочий вид на жительство в Чаояне?", "find_service_point"),
        ("أين أجدد تصريح الإقامة للعمل في تشاويانغ؟", "find_service_point"),
        ("Is the hall for study residence permits open on Saturday?", "opening_hours"),
    ],
)
def test_the_configured_extractor_keeps_the_permit_type_of_a_where_or_when_question(
    text: str, intent: str
) -> None:
    """Where to renew a *work* residence permit: the type said must reach the context, or "how
    much?" next asks it again (found by the answers development set in four languages)."""
    from pathlib import Path

    from ruamel.yaml import YAML

    config = YAML(typ="safe").load(Path(__file__).resolve().parents[2] / "config.yml")
    (step,) = [s for s in config["pipeline"] if s["name"].endswith("GazetteerEntityExtractor")]
    ext = GazetteerEntityExtractor(step)
    message = Message({"text": text, "intent": {"name": intent}})
    ext.process([message])
    assert ("permit_type", "study" if "study" in text else "work") in {
        (e["entity"], e["value"]) for e in message.get("entities")
    }


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("a hospital where they speak Arabic", "ar"),
        ("مستشفى في تشاويانغ يتحدثون العربية", "ar"),
        ("病院で日本語が通じるところ", "ja"),
        ("un hôpital où on parle français", "fr"),
    ],
)
def test_the_configured_extractor_keeps_the_language_spoken_at_a_hospital(
    text: str, spoken: str
) -> None:
    """ "A hospital where they speak Arabic": the language is a filter of the hospitals (actions read it
    as `spoken` under healthcare), so the extractor must give it there too (found by the answers
    development set: the Arabic request listed hospitals with no language data)."""
    from pathlib import Path

    from ruamel.yaml import YAML

    config = YAML(typ="safe").load(Path(__file__).resolve().parents[2] / "config.yml")
    (step,) = [s for s in config["pipeline"] if s["name"].endswith("GazetteerEntityExtractor")]
    message = Message({"text": text, "intent": {"name": "healthcare"}})
    GazetteerEntityExtractor(step).process([message])
    assert ("language", spoken) in {(e["entity"], e["value"]) for e in message.get("entities")}
