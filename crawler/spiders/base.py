"""What every zhengce spider shares: request kinds, decoding, misses, errors, attachments.

Each request carries ``meta['zhengce_kind']`` (``list`` | ``api`` | ``detail`` | ``attachment``):
the crawl state, the skip-what-is-stored middleware and the summary all read it. Pages are
decoded by :func:`crawler.extract.decode_page` (the spider's ``encoding`` override first), never
by guessing, and the raw bytes travel with the item to ``raw_records``.

*Misses*: a selector that should find something on its page type and finds nothing (a list page
without its list, a detail page without a body) is counted per site and selector
(``spider.misses``; the crawl summary prints them): live sites change their templates, and a
silent miss would look like a quiet site.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TimeoutError

from zhengce.corpus.store import utcnow

from ..attachments import is_attachment_url
from ..cleanup import clean_body
from ..extract import body_text, decode_page, strip_tags, too_deep
from ..items import AttachmentItem, DocumentItem, PageItem, RejectItem
from ..resolve import resolve_fields

JS_REDIRECT = re.compile(
    r"""(?:window\.)?location(?:\.href)?\s*=\s*['"]([^'"]+)['"]"""
    r"""|_cofing1\s*=\s*\{\s*href\s*:\s*['"]([^'"]+)['"]""")
BEIJING = timezone(timedelta(hours=8))


class Page:
    """A decoded response: ``text``, ``encoding``, ``sel`` (a parsel Selector on the text).

    Spiders use this instead of ``response.text``/``response.urljoin``, which would guess the
    encoding of an undeclared page on their own (and guess GBK pages wrong).
    """

    def __init__(self, response: scrapy.http.Response, encoding: str | None):
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        self.text, self.encoding = decode_page(response.body, content_type, encoding)
        self.sel = Selector(text=self.text)
        self.content_type = content_type or "text/html"
        base = self.sel.css("base::attr(href)").get()
        self.base_url = urljoin(response.url, base.strip()) if base else response.url

    def urljoin(self, href: str) -> str:
        return urljoin(self.base_url, href.strip())


def epoch_ms_to_date(value: Any) -> str | None:
    """Search APIs give dates as epoch milliseconds of Beijing time."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, BEIJING).date().isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class PolicySpider(scrapy.Spider):
    """Base class: subclasses define ``start()`` and their parse callbacks."""

    name = "policy"
    encoding: str | None = None          # per-site override of the page encoding
    defaults: dict[str, str] = {}        # issuer defaults: level / province / prefecture / county
    #: the selectors a detail page is read with, by role (``crawl check`` reports their hits)
    DETAIL_SELECTORS: dict[str, str] = {}

    def __init__(self, *args, max_pages: int | str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.misses: Counter = Counter()
        self.max_pages = int(max_pages) if max_pages not in (None, "", 0, "0") else None
        self._list_pages = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.max_pages is None:
            limit = crawler.settings.getint("ZHENGCE_MAX_PAGES", 0)
            spider.max_pages = limit or None
        return spider

    # ------------------------------------------------------------------ start
    def seed_urls(self) -> list[str]:
        """The URLs a crawl of this site starts from (list pages, first API pages)."""
        raise NotImplementedError

    def request_for(self, url: str) -> scrapy.Request | None:
        """The request for one of :meth:`seed_urls` (a distributed worker gets the URLs from
        Redis and rebuilds the requests with this)."""
        raise NotImplementedError

    async def start(self):
        for url in self.seed_urls():
            request = self.request_for(url)
            if request is not None:
                yield request

    # ------------------------------------------------------------------ requests
    def _request(self, url: str, callback, kind: str, meta: dict | None = None,
                 **kwargs) -> scrapy.Request:
        m = {"zhengce_kind": kind, **(meta or {})}
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=m, **kwargs)

    def list_request(self, url: str, callback, meta: dict | None = None, *, kind: str = "list",
                     **kwargs) -> scrapy.Request | None:
        """A list/API page request, or None once ``max_pages`` list pages were requested."""
        if self.max_pages is not None and self._list_pages >= self.max_pages:
            self.crawler.stats.inc_value(f"zhengce/{self.name}/max_pages_reached")
            return None
        self._list_pages += 1
        return self._request(url, callback, kind, meta, **kwargs)

    def detail_request(self, url: str, callback=None, *, hints: dict | None = None,
                       aliases: Iterable[str] = ()) -> scrapy.Request:
        """A document page; ``hints`` are list-page values used when the page lacks them."""
        return self._request(url, callback or self.parse_detail, "detail",
                             {"zhengce_list": dict(hints or {}),
                              "zhengce_aliases": list(aliases)})

    def attachment_request(self, doc_url: str, url: str, name: str | None) -> scrapy.Request:
        maxsize = self.crawler.settings.getint("ZHENGCE_ATTACHMENT_MAXSIZE", 20 * 1024 * 1024)
        return self._request(url, self.parse_attachment, "attachment",
                             {"zhengce_doc_url": doc_url, "zhengce_name": name,
                              "download_maxsize": maxsize}, priority=-1)

    # ------------------------------------------------------------------ helpers
    def detail_selectors(self) -> dict[str, str]:
        """Declared selectors of a detail page, by role (CSS, or ``xpath:…``)."""
        return dict(self.DETAIL_SELECTORS)

    def page(self, response) -> Page:
        return Page(response, self.encoding)

    def miss(self, what: str, selector: str) -> str:
        """Count a selector that found nothing where it should have; returns the label."""
        label = f"{what}: {selector}"
        self.misses[label] += 1
        self.crawler.stats.inc_value(f"zhengce/miss/{self.name}/{what}")
        return label

    def listed(self, response, kind: str = "list", warnings: list[str] | None = None) -> PageItem:
        return PageItem(site=self.name, url=response.url, kind=kind, status="listed",
                        http_status=response.status, fetched_at=utcnow(),
                        warnings=list(warnings or []))

    def redirected(self, response) -> PageItem:
        return PageItem(site=self.name, url=response.url, kind="detail", status="redirected",
                        http_status=response.status, fetched_at=utcnow())

    @staticmethod
    def aliases_of(response) -> list[str]:
        """URLs that led to this response: HTTP redirects and followed JS redirects."""
        urls = list(response.meta.get("zhengce_aliases") or [])
        urls += [u for u in response.meta.get("redirect_urls") or []]
        return [u for u in dict.fromkeys(urls) if u != response.url]

    def js_redirect(self, response, page: Page) -> scrapy.Request | None:
        """Follow ``window.location.href='…'`` on a page that has no content of its own."""
        if len(page.text) > 4000:
            return None
        match = JS_REDIRECT.search(page.text)
        if not match:
            return None
        target = page.urljoin(match.group(1) or match.group(2))
        if target == response.url:
            return None
        self.crawler.stats.inc_value(f"zhengce/{self.name}/js_redirects")
        return self.detail_request(target, hints=response.meta.get("zhengce_list"),
                                   aliases=[*self.aliases_of(response), response.url])

    def attachment_links(self, page: Page, selectors: Iterable[Selector]) -> list[dict[str, str]]:
        out, seen = [], set()
        for a in selectors:
            href = a.attrib.get("href") if hasattr(a, "attrib") else None
            if href is None:
                href = a.get()
            if not href:
                continue
            url = page.urljoin(href)
            if url in seen or not is_attachment_url(url):
                continue
            seen.add(url)
            name = strip_tags("".join(a.xpath(".//text()").getall())) if hasattr(a, "xpath") else ""
            out.append({"url": url, "filename_as_given": name or url.rsplit("/", 1)[-1]})
        return out

    def select_body(self, sel, declared: str, *fallbacks: str):
        """``(matches, selector that matched)`` of the body: the declared selector, else the
        first fallback that finds something. A declared selector that misses is counted as a
        miss even when a fallback saves the text: that is how a template change shows in the
        crawl summary before the fallbacks run out too."""
        found = sel.css(declared)
        if found:
            return found, declared
        for fallback in fallbacks:
            found = sel.css(fallback)
            if found:
                self.miss("body (declared)", f"{declared} (fallback {fallback} found it)")
                return found, fallback
        return found, declared

    def document(self, response, page: Page, fields: dict[str, Any], *, body_sel,
                 body_selector: str, missing: list[str] | None = None,
                 attachments: list[dict[str, str]] | None = None,
                 hints: dict | None = None, posting_office: str = "") -> Iterable[Any]:
        """The DocumentItem of a detail page (list-page values fill gaps), then attachment
        requests. The body loses page furniture and doubled blocks (:mod:`crawler.cleanup`);
        title, issuer and dates the page does not print as metadata are read from the document
        itself (:mod:`crawler.resolve`), the site's defaults last. A page without body text
        still yields the item: the validation pipeline turns it into a reject naming the
        selectors that found nothing."""
        missing = list(missing or [])
        hints = dict(hints or {})
        listed = response.meta.get("zhengce_list") or {}
        merged = {k: v for k, v in listed.items() if v}
        merged.update({k: v for k, v in fields.items() if v})
        text, cleaned = clean_body(body_text(body_sel))
        for what, count in cleaned.items():
            self.crawler.stats.inc_value(f"zhengce/{self.name}/{what}", count)
            hints[what] = count
        if not text:
            label, reason = self.miss("body", body_selector), too_deep(page.text)
            if reason:   # the parser dropped the body: say so, or the miss looks like a template change
                hints["too_deep"] = reason
                label = f"{label} found nothing ({reason})"
            missing.append(label)
            self.crawler.stats.inc_value(f"zhengce/{self.name}/empty_body")
        first_published = page.sel.css("meta[name=firstpublishedtime]::attr(content)").get()
        origin = resolve_fields(merged, text, defaults=self.defaults,
                                posting_office=posting_office, first_published=first_published)
        if posting_office:
            hints["posting_office"] = posting_office
        hints.update({f"{name}_from": source for name, source in origin.items()})
        for key, value in self.defaults.items():
            merged.setdefault(key, value)
        merged["text"] = text
        merged.setdefault("url", response.url)
        item = DocumentItem(
            site=self.name, url=response.url, fields=merged, payload=response.body,
            content_type=page.content_type, encoding=page.encoding, fetched_at=utcnow(),
            http_status=response.status, aliases=self.aliases_of(response),
            hints=hints, missing=missing, attachments=list(attachments or []))
        yield item
        if text:
            for att in item.attachments:
                yield self.attachment_request(response.url, att["url"], att["filename_as_given"])

    # ------------------------------------------------------------------ callbacks
    def parse_detail(self, response):  # pragma: no cover - every spider defines its own
        raise NotImplementedError

    def parse_attachment(self, response):
        yield AttachmentItem(
            site=self.name, doc_url=response.meta["zhengce_doc_url"], url=response.url,
            filename_as_given=response.meta.get("zhengce_name"),
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            payload=response.body, http_status=response.status, fetched_at=utcnow())

    def on_error(self, failure):
        """Every failed request leaves a trace: crawl state, and a reject for documents."""
        request = failure.request
        kind = request.meta.get("zhengce_kind", "list")
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            error = f"HTTP {status}"
        elif failure.check(IgnoreRequest):
            message = str(failure.value)
            if "robots" in message.lower() or "Forbidden by robots.txt" in message:
                self.crawler.stats.inc_value(f"zhengce/{self.name}/robots_forbidden")
                yield PageItem(site=self.name, url=request.url, kind=kind, status="forbidden",
                               error="forbidden by robots.txt", fetched_at=utcnow())
                return
            error = f"ignored: {message or 'request dropped'}"
        elif failure.check(DNSLookupError, TimeoutError, ConnectionRefusedError):
            error = f"{type(failure.value).__name__}: {failure.value}"
        else:
            error = f"{type(failure.value).__name__}: {failure.value}"
        self.crawler.stats.inc_value(f"zhengce/{self.name}/failed/{kind}")
        if kind == "attachment":
            too_large = "maxsize" in error.lower() or "max size" in error.lower() or \
                "Cancelling download" in error
            yield AttachmentItem(site=self.name, doc_url=request.meta.get("zhengce_doc_url", ""),
                                 url=request.url, filename_as_given=request.meta.get("zhengce_name"),
                                 content_type=None, payload=None, http_status=status,
                                 status="too_large" if too_large else "failed", error=error,
                                 fetched_at=utcnow())
        elif kind == "detail":
            yield RejectItem(site=self.name, url=request.url, kind="detail",
                             reason=f"{error} fetching the document page {request.url}",
                             http_status=status, state="failed", fetched_at=utcnow())
        else:
            yield PageItem(site=self.name, url=request.url, kind=kind, status="failed",
                           http_status=status, error=error, fetched_at=utcnow())
