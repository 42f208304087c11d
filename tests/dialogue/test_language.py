"""Reply-language detection on short chat messages."""

from __future__ import annotations

import pytest

from bot.dialogue.language import answer_language, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", "en"),  # raw langdetect: Swahili
        ("ok", "en"),  # neutral: keeps the default
        ("visa", "en"),  # neutral loanword
        ("thanks", "en"),
        ("where can I renew my residence permit", "en"),
        ("你好", "zh"),
        ("朝阳区哪里办居留许可", "zh"),
        ("where to renew RP in 朝阳", "en"),  # a Han place name does not switch the language
        ("Привет", "ru"),  # raw langdetect: Bulgarian
        ("안녕하세요", "ko"),
        ("こんにちは", "ja"),
        ("朝陽区で病院を探しています", "ja"),  # Kana + Han -> Japanese, not Chinese
        ("مرحبا", "ar"),
        ("bonjour", "fr"),
        ("merci beaucoup", "fr"),
        ("danke", "de"),
        ("hola", "es"),
        ("où renouveler mon titre de séjour à Chaoyang", "fr"),
        ("wo kann ich meine Aufenthaltserlaubnis verlängern", "de"),
        ("dónde puedo renovar mi permiso de residencia", "es"),
        # A German question that is mostly a place's name: "Telefon", "vom", a genitive decide it.
        ("Telefon des Oasis-Krankenhauses", "de"),
        ("Telefon vom Regierungsservicezentrum", "de"),
        ("Notfallnummer des United-Family-Krankenhauses", "de"),
        ("日本人学校网址", "zh"),  # 网 is simplified Chinese; 日本人学校 is no Japanese sign
    ],
)
def test_detects(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["ok", "visa", "Chaoyang", "👍", "12345", "", "   ", "haidian?"])
def test_undecided_text_keeps_the_conversation_language(text: str) -> None:
    assert detect_language(text, current="de") == "de"
    assert detect_language(text, current="zh") == "zh"


def test_unknown_current_falls_back_to_english() -> None:
    assert detect_language("ok", current="xx") == "en"


def test_deterministic() -> None:
    text = "necesito ayuda con la escuela"
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_answer_language() -> None:
    assert answer_language("zh") == "zh"
    assert answer_language("en") == "en"
    assert answer_language(None) == "en"


@pytest.mark.parametrize("text", ["hi", "thanks", "ok", "hello!", "bye"])
def test_international_chat_words_keep_the_conversation_language(text: str) -> None:
    assert detect_language(text, current="de") == "de"
    assert detect_language(text, current="ja") == "ja"


def test_a_real_sentence_still_switches() -> None:
    assert detect_language("where is the nearest hospital", current="de") == "en"
    assert detect_language("où est l'hôpital le plus proche", current="de") == "fr"


# Kanji-only Japanese, Han place names, channel hints, short Latin-script messages (issue 12, item 7).


@pytest.mark.parametrize("text", ["予約確認", "在留資格", "保険証", "入管", "小児科", "地下鉄駅"])
def test_japanese_only_kanji_words_are_japanese(text: str) -> None:
    assert detect_language(text) == "ja"


@pytest.mark.parametrize("text", ["签证", "护照过期了", "在哪里", "我的居留许可", "多少钱"])
def test_chinese_only_characters_are_chinese_even_in_a_japanese_conversation(text: str) -> None:
    assert detect_language(text, "ja") == "zh"


@pytest.mark.parametrize("text", ["大学", "北京大学", "警察", "学校", "海淀"])
def test_han_words_both_languages_write_keep_the_conversation_language(text: str) -> None:
    assert detect_language(text, "ja") == "ja"
    assert detect_language(text, "zh") == "zh"
    assert detect_language(text) == "zh"


def test_the_channel_hint_breaks_a_han_tie_after_the_conversation_language() -> None:
    assert detect_language("警察", None, hint="ja") == "ja"
    assert detect_language("警察", "en", hint="ja") == "ja"
    assert detect_language("警察", "en") == "zh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("opening hours 望京", "en"),
        ("is there a hospital near 三里屯", "en"),
        ("Apotheke in 海淀区", "de"),
        ("больница в 朝阳", "ru"),
        ("병원 望京", "ko"),
    ],
)
def test_han_place_names_inside_other_scripts_do_not_switch(text: str, expected: str) -> None:
    assert detect_language(text, "en") == expected


@pytest.mark.parametrize("current", ["fr", "es", "de", "ja", "ar"])
def test_a_place_name_alone_keeps_the_conversation_language(current: str) -> None:
    assert detect_language("望京?", current) == current
    assert detect_language("海淀区", current) == current


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Krankenwagen!", "de"), ("Polizei bitte", "de"), ("pompiers", "fr"), ("socorro", "es")],
)
def test_short_latin_script_emergency_words(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(("word", "current"), [("ambulance", "fr"), ("hospital", "es")])
def test_a_shared_word_keeps_the_conversation_language(word: str, current: str) -> None:
    assert detect_language(word, current) == current


def test_a_full_sentence_in_another_language_still_switches_a_japanese_conversation() -> None:
    assert detect_language("where can I extend my visa", "ja") == "en"
    assert detect_language("我想办理居留许可", "ja") == "zh"


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("lycee francais website", None, "en"),  # the school's French name is no French
        ("Deutsche Botschaftsschule phone number", None, "en"),
        ("Wo ist die Deutsche Botschaftsschule?", None, "de"),  # the rest of the sentence decides
        ("quelle est l'adresse du Lycée Français ?", None, "fr"),
        ("Lycée Français", "es", "es"),  # a place's name alone keeps the conversation's language
    ],
)
def test_a_places_name_says_which_place_not_which_language(
    use_kb: str, text: str, current: str | None, expected: str
) -> None:
    assert detect_language(text, current) == expected


def test_the_reply_language_reads_no_database_per_message(
    use_kb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names come from memory (`names.held`): with every knowledge read failing, and on an event loop
    as in the Rasa server, the place's name is still blanked out, at once."""
    import asyncio
    import time

    from bot.knowledge import db

    text = "Deutsche Botschaftsschule phone number"  # decided by its words (no langdetect)
    assert detect_language(text) == "en"  # the names built and held

    def broken(*args: object, **kwargs: object) -> None:
        raise AssertionError("the knowledge base was read")

    monkeypatch.setattr(db, "read_session", broken)
    monkeypatch.setenv("KB_NAMES_REFRESH", "3600")

    async def on_the_loop() -> tuple[str, float]:
        started = time.monotonic()
        lang = [detect_language(text) for _ in range(20)][-1]
        return lang, time.monotonic() - started

    lang, took = asyncio.run(on_the_loop())
    assert lang == "en"
    assert took < 1.0
