"""Reply-language detection on short chat messages: bot.dialogue.language vs raw langdetect.

    .venv/bin/python bench/language_detection.py [bench/data/short_messages.tsv]

Prints accuracy per language for `bot.dialogue.language.detect_language(text)` (no conversation language, so an
undecided message counts as English) and for raw langdetect (fixed seed, all its languages, zh-cn/zh-tw
counted as zh), and lists the detector's misses on that (development) set.

Then the held-out short-message set bench/data/language_heldout.tsv (written before tuning, never used
for the word lists): each message with the conversation's language before it (`current`: chosen by the
user or hinted by the channel; empty for a first message), scored as `detect_language(text, current)`; only its
shares are printed, never its messages.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langdetect import DetectorFactory, detect  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402

from bot.core import languages  # noqa: E402
from bot.dialogue.language import detect_language  # noqa: E402


def raw_langdetect(text: str) -> str:
    DetectorFactory.seed = 0
    try:
        code = detect(text)
    except LangDetectException:
        return "?"
    return "zh" if code.startswith("zh") else code


HELDOUT = ROOT / "bench" / "data" / "language_heldout.tsv"


def heldout(path: Path = HELDOUT) -> None:
    """Accuracy on the held-out short messages, with the conversation's language where there is one."""
    with path.open(encoding="utf-8") as fh:
        rows = [
            (r["lang"], r["current"] or None, r["text"]) for r in csv.DictReader(fh, delimiter="\t")
        ]
    ours: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for lang, current, text in rows:
        got = detect_language(text, current)
        ours[lang].append(got == lang)
        if got != lang:
            misses.append((lang, current, got, text))
    print(f"\nHeld-out short messages with the conversation's language ({path.name}, {len(rows)})")
    print(f"{'lang':<6}{'n':>5}{'bot.language':>14}")
    for lang in languages.CODES:
        if ours[lang]:
            n = len(ours[lang])
            print(f"{lang:<6}{n:>5}{sum(ours[lang]) / n:>14.1%}")
    total = sum(sum(v) for v in ours.values()) / len(rows)
    print(f"{'all':<6}{len(rows):>5}{total:>14.1%}")
    # The held-out messages themselves are never printed: reading them would tune on them.
    print(f"({len(misses)} misses; the held-out messages are not printed)")


def main() -> None:
    path = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "data" / "short_messages.tsv"
    )
    with path.open(encoding="utf-8") as fh:
        rows = [(r["lang"], r["text"]) for r in csv.DictReader(fh, delimiter="\t")]
    ours: dict[str, list[bool]] = defaultdict(list)
    raw: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for lang, text in rows:
        got = detect_language(text)
        ours[lang].append(got == lang)
        raw[lang].append(raw_langdetect(text) == lang)
        if got != lang:
            misses.append((lang, got, text))
    print(f"Language detection on {len(rows)} short chat messages ({path.name})")
    print(f"{'lang':<6}{'n':>5}{'bot.language':>14}{'raw langdetect':>16}")
    for lang in sorted(ours):
        n = len(ours[lang])
        print(f"{lang:<6}{n:>5}{sum(ours[lang]) / n:>14.1%}{sum(raw[lang]) / n:>16.1%}")
    total = len(rows)
    all_ours = sum(sum(v) for v in ours.values()) / total
    all_raw = sum(sum(v) for v in raw.values()) / total
    print(f"{'all':<6}{total:>5}{all_ours:>14.1%}{all_raw:>16.1%}")
    if misses:
        print("\nMisses (expected -> got: text):")
        for lang, got, text in misses:
            print(f"  {lang} -> {got}: {text}")
    if len(sys.argv) <= 1:
        heldout()


if __name__ == "__main__":
    main()
