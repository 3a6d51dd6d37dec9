"""``zhengce crawl verify``: request stored documents again and record which are gone.

Every stored detail page (``crawl_state`` status ``stored``) of the chosen sites whose last check
is older than ``--older-than`` is requested again — with the crawl's own settings: robots.txt,
AutoThrottle, the per-domain concurrency and delays, backoff retries (:mod:`.settings`) — and the
answer is classified:

``gone``       ``not_found`` (HTTP 404/410), ``redirect_index`` (a redirect whose target is an
               index or list page: a path ending in ``/``, ``index.*``, ``default.*``, or the
               site root), ``soft_not_found`` (a 200 page that says "页面不存在" and the like);
``changed``    a 200 page whose bytes differ from the copy stored by the crawl (``raw_records``)
               or seen at the last check;
``moved``      a redirect to another document page that answers 200 (available elsewhere);
``available``  the same page;
``failed``     no answer (timeouts, 5xx after the retries): tells nothing, changes no status.

Each check is a row of ``availability_checks`` (with the date); ``url_availability`` keeps the
latest status, ``last_seen`` (the last time the document was there) and ``gone_since`` (the
first check that found it gone). Nothing is deleted from the store.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import scrapy

SOFT_NOT_FOUND_MARKERS = ("页面不存在", "页面没有找到", "页面未找到", "找不到页面", "您访问的页面不存在",
                          "该页面已删除", "信息已删除", "文章不存在", "内容不存在", "已被删除",
                          "404 Not Found", "Page Not Found")
#: a body whose visible text is shorter than this is read whole for the markers (a document page
#: that merely quotes one of them is longer)
SOFT_PAGE_CHARS = 2000
REDIRECT_CODES = (301, 302, 303, 307, 308)
GONE_CODES = (404, 410)
MAX_HOPS = 5
_INDEX_NAME = re.compile(r"^(index|default|home)(_\d+)?\.(s?html?|jsp|aspx?|php)$", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.I | re.S)


def is_index_url(url: str) -> bool:
    """A list or index page rather than a document: the site root, a folder, index.html..."""
    path = urlsplit(url).path or "/"
    return path.endswith("/") or bool(_INDEX_NAME.match(path.rsplit("/", 1)[-1]))


def is_soft_not_found(body: bytes) -> bool:
    """A page served with 200 that says the document is not there."""
    text = body.decode("utf-8", "replace")
    title = _TITLE.search(body)
    if title and any(m in title.group(1).decode("utf-8", "replace") for m in SOFT_NOT_FOUND_MARKERS):
        return True
    visible = re.sub(r"\s+", "", _TAGS.sub(" ", text))
    return len(visible) < SOFT_PAGE_CHARS and any(m in visible for m in SOFT_NOT_FOUND_MARKERS)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Target:
    """One stored URL to check, with the hash of the body last seen there (None: unknown)."""

    url: str
    site: str
    doc_id: str | None
    body_sha256: str | None


def parse_age(text: str | None) -> timedelta | None:
    """``30d``, ``12h``, ``2w`` (or a bare number of days) -> timedelta; None for no limit."""
    from zhengce.common.errors import UserError

    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhw]?)\s*", text)
    if not m:
        raise UserError(f"--older-than {text!r}: write a number of days, hours or weeks, "
                        "e.g. 30d, 12h, 2w")
    value = float(m.group(1))
    return {"h": timedelta(hours=value), "w": timedelta(weeks=value)}.get(m.group(2),
                                                                          timedelta(days=value))


def select_targets(conn: sqlite3.Connection, *, sites: list[str] | None = None,
                   older_than: timedelta | None = None, now: datetime | None = None) -> list[Target]:
    """Stored detail pages to check: of ``sites`` (all when None), last checked (else last seen)
    before ``now - older_than``; each with the body it last had (last check, else the crawl's
    raw record)."""
    sql = ("select c.url, c.site, c.doc_id, a.body_sha256 from crawl_state c "
           "left join url_availability a on a.url = c.url "
           "where c.kind = 'detail' and c.status = 'stored'")
    params: list = []
    if sites:
        sql += f" and c.site in ({','.join('?' * len(sites))})"
        params += sites
    if older_than is not None:
        cutoff = ((now or datetime.now(timezone.utc)) - older_than).strftime("%Y-%m-%dT%H:%M:%S")
        sql += " and coalesce(a.last_checked, a.last_seen, c.fetched_at, '') < ?"
        params.append(cutoff)
    targets = []
    for url, site, doc_id, body_hash in conn.execute(sql + " order by c.url", params).fetchall():
        targets.append(Target(url, site, doc_id, body_hash or _stored_body_hash(conn, url, doc_id)))
    return targets


def _stored_body_hash(conn: sqlite3.Connection, url: str, doc_id: str | None) -> str | None:
    row = conn.execute("select payload from raw_records where source_url = ? "
                       "order by fetched_at desc limit 1", [url]).fetchone()
    if row is None and doc_id:
        row = conn.execute("select r.payload from documents d join raw_records r "
                           "on r.raw_id = d.raw_id where d.doc_id = ?", [doc_id]).fetchone()
    return sha256(row[0]) if row and row[0] is not None else None


class VerifySpider(scrapy.Spider):
    """Requests each target without following redirects itself (a redirect is evidence)."""

    name = "verify"

    def __init__(self, *args, targets: list[Target] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets or [])

    async def start(self):
        for target in self.targets:
            yield self._request(target, target.url, 0)

    def _request(self, target: Target, url: str, hops: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_check, errback=self.check_failed,
                              dont_filter=True,
                              meta={"dont_redirect": True, "target": target, "hops": hops,
                                    "handle_httpstatus_list": [*REDIRECT_CODES, *GONE_CODES]})

    def parse_check(self, response):
        target: Target = response.meta["target"]
        status = response.status
        if status in GONE_CODES:
            yield self._result(target, status, "gone", "not_found", response.url)
            return
        if status in REDIRECT_CODES:
            location = response.headers.get("Location")
            if not location:
                yield self._result(target, status, "failed", "redirect without Location",
                                   response.url)
                return
            goal = urljoin(response.url, location.decode("latin-1"))
            if is_index_url(goal):
                yield self._result(target, status, "gone", "redirect_index", goal)
            elif response.meta["hops"] < MAX_HOPS:
                yield self._request(target, goal, response.meta["hops"] + 1)
            else:
                yield self._result(target, status, "failed", "too many redirects", goal)
            return
        body = response.body
        digest = sha256(body)
        if is_soft_not_found(body):
            yield self._result(target, status, "gone", "soft_not_found", response.url, digest)
        elif response.meta["hops"]:
            yield self._result(target, status, "moved", "redirect", response.url, digest)
        elif target.body_sha256 and digest != target.body_sha256:
            yield self._result(target, status, "changed", "changed", response.url, digest)
        else:
            yield self._result(target, status, "available", None, response.url, digest)

    def check_failed(self, failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        yield self._result(request.meta["target"], response.status if response else None,
                           "failed", f"{type(failure.value).__name__}: {failure.value}"[:300],
                           request.url)

    @staticmethod
    def _result(target: Target, status, outcome: str, reason, final_url: str,
                digest: str | None = None) -> dict:
        from zhengce.corpus.store import utcnow

        return {"url": target.url, "site": target.site, "doc_id": target.doc_id,
                "http_status": status, "outcome": outcome, "reason": reason,
                "final_url": final_url, "body_sha256": digest, "checked_at": utcnow()}


class VerifyPipeline:
    """Writes each check (``availability_checks``) and the URL's latest status
    (``url_availability``); the database comes from the ``ZHENGCE_DB`` setting."""

    def __init__(self, db_path: str, run_id: str | None):
        self.db_path = db_path
        self.run_id = run_id
        self.store = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ZHENGCE_DB"), crawler.settings.get("ZHENGCE_RUN_ID"))

    def open_spider(self, spider=None):
        from zhengce.corpus.store import Store

        self.store = Store.open(self.db_path)

    def close_spider(self, spider=None):
        if self.store is not None:
            self.store.close()

    def process_item(self, item, spider=None):
        with self.store.db.conn:
            record_check(self.store.db, item, self.run_id)
        return item


def record_check(db, item: dict, run_id: str | None = None) -> None:
    """Store one check: its row, and the URL's status (a failed check changes nothing but the
    check date)."""
    db["availability_checks"].insert({**item, "run_id": run_id})
    outcome, at = item["outcome"], item["checked_at"]
    db.execute(
        "insert into url_availability (url, site, doc_id, kind, last_checked) "
        "values (?, ?, ?, 'detail', ?) on conflict(url) do update set last_checked = excluded.last_checked",
        [item["url"], item["site"], item["doc_id"], at])
    if outcome == "failed":
        return
    seen = outcome in ("available", "moved", "changed")
    db.execute(
        "update url_availability set last_status = ?, http_status = ?, final_url = ?, "
        "body_sha256 = coalesce(?, body_sha256), "
        "last_seen = case when ? then ? else last_seen end, "
        "first_seen = coalesce(first_seen, case when ? then ? end), "
        "gone_since = case when ? = 'gone' then coalesce(gone_since, ?) else null end, "
        "gone_reason = case when ? in ('gone', 'changed') then ? else null end "
        "where url = ?",
        [outcome, item["http_status"], item["final_url"], item["body_sha256"],
         seen, at, seen, at, outcome, at, outcome, item["reason"], item["url"]])


@dataclass
class VerifySummary:
    run_id: str
    checked: int
    outcomes: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def line(self) -> str:
        parts = ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items()))
        gone = ", ".join(f"{k} {v:,}" for k, v in sorted(self.reasons.items()))
        return (f"verify {self.run_id}: {self.checked:,} stored pages checked — {parts or 'none'}"
                + (f" (gone: {gone})" if gone else ""))


def run_verify(db: str, *, sites: list[str] | None = None, older_than: timedelta | None = None,
               base_url: str | None = None, throttle: bool = True,
               **overrides) -> VerifySummary:
    """Check the stored pages of ``sites`` (see the module docstring); once per process, like
    every Scrapy run."""
    from scrapy.crawler import CrawlerProcess

    from zhengce.common.errors import UserError
    from zhengce.corpus.store import Store

    from .settings import crawl_settings

    if not throttle and not base_url:
        raise UserError("throttling can only be switched off for a local mirror (--base-url): "
                        "the real sites get the polite defaults")
    with Store.open(db, create=False) as store:
        targets = select_targets(store.db.conn, sites=sites, older_than=older_than)
        params = {"sites": sites, "older_than_s": older_than.total_seconds() if older_than else None,
                  "base_url": base_url, "n_targets": len(targets)}
        with store.run("verify", params) as run:
            run_id = run.run_id
            if targets:
                _crawl(targets, db, run_id, crawl_settings, base_url, throttle, overrides,
                       CrawlerProcess)
            rows = store.db.execute("select outcome, reason from availability_checks "
                                    "where run_id = ?", [run_id]).fetchall()
            summary = VerifySummary(run_id, len(rows), Counter(o for o, _ in rows),
                                    Counter(r for o, r in rows if o == "gone"))
            run.summary.update({"checked": summary.checked, "outcomes": dict(summary.outcomes),
                                "gone": dict(summary.reasons)})
    return summary


def _crawl(targets, db, run_id, crawl_settings, base_url, throttle, overrides, process_cls):
    import logging

    settings = crawl_settings(db, base_url=base_url, throttle=throttle, **overrides)
    # The polite defaults stay (robots, AutoThrottle, delays, retries); the crawl's own item
    # pipelines, skip-stored middleware and progress line do not apply to a check.
    settings.update(ITEM_PIPELINES={"zhengce.crawler.verify.VerifyPipeline": 100},
                    SPIDER_MIDDLEWARES={"zhengce.crawler.middlewares.SkipDoneMiddleware": None},
                    EXTENSIONS={"zhengce.crawler.extensions.CrawlProgress": None},
                    ZHENGCE_RUN_ID=run_id)
    settings.update(overrides)
    process = process_cls(settings)
    logging.getLogger().setLevel(settings.get("LOG_LEVEL", "INFO"))
    process.crawl(VerifySpider, targets=targets)
    process.start()
