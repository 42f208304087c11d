"""Function words per language (bot/core/function_words.py): every language of the registry has a line."""

from __future__ import annotations

from bot.core import function_words, languages


def test_every_language_has_a_line() -> None:
    assert set(function_words.BY_LANGUAGE) == set(languages.CODES)


def test_function_words_and_content_words() -> None:
    for word in ("für", "Die", "the", "для", "pour", "para", "في"):
        assert function_words.is_function_word(word), word
    for word in ("visa", "Aufenthaltserlaubnis", "son", "permis", "виза", "work"):
        assert not function_words.is_function_word(word), word


def test_the_word_for_applying_names_no_procedure() -> None:
    """French "demande" and Spanish "solicitud" (every procedure is an application): "qui peut la demander ?"
    is not matched to the one title saying "demande conjointe"; the distinctive words stay."""
    for word in ("demande", "demander", "Solicitud", "solicitar"):
        assert function_words.is_function_word(word), word
    for word in ("conjointe", "conjunta", "prolongation"):
        assert not function_words.is_function_word(word), word
