"""The issue-13 held-out set (bench/data/answers_heldout.yml) stays answerable from knowledge/, and its matcher
compares facts the way bench/answers.py documents (no servers needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# bench/ is not a package: load the script under its own name, without putting bench/ on sys.path.
_spec = importlib.util.spec_from_file_location("bench_answers", ROOT / "bench" / "answers.py")
assert _spec and _spec.loader
answers = importlib.util.module_from_spec(_spec)
sys.modules["bench_answers"] = answers
_spec.loader.exec_module(answers)


def test_every_expected_fact_is_in_the_knowledge_base() -> None:
    data = answers.load_set(answers.SET)
    answers.check_against_knowledge(data)  # exits with the missing facts listed otherwise
    facts = [q for q in data["questions"] if q["expect"] != "decline"]
    assert len(facts) >= 100 and len(data["scripts"]) >= 40
    for lang in answers.LANGS:
        assert sum(q["lang"] == lang for q in facts) >= 8, lang


def test_a_fact_missing_from_knowledge_stops_the_run() -> None:
    data = {"questions": [{"id": "x", "lang": "en", "expect": ["安定门东街9号"]}], "scripts": []}
    with pytest.raises(SystemExit, match="安定门东街9号"):
        answers.check_against_knowledge(data)


@pytest.mark.parametrize(
    ("reply", "fact", "found"),
    [
        ("Phone: +86-10 5927 7000", "5927 7000", True),
        ("CNY 1,000 per applicant", "1000", True),
        ("CNY 4000", "400", False),
        ("1 500 юаней (с человека)", "1500", True),
        ("1\u202f500 yuans", "1500", True),
        ("1.500 Yuan (pro Person)", "1500", True),
        ("1 400 yuans", "400", False),
        ("Mon-Sat 09:00–17:00", "7", False),
        ("Usually 7 working days", "7", True),
        ("aged 18-70", "70", True),
        ("OASIS International Hospital", "oasis", True),
    ],
)
def test_matching(reply: str, fact: str, found: bool) -> None:
    assert answers.contains(reply, fact) is found
