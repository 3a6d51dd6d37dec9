"""The corpus store: one SQLite file managed through sqlite-utils.

Every stage of the pipeline reads its input from a :class:`Store` and writes its output back,
tagged with a run id whose manifest (parameters, seeds, input hashes, package versions) lives in
the ``runs`` table. The schema is versioned; :func:`migrate` brings any older file up to date.

Conventions (see ../shared/reference/library-pitfalls.md):
- WAL journal, and exactly one writer per database at a time (loaders and the crawler pipeline
  batch their writes through one Store object).
- Natural primary keys plus ``upsert_all(pk=...)`` so every stage can be re-run idempotently.
- ``raw_records`` rows are inserted with ``ignore=True`` and never updated: raw is immutable.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from zhengce.common.errors import UserError

DEFAULT_DB = Path("data") / "zhengce.db"
DB_ENV_VAR = "ZHENGCE_DB"
SCHEMA_VERSION = 1


def resolve_db_path(path: str | os.PathLike | None = None) -> str:
    """The database path: an explicit argument, else ``$ZHENGCE_DB``, else ``data/zhengce.db``."""
    if path is not None and str(path) != "":
        return str(path)
    env = os.environ.get(DB_ENV_VAR)
    if env:
        return env
    return str(DEFAULT_DB)


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(value: Any) -> str | None:
    """JSON for a list/dict column, ``None`` for empty values (so facets stay clean)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict)) and len(value) == 0:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


# ---------------------------------------------------------------------------------------------
# Schema. Each entry is one migration; migrations are applied in order and recorded in
# ``zhengce_meta``. Never edit a released migration: add a new one.
# ---------------------------------------------------------------------------------------------

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
    "agency_ids": str,  # JSON list: every recognised issuer
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


def _m1_initial(db: sqlite_utils.Database) -> None:
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


MIGRATIONS = [_m1_initial]
assert len(MIGRATIONS) == SCHEMA_VERSION


def schema_version(db: sqlite_utils.Database) -> int:
    if "zhengce_meta" not in db.table_names():
        return 0
    row = db.execute("select value from zhengce_meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every pending migration; return the resulting schema version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise UserError(
            f"database schema version {current} is newer than this zhengce ({SCHEMA_VERSION}): "
            "upgrade zhengce (pip install -U zhengce)"
        )
    for number in range(current + 1, SCHEMA_VERSION + 1):
        with db.conn:
            MIGRATIONS[number - 1](db)
            db["zhengce_meta"].upsert(
                {"key": "schema_version", "value": str(number)}, pk="key"
            )
            db["zhengce_meta"].upsert({"key": f"migration_{number}", "value": utcnow()}, pk="key")
    return SCHEMA_VERSION


@dataclass
class Store:
    """A corpus store. ``Store.open()`` for a file, ``Store.memory()`` for tests."""

    db: sqlite_utils.Database
    path: str

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, create: bool = True) -> "Store":
        path = resolve_db_path(path)
        if path != ":memory:":
            p = Path(path)
            if not p.exists() and not create:
                raise UserError(
                    f"no corpus database at {p}: load something first (zhengce load ...) "
                    f"or point --db / ${DB_ENV_VAR} at an existing file"
                )
            p.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(str(p), timeout=60)
            except sqlite3.OperationalError as exc:
                raise UserError(f"cannot open database {p}: {exc}; check the path and permissions")
        else:
            conn = sqlite3.connect(":memory:")
        db = sqlite_utils.Database(conn)
        if path != ":memory:":
            db.enable_wal()
        db.execute("pragma foreign_keys = on")
        db.execute("pragma synchronous = normal")
        migrate(db)
        store = cls(db=db, path=path)
        from .gazetteer import ensure_reference_tables  # local import: gazetteer uses Store

        ensure_reference_tables(store)
        from .fts import restore_fts_triggers  # repairs the index after a crashed bulk load

        restore_fts_triggers(store)
        return store

    @classmethod
    def memory(cls) -> "Store":
        return cls.open(":memory:")

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- rejects -------------------------------------------------------------------------------
    def reject(self, *, stage: str, source: str | None, record_ref: str | None, reason: str,
               payload: bytes | str | None = None, run_id: str | None = None) -> None:
        """Record something that could not be stored; never raises for a bad payload."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        self.db["rejects"].insert(
            {"run_id": run_id, "stage": stage, "source": source, "record_ref": record_ref,
             "reason": reason, "payload": payload, "created_at": utcnow()}
        )

    # -- runs ----------------------------------------------------------------------------------
    @contextmanager
    def run(self, stage: str, params: dict | None = None, *, inputs: dict | None = None,
            packages: Iterable[str] = ()) -> Iterator["Run"]:
        """Open a run: yields a :class:`Run` whose summary is saved when the block exits.

        The manifest stores parameters, seeds (anything in ``params`` named ``*random_state*`` or
        ``*seed*``), input hashes and the versions of the packages the stage used. A run that
        raises is kept with ``status='failed'`` and the error, so nothing about it is lost.
        """
        from zhengce.common.manifest import make_manifest, new_run_id

        run = Run(store=self, run_id=new_run_id(stage), stage=stage, params=dict(params or {}))
        manifest = make_manifest(stage, run.params, inputs or {}, packages)
        self.db["runs"].insert(
            {"run_id": run.run_id, "stage": stage, "status": "running", "started_at": utcnow(),
             "params": json.dumps(run.params, ensure_ascii=False, default=str, sort_keys=True),
             "manifest": json.dumps(manifest, ensure_ascii=False, default=str, sort_keys=True)}
        )
        try:
            yield run
        except BaseException as exc:
            run.summary.setdefault("error", f"{type(exc).__name__}: {exc}")
            self._finish(run, "failed")
            raise
        self._finish(run, "ok")

    def _finish(self, run: "Run", status: str) -> None:
        # Every run records the peak memory of its main process and of the workers its stage
        # reported (zhengce.common.memory: VmHWM per process, not ru_maxrss).
        run.summary.setdefault("peak_memory", run.memory.finish().as_dict())
        self.db["runs"].update(
            run.run_id,
            {"status": status, "finished_at": utcnow(),
             "summary": json.dumps(run.summary, ensure_ascii=False, default=str, sort_keys=True)},
        )

    def latest_run(self, stage: str, status: str = "ok") -> dict | None:
        rows = list(self.db.query(
            "select * from runs where stage = ? and status = ? order by started_at desc, rowid desc limit 1",
            [stage, status]))
        return rows[0] if rows else None

    # -- convenience ---------------------------------------------------------------------------
    def count(self, table: str, where: str | None = None, params: Iterable | None = None) -> int:
        sql = f"select count(*) from [{table}]" + (f" where {where}" if where else "")
        return self.db.execute(sql, list(params or [])).fetchone()[0]


@dataclass
class Run:
    store: Store
    run_id: str
    stage: str
    params: dict

    def __post_init__(self) -> None:
        from zhengce.common.memory import MemoryReport

        self.summary: dict[str, Any] = {}
        #: per-process peak memory of this run; stages add their workers' peaks to it
        self.memory = MemoryReport(main_role=self.stage)

    def reject(self, **kwargs) -> None:
        self.store.reject(run_id=self.run_id, stage=kwargs.pop("stage", self.stage), **kwargs)
