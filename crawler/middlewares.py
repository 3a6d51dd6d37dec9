"""Downloader and spider middlewares: polite retries with backoff, skipping what is stored.

* :class:`RobotsTxtMiddleware` is Scrapy's, fixed so that no request slips past robots.txt
  while the file is being fetched;
* :class:`BackoffRetryMiddleware` is Scrapy's ``RetryMiddleware`` (same settings: RETRY_TIMES,
  RETRY_HTTP_CODES, RETRY_EXCEPTIONS) that also stamps each retry with the earliest time it may be
  sent: ``ZHENGCE_RETRY_BACKOFF_BASE · 2^(n-1)`` seconds for the n-th retry, at least the
  server's ``Retry-After``, at most ``ZHENGCE_RETRY_BACKOFF_MAX``;
* :class:`RetryDelayMiddleware` holds such a request until then (without blocking the crawl);
* :class:`EncodingOverrideMiddleware` applies a site's encoding override to the responses;
* :class:`SkipDoneMiddleware` drops requests for documents and attachments that the store already
  holds (``crawl_state`` status stored/rejected), unless ``ZHENGCE_REFRESH`` is set.
"""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.http import TextResponse
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message

from .state import done_urls

NOT_BEFORE = "zhengce_not_before"


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with a fix: in Scrapy 2.19 (asyncio reactor) only the
    *first* request that waits for a host's robots.txt gets the parser; every other request
    waiting at the same time gets None — "no robots.txt" — and is fetched even when robots.txt
    forbids it (each ``await`` of the shared Deferred consumes its result). The parser is stored
    before the waiters wake up, so it is read from there."""

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
        return parser


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("ZHENGCE_RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("ZHENGCE_RETRY_BACKOFF_MAX", 60.0)

    def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self._stamp(retry, response.headers.get("Retry-After"))
        return retry

    def process_exception(self, request, exception):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._stamp(result, None)
        return result

    def backoff(self, retry_times: int, retry_after: bytes | None) -> float:
        delay = self.backoff_base * 2 ** max(retry_times - 1, 0)
        if retry_after:
            try:
                delay = max(delay, float(retry_after.decode("latin-1").strip()))
            except ValueError:
                pass  # an HTTP-date Retry-After: keep the exponential delay
        return min(delay, self.backoff_max)

    def _stamp(self, retry: Request, retry_after: bytes | None) -> None:
        delay = self.backoff(retry.meta.get("retry_times", 1), retry_after)
        # wall-clock time: in a distributed crawl the retry may be sent by another machine
        retry.meta[NOT_BEFORE] = time.time() + delay
        if self.crawler.stats:
            self.crawler.stats.inc_value("zhengce/retry_backoff_seconds", int(round(delay)))


class RetryDelayMiddleware:
    """Wait until a retried request's backoff has passed (the reactor keeps running)."""

    async def process_request(self, request):
        wait = request.meta.get(NOT_BEFORE, 0) - time.time()
        if wait > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return None


class EncodingOverrideMiddleware:
    """Give responses of a site with an encoding override (``spider.encoding``, from its spec)
    that encoding, so Scrapy's own uses of ``response.text`` (meta refresh, ``<base>``) read
    GBK pages right instead of guessing. Runs after decompression, before meta refresh."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        encoding = getattr(self.crawler.spider, "encoding", None)
        if not encoding or not isinstance(response, TextResponse):
            return response
        kwargs = {name: getattr(response, name) for name in response.attributes
                  if name != "encoding"}
        return type(response)(**kwargs, encoding=encoding)


class SkipDoneMiddleware:
    """Spider middleware: do not schedule stored documents/attachments again."""

    kinds = ("detail", "attachment")

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.refresh = settings.getbool("ZHENGCE_REFRESH")
        self.db_path = settings.get("ZHENGCE_DB")
        self._done: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def done(self) -> set[str]:
        if self._done is None:
            self._done = set() if self.refresh or not self.db_path else done_urls(self.db_path)
        return self._done

    def _keep(self, obj) -> bool:
        if isinstance(obj, Request) and obj.meta.get("zhengce_kind") in self.kinds \
                and obj.url in self.done:
            self.crawler.stats.inc_value("zhengce/skipped_stored")
            return False
        return True

    async def process_spider_output(self, response, result):
        async for obj in result:
            if self._keep(obj):
                yield obj

    async def process_start(self, start):
        async for obj in start:
            if self._keep(obj):
                yield obj
