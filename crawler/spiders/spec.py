"""The generic spider: crawls any site described by a YAML site spec (:mod:`crawler.sitespec`).

``scrapy crawl spec -a spec=zhejiang`` / ``zhengce crawl --sites zhejiang``. The spider takes the
spec's name (the ``source`` of its documents). ``start_urls`` (comma-separated) and ``defaults``
(JSON) override the spec's for sites that share a CMS (Wuxi and its districts use one layout).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from ..extract import clean_value, extract_labels
from ..sitespec import SiteSpec, load_spec, select
from .base import PolicySpider


class SpecSpider(PolicySpider):
    name = "spec"

    def __init__(self, *args, spec: str | SiteSpec | None = None, start_urls: str | list | None = None,
                 defaults: str | dict | None = None, **kwargs):
        if spec is None:
            from zhengce.common.errors import UserError

            raise UserError("the spec spider needs a site spec: -a spec=NAME or a path to a YAML file")
        self.spec = spec if isinstance(spec, SiteSpec) else load_spec(spec)
        super().__init__(*args, **kwargs)
        self.name = self.spec.name
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u.strip()]
        self.start_urls = list(start_urls or self.spec.start_urls)
        if isinstance(defaults, str):
            defaults = json.loads(defaults)
        self.defaults = dict(self.spec.defaults if defaults is None else defaults)
        self.encoding = self.spec.encoding
        if self.spec.allowed_domains:
            self.allowed_domains = list(self.spec.allowed_domains)
        if self.max_pages is None and self.spec.max_pages:
            self.max_pages = self.spec.max_pages

    def seed_urls(self) -> list[str]:
        return list(self.start_urls)

    def detail_selectors(self) -> dict[str, str]:
        spec = self.spec
        out = {"body": spec.detail_body}
        if spec.detail_labels:
            out["labels"] = spec.detail_labels
        if spec.detail_attachments:
            out["attachments"] = spec.detail_attachments
        rules = {"title": spec.detail_title} if spec.detail_title is not None else {}
        rules.update(spec.detail_fields)
        for name, rule in rules.items():
            for n, selector in enumerate(rule.selectors):
                out[name if n == 0 else f"{name} (alternative {n})"] = selector
        return out

    def request_for(self, url: str):
        return self.list_request(url, self.parse_list, {"start_url": url, "page_no": 1})

    # ------------------------------------------------------------------ lists
    def parse_list(self, response):
        spec = self.spec
        page = self.page(response)
        sel = page.sel
        items = select(sel, spec.list_item)
        if spec.list_skip:
            skip = {s.get() for s in select(sel, spec.list_skip)}
            items = [i for i in items if i.get() not in skip]
        if not items:
            container_found = spec.list_container is not None and bool(select(sel, spec.list_container))
            if not container_found:
                self.miss("list item", spec.list_item)
        n_links = 0
        for item in items:
            href = clean_value(select(item, spec.list_link).get())
            if not href:
                continue  # header rows, separators
            n_links += 1
            hints = {name: rule.first(item) or "" for name, rule in spec.list_fields.items()}
            yield self.detail_request(page.urljoin(href), hints=hints)
        if items and not n_links:
            self.miss("list link", spec.list_link)
        yield from self._next_pages(response, page, bool(n_links))
        yield self.listed(response)

    def _next_pages(self, response, page, had_items: bool):
        spec = self.spec
        sel = page.sel
        start_url = response.meta.get("start_url", response.url)
        page_no = response.meta.get("page_no", 1)
        meta = {"start_url": start_url}
        if spec.next_page:
            href = clean_value(select(sel, spec.next_page).get())
            if href and not href.lower().startswith("javascript"):
                request = self.list_request(page.urljoin(href), self.parse_list,
                                            {**meta, "page_no": page_no + 1})
                if request is not None:
                    yield request
        elif spec.page_template and spec.total_pages is not None:
            if page_no != 1:
                return
            total = spec.total_pages.first(sel)
            if total is None:
                self.miss("total pages", spec.total_pages.describe())
                return
            for number in range(2, int(total) + 1):
                request = self.list_request(self._page_url(start_url, number), self.parse_list,
                                            {**meta, "page_no": number})
                if request is None:
                    break
                yield request
        elif spec.page_template and spec.until_empty and had_items:
            request = self.list_request(self._page_url(start_url, page_no + 1), self.parse_list,
                                        {**meta, "page_no": page_no + 1})
            if request is not None:
                yield request

    def _page_url(self, start_url: str, number: int) -> str:
        filled = self.spec.page_template.format(start_url=start_url, page=number, index=number - 1)
        return urljoin(start_url, filled)

    # ------------------------------------------------------------------ documents
    def parse_detail(self, response):
        spec = self.spec
        page = self.page(response)
        sel = page.sel
        body = select(sel, spec.detail_body)
        if not body:
            redirect = self.js_redirect(response, page)
            if redirect is not None:
                yield redirect
                yield self.redirected(response)
                return
        missing: list[str] = []
        fields: dict[str, Any] = {}
        hints: dict[str, Any] = {}
        if spec.detail_labels:
            cells = select(sel, spec.detail_labels)
            if not cells:
                missing.append(self.miss("labels", spec.detail_labels))
            fields, hints = extract_labels(cells)
        for name, rule in spec.detail_fields.items():
            value = rule.first(sel)
            if value:
                fields[name] = value
            elif rule.required:
                missing.append(self.miss(name, rule.describe()))
        if spec.detail_title is not None:
            title = spec.detail_title.first(sel)
            if title:
                fields["title"] = title
            elif not (response.meta.get("zhengce_list") or {}).get("title") and not fields.get("title"):
                missing.append(self.miss("title", spec.detail_title.describe()))
        links_sel = select(sel, spec.detail_attachments) if spec.detail_attachments else body.css("a")
        links = self.attachment_links(page, links_sel)
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector=spec.detail_body, missing=missing,
                                 attachments=links, hints=hints)
