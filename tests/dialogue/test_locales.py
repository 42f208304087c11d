"""Every interface text exists in every locale, with the same placeholders as English."""

from __future__ import annotations

import string

import pytest

from bot.core import languages, vocab
from bot.dialogue import i18n

EN = i18n.catalog("en")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def flatten(doc: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


@pytest.mark.parametrize("lang", languages.CODES)
def test_locale_is_complete(lang: str) -> None:
    """Every key of en.yml (answers, names, channel texts, the utter_* responses) in every language of
    the registry."""
    theirs, ours = flatten(i18n.catalog(lang)), flatten(EN)
    missing = sorted(set(ours) - set(theirs))
    assert not missing, f"{lang} lacks {missing}"
    extra = sorted(set(theirs) - set(ours))
    assert not extra, f"{lang} has keys English does not: {extra}"
    for key, value in ours.items():
        if isinstance(value, str):
            assert isinstance(theirs[key], str) and theirs[key].strip(), f"{lang}: {key} is empty"
            assert placeholders(theirs[key]) == placeholders(value), (
                f"{lang}: {key} placeholders differ"
            )
        elif isinstance(value, list):
            assert len(theirs[key]) == len(value), f"{lang}: {key} must have {len(value)} entries"


def test_every_code_has_an_english_name() -> None:
    sections = {
        "districts": vocab.DISTRICTS,
        "services": vocab.SERVICES,
        "service_needs": vocab.SERVICE_ENTITY_CODES,
        "permit_types": vocab.PERMIT_TYPES,
        "service_point_kinds": vocab.SERVICE_POINT_KINDS,
        "curricula": vocab.CURRICULA,
        "languages": vocab.LANGUAGES,
    }
    for section, codes in sections.items():
        assert set(codes) <= set(EN[section]), f"{section}: {set(codes) - set(EN[section])}"


def test_fallback_to_english() -> None:
    assert i18n.t("documents", "xx") == EN["messages"]["documents"]
    assert i18n.name("districts", "chaoyang", "xx") == "Chaoyang"
    assert i18n.name("districts", "nowhere", "en") == "nowhere"
