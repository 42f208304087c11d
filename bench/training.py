"""Training time from scratch: our model (nine languages) and, when bench/load.py has created it, the stock bot.

    .venv/bin/python bench/training.py

Trains into a temporary folder with `rasa train --force` (no cached components), so models/ is untouched,
and prints wall-clock seconds and the size of each model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOCK_DIR = ROOT / "var" / "bench" / "stock"

sys.path.insert(0, str(ROOT))
from tabulate import tabulate  # noqa: E402


def train(cwd: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.monotonic()
    subprocess.run(
        [
            str(BIN / "rasa"),
            "train",
            "--force",
            "--out",
            str(out),
            "--fixed-model-name",
            "bench",
            *extra,
        ],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - start, (out / "bench.tar.gz").stat().st_size / 1e6


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        seconds, mb = train(ROOT, Path(tmp) / "ours", ["--num-threads", str(os.cpu_count() or 1)])
        rows.append(["ours (nine languages)", f"{seconds:.0f}", f"{mb:.1f}"])
        if (STOCK_DIR / "config.yml").exists():
            seconds, mb = train(STOCK_DIR, Path(tmp) / "stock", [])
            rows.append(["stock `rasa init`", f"{seconds:.0f}", f"{mb:.1f}"])
        else:
            print("(stock bot not created yet: run bench/load.py once to create it)")
    print(tabulate(rows, headers=["model", "training s", "model MB"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
