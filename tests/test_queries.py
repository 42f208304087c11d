"""Queries against the knowledge base synced from knowledge/."""

from __future__ import annotations

from bot.kb import queries


def ids(places: list[queries.Place]) -> list[str]:
    return [p.record["id"] for p in places]


def test_residence_permit_in_chaoyang_puts_the_chaoyang_hall_first(kb_url: str) -> None:
    places = queries.find_service_points(queries.service_codes("residence_permit"), district="chaoyang", url=kb_url)
    assert places[0].record["id"] == "chaoyang_exit_entry_hall"
    assert all(p.record["district"] == "chaoyang" for p in places if p.distance_km == 0)


def test_without_district_the_main_hall_comes_first(kb_url: str) -> None:
    places = queries.find_service_points(["residence_permit_work"], url=kb_url)
    assert places[0].record["id"] == "psb_exit_entry_main_hall"


def test_nearest_by_coordinates(kb_url: str) -> None:
    # A point in Shunyi: the Shunyi hall is nearer than the main hall in Dongcheng.
    places = queries.find_service_points(["residence_permit_work"], near=(40.13, 116.65), limit=None, url=kb_url)
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


def test_english_speaking_hospitals(kb_url: str) -> None:
    places = queries.find_hospitals("english_speaking", limit=None, url=kb_url)
    assert places
    assert all("en" in p.record["languages"] for p in places)


def test_emergency_rooms(kb_url: str) -> None:
    places = queries.find_hospitals("emergency_room", limit=None, url=kb_url)
    assert places and all(p.record["emergency_24h"] is True for p in places)


def test_emergency_hotlines(kb_url: str) -> None:
    numbers = [h["number"] for h in queries.hotlines(("ambulance", "police", "fire", "traffic"), url=kb_url)]
    for n in ("120", "110", "119", "122", "999"):
        assert n in numbers
    assert numbers.index("120") < numbers.index("110")
