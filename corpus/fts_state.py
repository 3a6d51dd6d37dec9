"""The full-text index's trigger state: suspended for a bulk load, restored atomically, and any
half-done state found and repaired.

``search_index_fts`` follows ``search_index`` through three triggers. A large load into an empty
index drops them and rebuilds the index once at the end (about twice as fast as row-by-row
triggers). Each transition is one ``BEGIN IMMEDIATE`` transaction, so at every commit point the
database is in one of two states:

- *live*: the three triggers exist, no marker, the index matches ``search_index``;
- *suspended*: the marker row ``fts_triggers_suspended`` in ``zhengce_meta``, no triggers, the
  index may lag behind ``search_index`` (a bulk load is running, or was killed).

Anything else (a database left by an older zhengce killed half-way: a marker with some or all
triggers back, or a trigger missing with no marker) and the *suspended* state of a load that is
gone are repaired by :func:`repair` — rebuild the index, create the missing triggers
(``IF NOT EXISTS``), drop the marker, in one transaction — when the store opens, before an ingest
and before a search; never while another process holds the write lock (its load is running).
"""

from __future__ import annotations

import json

import sqlite_utils

from .writelock import immediate_transaction

STALE_KEY = "fts_triggers_suspended"

#: the triggers sqlite-utils' enable_fts(create_triggers=True) makes for search_index
TRIGGERS: dict[str, str] = {
    "search_index_ai": (
        'CREATE TRIGGER IF NOT EXISTS "search_index_ai" AFTER INSERT ON "search_index" BEGIN\n'
        '  INSERT INTO "search_index_fts" (rowid, "title", "body") '
        'VALUES (new.rowid, new."title", new."body");\nEND'),
    "search_index_ad": (
        'CREATE TRIGGER IF NOT EXISTS "search_index_ad" AFTER DELETE ON "search_index" BEGIN\n'
        '  INSERT INTO "search_index_fts" ("search_index_fts", rowid, "title", "body") '
        "VALUES('delete', old.rowid, old.\"title\", old.\"body\");\nEND"),
    "search_index_au": (
        'CREATE TRIGGER IF NOT EXISTS "search_index_au" AFTER UPDATE ON "search_index" BEGIN\n'
        '  INSERT INTO "search_index_fts" ("search_index_fts", rowid, "title", "body") '
        "VALUES('delete', old.rowid, old.\"title\", old.\"body\");\n"
        '  INSERT INTO "search_index_fts" (rowid, "title", "body") '
        'VALUES (new.rowid, new."title", new."body");\nEND'),
}


def _has_index(db: sqlite_utils.Database) -> bool:
    return db.execute("select count(*) from sqlite_master where name in "
                      "('search_index', 'search_index_fts', 'zhengce_meta')").fetchone()[0] == 3


def present_triggers(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("select name from sqlite_master where type = 'trigger' "
                                     "and tbl_name = 'search_index'")}


def is_suspended(db: sqlite_utils.Database) -> bool:
    return db.execute("select 1 from zhengce_meta where key = ?", [STALE_KEY]).fetchone() is not None


def needs_repair(db: sqlite_utils.Database) -> bool:
    """The index is not *live*: suspended (a running or killed bulk load) or half-done."""
    if not _has_index(db):
        return False
    return is_suspended(db) or present_triggers(db) != set(TRIGGERS)


def suspend(db: sqlite_utils.Database) -> None:
    """Enter the *suspended* state (marker + no triggers) in one transaction."""
    with immediate_transaction(db.conn):
        db.execute("insert or replace into zhengce_meta (key, value) values (?, ?)",
                   [STALE_KEY, json.dumps(sorted(TRIGGERS))])
        for name in TRIGGERS:
            db.execute(f'drop trigger if exists "{name}"')


def restore(db: sqlite_utils.Database) -> str | None:
    """Back to *live* in one transaction: rebuild the index, create the missing triggers, drop
    the marker. Returns what was done (``None`` when the index was already live)."""
    with immediate_transaction(db.conn):
        if not needs_repair(db):
            return None
        suspended = is_suspended(db)
        missing = sorted(set(TRIGGERS) - present_triggers(db))
        db.execute("insert into search_index_fts(search_index_fts) values ('rebuild')")
        for name in missing:
            db.execute(TRIGGERS[name])
        db.execute("delete from zhengce_meta where key = ?", [STALE_KEY])
        n_rows = db.execute("select count(*) from search_index").fetchone()[0]
    state = "suspended by a bulk load that did not finish" if suspended else "missing triggers"
    restored = f"restored trigger(s) {', '.join(missing)}" if missing else "triggers were in place"
    return f"full-text index {state}: rebuilt it from {n_rows:,} rows; {restored}"


def integrity_ok(db: sqlite_utils.Database) -> bool:
    """FTS5's own integrity check of ``search_index_fts`` against ``search_index``."""
    import sqlite3

    outside = not db.conn.in_transaction
    try:
        db.execute("insert into search_index_fts(search_index_fts) values ('integrity-check')")
    except sqlite3.DatabaseError:
        return False
    finally:
        if outside and db.conn.in_transaction:
            db.conn.rollback()  # the check writes nothing; close the implicit transaction
    return True
