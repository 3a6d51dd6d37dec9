"""The corpus store: one SQLite file managed through sqlite-utils.

Every stage of the pipeline reads its input from a :class:`Store` and writes its output back,
tagged with a run id whose manifest (parameters, seeds, input hashes, package versions) lives in
the ``runs`` table. Every table comes from a named migration (:mod:`zhengce.corpus.schema`);
opening a store applies the pending ones and does nothing else. Filling the reference tables
(:func:`zhengce.corpus.reference.build_reference_tables`) and repairing the full-text index after
a crashed bulk load (:func:`zhengce.corpus.fts.repair_fts`) are explicit steps of the code paths
that need them.

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
from .schema import migrate
from .schema.corpus import DOCUMENT_COLUMNS

__all__ = ["DB_ENV_VAR", "DEFAULT_DB", "DOCUMENT_COLUMNS", "Run", "Store", "migrate",
           "resolve_db_path", "to_json", "utcnow"]

DEFAULT_DB = Path("data") / "zhengce.db"
DB_ENV_VAR = "ZHENGCE_DB"


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


@dataclass
class Store:
    """A corpus store. ``Store.open()`` for a file (migrated to the current schema),
    ``Store.memory()`` for tests."""

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
        return cls(db=db, path=path)

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
