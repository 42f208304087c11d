"""bench/load.py's process accounting: the CPU of a layout is the CPU of every process that serves it (nginx's
workers are children of its master), and --replicas chooses the layout (no servers needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402


def test_descendants_are_the_process_and_everything_below_it() -> None:
    # A parent that starts two sleeping children and waits: three processes in one tree.
    script = (
        "import subprocess, sys, time\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']) for _ in range(2)]\n"
        "print(' '.join(str(k.pid) for k in kids), flush=True)\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        kids = [int(pid) for pid in parent.stdout.readline().split()]
        found = load.descendants(parent.pid)
        assert sorted(found) == sorted([parent.pid, *kids])
        assert load.descendants(kids[0]) == [kids[0]]
        # CPU of the tree is the sum over its processes, each readable from /proc.
        assert all(load.cpu_seconds(pid) >= 0 for pid in found)
    finally:
        for pid in load.descendants(parent.pid)[1:]:
            subprocess.run(["kill", str(pid)], check=False)
        parent.kill()
        parent.wait()


def test_replicas_option_is_documented_and_defaults_to_one_server() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "--replicas" in out.stdout and "default 1" in out.stdout
