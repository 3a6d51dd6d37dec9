"""``zhengce crawl check --spider NAME --page FILE``: a spider's own parser on a saved page.

The spec check (:mod:`crawler.check`) shows what each selector of a YAML spec finds; this one
runs a spider's real callbacks — the built-in ones (govcn, ndrc, miit, sasac, mofcom) and the spec
spider for a spec name — on a saved page, without a crawl, and reports what a crawl would store:
the fields as the spider extracts them (after furniture removal and issuer/date resolution), the
body text, the attachments with the extraction they would get, and every declared selector's
hits plus the misses the spider counted. ``--api-response`` does the same for a saved search-API
answer (the gov.cn and MIIT spiders): the documents it would follow and the next requests.

The parsers get a real :class:`scrapy.http.Response` and a crawler whose statistics are kept in
memory; nothing is fetched and nothing is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from zhengce.common.errors import UserError

from .attachments import extraction_plan
from .items import DocumentItem, PageItem, RejectItem
from .sitespec import select


@dataclass
class SpiderCheck:
    """What a spider's detail parser made of one page."""

    spider: str
    url: str
    fields: dict[str, str]
    text: str
    attachments: list[dict[str, str]]
    selectors: dict[str, dict[str, Any]]
    misses: dict[str, int]
    hints: dict[str, Any] = field(default_factory=dict)
    followed: list[str] = field(default_factory=list)   # a JavaScript redirect it would follow

    def as_json(self) -> dict[str, Any]:
        return {"spider": self.spider, "url": self.url, "fields": self.fields,
                "text": self.text, "text_len": len(self.text), "attachments": self.attachments,
                "selectors": self.selectors, "misses": self.misses, "hints": self.hints,
                "followed": self.followed}

    def lines(self) -> list[str]:
        out = [f"spider {self.spider} on {self.url}"]
        for name, value in self.fields.items():
            out.append(f"  {name}: {value}")
        head = self.text[:80].replace("\n", " ⏎ ")
        tail = self.text[-80:].replace("\n", " ⏎ ")
        out.append(f"  text: {len(self.text)} chars; head {head!r}; tail {tail!r}")
        if self.hints.get("too_deep"):
            out.append(f"  why: {self.hints['too_deep']}")
        for att in self.attachments:
            out.append(f"  attachment {att['url']} ({att['format']}): {att['extraction']}")
        for name, info in self.selectors.items():
            out.append(f"  selector {name}  {info['selector']}: "
                       + (f"{info['hits']} hits" if info["hits"] else "MISSING"))
        for label, count in self.misses.items():
            out.append(f"  miss  {label} ×{count}")
        out += [f"  follows a JavaScript redirect to {url}" for url in self.followed]
        return out


@dataclass
class ApiCheck:
    """What a spider's API parser made of one saved answer."""

    spider: str
    url: str
    items: list[dict[str, Any]]
    next_requests: list[str]
    pages: list[dict[str, Any]]
    misses: dict[str, int]
    stats: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"spider": self.spider, "url": self.url, "items": self.items,
                "next_requests": self.next_requests, "pages": self.pages,
                "misses": self.misses, "stats": self.stats}

    def lines(self) -> list[str]:
        out = [f"spider {self.spider} on the API answer for {self.url}",
               f"  {len(self.items)} documents to follow"]
        for item in self.items[:10]:
            out.append(f"  - {item['url']}  {item['hints'].get('title', '')}")
        out += [f"  next request: {url}" for url in self.next_requests]
        out += [f"  warning: {w}" for page in self.pages for w in page.get("warnings", [])]
        out += [f"  miss  {label} ×{n}" for label, n in self.misses.items()]
        return out


def make_spider(name: str, **kwargs: Any) -> scrapy.Spider:
    """A spider of ``name`` (built-in or spec) bound to an in-memory crawler (statistics only)."""
    from .runner import resolve_sites

    targets = resolve_sites(name)
    if len(targets) != 1:
        raise UserError(f"--spider {name!r}: give one site, e.g. --spider govcn")
    target = targets[0]
    crawler = get_crawler(target.spider, {"ZHENGCE_MAX_PAGES": 0})
    return target.spider.from_crawler(crawler, **{**target.kwargs, **kwargs})


def default_url(spider: scrapy.Spider) -> str:
    domains = list(getattr(spider, "allowed_domains", None) or ["example.org"])
    return f"https://www.{domains[0].removeprefix('www.')}/saved-page.html"


def check_detail(name: str, body: bytes, *, url: str | None = None) -> SpiderCheck:
    """Run spider ``name``'s detail parser on a saved page."""
    spider = make_spider(name)
    url = url or default_url(spider)
    # no Content-Type header: the page is decoded from its own bytes (meta charset, then
    # UTF-8, then GB18030), as a crawl does when a server declares nothing
    request = Request(url, meta={"zhengce_kind": "detail", "zhengce_list": {},
                                 "zhengce_aliases": []})
    response = HtmlResponse(url, body=body, request=request)
    outputs = list(spider.parse_detail(response))
    documents = [o for o in outputs if isinstance(o, DocumentItem)]
    followed = [o.url for o in outputs if isinstance(o, scrapy.Request)
                and o.meta.get("zhengce_kind") == "detail"]
    page = spider.page(response)
    selectors = {role: {"selector": css, "hits": len(select(page.sel, css))}
                 for role, css in spider.detail_selectors().items()}
    if not documents:
        return SpiderCheck(spider.name, url, {}, "", [], selectors, dict(spider.misses),
                           followed=followed)
    doc = documents[0]
    fields = {k: str(v) for k, v in doc.fields.items() if k not in ("text", "url") and v}
    attachments = [{**att, **extraction_plan(att["url"])} for att in doc.attachments]
    return SpiderCheck(spider.name, url, fields, str(doc.fields.get("text") or ""), attachments,
                       selectors, dict(spider.misses), hints=dict(doc.hints), followed=followed)


def check_api(name: str, body: bytes, *, url: str | None = None) -> ApiCheck:
    """Run spider ``name``'s API parser on a saved answer of its search API."""
    spider = make_spider(name)
    if not hasattr(spider, "parse_api"):
        raise UserError(f"--api-response: the {name} spider reads no search API "
                        "(govcn and miit do); check its pages with --page")
    url = url or spider.seed_urls()[0]
    request = spider.request_for(url)
    if request is None:
        raise UserError(f"--url {url}: not an API request of the {name} spider")
    response = TextResponse(url, body=body, request=request,
                            headers={"Content-Type": "application/json"})
    items, next_requests, pages = [], [], []
    for out in spider.parse_api(response):
        if isinstance(out, scrapy.Request):
            if out.meta.get("zhengce_kind") == "detail":
                items.append({"url": out.url, "hints": out.meta.get("zhengce_list") or {}})
            else:
                next_requests.append(out.url)
        elif isinstance(out, (PageItem, RejectItem)):
            pages.append({"status": getattr(out, "status", "rejected"),
                          "warnings": list(getattr(out, "warnings", []) or []),
                          "error": getattr(out, "error", None) or getattr(out, "reason", None)})
    stats = {k: v for k, v in spider.crawler.stats.get_stats().items()
             if k.startswith("zhengce/")}
    return ApiCheck(spider.name, url, items, next_requests, pages, dict(spider.misses), stats)


def report_json(check: SpiderCheck | ApiCheck) -> str:
    return json.dumps(check.as_json(), ensure_ascii=False, indent=1)
