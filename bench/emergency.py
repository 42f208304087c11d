"""Emergency detection on the held-out emergency set, through the trained model and the safety layer.

    .venv/bin/python bench/emergency.py [--model models/current.tar.gz] [--set bench/data/emergencies.tsv]

Every message of bench/data/emergencies.tsv is parsed by the trained Rasa model (tokenizer, classifier,
safety layer: the whole NLU pipeline, as the server runs it). A message raises the alarm when its final
intent is `emergency`. For each caught emergency the emergency answer is built as the action builds it
(with the parse's entities) and the first emergency number in its first reply is compared with the
number the set expects first. Prints per language: emergencies caught, right number first, and false
alarms on the look-alikes; then every miss. Needs the knowledge base (`beijing-assistant sync`); without
it the answer is the locale's fallback line.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
import logging
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import languages  # noqa: E402

NUMBER = re.compile(r"(?<!\d)(110|119|120|122)(?!\d)")


def load_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def first_number(parse: dict[str, Any], lang: str) -> str | None:
    """The first emergency number of the emergency answer the action would send for this parse."""
    from bot.dialogue import answers

    entities = {e["entity"]: e["value"] for e in parse.get("entities") or []}
    kwargs: dict[str, Any] = {"lang": lang}
    if "emergency_type" in inspect.signature(answers.emergency_answer).parameters:
        kwargs["emergency_type"] = entities.get("emergency_type")
    answer = answers.emergency_answer(entities.get("district"), None, **kwargs)
    match = NUMBER.search(answer.replies[0].text) if answer.replies else None
    return match.group(1) if match else None


async def run(model: Path, rows: list[dict[str, str]]) -> None:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: list[str] = []
    for row in rows:
        lang, kind, text = row["lang"], row["kind"], row["text"]
        parse = await agent.parse_message(text)
        intent = (parse.get("intent") or {}).get("name")
        alarm = intent == "emergency"
        s = stats[lang]
        if kind == "emergency":
            s["emergencies"] += 1
            expected = row["expect"].split()[0]
            if not alarm:
                misses.append(f"  MISSED     {lang} [{row['category']}] {text!r} -> {intent}")
                continue
            s["caught"] += 1
            got = first_number(parse, lang)
            if got == expected:
                s["right_first"] += 1
            else:
                misses.append(
                    f"  WRONG No.  {lang} [{row['category']}] {text!r}: {got}, expected {expected}"
                )
        else:
            s["lookalikes"] += 1
            if alarm:
                s["false_alarms"] += 1
                misses.append(f"  FALSE ALARM {lang} [{row['category']}] {text!r}")
    print(f"Emergency set: {len(rows)} messages, model {model}")
    header = f"{'lang':<6}{'emergencies':>12}{'caught':>9}{'right No. first':>17}{'look-alikes':>13}{'false alarms':>14}"
    print(header)
    total: dict[str, int] = defaultdict(int)
    for lang in languages.CODES:
        s = stats.get(lang)
        if not s:
            continue
        for k, v in s.items():
            total[k] += v
        print(_line(lang, s))
    print(_line("all", total))
    if misses:
        print("\nMisses:")
        print("\n".join(misses))


def _line(lang: str, s: dict[str, int]) -> str:
    e, la = s["emergencies"] or 1, s["lookalikes"] or 1
    return (
        f"{lang:<6}{s['emergencies']:>12}{s['caught'] / e:>9.1%}{s['right_first'] / e:>17.1%}"
        f"{s['lookalikes']:>13}{s['false_alarms'] / la:>14.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--set", type=Path, default=ROOT / "bench" / "data" / "emergencies.tsv")
    args = parser.parse_args()
    asyncio.run(run(args.model, load_set(args.set)))


if __name__ == "__main__":
    main()
