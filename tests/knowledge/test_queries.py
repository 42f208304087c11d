"""Queries against the knowledge base synced from knowledge/."""

from __future__ import annotations

from bot.knowledge import queries


def ids(places: list[queries.Place]) -> list[str]:
    return [p.record["id"] for p in places]


def test_residence_permit_in_chaoyang_puts_the_chaoyang_hall_first(kb_url: str) -> None:
    places = queries.find_service_points(
        queries.service_codes("residence_permit"), district="chaoyang", url=kb_url
    )
    assert places[0].record["id"] == "chaoyang_exit_entry_hall"
    assert all(p.record["district"] == "chaoyang" for p in places if p.distance_km == 0)


def test_in_a_district_the_specialised_office_comes_before_the_nearer_one(kb_url: str) -> None:
    # Both are in Chaoyang; the talent centre is nearer the district's centre, but the user is not there.
    work = queries.find_service_points(
        queries.service_codes("work_permit"), district="chaoyang", url=kb_url
    )
    assert work[0].record["id"] == "cbd_talent_one_stop_centre"
    # No service named ("the exit-entry office in Chaoyang"): the exit-entry hall, the general office.
    general = queries.find_service_points((), district="chaoyang", url=kb_url)
    assert general[0].record["id"] == "chaoyang_exit_entry_hall"
    assert general[0].record["kind"] == "exit_entry_hall"


def test_without_district_the_main_hall_comes_first(kb_url: str) -> None:
    places = queries.find_service_points(["residence_permit_work"], url=kb_url)
    assert places[0].record["id"] == "psb_exit_entry_main_hall"


def test_nearest_by_coordinates(kb_url: str) -> None:
    # A point in Shunyi: the Shunyi hall is nearer than the main hall in Dongcheng.
    places = queries.find_service_points(
        ["residence_permit_work"], near=(40.13, 116.65), limit=None, url=kb_url
    )
    order = ids(places)
    assert order.index("shunyi_exit_entry_hall") < order.index("psb_exit_entry_main_hall")
    distances = [p.distance_km for p in places if p.distance_km is not None]
    assert distances == sorted(distances)


def test_only_points_offering_the_service(kb_url: str) -> None:
    for place in queries.find_service_points(["lost_passport_certificate"], limit=None, url=kb_url):
        assert "lost_passport_certificate" in place.record["services"]


def test_procedures_by_permit_type(kb_url: str) -> None:
    (work,) = queries.get_procedures("residence_permit", "work", url=kb_url)
    assert work["id"] == "residence_permit_work"
    assert len(queries.get_procedures("residence_permit", url=kb_url)) >= 4


def test_ib_schools_in_shunyi(kb_url: str) -> None:
    places = queries.find_schools("ib", "shunyi", limit=None, url=kb_url)
    assert places
    assert all("ib" in p.record["curricula"] for p in places)
    first = places[0].record
    assert any(loc["district"] == "shunyi" for loc in first["locations"])


def test_closed_school_is_never_recommended(kb_url: str) -> None:
    everything = ids(queries.find_schools(limit=None, url=kb_url))
    assert "saint_paul_american_school" not in everything


def test_school_age_filter(kb_url: str) -> None:
    for place in queries.find_schools(age=16, limit=None, url=kb_url):
        lo, hi = place.record["age_min"], place.record["age_max"]
        assert (lo is None or lo <= 16) and (hi is None or hi >= 16)


def test_schools_stating_the_age_asked_come_before_those_stating_none(kb_url: str) -> None:
    # "which schools take a 6-month-old?": MSB (from 6 months) before schools that state no ages.
    places = queries.find_schools(age=0, limit=None, url=kb_url)
    assert places[0].record["id"] == "international_montessori_school_beijing"
    stated = [p.record.get("age_min") is not None for p in places]
    assert stated == sorted(stated, reverse=True)
    # In a district: its schools first, those stating their ages first among them.
    shunyi = queries.find_schools(age=3, district="shunyi", limit=None, url=kb_url)
    in_shunyi = [any(loc["district"] == "shunyi" for loc in p.record["locations"]) for p in shunyi]
    assert in_shunyi == sorted(in_shunyi, reverse=True)


def test_english_speaking_hospitals(kb_url: str) -> None:
    places = queries.find_hospitals("english_speaking", limit=None, url=kb_url)
    assert places
    assert all("en" in p.record["languages"] for p in places)


def test_emergency_rooms(kb_url: str) -> None:
    places = queries.find_hospitals("emergency_room", limit=None, url=kb_url)
    assert places and all(p.record["emergency_24h"] is True for p in places)


def test_emergency_hotlines(kb_url: str) -> None:
    numbers = [
        h["number"]
        for h in queries.hotlines(("ambulance", "police", "fire", "traffic"), url=kb_url)
    ]
    for n in ("120", "110", "119", "122", "999"):
        assert n in numbers
    assert numbers.index("120") < numbers.index("110")


def _many_points(n: int, seed: int) -> str:
    """n service points, some with coordinates (some exactly on top of each other), some without."""
    import random

    from bot.core import vocab

    rng = random.Random(seed)
    districts = [*vocab.DISTRICTS, None]
    services = ["residence_permit_work", "visa_extension", "work_permit", "talent_services"]
    kinds = ["exit_entry_hall", "talent_centre", "government_service_hall"]
    out = ["service_points:"]
    for i in range(n):
        district = rng.choice(districts)
        coords = ""
        if rng.random() < 0.6:
            lat, lon = (
                (39.93, 116.45)
                if rng.random() < 0.05
                else (rng.uniform(39.5, 40.9), rng.uniform(115.6, 117.4))
            )
            coords = f"\n    coordinates: {{lat: {lat:.5f}, lon: {lon:.5f}}}"
        address = "{en: Somewhere, zh: 某处}" if rng.random() < 0.7 else "null"
        chosen = rng.sample(services, rng.randint(1, 3))
        out.append(
            f"  - id: p{i}\n    kind: {rng.choice(kinds)}\n    name: {{en: Point {rng.randint(0, 50)}}}\n"
            f"    district: {district or 'null'}\n    address: {address}{coords}\n    phones: []\n    hours: null\n"
            f'    services: [{", ".join(chosen)}]\n    source: ["example.gov.cn/generated.html [OFF]"]\n    source_date: generated'
        )
    return "\n".join(out) + "\n"


def test_narrowed_search_returns_exactly_the_full_ranking(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """find_service_points reads only nearby or in-district rows when that suffices; the answer never changes."""
    import random

    from bot.knowledge import loader

    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "points.yml").write_text(_many_points(1500, seed=7), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    loader.sync(tmp_path / "k", url)
    rng = random.Random(11)
    from bot.core import vocab

    for _ in range(150):
        services = rng.choice([(), ("visa_extension",), ("residence_permit_work", "work_permit")])
        district = rng.choice([None, *vocab.DISTRICTS])
        near = (rng.uniform(39.4, 41.0), rng.uniform(115.5, 117.5)) if rng.random() < 0.5 else None
        if rng.random() < 0.1:
            near = (39.93, 116.45)  # exactly on the stacked points: many ties at distance 0
        limit = rng.choice([1, 3, 5])
        full = queries.find_service_points(
            services, district=district, near=near, limit=None, url=url
        )[:limit]
        fast = queries.find_service_points(
            services, district=district, near=near, limit=limit, url=url
        )
        assert [(p.record["id"], p.distance_km) for p in fast] == [
            (p.record["id"], p.distance_km) for p in full
        ]
