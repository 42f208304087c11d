"""Questions-and-answers benchmark: held-out accuracy across nine languages, and lookup latency.

    .venv/bin/python bench/faq.py                # held-out shares + latency at 1,000 and 10,000 entries
    .venv/bin/python bench/faq.py --calibrate    # choose the threshold (dev data only), write calibration.json
    .venv/bin/python bench/faq.py --no-latency   # accuracy only

Held-out set: bench/data/faq_heldout.tsv (90 questions, 10 per language, written before any retrieval code
and never used to choose anything). Each question is answered (score >= threshold) with the right entry,
with a wrong entry (or answered although no entry fits: label `none`), or declined (the assistant offers
the closest entries instead).

Calibration (never the held-out set): every sample question of every entry, searched against the index
without that question (leave-one-out), must find its own entry; the out-of-scope examples of the NLU
training data (data/nlu/**, intent out_of_scope, nine languages) must find none. The threshold maximises
right - 3 x wrong on that dev set.

Latency: synthetic entries (8 texts each, random unit vectors) in a temporary SQLite knowledge base; a
lookup is what the assistant does per message: the publish check (2 queries), encoding the message, and
the search. The encoding does not depend on the number of entries; the search does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.core import vocab  # noqa: E402
from bot.faq import encoder, index, match  # noqa: E402
from bot.faq.vectors import entry_texts, to_bytes  # noqa: E402
from bot.knowledge import db, loader  # noqa: E402
from bot.knowledge.kinds.faq import FaqEntry, FaqVector  # noqa: E402

HELDOUT = ROOT / "bench" / "data" / "faq_heldout.tsv"
PENALTY_WEIGHT_WRONG = 3


def real_entries() -> list[dict[str, Any]]:
    knowledge = loader.read_knowledge()
    if not knowledge.ok:
        sys.exit("knowledge/ has problems: run beijing-assistant validate")
    return [loader.diff.content(r) for r in knowledge.records["faq"]]


def real_index(entries: list[dict[str, Any]]) -> tuple[index.Index, list[Any]]:
    texts = [t for e in entries for t in entry_texts(e)]
    vectors = encoder.encode([t.text for t in texts])
    return index.Index.build(
        entries, {t.key: v for t, v in zip(texts, vectors, strict=True)}
    ), texts


def heldout() -> list[tuple[str, str, str]]:
    rows = []
    for line in HELDOUT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("lang\t"):
            continue
        lang, question, expected = line.split("\t")
        rows.append((lang, question, expected))
    return rows


# Intents whose actions may let an entry answer instead (see answers.faq_instead).
IN_TOPIC_INTENTS = (
    *vocab.PROCEDURE_TOPICS,
    "healthcare",
    "international_school",
    "find_service_point",
)


def out_of_scope_examples(intents: tuple[str, ...] = ("out_of_scope",)) -> list[str]:
    out = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if item.get("intent") in intents:
                out += [x[2:].strip() for x in item["examples"].splitlines() if x.startswith("- ")]
    return out


def outcome(best: index.Match | None, expected: str, threshold: float) -> str:
    if best is None or best.score < threshold:
        return "declined"
    return "right" if best.entry_id == expected else "wrong"


def calibrate(idx: index.Index, texts: list[Any]) -> dict[str, Any]:
    """Leave-one-out over sample questions (positives) and NLU out-of-scope examples (negatives)."""
    dev: list[tuple[float, str, str]] = []  # (score, found id, expected id)
    rows = [i for i, t in enumerate(texts) if t.role == "question"]
    for i in rows:
        slot = idx.slots[i]
        saved_penalty, saved_count = idx.penalty[slot], idx.counts[slot // idx.width]
        idx.penalty[slot] = np.inf  # the question itself is not in the index
        idx.counts[slot // idx.width] = max(saved_count - 1, 1)
        best = idx.search(idx.matrix[slot].copy(), k=1)
        idx.penalty[slot], idx.counts[slot // idx.width] = saved_penalty, saved_count
        if best:
            dev.append((best[0].score, best[0].entry_id, texts[i].entry_id))
    negatives = out_of_scope_examples()
    for vector in encoder.encode(negatives):
        best = idx.search(vector, k=1)
        if best:
            dev.append((best[0].score, best[0].entry_id, "none"))
    results = []
    for thr in np.arange(0.30, 0.91, 0.01):
        counts = Counter(
            "declined" if s < thr else ("right" if f == e else "wrong") for s, f, e in dev
        )
        results.append(
            (counts["right"] - PENALTY_WEIGHT_WRONG * counts["wrong"], float(thr), counts)
        )
    _, thr, counts = max(results, key=lambda r: (r[0], -r[1]))
    n = len(dev)
    print(
        f"Calibration: {len(rows)} sample questions (leave-one-out) + {len(negatives)} out-of-scope "
        f"examples; threshold {thr:.2f}: right {counts['right'] / n:.1%}, wrong {counts['wrong'] / n:.1%}, "
        f"declined {counts['declined'] / n:.1%}"
    )
    # In a topic the topic's records come first: an entry answers instead only above every score but
    # the top 1 % that the topic intents' own training examples reach.
    topic_examples = out_of_scope_examples(IN_TOPIC_INTENTS)
    topic_scores = [idx.search(v, k=1)[0].score for v in encoder.encode(topic_examples)]
    in_topic = max(thr, float(np.percentile(topic_scores, 99)) + 0.01)
    print(
        f"In a topic: {len(topic_examples)} training examples of {', '.join(IN_TOPIC_INTENTS)}; "
        f"an entry answers instead from {in_topic:.2f}"
    )
    return {
        "threshold": round(thr, 2),
        "in_topic_threshold": round(in_topic, 2),
        "offer_floor": round(thr - 0.15, 2),
        "answer_penalty": index.ANSWER_PENALTY,
        "top": index.TOP,
        "dev": {
            "sample_questions": len(rows),
            "out_of_scope_examples": len(negatives),
            "right": counts["right"],
            "wrong": counts["wrong"],
            "declined": counts["declined"],
        },
        "note": "written by bench/faq.py --calibrate (entries' own questions and NLU training examples; never the held-out set)",
    }


def evaluate(idx: index.Index, threshold: float) -> None:
    rows = heldout()
    vectors = encoder.encode([q for _, q, _ in rows])
    by_lang: dict[str, Counter] = {}
    total: Counter = Counter()
    offered = 0
    mistakes = []
    for (lang, question, expected), vector in zip(rows, vectors, strict=True):
        top = idx.search(vector, k=match.OFFERED)
        result = outcome(top[0] if top else None, expected, threshold)
        total[result] += 1
        by_lang.setdefault(lang, Counter())[result] += 1
        if result == "declined" and expected in [m.entry_id for m in top]:
            offered += 1
        if result != "right" and not (result == "declined" and expected == "none"):
            found = f"{top[0].entry_id} {top[0].score:.2f}" if top else "-"
            mistakes.append(
                f"  {result:8} {lang} {question[:60]!r} expected {expected}, best {found}"
            )
    n = len(rows)
    answerable = sum(1 for *_, e in rows if e != "none")
    print(
        f"\nHeld-out set ({n} questions, {answerable} answerable, {n - answerable} 'none'), threshold {threshold:.2f}:"
    )
    # A declined 'none' question is the right outcome: count it as right.
    right = sum(
        1
        for (lang, q, e), v in zip(rows, vectors, strict=True)
        if outcome((idx.search(v, k=1) or [None])[0], e, threshold) == "right"
        or (e == "none" and outcome((idx.search(v, k=1) or [None])[0], e, threshold) == "declined")
    )
    print(
        f"  right    {right / n:6.1%}  (answered with the right entry, or declined when no entry fits)"
    )
    print(f"  wrong    {total['wrong'] / n:6.1%}  (answered with a wrong entry)")
    declined_answerable = total["declined"] - sum(
        1
        for (lang, q, e), v in zip(rows, vectors, strict=True)
        if e == "none" and outcome((idx.search(v, k=1) or [None])[0], e, threshold) == "declined"
    )
    print(
        f"  declined {declined_answerable / n:6.1%}  (an entry fits but was not given; right entry among the {match.OFFERED} offered: {offered})"
    )
    print("  per language (right / wrong / declined):")
    for lang in sorted(by_lang):
        c = by_lang[lang]
        print(
            f"    {lang}: {c['right']:2} / {c['wrong']:2} / {c['declined']:2}   (of {sum(c.values())}; 'declined' includes correctly declined 'none')"
        )
    if mistakes:
        print("  not right:")
        print("\n".join(mistakes))


def latency(sizes: list[int], queries: int) -> None:
    rng = np.random.default_rng(0)
    sample = [q for _, q, _ in heldout()][:queries]
    print(f"\nLookup latency ({queries} held-out questions per size; ms, median / p95):")
    encoder.encode(["warm up"])
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/kb.db"
            engine = db.get_engine(url)
            entries, vectors = [], []
            for i in range(size):
                entry = {
                    "id": f"synthetic_{i}",
                    "questions": {"en": [f"synthetic question {i} {j}" for j in range(6)]},
                    "answer": {"en": f"synthetic answer {i}", "zh": f"合成答案 {i}"},
                    "source": ["benchmark"],
                }
                entries.append({"id": entry["id"], "data": entry})
                for t in entry_texts(entry):
                    v = rng.standard_normal(encoder.DIMENSION).astype(np.float32)
                    vectors.append({"text_hash": t.key, "vector": to_bytes(v / np.linalg.norm(v))})
            with engine.begin() as conn:
                conn.execute(insert(FaqEntry), entries)
                for start in range(0, len(vectors), 2000):
                    conn.execute(insert(FaqVector), vectors[start : start + 2000])
            started = time.perf_counter()
            index.current(url)
            build = (time.perf_counter() - started) * 1000
            enc, search, full = [], [], []
            for q in sample:
                t0 = time.perf_counter()
                v = encoder.encode([q])[0]
                t1 = time.perf_counter()
                index.current(url).search(v, k=match.OFFERED)
                t2 = time.perf_counter()
                index.lookup(q, k=match.OFFERED, url=url)
                t3 = time.perf_counter()
                enc.append((t1 - t0) * 1000)
                search.append((t2 - t1) * 1000)
                full.append((t3 - t2) * 1000)
            engine.dispose()

        def cell(xs: list[float]) -> str:
            return f"{statistics.median(xs):6.2f} / {np.percentile(xs, 95):6.2f}"

        print(
            f"  {size:6,} entries ({size * 8:,} texts): lookup {cell(full)}  = encode {cell(enc)}"
            f" + publish check and search {cell(search)}; index built after a sync in {build:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--calibrate", action="store_true", help="choose the threshold and write calibration.json"
    )
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=90)
    args = parser.parse_args()
    entries = real_entries()
    idx, texts = real_index(entries)
    print(f"{len(entries)} entries, {len(texts)} texts embedded with {encoder.ENCODER_ID}")
    if args.calibrate:
        result = calibrate(idx, texts)
        match.CALIBRATION.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        match.threshold.cache_clear()
        print(f"wrote {match.CALIBRATION.relative_to(ROOT)}")
    evaluate(idx, match.threshold())
    if not args.no_latency:
        latency([int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
