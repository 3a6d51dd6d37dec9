"""Item pipelines, one job each: validate → normalize → de-duplicate within the crawl → store.

Tagging is not done here: the corpus layer does it when the writer hands the records to
:class:`corpus.ingest.Ingestor`. Settings reach the pipelines through ``from_crawler`` only.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque

from scrapy.exceptions import DropItem

from zhengce.common.errors import UserError
from zhengce.corpus.ingest import SourceRecord

from .extract import CJK_THRESHOLD, cjk_share, strip_tags
from .items import DocumentItem, PageItem, RecordItem, RejectItem, AttachmentItem
from .summary import site_counters
from .writer import StoreWriter

_BLANK_LINES = re.compile(r"\n\s*\n+")


class ValidatePipeline:
    """A document page without text or title becomes a reject naming what was missing.

    An empty document is never stored: live sites change templates, and a page whose body
    selector finds nothing must show up as a reject (and a selector miss), not as a blank row.
    """

    def process_item(self, item):
        if not isinstance(item, DocumentItem):
            return item
        problems = []
        if not str(item.fields.get("text") or "").strip():
            misses = [m if "found nothing" in m else f"{m} found nothing" for m in item.missing]
            problems.append("empty document: " + ("; ".join(misses) or "the body is empty"))
        if not str(item.fields.get("title") or "").strip():
            problems.append("no title on the page nor in the list")
        if not problems:
            return item
        return RejectItem(site=item.site, url=item.url, kind="detail",
                          reason=f"{'; '.join(problems)} on {item.url}", payload=item.payload,
                          http_status=item.http_status, aliases=item.aliases,
                          fetched_at=item.fetched_at)


class NormalizePipeline:
    """Tidy strings (whitespace, highlight tags), flag text that does not look Chinese, and
    wrap the document as a :class:`corpus.ingest.SourceRecord` (source = site, id = URL)."""

    def __init__(self, threshold: float = CJK_THRESHOLD):
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("ZHENGCE_CJK_THRESHOLD", CJK_THRESHOLD))

    def process_item(self, item):
        if not isinstance(item, DocumentItem):
            return item
        fields = {}
        for key, value in item.fields.items():
            if value is None:
                continue
            if key == "text":
                value = _BLANK_LINES.sub("\n", str(value)).strip()
            else:
                value = strip_tags(str(value))
            if value:
                fields[key] = value
        warnings = list(item.warnings)
        share = cjk_share(fields.get("title", "") + fields["text"][:5000])
        if share < self.threshold:
            warnings.append(f"text does not look Chinese (CJK share {share:.2f} < "
                            f"{self.threshold}): check the site's encoding (decoded as "
                            f"{item.encoding})")
        hints = {k: v for k, v in item.hints.items() if v not in (None, "")}
        if warnings:
            hints["crawl_warnings"] = warnings
        if item.missing:
            hints["selector_misses"] = list(item.missing)
        record = SourceRecord(source=item.site, source_id=item.url, fields=fields,
                              payload=item.payload, content_type=item.content_type,
                              source_url=item.url, encoding=item.encoding, record_ref=item.url,
                              fetched_at=item.fetched_at, hints=hints)
        return RecordItem(site=item.site, url=item.url, record=record, aliases=list(item.aliases),
                          warnings=warnings, http_status=item.http_status)


class DedupePipeline:
    """Drop a second copy of a document page within one crawl (same site and URL, or reached
    again through a redirect alias). Identical texts on different URLs are the corpus layer's
    business (stored once, every source recorded)."""

    def __init__(self, crawler=None):
        self.crawler = crawler
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if not isinstance(item, RecordItem):
            return item
        keys = {(item.site, url) for url in (item.url, *item.aliases)}
        if keys & self.seen:
            if self.crawler is not None:
                self.crawler.stats.inc_value("zhengce/duplicates_in_crawl")
            raise DropItem(f"already stored in this crawl: {item.url}")
        self.seen |= keys
        return item


class AsyncFlusher:
    """Tag batches in the writer's worker processes, write them in order, never block the
    reactor; at most ``max_in_flight`` batches wait (back-pressure on the crawl)."""

    def __init__(self, writer: StoreWriter, max_in_flight: int = 16):
        self.writer = writer
        self.max_in_flight = max_in_flight
        self.queue: deque = deque()
        self.task: asyncio.Task | None = None
        self._room = asyncio.Event()
        self._room.set()

    async def submit(self) -> None:
        batch = self.writer.take()
        if len(batch):
            self.queue.append((batch, self.writer.prepare(batch)))
            if self.task is None or self.task.done():
                self.task = asyncio.ensure_future(self._write_loop())
        while len(self.queue) > self.max_in_flight:
            self._room.clear()
            await self._room.wait()

    async def _write_loop(self) -> None:
        while self.queue:
            batch, future = self.queue[0]
            prepared = await asyncio.wrap_future(future)
            self.writer.write(batch, prepared)
            self.queue.popleft()
            self._room.set()

    async def drain(self) -> None:
        await self.submit()
        while self.task is not None and not self.task.done():
            await self.task
        if self.task is not None and self.task.done() and self.task.exception():
            raise self.task.exception()


class _InlineSink:
    """The writer in this process (tagging in ``tag_jobs`` worker processes, or inline)."""

    def __init__(self, db_path: str, batch_size: int, tag_jobs: int, params: dict):
        self.writer = StoreWriter(db_path, batch_size=batch_size, tag_jobs=tag_jobs,
                                  params=params).open()
        self.flusher = AsyncFlusher(self.writer)
        self.crawl_stats: dict[str, dict] = {}
        self.users = 0

    def add(self, item) -> bool:
        return self.writer.add(item)

    async def submit(self) -> None:
        await self.flusher.submit()

    def counts(self) -> dict[str, dict]:
        return {site: dict(c.__dict__) for site, c in self.writer.counts.items()}

    async def close(self) -> None:
        await self.flusher.drain()
        self.writer.crawl_stats.update(self.crawl_stats)
        self.writer.close()


class _ProcessSink:
    """The writer in its own process (:mod:`crawler.writer_process`)."""

    def __init__(self, db_path: str, batch_size: int, params: dict, max_in_flight: int):
        from .writer_process import WriterProcess

        self.process = WriterProcess(db_path, batch_size=batch_size, params=params).start()
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.buffer: list = []
        self.crawl_stats: dict[str, dict] = {}
        self.users = 0

    def add(self, item) -> bool:
        self.buffer.append(item)
        return len(self.buffer) >= self.batch_size

    async def submit(self) -> None:
        if self.buffer:
            self.process.send(self.buffer)
            self.buffer = []
        self.process.poll()
        # back-pressure: the crawl waits while the writer is far behind
        while self.process.in_flight > self.max_in_flight:
            await asyncio.sleep(0.02)
            self.process.poll()

    def counts(self) -> dict[str, dict]:
        self.process.poll()
        return self.process.counts

    async def close(self) -> None:
        await self.submit()
        while self.process.in_flight > 0:
            self.process.check()
            await asyncio.sleep(0.02)
            self.process.poll()
        self.process.crawl_stats = self.crawl_stats
        self.process.close()


# One sink per database per process, shared by every crawler of the process.
SINKS: dict[str, _InlineSink | _ProcessSink] = {}


class StorePipeline:
    """Hand everything to the crawl's one writer: by default a writer process
    (``ZHENGCE_WRITER=process``), or this process (``inline``, tagging in
    ``ZHENGCE_TAG_JOBS`` worker processes)."""

    def __init__(self, crawler, db_path: str, mode: str, batch_size: int, tag_jobs: int,
                 flush_seconds: float):
        if mode not in ("process", "inline"):
            raise UserError(f"ZHENGCE_WRITER={mode!r}: use process or inline")
        self.crawler = crawler
        self.db_path = db_path
        self.mode = mode
        self.batch_size = batch_size
        self.tag_jobs = tag_jobs
        self.flush_seconds = flush_seconds
        self.sink: _InlineSink | _ProcessSink | None = None
        self._ticker: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        db = settings.get("ZHENGCE_DB")
        if not db:
            raise UserError("ZHENGCE_DB is not set: the crawl has nowhere to store documents; "
                            "pass --db PATH (or set $ZHENGCE_DB)")
        return cls(crawler, db, settings.get("ZHENGCE_WRITER", "process"),
                   settings.getint("ZHENGCE_BATCH_SIZE", 32),
                   settings.getint("ZHENGCE_TAG_JOBS", 0),
                   settings.getfloat("ZHENGCE_FLUSH_SECONDS", 1.0))

    async def open_spider(self):
        settings = self.crawler.settings
        sink = SINKS.get(self.db_path)
        if sink is None:
            params = {"db": self.db_path, "sites": settings.getlist("ZHENGCE_SITES"),
                      "base_url": settings.get("ZHENGCE_BASE_URL"),
                      "refresh": settings.getbool("ZHENGCE_REFRESH"),
                      "max_pages": settings.getint("ZHENGCE_MAX_PAGES", 0) or None,
                      "writer": self.mode}
            if self.mode == "process":
                sink = _ProcessSink(self.db_path, self.batch_size, params,
                                    max_in_flight=8 * self.batch_size)
            else:
                sink = _InlineSink(self.db_path, self.batch_size, self.tag_jobs, params)
            SINKS[self.db_path] = sink
        sink.users += 1
        self.sink = sink
        self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        # Time-based flushing: a slow site's documents are stored within seconds, not when a
        # batch happens to fill up (a kill loses at most this much).
        while True:
            await asyncio.sleep(self.flush_seconds)
            await self.sink.submit()

    async def process_item(self, item):
        if isinstance(item, (RecordItem, RejectItem, PageItem, AttachmentItem)):
            if self.sink.add(item):
                await self.sink.submit()
        return item

    async def close_spider(self):
        if self._ticker is not None:
            self._ticker.cancel()
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats()
        self.sink.crawl_stats[spider.name] = {
            "responses": stats.get("response_received_count", 0),
            "requests": stats.get("downloader/request_count", 0),
            "retries": stats.get("retry/count", 0),
            "skipped_stored": stats.get("zhengce/skipped_stored", 0),
            "robots_forbidden": stats.get(f"zhengce/{spider.name}/robots_forbidden", 0),
            "misses": dict(getattr(spider, "misses", {}) or {}),
            "counters": site_counters(stats, spider.name),
        }
        self.sink.users -= 1
        if self.sink.users == 0:
            SINKS.pop(self.db_path, None)
            await self.sink.close()
