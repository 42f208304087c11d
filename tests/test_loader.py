"""Loading knowledge YAML: good files, every kind of broken file, and the database left untouched."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.knowledge import db, models
from bot.knowledge.loader import KnowledgeError, default_actor, read_knowledge, sync

POINT = """\
service_points:
  - id: test_hall
    kind: exit_entry_hall
    name: {en: Test Hall, zh: 测试大厅}
    district: chaoyang
    address: {en: 1 Test Road, zh: 朝阳区测试路1号}
    phones:
      - number: "010-8402 0101"
    hours:
      weekly:
        - days: mon-fri
          ranges: ["09:00-12:00", "13:30-17:00"]
      public_holidays: closed
    services: [residence_permit_work, visa_extension]
    source: ["example.gov.cn [OFF]"]
    verified_on: 2026-11-22
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in read_knowledge(folder).problems]


def test_real_knowledge_is_valid() -> None:
    knowledge = read_knowledge()
    assert knowledge.ok, "\n".join(map(str, knowledge.problems))
    for kind in ("service_points", "procedures", "schools", "hospitals", "hotlines"):
        assert knowledge.records[kind], f"no {kind} in knowledge/"


def test_every_real_record_has_provenance() -> None:
    for kind, records in read_knowledge().records.items():
        for rec in records:
            assert rec["source"] and rec["verified_on"], f"{kind} {rec['id']}"


def test_good_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "points.yml", POINT)
    knowledge = read_knowledge(tmp_path)
    assert knowledge.ok
    rec = knowledge.records["service_points"][0]
    assert rec["hours"]["weekly"][0]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert rec["verified_on"] == "2026-11-22"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # YAML syntax: a missing closing brace
        (
            ("name: {en: Test Hall, zh: 测试大厅}", "name: {en: Test Hall, zh: 测试大厅"),
            "points.yml:",
        ),
        # a required field missing
        (
            ("    verified_on: 2026-11-22\n", ""),
            "points.yml:2: service_point 'test_hall'.verified_on: verified_on is missing",
        ),
        # wrong type
        (
            ("district: chaoyang", "district: [chaoyang]"),
            "points.yml:5: service_point 'test_hall'.district: district '['chaoyang']' is unknown",
        ),
        # unknown district, with a suggestion
        (
            ("district: chaoyang", "district: chaoyan"),
            "points.yml:5: service_point 'test_hall'.district: district 'chaoyan' is unknown: did you mean chaoyang?",
        ),
        # unknown service
        (
            ("visa_extension]", "visa_extention]"),
            "service_point 'test_hall'.services[2]: service 'visa_extention' is unknown: did you mean visa_extension?",
        ),
        # bad phone
        (
            ('"010-8402 0101"', '"call us"'),
            "points.yml:8: service_point 'test_hall'.phones[1].number: phone 'call us' must look like 010-8402 0101",
        ),
        # bad hours
        (('"13:30-17:00"', '"13:30-25:00"'), "hours 13:30-25:00 is not a time range"),
        # missing Chinese address
        (
            ("address: {en: 1 Test Road, zh: 朝阳区测试路1号}", "address: {en: 1 Test Road}"),
            "points.yml:6: service_point 'test_hall'.address.zh: the Chinese address is missing",
        ),
        # bad date
        (
            ("verified_on: 2026-11-22", "verified_on: last week"),
            "points.yml:16: service_point 'test_hall'.verified_on: 'last week' is not a date",
        ),
        # missing source
        (
            ('    source: ["example.gov.cn [OFF]"]\n', ""),
            "service_point 'test_hall'.source: source is missing",
        ),
        # misspelt field name
        (
            ("    services:", "    service:"),
            "service_point 'test_hall'.service: unknown field 'service': did you mean services?",
        ),
    ],
)
def test_broken_file_is_reported_with_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in POINT
    write(tmp_path, "points.yml", POINT.replace(old, new))
    problems = problems_of(tmp_path)
    assert problems, "the broken file was accepted"
    assert any(expected in p for p in problems), problems


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "points.yml",
        POINT.replace("    kind: exit_entry_hall", "    kind: exit_entry_hall: oops"),
    )
    (problem,) = read_knowledge(tmp_path).problems
    assert problem.file.endswith("points.yml") and problem.line == 3
    assert "YAML syntax error" in problem.message


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", POINT)
    write(tmp_path, "b.yml", "# comment\n" + POINT)
    problems = problems_of(tmp_path)
    assert any(
        "'test_hall' is listed twice" in p and "a.yml line 2" in p and "b.yml line 3" in p
        for p in problems
    ), problems


def test_coordinates_outside_beijing(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yml",
        POINT.replace("    phones:", "    coordinates: {lat: 116.4, lon: 39.9}\n    phones:"),
    )
    assert any(
        "outside Beijing (latitude and longitude swapped?)" in p for p in problems_of(tmp_path)
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", POINT.replace("district: chaoyang", "district: nowhere"))
    write(
        tmp_path,
        "b.yml",
        POINT.replace("test_hall", "other_hall").replace("kind: exit_entry_hall", "kind: palace"),
    )
    problems = problems_of(tmp_path)
    assert any("a.yml" in p and "nowhere" in p for p in problems)
    assert any("b.yml" in p and "palace" in p for p in problems)


def test_wrong_top_level_key(tmp_path: Path) -> None:
    write(tmp_path, "x.yml", POINT.replace("service_points:", "servicepoints:"))
    assert any("must start with exactly one of service_points" in p for p in problems_of(tmp_path))


def _count(url: str) -> int:
    with db.read_session(url) as s:
        return s.execute(select(func.count()).select_from(models.ServicePoint)).scalar_one()


def test_refused_sync_leaves_database_unchanged(tmp_path: Path, knowledge_copy: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    first = sync(knowledge_copy, url)
    before = _count(url)
    assert before == len(first.knowledge.records["service_points"]) > 0
    # Break one file and add a new valid point in another: nothing at all may change.
    write(knowledge_copy, "zz_new.yml", POINT)
    broken = knowledge_copy / "hotlines.yml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        sync(knowledge_copy, url)
    assert "hotlines.yml" in str(err.value)
    assert _count(url) == before
    from bot.knowledge import queries

    assert queries.get_service_point("test_hall", url=url) is None


def test_sync_replaces_content(tmp_path: Path, knowledge_copy: Path) -> None:
    from bot.knowledge import queries

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    sync(knowledge_copy, url)
    write(knowledge_copy, "zz_new.yml", POINT)
    sync(knowledge_copy, url)
    assert queries.get_service_point("test_hall", url=url)["name"]["zh"] == "测试大厅"
    (knowledge_copy / "zz_new.yml").unlink()
    sync(knowledge_copy, url)
    assert queries.get_service_point("test_hall", url=url) is None


def test_an_older_database_is_rebuilt_and_refilled_and_keeps_its_audit_log(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    """A knowledge database made by an earlier version (other columns) is upgraded by the next sync."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE service_points (id VARCHAR(80) PRIMARY KEY, kind VARCHAR(40), data JSON)"
        )
        conn.execute("INSERT INTO service_points VALUES ('gone', 'exit_entry_hall', '{}')")
        conn.execute(
            "CREATE TABLE kb_audit_log (id INTEGER PRIMARY KEY, synced_at DATETIME, actor VARCHAR(200), content_hash VARCHAR(64), added INTEGER, removed INTEGER, changed INTEGER, unchanged INTEGER, changes JSON)"
        )
        conn.execute(
            "INSERT INTO kb_audit_log VALUES (7, '2026-01-01 00:00:00', 'earlier', 'x', 1, 0, 0, 0, '[]')"
        )
    url = f"sqlite:///{path}"
    result = sync(knowledge_copy, url)
    assert (
        result.diff.count("added") == result.knowledge.count() and result.diff.count("removed") == 0
    )
    assert _count(url) == len(result.knowledge.records["service_points"])
    with db.read_session(url) as s:
        actors = [
            e.actor
            for e in s.execute(select(models.AuditEntry).order_by(models.AuditEntry.id)).scalars()
        ]
    assert actors == ["earlier", default_actor()]
