"""Honest provenance (issue 16): every record says where its facts come from and when, claims a staff
confirmation only where one was made, marks our own Chinese translations, keeps every ⚠ of the
reference on its field, and sends users to the right phone to confirm."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue import i18n, render
from bot.dialogue.i18n import t
from bot.knowledge import provenance as prov
from bot.knowledge.loader import read_knowledge
from bot.knowledge.queries import Place
from bot.knowledge.stale import review_list, unconfirmed_rows

KNOWLEDGE = read_knowledge()
REFERENCE = "".join(
    (Path("/work/shared/reference") / name).read_text(encoding="utf-8")
    if (Path("/work/shared/reference") / name).exists()
    else ""
    for name in ("beijing_facts.md", "beijing_facts_additions.md")
)
LANGS = i18n.available()


def records() -> list[tuple[str, dict[str, Any]]]:
    return [(kind, rec) for kind, recs in KNOWLEDGE.records.items() for rec in recs]


def answered() -> list[tuple[str, dict[str, Any]]]:
    """The records answers render (landmarks only locate: they are never an answer of their own)."""
    return [(kind, rec) for kind, rec in records() if kind != "landmarks"]


def by_id(kind: str, rid: str) -> dict[str, Any]:
    return next(r for r in KNOWLEDGE.records[kind] if r["id"] == rid)


def chinese_texts(rec: dict[str, Any]) -> list[str]:
    """Paths of the Chinese names and addresses a clerk or a driver reads."""
    paths = []
    for top in ("name", "address"):
        if isinstance(rec.get(top), dict) and rec[top].get("zh"):
            paths.append(f"{top}.zh")
    for i, loc in enumerate(rec.get("locations") or [], 1):
        for sub in ("name", "address"):
            if isinstance(loc.get(sub), dict) and loc[sub].get("zh"):
                paths.append(f"locations[{i}].{sub}.zh")
    return paths


# ------------------------------------------------------------------- every record, every field


def test_knowledge_is_valid() -> None:
    assert KNOWLEDGE.ok, "\n".join(map(str, KNOWLEDGE.problems))
    assert KNOWLEDGE.count() >= 84


@pytest.mark.parametrize(("kind", "rec"), records(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_record_and_field_obeys_the_provenance_rules(kind: str, rec: dict[str, Any]) -> None:
    rid = rec["id"]
    assert rec["source"] and rec["source_date"], rid
    for source in rec["source"]:
        assert prov.is_citable(source), f"{rid}: {source}"
        assert prov.source_type(source) in ("OFF", "MEDIA", "3P"), f"{rid}: {source}"
    # a confirmation names who confirmed it; the research file's compile date is no confirmation
    assert bool(rec.get("verified_on")) == bool(rec.get("verified_by")), rid
    assert rec.get("verified_on") != "2026-11-22", rid
    unc = rec.get("uncertain") or {}
    if prov.third_party_only(rec["source"]) or all(map(prov.is_research_file, rec["source"])):
        assert "source" in unc, f"{rid} rests on third-party/media or unrecorded sources only"
    # every uncertain key names a field that exists in the record (so the warning names the right one)
    for key in unc:
        if key != "source":
            prov.resolve(rec, key)
    for path in rec.get("translated") or []:
        assert isinstance(prov.resolve(rec, path), str), f"{rid}: {path}"
    # a Chinese name or address is either as found in the reference or marked as our translation
    for path in chinese_texts(rec):
        if path not in (rec.get("translated") or []) and REFERENCE:
            zh = re.sub(r"\s+", "", prov.resolve(rec, path))
            # as found in the reference files, or quoted from the page the record cites
            cited = any(zh in re.sub(r"\s+", "", source) for source in rec["source"])
            assert cited or zh in re.sub(r"\s+", "", REFERENCE), (
                f"{rid}: {path} {zh} is not in a source"
            )


NINE_WARNINGS = {
    # reference ⚠ -> (kind, record, field that must carry it)
    "journalist interview (summary)": ("procedures", "residence_permit_journalist", "summary"),
    "journalist interview (step)": ("procedures", "residence_permit_journalist", "steps[3]"),
    "medical exam 18-70": ("procedures", "medical_examination_residence_permit", "summary"),
    "extension 7 days (summary)": ("procedures", "visa_stay_extension", "summary"),
    "extension 7 days (step)": ("procedures", "visa_stay_extension", "steps[2]"),
    "extension 7 days (deadline)": ("procedures", "visa_stay_extension", "deadlines[1]"),
    "Korean school open (2006)": ("schools", "korean_international_school_beijing", "status"),
    "3e school open": ("schools", "three_e_international_school", "status"),
    "3e programmes": ("schools", "three_e_international_school", "programmes"),
    "United Family Jianguomen phone": ("hospitals", "united_family_jianguomen_clinic", "phones"),
}


@pytest.mark.parametrize("what", NINE_WARNINGS)
def test_each_warning_of_the_reference_sits_on_its_field(what: str) -> None:
    kind, rid, field = NINE_WARNINGS[what]
    rec = by_id(kind, rid)
    assert field in rec["uncertain"]
    prov.resolve(rec, field)
    text = {
        "procedures": render.procedure,
        "schools": lambda r, lang: render.school(Place(r), lang),
        "hospitals": lambda r, lang: render.hospital(Place(r), lang),
    }[kind](rec, "en")
    warning = next(line for line in text.splitlines() if line.startswith("⚠"))
    assert f"{render.field_label(field, 'en')} ({rec['uncertain'][field]})" in warning


def test_official_names_and_addresses_of_the_additions_are_used() -> None:
    sp = {r["id"]: r for r in KNOWLEDGE.records["service_points"]}
    assert sp["shijingshan_exit_entry_hall"]["address"]["en"].startswith("A-3 Gucheng Nanli")
    assert "No. 19 Beiguan Street" in sp["tongzhou_exit_entry_hall"]["address"]["en"]
    cbd = sp["cbd_talent_one_stop_centre"]
    assert "Room 0309, Block A, Beijing Fortune Financial Center" in cbd["address"]["en"]
    assert "talent_services" not in cbd["services"]  # no source supports it
    assert "address" in cbd["uncertain"]  # "Fortune Plaza" (That's 2021) conflicts
    gsc = sp["beijing_government_service_center"]
    assert "No. 1 West 3rd Ring South Road" in gsc["address"]["en"]
    assert "Island C, 2nd floor" in gsc["address"]["en"]
    saturday = [w for w in gsc["hours"]["weekly"] if "sat" in w["days"]]
    assert saturday == [{"days": ["sat"], "ranges": ["08:30-12:30"]}]
    assert "appointment" in gsc["hours"]["note"]["en"]
    # official Chinese names as listed replace our translations
    assert (
        sp["zhongguancun_exit_entry_hall"]["name"]["zh"]
        == "北京市公安局出入境管理局中关村外国人服务大厅"
    )
    assert "name.zh" not in (sp["zhongguancun_exit_entry_hall"].get("translated") or [])
    pumch = by_id("hospitals", "pumch_international_medical_services")
    assert any(p["number"] == "+86-10 6915 5288" for p in pumch["phones"])
    pr = by_id("procedures", "permanent_residence")
    assert "6 times" in pr["who"]["en"] and "500,000" in pr["who"]["en"]  # both, as a conflict
    assert "who" in pr["uncertain"]


# ------------------------------------------------------------------- answers in nine languages


def render_any(kind: str, rec: dict[str, Any], lang: str) -> str:
    if kind == "service_points":
        return render.service_point(Place(rec), lang)
    if kind == "procedures":
        return render.procedure(rec, lang)
    if kind == "schools":
        return render.school(Place(rec), lang)
    if kind == "hospitals":
        return render.hospital(Place(rec), lang)
    if kind == "faq":
        return render.faq_entry(rec, lang)
    return render.hotline(rec, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_answers_show_source_and_date_and_say_they_are_unconfirmed(lang: str) -> None:
    assert len(LANGS) == 9
    if lang != "en":
        assert t("not_confirmed", lang) != t("not_confirmed", "en"), lang
    for kind, rec in answered():
        text = render_any(kind, rec, lang)
        assert render.source_date_in_words(rec["source_date"], lang) in text, rec["id"]
        first = sorted(rec["source"], key=prov.is_research_file)[0]
        assert render.source_in_words(first, lang) in text, rec["id"]  # its tag said in words
        assert t("not_confirmed", lang) in text, rec["id"]
        assert "(checked " not in text and "核对日期" not in text  # the old false "checked" line
        assert "{" not in text, rec["id"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_record_confirmed_by_staff_shows_it_and_an_unconfirmed_one_does_not(lang: str) -> None:
    rec = by_id("service_points", "fengtai_exit_entry_hall")
    confirmed = copy.deepcopy(rec)
    confirmed["verified_on"] = "2026-12-01"
    confirmed["verified_by"] = "Fengtai exit-entry office, by phone"
    shown = render.service_point(Place(confirmed), lang)
    line = t("confirmed", lang, office="Fengtai exit-entry office, by phone", date="2026-12-01")
    assert line in shown
    assert t("not_confirmed", lang) not in shown
    plain = render.service_point(Place(rec), lang)
    assert "Fengtai exit-entry office" not in plain and "2026-12-01" not in plain
    assert t("not_confirmed", lang) in plain
    # verified_on alone is not a confirmation
    half = copy.deepcopy(rec)
    half["verified_on"] = "2026-12-01"
    assert t("not_confirmed", lang) in render.service_point(Place(half), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_our_translations_are_never_shown_as_official(lang: str) -> None:
    seen = 0
    for kind, rec in answered():
        if kind == "hotlines" or not rec.get("translated"):
            continue
        text = render_any(kind, rec, lang)
        for path in rec["translated"]:
            zh = prov.resolve(rec, path)
            if path.endswith("address.zh"):
                assert t("address_zh_translated", lang, text=zh) in text, (rec["id"], path)
                assert t("address_zh", lang, text=zh) not in text, (rec["id"], path)
                seen += 1
            elif path == "name.zh":
                assert t("our_translation", lang, text=zh) in text, (rec["id"], path)
                seen += 1
    assert seen > 20
    # a Chinese address found in a source keeps "show the driver"
    main = by_id("service_points", "psb_exit_entry_main_hall")
    assert t("address_zh", lang, text=main["address"]["zh"]) in render_any(
        "service_points", main, lang
    )


# ------------------------------------------------------------------- whom to call


def test_confirm_phone_is_the_records_own_else_the_hotline_of_its_kind() -> None:
    assert prov.confirm_phone("service_points", {"kind": "exit_entry_hall"}) == "12367"
    assert prov.confirm_phone("service_points", {"kind": "port_visa_office"}) == "12367"
    assert prov.confirm_phone("service_points", {"kind": "talent_centre"}) == "12345"
    assert prov.confirm_phone("service_points", {"kind": "government_service_hall"}) == "12345"
    assert prov.confirm_phone("procedures", {"topic": "residence_permit"}) == "12367"
    assert prov.confirm_phone("procedures", {"topic": "work_permit"}) == "12345"
    assert prov.confirm_phone("schools", {"phones": []}) == "12345"
    assert prov.confirm_phone("hospitals", {"phones": []}) == "12345"
    assert prov.confirm_phone("hotlines", {"number": "12320"}) == "12320"
    assert prov.confirm_phone("no_such_kind", {}) == "12345"  # a new kind: the city hotline
    # Questions and answers: by the entry's topic.
    assert prov.confirm_phone("faq", {"topic": "immigration"}) == "12367"
    for topic in ("health", "money", "phone", "driving", "social_insurance", "tax"):
        assert prov.confirm_phone("faq", {"topic": topic}) == "12345"
    unsure = {"source": ["example.gov.cn/x.html [OFF]"], "uncertain": {"hours": "old"}}
    assert "(12345)" in render.provenance(unsure, "en")[0]  # a caller that names no kind
    own = {"kind": "exit_entry_hall", "phones": [{"number": "010-1234 5678"}]}
    assert prov.confirm_phone("service_points", own) == "010-1234 5678"
    school = {"locations": [{"phones": [{"number": "010-8888 0000"}]}], "phones": []}
    assert prov.confirm_phone("schools", school) == "010-8888 0000"
    # a phone that is itself in doubt is not the one to confirm with
    doubtful = {**own, "uncertain": {"phones": "old guide"}}
    assert prov.confirm_phone("service_points", doubtful) == "12367"


@pytest.mark.parametrize("lang", LANGS)
def test_schools_and_hospitals_never_send_users_to_the_immigration_hotline(lang: str) -> None:
    for kind in ("schools", "hospitals"):
        for rec in KNOWLEDGE.records[kind]:
            if not rec.get("uncertain"):
                continue
            text = render_any(kind, rec, lang)
            warning = next(line for line in text.splitlines() if line.startswith("⚠"))
            assert "12367" not in warning, rec["id"]
            assert prov.confirm_phone(kind, rec) in warning, rec["id"]
    hall = by_id("service_points", "tongzhou_exit_entry_hall")
    text = render_any("service_points", hall, lang)
    assert "12367" in next(line for line in text.splitlines() if line.startswith("⚠"))


@pytest.mark.parametrize("lang", LANGS)
def test_faq_warnings_name_the_field_and_the_hotline_of_the_entry_topic(lang: str) -> None:
    """Questions and answers show provenance as every kind does: the uncertain field by name and the
    hotline of the entry's topic (12367 for immigration matters only)."""
    seen = {"12367": 0, "12345": 0}
    for rec in KNOWLEDGE.records["faq"]:
        if not rec.get("uncertain"):
            continue
        text = render_any("faq", rec, lang)
        warning = next(line for line in text.splitlines() if line.startswith("⚠"))
        for field in rec["uncertain"]:
            assert render.field_label(field, lang) in warning, rec["id"]
        hotline = "12367" if rec["topic"] == "immigration" else "12345"
        assert hotline in warning, rec["id"]
        assert ("12367" in warning) == (hotline == "12367"), rec["id"]
        seen[hotline] += 1
    assert seen["12367"] and seen["12345"], seen


# ------------------------------------------------------------------- validate's refusals

POINT = """\
service_points:
  - id: test_hall
    kind: exit_entry_hall
    name: {en: Test Hall, zh: 测试大厅}
    district: chaoyang
    address: {en: 1 Test Road, zh: 朝阳区测试路1号}
    phones: []
    hours: null
    services: [visa_extension]
    source:
      - example.gov.cn/hall.html [OFF]
    source_date: "2026-11-20"
    verified_on: 2026-11-22
    verified_by: Chaoyang exit-entry office, by phone
    translated: [address.zh]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "points.yml").write_text(text, encoding="utf-8")
    return [str(p).split("points.yml", 1)[1] for p in read_knowledge(tmp_path).problems]


def test_the_fixture_is_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, POINT) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    verified_by: Chaoyang exit-entry office, by phone\n", ""),
            ":13: service_point 'test_hall'.verified_on: verified_on needs verified_by: write who "
            "confirmed the record (e.g. verified_by: Chaoyang exit-entry office, by phone); if "
            "nobody has checked it, remove verified_on",
        ),
        (
            ("    verified_on: 2026-11-22\n", ""),
            ":13: service_point 'test_hall'.verified_by: verified_by needs verified_on: write the "
            "day of the confirmation (YYYY-MM-DD)",
        ),
        (
            ("verified_on: 2026-11-22", "verified_on: 2999-01-01"),
            ":13: service_point 'test_hall'.verified_on: 2999-01-01 is in the future: write the day "
            "the record was confirmed",
        ),
        (
            ("example.gov.cn/hall.html [OFF]", "example.gov.cn [OFF]"),
            ":11: service_point 'test_hall'.source[1]: 'example.gov.cn [OFF]' gives no page address "
            "or document title: write the address of the page (e.g. "
            "english.beijing.gov.cn/livinginbeijing/lossofpassports/index.html) or the document's "
            'title in quotes (e.g. "A Guide to Working and Living in China (2024)")',
        ),
        (
            ("example.gov.cn/hall.html [OFF]", "a relocation blog [3P]"),
            ":11: service_point 'test_hall'.source[1]: 'a relocation blog [3P]' gives no page "
            "address or document title: write the address of the page (e.g. "
            "english.beijing.gov.cn/livinginbeijing/lossofpassports/index.html) or the document's "
            'title in quotes (e.g. "A Guide to Working and Living in China (2024)")',
        ),
        (
            ("example.gov.cn/hall.html [OFF]", "example.gov.cn/hall.html"),
            ":11: service_point 'test_hall'.source[1]: 'example.gov.cn/hall.html' does not say what "
            "kind of source it is: end it with [OFF] (official site), [MEDIA] (news media) or [3P] "
            "(anyone else)",
        ),
        (
            ("example.gov.cn/hall.html [OFF]", "blog.example.com/post/1 [3P]"),
            ":10: service_point 'test_hall'.source: every source of this record is third-party or "
            "media ([3P]/[MEDIA]), none official ([OFF]): mark it uncertain, e.g. uncertain: "
            "{source: only found on a school directory}",
        ),
        (
            (
                "      - example.gov.cn/hall.html [OFF]",
                "      - '" + prov.RESEARCH_FILE + ", which names only: example.gov.cn [OFF]'",
            ),
            ":10: service_point 'test_hall'.source: every source of this record is known only by a "
            "site name from the research file, no page or document: mark it uncertain, e.g. "
            "uncertain: {source: the research file names only the site; the page was not recorded}",
        ),
        (
            ("translated: [address.zh]", "translated: [adress.zh]"),
            ":15: service_point 'test_hall'.translated[1]: 'adress.zh' is not a text of this "
            "record: write the path of a translated text, e.g. name.zh, address.zh or "
            "locations[1].address.zh",
        ),
        (
            ('    source_date: "2026-11-20"\n', ""),
            ":2: service_point 'test_hall'.source_date: source_date is missing",
        ),
    ],
)
def test_validate_refuses_dishonest_provenance_with_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in POINT
    assert problems(tmp_path, POINT.replace(old, new)) == [expected]


def test_third_party_only_record_marked_uncertain_is_accepted(tmp_path: Path) -> None:
    text = POINT.replace("example.gov.cn/hall.html [OFF]", "'\"Beijing Expat Guide 2014\" [3P]'")
    text += "    uncertain:\n      source: only found in an expat guide\n"
    assert problems(tmp_path, text) == []


# ------------------------------------------------------------------- stale and report


def test_stale_and_report_list_every_record_never_confirmed() -> None:
    import datetime as dt

    items = review_list(KNOWLEDGE.records, 180, dt.date(2026, 12, 6))
    assert {i.id for i in items if i.never_confirmed} == {r["id"] for _, r in records()}
    rows = unconfirmed_rows(KNOWLEDGE.records)
    assert len(rows) == KNOWLEDGE.count()
    main = next(r for r in rows if r[3] == "psb_exit_entry_main_hall")
    assert main[0].endswith("service_points.yml") and "phones" in main[5]
    confirmed = copy.deepcopy(KNOWLEDGE.records)
    first = confirmed["hotlines"][0]
    first.update(verified_on="2026-12-01", verified_by="Test office")
    assert len(unconfirmed_rows(confirmed)) == KNOWLEDGE.count() - 1
    listed = [i for i in review_list(confirmed, 180, dt.date(2026, 12, 6)) if i.id == first["id"]]
    # listed again only for its uncertain facts, and then as confirmed by Test office
    assert all(not i.never_confirmed and i.verified_by == "Test office" for i in listed)
    assert bool(listed) == bool(first.get("uncertain"))
