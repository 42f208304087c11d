"""Word lists for reply-language detection, built from the training data and hand-written lists.

    .venv/bin/python -m bot.dialogue.language_words        # rewrites bot/dialogue/language_data/words.yml

`bot/dialogue/language_data/lists.yml` is written by hand: Japanese words written only in kanji, characters and
particles that only (simplified) Chinese uses, and extra Latin-script words per language.
`bot/dialogue/language_data/words.yml` is generated from it and from `data/nlu`:

- `ja_kanji`: kanji-only runs of the Japanese training examples (between kana and punctuation, 2-6
  characters) that never occur in a Chinese example, hold no Chinese-only character and at least one
  character that simplified Chinese does not write (a Japanese form such as 険, 際, 歯, 許: rare in
  jieba's dictionary of simplified Chinese, under 1,000 in its summed word frequencies), plus the hand
  list (words such as 病院 whose characters Chinese also uses);
- `latin`: for en, fr, de and es, the words of that language's training examples (3+ letters, no digits)
  that the other three languages' examples do not use. A word used by two or three of them is listed
  for each (bot.language splits its weight, and counts these words half as much as its hand-written
  markers and the `latin` lists of lists.yml, which decide alone when they know a word).

Run it again after the training data changes; the generated file is committed so the assistant does not
read `data/` at run time.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.core.languages import LATIN

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(__file__).with_name("language_data")
LISTS = DATA_DIR / "lists.yml"
WORDS = DATA_DIR / "words.yml"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ANNOTATION = re.compile(r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)")
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿœß]+(?:'[a-zà-öø-ÿœß]+)*", re.IGNORECASE)


def _examples(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append(_ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line[2:]))
    return out


def _root_language(text: str) -> str | None:
    """zh for Han text; for Latin text the one language whose hand-written markers it uses most."""
    from bot.dialogue.language import MARKERS

    if _HAN_RUN.search(text):
        return "zh"
    words = set(_LATIN_WORD.findall(text.lower()))
    hits = sorted(((len(words & MARKERS[lang]), lang) for lang in LATIN), reverse=True)
    return hits[0][1] if hits[0][0] > hits[1][0] else None


def training_examples(data_dir: Path = ROOT / "data" / "nlu") -> dict[str, list[str]]:
    """Examples by language: data/nlu/<lang>/*.yml, and data/nlu/*.yml (English and Chinese, with a
    few examples in other languages) sorted by `_root_language` (undecided ones are left out)."""
    by_lang: dict[str, list[str]] = defaultdict(list)
    for path in sorted(data_dir.glob("*.yml")):
        for text in _examples(path):
            lang = _root_language(text)
            if lang:
                by_lang[lang].append(text)
    for path in sorted(data_dir.glob("*/*.yml")):
        by_lang[path.parent.name] += _examples(path)
    return by_lang


RARE_IN_SIMPLIFIED = 1000


def simplified_char_frequency() -> dict[str, int]:
    """Each character's summed word frequency in jieba's dictionary (simplified Chinese)."""
    import jieba

    counts: dict[str, int] = defaultdict(int)
    path = Path(jieba.__file__).with_name("dict.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            for ch in parts[0]:
                counts[ch] += int(parts[1])
    return counts


def load_lists(path: Path = LISTS) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def build(data_dir: Path = ROOT / "data" / "nlu", lists_path: Path = LISTS) -> dict[str, Any]:
    lists = load_lists(lists_path)
    examples = training_examples(data_dir)
    zh_text = "\n".join(examples.get("zh", []))
    zh_only = set(lists.get("zh_chars", ""))
    common = simplified_char_frequency()
    ja = set(lists.get("ja_kanji_words") or [])
    for text in examples.get("ja", []):
        for run in _HAN_RUN.findall(text):
            chars = set(run)
            if (
                2 <= len(run) <= 6
                and run not in zh_text
                and not zh_only & chars
                and any(common.get(ch, 0) < RARE_IN_SIMPLIFIED for ch in chars)
            ):
                ja.add(run)
    owners: dict[str, set[str]] = defaultdict(set)
    for lang in LATIN:
        for text in examples.get(lang, []):
            if _HAN_RUN.search(text) or _KANA.search(text):
                continue
            for word in _LATIN_WORD.findall(text.lower()):
                if len(word) >= 3:
                    owners[word].add(lang)
    latin: dict[str, set[str]] = {lang: set() for lang in LATIN}
    for word, langs in owners.items():
        if len(langs) < len(LATIN):
            for lang in langs:
                latin[lang].add(word)
    return {
        "ja_kanji": sorted(ja),
        "latin": {lang: " ".join(sorted(words)) for lang, words in latin.items()},
    }


def main() -> None:
    built = build()
    header = (
        "# Generated by `python -m bot.dialogue.language_words` from data/nlu and bot/dialogue/language_data/lists.yml.\n"
        "# Do not edit: edit lists.yml or the training data and run it again.\n"
    )
    WORDS.write_text(
        header + yaml.safe_dump(built, allow_unicode=True, sort_keys=True, width=100),
        encoding="utf-8",
    )
    print(
        f"{WORDS}: {len(built['ja_kanji'])} Japanese kanji words; "
        + ", ".join(f"{k} {len(v.split())}" for k, v in built["latin"].items())
    )


if __name__ == "__main__":
    main()
