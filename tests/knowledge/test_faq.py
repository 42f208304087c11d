"""Questions and answers (knowledge/faq_*.yml): validation, sync with the vector cache, retrieval across
languages with the real sentence encoder, pick-up of a sync by a running index, SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from databases import throwaway_postgres

from bot.dialogue import answers, render
from bot.faq import encoder, index, match
from bot.faq.vectors import entry_texts
from bot.knowledge import loader
from bot.knowledge.kinds import faq

ROOT = Path(__file__).resolve().parents[2]

# Written for these tests only (not facts): English and Chinese questions and answers, no Russian.
ENTRIES = """
faq:
  - id: test_parking_card
    topic: driving
    questions:
      en:
        - "How do I get a parking card for my residential compound?"
        - "Where can I apply for a car parking permit in my housing estate?"
      zh:
        - "小区停车卡怎么办理？"
      fr:
        - "Comment obtenir une carte de stationnement pour ma résidence ?"
    answer:
      en: "Test answer: ask the compound's property management office for a parking card."
      zh: "测试答案：向小区物业管理处申请停车卡。"
    related: [accommodation_registration]
    source:
      - '"test fixture" [3P]'
    source_date: 2026-12-06
    uncertain:
      answer: test fixture only
      source: a test fixture
  - id: test_library_card
    topic: immigration
    questions:
      en:
        - "Can foreigners borrow books from the public library?"
      zh:
        - "外国人可以在公共图书馆借书吗？"
    answer:
      en: "Test answer: bring your passport to the library's front desk."
      zh: "测试答案：持护照到图书馆前台办理。"
    source:
      - '"test fixture" [3P]'
    source_date: 2026-12-06
    uncertain:
      source: a test fixture
"""


def only_entries(tmp_path: Path, text: str = ENTRIES) -> Path:
    """knowledge/ with the real procedures etc. but only the test questions and answers."""
    folder = tmp_path / "knowledge"
    shutil.copytree(
        ROOT / "knowledge", folder, ignore=shutil.ignore_patterns("*.md", "faq_*.yml", "faq.yml")
    )
    (folder / "faq_test.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def problems(folder: Path) -> list[str]:
    return [str(p) for p in loader.read_knowledge(folder).problems]


def test_the_real_entries_are_valid_and_sourced() -> None:
    knowledge = loader.read_knowledge(ROOT / "knowledge")
    assert knowledge.ok, knowledge.problems
    entries = knowledge.records["faq"]
    assert len(entries) >= 60
    for e in entries:
        assert {"en", "zh"} <= set(e["answer"]), e["id"]
        assert e["source"] and e.get("source_date"), e["id"]
        assert "verified_on" not in e, f"{e['id']}: nobody has checked it"


def test_validation_names_file_line_and_field(tmp_path: Path) -> None:
    broken = ENTRIES.replace('      zh: "测试答案：持护照到图书馆前台办理。"\n', "").replace(
        "related: [accommodation_registration]", "related: [accommodation_registraton]"
    )
    broken = broken.replace(
        '      zh:\n        - "小区停车卡怎么办理？"', '      xx:\n        - "?"'
    )
    found = problems(only_entries(tmp_path, broken))
    text = "\n".join(found)
    assert "knowledge/faq_test.yml" in text or "faq_test.yml" in text
    assert any(
        "faq entry 'test_library_card'.answer.zh" in p and "Chinese answer is missing" in p
        for p in found
    ), text
    assert any(
        "faq entry 'test_parking_card'.related[1]" in p
        and "did you mean accommodation_registration?" in p
        for p in found
    ), text
    assert any("questions.xx" in p and "unknown language code" in p for p in found), text
    assert all(":" in p.split(" ")[0] for p in found), "every problem starts with file:line"


def test_sync_embeds_only_new_texts_and_a_running_index_sees_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    folder = only_entries(tmp_path)
    first = loader.sync(folder, url)
    assert first.embedded == 10  # 4 + 2 questions, 2 x 2 answers
    assert loader.sync(folder, url).embedded == 0  # nothing new: nothing encoded
    assert len(index.current(url)) == 2

    path = folder / "faq_test.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '        - "Can foreigners borrow books from the public library?"',
            '        - "Can foreigners borrow books from the public library?"\n'
            '        - "Is a library card free for expats?"',
        ),
        encoding="utf-8",
    )
    assert loader.sync(folder, url).embedded == 1  # one new question, nothing else
    best = index.lookup("is the library card free for foreigners?", url=url)[0]
    assert best.entry_id == "test_library_card"


def test_a_russian_question_finds_an_entry_written_in_english_and_chinese(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    best = index.lookup("Как получить парковочную карту для моего жилого комплекса?", url=url)
    assert best[0].entry_id == "test_parking_card"
    assert best[0].score >= match.threshold()
    assert best[0].score > best[1].score


def test_two_entries_about_as_close_are_offered_not_answered() -> None:
    def m(entry_id: str, score: float) -> index.Match:
        return index.Match(entry_id, score, {"id": entry_id})

    assert match.judge([m("a", 0.80), m("b", 0.60)], minimum=0.62, lead=0.05) == m("a", 0.80)
    assert match.judge([m("a", 0.80), m("b", 0.77)], minimum=0.62, lead=0.05) is None  # ambiguous
    assert match.judge([m("a", 0.60), m("b", 0.20)], minimum=0.62, lead=0.05) is None  # too far
    assert match.judge([m("a", 0.70)], minimum=0.62, lead=0.05) == m("a", 0.70)  # no second entry
    assert match.judge([], minimum=0.62) is None


def test_in_a_topic_the_best_of_close_siblings_answers_but_not_the_best_of_strangers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Entries about as close as each other: in a topic, the best answers when its rivals share its
    subject (three driving-licence entries, none of which the NLU's topic answers), and only from the
    in-topic threshold; rivals about other subjects leave the topic's own answer."""
    monkeypatch.setattr(match, "in_topic_threshold", lambda: 0.82)
    monkeypatch.setattr(match, "in_topic_lead", lambda: 0.18)
    monkeypatch.setattr(match, "plain_threshold", lambda: 0.64)
    monkeypatch.setattr(match, "plain_margin", lambda: 0.04)

    def m(entry_id: str, score: float, topic: str) -> index.Match:
        return index.Match(entry_id, score, {"id": entry_id, "topic": topic})

    where, documents = m("where", 0.84, "driving"), m("documents", 0.83, "driving")
    assert match.judge_in_topic([where, documents, m("probation", 0.79, "driving")]) == where
    assert match.judge_in_topic([where, m("sim", 0.83, "phone")]) is None
    assert match.judge_in_topic([where, documents, m("sim", 0.81, "phone")]) is None
    assert match.judge_in_topic([m("where", 0.80, "driving"), m("d", 0.79, "driving")]) is None
    # far rivals of other subjects do not matter: the plain margin decides as before
    assert match.judge_in_topic([where, m("sim", 0.70, "phone")]) == where
    assert match.judge_in_topic([]) is None


def test_scores_without_the_classifier_are_judged_by_the_plain_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(match, "threshold", lambda: 0.9)
    monkeypatch.setattr(match, "plain_threshold", lambda: 0.6)
    monkeypatch.setattr(match, "margin", lambda: 0.0)
    monkeypatch.setattr(match, "plain_margin", lambda: 0.0)
    learned = index.Match("a", 0.7, {"id": "a"}, learned=True)
    plain = index.Match("a", 0.7, {"id": "a"}, learned=False)
    assert match.judge([learned]) is None
    assert match.judge([plain]) == plain


def test_the_classifier_learns_which_entry_a_text_belongs_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20 entries whose 8 texts each lie around a direction of their own; a new message near entry
    # 7's direction, none of its texts.
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((20, encoder.DIMENSION)).astype(np.float32)

    def near(centre: np.ndarray) -> np.ndarray:
        v = centre + 1.5 * rng.standard_normal(encoder.DIMENSION).astype(np.float32)
        return v / np.linalg.norm(v)

    entries = [
        {
            "id": f"e{i}",
            "questions": {"en": [f"q{i} {j}" for j in range(6)]},
            "answer": {"en": f"a{i}", "zh": f"答{i}"},
        }
        for i in range(20)
    ]
    vectors = {t.key: near(centres[i]) for i, e in enumerate(entries) for t in entry_texts(e)}
    message = near(centres[7])
    idx = index.Index.build(entries, vectors)
    assert idx.classifier is not None
    learned = idx.search(message, k=2)
    plain = idx.search(message, k=2, learned=False)
    assert learned[0].entry_id == "e7" and learned[0].learned and not plain[0].learned
    # The classifier is sure where the similarities are not: the learned part widens the lead.
    assert learned[0].score - learned[1].score > plain[0].score - plain[1].score + 0.1
    # A large index goes without it (training would take too long when the assistant loads it).
    monkeypatch.setattr(index, "CLASSIFIER_MAX_ENTRIES", 10)
    large = index.Index.build(entries, vectors)
    assert large.classifier is None
    assert not large.search(message, k=1)[0].learned


def test_in_a_topic_an_entry_answers_when_it_clearly_fits_that_one_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message the NLU placed in a topic: the entry answers above the in-topic threshold, or from
    the plain threshold when it leads the second entry by the in-topic lead; both on the scores
    without the classifier."""
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    question = "Как получить парковочную карту для моего жилого комплекса?"
    best, second = index.lookup(question, url=url, learned=False)[:2]
    assert best.entry_id == "test_parking_card" and best.score >= match.plain_threshold()
    assert not best.learned
    monkeypatch.setattr(match, "in_topic_threshold", lambda: 2.0)  # only the lead can let it answer
    monkeypatch.setattr(match, "in_topic_lead", lambda: best.score - second.score - 0.01)
    assert match.decide_in_topic(question, url=url).answer == best
    monkeypatch.setattr(match, "in_topic_lead", lambda: best.score - second.score + 0.01)
    assert match.decide_in_topic(question, url=url).answer is None
    monkeypatch.setattr(match, "in_topic_threshold", lambda: best.score - 0.01)
    assert match.decide_in_topic(question, url=url).answer == best


def test_answer_in_another_language_falls_back_to_english_with_a_lead_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    answer = answers.faq_answer("Как получить парковочную карту для жилого комплекса?", lang="ru")
    text = answer.replies[0].text
    assert text.startswith("Ответа на русском пока нет")
    assert "Test answer: ask the compound's property management office" in text
    # Provenance as every kind shows it: the fields named, the topic's hotline, source and date, and
    # no claim of a check.
    assert (
        "⚠" in text and "ответ (test fixture only)" in text and "источник (a test fixture)" in text
    )
    assert "(12345)" in text and "12367" not in text  # a driving question: the city hotline
    assert 'Источник: "test fixture" (сторонний), 2026-12-06.' in text
    assert "Пока не подтверждено нашими сотрудниками." in text
    assert answer.faq_entry == "test_parking_card"
    zh = answers.faq_answer("小区的停车卡在哪里办？", lang="zh").replies[0].text
    assert zh.startswith("测试答案：向小区物业管理处申请停车卡。")


def test_no_close_entry_offers_what_we_can_help_with_and_a_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    answer = answers.faq_answer("what is the capital of Peru?", lang="en")
    assert answer.faq_entry is None
    reply = answer.replies[0]
    assert reply.text.startswith("Sorry, that is outside what I can help with")
    assert reply.buttons[-1]["payload"] == "/human_handoff"
    # A button naming an entry answers with it directly.
    clicked = answers.faq_answer("/out_of_scope", "test_library_card", lang="en")
    assert clicked.faq_entry == "test_library_card"
    # Its topic is immigration: an uncertain answer is confirmed with 12367.
    assert "(12367)" in clicked.replies[0].text
    # The "something else" button's payload is never matched as a question.
    assert answers.faq_answer("/out_of_scope", lang="en").faq_entry is None


@pytest.mark.parametrize(
    ("second_subject", "second_score", "answered"),
    [
        # two entries on one subject no topic answers, both clear and close: the best answers
        ("driving", 0.87, "test_parking_card"),
        # two subjects as close: ambiguous, the closest entries are offered
        ("immigration", 0.87, None),
    ],
)
def test_outside_the_topics_close_siblings_answer_with_the_best(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    second_subject: str,
    second_score: float,
    answered: str | None,
) -> None:
    """ "Wie bekomme ich eine SIM-Karte?" (out of scope for the NLU): where to buy one 0.94, at the
    airport 0.87, both on the phone subject; no margin between them was no reason to answer with
    neither."""
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)
    monkeypatch.setattr(match, "offer_floor", lambda: 0.0)
    parking = faq.faq_entry("test_parking_card")
    library = faq.faq_entry("test_library_card")
    assert parking and library
    best = index.Match("test_parking_card", 0.94, parking, learned=True)
    near = index.Match(
        "test_library_card", second_score, {**library, "topic": second_subject}, learned=True
    )
    monkeypatch.setattr(
        match, "decide", lambda text, url=None, **_: match.Decision(None, [best, near])
    )
    answer = answers.faq_answer("Wo bekomme ich eine Parkkarte?", lang="de")
    assert answer.faq_entry == answered
    if answered is None:
        assert len(answer.replies[0].buttons) == 3  # the two entries and a person


def test_below_the_threshold_the_closest_entries_are_offered_as_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(only_entries(tmp_path), url)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    # Nothing is close enough to answer (with the classifier's part a score can reach about 1.5).
    monkeypatch.setattr(match, "threshold", lambda: 2.0)
    monkeypatch.setattr(match, "plain_threshold", lambda: 2.0)
    monkeypatch.setattr(match, "offer_floor", lambda: 0.0)
    answer = answers.faq_answer("Where do I get a card for parking my car at home?", lang="fr")
    assert answer.faq_entry is None
    reply = answer.replies[0]
    assert reply.text.startswith("Je n'ai pas de réponse confirmée")
    assert reply.buttons[0] == {
        "title": "Comment obtenir une carte de stationnement pour ma résidence ?",
        "payload": '/out_of_scope{"faq_id":"test_parking_card"}',
    }
    assert reply.buttons[-1]["payload"] == "/human_handoff"


def test_render_without_the_language_uses_english(use_kb: str) -> None:
    from bot.knowledge.kinds import faq as faq_kind

    entry = faq_kind.faq_entry("sim_cards_per_passport")
    assert entry is not None
    # Translated (knowledge/translations/de/faq.yml): the German answer; without it, the English one.
    assert render.faq_entry(entry, "de").startswith(entry["answer"]["de"])
    untranslated = {**entry, "answer": {k: entry["answer"][k] for k in ("en", "zh")}}
    assert render.faq_entry(untranslated, "de").startswith("Noch keine Antwort auf Deutsch")
    assert "Up to 5 SIM cards per valid passport." in render.faq_entry(untranslated, "de")
    assert render.faq_entry(entry, "zh").startswith("每本有效护照最多可办理5张电话卡。")


def test_postgresql_sync_and_lookup(tmp_path: Path) -> None:
    with throwaway_postgres("faq_test") as url:
        folder = only_entries(tmp_path)
        assert loader.sync(folder, url).embedded == 10
        assert loader.sync(folder, url).embedded == 0
        best = index.lookup("Можно ли иностранцу брать книги в публичной библиотеке?", url=url)
        assert best[0].entry_id == "test_library_card"
        from bot.knowledge import db

        db.get_engine(url).dispose()


def synthetic_index(n: int, seed: int = 0) -> tuple[index.Index, np.ndarray]:
    """`n` entries of 8 random unit vectors each; returns the index and entry 7's third text."""
    rng = np.random.default_rng(seed)
    entries = [
        {
            "id": f"e{i}",
            "questions": {"en": [f"q{i} {j}" for j in range(6)]},
            "answer": {"en": f"a{i}", "zh": f"答{i}"},
        }
        for i in range(n)
    ]
    vectors = {}
    for e in entries:
        for t in entry_texts(e):
            v = rng.standard_normal(encoder.DIMENSION).astype(np.float32)
            vectors[t.key] = v / np.linalg.norm(v)
    texts = entry_texts(entries[7])
    target = vectors[texts[2].key]
    for t in texts[:2] + texts[3:]:  # entry 7's other texts point away from the target
        v = vectors[t.key] - target
        vectors[t.key] = v / np.linalg.norm(v)
    return index.Index.build(entries, vectors), target


@pytest.mark.parametrize("n", [50, index.EXACT])
def test_up_to_exact_entries_one_fitting_text_finds_its_entry(n: int) -> None:
    # The entry's other seven texts point away from the query, so its centroid does too: an exact
    # search must still find it (a pre-selection by centroid would not).
    idx, query = synthetic_index(n)
    best = idx.search(query, k=3)
    assert best[0].entry_id == "e7"
    assert best[0].score > best[1].score


def test_a_lookup_leaves_one_blas_thread() -> None:
    from threadpoolctl import threadpool_info

    encoder.encode(["how do I get a parking card?"])
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == encoder.THREADS for i in blas), blas


def test_a_name_or_number_the_message_shares_with_one_entry_decides_between_equals() -> None:
    # Two entries whose texts the encoder puts at the same point: only the lexical signal (character
    # n-grams shared with the entry's questions and answer) can tell them apart.
    entries = [
        {
            "id": "phone",
            "questions": {"en": ["Which hotline answers in English?"]},
            "answer": {"en": "Call 12367, day and night."},
        },
        {
            "id": "office",
            "questions": {"en": ["Which office answers in English?"]},
            "answer": {"en": "Go to the exit-entry hall on a weekday."},
        },
    ]
    same = np.ones(encoder.DIMENSION, dtype=np.float32) / np.sqrt(encoder.DIMENSION)
    idx = index.Index.build(entries, {t.key: same for e in entries for t in entry_texts(e)})
    without = idx.search(same, k=2)
    assert without[0].score == pytest.approx(without[1].score)
    found = idx.search(same, k=2, text="is 12367 a hotline?")
    assert found[0].entry_id == "phone"
    assert found[0].score - found[1].score > 0.05
    assert idx.search(same, k=2, text="the exit-entry hall on a weekday")[0].entry_id == "office"


def test_the_staff_report_scores_a_question_as_the_assistant_does(use_kb: str) -> None:
    """The report's closest entry and score come from the same hybrid score the assistant compares
    with its threshold (before, the report left out the lexical part: up to 0.2 lower)."""
    import argparse

    from bot.cli.conversations import _faq_closest
    from bot.faq import encoder, index

    question = "how many SIM cards can I get with my passport?"
    closest = _faq_closest(argparse.Namespace(no_faq=False, kb_database_url=use_kb))
    assert closest is not None
    ((entry_id, score),) = closest([question])
    (best,) = index.current(use_kb).search(encoder.encode([question])[0], k=1, text=question)
    assert (entry_id, score) == (best.entry_id, pytest.approx(best.score))


def test_a_sync_that_changes_no_question_does_not_refit_the_classifier() -> None:
    """The index is rebuilt after every sync; the classifier is refitted only when the entries' texts
    (labels and vectors) changed."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(6, encoder.DIMENSION)).astype(np.float32)
    labels = [0, 0, 1, 1, 2, 2]
    first = index.Classifier.trained(labels, vectors, 3)
    assert first is not None
    assert index.Classifier.trained(labels, vectors.copy(), 3) is first
    changed = vectors.copy()
    changed[0, 0] += 1.0
    assert index.Classifier.trained(labels, changed, 3) is not first


@pytest.mark.parametrize(
    ("subject", "score", "answers"),
    [
        ("phone", 0.90, True),  # no topic page answers SIM cards: clearly above threshold + margin
        ("tax", 0.84, False),  # above the threshold, not clearly: the NLU's topic answers
        ("immigration", 1.20, False),  # a topic page answers these: the in-topic bar stays
        ("health", 1.20, False),
    ],
)
def test_an_entry_on_a_subject_no_topic_answers_needs_threshold_plus_margin(
    monkeypatch: pytest.MonkeyPatch, subject: str, score: float, answers: bool
) -> None:
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)
    best = index.Match("e1", score, {"id": "e1", "topic": subject}, learned=True)
    other = index.Match("e2", 0.3, {"id": "e2", "topic": subject}, learned=True)
    monkeypatch.setattr(
        match,
        "decide",
        lambda text, url=None: match.Decision(best if score >= 0.77 else None, [best, other]),
    )
    found = match.outside_topics("some question")
    assert (found is not None and found.answer == best) is answers


def test_no_entry_answers_outside_the_topics_when_none_is_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(match, "decide", lambda text, url=None: match.Decision(None, []))
    assert match.outside_topics("как дела?") is None


def test_clearly_false_asks_only_the_ordinary_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)
    best = index.Match("e1", 0.78, {"id": "e1", "topic": "phone"}, learned=True)
    monkeypatch.setattr(match, "decide", lambda text, url=None: match.Decision(best, [best]))
    assert match.outside_topics("유심은 어디서 사요?") is None
    found = match.outside_topics("유심은 어디서 사요?", clearly=False)
    assert found is not None and found.answer == best


@pytest.mark.parametrize(
    ("second_subject", "answers"),
    [
        # two entries on one subject as close: the best answers, not the topic
        ("social_insurance", True),
        # two subjects as close: the question is ambiguous, the topic answers
        ("money", False),
    ],
)
def test_close_siblings_on_a_subject_no_topic_answers_answer_outside_the_topics(
    monkeypatch: pytest.MonkeyPatch, second_subject: str, answers: bool
) -> None:
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)
    best = index.Match("e1", 0.86, {"id": "e1", "topic": "social_insurance"}, learned=True)
    near = index.Match("e2", 0.85, {"id": "e2", "topic": second_subject}, learned=True)
    far = index.Match("e3", 0.60, {"id": "e3", "topic": "tax"}, learned=True)
    monkeypatch.setattr(
        match, "decide", lambda text, url=None: match.Decision(None, [best, near, far])
    )
    found = match.outside_topics("¿Tengo que pagar seguro social en China?")
    assert (found is not None and found.answer == best) is answers


def test_the_best_of_close_siblings_on_one_subject() -> None:
    """Two entries on the same subject about as close leave no margin; the best answers (in a topic,
    `judge_in_topic`). Rivals on another subject leave none."""

    def m(entry_id: str, score: float, topic: str) -> index.Match:
        return index.Match(entry_id, score, {"id": entry_id, "topic": topic}, learned=True)

    where, documents = m("where", 0.83, "driving"), m("documents", 0.80, "driving")
    sim = m("sim", 0.81, "phone")
    assert match.best_of_siblings([where, documents], 0.77, 0.08) == where
    assert match.best_of_siblings([where, sim], 0.77, 0.08) is None
    assert match.best_of_siblings([where, documents], 0.85, 0.08) is None
    assert match.best_of_siblings([], 0.77, 0.08) is None


def test_an_index_without_entries_finds_nothing() -> None:
    # A knowledge base with no questions-and-answers entries (a fresh install, a test database): the
    # index is empty, not an error, and a lookup finds nothing.
    empty = index.Index.build([], {})
    assert len(empty) == 0
    assert empty.centroids.shape == (0, encoder.DIMENSION)


def test_what_is_asked_chooses_between_sibling_entries_but_not_strangers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "where can I exchange my licence?": among entries on one subject that its words fit about as
    well, the one whose own questions ask where comes first and answers (the documents' entry is no
    rival for a "where" question); an entry of another subject still makes the message ambiguous."""
    monkeypatch.setattr(match, "threshold", lambda: 0.77)
    monkeypatch.setattr(match, "margin", lambda: 0.08)

    def m(entry_id: str, score: float, topic: str, questions: list[str]) -> index.Match:
        entry = {"id": entry_id, "topic": topic, "questions": {"en": questions}}
        return index.Match(entry_id, score, entry, learned=True)

    documents = m("documents", 0.84, "driving", ["What documents do I need?", "which papers?"])
    where = m("where", 0.76, "driving", ["Where do I apply?", "where is the office?"])
    sim = m("sim", 0.80, "phone", ["Where do I buy a SIM card?", "SIM card where?"])
    text = "where can I exchange my driving licence?"
    ranked = match.facet_preferred(text, [documents, where])
    assert [r.entry_id for r in ranked] == ["where", "documents"]
    assert ranked[0].score == 0.84
    assert match.facet_decides(text, ranked) == ranked[0]
    # not asked by the text: the order stays, and a stranger within the margin leaves it ambiguous
    assert match.facet_preferred("tell me about licences", [documents, where]) == [documents, where]
    assert match.facet_decides(text, [replace(where, score=0.84), sim]) is None
