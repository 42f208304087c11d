"""Does the assistant answer the question that was asked? (issue 13) Held-out set, over the REST channel.

    .venv/bin/python bench/answers.py                       # starts Rasa + action server on free ports
    .venv/bin/python bench/answers.py --url http://127.0.0.1:5005   # or uses a running assistant
    .venv/bin/python bench/answers.py --verbose             # also prints every miss (first 200 characters)
                                                            # and every turn over 700 characters
    .venv/bin/python bench/answers.py --check               # only check the set against knowledge/

The set is bench/data/answers_heldout.yml (how it was made is written at its top; never train on it). Each
question is sent in a fresh conversation; each script turn by turn in one conversation. A turn is right when every
expected string appears in the reply (all bot messages of the turn joined), ignoring case, spaces, hyphens, dashes
(also the range marks ~, ～ and 〜 of Japanese and Korean texts) and commas, so "+86-10 5927 7000" matches "5927 7000",
"CNY 1,000" matches "1000" and "5～10年" matches "5-10". Before anything is sent, every expected string is looked up in
knowledge/*.yml and knowledge/translations/ with the same normalisation, and the run stops if one is missing.

`expect: decline` items (facts the knowledge base does not hold) pass when the reply contains the catalogue text of
one of the set's `decline_keys` in the question's language and the turn is at most `decline_max_chars` long; they
are counted apart from the fact items. Keys missing from bot/locales/ are reported. A decline item may also name
the human channel the reply must give (`channel:`, a list like `expect:`; e.g. 12367 for an exit-entry hall, the
school's own phone): every item must then appear in the reply as well, and is checked against knowledge/ like a fact.
Any item may list `absent:` strings that must NOT be in the reply (compared like expected strings; e.g. a duplicated
"бесплатно (бесплатно"); they are not looked up in knowledge/.

Prints the share right per language and overall (questions; script turns; whole scripts; declines), the same for
questions and turns when the fact must be in the turn's first 700 characters (issue 13: the answer leads with the
fact and a turn stays under about 700 characters), and the median and maximum characters per turn over every turn.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from tabulate import tabulate  # noqa: E402

from bot.core import languages  # noqa: E402

SET = ROOT / "bench" / "data" / "answers_heldout.yml"
LANGS = languages.CODES
# Range marks count as dashes: Japanese and Korean answers write "5～10年", "09:00~17:00" where English has "5-10".
_IGNORED = re.compile(r"[\s\-‐‑‒–—―,~～〜]+")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Thousands separators: "1,000"; and "1 500" / "1.500" (Russian, French, German: a space, a no-break
# space or a dot before exactly three digits).
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})|(?<=\d)[.\u00a0\u202f ](?=\d{3}(?!\d))")
LEAD_CHARS = 700  # issue 13: an answer turn stays under about 700 characters before "More details"


def norm(text: str) -> str:
    """What a comparison ignores: case, whitespace, hyphens and dashes, commas."""
    return _IGNORED.sub("", text).casefold()


def contains(haystack: str, needle: str) -> bool:
    """`needle` in `haystack` after `norm`; a bare number ("7", "400") only as a whole number, so "7" does not
    match "17:00" or "2017" and "400" does not match "4000" ("1,000", "1 500" and "1.500" still match "1000"
    and "1500")."""
    if needle.strip().isdigit():
        plain = _THOUSANDS.sub("", haystack)
        return re.search(rf"(?<!\d){needle.strip()}(?!\d)", plain) is not None
    return norm(needle) in norm(haystack)


def alternatives(item: str | list[str]) -> list[str]:
    return [item] if isinstance(item, str) else [str(x) for x in item]


def load_set(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for q in data["questions"]:
        assert q["lang"] in LANGS, f"{q['id']}: unknown language {q['lang']}"
    for s in data["scripts"]:
        assert s["lang"] in LANGS, f"{s['id']}: unknown language {s['lang']}"
        assert 2 <= len(s["turns"]) <= 3, f"{s['id']}: a script has two or three turns"
    return data


def check_against_knowledge(data: dict[str, Any]) -> None:
    """Every expected string must be in knowledge/*.yml or its translations (knowledge/translations/, which a
    reply in that language shows); stop loudly otherwise."""
    corpus = "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(
            [
                *(ROOT / "knowledge").glob("*.yml"),
                *(ROOT / "knowledge").glob("translations/*/*.yml"),
            ]
        )
    )
    missing = []
    items = [(q["id"], q["expect"]) for q in data["questions"]]
    items += [
        (f"{s['id']} turn {i + 1}", t["expect"])
        for s in data["scripts"]
        for i, t in enumerate(s["turns"])
    ]
    # the human channel a decline must give (optional) is a fact of the knowledge base too
    items += [(f"{q['id']} channel", q["channel"]) for q in data["questions"] if q.get("channel")]
    items += [
        (f"{s['id']} turn {i + 1} channel", t["channel"])
        for s in data["scripts"]
        for i, t in enumerate(s["turns"])
        if t.get("channel")
    ]
    for ident, expect in items:
        if expect == "decline":
            continue
        assert isinstance(expect, list) and expect, (
            f"{ident}: expect is a non-empty list or 'decline'"
        )
        for item in expect:
            alts = alternatives(item)
            if not any(contains(corpus, a) for a in alts):
                missing.append(f"{ident}: {alts}")
    if missing:
        sys.exit(
            "error: expected facts not found in knowledge/*.yml (the set may only expect facts the knowledge "
            "base holds):\n  " + "\n  ".join(missing)
        )


def decline_texts(keys: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Per language, the literal fragments of the decline keys' texts; and the keys found nowhere."""
    yaml = YAML(typ="safe")
    texts: dict[str, list[str]] = {}
    found: set[str] = set()
    for lang in LANGS:
        messages = yaml.load((ROOT / "bot" / "locales" / f"{lang}.yml").read_text("utf-8"))[
            "messages"
        ]
        texts[lang] = []
        for key in keys:
            if key in messages:
                found.add(key)
                parts = [p for p in _PLACEHOLDER.split(str(messages[key])) if norm(p)]
                texts[lang].append(max(parts, key=len))
    return texts, [k for k in keys if k not in found]


@dataclass
class Turn:
    lang: str
    expect: Any
    reply: str = ""
    channel: list[Any] | None = None  # decline items: the human channels the reply must also give
    absent: list[str] | None = (
        None  # strings that must not be in the reply (e.g. a duplicated word)
    )

    def right(self, declines: dict[str, list[str]], decline_max: int, within: int = 0) -> bool:
        """Every expected item in the reply (in its first `within` characters when given)."""
        reply = self.reply[:within] if within else self.reply
        if any(contains(self.reply, a) for a in self.absent or []):
            return False
        if self.expect == "decline":
            return (
                len(self.reply) <= decline_max
                and any(contains(reply, t) for t in declines[self.lang])
                and all(
                    any(contains(reply, a) for a in alternatives(c)) for c in self.channel or []
                )
            )
        return all(any(contains(reply, a) for a in alternatives(e)) for e in self.expect)


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def __str__(self) -> str:
        if not self.total:
            return "-"
        return f"{100 * self.right / self.total:.0f}% ({self.right}/{self.total})"


@dataclass
class Results:
    questions: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    questions_lead: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    turns_lead: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    declines: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    turns: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    scripts: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    lengths: list[int] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    long: list[str] = field(default_factory=list)  # turns over LEAD_CHARS (printed with --verbose)


class Assistant:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"

    def say(self, sender: str, text: str) -> str:
        response = requests.post(self.url, json={"sender": sender, "message": text}, timeout=120)
        response.raise_for_status()
        return "\n".join(m.get("text", "") for m in response.json() if m.get("text"))


def run(data: dict[str, Any], bot: Assistant, verbose: bool) -> Results:
    declines, absent = decline_texts(list(data.get("decline_keys") or []))
    if absent:
        print(f"note: decline keys not in bot/locales yet: {', '.join(absent)}")
    decline_max = int(data.get("decline_max_chars", 700))
    res = Results()
    run_id = uuid.uuid4().hex[:8]

    def miss(ident: str, turn: Turn, text: str) -> None:
        flat = " ".join(turn.reply.split())
        res.misses.append(
            f"{ident} [{turn.lang}] {text!r}\n    expected {turn.expect}"
            f"{f' with {turn.channel}' if turn.channel else ''}"
            f"{f' without {turn.absent}' if turn.absent else ''}; got: {flat[:200]}"
        )

    def measure(ident: str, turn: Turn, text: str) -> None:
        res.lengths.append(len(turn.reply))
        if len(turn.reply) > LEAD_CHARS:
            flat = " ".join(turn.reply.split())
            res.long.append(f"{ident} [{turn.lang}] {len(turn.reply)} chars {text!r}: {flat[:120]}")

    for q in data["questions"]:
        turn = Turn(
            q["lang"],
            q["expect"],
            bot.say(f"bench-answers-{run_id}-{q['id']}", q["text"]),
            q.get("channel"),
            q.get("absent"),
        )
        measure(q["id"], turn, q["text"])
        ok = turn.right(declines, decline_max)
        if q["expect"] == "decline":
            res.declines[q["lang"]].add(ok)
        else:
            res.questions[q["lang"]].add(ok)
            res.questions_lead[q["lang"]].add(turn.right(declines, decline_max, LEAD_CHARS))
        if not ok:
            miss(q["id"], turn, q["text"])
    for s in data["scripts"]:
        sender = f"bench-answers-{run_id}-{s['id']}"
        whole = True
        for i, t in enumerate(s["turns"]):
            turn = Turn(
                s["lang"],
                t["expect"],
                bot.say(sender, t["text"]),
                t.get("channel"),
                t.get("absent"),
            )
            measure(f"{s['id']} turn {i + 1}", turn, t["text"])
            ok = turn.right(declines, decline_max)
            res.turns[s["lang"]].add(ok)
            res.turns_lead[s["lang"]].add(turn.right(declines, decline_max, LEAD_CHARS))
            whole &= ok
            if not ok:
                miss(f"{s['id']} turn {i + 1}", turn, t["text"])
        res.scripts[s["lang"]].add(whole)
    if verbose:
        print("\nMisses:")
        for m in res.misses:
            print(m)
        print(f"\nTurns over {LEAD_CHARS} characters:")
        for m in res.long:
            print(m)
    return res


def overall(tallies: dict[str, Tally]) -> Tally:
    return Tally(sum(t.right for t in tallies.values()), sum(t.total for t in tallies.values()))


def report(res: Results) -> None:
    columns = [
        res.questions,
        res.questions_lead,
        res.turns,
        res.turns_lead,
        res.scripts,
        res.declines,
    ]
    rows = [[lang, *(c[lang] for c in columns)] for lang in LANGS]
    rows.append(["all", *(overall(c) for c in columns)])
    headers = [
        "lang",
        "questions",
        f"(fact in first {LEAD_CHARS})",
        "script turns",
        f"(fact in first {LEAD_CHARS})",
        "whole scripts",
        "declines",
    ]
    print("\nShare answered with the right fact:")
    print(tabulate(rows, headers=headers))
    print(
        f"\ncharacters per turn (all replies of a turn summed, {len(res.lengths)} turns): "
        f"median {statistics.median(res.lengths):.0f}, max {max(res.lengths)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running assistant (default: start one on free ports)")
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument(
        "--verbose", action="store_true", help="print misses with the reply's start"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check the set against knowledge/"
    )
    args = parser.parse_args()

    data = load_set(args.set)
    check_against_knowledge(data)
    n_turns = sum(len(s["turns"]) for s in data["scripts"])
    print(
        f"set: {len(data['questions'])} questions, {len(data['scripts'])} scripts ({n_turns} turns); "
        "every expected fact is in knowledge/"
    )
    if args.check:
        return 0
    if args.url:
        report(run(data, Assistant(args.url), args.verbose))
        return 0

    sys.path.insert(0, str(ROOT / "tests"))
    from servers import MODEL, assistant_env, free_port  # the same set-up the end-to-end tests use

    from bot.runtime import serve

    with tempfile.TemporaryDirectory(prefix="bench-answers-") as tmp:
        env = assistant_env(Path(tmp))
        print("starting the Rasa and action servers ...", flush=True)
        servers = serve.start(
            MODEL,
            rasa_port=free_port(),
            actions_port=free_port(),
            env=env,
            log_dir=Path(tmp) / "logs",
        )
        try:
            report(run(data, Assistant(servers.rasa_url), args.verbose))
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
