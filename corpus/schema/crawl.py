"""Migration set ``zhengce.crawl``: what the crawler fetched (:mod:`zhengce.crawler.state`)."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("zhengce.crawl")

TABLES = ("crawl_state", "attachments", "url_availability", "availability_checks",
          "gap_fills")


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


@migrations()
def m002_url_availability(db: sqlite_utils.Database) -> None:
    """Availability over time: when each fetched URL was first and last seen, what the last
    check found (``zhengce crawl verify``), and every check as a row (nothing is ever deleted).

    last_status: available | gone | moved | failed; gone_reason: not_found (404/410),
    redirect_index (a redirect to an index page), soft_not_found (a "页面不存在" page),
    changed (a different body). Stored pages of earlier crawls are seen at their fetch time."""
    db["url_availability"].create(
        {"url": str, "site": str, "kind": str, "doc_id": str, "first_seen": str,
         "last_seen": str, "last_checked": str, "last_status": str, "http_status": int,
         "gone_since": str, "gone_reason": str, "final_url": str, "body_sha256": str},
        pk="url", not_null={"site"})
    db["url_availability"].create_index(["site", "last_status"])
    db["url_availability"].create_index(["doc_id"])
    db["availability_checks"].create(
        {"id": int, "url": str, "site": str, "doc_id": str, "checked_at": str,
         "http_status": int, "outcome": str, "reason": str, "final_url": str,
         "body_sha256": str, "run_id": str},
        pk="id")
    db["availability_checks"].create_index(["url"])
    db.execute(
        "insert into url_availability (url, site, kind, doc_id, first_seen, last_seen, "
        "last_status, http_status) select url, site, kind, doc_id, fetched_at, fetched_at, "
        "'available', http_status from crawl_state "
        "where kind in ('detail', 'attachment') and status = 'stored'")


@migrations()
def m003_gap_fills(db: sqlite_utils.Database) -> None:
    """Targeted gap filling (``zhengce crawl --gaps``): each missing 发文字号 searched for, when,
    and what came of it (found, with the URL; absent; failed)."""
    db["gap_fills"].create(
        {"doc_number": str, "prefix": str, "year": int, "serial": int, "checked_at": str,
         "outcome": str, "url": str, "source": str},
        pk=("doc_number", "checked_at"))
    db["gap_fills"].create_index(["prefix", "year"])
