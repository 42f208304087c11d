"""Intent accuracy on the held-out set of messages written as users write them, per language.

    .venv/bin/python bench/nlu_heldout.py [--model models/current.tar.gz] [--errors] [--json out.json]
    .venv/bin/python bench/nlu_heldout.py --check-overlap     # only the overlap check, no model

The set is bench/data/nlu_heldout.tsv (lang, intent, text), written before any tuning and never
trained on (bench/data/README.md says how it was made). The trained model parses every message
directly, as the server's message processor does (no server, no network). A message counts as right
when the model's intent is its label; the fallback (`nlu_fallback`, the "did you mean" buttons)
counts as a miss except for `out_of_scope` messages, where not guessing is the right outcome.

Before parsing, every held-out text is compared with every training example under data/nlu
(case, accents, punctuation and spaces ignored; near-duplicates by difflib ratio >= 0.9): any overlap
is printed and makes the script exit with status 1, because such a line measures memory, not
understanding.

Targets (printed, not asserted): >= 95 % overall and >= 90 % in every language.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import difflib
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import languages  # noqa: E402

HELDOUT = ROOT / "bench" / "data" / "nlu_heldout.tsv"
LANGS = languages.CODES
TARGET_ALL = 0.95
TARGET_LANG = 0.90
_ANNOTATION = re.compile(r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)")


def load_heldout(path: Path = HELDOUT) -> list[tuple[str, str, str]]:
    """(lang, intent, text) rows of the held-out set (or of a set in its format; `#` lines are comments)."""
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]  # comment header (dev set)
    return [
        (row["lang"], row["intent"], row["text"])
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


def normalise(text: str) -> str:
    """Case, accents, punctuation and spaces removed: what an overlap check should ignore."""
    text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(
        ch
        for ch in decomposed
        if unicodedata.category(ch)[0] in "LN"  # letters and digits only
    )


def training_texts() -> list[str]:
    """Every intent example under data/nlu, read as plain YAML lines (no Rasa import needed)."""
    texts = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("- ") and not stripped.startswith("- intent:"):
                texts.append(stripped[2:])
    return texts


def overlaps(
    heldout: list[tuple[str, str, str]], training: list[str], ratio: float = 0.9
) -> list[tuple[str, str, float]]:
    """(held-out text, training text, similarity) for exact or near-duplicate pairs."""
    train = {normalise(t): t for t in training}
    train_norm = [n for n in train if n]
    found = []
    for _, _, text in heldout:
        norm = normalise(text)
        if not norm:
            continue
        if norm in train:
            found.append((text, train[norm], 1.0))
            continue
        matcher = difflib.SequenceMatcher(None, "", norm, autojunk=False)  # b is cached
        best: tuple[float, str] = (0.0, "")
        for candidate in train_norm:
            # Cheap upper bounds first: the length ratio, then character multiset overlap.
            if 2 * min(len(norm), len(candidate)) / (len(norm) + len(candidate)) < ratio:
                continue
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() < ratio or matcher.quick_ratio() < ratio:
                continue
            score = matcher.ratio()
            if score > best[0]:
                best = (score, candidate)
        if best[0] >= ratio:
            found.append((text, train[best[1]], best[0]))
    return found


def correct(gold: str, predicted: str) -> bool:
    """The fallback is a miss, except for an out-of-scope message (not guessing is right there)."""
    return predicted == gold or (gold == "out_of_scope" and predicted == "nlu_fallback")


async def parse_all(model: Path, rows: list[tuple[str, str, str]]) -> list[dict]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot.rasa_ext import speedups

    configure_structlog(logging.WARNING)
    speedups.install()
    agent = Agent.load(str(model))
    out = []
    for lang, gold, text in rows:
        parsed = await agent.parse_message(text)
        ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        out.append(
            {
                "lang": lang,
                "gold": gold,
                "text": text,
                "predicted": parsed["intent"]["name"],
                "best_guess": ranking[0]["name"] if ranking else None,
                "confidence": float(ranking[0]["confidence"]) if ranking else 0.0,
            }
        )
    return out


def report(results: list[dict]) -> dict:
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_lang[r["lang"]].append(r)
    table = {}
    for lang in [*LANGS, *sorted(set(by_lang) - set(LANGS))]:
        items = by_lang.get(lang)
        if not items:
            continue
        table[lang] = {
            "n": len(items),
            "accuracy": sum(correct(r["gold"], r["predicted"]) for r in items) / len(items),
            "fallback": sum(r["predicted"] == "nlu_fallback" for r in items) / len(items),
            "top_guess": sum(r["best_guess"] == r["gold"] for r in items) / len(items),
        }
    table["all"] = {
        "n": len(results),
        "accuracy": sum(correct(r["gold"], r["predicted"]) for r in results) / len(results),
        "fallback": sum(r["predicted"] == "nlu_fallback" for r in results) / len(results),
        "top_guess": sum(r["best_guess"] == r["gold"] for r in results) / len(results),
    }
    return table


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument("--data", default=str(HELDOUT))
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument("--json", help="also write the per-language table and misses here")
    parser.add_argument(
        "--check-overlap", action="store_true", help="only check overlap with data/nlu"
    )
    args = parser.parse_args()

    rows = load_heldout(Path(args.data))
    dupes = overlaps(rows, training_texts())
    for text, train, score in dupes:
        print(f"OVERLAP {score:.2f}: {text!r} ~ training {train!r}")
    print(f"overlap with data/nlu: {len(dupes)} of {len(rows)} held-out messages")
    if args.check_overlap or dupes:
        return 1 if dupes else 0

    results = asyncio.run(parse_all(Path(args.model), rows))
    table = report(results)
    print(f"\nHeld-out intent accuracy ({args.data}; fallback = miss except for out_of_scope)")
    print(f"{'lang':<5} {'n':>4} {'accuracy':>9} {'fallback':>9} {'top guess':>10}  target")
    for lang, m in table.items():
        target = TARGET_ALL if lang == "all" else TARGET_LANG
        verdict = "ok" if m["accuracy"] >= target else f"below {target:.0%}"
        print(
            f"{lang:<5} {m['n']:>4} {m['accuracy']:>9.3f} {m['fallback']:>9.3f} "
            f"{m['top_guess']:>10.3f}  {verdict}"
        )
    misses = [r for r in results if not correct(r["gold"], r["predicted"])]
    confusion = Counter((r["gold"], r["predicted"]) for r in misses)
    print(f"\nConfusions ({len(misses)} misses): gold -> predicted, count")
    for (gold, predicted), count in confusion.most_common(25):
        print(f"  {gold:<28} -> {predicted:<28} {count}")
    if args.errors:
        print("\nMisses:")
        for r in misses:
            print(
                f"  [{r['lang']}] {r['gold']} -> {r['predicted']} "
                f"(guess {r['best_guess']} {r['confidence']:.2f}): {r['text']}"
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"table": table, "misses": misses}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
