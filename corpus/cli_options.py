"""Options and helpers shared by every layer's commands (``--db``, opening the store).

The layers' ``cli`` modules import these, so an option reads and behaves the same everywhere.
"""

from __future__ import annotations

import click

db_option = click.option("--db", "db_path", default=None, metavar="PATH",
                         help="Corpus database (default: $ZHENGCE_DB or data/zhengce.db).")


def open_store(db_path: str | None, create: bool = False):
    """The store behind a command's ``--db`` (an existing file unless ``create``)."""
    from .store import Store

    return Store.open(db_path, create=create)
