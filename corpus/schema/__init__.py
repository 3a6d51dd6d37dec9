"""The store's schema: every table comes from a named, versioned migration.

One migration set per layer (sqlite-utils ``Migrations``; what was applied is recorded in
``_sqlite_migrations``): ``zhengce.corpus`` (documents, raw records, runs, search index,
reference tables), ``zhengce.tokens`` (the segmentation cache), ``zhengce.topics`` (topic runs,
strategy shares, dictionary scores), ``zhengce.crawl`` (crawl state, attachments) and one per
companion. :meth:`zhengce.corpus.store.Store.open` applies whatever is pending and does nothing
else. Never edit a released migration: add a new one to its set.

The sets live here, under the corpus layer, because the store creates every table; the layers
above only read and write rows.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from zhengce.common.errors import UserError
from . import bank_entry, coup, crawl, corpus, malmquist, tokens, topics

_MODULES = (corpus, tokens, topics, crawl, bank_entry, coup, malmquist)

#: every migration set, in the order they are applied
MIGRATION_SETS: tuple[Migrations, ...] = tuple(m.migrations for m in _MODULES)

#: migration set name -> the tables its migrations create (FTS shadow tables included)
TABLES: dict[str, tuple[str, ...]] = {m.migrations.name: m.TABLES for m in _MODULES}

#: where sqlite-utils records the applied migrations
MIGRATIONS_TABLE = Migrations.migrations_table


def declared_tables() -> set[str]:
    """Every table some migration creates."""
    return {t for tables in TABLES.values() for t in tables}


def applied(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Migration set name -> names of its applied migrations, in the order they were applied."""
    return {m.name: [a.name for a in m.applied(db)] for m in MIGRATION_SETS}


def pending(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Migration set name -> names of its migrations not applied yet (empty sets left out)."""
    out = {m.name: [p.name for p in m.pending(db)] for m in MIGRATION_SETS}
    return {name: names for name, names in out.items() if names}


def _refuse_newer(db: sqlite_utils.Database) -> None:
    """A database written by a newer zhengce has migrations this one does not know."""
    newer = corpus.legacy_schema_version(db) > corpus.LEGACY_SCHEMA_VERSION
    if not newer and db[MIGRATIONS_TABLE].exists():
        known = {(m.name, fn.name) for m in MIGRATION_SETS for fn in m._migrations}
        ours = {m.name for m in MIGRATION_SETS}
        newer = any((row["migration_set"], row["name"]) not in known
                    for row in db[MIGRATIONS_TABLE].rows if row["migration_set"] in ours)
    if newer:
        raise UserError("this database was written by a newer zhengce (its schema has migrations "
                        "this version does not know): upgrade zhengce (pip install -U zhengce)")


def migrate(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Apply every pending migration of every set; return what was pending (empty: nothing to do).

    Each migration runs in its own transaction together with the record of it; a database made
    before the migration sets existed (core schema version 1 in ``zhengce_meta``, the other
    tables made on first use) is recognized: its tables are kept as they are, rows included.
    """
    _refuse_newer(db)
    todo = pending(db)
    if todo:
        for migrations in MIGRATION_SETS:
            migrations.apply(db)
    return todo
