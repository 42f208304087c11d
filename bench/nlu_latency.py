"""NLU parse latency per message, per language, with the trained model (no server, no network).

    .venv/bin/python bench/nlu_latency.py [--model models/current.tar.gz] [--repeat 3]

Parses the questions of the load benchmark's conversations and the 540 short chat messages of
bench/data/short_messages.tsv (60 per language) with Rasa's own message processor, as the server does for
each user message, and prints milliseconds per message (median, 95th percentile) per language.
Accuracy is measured separately by bench/nlu_crossval.py.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# As in the server (bot/runtime/serve.py): the math libraries on one thread, set before numpy loads.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tabulate import tabulate  # noqa: E402

from bot.dialogue.language import detect_language  # noqa: E402


def messages() -> dict[str, list[str]]:
    from load import OURS  # the load benchmark's conversations

    by_lang: dict[str, list[str]] = defaultdict(list)
    with (ROOT / "bench" / "data" / "short_messages.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            by_lang[row["lang"]].append(row["text"])
    for conversation in OURS:
        for text in conversation:
            by_lang[detect_language(text)].append(text)
    return by_lang


async def measure(model: Path, repeat: int) -> list[list[str]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot.rasa_ext import speedups

    configure_structlog(logging.WARNING)  # as the server runs: no per-message debug output

    speedups.install()
    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    rows = []
    everything: list[float] = []
    everything_cpu: list[float] = []

    def p95(values: list[float]) -> float:
        return sorted(values)[int(0.95 * (len(values) - 1))]

    for lang, texts in sorted(messages().items()):
        samples = []
        # CPU time of this thread per message: on a shared, loaded machine the wall-clock time also
        # counts the time other processes had the CPU; the CPU time is what the parse itself costs.
        cpu = []
        for _ in range(repeat):
            for text in texts:
                start, start_cpu = time.perf_counter(), time.thread_time()
                await agent.parse_message(text)
                samples.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
        everything += samples
        everything_cpu += cpu
        rows.append(
            [
                lang,
                str(len(texts)),
                f"{statistics.median(samples):.1f}",
                f"{p95(samples):.1f}",
                f"{statistics.median(cpu):.1f}",
                f"{p95(cpu):.1f}",
            ]
        )
    rows.append(
        [
            "all",
            str(sum(int(r[1]) for r in rows)),
            f"{statistics.median(everything):.1f}",
            f"{p95(everything):.1f}",
            f"{statistics.median(everything_cpu):.1f}",
            f"{p95(everything_cpu):.1f}",
        ]
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "current.tar.gz"))
    parser.add_argument(
        "--repeat", type=int, default=3, help="parse every message this many times (default 3)"
    )
    args = parser.parse_args()
    rows = asyncio.run(measure(Path(args.model), args.repeat))
    print(
        tabulate(
            rows,
            headers=["language", "messages", "median ms", "p95 ms", "CPU median ms", "CPU p95 ms"],
        )
    )
    print(f"load average while measuring (1/5/15 min): {os.getloadavg()}, {os.cpu_count()} CPUs")
    import resource

    # The process holds what the Rasa server holds for NLU (model, sentence encoder, tokenizer).
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (model loaded, all messages parsed): {peak_mb:.0f} MB")
    print("target: p95 <= 15 ms per message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
