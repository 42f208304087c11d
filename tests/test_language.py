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
        ("where to renew RP in 朝阳", "zh"),  # Han script decides
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
