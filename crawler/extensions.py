"""The live progress line: pages, rate, documents stored, rejects, per site — one per process.

Every crawler of a process registers here; one timer feeds the crawlers' stats and the crawl's
writer's counters to one :class:`zhengce.common.progress.Progress` (a tqdm line on stderr, only
when stderr is a terminal unless ``ZHENGCE_PROGRESS`` says otherwise). The crawl's summary line
is printed by the command when the crawl ends (:func:`crawler.runner.read_summary`).
"""

from __future__ import annotations

import sys

from scrapy import signals
from twisted.internet import task

from zhengce.common.progress import Progress

from . import pipelines


class CrawlProgress:
    _crawlers: list = []
    _loop: task.LoopingCall | None = None
    _progress: Progress | None = None
    _stream = sys.stderr
    _closed_pages = 0                      # pages of crawlers that have finished
    _last_counts: dict[str, dict] = {}     # the writer's counters, kept once it has closed

    def __init__(self, crawler, interval: float, enabled: bool):
        self.crawler = crawler
        self.interval = interval
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        enabled = settings.getbool("ZHENGCE_PROGRESS", cls._stream.isatty())
        ext = cls(crawler, settings.getfloat("ZHENGCE_PROGRESS_INTERVAL", 2.0), enabled)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        cls = type(self)
        cls._crawlers.append(self.crawler)
        if self.enabled and cls._loop is None:
            cls._progress = Progress("crawl", unit="page", enabled=True, stream=cls._stream,
                                     every=self.interval)
            cls._loop = task.LoopingCall(cls.tick)
            cls._loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        cls = type(self)
        if self.crawler in cls._crawlers:
            cls._crawlers.remove(self.crawler)
            cls._closed_pages += self.crawler.stats.get_value("response_received_count", 0) or 0
        if not cls._crawlers and cls._loop is not None:
            if cls._loop.running:
                cls._loop.stop()
            cls._loop = None
            if cls._progress is not None:
                cls._progress.close()
                cls._progress = None
            cls._closed_pages = 0
            cls._last_counts = {}

    @classmethod
    def counts(cls) -> tuple[int, dict]:
        """Pages fetched by this process's crawlers, and the writer's counts: stored (new,
        duplicates and updates), rejects, failed and stored per site."""
        pages = cls._closed_pages + sum(c.stats.get_value("response_received_count", 0) or 0
                                        for c in cls._crawlers)
        for sink in list(pipelines.SINKS.values()):
            cls._last_counts = sink.counts()
        stored = rejected = failed = 0
        per_site = []
        for site, c in sorted(cls._last_counts.items()):
            n = c["stored"] + c["duplicates"] + c["updated"]
            stored += n
            rejected += c["rejected"]
            failed += c["failed"]
            per_site.append(f"{site} {n}")
        return pages, {"stored": f"{stored:,}", "rejects": f"{rejected:,}",
                       "failed": f"{failed:,}", "sites": " ".join(per_site)}

    @classmethod
    def tick(cls) -> None:
        if cls._progress is None:
            return
        pages, extra = cls.counts()
        cls._progress.set_done(pages, **extra)
