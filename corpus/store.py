"""The corpus store: one SQLite file managed through sqlite-utils.

Every stage of the pipeline reads its input from a :class:`Store` and writes its output back,
tagged with a run id whose manifest (parameters, seeds, input hashes, package versions) lives in
the ``runs`` table. Every table comes from a named migration (:mod:`zhengce.corpus.schema`);
opening a store applies the pending ones and recovers from a process that was killed while
writing: a run left ``running`` by a process that is gone is marked ``interrupted``, and a
full-text index left suspended or half-restored is rebuilt (:mod:`.fts_state`) — each with one
line on stderr naming what was repaired. Filling the reference tables
(:func:`zhengce.corpus.reference.build_reference_tables`) is an explicit step of the code paths
that need them.

Conventions (see ../shared/reference/library-pitfalls.md):
- WAL journal, and exactly one writer per database at a time, by design: every run holds the
  database's cross-process write lock (:mod:`.writelock`), so a second ``load``, ``crawl``,
  ``retag`` or ``topics run`` waits for the first (or fails with a one-line message) and bulk
  index rebuilds never interleave; transactions start with ``BEGIN IMMEDIATE``.
- Natural primary keys plus ``upsert_all(pk=...)`` so every stage can be re-run idempotently.
- ``raw_records`` rows are inserted with ``ignore=True`` and never updated: raw is immutable.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from zhengce.common.errors import UserError
from . import fts_state, writelock
from .schema import migrate, pending
from .schema.corpus import DOCUMENT_COLUMNS

__all__ = ["DB_ENV_VAR", "DEFAULT_DB", "DOCUMENT_COLUMNS", "Run", "Store", "migrate",
           "resolve_db_path", "safe_text", "to_json", "utcnow"]

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


def safe_text(value: Any) -> str | None:
    """``value`` as text SQLite can store: lone surrogates and undecodable bytes escaped
    (``\\udc80``), so a message about a broken record can always be written."""
    if value is None:
        return None
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def warn(line: str) -> None:
    """One line on stderr: something was repaired or skipped that the user should know about."""
    print(f"zhengce: {line}", file=sys.stderr)


#: run ids of the runs this process has open (so recovery never marks them interrupted)
_ACTIVE_RUNS: set[str] = set()


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
        writelock.install_test_hooks(conn)
        db = sqlite_utils.Database(conn)
        if path != ":memory:":
            db.enable_wal()
        db.execute("pragma foreign_keys = on")
        db.execute("pragma synchronous = normal")
        store = cls(db=db, path=path)
        if pending(db):
            with store.write_lock("migrate"):  # two first opens must not both create tables
                migrate(db)
        else:
            migrate(db)  # nothing to apply; refuses a database from a newer zhengce
        store.recover()
        return store

    @classmethod
    def memory(cls) -> "Store":
        return cls.open(":memory:")

    def close(self) -> None:
        self.db.conn.close()

    # -- one writer at a time ------------------------------------------------------------------
    def write_lock(self, stage: str):
        """Hold this database's cross-process write lock (re-entrant; see :mod:`.writelock`)."""
        self._reject_keys = {}  # rejects written by others before we held the lock count too
        return writelock.write_lock(self.path, stage)

    def transaction(self):
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: the block's writes are one atomic unit."""
        return writelock.immediate_transaction(self.db.conn)

    def recover(self) -> list[str]:
        """Repair what a killed writer left behind; one stderr line per repair. Skipped while
        another process holds the write lock (then the state is that process's work)."""
        db = self.db
        has_runs = "runs" in db.table_names()
        stale = has_runs and any(r[0] not in _ACTIVE_RUNS for r in db.execute(
            "select run_id from runs where status = 'running'"))
        if not stale and not fts_state.needs_repair(db):
            return []
        try:
            if self.path != ":memory:" and not writelock.acquire(self.path, "recover", wait=0):
                return []
        except UserError:  # no lock file possible (a read-only folder): nothing can be repaired
            return []
        done: list[str] = []
        try:
            if has_runs:
                done += self._mark_interrupted()
            if fts_state.needs_repair(db):
                what = fts_state.restore(db)
                if what:
                    done.append(what)
        finally:
            if self.path != ":memory:":
                writelock.release(self.path)
        for line in done:
            warn(f"{self.path}: {line}")
        return done

    def _mark_interrupted(self) -> list[str]:
        rows = [r for r in self.db.execute(
            "select run_id, stage, started_at, summary from runs where status = 'running' "
            "order by started_at").fetchall() if r[0] not in _ACTIVE_RUNS]
        if not rows:
            return []
        with self.transaction():
            for run_id, _, _, summary in rows:
                data = json.loads(summary) if summary else {}
                data["error"] = ("interrupted: the process ended without finishing the run "
                                 "(killed, or the machine stopped); run the same command again")
                self.db.execute("update runs set status = 'interrupted', finished_at = ?, "
                                "summary = ? where run_id = ?",
                                [utcnow(), json.dumps(data, sort_keys=True), run_id])
        names = ", ".join(f"{stage} run {run_id} (started {started})"
                          for run_id, stage, started, _ in rows[:3])
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        return [f"marked {len(rows)} run(s) interrupted whose process is gone: {names}{more}"]

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- rejects -------------------------------------------------------------------------------
    def reject(self, *, stage: str, source: str | None, record_ref: str | None, reason: str,
               payload: bytes | str | None = None, run_id: str | None = None) -> None:
        """Record something that could not be stored; never raises for a bad payload.

        A reject identical to one already stored (same stage, source, reference, reason and
        payload: the same bad record loaded again) is not stored twice."""
        row = self.reject_row(stage=stage, source=source, record_ref=record_ref, reason=reason,
                              payload=payload, run_id=run_id)
        if row is None:
            return
        with self.transaction():
            self.db.execute("insert into rejects (run_id, stage, source, record_ref, reason, "
                            "payload, created_at) values (?, ?, ?, ?, ?, ?, ?)", row)

    def reject_row(self, *, stage: str, source: str | None, record_ref: str | None, reason: str,
                   payload: bytes | str | None = None, run_id: str | None = None) -> tuple | None:
        """The ``rejects`` row for a reject, or ``None`` when the same reject is stored already."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        source, record_ref, reason = safe_text(source), safe_text(record_ref), safe_text(reason)
        key = (stage, record_ref, reason, hashlib.sha256(payload or b"").hexdigest())
        seen = self._known_rejects(source)
        if key in seen:
            return None
        seen.add(key)
        return (run_id, stage, source, record_ref, reason, payload, utcnow())

    def _known_rejects(self, source: str | None) -> set:
        cache = self.__dict__.setdefault("_reject_keys", {})
        if source not in cache:
            cache[source] = {
                (stage, ref, reason, hashlib.sha256(payload or b"").hexdigest())
                for stage, ref, reason, payload in self.db.execute(
                    "select stage, record_ref, reason, payload from rejects where source is ?",
                    [source])}
        return cache[source]

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
        with self.write_lock(stage):
            self.recover()  # a writer killed while we waited for the lock
            self.db["runs"].insert(
                {"run_id": run.run_id, "stage": stage, "status": "running", "started_at": utcnow(),
                 "params": json.dumps(run.params, ensure_ascii=False, default=str, sort_keys=True),
                 "manifest": json.dumps(manifest, ensure_ascii=False, default=str, sort_keys=True)}
            )
            _ACTIVE_RUNS.add(run.run_id)
            try:
                yield run
            except BaseException as exc:
                run.summary.setdefault("error", safe_text(f"{type(exc).__name__}: {exc}"))
                self._finish(run, "failed")
                raise
            finally:
                _ACTIVE_RUNS.discard(run.run_id)
            self._finish(run, "ok")

    def _finish(self, run: "Run", status: str) -> None:
        if self.db.conn.in_transaction:  # a stage that failed inside its own transaction
            self.db.conn.rollback()
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
