"""The questions-and-answers development sets (faq_dev.tsv, faq_dev2.tsv, faq_dev3.tsv): well-formed, in nine languages, covering the entries, and
kept apart from both the entries' sample questions (tuning on it must not turn it into training data)
and the held-out set (which must stay unseen)."""

from __future__ import annotations

import difflib
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import faq  # noqa: E402

from bot.core.languages import CODES  # noqa: E402


def normal(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", text)


def close(a: str, b: str, ratio: float) -> bool:
    return difflib.SequenceMatcher(None, normal(a), normal(b)).ratio() >= ratio


DEV_SETS = pytest.mark.parametrize("path", faq.DEV_SETS, ids=lambda p: p.name)


@DEV_SETS
def test_the_development_set_is_marked_and_covers_nine_languages_and_the_entries(
    path: Path,
) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert "DEVELOPMENT set" in header and "NOT a held-out set" in header
    rows = faq.heldout(path)
    ids = {e["id"] for e in faq.real_entries()}
    langs = Counter(lang for lang, _, _ in rows)
    assert set(langs) == set(CODES), langs
    assert min(langs.values()) >= 14, langs
    assert all(expected in ids or expected == "none" for *_, expected in rows)
    covered = {expected for *_, expected in rows}
    assert len(covered & ids) >= 0.9 * len(ids), sorted(ids - covered)
    assert sum(1 for *_, e in rows if e == "none") >= len(CODES)  # questions no entry answers


@DEV_SETS
def test_no_development_question_is_a_sample_question_of_an_entry(path: Path) -> None:
    samples = [q for entry in faq.real_entries() for qs in entry["questions"].values() for q in qs]
    copied = [
        question
        for _, question, _ in faq.heldout(path)
        if any(close(question, sample, 0.85) for sample in samples)
    ]
    assert not copied, copied


@DEV_SETS
def test_no_development_question_is_close_to_a_held_out_question(path: Path) -> None:
    held_out = [question for _, question, _ in faq.heldout(faq.HELDOUT)]
    near = [
        question
        for _, question, _ in faq.heldout(path)
        if any(close(question, other, 0.8) for other in held_out)
    ]
    assert not near, near  # only the development lines are named, never the held-out ones


def test_the_second_development_set_is_not_a_rewording_of_the_first() -> None:
    first = [question for _, question, _ in faq.heldout(faq.DEV)]
    near = [
        question
        for _, question, _ in faq.heldout(faq.DEV2)
        if any(close(question, other, 0.8) for other in first)
    ]
    assert not near, near


def test_the_third_development_set_is_not_a_rewording_of_the_first_two() -> None:
    earlier = [question for path in (faq.DEV, faq.DEV2) for _, question, _ in faq.heldout(path)]
    near = [
        question
        for _, question, _ in faq.heldout(faq.DEV3)
        if any(close(question, other, 0.8) for other in earlier)
    ]
    assert not near, near
