"""The staff command line: validate, diff, sync, stale, history on copies of the real knowledge."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import build_parser, main
from bot.knowledge import db, diff, loader, models, queries

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "beijing-assistant"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_command_has_help_with_an_example() -> None:
    commands = sorted(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"validate", "diff", "sync", "stale", "history", "serve"} <= set(commands)
    top = subprocess.run([str(CLI), "--help"], capture_output=True, text=True, check=True).stdout
    for command in commands:
        assert command in top
        page = subprocess.run(
            [str(CLI), command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert "example" in page, command


BROKEN_POINTS = """\
service_points:
  - id: test_hall
    kind: exit_entry_hall
    name: {en: Test Hall, zh: 测试大厅}
    district: chaoyan
    address: {en: 1 Test Road}
    coordinates: {lat: 31.23, lon: 121.47}
    phones:
      - number: "call us"
    hours:
      weekly:
        - days: mon-fri
          ranges: ["09:00-25:00"]
      public_holidays: closed
    services: [residence_permit_work, visa_extention]

  - id: second_hall
    kind: exit_entry_hall
    name: {en: Second Hall, zh: 第二大厅}
    district: haidian
    address: null
    phones: []
    hours: null
    services: [visa_extension]
    source: ["example.gov.cn/second-hall.html [OFF]"]
    source_date: "2026-11-20"
    district: xicheng
"""

SCHOOL = """\
  - id: wab
    name: {en: Western Academy of Beijing, zh: 京西学校}
    status: open
    curricula: [ib]
    programmes: {en: IB PYP, MYP and DP}
    age_min: 3
    age_max: 18
    locations:
      - district: chaoyang
        address: {en: 10 Lai Guang Ying Dong Lu, zh: 朝阳区来广营东路10号}
    phones: []
    source: ["wab.edu/about.html [OFF]"]
    source_date: "2026-11-20"
"""


def test_validate_lists_every_problem_of_every_file_with_the_exact_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "service_points.yml").write_text(BROKEN_POINTS, encoding="utf-8")
    (tmp_path / "schools.yml").write_text(
        "schools:\n" + SCHOOL + "\n" + SCHOOL.replace("Western Academy", "WAB again"),
        encoding="utf-8",
    )
    (tmp_path / "hotlines.yml").write_text(
        "hotlines:\n  - id: x\n\tnumber: 110\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "validate", "--knowledge-dir", str(tmp_path))
    assert code == 1
    assert out == ""
    p, s, h = (str(tmp_path / n) for n in ("service_points.yml", "schools.yml", "hotlines.yml"))
    districts = "dongcheng, xicheng, chaoyang, haidian, fengtai, shijingshan, mentougou, fangshan, tongzhou, shunyi, changping, daxing, huairou, pinggu, miyun, yanqing"
    assert err.splitlines() == [
        "Found 13 problem(s) in 3 file(s):",
        f"  ✗ {h}:3: YAML syntax error: while scanning a plain scalar found a tab character that violates indentation (this line contains a tab character: indent with spaces only) (check indentation, colons and quotes)",
        f"  ✗ {s}:6: school 'wab'.programmes: the text is cut at a comma before 'MYP and DP': put the whole text in double quotes, e.g. {{en: \"..., MYP and DP\"}}",
        f"  ✗ {s}:16: school 'wab'.id: school 'wab' is listed twice: {s} lines 2 and 16",
        f"  ✗ {s}:20: school 'wab'.programmes: the text is cut at a comma before 'MYP and DP': put the whole text in double quotes, e.g. {{en: \"..., MYP and DP\"}}",
        f"  ✗ {p}:2: service_point 'test_hall'.source: source is missing",
        f"  ✗ {p}:2: service_point 'test_hall'.source_date: source_date is missing",
        f"  ✗ {p}:5: service_point 'test_hall'.district: district 'chaoyan' is unknown: did you mean chaoyang? (use one of: {districts})",
        f"  ✗ {p}:6: service_point 'test_hall'.address.zh: the Chinese address is missing (it is what a taxi driver reads)",
        f"  ✗ {p}:7: service_point 'test_hall'.coordinates: lat 31.23, lon 121.47 is outside Beijing",
        f"  ✗ {p}:9: service_point 'test_hall'.phones[1].number: phone 'call us' must look like 010-8402 0101 or +86 10 8402 0101 (digits, spaces, hyphens)",
        f"  ✗ {p}:13: service_point 'test_hall'.hours.weekly[1].ranges[1]: hours 09:00-25:00 is not a time range: write it as \"09:00-17:00\"",
        f"  ✗ {p}:15: service_point 'test_hall'.services[2]: service 'visa_extention' is unknown: did you mean visa_extension? (use one of: residence_permit_work, residence_permit_study, residence_permit_family, residence_permit_private_affairs, residence_permit_journalist, visa_extension, stay_permit, work_permit, work_residence_joint, permanent_residence, lost_passport_certificate, accommodation_registration, talent_services, high_level_talent_confirmation, port_visa, medical_examination, self_service_terminals, citizen_services)",
        f"  ✗ {p}:27: service_point 'second_hall'.district: 'district' is written twice (lines 20 and 27): keep one",
        "Fix the lines above and run `beijing-assistant validate` again.",
    ]


def test_validate_passes_on_the_real_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate")
    assert code == 0, err
    assert re.fullmatch(
        r"✓ \d+ files checked, no problems: \d+ service points, \d+ procedures, \d+ schools, \d+ hospitals, \d+ hotlines, \d+ questions and answers, \d+ landmarks\.\n"
        r"✓ \d+ translation files checked; translated fields: ja \d+/\d+, .*, ar \d+/\d+\.\n",
        out,
    )


NEW_POINT = """\
service_points:
  - id: shijingshan_test_talent_centre
    kind: talent_centre
    name: {en: Shijingshan Test Talent Centre, zh: 石景山测试人才中心}
    district: shijingshan
    address: {en: "1 Test Street, Shijingshan", zh: 石景山区测试街1号}
    phones: []
    hours: null
    services: [work_permit, talent_services]
    source: ["example.gov.cn/test-fixture.html [OFF]"]
    source_date: "2026-11-29"
"""


@pytest.fixture(autouse=True)
def _without_questions_and_answers(request: pytest.FixtureRequest) -> None:
    """These tests count and edit the other kinds (they remove the 114 hotline, which entries in
    faq_*.yml name as related: tests/knowledge/test_faq.py covers that kind, and that check)."""
    if "knowledge_copy" in request.fixturenames:
        folder = request.getfixturevalue("knowledge_copy")
        for path in [*folder.glob("faq_*.yml"), *folder.glob("translations/*/faq.yml")]:
            path.unlink()  # the entries' translations go with them


def _edit(folder: Path) -> None:
    """A phone changed, a hotline removed, a service point added."""
    points = folder / "service_points.yml"
    text = points.read_text(encoding="utf-8")
    assert text.count('number: "+86 10 8402 0101"') == 1
    points.write_text(
        text.replace('number: "+86 10 8402 0101"', 'number: "010-8402 0102"'), encoding="utf-8"
    )
    hotlines = folder / "hotlines.yml"
    text = hotlines.read_text(encoding="utf-8")
    start = text.index("  - id: hospital_appointments_114")
    end = text.index("\n  - id:", start + 1)
    hotlines.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    # A removed record's translations go too (validate refuses translations of unknown records).
    for overlay in folder.glob("translations/*/hotlines.yml"):
        text = overlay.read_text(encoding="utf-8")
        start = text.index("  - id: hospital_appointments_114")
        end = text.find("\n  - id:", start + 1)
        overlay.write_text(text[:start] + (text[end + 1 :] if end >= 0 else ""), encoding="utf-8")
    (folder / "zz_new.yml").write_text(NEW_POINT, encoding="utf-8")


def _published(url: str) -> dict:
    with db.read_session(url) as session:
        return diff.published(session.connection())


def _audit_count(url: str) -> int:
    with db.read_session(url) as session:
        return session.execute(select(func.count()).select_from(models.AuditEntry)).scalar_one()


def test_diff_then_sync_then_history(
    tmp_path: Path, knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    code, out, _ = run(
        capsys,
        "sync",
        "--knowledge-dir",
        str(knowledge_copy),
        "--database-url",
        url,
        "--by",
        "seed",
    )
    assert (
        code == 0
        and "✓ Published: 100 added, 0 removed, 0 changed, 0 unchanged (audit entry #1)." in out
    )
    _edit(knowledge_copy)
    before = _published(url)

    code, out, _ = run(
        capsys, "diff", "--knowledge-dir", str(knowledge_copy), "--database-url", url
    )
    assert code == 0
    new_file = knowledge_copy / "zz_new.yml"
    points = knowledge_copy / "service_points.yml"
    assert "\nService points\n" in out and "\nHotlines\n" in out
    assert (
        f"  + added    shijingshan_test_talent_centre — Shijingshan Test Talent Centre ({new_file} line 2)\n"
        in out
    )
    assert re.search(
        rf"  ~ changed  psb_exit_entry_main_hall — Exit-Entry Administration Reception Hall, .*\({re.escape(str(points))} line \d+\)\n"
        r'        phones\[1\]\.number: "\+86 10 8402 0101" → "010-8402 0102"\n',
        out,
    ), out
    assert (
        "  - removed  hospital_appointments_114 — Beijing unified hospital appointment platform\n"
        in out
    )
    assert "Summary: 1 added, 1 removed, 1 changed, 98 unchanged." in out
    assert _published(url) == before, "diff wrote to the database"
    assert _audit_count(url) == 1

    code, out, _ = run(
        capsys,
        "sync",
        "--knowledge-dir",
        str(knowledge_copy),
        "--database-url",
        url,
        "--by",
        "Li Na, Chaoyang office",
    )
    assert code == 0
    assert "✓ Published: 1 added, 1 removed, 1 changed, 98 unchanged (audit entry #2)." in out
    assert (
        queries.get_service_point("shijingshan_test_talent_centre", url=url)["address"]["zh"]
        == "石景山区测试街1号"
    )
    assert (
        queries.get_service_point("psb_exit_entry_main_hall", url=url)["phones"][0]["number"]
        == "010-8402 0102"
    )
    assert queries.hotline("114", url=url) is None

    with db.read_session(url) as session:
        entry = session.get(models.AuditEntry, 2)
    assert entry.actor == "Li Na, Chaoyang office"
    assert (entry.added, entry.removed, entry.changed, entry.unchanged) == (1, 1, 1, 98)
    changed = next(c for c in entry.changes if c["change"] == "changed")
    assert changed["fields"] == [
        {"path": "phones[1].number", "old": "+86 10 8402 0101", "new": "010-8402 0102"}
    ]

    code, out, _ = run(capsys, "history", "--database-url", url)
    assert re.search(
        r"#2 +\d{4}-\d\d-\d\d \d\d:\d\d  Li Na, Chaoyang office +1 added, 1 removed, 1 changed", out
    )
    assert re.search(r"#1 +\d{4}-\d\d-\d\d \d\d:\d\d  seed +100 added, 0 removed, 0 changed", out)
    code, out, _ = run(capsys, "history", "--database-url", url, "--show", "2")
    assert 'phones[1].number: "+86 10 8402 0101" → "010-8402 0102"' in out

    code, out, _ = run(
        capsys, "sync", "--knowledge-dir", str(knowledge_copy), "--database-url", url
    )
    assert code == 0 and out.startswith("✓ Nothing to publish")
    assert _audit_count(url) == 2


def test_a_refused_sync_names_the_problems_and_changes_nothing(
    tmp_path: Path, knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(knowledge_copy, url)
    before = _published(url)
    (knowledge_copy / "zz_new.yml").write_text(
        NEW_POINT.replace("district: shijingshan", "district: shijingshn"), encoding="utf-8"
    )
    code, out, err = run(
        capsys, "sync", "--knowledge-dir", str(knowledge_copy), "--database-url", url
    )
    assert code == 1 and out == ""
    assert "district 'shijingshn' is unknown: did you mean shijingshan?" in err
    assert "Nothing was changed in the database." in err
    assert _published(url) == before and _audit_count(url) == 1


def test_a_sync_that_fails_while_writing_changes_nothing(
    tmp_path: Path, knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(knowledge_copy, url)
    before = _published(url)
    _edit(knowledge_copy)
    real_apply = loader.apply

    def apply_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(*args, **kwargs)  # every change is written ...
        raise OSError("disk full")  # ... and then the write fails before the commit

    monkeypatch.setattr(loader, "apply", apply_then_fail)
    with pytest.raises(OSError):
        loader.sync(knowledge_copy, url)
    assert _published(url) == before
    assert _audit_count(url) == 1


def test_stale_lists_unconfirmed_old_and_uncertain_records_by_file(
    knowledge_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hotlines = knowledge_copy / "hotlines.yml"
    text = hotlines.read_text(encoding="utf-8")
    start = text.index("  - id: hospital_appointments_114")
    end = text.index("\n  - id:", start + 1)
    record = text[start:end]
    assert "verified_on" not in record and "uncertain" not in record
    # A member of staff confirmed this one record, long ago.
    confirmed = record.replace(
        "\n    source_date:",
        "\n    verified_on: 2025-01-10\n    verified_by: Test office, by phone\n    source_date:",
        1,
    )
    hotlines.write_text(text[:start] + confirmed + text[end:], encoding="utf-8")
    line = text[:start].count("\n") + 1
    total = loader.read_knowledge(knowledge_copy).count()

    def stale(*extra: str) -> str:
        code, out, _ = run(
            capsys, "stale", "--knowledge-dir", str(knowledge_copy), "--as-of", "2026-11-30", *extra
        )
        assert code == 0
        return out

    out = stale("--only", "old")
    assert out.splitlines()[2:6] == [
        f"{hotlines} (1 record)",
        f"  line {line:<5}  hospital_appointments_114 — Beijing unified hospital appointment platform",
        "              confirmed 2025-01-10 by Test office, by phone (689 days ago)  ← CONFIRMED TOO LONG AGO",
        "",
    ]
    assert (
        "Summary: 0 records never confirmed by staff, 1 record confirmed more than 180 days ago, "
        f"0 records with uncertain facts, out of {total}." in out
    )

    expected = sum(
        1
        for recs in loader.read_knowledge(knowledge_copy).records.values()
        for r in recs
        if r.get("uncertain")
    )
    out = stale("--only", "uncertain")
    assert (
        f"Summary: {expected} records never confirmed by staff, 0 records confirmed more than 180 "
        f"days ago, {expected} records with uncertain facts" in out
    )
    assert "uncertain phones: 8402 0101 printed in a 2012 China Daily guide" in out

    out = stale("--only", "unconfirmed")
    assert "hospital_appointments_114" not in out
    assert "psb_exit_entry_main_hall" in out and "never confirmed by staff  ← NOT CONFIRMED" in out
    assert f"Summary: {total - 1} records never confirmed by staff, 0 records confirmed" in out

    out = stale("--older-than", "5")
    assert (
        f"Summary: {total - 1} records never confirmed by staff, 1 record confirmed more than 5 days "
        f"ago, {expected} records with uncertain facts, out of {total}." in out
    )


def test_diff_of_nested_fields_counts_items_from_one() -> None:
    old = {
        "hours": {"weekly": [{"days": ["mon"], "ranges": ["09:00-17:00"]}]},
        "phones": [],
        "note": "x",
    }
    new = {
        "hours": {"weekly": [{"days": ["mon"], "ranges": ["09:00-16:30"]}]},
        "phones": [{"number": "110"}],
        "extra": 1,
    }
    changes = [f.describe() for f in diff.field_changes(old, new)]
    assert changes == [
        'hours.weekly[1].ranges[1]: "09:00-17:00" → "09:00-16:30"',
        'phones: [] → [{"number": "110"}]',
        "extra: (not set) → 1",
        'note: "x" → (removed)',
    ]


def test_big_knowledge_shows_progress_only_on_a_terminal(tmp_path: Path) -> None:
    """Piped output stays clean: progress bars are drawn only on a terminal."""
    (tmp_path / "p.yml").write_text(textwrap.dedent(NEW_POINT), encoding="utf-8")
    done = subprocess.run(
        [str(CLI), "validate", "--knowledge-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_the_cli_restores_sigpipe_for_a_process_that_calls_it_in_process() -> None:
    """main() sets SIGPIPE to its default only while a command runs: pytest (or any process calling
    main() in-process) would otherwise die of SIGPIPE on a socket whose peer went away."""
    import signal

    before = signal.getsignal(signal.SIGPIPE)
    main(["history"])
    assert signal.getsignal(signal.SIGPIPE) == before
