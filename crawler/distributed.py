"""Distributed crawls: several crawler processes (machines) share one Redis; one writer stores.

Roles (``zhengce crawl seed|worker|writer``, see ``crawler/README.md``):

* **seed** (once, next to the database): clears the crawl's Redis keys, pushes every site's start
  URLs to ``zhengce:<site>:start_urls`` and marks the URLs the store already holds as seen in
  the shared dupefilter (unless ``--refresh``), so no worker fetches them again;
* **worker** (any number, anywhere): a normal zhengce crawl whose scheduler and dupefilter are
  scrapy-redis's (``scrapy_redis.scheduler.Scheduler`` + ``scrapy_redis.dupefilter.RFPDupeFilter``
  on the keys ``zhengce:<site>:requests`` / ``zhengce:<site>:dupefilter``, persistent): every
  request is fetched by exactly one worker. Validated, normalized items are pushed to the
  ``zhengce:items`` list instead of being written;
* **writer** (exactly one, next to the database): drains ``zhengce:items`` into the store through
  :class:`crawler.writer.StoreWriter` — the same single writer a local crawl uses.

scrapy-redis 0.9.1 with Scrapy 2.19: the Scheduler, the queues and RFPDupeFilter work (checked by
``tests/crawler/test_distributed.py`` with a real redis-server). ``RedisSpider`` does not: it
only defines ``start_requests()``, which Scrapy >= 2.16 never calls, and its idle handling lives
in that class. :func:`redis_spider` is the minimal replacement: an ``async def start()`` that pops
start URLs from the Redis key, and a ``spider_idle`` handler that keeps the spider open while
the shared queue or the start-URL list has work and closes it after ``MAX_IDLE_TIME_BEFORE_CLOSE``
idle seconds (without it workers never stop). Requests are serialized as JSON
(:mod:`crawler.redis_serializer`), not pickled.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from zhengce.common.errors import UserError

from .items import AttachmentItem, PageItem, RecordItem, RejectItem, from_wire, to_wire
from .runner import CrawlTarget, resolve_sites
from .settings import crawl_settings
from .state import done_urls
from .summary import merge_counters, site_counters

PREFIX = "zhengce"
ITEMS_KEY = f"{PREFIX}:items"
WORKERS_KEY = f"{PREFIX}:workers"          # hash worker-id -> last heartbeat (unix time)
WORKERS_SEEN_KEY = f"{PREFIX}:workers:seen"
STATS_KEY = f"{PREFIX}:stats"              # hash worker-id/site -> JSON crawl stats
HEARTBEAT_SECONDS = 2.0
WORKER_TIMEOUT = 30.0                       # a worker silent this long is taken for dead


def start_urls_key(site: str) -> str:
    return f"{PREFIX}:{site}:start_urls"


def requests_key(site: str) -> str:
    return f"{PREFIX}:{site}:requests"


def dupefilter_key(site: str) -> str:
    return f"{PREFIX}:{site}:dupefilter"


def connect(redis_url: str):
    import redis

    try:
        server = redis.Redis.from_url(redis_url)
        server.ping()
    except (redis.exceptions.ConnectionError, ValueError) as exc:
        raise UserError(f"cannot reach Redis at {redis_url}: {exc}; start redis-server or fix "
                        "--redis (redis://HOST:PORT/DB)") from exc
    return server


# ------------------------------------------------------------------------------------ seeding
def _spider_for_seeding(target: CrawlTarget, start_urls: list[str] | None):
    kwargs = dict(target.kwargs)
    if start_urls:
        kwargs["start_urls"] = list(start_urls)
    return target.spider(**kwargs)


def seed_crawl(redis_url: str, sites: str | list[str] | None, *, db: str | None = None,
               refresh: bool = False, start_urls: dict[str, list[str]] | None = None
               ) -> dict[str, tuple[int, int]]:
    """Reset the crawl's keys and push start URLs; returns {site: (start URLs, marked seen)}."""
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter

    server = connect(redis_url)
    targets = resolve_sites(sites)
    server.delete(ITEMS_KEY, WORKERS_KEY, WORKERS_SEEN_KEY, STATS_KEY)
    counts: dict[str, tuple[int, int]] = {}
    for target in targets:
        spider = _spider_for_seeding(target, (start_urls or {}).get(target.name))
        name = spider.name
        server.delete(start_urls_key(name), requests_key(name), dupefilter_key(name))
        urls = spider.seed_urls()
        if urls:
            server.rpush(start_urls_key(name), *urls)
        marked = 0
        if db and not refresh:
            dupefilter = RFPDupeFilter(server, key=dupefilter_key(name))
            done = sorted(done_urls(db, sites=[name]))
            for i in range(0, len(done), 1000):
                chunk = done[i:i + 1000]
                server.sadd(dupefilter_key(name),
                            *[dupefilter.request_fingerprint(Request(u)) for u in chunk])
            marked = len(done)
        counts[name] = (len(urls), marked)
    return counts


# ------------------------------------------------------------------------------------ workers
class Scheduler(RedisScheduler):
    """scrapy-redis's Scheduler without the ``spider=`` argument to the stats calls, which
    Scrapy 2.19 deprecates (and will reject); the queue and dupefilter logic is unchanged."""

    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class RedisStartMixin:
    """``start()`` from Redis and idle handling for any zhengce spider (see module docstring)."""

    redis_server = None
    max_idle_time: float = 30.0
    worker_id: str = ""

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.redis_server = connect(settings.get("REDIS_URL"))
        spider.max_idle_time = settings.getfloat("MAX_IDLE_TIME_BEFORE_CLOSE", 30.0)
        spider.worker_id = settings.get("ZHENGCE_WORKER_ID") or _worker_id()
        spider._idle_since = None
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    def _pop_start_url(self) -> str | None:
        value = self.redis_server.lpop(start_urls_key(self.name))
        return value.decode("utf-8") if value is not None else None

    async def start(self):
        while True:
            url = self._pop_start_url()
            if url is None:
                return
            request = self.request_for(url)
            if request is not None:
                yield request

    def _on_idle(self):
        url = self._pop_start_url()
        if url is not None:
            request = self.request_for(url)
            if request is not None:
                self.crawler.engine.crawl(request)
            self._idle_since = None
            raise DontCloseSpider
        queued = self.redis_server.zcard(requests_key(self.name)) \
            if self.redis_server.type(requests_key(self.name)) == b"zset" \
            else self.redis_server.llen(requests_key(self.name))
        now = time.monotonic()
        if queued:
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.max_idle_time:
            raise DontCloseSpider


_CLASS_CACHE: dict[type, type] = {}


def redis_spider(cls: type) -> type:
    """``cls`` with its start URLs read from Redis (one class per spider class)."""
    if cls not in _CLASS_CACHE:
        _CLASS_CACHE[cls] = type(f"Redis{cls.__name__}", (RedisStartMixin, cls), {})
    return _CLASS_CACHE[cls]


def _worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class RedisItemSink:
    """Item pipeline of a worker: push the items the writer needs to ``zhengce:items``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if isinstance(item, (RecordItem, RejectItem, PageItem, AttachmentItem)):
            self.server.rpush(ITEMS_KEY, to_wire(item))
        return item


class WorkerPresence:
    """Extension: tell the writer this worker is alive (heartbeats), and leave its crawl stats."""

    def __init__(self, crawler):
        from twisted.internet import task

        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.worker_id = crawler.settings.get("ZHENGCE_WORKER_ID") or _worker_id()
        self.loop = task.LoopingCall(self.beat)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def key(self) -> str:
        return f"{self.worker_id}/{self.crawler.spider.name}"

    def beat(self) -> None:
        self.server.hset(WORKERS_KEY, self.key(), time.time())

    def opened(self, spider):
        self.server.incr(WORKERS_SEEN_KEY)
        self.beat()
        self.loop.start(HEARTBEAT_SECONDS, now=False)

    def closed(self, spider, reason):
        if self.loop.running:
            self.loop.stop()
        stats = self.crawler.stats.get_stats()
        self.server.hset(STATS_KEY, self.key(), json.dumps({
            "site": spider.name,
            "responses": stats.get("response_received_count", 0),
            "requests": stats.get("downloader/request_count", 0),
            "retries": stats.get("retry/count", 0),
            "robots_forbidden": stats.get(f"zhengce/{spider.name}/robots_forbidden", 0),
            "misses": dict(getattr(spider, "misses", {}) or {}),
            "counters": site_counters(stats, spider.name)}, ensure_ascii=False))
        self.server.hdel(WORKERS_KEY, self.key())


def worker_settings(redis_url: str, *, base_url: str | None = None, throttle: bool = True,
                    max_idle: float = 30.0, **overrides: Any) -> dict[str, Any]:
    settings = crawl_settings(None, base_url=base_url, throttle=throttle, **overrides)
    settings.update({
        "REDIS_URL": redis_url,
        "SCHEDULER": "zhengce.crawler.distributed.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,        # one worker closing must not flush the shared queue
        "SCHEDULER_QUEUE_KEY": f"{PREFIX}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{PREFIX}:%(spider)s:dupefilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_SERIALIZER": "zhengce.crawler.redis_serializer",
        "MAX_IDLE_TIME_BEFORE_CLOSE": max_idle,
    })
    settings["ITEM_PIPELINES"] = {
        "zhengce.crawler.pipelines.ValidatePipeline": 100,
        "zhengce.crawler.pipelines.NormalizePipeline": 200,
        "zhengce.crawler.pipelines.DedupePipeline": 300,
        "zhengce.crawler.distributed.RedisItemSink": 900,
    }
    settings["EXTENSIONS"] = {**settings["EXTENSIONS"], "zhengce.crawler.distributed.WorkerPresence": 510}
    return settings


def run_worker(redis_url: str, sites: str | list[str] | None, *, base_url: str | None = None,
               throttle: bool = True, max_idle: float = 30.0,
               defaults: dict[str, dict] | None = None, **overrides: Any) -> None:
    """Crawl until the shared queue has been empty for ``max_idle`` seconds."""
    import logging

    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    if not throttle and not base_url:
        raise UserError("throttling can only be switched off for a local mirror (--base-url)")
    connect(redis_url)
    settings = worker_settings(redis_url, base_url=base_url, throttle=throttle,
                               max_idle=max_idle, ZHENGCE_WORKER_ID=_worker_id(), **overrides)
    # The engine looks at the scheduler every 5 s when idle; other workers fill the shared
    # queue meanwhile, so look more often (a class attribute of Scrapy's engine).
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 1.0
    process = CrawlerProcess(settings)
    logging.getLogger().setLevel(settings.get("LOG_LEVEL", "INFO"))
    for target in resolve_sites(sites):
        kwargs = dict(target.kwargs)
        if defaults and target.name in defaults:
            kwargs["defaults"] = defaults[target.name]
        process.crawl(redis_spider(target.spider), **kwargs)
    process.start()


# ------------------------------------------------------------------------------------ writer
def _active_workers(server) -> int:
    now = time.time()
    beats = server.hgetall(WORKERS_KEY)
    return sum(1 for t in beats.values() if now - float(t) < WORKER_TIMEOUT)


def run_writer(redis_url: str, db: str, *, idle_exit: float = 60.0, tag_jobs: int = 1,
               batch_size: int = 32) -> str:
    """Drain ``zhengce:items`` into ``db`` until no worker is alive and nothing came for
    ``idle_exit`` seconds; returns the run id (its summary is in ``runs``)."""
    from .writer import StoreWriter

    server = connect(redis_url)
    writer = StoreWriter(db, batch_size=batch_size, tag_jobs=tag_jobs,
                         params={"db": db, "distributed": True, "redis": redis_url}).open()
    run_id = writer.run.run_id
    last_item = time.monotonic()
    in_flight = None  # (batch, future): tag the next batch while this one is written
    try:
        while True:
            popped = server.blpop(ITEMS_KEY, timeout=1)
            if popped is not None:
                writer.add(from_wire(popped[1]))
                last_item = time.monotonic()
                if len(writer.pending) < batch_size:
                    continue
            if in_flight is not None:
                writer.write(in_flight[0], in_flight[1].result())
                in_flight = None
            if len(writer.pending):
                batch = writer.take()
                in_flight = (batch, writer.prepare(batch))
            if popped is None and in_flight is None and server.llen(ITEMS_KEY) == 0:
                seen = int(server.get(WORKERS_SEEN_KEY) or 0)
                if seen and not _active_workers(server) and time.monotonic() - last_item >= idle_exit:
                    break
                if not seen and time.monotonic() - last_item >= max(idle_exit, 600.0):
                    break  # no worker ever came
        for value in server.hgetall(STATS_KEY).values():
            stats = json.loads(value)
            site = stats.pop("site")
            merged = writer.crawl_stats.setdefault(site, {"responses": 0, "requests": 0,
                                                          "retries": 0, "robots_forbidden": 0,
                                                          "misses": {}, "workers": 0})
            for name in ("responses", "requests", "retries", "robots_forbidden"):
                merged[name] += stats.get(name, 0)
            merge_counters(merged["misses"], stats.get("misses", {}))
            merge_counters(merged.setdefault("counters", {}), stats.get("counters", {}))
            merged["workers"] += 1
    except BaseException as exc:
        writer.close(error=exc)
        raise
    writer.close()
    return run_id

