"""Knowledge-base benchmark: validate, diff and sync 10 000 service points, and query latency at that size.

    .venv/bin/python bench/knowledge_base.py                 # SQLite, and PostgreSQL when reachable
    .venv/bin/python bench/knowledge_base.py --points 2000 --no-postgres

The service points are the real records of knowledge/service_points.yml repeated with new ids and names,
spread over the 16 districts (benchmark data only, written to a temporary folder; never published). Prints
one table: seconds for the staff commands, milliseconds per query (median and 95th percentile).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from tabulate import tabulate  # noqa: E402

from bot.core import vocab  # noqa: E402
from bot.dialogue import answers  # noqa: E402
from bot.knowledge import db, loader, queries  # noqa: E402

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def make_knowledge(folder: Path, points: int) -> None:
    """knowledge/ with `points` service points (the real ones repeated, renamed, spread over districts)."""
    shutil.copytree(
        ROOT / "knowledge", folder, ignore=shutil.ignore_patterns("*.md", "service_points.yml")
    )
    real = (ROOT / "knowledge" / "service_points.yml").read_text(encoding="utf-8")
    blocks = ["  - id:" + b.rstrip() + "\n" for b in real.split("\n  - id:")[1:]]
    districts = list(vocab.DISTRICTS)
    out = ["service_points:\n"]
    for i in range(points):
        block = blocks[i % len(blocks)]
        block = re.sub(r"^  - id: (\w+)", rf"  - id: \g<1>_{i:05d}", block, count=1)
        block = re.sub(r"(\n      en: )(.*)", rf"\g<1>\g<2> #{i}", block, count=1)  # the name
        block = re.sub(
            r"\n    district: \w+",
            f"\n    district: {districts[i % len(districts)]}",
            block,
            count=1,
        )
        out.append("\n" + block)
    (folder / "service_points.yml").write_text("".join(out), encoding="utf-8")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latency_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def edit(folder: Path, every: bool) -> None:
    """Change one record's phone label, or every record's verified_on."""
    path = folder / "service_points.yml"
    content = path.read_text(encoding="utf-8")
    if every:
        content = re.sub(
            r"verified_on: (\d{4}-\d\d-\d\d)",
            lambda m: "verified_on: 2026-11-2" + ("9" if m.group(1).endswith("8") else "8"),
            content,
        )
    else:
        content = content.replace('number: "+86 10 8402 0101"', 'number: "+86 10 8402 0109"', 1)
    path.write_text(content, encoding="utf-8")


def run(url: str, folder: Path, runs: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []

    def seconds(what: str, fn: Callable[[], object]) -> None:
        rows.append((what, f"{timed(fn):.2f} s", ""))

    seconds("validate (read + check every file)", lambda: loader.read_knowledge(folder))
    seconds("diff against an empty database", lambda: loader.plan(folder, url))
    seconds("sync: first publication (all added)", lambda: loader.sync(folder, url, actor="bench"))
    seconds("sync: nothing changed", lambda: loader.sync(folder, url, actor="bench"))
    edit(folder, every=False)
    seconds("diff: one record changed", lambda: loader.plan(folder, url))
    seconds("sync: one record changed", lambda: loader.sync(folder, url, actor="bench"))
    edit(folder, every=True)
    seconds("sync: every record changed", lambda: loader.sync(folder, url, actor="bench"))

    codes = queries.service_codes("residence_permit")
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "query: residence-permit offices in a district",
            lambda: queries.find_service_points(codes, district="chaoyang", url=url),
        ),
        (
            "query: nearest to coordinates",
            lambda: queries.find_service_points(codes, near=(39.93, 116.45), url=url),
        ),
        (
            "query: one service point by id",
            lambda: queries.get_service_point("chaoyang_exit_entry_hall_00002", url=url),
        ),
        (
            "answer: residence permit (procedure + offices)",
            lambda: answers.procedure_answer("residence_permit", "work", "chaoyang"),
        ),
        (
            "answer: where to extend a visa",
            lambda: answers.service_point_answer("visa_extension", "haidian"),
        ),
    ]
    os.environ["KB_DATABASE_URL"] = url
    for what, fn in cases:
        fn()  # warm up
        p50, p95 = latency_ms(fn, runs)
        rows.append((what, f"{p50:.1f} ms", f"{p95:.1f} ms"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200, help="repetitions per query (default 200)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    results: dict[str, list[tuple[str, str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "knowledge"
        make_knowledge(base, args.points)
        total = loader.read_knowledge(base).count()
        print(
            f"{args.points} generated service points ({total} records in all), {(base / 'service_points.yml').stat().st_size / 1e6:.1f} MB of YAML",
            flush=True,
        )
        folder = Path(tmp) / "sqlite"
        shutil.copytree(base, folder)
        results["SQLite"] = run(f"sqlite:///{Path(tmp) / 'kb.db'}", folder, args.runs)
        if not args.no_postgres:
            name = f"bench_kb_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", future=True)
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as exc:  # noqa: BLE001 - benchmark goes on without PostgreSQL
                print(f"PostgreSQL skipped ({exc.__class__.__name__}: not reachable at {PG_ADMIN})")
            else:
                url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
                try:
                    folder = Path(tmp) / "postgres"
                    shutil.copytree(base, folder)
                    results["PostgreSQL"] = run(url, folder, args.runs)
                finally:
                    db.get_engine(url).dispose()
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    headers = ["operation"]
    table: list[list[str]] = [[what] for what, _, _ in next(iter(results.values()))]
    for backend, rows in results.items():
        headers += [backend, f"{backend} p95"]
        for line, (_, value, p95) in zip(table, rows, strict=True):
            line += [value, p95]
    print(tabulate(table, headers=headers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
