"""The one writer: everything a crawl stores goes through a :class:`StoreWriter`.

SQLite takes one writer at a time, so a crawl has exactly one: the storage pipeline of a local
crawl (shared by all spiders of the process), or the writer process of a distributed crawl that
drains the items the crawler machines push to Redis. It

* batches documents and hands them to the corpus layer's :class:`corpus.ingest.Ingestor` (which
  tags, de-duplicates, keeps raw bytes in ``raw_records`` and rejects with reasons). The
  CPU-heavy part, :func:`corpus.ingest.prepare_record`, runs in ``tag_jobs`` separate
  processes while the crawl goes on; the writes stay in this process, in submission order;
* writes the crawl state *after* the documents it describes (so a kill between the two only
  causes a harmless re-fetch) and rejects together with their state row (one transaction);
* stores attachments content-addressed next to the database and extracts their text.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from zhengce.corpus.ingest import Ingestor, LoadReport, Prepared, make_doc_id, prepare_record
from zhengce.common.memory import MemoryReport, process_peak
from zhengce.corpus.store import Store, utcnow

from .attachments import attachment_root, extension_for, store_file
from .items import AttachmentItem, PageItem, RecordItem, RejectItem
from .state import upsert_state

STAGE = "crawl"


def _prepare_batch(records: list) -> list[Prepared]:
    return [prepare_record(r) for r in records]


def _prepare_batch_remote(records: list) -> tuple[list[Prepared], dict]:
    """In a tag worker: the prepared records and this worker's peak memory."""
    return _prepare_batch(records), process_peak("tag worker")


def _ready() -> bool:
    return True


def _warm_worker() -> None:
    """Load the gazetteer and the segmenter once per worker, not on the first batch."""
    from zhengce.corpus.fts import segment_for_index
    from zhengce.corpus.tag import tag_fields

    tag_fields({"title": "国务院关于加强工业管理的通知", "text": "测试", "issuer": "国务院"})
    segment_for_index("测试文本")


@dataclass
class Batch:
    records: list[RecordItem] = field(default_factory=list)
    others: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records) + len(self.others)


@dataclass
class SiteCounts:
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0
    pages: int = 0
    attachments: int = 0
    not_chinese: int = 0

    def add_report(self, report: LoadReport) -> None:
        self.stored += report.stored
        self.updated += report.updated
        self.unchanged += report.unchanged
        self.duplicates += report.duplicates
        self.rejected += report.rejected


class StoreWriter:
    """Batching writer for one database. Not thread-safe: call it from one thread."""

    def __init__(self, db_path: str, *, batch_size: int = 32, tag_jobs: int = 1,
                 params: dict | None = None, run_stage: str = STAGE):
        self.db_path = db_path
        self.batch_size = batch_size
        self.tag_jobs = tag_jobs
        self.params = dict(params or {})
        self.run_stage = run_stage
        self.pending = Batch()
        self.counts: dict[str, SiteCounts] = defaultdict(SiteCounts)
        self.reasons: Counter = Counter()
        self.crawl_stats: dict[str, dict] = {}   # per site, from the crawlers (misses, fetches)
        #: per site, attachments by "<format> <status>" (``.wps not_extracted: …``)
        self.attachment_kinds: dict[str, Counter] = defaultdict(Counter)
        self.started = time.monotonic()
        self.store: Store | None = None
        self.run = None
        self._stack = contextlib.ExitStack()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._pool_ready: list[cf.Future] = []
        self._ingestor: Ingestor | None = None
        self._root = attachment_root(db_path)
        self.users = 0
        #: peak memory (VmHWM) of this process, the tag workers and, when the writer runs in its
        #: own process, the crawl process (sent with the close message)
        self.memory = MemoryReport(main_role="crawl writer")

    # ------------------------------------------------------------------ life cycle
    def open(self) -> "StoreWriter":
        if self.store is not None:
            return self
        self.store = Store.open(self.db_path)
        self.memory = MemoryReport(main_role="crawl writer")
        self.run = self._stack.enter_context(
            self.store.run(self.run_stage, self.params,
                           packages=["scrapy", "scrapy-redis", "redis", "parsel", "pypdf",
                                     "python-docx"]))
        self._ingestor = Ingestor(self.store, run=self.run, batch_size=self.batch_size,
                                  n_jobs=1, loader=STAGE, progress=False)
        if self.tag_jobs > 0:
            # spawn, not fork: the crawl process runs threads (DNS, the reactor's pool)
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.tag_jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_worker)
            # Until a worker has started (imports, gazetteer, segmenter: seconds), batches are
            # tagged here, so the crawl does not wait for the pool.
            self._pool_ready = [self._pool.submit(_ready) for _ in range(self.tag_jobs)]
        return self

    def close(self, summary: dict | None = None, error: BaseException | None = None) -> None:
        """Flush what is pending, record the run's summary, close the store."""
        if self.store is None:
            return
        try:
            if error is None:
                self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=False)
                self._pool = None
            if self.run is not None:
                self.run.summary.update(summary or self.summary())
            if error is not None:
                self._stack.__exit__(type(error), error, error.__traceback__)
            else:
                self._stack.close()
            self.store.close()
            self.store = None

    # ------------------------------------------------------------------ batching
    def add(self, item: Any) -> bool:
        """Queue one item; True when a batch is full and should be flushed."""
        if isinstance(item, RecordItem):
            self.pending.records.append(item)
        elif isinstance(item, (RejectItem, PageItem, AttachmentItem)):
            self.pending.others.append(item)
        else:
            raise TypeError(f"the writer does not store {type(item).__name__} items")
        return len(self.pending) >= self.batch_size

    def take(self) -> Batch:
        batch, self.pending = self.pending, Batch()
        return batch

    def prepare(self, batch: Batch) -> cf.Future:
        """Tag the batch's records (in the worker pool when there is one)."""
        records = [r.record for r in batch.records]
        if self._pool is not None and records and all(f.done() for f in self._pool_ready):
            return self._unpack(self._pool.submit(_prepare_batch_remote, records))
        future: cf.Future = cf.Future()
        future.set_result(_prepare_batch(records))
        return future

    def _unpack(self, remote: cf.Future) -> cf.Future:
        """A future of the prepared records alone; the worker's peak goes to the memory report."""
        future: cf.Future = cf.Future()

        def done(f: cf.Future) -> None:
            try:
                prepared, peak = f.result()
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
                return
            self.memory.add(peak)
            future.set_result(prepared)

        remote.add_done_callback(done)
        return future

    def flush(self) -> None:
        """Synchronously tag and write everything pending."""
        batch = self.take()
        if len(batch):
            self.write(batch, self.prepare(batch).result())

    # ------------------------------------------------------------------ writing
    def write(self, batch: Batch, prepared: list[Prepared]) -> None:
        assert self.store is not None and self._ingestor is not None, "open() the writer first"
        db = self.store.db
        write_prepared = self._ingestor.write_prepared
        by_site: dict[str, list[tuple[RecordItem, Prepared]]] = defaultdict(list)
        for item, p in zip(batch.records, prepared, strict=True):
            by_site[item.site].append((item, p))
        # 1. documents (the Ingestor commits them in its own transaction)
        for site, pairs in by_site.items():
            report = LoadReport(source=site)
            write_prepared([p for _, p in pairs], report)
            self.counts[site].add_report(report)
            # a site's stored document that an earlier-published copy replaced is now that
            # copy's duplicate: the counts follow, so they do not depend on arrival order
            for other, n in report.demoted.items():
                self.counts[other].stored -= n
                self.counts[other].duplicates += n
        # 2. their crawl state, after them
        now = utcnow()
        with db.conn:
            for site, pairs in by_site.items():
                for item, p in pairs:
                    self.counts[site].pages += 1
                    if p.reject_reason is not None:
                        self.reasons[_reason_key(p.reject_reason)] += 1
                        status, doc_id, error = "rejected", None, p.reject_reason
                    else:
                        row = db.execute("select doc_id from document_sources where source = ? "
                                         "and source_id = ?",
                                         [p.record.source, p.record.source_id]).fetchone()
                        status, doc_id, error = "stored", (row[0] if row else None), None
                    if any(w.startswith("text does not look Chinese") for w in item.warnings):
                        self.counts[site].not_chinese += 1
                    for url in [item.url, *item.aliases]:
                        upsert_state(db, url=url, site=site, kind="detail", status=status,
                                     http_status=item.http_status,
                                     fetched_at=p.record.fetched_at or now, doc_id=doc_id,
                                     error=error, warnings=item.warnings)
            # 3. rejects, pages and attachments of this batch
            for other in batch.others:
                self._write_other(other, now)

    def _write_other(self, item: Any, now: str) -> None:
        db = self.store.db
        counts = self.counts[item.site]
        if isinstance(item, RejectItem):
            if item.state == "failed":
                counts.failed += 1
            else:
                counts.rejected += 1
            counts.pages += 1
            self.reasons[_reason_key(item.reason)] += 1
            self.store.reject(stage=STAGE, source=item.site, record_ref=item.url,
                              reason=item.reason, payload=item.payload,
                              run_id=self.run.run_id if self.run else None)
            for url in [item.url, *item.aliases]:
                upsert_state(db, url=url, site=item.site, kind=item.kind, status=item.state,
                             http_status=item.http_status, fetched_at=item.fetched_at or now,
                             error=item.reason)
        elif isinstance(item, PageItem):
            counts.pages += 1
            if item.status == "failed":
                counts.failed += 1
                self.reasons[_reason_key(item.error or "failed")] += 1
            upsert_state(db, url=item.url, site=item.site, kind=item.kind, status=item.status,
                         http_status=item.http_status, fetched_at=item.fetched_at or now,
                         error=item.error, warnings=item.warnings)
        elif isinstance(item, AttachmentItem):
            self._write_attachment(item, now)

    def _write_attachment(self, item: AttachmentItem, now: str) -> None:
        db = self.store.db
        doc_id = make_doc_id(item.site, item.doc_url)
        row = {"doc_id": doc_id, "url": item.url, "filename_as_given": item.filename_as_given,
               "content_type": item.content_type, "site": item.site,
               "fetched_at": item.fetched_at or now, "sha256": None, "n_bytes": None,
               "path": None, "text": None, "status": item.status}
        error = item.error
        if item.status == "fetched" and item.payload is not None:
            stored = store_file(self._root, item.payload, item.url, item.content_type)
            row.update(sha256=stored.sha256, n_bytes=stored.n_bytes, path=stored.path,
                       text=stored.text, status=stored.status)
            error = stored.error
            self.counts[item.site].attachments += 1
        db["attachments"].upsert(row, pk=("doc_id", "url"))
        ext = extension_for(item.url, item.content_type)
        self.attachment_kinds[item.site][f"{ext} {row['status'].split(':')[0]}"] += 1
        state = "stored" if row["sha256"] else ("too_large" if item.status == "too_large" else "failed")
        upsert_state(db, url=item.url, site=item.site, kind="attachment", status=state,
                     http_status=item.http_status, fetched_at=row["fetched_at"], doc_id=doc_id,
                     error=error)

    # ------------------------------------------------------------------ reporting
    def totals(self) -> SiteCounts:
        total = SiteCounts()
        for c in self.counts.values():
            for name in total.__dataclass_fields__:
                setattr(total, name, getattr(total, name) + getattr(c, name))
        return total

    def summary(self) -> dict:
        return {"seconds": round(time.monotonic() - self.started, 2),
                "totals": self.totals().__dict__,
                "sites": {site: c.__dict__ for site, c in sorted(self.counts.items())},
                "crawl": self.crawl_stats,
                "reject_reasons": dict(self.reasons.most_common(20)),
                "attachment_kinds": {site: dict(kinds) for site, kinds
                                     in sorted(self.attachment_kinds.items())},
                "peak_memory": self.memory.as_dict()}


_URL = re.compile(r"\s*(?:on |fetching the document page )?https?://\S+")


def _reason_key(reason: str) -> str:
    """Group reject reasons for the summary: URLs dropped, so equal causes count together."""
    return _URL.sub("", reason).strip()[:100]
