"""One fact of a record per facet (bot/knowledge/facets.py and each kind's facet_text), procedure ranking
and a newcomer's first steps, on the real knowledge base."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.core import languages
from bot.knowledge.facets import ALL_FACETS
from bot.knowledge.kinds import hospitals, hotlines, procedures, schools, service_points
from bot.knowledge.queries import snapshot

KIND_MODULES: dict[str, Any] = {
    "service_points": service_points,
    "procedures": procedures,
    "schools": schools,
    "hospitals": hospitals,
    "hotlines": hotlines,
}
LANGS = [lang.code for lang in languages.REGISTRY]


def record(kb_url: str, kind: str, rid: str) -> Any:
    module = KIND_MODULES[kind]
    with snapshot(kb_url) as session:
        return session.get(module.KIND.table, rid).data


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_each_kind_names_its_facets_from_the_contract(kind: str) -> None:
    facets = KIND_MODULES[kind].FACETS
    assert facets and facets <= ALL_FACETS


@pytest.mark.parametrize("lang", LANGS)
def test_the_fee_facet_is_short_and_says_free_for_zero(kb_url: str, lang: str) -> None:
    rec = record(kb_url, "procedures", "residence_permit_work")
    text = procedures.facet_text(rec, "fee", lang)
    assert text is not None
    assert "400" in text and "800" in text and "1" in text
    assert "⚠" in text  # the CNY 800 line comes only from a university page
    assert len(text) < 700
    lost = record(kb_url, "procedures", "lost_passport")
    zero = [f for f in lost.get("fees") or [] if f.get("amount_cny") == 0]
    if zero:
        assert procedures.facet_text(lost, "fee", "en") is not None
        assert "free" in (procedures.facet_text(lost, "fee", "en") or "")


@pytest.mark.parametrize("lang", LANGS)
def test_a_free_fee_says_free_once(kb_url: str, lang: str) -> None:
    """The lost-passport certificate's note is "free of charge" ("бесплатно", "kostenlos", "無料"): the line
    says "free" once, not "бесплатно (бесплатно)"; the registration's "free (agency advice)" keeps what it
    adds."""
    for rid in ("lost_passport", "accommodation_registration"):
        text = procedures.facet_text(record(kb_url, "procedures", rid), "fee", lang) or ""
        line = next(x for x in text.split("\n") if x.startswith("•"))
        free = procedures.t("fee_free", lang, item="").strip(" :：\u2066\u2069")
        assert procedures._fold(line).count(procedures._fold(free)) == 1, (rid, line)


@pytest.mark.parametrize(
    ("line", "note", "added"),
    [
        ("Certificate: free", "free of charge", ""),
        ("Registration: free", "free (agency advice)", "agency advice"),
        ("Справка: бесплатно", "бесплатно", ""),
        ("宿泊登記：無料", "無料（代行業者の案内による）", "代行業者の案内による"),
        ("شهادة: مجاناً", "مجانًا", ""),
        ("R visa fee: free", "waived", "waived"),
        ("Permit: CNY 400", "per applicant", "per applicant"),
    ],
)
def test_a_fee_note_adds_only_what_its_line_does_not_say(line: str, note: str, added: str) -> None:
    assert procedures._new_in_note(line, note) == added


def test_a_procedure_without_a_fact_gives_none(kb_url: str) -> None:
    field = {
        "fee": "fees",
        "documents": "documents",
        "steps": "steps",
        "processing_time": "processing_time",
        "validity": "validity",
        "deadline": "deadlines",
        "eligibility": "who",
        "order": "order",
        "website": "links",
    }
    with snapshot(kb_url) as session:
        records = [
            r.data for r in session.execute(procedures.select(procedures.Procedure)).scalars()
        ]
    gaps = 0
    for rec in records:
        for facet in procedures.FACETS:
            held = rec.get(field[facet]) not in (None, []) or (
                facet == "deadline" and bool(rec.get("deadline"))
            )
            text = procedures.facet_text(rec, facet, "en")
            assert (text is not None) == held, (rec["id"], facet)
            gaps += not held
        assert procedures.facet_text(rec, "address", "en") is None  # not a procedure's facet
    assert gaps > 0


def test_service_point_address_has_the_chinese_address_for_the_driver(kb_url: str) -> None:
    rec = record(kb_url, "service_points", "psb_exit_entry_main_hall")
    text = service_points.facet_text(rec, "address", "en") or ""
    assert "安定门东" in text and "driver" in text
    assert service_points.facet_text(rec, "address", "zh") is not None


def test_service_point_hours_on_a_given_day(kb_url: str) -> None:
    rec = record(kb_url, "service_points", "psb_exit_entry_main_hall")
    saturday = dt.datetime(2026, 12, 12, 10, 0)  # a Saturday
    sunday = dt.datetime(2026, 12, 13, 10, 0)
    sat = service_points.facet_text(rec, "hours", "en", when=saturday) or ""
    sun = service_points.facet_text(rec, "hours", "en", when=sunday) or ""
    assert "09:00" in sat and "closed" in sun.lower()
    assert service_points.facet_text(rec, "hours", "de") is not None


def test_an_unknown_phone_is_an_honest_gap(kb_url: str) -> None:
    rec = record(kb_url, "service_points", "etown_exit_entry_hall")
    assert service_points.facet_text(rec, "phone", "en") is None
    assert service_points.facet_text(rec, "address", "en") is None


def test_a_closed_school_says_it_no_longer_operates_with_the_year(kb_url: str) -> None:
    rec = record(kb_url, "schools", "saint_paul_american_school")
    text = schools.facet_text(rec, "status", "en") or ""
    assert "no longer operating" in text and "2023" in text
    open_school = record(kb_url, "schools", "western_academy_of_beijing")
    assert "open" in (schools.facet_text(open_school, "status", "en") or "")


@pytest.mark.parametrize("lang", LANGS)
def test_school_curriculum_ages_and_address_in_every_language(kb_url: str, lang: str) -> None:
    rec = record(kb_url, "schools", "western_academy_of_beijing")
    for facet in ("curriculum", "ages", "address", "phone"):
        assert schools.facet_text(rec, facet, lang), facet


def test_hospital_languages_only_from_its_data(kb_url: str) -> None:
    oasis = record(kb_url, "hospitals", "oasis_international_hospital")
    assert "Arabic" in (hospitals.facet_text(oasis, "languages", "en") or "")
    # United Family has no language data in our sources: no guess.
    bju = record(kb_url, "hospitals", "beijing_united_family_hospital")
    assert hospitals.facet_text(bju, "languages", "en") is None
    with snapshot(kb_url) as session:
        rows = session.execute(hospitals.select(hospitals.Hospital)).scalars().all()
        silent = [r.data for r in rows if not r.data.get("languages")]
    for rec in silent:
        assert hospitals.facet_text(rec, "languages", "en") is None


def test_doubts_on_the_fact_stay_visible(kb_url: str) -> None:
    rec = record(kb_url, "procedures", "residence_permit_work")
    text = procedures.facet_text(rec, "processing_time", "en") or ""
    assert "⚠" in text and "12367" in text
    # A doubt on another field is not repeated under this one.
    assert "⚠" not in (procedures.facet_text(rec, "validity", "en") or "")


def test_hotline_phone_and_languages(kb_url: str) -> None:
    rec = record(kb_url, "hotlines", "immigration_12367")
    assert "12367" in (hotlines.facet_text(rec, "phone", "en") or "")


@pytest.mark.parametrize(
    ("topic", "question", "best"),
    [
        ("visa", "I need to extend my M business visa", "visa_stay_extension"),
        ("visa", "visa extension", "visa_stay_extension"),
        ("visa", "签证延期", "visa_stay_extension"),
        ("visa", "Как продлить визу?", "visa_stay_extension"),
        ("visa", "Visum verlängern", "visa_stay_extension"),
        ("visa", "prolonger mon visa", "visa_stay_extension"),
        ("visa", "240 hour visa free transit, how does it work?", "visa_free_transit_240h"),
        ("visa", "urgent business, can I get a visa at the airport on arrival?", "port_visa"),
        ("visa", "stay permit for a crew member", "stay_permit"),
        ("residence_permit", "how much is a work residence permit", "residence_permit_work"),
        ("residence_permit", "medical check for my permit", "medical_examination_residence_permit"),
        (None, "I lost my passport", "lost_passport"),
        # Function words ("für", "die", "zum", "для") do not count: the nouns decide.
        (
            "residence_permit",
            "wie lange dauert die Aufenthaltserlaubnis zum Studieren",
            "residence_permit_study",
        ),
        ("residence_permit", "сколько стоит вид на жительство для учёбы", "residence_permit_study"),
    ],
)
def test_rank_puts_the_procedure_the_question_is_about_first(
    kb_url: str, topic: str | None, question: str, best: str
) -> None:
    ranked = procedures.rank(topic, question, None, kb_url)
    assert ranked[0]["id"] == best


def test_function_words_are_not_terms() -> None:
    assert procedures._terms("für die Aufenthaltserlaubnis zum Studieren") == {"aufen", "studi"}
    assert procedures._terms("the fee for the R visa") == {"R", "fee", "visa"}
    assert procedures._terms("для вида на жительство") == {"вида", "жител"}


def test_rank_prefers_the_asked_permit_type(kb_url: str) -> None:
    ranked = procedures.rank("residence_permit", "how long does it take?", "study", kb_url)
    assert ranked[0]["id"] == "residence_permit_study"


def test_first_steps_are_ordered_with_deadlines(kb_url: str) -> None:
    steps = procedures.first_steps(kb_url)
    assert [s["id"] for s in steps] == [
        "accommodation_registration",
        "medical_examination_residence_permit",
        "work_permit",
        "residence_permit_work",
    ]
    deadlines = [step.get("deadline") or {} for step in steps]
    assert "24 hours" in deadlines[0]["en"]
    assert "30 days" in deadlines[-1]["en"]
    assert all(d.get("zh") for d in deadlines)


def test_a_curriculum_filter_is_strict_and_addresses_rank_first(kb_url: str) -> None:
    from bot.knowledge.kinds.schools import find_schools

    korean = find_schools(curriculum="korean", district="chaoyang", limit=None, url=kb_url)
    assert korean and all("korean" in p.record["curricula"] for p in korean)
    every = find_schools(district="chaoyang", limit=None, url=kb_url)
    in_chaoyang = [
        p for p in every if any(loc.get("district") == "chaoyang" for loc in p.record["locations"])
    ]
    has_address = [any(loc.get("address") for loc in p.record["locations"]) for p in in_chaoyang]
    # Within the district, every place with an address comes before every place without one.
    assert has_address == sorted(has_address, reverse=True)


def test_a_spoken_language_filter_lists_only_hospitals_whose_data_says_so(kb_url: str) -> None:
    from bot.knowledge.kinds.hospitals import find_hospitals

    arabic = find_hospitals(language="ar", limit=None, url=kb_url)
    assert [p.record["id"] for p in arabic] == ["oasis_international_hospital"]
    assert find_hospitals(language="ru", limit=None, url=kb_url) == []


def test_schools_near_a_landmark_rank_by_distance(kb_url: str) -> None:
    from bot.knowledge.kinds.schools import find_schools
    from bot.knowledge.names import find_landmarks

    (sanlitun,) = find_landmarks("near Sanlitun", kb_url)
    assert sanlitun.lat is not None and sanlitun.lon is not None
    ranked = find_schools(near=(sanlitun.lat, sanlitun.lon), limit=None, url=kb_url)
    distances = [p.distance_km for p in ranked if p.distance_km is not None]
    assert distances == sorted(distances)


@pytest.mark.parametrize("lang", LANGS)
def test_first_step_lines_in_every_language(kb_url: str, lang: str) -> None:
    lines = [
        (procedures.facet_text(s, "order", lang) or "").replace("\u2066", "").replace("\u2069", "")
        for s in procedures.first_steps(kb_url)
    ]
    assert [line.split(".", 1)[0] for line in lines] == ["1", "2", "3", "4"]
    assert "24" in lines[0] and "30" in lines[-1]
    if lang not in ("en", "zh"):
        # the deadlines are translated (overlays), not shown in English
        assert "Within 24 hours" not in lines[0]


def test_a_mention_leads_to_its_fact(kb_url: str) -> None:
    from bot.knowledge.facets import facets_of, fact
    from bot.knowledge.names import find_mentions, record

    (mention,) = find_mentions("when is the Andingmen hall open on Saturday?", kb_url)
    rec = record(mention.kind, mention.id, kb_url)
    assert rec is not None
    saturday = dt.datetime(2026, 12, 12, 15, 0)
    assert "09:00" in (fact(mention.kind, rec, "hours", "en", saturday) or "")
    assert fact(mention.kind, rec, "curriculum", "en") is None  # not a service point's facet
    assert facets_of("landmarks") == frozenset()
    assert record("schools", "no_such_school", kb_url) is None


def test_located_fact_gives_a_located_records_address_and_phone_and_nothing_else() -> None:
    from bot.knowledge.facets import located_fact

    rec = {
        "locations": [{"district": "chaoyang", "address": {"en": "1 Some Road", "zh": "某路1号"}}],
        "phones": [],
    }
    text, fields = located_fact(rec, "address", "en") or (None, ())
    assert text is not None and "1 Some Road" in text and fields == ("locations",)
    assert located_fact(rec, "phone", "en") == (None, ("phones", "locations"))
    assert located_fact(rec, "curriculum", "en") is None


@pytest.mark.parametrize("lang", LANGS)
def test_the_website_facet_gives_the_records_own_web_address(kb_url: str, lang: str) -> None:
    wab = record(kb_url, "schools", "western_academy_of_beijing")
    assert "www.wab.edu" in (schools.facet_text(wab, "website", lang) or "")
    oasis = record(kb_url, "hospitals", "oasis_international_hospital")
    assert "oasishealth.cn" in (hospitals.facet_text(oasis, "website", lang) or "")
    work = record(kb_url, "procedures", "work_permit")
    assert "fwp.safea.gov.cn" in (procedures.facet_text(work, "website", lang) or "")
    # No website in the record: none (the answer says so and gives the channel), never another's.
    bsb = record(kb_url, "schools", "british_school_of_beijing_shunyi")
    assert schools.facet_text(bsb, "website", lang) is None
    hall = record(kb_url, "service_points", "chaoyang_exit_entry_hall")
    assert service_points.facet_text(hall, "website", lang) is None


@pytest.mark.parametrize("lang", LANGS)
def test_the_website_facet_also_gives_the_records_e_mail(kb_url: str, lang: str) -> None:
    """ "email for admissions at the canadian school": the web address and the e-mail, or the e-mail
    alone when there is no web address (the airport's port-visa office)."""
    cisb = record(kb_url, "schools", "canadian_international_school_beijing")
    text = schools.facet_text(cisb, "website", lang) or ""
    assert "cisbeijing.com" in text and "admissions@cisbeijing.com" in text
    office = record(kb_url, "service_points", "airport_port_visa_office")
    assert "bjcrjka@nia.gov.cn" in (service_points.facet_text(office, "website", lang) or "")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_hospital_known_only_for_its_emergency_department_says_its_hours_are_unknown(
    kb_url: str, lang: str
) -> None:
    """ "토요일에도 해요?" after United Family: its 24-hour emergency department, and that its other hours
    are not in our sources, rather than the emergency line as if it answered the question."""
    from bot.dialogue.i18n import t

    bju = record(kb_url, "hospitals", "beijing_united_family_hospital")
    assert bju.get("emergency_24h") is True and not bju.get("hours")
    text = hospitals.facet_text(bju, "hours", lang) or ""
    assert t("emergency_24h_yes", lang) in text and t("hours_unknown", lang) in text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_hospitals_24_hour_emergency_comes_with_its_emergency_number(
    kb_url: str, lang: str
) -> None:
    """ "Is the ER open all night?": yes, and the number staff labelled as the emergency line."""
    bju = record(kb_url, "hospitals", "beijing_united_family_hospital")
    text = hospitals.facet_text(bju, "hours", lang) or ""
    assert "5927 7120" in text and "5927 7000" not in text


def test_is_it_open_now_also_says_the_weekly_hours(kb_url: str) -> None:
    """ "Is it open right now?" after closing time: closed now, next opening, and when it is open."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    hall = record(kb_url, "service_points", "psb_exit_entry_main_hall")
    evening = dt.datetime(2026, 12, 7, 18, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    text = service_points.facet_text(hall, "status", "en", evening) or ""
    assert "Closed now" in text and "09:00–17:00" in text


def test_a_school_teaches_in_the_languages_its_programmes_say(kb_url: str) -> None:
    rec = record(kb_url, "schools", "beijing_world_youth_academy")
    text = schools.facet_text(rec, "languages", "en") or ""
    assert "80%" in text and text == schools.facet_text(rec, "curriculum", "en")


def test_hospital_insurance_only_from_its_data(kb_url: str) -> None:
    bju = record(kb_url, "hospitals", "beijing_united_family_hospital")
    assert "BlueCross" in (hospitals.facet_text(bju, "insurance", "ru") or "")
    # OASIS has no insurance data in our sources: no guess (the dialogue says "I don't have that").
    oasis = record(kb_url, "hospitals", "oasis_international_hospital")
    assert hospitals.facet_text(oasis, "insurance", "fr") is None


@pytest.mark.parametrize(
    ("rid", "facet", "lang", "expected"),
    [
        ("keystone_academy", "boarding", "en", "Grade 9"),
        ("keystone_academy", "boarding", "zh", "9年级"),
        ("beijing_world_youth_academy", "boarding", "en", "Day school only"),
        ("japanese_school_of_beijing", "pupils", "ja", "244"),
        ("harrow_beijing", "pupils", "en", "1,229"),
        ("german_embassy_school_beijing", "pupils", "de", "600"),
        ("yew_chung_international_school_beijing", "hours", "en", "08:00-15:15"),
    ],
)
def test_school_facts_written_in_its_free_texts(
    kb_url: str, rid: str, facet: str, lang: str, expected: str
) -> None:
    assert expected in (schools.facet_text(record(kb_url, "schools", rid), facet, lang) or "")


def test_a_school_whose_texts_do_not_say_it_gives_none(kb_url: str) -> None:
    wab = record(kb_url, "schools", "western_academy_of_beijing")
    for facet in ("boarding", "pupils", "hours"):
        assert schools.facet_text(wab, facet, "en") is None, facet
