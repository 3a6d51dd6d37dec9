"""Migration set ``zhengce.crawl``: what the crawler fetched (:mod:`zhengce.crawler.state`)."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("zhengce.crawl")

TABLES = ("crawl_state", "attachments")


@migrations()
def m001_crawl_state(db: sqlite_utils.Database) -> None:
    # Databases made before the migration sets created these on first crawl: keep them.
    names = set(db.table_names())
    if "crawl_state" not in names:
        db["crawl_state"].create(
            {"url": str, "site": str, "kind": str, "status": str, "http_status": int,
             "fetched_at": str, "doc_id": str, "attempts": int, "last_error": str,
             "warnings": str},
            pk="url", not_null={"site", "kind"})
        db["crawl_state"].create_index(["site", "kind", "status"])
    if "attachments" not in names:
        db["attachments"].create(
            {"doc_id": str, "url": str, "sha256": str, "filename_as_given": str,
             "content_type": str, "n_bytes": int, "path": str, "text": str, "status": str,
             "site": str, "fetched_at": str},
            pk=("doc_id", "url"))
        db["attachments"].create_index(["sha256"])
        db["attachments"].create_index(["url"])
