"""The store owns the schema: every table comes from a named migration, and a database written
before the migration sets existed (main at 8061a18) migrates without losing a row.

The fixture ``tests/fixtures/store/old_main_8061a18.db.gz`` was made with that commit: the demo
corpus loaded, crawled pages, a segmentation, a topic run, dictionary scores and the three
companions' samples, so it holds every table that version wrote (core schema version 1 in
``zhengce_meta``; the other tables made by the old ``ensure_*`` functions and by sqlite-utils on
first insert).
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus import schema
from zhengce.corpus.search import search
from zhengce.corpus.store import Store

OLD_DB = Path(__file__).resolve().parents[1] / "fixtures" / "store" / "old_main_8061a18.db.gz"

#: every table some layer writes, literally
EVERY_TABLE = {
    # corpus
    "documents", "document_sources", "raw_records", "rejects", "runs", "near_duplicates",
    "minhash", "minhash_bands", "document_sectors", "search_index", "search_index_fts",
    "search_index_fts_config", "search_index_fts_data", "search_index_fts_docsize",
    "search_index_fts_idx", "zhengce_meta",
    "divisions", "division_aliases", "agencies", "agency_aliases", "agency_doc_prefixes",
    "sectors", "sector_sets",
    # tokens, topics
    "tokens", "segmenter_configs", "doc_topics", "topics", "strategy_shares", "dictionary_scores",
    # crawl
    "crawl_state", "attachments", "url_availability", "availability_checks",
    "gap_fills",
    # companions
    "bank_entry_panel", "bank_entry_panel_raw", "bank_entry_results", "bank_entry_fit",
    "coup_reign", "coup_reign_raw", "coup_country_year", "coup_country_year_raw",
    "coup_ptcoups", "coup_ptcoups_raw", "coup_pt_country_year", "coup_pt_country_year_raw",
    "coup_metrics", "coup_thresholds", "coup_league",
    "malmquist_panel", "malmquist_panel_raw", "malmquist_results", "malmquist_efficiency",
    "malmquist_means", "malmquist_lp_failures",
}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                       "and name not like 'sqlite_%'")}


def _schema_sql(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {(t, n): s for t, n, s in conn.execute(
        "select type, name, sql from sqlite_master where name not like 'sqlite_%'")}


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """(name, declared type, not null, position in the primary key) of every column."""
    return [(name, ctype.upper(), notnull, pk)
            for _, name, ctype, notnull, _, pk in conn.execute(f"pragma table_info([{table}])")]


def _indexes(conn: sqlite3.Connection, table: str) -> set[tuple]:
    out = set()
    for _, name, unique, origin, _ in conn.execute(f"pragma index_list([{table}])"):
        cols = tuple(r[2] for r in conn.execute(f"pragma index_info([{name}])"))
        out.add((cols, unique, origin))
    return out


def _snapshot(conn: sqlite3.Connection) -> dict[str, tuple[int, list[tuple]]]:
    """Per table: the row count and the first and last three rows."""
    out = {}
    for table in sorted(_tables(conn)):
        n = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        rows = sorted(conn.execute(f"select * from [{table}]").fetchall(), key=repr)
        out[table] = (n, rows[:3] + rows[-3:])  # (FTS5's shadow tables have no rowid)
    return out


@pytest.fixture
def old_db(tmp_path):
    path = tmp_path / "old.db"
    with gzip.open(OLD_DB, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def test_old_database_migrates_without_losing_a_row(old_db):
    with sqlite3.connect(old_db) as conn:
        before = _snapshot(conn)
        schema_before = _schema_sql(conn)
        assert conn.execute("select value from zhengce_meta where key = 'schema_version'"
                            ).fetchone() == ("1",)
    assert before["documents"][0] == 40 and before["divisions"][0] == 3219
    assert before["coup_reign"][0] == 293 and before["malmquist_panel"][0] == 340

    store = Store.open(old_db)
    after = _snapshot(store.db.conn)
    for table, (n, rows) in before.items():
        assert after[table][0] == n, f"{table}: {after[table][0]} rows after migrating, {n} before"
        assert after[table][1] == rows, f"{table}: rows changed"
    # the tables that existed keep their definitions; migrating only adds what was missing
    schema_after = _schema_sql(store.db.conn)
    assert {k: v for k, v in schema_after.items() if k in schema_before} == schema_before
    assert _tables(store.db.conn) == EVERY_TABLE | {schema.MIGRATIONS_TABLE}
    # every migration of every set is recorded as applied
    applied = schema.applied(store.db)
    assert applied == {m.name: [fn.name for fn in m._migrations] for m in schema.MIGRATION_SETS}
    assert applied["zhengce.corpus"] == ["m001_core", "m002_reference_tables"]
    assert schema.pending(store.db) == {}
    # and the old rows are usable: the full-text index finds the old documents
    assert search(store, "通知", limit=100).rows
    store.close()


def test_second_open_is_a_no_op(old_db):
    Store.open(old_db).close()
    with sqlite3.connect(old_db) as conn:
        schema_once = _schema_sql(conn)
        snapshot_once = _snapshot(conn)
    store = Store.open(old_db)
    assert schema.migrate(store.db) == {}
    store.close()
    with sqlite3.connect(old_db) as conn:
        assert _schema_sql(conn) == schema_once
        assert _snapshot(conn) == snapshot_once


def test_fresh_store_has_every_table_and_each_comes_from_a_migration():
    store = Store.memory()
    tables = _tables(store.db.conn)
    assert tables == EVERY_TABLE | {schema.MIGRATIONS_TABLE}
    assert tables - {schema.MIGRATIONS_TABLE} == schema.declared_tables()
    assert schema.pending(store.db) == {}
    assert store.db.execute("select value from zhengce_meta where key = 'schema_version'"
                            ).fetchone() == ("1",)


def test_fresh_tables_match_the_old_ones(old_db):
    """Same columns, types, primary keys and indexes as the tables the old code made."""
    old = sqlite3.connect(old_db)
    fresh = Store.memory().db.conn
    for table in sorted(_tables(old) & EVERY_TABLE):
        if table.startswith("search_index_fts"):
            continue  # FTS5's own shadow tables
        if table == "malmquist_panel":
            # the DEA inputs, outputs and sub-groups are the user's columns, added by the loader
            assert _columns(fresh, table) == _columns(old, table)[:3]
        else:
            assert _columns(fresh, table) == _columns(old, table), table
        assert _indexes(fresh, table) == _indexes(old, table), table
    old.close()


def test_database_from_a_newer_zhengce_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"insert into {schema.MIGRATIONS_TABLE} (migration_set, name, applied_at) "
                     "values ('zhengce.corpus', 'm999_from_the_future', '2030-01-01')")
    with pytest.raises(UserError, match="newer zhengce"):
        Store.open(path)
