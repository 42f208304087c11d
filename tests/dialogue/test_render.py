"""Every knowledge record renders in both languages, with its Chinese address, source and doubts."""

from __future__ import annotations

import pytest

from bot.dialogue import asked, i18n, render
from bot.knowledge.loader import read_knowledge
from bot.knowledge.queries import Place

KNOWLEDGE = read_knowledge()


@pytest.mark.parametrize("lang", i18n.available())
def test_service_points_render(lang: str) -> None:
    for rec in KNOWLEDGE.records["service_points"]:
        text = render.service_point(Place(rec), lang)
        if rec.get("address"):
            assert rec["address"]["zh"] in text, rec["id"]
        assert render.source_date_in_words(rec["source_date"], lang) in text
        if rec.get("uncertain"):
            assert "⚠" in text, rec["id"]
        assert "{" not in text and "}" not in text, f"unfilled template in {rec['id']}"


@pytest.mark.parametrize("lang", i18n.available())
def test_procedures_schools_hospitals_hotlines_render(lang: str) -> None:
    for rec in KNOWLEDGE.records["procedures"]:
        text = render.procedure(rec, lang)
        assert rec["title"].get(lang, rec["title"]["en"]) in text
        assert render.source_date_in_words(rec["source_date"], lang) in text
    for rec in KNOWLEDGE.records["schools"]:
        text = render.school(Place(rec), lang)
        assert render.source_date_in_words(rec["source_date"], lang) in text
        assert "{" not in text, f"unfilled template in {rec['id']}"
    for rec in KNOWLEDGE.records["hospitals"]:
        text = render.hospital(Place(rec), lang)
        for loc in rec["locations"]:
            if loc.get("address"):
                assert loc["address"]["zh"] in text
    for rec in KNOWLEDGE.records["hotlines"]:
        assert rec["number"] in render.hotline(rec, lang)


def test_uncertain_fields_are_named_in_the_users_language() -> None:
    rec = {
        "id": "x",
        "source": ["example.gov.cn/s.html [OFF]"],
        "source_date": "2026-11-22",
        "uncertain": {"phones": "old guide", "steps[2]": "2015 Q&A"},
    }
    # staff's reasons are English notes: said in English only (no overlay translates them); another
    # language names the doubted fields in its own words
    chinese = "\n".join(render.provenance(rec, "zh", "service_points"))
    assert "⚠" in chinese and "电话" in chinese and "old guide" not in chinese
    french = "\n".join(render.provenance(rec, "fr", "procedures"))
    assert "⚠ Non confirmé" in french and "2015 Q&A" not in french and "old guide" not in french
    assert "phone (old guide)" in "\n".join(render.provenance(rec, "en", "service_points"))
    # an item of a list is named with its number, not as the whole list or another field
    assert "steps 2 (2015 Q&A)" in "\n".join(render.provenance(rec, "en", "procedures"))


def test_days_are_grouped() -> None:
    assert render.format_days(["mon", "tue", "wed", "thu", "fri", "sat"], "en") == "Mon–Sat"
    assert render.format_days(["mon", "wed", "thu"], "en") == "Mon, Wed–Thu"


def test_amounts_use_each_languages_separators() -> None:
    assert render.format_amount(1500, "en") == "1,500"
    assert render.format_amount(1500, "de") == "1.500"
    assert render.format_amount(1500, "fr") == "1\u202f500"
    assert render.format_amount(400, "es") == "400"


def test_the_full_page_says_source_tags_in_words() -> None:
    """More details names what kind of site each source is, in the reader's language."""
    rec = {"source": ["example.gov.cn/s.html [OFF]", "news.example.com/a.htm [MEDIA]"]}
    line = next(x for x in render.provenance(rec, "de") if x.startswith("Quelle"))
    assert "example.gov.cn/s.html (amtlich)" in line and "news.example.com/a.htm (Presse)" in line
    assert "[OFF]" not in line and "[MEDIA]" not in line


@pytest.mark.parametrize("translated", [True, False])
def test_a_chinese_reader_gets_the_address_once(translated: bool) -> None:
    """In Chinese the address is the Chinese address: one line, marked when it is our translation."""
    record = {"translated": ["address.zh"] if translated else []}
    address = {"en": "No. 2 Andingmen East Street", "zh": "安定门东街2号"}
    lines = render.address_lines(address, "zh", record, "address")
    assert len(lines) == 1 and "安定门东街2号" in lines[0]
    key = "address_zh_translated" if translated else "address_zh"
    assert lines[0] == i18n.t(key, "zh", text="安定门东街2号")
    # Other readers still get their address and the Chinese one for the driver.
    assert len(render.address_lines(address, "fr", record, "address")) == 2


def test_doubts_name_the_facts_in_every_language_and_staffs_english_reasons_in_english_only() -> (
    None
):
    from bot.knowledge.facets import doubts

    record = {"uncertain": {"fees": "only found on a university page"}}
    english = doubts("procedures", record, ["fees"], "en")
    assert english is not None and "only found on a university page" in english
    chinese = doubts("procedures", record, ["fees"], "zh")
    assert chinese is not None and chinese.startswith("⚠") and "university" not in chinese
    assert render.field_label("fees", "zh") in chinese


@pytest.mark.parametrize(
    ("lang", "date", "expected"),
    [
        (
            "fr",
            "undated (current pages); fees 2020; processing 2015-2023",
            "sans date (pages actuelles); frais 2020; délais 2015-2023",
        ),
        ("ko", "2025-02-12 (contact page)", "2025-02-12 (연락처 페이지)"),
        ("de", "page undated; opening 2016", "Seite undatiert; Eröffnung 2016"),
        ("zh", "2012 (outdated)", "2012 (已过时)"),
        # A clause with a word the catalogue lacks stays as staff wrote it, not half translated.
        ("es", "undated (post-Dec 2024) / 2025-11-13", "undated (post-Dec 2024) / 2025-11-13"),
        ("ru", "undated / 2021-09-15; hotel rule 2020", "без даты / 2021-09-15; hotel rule 2020"),
        # English, and dates alone, are unchanged.
        ("en", "undated (current pages); fees 2020", "undated (current pages); fees 2020"),
        ("ja", "2024-04-24 / 2025-02-25", "2024-04-24 / 2025-02-25"),
    ],
)
def test_source_dates_in_the_users_language(lang: str, date: str, expected: str) -> None:
    assert render.source_date_in_words(date, lang) == expected


def test_a_short_source_line_names_its_date_in_the_users_language() -> None:
    record = {
        "source": ["https://example.org/page"],
        "source_date": "undated (current pages); fees 2020",
    }
    (line, *_rest) = asked.short_provenance(record, "fr")
    assert "sans date (pages actuelles); frais 2020" in line
    assert "undated" not in line


HALL = {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "ranges": ["09:00-17:00"]}]}


def _holiday(holiday: str) -> object:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from bot.dialogue import hours

    return hours.resolve_day(
        holiday, dt.datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    )


@pytest.mark.parametrize("lang", i18n.available())
def test_a_holiday_asked_gives_the_places_holiday_rule_or_says_it_is_not_known(lang: str) -> None:
    t = i18n.t
    closed = render.format_day(
        {**HALL, "public_holidays": "closed"}, lang, _holiday("national_day")
    )
    assert t("public_holidays_closed", lang) in closed and "09:00–17:00" in closed
    unknown = render.format_day(
        {**HALL, "public_holidays": "unknown"}, lang, _holiday("labour_day")
    )
    what = i18n.name("facet_names", "holiday_hours", lang)
    assert t("fact_unknown", lang, what=what) in unknown and "09:00–17:00" in unknown
    # A closed period staff gave for that holiday is said with its dates, even once past.
    centre = {
        **HALL,
        "public_holidays": "open",
        "closed_periods": [
            {"from": "2026-02-15", "to": "2026-02-23", "reason": {"en": "Spring Festival holiday"}}
        ],
    }
    spring = render.format_status(centre, lang, _holiday("spring_festival"))
    assert "2026-02-15" in spring and "2026-02-23" in spring
    assert "2026-02-15" not in render.format_day(centre, lang, _holiday("national_day"))


@pytest.mark.parametrize("lang", ["en", "ko", "de"])
def test_a_day_the_place_is_closed_also_says_when_it_is_open(lang: str) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    sunday = dt.datetime(2026, 12, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    text = render.format_day(HALL, lang, sunday)
    assert text.startswith(i18n.t("day_closed", lang, day=f"{i18n.weekday(6, lang)} 2026-12-13"))
    assert "09:00–17:00" in text


def test_a_place_open_around_the_clock_says_its_holiday_rule_too() -> None:
    office = {"open_24h": True, "public_holidays": "open"}
    text = render.format_day(office, "en", _holiday("spring_festival"))
    assert i18n.t("open_24h", "en") in text and i18n.t("public_holidays_open", "en") in text


def test_a_field_doubted_for_two_reasons_is_named_once_outside_english() -> None:
    unc = {
        "answer": "third-party copy",
        "source": "only a forum",
        "address": "old",
        "address.zh": "ours",
    }
    labels = render.doubted_fields(unc, "ru")
    assert len(labels) == len(set(labels)) == 3
    assert not any("third-party" in label or "forum" in label for label in labels)
    assert render.doubted_fields(unc, "en")[0].endswith("(third-party copy)")


def test_a_translated_faq_answer_has_no_english_reasons_an_untranslated_one_keeps_them() -> None:
    entry = {
        "id": "x",
        "topic": "driving",
        "answer": {"en": "Yes.", "zh": "是。", "fr": "Oui."},
        "source": ["example.gov.cn/s.html [OFF]"],
        "source_date": "2026-11-22",
        "uncertain": {"answer": "undated third-party description only"},
    }
    assert "undated third-party" not in render.faq_entry(entry, "fr")
    assert "⚠" in render.faq_entry(entry, "fr")
    assert "undated third-party" in render.faq_entry(
        entry, "de"
    )  # shown in English, with its reason
    assert "undated third-party" in render.faq_entry(entry, "en")
