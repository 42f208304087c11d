"""The registry of knowledge kinds (bot/knowledge/kinds/): one module per kind, and everything that
handles records (schema check, loader, diff, tables) reads the registry."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.knowledge import db, loader, models, queries
from bot.knowledge.kinds import KINDS, REGISTRY, Kind
from bot.knowledge.records import Record
from bot.knowledge.schema import COMMON

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda k: k.name)
def test_record_type_names_exactly_the_schema_fields(kind: Kind) -> None:
    """A field added to the schema but not to the record type (or misspelt in one) fails here."""
    typed = set(typing.get_type_hints(kind.record))
    assert typed == set(COMMON) | set(kind.fields), typed ^ (set(COMMON) | set(kind.fields))
    assert set(typing.get_type_hints(Record)) == set(COMMON)


@pytest.mark.parametrize("kind", REGISTRY, ids=lambda k: k.name)
def test_each_kind_has_its_table_and_every_file_kind_is_registered(kind: Kind) -> None:
    assert kind.table.__tablename__ == kind.name
    assert {"id", "data"} <= set(kind.table.__table__.columns.keys())
    assert models.KIND_TABLES[kind.name] == (kind.table, kind.links)


def test_the_knowledge_files_use_only_registered_kinds() -> None:
    knowledge = loader.read_knowledge(ROOT / "knowledge")
    assert knowledge.ok, knowledge.problems
    assert set(knowledge.records) == set(KINDS)
    assert all(knowledge.records[name] for name in KINDS)  # every kind has records


def test_rows_have_the_tables_columns(kb_url: str) -> None:
    """What each kind's `rows` returns is written as is: its keys are the table's columns."""
    knowledge = loader.read_knowledge(ROOT / "knowledge")
    for kind in REGISTRY:
        row, links = loader._rows(kind.name, knowledge.records[kind.name][0])
        assert set(row) == set(kind.table.__table__.columns.keys()), kind.name
        assert set(links) <= {link for link, _ in kind.links}, kind.name


def test_old_names_still_work() -> None:
    from bot.dialogue import render
    from bot.knowledge.kinds import hotlines, schools

    assert queries.find_schools is schools.find_schools
    assert queries.hotline is hotlines.hotline
    assert render.school is schools.render
    with pytest.raises(AttributeError):
        queries.no_such_query  # noqa: B018


def test_a_version_2_database_loses_the_retired_tables(tmp_path: Path) -> None:
    """school_districts and hospital_districts were written and never read: gone on the next
    start."""
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        models.Base.metadata.create_all(conn)
        conn.exec_driver_sql(
            "CREATE TABLE school_districts (school_id VARCHAR(80) REFERENCES schools(id), "
            "district VARCHAR(20), PRIMARY KEY (school_id, district))"
        )
        conn.exec_driver_sql("CREATE TABLE hospital_districts (hospital_id VARCHAR(80))")
        conn.exec_driver_sql("INSERT INTO kb_meta (key, value) VALUES ('schema_version', '2')")
    engine.dispose()
    loader.sync(ROOT / "knowledge", url)
    tables = set(sa.inspect(db.get_engine(url)).get_table_names())
    assert not tables & set(models.RETIRED_TABLES)
    assert {t.name for t in models.KNOWLEDGE_TABLES} <= tables
    assert queries.find_schools(curriculum="ib", url=url)


def test_the_facets_of_a_kind_come_from_the_registry() -> None:
    from bot.knowledge import facets
    from bot.knowledge.kinds import KINDS

    with_facts = {"service_points", "procedures", "schools", "hospitals", "hotlines"}
    for name, kind in KINDS.items():
        assert facets.facets_of(name) == kind.facets
        assert (kind.facet_text is not None) == (name in with_facts), name
        assert kind.facets <= facets.ALL_FACETS
    assert facets.facets_of("no_such_kind") == frozenset()
    assert facets.fact("faq", {}, "phone", "en") is None


def test_a_procedures_remembered_terms_are_its_terms() -> None:
    """rank_scored cuts every procedure's title and summary into terms once per text, not per question."""
    from ruamel.yaml import YAML

    from bot.knowledge.kinds import procedures

    texts = []
    data = YAML(typ="safe").load((ROOT / "knowledge" / "procedures.yml").read_text("utf-8"))
    for record in data["procedures"]:
        for field in ("title", "summary"):
            value = record.get(field)
            texts.append(" ".join(v for v in (value or {}).values() if isinstance(v, str)))
        texts.append(" ".join(record.get("aliases") or []))
    texts += ["", "R-Visum für die Familie", "签证延期怎么办", "ビザの延長", "продление визы 2024"]
    for text in texts:
        assert procedures._record_terms(text) == procedures._terms(text)
        assert procedures._record_terms(text) is procedures._record_terms(text)


def test_procedure_words_are_compared_without_accents_or_umlaut_spellings() -> None:
    """German typed without umlauts ("verlaengern", "Pruefung") and French without accents ("sejour")
    match the titles' words; umlauts stay ("länger" is not "lange"); other scripts are left as they are."""
    from bot.knowledge.kinds import procedures

    assert procedures._terms("Visum verlängern") == procedures._terms("visum verlaengern")
    assert procedures._terms("Prüfung") == procedures._terms("Pruefung")
    assert procedures._terms("länger") != procedures._terms("lange")
    assert procedures._terms("titre de séjour") == procedures._terms("titre de sejour")
    assert procedures._terms("продление визы") == {"продл", "визы"}
    assert procedures.shared_words(
        "c'est combien le bilan complet ?", "Bilan de santé complet"
    ) == {
        "bilan",
        "compl",
    }
