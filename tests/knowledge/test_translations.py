"""Translations of knowledge texts (knowledge/translations/<lang>/<kind>.yml): loading, rendering, stale
fingerprints, the checks of `validate`, review by staff, and the answer's offer of the original."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import languages
from bot.dialogue import answers, render
from bot.knowledge import translations
from bot.knowledge.loader import read_knowledge, sync
from bot.knowledge.queries import get_procedures

ROOT = Path(__file__).resolve().parents[2]
RU_FILE = "knowledge/translations/ru/procedures.yml"


def _procedure(lang: str) -> answers.Answer:
    return answers.procedure_answer("residence_permit", "work", lang=lang)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


@pytest.mark.parametrize(
    "lang, heading, first_document",
    [
        ("ru", "Документы", "Действующий паспорт"),
        ("ja", "必要書類", "有効なパスポート"),
        ("ar", "المستندات", "جواز سفر ساري المفعول"),
    ],
)
def test_a_procedure_answer_shows_its_body_in_the_users_language_with_the_numbers_intact(
    use_kb: str, lang: str, heading: str, first_document: str
) -> None:
    answer = _procedure(lang)
    body = answer.replies[0].text
    english = render.procedure(get_procedures("residence_permit", "work")[0], "en")
    assert heading in body
    assert first_document in body
    # Nothing of the English checklist is left: each numbered line is translated.
    for line in english.splitlines():
        if re.match(r"\d+\. ", line):
            assert line not in body
    # Every number of the English answer is in the translated one (fees, ages, days, dates); staff's
    # reasons on the ⚠ line are English notes, said in English answers only (render.doubted_fields).
    facts = "\n".join(line for line in english.splitlines() if not line.startswith("⚠"))
    assert set(_numbers(facts)) <= set(_numbers(body))
    assert "北京公安出入境" in body  # a Chinese name is copied, not translated
    # The answer's last reply carries 👍 / 👎; then one short line says it is a translation and offers
    # the originals.
    offer = answer.replies[-1]
    assert offer.text == answers.t("translation_machine", lang)
    assert [b["payload"] for b in offer.buttons] == [
        '/show_original{"language":"en"}',
        '/show_original{"language":"zh"}',
    ]
    assert answer.replies[-2].rate
    assert answer.replies[-2].buttons[0]["payload"].startswith("/rate_answer")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_english_and_chinese_answers_carry_no_translation_line(use_kb: str, lang: str) -> None:
    answer = _procedure(lang)
    assert answer.translation is None
    assert not any("show_original" in str(r.buttons) for r in answer.replies)


def test_every_overlay_of_the_repository_is_valid_and_no_language_lags_behind() -> None:
    """The shipped overlays are valid, and each of the seven languages translates the same fields: shown,
    or made from an English text that changed since (stale: shown in English and reported). Fields
    nobody translated yet (English shown) are counted by `beijing-assistant translations`."""
    knowledge = read_knowledge(ROOT / "knowledge")
    assert knowledge.ok, [str(p) for p in knowledge.problems]
    covered: dict[str, set[tuple[str, str, str]]] = {lang: set() for lang in translations.LANGUAGES}
    for kind, recs in knowledge.records.items():
        for rec in recs:
            for lang, done in (rec.get("translations") or {}).items():
                covered[lang] |= {(kind, rec["id"], path) for path in done}
    for item in knowledge.stale_translations:
        covered[item.lang].add((item.kind, item.id, item.path))
    assert covered["ru"], "no Russian translation at all"
    for lang in translations.LANGUAGES:
        assert covered[lang] == covered["ru"], (
            lang,
            sorted(covered[lang] ^ covered["ru"])[:5],
        )


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line
    )


def test_a_stale_translation_falls_back_to_english_and_is_reported(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    old = "Valid passport or other international travel document (original)."
    new = "Valid passport (original) and one photocopy of its information page."
    already = len(read_knowledge(knowledge_copy).stale_translations)
    procedures = knowledge_copy / "procedures.yml"
    text = procedures.read_text(encoding="utf-8")
    first = text.index(old)  # only the first record's document changes
    procedures.write_text(text[:first] + new + text[first + len(old) :], encoding="utf-8")

    knowledge = read_knowledge(knowledge_copy)
    assert knowledge.ok
    stale = [s for s in knowledge.stale_translations if s.id == "residence_permit_work"]
    assert {(s.path, s.lang) for s in stale} == {
        ("documents[1]", lang) for lang in translations.LANGUAGES
    }
    ru = next(s for s in stale if s.lang == "ru")
    overlay = knowledge_copy / "translations/ru/procedures.yml"
    line = _line_of(overlay, "documents[1]:")
    assert str(ru) == (
        f"{overlay}:{line}: procedure 'residence_permit_work'.documents[1] (ru): the English original "
        f"changed since this translation (made from {translations.fingerprint(old)}, now "
        f"{translations.fingerprint(new)}); English is shown until the translation is updated"
    )

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    sync(knowledge_copy, url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    body = _procedure("ru").replies[0].text
    assert f"1. {new}" in body  # the new English text, not the outdated translation
    assert "2. Анкета на визу" in body  # the other documents stay translated

    assert main(["validate", "--knowledge-dir", str(knowledge_copy)]) == 0
    err = capsys.readouterr().err
    assert f"{already + 7} translations made from an English text that has changed since" in err
    assert str(ru) in err
    assert main(["stale", "--knowledge-dir", str(knowledge_copy)]) == 0
    assert str(ru) in capsys.readouterr().out


def test_validate_refuses_a_translation_that_drops_a_number(knowledge_copy: Path, capsys) -> None:
    overlay = knowledge_copy / "translations/ru/procedures.yml"
    _replace_in(overlay, "Если вам от 18 до 70 лет", "Если вам больше 18 лет")
    line = _line_of(overlay, "Если вам больше 18 лет")
    assert main(["validate", "--knowledge-dir", str(knowledge_copy)]) == 1
    err = capsys.readouterr().err
    assert (
        f"✗ {overlay}:{line}: procedure 'residence_permit_work'.documents[4].text (ru): the number 70 "
        "of the English original is missing: copy numbers, dates, phone numbers, web addresses and "
        "Chinese names exactly as in the English text"
    ) in err


def test_validate_refuses_changed_numbers_addresses_and_chinese_names() -> None:
    original = (
        "Call 010-64532939 or see www.bjgaj.gov.cn and the account 北京公安出入境 "
        "within 7 days (since 2023-02-01)."
    )
    assert translations.copied_parts(original, original) == []
    good = (
        "Звоните 010-64532939, www.bjgaj.gov.cn, 北京公安出入境, в течение 7 дней (с 2023-02-01)."
    )
    assert translations.copied_parts(original, good) == []
    bad = "Звоните 010-64532939, www.bjgaj.gov.com, 北京公安, в течение 17 дней (с 2024-02-01)."
    assert translations.copied_parts(original, bad) == [
        "the web address www.bjgaj.gov.cn of the English original is missing",
        "the number 7 of the English original is missing",
        "the number 2023 of the English original is missing",
        "the Chinese text 北京公安出入境 of the English original is missing",
    ]


def test_validate_refuses_unknown_records_and_fields_with_file_line_and_field(
    knowledge_copy: Path,
) -> None:
    overlay = knowledge_copy / "translations/ru/procedures.yml"
    _replace_in(overlay, "- id: residence_permit_study", "- id: residence_permit_studies")
    _replace_in(overlay, "      who:", "      whom:")
    problems = [str(p) for p in read_knowledge(knowledge_copy).problems]
    study = _line_of(overlay, "- id: residence_permit_studies")
    whom = _line_of(overlay, "      whom:")
    assert problems == [
        f"{overlay}:{whom}: procedure 'residence_permit_work'.whom: 'whom' is not a translatable field "
        "of this record: did you mean who? (translatable here: title, summary, who, documents[1], "
        "documents[2], documents[3], documents[4], documents[5], documents[6], documents[7], "
        "documents[8], steps[1], steps[2], fees[1].item, fees[1].note, fees[2].item, fees[2].note, "
        "fees[3].item, fees[3].note, processing_time, validity, deadlines[1], deadlines[2], "
        "deadlines[3], links[1].label, notes, deadline; if the field was removed, remove its translation too)",
        f"{overlay}:{study}: procedure 'residence_permit_studies'.id: there is no procedure "
        "'residence_permit_studies' in knowledge/procedures.yml: did you mean residence_permit_study? "
        "(if the record was removed, remove this entry too)",
    ]


def test_a_review_needs_a_name_and_a_day_and_then_the_answer_says_reviewed(
    knowledge_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = knowledge_copy / "translations/ru/procedures.yml"
    _replace_in(
        overlay,
        "  - id: residence_permit_work\n",
        "  - id: residence_permit_work\n    reviewed_on: 2026-12-01\n",
    )
    problems = [str(p) for p in read_knowledge(knowledge_copy).problems]
    line = _line_of(overlay, "reviewed_on: 2026-12-01")
    assert problems == [
        f"{overlay}:{line}: procedure 'residence_permit_work'.reviewed_by: reviewed_on needs "
        "reviewed_by: the name of the member of staff who reviewed the translation"
    ]
    _replace_in(
        overlay, "reviewed_on: 2026-12-01", "reviewed_by: Li Na\n    reviewed_on: 2026-12-01"
    )
    knowledge = read_knowledge(knowledge_copy)
    assert knowledge.ok
    work = next(r for r in knowledge.records["procedures"] if r["id"] == "residence_permit_work")
    assert work["translations"]["ru"]["summary"] == {
        "reviewed_by": "Li Na",
        "reviewed_on": "2026-12-01",
    }
    assert knowledge.translation_coverage.reviewed["ru"] == len(work["translations"]["ru"])

    assert translations.status([work], "ru") == "reviewed"

    # The answer also lists service points: with their (machine-assisted) Russian texts the answer as a
    # whole is machine-assisted; without them, everything translated in it was reviewed.
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    (knowledge_copy / "translations/ru/service_points.yml").unlink(missing_ok=True)
    sync(knowledge_copy, url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    answer = answers.procedure_answer("residence_permit", "work", lang="ru")
    assert answer.translation == "reviewed"
    # The offer of the originals follows the rated reply.
    assert answer.replies[-1].text == answers.t("translation_reviewed", "ru")


def test_the_original_answer_is_the_same_answer_in_english_without_buttons(use_kb: str) -> None:
    english = _procedure("en")
    shown = answers.original_answer(english, "en", "ru")
    assert shown.replies[0].text == answers.t("original_intro_en", "ru")
    # The whole answer, its last (rated) reply too, without the 👍 / 👎 or the offer.
    body = [r.text for r in english.replies if r.rate or not r.buttons]
    assert english.replies[-1].rate and body[-1] == english.replies[-1].text
    assert [r.text for r in shown.replies[1:]] == body
    assert all(not r.buttons for r in shown.replies)
    assert answers.original_answer(None, "en", "ru").replies[0].text == answers.t(
        "original_none", "ru"
    )
    # Only a question with buttons (which permit type?) has nothing to show in the original.
    question = answers.procedure_answer("residence_permit", None, lang="en")
    assert [r.text for r in answers.original_answer(question, "en", "ru").replies] == [
        answers.t("original_none", "ru")
    ]


def test_the_translations_command_counts_and_prints_stubs_with_fingerprints(
    knowledge_copy: Path, capsys
) -> None:
    (knowledge_copy / "translations/ru/procedures.yml").unlink()
    assert main(["translations", "--knowledge-dir", str(knowledge_copy)]) == 0
    out = capsys.readouterr().out
    knowledge = read_knowledge(knowledge_copy)
    cov = knowledge.translation_coverage
    stale = sum(1 for item in knowledge.stale_translations if item.lang == "ru")
    assert (
        f"  ru: {cov.merged['ru']} shown (0 reviewed by staff, {cov.merged['ru']} machine-assisted), "
        f"{stale} stale, {cov.total_fields - cov.merged['ru'] - stale} not translated (English is shown)"
    ) in out
    assert (
        main(["translations", "--knowledge-dir", str(knowledge_copy), "--stub", "ru", "procedures"])
        == 0
    )
    stub = capsys.readouterr().out
    work = next(r for r in knowledge.records["procedures"] if r["id"] == "residence_permit_work")
    summary = work["summary"]["en"]
    assert f'from: "{translations.fingerprint(summary)}"\n        text: "TODO: {summary}"' in stub
    # Saved as the overlay before it is translated, every field of the stub is refused (no TODO is
    # ever shown as a translation); once translated, the file is valid.
    overlay = knowledge_copy / "translations/ru/procedures.yml"
    overlay.write_text(stub, encoding="utf-8")
    problems = read_knowledge(knowledge_copy).problems
    total = sum(len(translations.fields("procedures", r)) for r in knowledge.records["procedures"])
    assert len(problems) == total
    assert {p.message for p in problems} == {
        "still the TODO of a stub: write the translation (or remove the field)"
    }
    overlay.write_text(stub.replace('text: "TODO: ', 'text: "RU: '), encoding="utf-8")
    again = read_knowledge(knowledge_copy)
    assert again.ok, [str(p) for p in again.problems]
    assert again.translation_coverage.merged["ru"] == cov.merged["ru"] + total


def test_an_emergency_answer_keeps_the_numbers_first_and_says_translated_last(use_kb: str) -> None:
    answer = answers.emergency_answer(None, lang="ru")
    first = answer.replies[0].text
    assert "☎ 120" in first and "☎ 110" in first
    assert "Общенациональный номер скорой помощи" in first  # the hotline description, translated
    assert answer.replies[-1].text == answers.t("translation_machine", "ru")
    assert "show_original" in answer.replies[-1].buttons[0]["payload"]
    assert not any(r.buttons for r in answer.replies[:-1])
    assert answers.emergency_answer(None, lang="en").translation is None


@pytest.mark.parametrize("lang", languages.CODES)
def test_an_emergency_answer_is_short_a_number_a_line_and_each_department_in_brief(
    use_kb: str, lang: str
) -> None:
    """Found trying it as a user in Spanish: a robbery with an assault got 6,700 characters (every
    hotline's whole description, then three hospitals' whole pages). Now one line per number (its
    doubts said with it) and each 24-hour department's phone and address; the rest is in the cards."""
    answer = answers.emergency_answer("chaoyang", lang=lang, emergency_type="police")
    numbers = answer.replies[0].text.splitlines()[1:-1]
    assert numbers[0].startswith("☎ 110 ")
    assert all(line.startswith(("☎ ", "⚠")) for line in numbers), numbers
    assert sum(len(r.text) for r in answer.replies) < 3000
    departments = [r for r in answer.replies if r.card and r.card.get("type") == "place"]
    assert departments and all("☎" not in r.text.splitlines()[0] for r in departments)
    assert all(len(r.text) < 700 for r in departments)


@pytest.mark.parametrize("lang", ["de", "ko", "ar"])
def test_a_questions_and_answers_entry_answers_in_the_users_language_and_says_translated(
    use_kb: str, lang: str
) -> None:
    """The entries' answers are translated through overlays like the records' texts
    (knowledge/translations/<lang>/faq.yml): shown with the numbers intact, marked machine-assisted,
    with the originals offered; and matched by the texts staff wrote, not by the translations."""
    from bot.faq import vectors
    from bot.knowledge.kinds import faq

    entry = faq.faq_entry("accommodation_registration_24h")
    assert entry is not None and lang in entry["answer"]
    answer = answers.faq_answer(None, "accommodation_registration_24h", lang=lang)
    body = answer.replies[0].text
    assert body.startswith(entry["answer"][lang]) and entry["answer"]["en"] not in body
    assert answers.t("faq_in_english", lang) not in body
    assert "24" in body and "72" in body and "2024" in body
    assert answer.translation == "machine"
    assert answer.replies[-1].text == answers.t("translation_machine", lang)
    assert {t.lang for t in vectors.entry_texts(entry) if t.role == "answer"} == {"en", "zh"}
    english = answers.faq_answer(None, "accommodation_registration_24h", lang="en")
    assert english.translation is None
