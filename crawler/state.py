"""Crawl state in the corpus store: what was fetched, when, with what outcome.

Tables (created by the store's migrations, zhengce.corpus.schema.crawl; every write is an
idempotent upsert):

``crawl_state``  url (pk), site, kind (list | api | detail | attachment), status, http_status,
                 fetched_at, doc_id, attempts, last_error, warnings (JSON list)
``attachments``  (doc_id, url) pk, sha256, filename_as_given, content_type, n_bytes, path, text,
                 status, site, fetched_at
``url_availability``  url (pk): first_seen, last_seen (fetched and stored), last_status; kept
                 by every stored fetch here and by ``zhengce crawl verify`` (:mod:`.verify`)

A detail page whose status is ``stored`` (its document is in ``documents`` /
``document_sources``) or ``rejected`` (judged unstorable, reason in ``rejects``) is not fetched
again unless the crawl is run with ``--refresh``; ``failed`` pages are retried on the next run.
List pages are always re-visited (that is how new documents are found). Because the documents are
written before their state rows, a crawl killed at any moment resumes without losing or
duplicating anything: at worst a stored page is fetched again and the ingestor finds it
unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

import sqlite_utils

DONE_STATUSES = ("stored", "rejected")
FETCHED_KINDS = ("detail", "attachment")


def upsert_state(db: sqlite_utils.Database, *, url: str, site: str, kind: str, status: str,
                 http_status: int | None = None, fetched_at: str | None = None,
                 doc_id: str | None = None, error: str | None = None,
                 warnings: Iterable[str] = ()) -> None:
    """Record one fetch; ``attempts`` counts fetches of the URL across runs.

    A later failure (or a redirect stub seen again) never downgrades a page that is already
    stored: the stored state stays and only the attempt is counted.
    """
    warnings_json = json.dumps(list(warnings), ensure_ascii=False) if warnings else None
    db.execute(
        """
        insert into crawl_state (url, site, kind, status, http_status, fetched_at, doc_id,
                                 attempts, last_error, warnings)
        values (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
        on conflict(url) do update set
            attempts = crawl_state.attempts + 1,
            site = excluded.site,
            kind = excluded.kind,
            status = case when crawl_state.status = 'stored'
                               and excluded.status in ('failed', 'redirected')
                          then crawl_state.status else excluded.status end,
            http_status = excluded.http_status,
            fetched_at = excluded.fetched_at,
            doc_id = coalesce(excluded.doc_id, crawl_state.doc_id),
            last_error = excluded.last_error,
            warnings = excluded.warnings
        """,
        [url, site, kind, status, http_status, fetched_at, doc_id, error, warnings_json])
    if kind in FETCHED_KINDS and status == "stored":
        mark_seen(db, url=url, site=site, kind=kind, seen_at=fetched_at, doc_id=doc_id,
                  http_status=http_status)


def mark_seen(db: sqlite_utils.Database, *, url: str, site: str, kind: str, seen_at: str | None,
              doc_id: str | None = None, http_status: int | None = None) -> None:
    """The URL served its document at ``seen_at``: first_seen stays, last_seen moves on, and a
    page seen again after it was gone is available again (the gone check stays in
    ``availability_checks``)."""
    db.execute(
        """
        insert into url_availability (url, site, kind, doc_id, first_seen, last_seen,
                                      last_status, http_status)
        values (?, ?, ?, ?, ?, ?, 'available', ?)
        on conflict(url) do update set
            site = excluded.site,
            doc_id = coalesce(excluded.doc_id, url_availability.doc_id),
            first_seen = coalesce(url_availability.first_seen, excluded.first_seen),
            last_seen = excluded.last_seen,
            last_status = 'available',
            http_status = excluded.http_status,
            gone_since = null,
            gone_reason = null
        """,
        [url, site, kind, doc_id, seen_at, seen_at, http_status])


def done_urls(path: str, sites: Iterable[str] | None = None) -> set[str]:
    """URLs (detail pages and attachments) that need no fetching: stored or rejected.

    Opens its own connection and only reads (WAL lets it read while the writer writes); an
    absent database or table means nothing is done yet.
    """
    from pathlib import Path

    if path == ":memory:" or not Path(path).exists():
        return set()
    try:
        conn = sqlite3.connect(path, timeout=30)
    except sqlite3.OperationalError:
        return set()
    try:
        has = conn.execute("select 1 from sqlite_master where type='table' and name='crawl_state'"
                           ).fetchone()
        if not has:
            return set()
        sql = (f"select url from crawl_state where kind in ({','.join('?' * len(FETCHED_KINDS))}) "
               f"and status in ({','.join('?' * len(DONE_STATUSES))})")
        params: list = [*FETCHED_KINDS, *DONE_STATUSES]
        site_list = list(sites or [])
        if site_list:
            sql += f" and site in ({','.join('?' * len(site_list))})"
            params += site_list
        return {row[0] for row in conn.execute(sql, params)}
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()
