"""Migration set ``zhengce.corpus``: documents and their sources, raw records, rejects, runs,
near-duplicates, sectors per document, the full-text index, and the reference tables
(divisions, agencies, sectors) that :func:`zhengce.corpus.reference.build_reference_tables`
fills."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("zhengce.corpus")

#: the core schema version written by zhengce before the migration sets (kept in zhengce_meta)
LEGACY_SCHEMA_VERSION = 1

DOCUMENT_COLUMNS: dict[str, type] = {
    "doc_id": str,
    "source": str,
    "source_id": str,
    "source_url": str,
    "title": str,
    "doc_number": str,
    "doc_number_prefix": str,
    "doc_number_year": int,
    "doc_number_serial": int,
    "issuers": str,  # JSON list of issuer names as written (joint issuance = several)
    "issuer_raw": str,
    "agency_id": str,  # canonical id of the lead issuing agency (agencies.agency_id)
    "agency_ids": str,  # JSON list: every recognized issuer
    "level": str,  # central / provincial / local
    "level_detail": str,  # central / provincial / prefecture / county
    "province": str,
    "province_code": str,
    "prefecture": str,
    "prefecture_code": str,
    "county": str,
    "county_code": str,
    "doc_type": str,
    "effect_level": str,
    "validity": str,
    "issued_date": str,
    "published_date": str,
    "effective_date": str,
    "amended_dates": str,  # JSON list
    "year": int,  # analysis year: issued, else published, else effective
    "sectors": str,  # JSON list of sector codes (detail with evidence in document_sectors)
    "category": str,  # the source's own subject category, as given
    "fetched_at": str,
    "text": str,
    "text_hash": str,
    "n_chars": int,
    "repost_of": str,  # doc_id of a near-identical earlier document, when flagged
    "warnings": str,  # JSON list of tagging warnings (unparsed fields left null)
    "source_fields": str,  # JSON: the source's metadata strings + hints, input of re-tagging
    "raw_id": str,
    "tagged_at": str,
    "created_at": str,
    "updated_at": str,
}

CORE_TABLES = ("documents", "document_sources", "raw_records", "rejects", "runs",
               "near_duplicates", "minhash", "minhash_bands", "document_sectors", "search_index",
               "search_index_fts", "search_index_fts_data", "search_index_fts_idx",
               "search_index_fts_docsize", "search_index_fts_config", "zhengce_meta")
REFERENCE_TABLES = ("divisions", "division_aliases", "agencies", "agency_aliases",
                    "agency_doc_prefixes", "sectors", "sector_sets")
TABLES = CORE_TABLES + REFERENCE_TABLES


def legacy_schema_version(db: sqlite_utils.Database) -> int:
    """``zhengce_meta.schema_version``: 1 in databases made before the migration sets, else 0."""
    if "zhengce_meta" not in db.table_names():
        return 0
    row = db.execute("select value from zhengce_meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    """The core schema (what zhengce_meta calls schema version 1)."""
    if legacy_schema_version(db) >= LEGACY_SCHEMA_VERSION:
        return  # made by zhengce before the migration sets: the same tables, already there
    db["zhengce_meta"].create({"key": str, "value": str}, pk="key")
    db["documents"].create(DOCUMENT_COLUMNS, pk="doc_id", not_null={"text", "source"})
    for cols in (["level"], ["province"], ["year"], ["doc_type"], ["agency_id"], ["text_hash"],
                 ["source", "source_id"], ["source_url"]):
        db["documents"].create_index(cols)
    db["document_sources"].create(
        {"doc_id": str, "source": str, "source_id": str, "source_url": str, "raw_id": str,
         "first_seen": str, "relation": str},
        pk=("doc_id", "source", "source_id"),
    )
    db["document_sources"].create_index(["source", "source_id"])
    db["document_sources"].create_index(["source_url"])
    db["raw_records"].create(
        {"raw_id": str, "source": str, "source_id": str, "source_url": str,
         "content_type": str, "encoding": str, "payload": bytes, "n_bytes": int,
         "fetched_at": str, "loader": str},
        pk="raw_id",
    )
    db["raw_records"].create_index(["source", "source_id"])
    db["rejects"].create(
        {"id": int, "run_id": str, "stage": str, "source": str, "record_ref": str,
         "reason": str, "payload": bytes, "created_at": str},
        pk="id",
    )
    db["rejects"].create_index(["run_id"])
    db["runs"].create(
        {"run_id": str, "stage": str, "status": str, "started_at": str, "finished_at": str,
         "params": str, "manifest": str, "summary": str},
        pk="run_id",
    )
    db["near_duplicates"].create(
        {"doc_id": str, "similar_doc_id": str, "similarity": float, "method": str},
        pk=("doc_id", "similar_doc_id"),
    )
    db["minhash"].create({"doc_id": str, "signature": bytes}, pk="doc_id")
    db["minhash_bands"].create(
        {"band": int, "bucket": str, "doc_id": str}, pk=("band", "bucket", "doc_id")
    )
    db["document_sectors"].create(
        {"doc_id": str, "sector_code": str, "matched_terms": str, "n_matches": int},
        pk=("doc_id", "sector_code"),
    )
    db["document_sectors"].create_index(["sector_code"])
    # Segmented, space-joined text for FTS5 (the default tokenizer finds nothing in unsegmented
    # Chinese; trigram misses two-character words).
    db["search_index"].create({"doc_id": str, "title": str, "body": str}, pk="doc_id")
    db["search_index"].enable_fts(["title", "body"], create_triggers=True, tokenize="unicode61")
    # An older zhengce reading this file sees the core schema it knows.
    db["zhengce_meta"].insert({"key": "schema_version", "value": str(LEGACY_SCHEMA_VERSION)})


# Before the migration sets the gazetteer created these tables itself (same statements).
_REFERENCE_DDL = (
    """create table if not exists divisions (
        code text primary key, name text not null, short_name text, kind text not null,
        province_code text, prefecture_code text, parent_code text, aliases text,
        longitude real, latitude real, source text)""",
    """create table if not exists division_aliases (
        alias text not null, code text not null, alias_kind text not null, n_codes integer,
        primary key (alias, code))""",
    """create table if not exists agencies (
        agency_id text primary key, name text not null, aliases text, level text, kind text,
        valid_from integer, valid_to integer, predecessor_ids text, successor_ids text,
        continued_by text, doc_prefixes text, doc_prefixes_exact text, notes text, source text)""",
    """create table if not exists agency_aliases (
        alias text not null, agency_id text not null, n_agencies integer,
        primary key (alias, agency_id))""",
    """create table if not exists agency_doc_prefixes (
        prefix text not null, match text not null, agency_id text not null,
        primary key (prefix, match))""",
    """create table if not exists sectors (
        code text primary key, name text not null, kind text not null, parent_code text,
        keywords text, source text)""",
    """create table if not exists sector_sets (
        set_name text not null, code text not null, primary key (set_name, code))""",
    "create index if not exists idx_divisions_parent on divisions (parent_code)",
    "create index if not exists idx_division_aliases_code on division_aliases (code)",
    "create index if not exists idx_agency_aliases_agency on agency_aliases (agency_id)",
    "create index if not exists idx_sectors_parent on sectors (parent_code)",
)


@migrations()
def m002_reference_tables(db: sqlite_utils.Database) -> None:
    """The (empty) reference tables; their rows come from build_reference_tables."""
    for statement in _REFERENCE_DDL:
        db.execute(statement)
