"""Turn latency against conversation length: one sender holding a very long conversation over REST.

    .venv/bin/python bench/long_conversation.py                       # 1,000 turns, SESSION_MAX_TURNS default
    .venv/bin/python bench/long_conversation.py --turns 300 --max-turns 1000000   # unbounded sessions (before)

One conversation cycles through knowledge questions, follow-ups and small talk (each turn runs the custom
actions and knowledge queries). Printed: the median latency of the turns around turn 10, 100 and 1,000
(the median of whole cycles of the six kinds of message ending there) and the CPU time both servers spent per turn
there (the mean; unlike wall time it does not depend on what else runs on the machine) and the ratio to turn 10; the target (issue 17) is turn 1,000 within 2x
turn 10. Servers start fresh on free loopback ports with their own SQLite stores (the end-to-end tests'
set-up).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402

from bot.runtime import serve  # noqa: E402

TURNS = [
    "where can I renew my residence permit in Chaoyang?",
    "is it open on saturday?",
    "which schools teach IB in Shunyi?",
    "where can I find an english speaking hospital",
    "thanks",
    "hi",
]
MARKS = (10, 100, 300, 1000, 2000)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument(
        "--max-turns",
        type=int,
        default=None,
        help="SESSION_MAX_TURNS for the server (default: its own default)",
    )
    args = parser.parse_args()
    from servers import assistant_env, free_port

    with tempfile.TemporaryDirectory(prefix="long-conversation-") as tmp:
        env = assistant_env(Path(tmp))
        if args.max_turns:
            env["SESSION_MAX_TURNS"] = str(args.max_turns)
        servers = serve.start(
            ROOT / "models" / "current.tar.gz",
            rasa_port=free_port(),
            actions_port=free_port(),
            env=env,
            log_dir=Path(tmp) / "logs",
        )
        try:
            url = f"{servers.rasa_url}/webhooks/rest/webhook"
            session = requests.Session()
            session.post(url, json={"sender": "warmup", "message": "hi"}, timeout=120)
            from load import cpu_seconds

            pids = [p.pid for p in servers.processes]  # action server, Rasa server
            latencies: list[float] = []
            cpu: list[float] = []  # CPU seconds of both servers used by each turn
            cpu_actions: list[float] = []  # ... of the action server alone
            empty = 0
            for turn in range(1, args.turns + 1):
                text = TURNS[(turn - 1) % len(TURNS)]
                cpu_before = sum(cpu_seconds(pid) for pid in pids)
                actions_before = cpu_seconds(pids[0])
                started = time.perf_counter()
                response = session.post(url, json={"sender": "long", "message": text}, timeout=120)
                latencies.append(time.perf_counter() - started)
                cpu.append(sum(cpu_seconds(pid) for pid in pids) - cpu_before)
                cpu_actions.append(cpu_seconds(pids[0]) - actions_before)
                if response.status_code != 200 or not response.json():
                    empty += 1
                if turn % 100 == 0:
                    print(f"  turn {turn}: {latencies[-1] * 1000:.0f} ms", flush=True)
        finally:
            servers.stop()
    marks = [m for m in MARKS if m <= len(latencies)]

    def around(n: int, values: list[float] | None = None) -> float:
        values = latencies if values is None else values
        # whole cycles of the six kinds of message ending at turn n (one cycle at turn 10, five from turn
        # 100 on, against the noise of a shared machine), so marks compare like with like
        cycles = 1 if n < 60 else 5
        window = values[max(0, n - cycles * len(TURNS)) : n]
        return (
            statistics.median(window) * 1000
            if values is latencies
            else statistics.mean(window) * 1000
        )

    base = around(10)
    print(f"\nOne conversation of {len(latencies)} turns over REST ({empty} turns without a reply)")
    print("SESSION_MAX_TURNS:", args.max_turns or "default")
    cpu_base = around(10, cpu)
    print(
        "  (latency: median; CPU: both servers' CPU time per turn, mean, independent of other load)"
    )
    for n in marks:
        print(
            f"  turn {n:>5}: {around(n):7.1f} ms  ({around(n) / base:.2f}x turn 10)   "
            f"CPU {around(n, cpu):6.1f} ms ({around(n, cpu) / cpu_base:.2f}x; action server "
            f"{around(n, cpu_actions):.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
