"""The live progress line: pages/s, documents stored, rejects, per site — one line per process.

Every crawler of a process registers here; one timer prints a single line on stderr (only when
stderr is a terminal, unless ``ZHENGCE_PROGRESS`` says otherwise) from the crawlers' stats and
the crawl's writer's counters.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from twisted.internet import task

from . import pipelines


class CrawlProgress:
    _crawlers: list = []
    _loop: task.LoopingCall | None = None
    _started: float | None = None
    _stream = sys.stderr
    _printed = False
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
        if cls._started is None:
            cls._started = time.monotonic()
        if self.enabled and cls._loop is None:
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
            if cls._printed:
                cls._stream.write("\n")
                cls._stream.flush()
                cls._printed = False
            cls._started = None
            cls._closed_pages = 0
            cls._last_counts = {}

    @classmethod
    def line(cls) -> str:
        pages = cls._closed_pages + sum(c.stats.get_value("response_received_count", 0) or 0
                                        for c in cls._crawlers)
        elapsed = max(time.monotonic() - (cls._started or time.monotonic()), 1e-9)
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
        return (f"crawl: {pages:,} pages ({pages / elapsed:,.1f}/s) · stored {stored:,} · "
                f"rejects {rejected:,} · failed {failed:,} | " + " ".join(per_site))

    @classmethod
    def tick(cls) -> None:
        cls._stream.write("\r" + cls.line()[:240] + "   ")
        cls._stream.flush()
        cls._printed = True
