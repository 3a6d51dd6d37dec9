"""One writer at a time: a cross-process write lock per database, and explicit transactions.

SQLite serialises single statements, but a stage's writes span many transactions (a bulk load
suspends the full-text triggers, writes batches, rebuilds the index), so two writers must never
interleave. Every run (:meth:`zhengce.corpus.store.Store.run`) and every ingest holds the
database's write lock, a POSIX record lock on ``<db>.lock`` beside the database:

- a second writer waits (one line on stderr names who holds the lock), and after
  ``$ZHENGCE_LOCK_WAIT`` seconds (default 300; 0 = do not wait) fails with a one-line
  :class:`StoreBusy` naming the holder and the fix;
- the lock is the kernel's: a writer killed with ``kill -9`` releases it at once, and worker
  processes forked from a writer do not inherit it (POSIX locks belong to one process);
- it is re-entrant within a process (a run that ingests takes it once).

``immediate_transaction`` opens ``BEGIN IMMEDIATE`` (the write lock of SQLite itself, taken at
the start, so a transaction never fails half-way on a busy database) and commits or rolls back
as one unit.

Test-only: with ``ZHENGCE_TEST_KILL_AT=N`` in the environment, the process SIGKILLs itself just
before the N-th write statement (INSERT/UPDATE/DELETE/CREATE/DROP/BEGIN/COMMIT ...) it sends
to a database opened by :class:`~zhengce.corpus.store.Store` (the fault-injection suite in
tests/reliability); ``ZHENGCE_TEST_WRITE_LOG=path`` appends each write statement's first 100 characters
to ``path``. Never set them outside tests.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from zhengce.common.errors import UserError

LOCK_WAIT_ENV = "ZHENGCE_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 300.0
KILL_AT_ENV = "ZHENGCE_TEST_KILL_AT"
WRITE_LOG_ENV = "ZHENGCE_TEST_WRITE_LOG"


class StoreBusy(UserError):
    """Another process is writing to the database."""


class _Held:
    def __init__(self, fd: int, pid: int) -> None:
        self.fd = fd
        self.pid = pid
        self.depth = 1


_HELD: dict[str, _Held] = {}
_REGISTRY_LOCK = threading.RLock()


def lock_path(db_path: str | os.PathLike) -> Path:
    return Path(str(db_path) + ".lock")


def _key(db_path: str | os.PathLike) -> str:
    return os.path.realpath(lock_path(db_path))


def lock_wait_seconds() -> float:
    raw = os.environ.get(LOCK_WAIT_ENV)
    if raw in (None, ""):
        return DEFAULT_LOCK_WAIT
    try:
        return max(float(raw), 0.0)
    except ValueError:
        raise UserError(f"${LOCK_WAIT_ENV}={raw!r}: give a number of seconds, e.g. 60") from None


def holds_lock(db_path: str | os.PathLike) -> bool:
    """Whether this process holds the write lock of ``db_path``."""
    held = _HELD.get(_key(db_path))
    return held is not None and held.pid == os.getpid()


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not data:
        return "another process"
    return (f"{data.get('stage', 'a writer')} (pid {data.get('pid', '?')} on "
            f"{data.get('host', '?')}, since {data.get('since', '?')})")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise


def acquire(db_path: str | os.PathLike, stage: str, *, wait: float | None = None) -> bool:
    """Take the write lock of ``db_path`` (re-entrant). ``wait`` seconds at most (default
    ``$ZHENGCE_LOCK_WAIT``); returns False instead of raising when ``wait == 0`` and it is held
    elsewhere — callers that merely *could* repair something use that to skip."""
    key = _key(db_path)
    with _REGISTRY_LOCK:
        held = _HELD.get(key)
        if held is not None and held.pid == os.getpid():
            held.depth += 1
            return True
        _HELD.pop(key, None)  # inherited through fork: the lock itself was not
        path = lock_path(db_path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise UserError(f"cannot create the write lock {path} ({exc.strerror}): "
                            "check the folder's permissions") from None
        limit = lock_wait_seconds() if wait is None else wait
        if not _try_lock(fd):
            if limit <= 0 and wait == 0:
                os.close(fd)
                return False
            if not _wait_for(fd, path, limit):
                holder = _holder(fd)
                os.close(fd)
                raise StoreBusy(f"{Path(str(db_path))} is being written by {holder}: wait for it "
                                f"to finish (or raise ${LOCK_WAIT_ENV}, now {limit:g} s) and run "
                                "this again, or use another --db")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "stage": stage,
                "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        _HELD[key] = _Held(fd, os.getpid())
        return True


def _wait_for(fd: int, path: Path, limit: float) -> bool:
    if limit <= 0:
        return False
    print(f"zhengce: waiting up to {limit:g} s for {_holder(fd)} to finish writing "
          f"{path.with_suffix('') if path.suffix == '.lock' else path}", file=sys.stderr)
    deadline = time.monotonic() + limit
    delay = 0.02
    while time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
        if _try_lock(fd):
            return True
    return False


def release(db_path: str | os.PathLike) -> None:
    key = _key(db_path)
    with _REGISTRY_LOCK:
        held = _HELD.get(key)
        if held is None or held.pid != os.getpid():
            return
        held.depth -= 1
        if held.depth > 0:
            return
        del _HELD[key]
        try:
            os.ftruncate(held.fd, 0)
            fcntl.lockf(held.fd, fcntl.LOCK_UN)
        finally:
            os.close(held.fd)


@contextmanager
def write_lock(db_path: str | os.PathLike | None, stage: str) -> Iterator[None]:
    """Hold the write lock of ``db_path`` for the block (nothing for in-memory databases)."""
    if db_path is None or str(db_path) == ":memory:":
        yield
        return
    acquire(db_path, stage)
    try:
        yield
    finally:
        release(db_path)


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): the block's statements are
    one atomic unit. Inside a transaction the caller already opened, the block joins it."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.commit()


# -- test-only fault injection ----------------------------------------------------------------

_WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN",
                "COMMIT", "END", "SAVEPOINT", "RELEASE", "ROLLBACK")
_write_count = 0


def install_test_hooks(conn: sqlite3.Connection) -> None:
    """Install the test-only kill/log hook on ``conn`` when the environment asks for it."""
    kill_at = os.environ.get(KILL_AT_ENV)
    log_path = os.environ.get(WRITE_LOG_ENV)
    if not kill_at and not log_path:
        return
    target = int(kill_at) if kill_at else 0

    def on_statement(sql: str) -> None:
        global _write_count
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in _WRITE_WORDS:
            return
        _write_count += 1
        if log_path:
            with open(log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{_write_count}\t{' '.join(sql.split())[:100]}\n")
        if target and _write_count == target:
            os.kill(os.getpid(), signal.SIGKILL)

    conn.set_trace_callback(on_statement)
