"""The raw-row table every companion loader keeps beside its typed table
(:func:`zhengce.companions.common.load_table`)."""

from __future__ import annotations

import sqlite_utils

RAW_COLUMNS = {"file_sha256": str, "path": str, "row_number": int, "raw": str}
RAW_KEY = ("file_sha256", "row_number")


def create_raw_table(db: sqlite_utils.Database, table: str) -> None:
    """``<table>_raw``: every input row as read (file hash, row number, JSON of the row)."""
    db[f"{table}_raw"].create(RAW_COLUMNS, pk=RAW_KEY, if_not_exists=True)
