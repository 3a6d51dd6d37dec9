"""Migration set ``zhengce.tokens``: the token cache of the segmentation stage
(:mod:`zhengce.nlp.text.segment`), keyed by document and normalizer+segmenter config hash."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("zhengce.tokens")

TABLES = ("tokens", "segmenter_configs")


@migrations()
def m001_token_cache(db: sqlite_utils.Database) -> None:
    # if_not_exists: databases made before the migration sets created these on first use
    db["tokens"].create(
        {"doc_id": str, "config_hash": str, "tokens": str, "n_tokens": int, "text_hash": str},
        pk=("doc_id", "config_hash"), if_not_exists=True)
    db["tokens"].create_index(["config_hash", "doc_id"], if_not_exists=True)
    db["segmenter_configs"].create(
        {"config_hash": str, "config": str, "created_at": str}, pk="config_hash",
        if_not_exists=True)
