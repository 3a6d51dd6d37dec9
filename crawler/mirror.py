"""``--base-url``: fetch every page from a mirror laid out as ``BASE/<host>/<path>?<query>``.

This is the layout of ``wget --mirror`` (one folder per host) and of the offline demo site, so a
crawl can run against a saved copy of the sites or the demo without touching the real hosts.
The rewriting happens in the download handler, the last step before the network: spiders,
middlewares, robots.txt handling, the crawl state and the store all keep seeing the *real* URLs
(robots.txt is fetched per real host, from the mirror's copy of it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import NotConfigured

from zhengce.common.errors import UserError


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise UserError(f"--base-url {base_url!r} is not an http(s) URL without a query: give "
                        "e.g. http://127.0.0.1:8000 (the mirror serves BASE/<host>/<path>)")
    return base_url.rstrip("/")


def mirror_url(url: str, base_url: str) -> str:
    """``https://www.gov.cn/a/b.htm?x=1`` -> ``BASE/www.gov.cn/a/b.htm?x=1``."""
    parts = urlsplit(url)
    return (f"{base_url.rstrip('/')}/{parts.netloc}{parts.path or '/'}"
            + (f"?{parts.query}" if parts.query else ""))


def unmirror_url(url: str, base_url: str, scheme: str = "http") -> str:
    """The real URL of a mirror URL (the scheme is not kept by the layout: ``scheme``)."""
    base = base_url.rstrip("/") + "/"
    if not url.startswith(base):
        return url
    return f"{scheme}://{url[len(base):]}"


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """The standard HTTP/1.1 handler, asked for the mirror copy of each URL."""

    lazy = False

    def __init__(self, crawler):
        base = crawler.settings.get("ZHENGCE_BASE_URL")
        if not base:
            raise NotConfigured("ZHENGCE_BASE_URL is not set")
        super().__init__(crawler)
        self.base_url = check_base_url(base)

    async def download_request(self, request):
        mirrored = request.replace(url=mirror_url(request.url, self.base_url))
        response = await super().download_request(mirrored)
        # AutoThrottle and the stats read these from the original request's meta.
        for key in ("download_latency",):
            if key in mirrored.meta:
                request.meta[key] = mirrored.meta[key]
        location = response.headers.get("Location")
        if location:
            real = unmirror_url(location.decode("latin-1"), self.base_url,
                                urlsplit(request.url).scheme)
            response.headers["Location"] = real
        return with_url(response, request.url)


def with_url(response, url: str):
    """``response.replace(url=url)`` without reading ``encoding``: replace() copies every
    attribute, and reading a TextResponse's encoding runs the encoding detector (slow on
    undeclared pages), for a value the download handler never set."""
    kwargs = {name: getattr(response, name) for name in response.attributes if name != "encoding"}
    kwargs["url"] = url
    return type(response)(**kwargs)
