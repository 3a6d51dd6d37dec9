"""Scrapy settings for zhengce crawls: polite by default.

``ROBOTSTXT_OBEY``, AutoThrottle, at most 2 concurrent requests per domain, a 1 s base delay,
retries with exponential backoff on 5xx/429/timeouts, a size cap on downloads, and a user agent
that names the project and where to reach it. :func:`crawl_settings` adds the run's choices
(database, mirror base URL, refresh, page cap) and, for local mirrors only, can switch the
throttling off.
"""

from __future__ import annotations

from typing import Any

CONTACT_URL = "https://github.com/zhengce/zhengce"
USER_AGENT = (f"zhengce/0.1 (research crawler for Chinese government policy documents; "
              f"+{CONTACT_URL})")

DEFAULT_SETTINGS: dict[str, Any] = {
    "BOT_NAME": "zhengce",
    "USER_AGENT": USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    # Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output (default 100);
    # our callbacks yield a few dozen objects at most, and 100 tasks per page cost more CPU
    # than parsing the page.
    "CONCURRENT_ITEMS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 1.0,
    "DOWNLOAD_DELAY_JITTER": 0.5,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 16 * 1024 * 1024,
    "ZHENGCE_ATTACHMENT_MAXSIZE": 20 * 1024 * 1024,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 3,
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "ZHENGCE_RETRY_BACKOFF_BASE": 2.0,
    "ZHENGCE_RETRY_BACKOFF_MAX": 60.0,
    "DEFAULT_REQUEST_HEADERS": {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
    },
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "zhengce.crawler.middlewares.RobotsTxtMiddleware": 100,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "zhengce.crawler.middlewares.BackoffRetryMiddleware": 550,
        "zhengce.crawler.middlewares.RetryDelayMiddleware": 560,
        # after HttpCompressionMiddleware (590), before MetaRefreshMiddleware (580)
        "zhengce.crawler.middlewares.EncodingOverrideMiddleware": 585,
    },
    "SPIDER_MIDDLEWARES": {"zhengce.crawler.middlewares.SkipDoneMiddleware": 600},
    "ITEM_PIPELINES": {
        "zhengce.crawler.pipelines.ValidatePipeline": 100,
        "zhengce.crawler.pipelines.NormalizePipeline": 200,
        "zhengce.crawler.pipelines.DedupePipeline": 300,
        "zhengce.crawler.pipelines.StorePipeline": 900,
    },
    "EXTENSIONS": {"zhengce.crawler.extensions.CrawlProgress": 500},
    "ZHENGCE_BATCH_SIZE": 32,
    # the one writer: a separate process (tags and stores while this one crawls), or "inline"
    "ZHENGCE_WRITER": "process",
    "ZHENGCE_TAG_JOBS": 0,          # inline writer only: tag in this many worker processes
    "ZHENGCE_FLUSH_SECONDS": 1.0,
    "ZHENGCE_PROGRESS_INTERVAL": 2.0,
}

MIRROR_HANDLERS = {"http": "zhengce.crawler.mirror.MirrorDownloadHandler",
                   "https": "zhengce.crawler.mirror.MirrorDownloadHandler"}


def crawl_settings(db: str | None, *, base_url: str | None = None, refresh: bool = False,
                   max_pages: int | None = None, throttle: bool = True,
                   progress: bool | None = None, **overrides: Any) -> dict[str, Any]:
    """The settings of one crawl run (a fresh dict; ``overrides`` win)."""
    settings = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_SETTINGS.items()}
    settings["ZHENGCE_DB"] = db
    settings["ZHENGCE_REFRESH"] = bool(refresh)
    if max_pages:
        settings["ZHENGCE_MAX_PAGES"] = int(max_pages)
    if base_url:
        from .mirror import check_base_url

        settings["ZHENGCE_BASE_URL"] = check_base_url(base_url)
        settings["DOWNLOAD_HANDLERS"] = dict(MIRROR_HANDLERS)
    if not throttle:
        # Only for mirrors on this machine (the demo site, a saved copy): never for real sites.
        settings.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0,
                        DOWNLOAD_DELAY_JITTER=0, CONCURRENT_REQUESTS=32,
                        CONCURRENT_REQUESTS_PER_DOMAIN=16)
    if progress is not None:
        settings["ZHENGCE_PROGRESS"] = bool(progress)
    settings.update(overrides)
    return settings
