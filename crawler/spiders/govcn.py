"""gov.cn: the State Council policy library through its JSON search API, then each document page.

The API (``sousuo.www.gov.cn/search-gov/data``) is searched per library — ``zhengcelibrary_gw``
国务院文件 and ``zhengcelibrary_bm`` 国务院部门文件 — over a custom date window
(``timetype=timezd``, ``mintime``/``maxtime``), ``p`` pages of ``n`` items. The API never pages
past a cap, so a window whose ``totalCount`` exceeds ``totalpage × n`` is split in two halves,
recursively, which makes a full backfill possible. Responses come in two shapes: items in
``searchVO.listVO`` (single library) or per category in ``searchVO.catMap`` (``zhengcelibrary``);
``code: 1001`` means no result. Titles carry ``<em>`` highlights; ``pubtimeStr`` can be null
(``pubtime`` epoch ms is used then); 发文字号 is ``pcode`` (or ``wenhao``/``fwzh``), 发文机关
``puborg`` (or ``source``).

Detail pages come in two templates, both read by their labels: the 2023+ template
(``div.policyLibraryOverview_header table``, body ``div.pages_content``/``#UCAP-CONTENT``) and the
older ``table.bd1`` (labels padded with full-width spaces, body ``td#UCAP-CONTENT``). Attachments:
``ul.fujian li a`` and file links inside the body.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from ..extract import clean_value, extract_labels, strip_tags
from .base import PolicySpider, epoch_ms_to_date

API = "https://sousuo.www.gov.cn/search-gov/data"
REFERER = "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary"
LIBRARIES = {"zhengcelibrary_gw": "国务院文件", "zhengcelibrary_bm": "国务院部门文件"}
TITLE_SUFFIXES = ("_国务院文件_中国政府网", "_国务院部门文件_中国政府网", "__中国政府网", "_中国政府网")
FIRST_DAY = "1949-10-01"


class GovcnSpider(PolicySpider):
    name = "govcn"
    allowed_domains = ["gov.cn"]
    defaults = {"level": "central"}

    def __init__(self, *args, libraries: str | None = None, mintime: str = FIRST_DAY,
                 maxtime: str | None = None, page_size: int | str = 20, **kwargs):
        super().__init__(*args, **kwargs)
        self.libraries = [lib.strip() for lib in (libraries or ",".join(LIBRARIES)).split(",")
                          if lib.strip()]
        self.mintime = mintime
        self.maxtime = maxtime or date.today().isoformat()
        self.page_size = int(page_size)

    def seed_urls(self) -> list[str]:
        return [self.api_url(library, self.mintime, self.maxtime, 1) for library in self.libraries]

    def request_for(self, url: str):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return self.api_request(query["t"], query["mintime"], query["maxtime"], int(query.get("p", 1)))

    def api_url(self, library: str, lo: str, hi: str, page: int) -> str:
        query = {"t": library, "q": "", "timetype": "timezd", "mintime": lo, "maxtime": hi,
                 "sort": "pubtime", "sortType": "1", "searchfield": "title", "p": page,
                 "n": self.page_size}
        return f"{API}?{urlencode(query)}"

    def api_request(self, library: str, lo: str, hi: str, page: int):
        return self.list_request(self.api_url(library, lo, hi, page), self.parse_api,
                                 {"library": library, "lo": lo, "hi": hi, "p": page},
                                 kind="api", headers={"Referer": REFERER,
                                                      "Accept": "application/json, text/plain, */*"})

    # ------------------------------------------------------------------ the API
    @staticmethod
    def items_of(search_vo: dict) -> tuple[list[dict], int, int]:
        """(items, totalCount, totalpage) of either response shape."""
        if search_vo.get("listVO"):
            return (list(search_vo["listVO"]), int(search_vo.get("totalCount") or 0),
                    int(search_vo.get("totalpage") or 0))
        items: list[dict] = []
        total = pages = 0
        for category in (search_vo.get("catMap") or {}).values():
            items += list(category.get("listVO") or [])
            total += int(category.get("totalCount") or 0)
            pages = max(pages, int(category.get("totalpage") or 0))
        if not items and not total:
            total = int(search_vo.get("totalCount") or 0)
            pages = int(search_vo.get("totalpage") or 0)
        return items, total, pages

    @staticmethod
    def api_fields(item: dict, library: str) -> dict[str, str]:
        """Listing values (fallbacks for the detail page), whichever variant the item uses."""
        published = None
        if item.get("pubtimeStr"):
            published = str(item["pubtimeStr"])
        else:
            published = epoch_ms_to_date(item.get("pubtime") or item.get("ptime"))
        return {"title": strip_tags(item.get("title")),
                "doc_number": clean_value(item.get("pcode") or item.get("wenhao") or item.get("fwzh")),
                "issuer": clean_value(item.get("puborg") or item.get("source")),
                "published_date": published or "",
                "category": clean_value(item.get("childtype")),
                "library": LIBRARIES.get(library, library)}

    def parse_api(self, response):
        meta = response.meta
        library, lo, hi, page = meta["library"], meta["lo"], meta["hi"], meta["p"]
        try:
            data = json.loads(response.body)
        except ValueError:
            self.miss("api json", API)
            yield self._failed(response, "the search API did not answer JSON")
            return
        code = data.get("code")
        if code == 1001:  # 没有找到相关结果: an empty window
            yield self.listed(response, kind="api")
            return
        if code != 200 or not isinstance(data.get("searchVO"), dict):
            self.miss("api searchVO", "searchVO")
            yield self._failed(response, f"the search API answered code {code}: {data.get('msg')}")
            return
        items, total, total_pages = self.items_of(data["searchVO"])
        if page == 1 and total > total_pages * self.page_size:
            if lo < hi:
                # The API stops paging before the window's end: split the window.
                first, second = _split_window(lo, hi)
                self.crawler.stats.inc_value("zhengce/govcn/window_splits")
                for a, b in (first, second):
                    request = self.api_request(library, a, b, 1)
                    if request is not None:
                        yield request
                yield self.listed(response, kind="api")
                return
            self.crawler.stats.inc_value("zhengce/govcn/window_capped")
            warning = (f"{library} on {lo}: {total} results but the API pages only "
                       f"{total_pages * self.page_size}; some documents of that day are missed")
            self.logger.warning(warning)
            yield self.listed(response, kind="api", warnings=[warning])
        else:
            yield self.listed(response, kind="api")
        if not items and total:
            self.miss("api listVO", "searchVO.listVO | searchVO.catMap.*.listVO")
        for item in items:
            url = item.get("url")
            if not url:
                self.miss("api item url", "listVO[].url")
                continue
            yield self.detail_request(urljoin(response.url, url), hints=self.api_fields(item, library))
        if page < total_pages:
            request = self.api_request(library, lo, hi, page + 1)
            if request is not None:
                yield request

    def _failed(self, response, error: str):
        from ..items import PageItem
        from zhengce.corpus.store import utcnow

        return PageItem(site=self.name, url=response.url, kind="api", status="failed",
                        http_status=response.status, error=error, fetched_at=utcnow())

    # ------------------------------------------------------------------ document pages
    def parse_detail(self, response):
        page = self.page(response)
        sel = page.sel
        missing: list[str] = []
        new_cells = sel.css("div.policyLibraryOverview_header table td")
        old_cells = sel.css("table.bd1 td")
        if new_cells:
            fields, hints = extract_labels(new_cells)
            body_selector = "div.pages_content"
            hints["template"] = "2023"
        elif old_cells:
            fields, hints = extract_labels(old_cells)
            body_selector = "td#UCAP-CONTENT"
            hints["template"] = "bd1"
        else:
            fields, hints = {}, {"template": "none"}
            missing.append(self.miss("metadata table",
                                     "div.policyLibraryOverview_header table | table.bd1"))
            body_selector = "#UCAP-CONTENT"
        body = sel.css(body_selector) or sel.css("#UCAP-CONTENT") or sel.css("div.trs_editor_view")
        if not fields.get("title"):
            title = clean_value(sel.css("title::text").get())
            for suffix in TITLE_SUFFIXES:
                if title.endswith(suffix):
                    title = title[: -len(suffix)]
                    break
            fields["title"] = title
        if not fields.get("category"):
            fields["category"] = clean_value(sel.css("td.zcwj_ztfl::text").get())
        lanmu = sel.css("meta[name=lanmu]::attr(content)").get()
        if lanmu:
            fields["library"] = clean_value(lanmu)
        hints["manuscript_id"] = sel.css("meta[name=manuscriptId]::attr(content)").get()
        links = self.attachment_links(page, sel.css("ul.fujian li a") + body.css("a"))
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector=body_selector, missing=missing,
                                 attachments=links, hints={k: v for k, v in hints.items() if v})


def _split_window(lo: str, hi: str) -> tuple[tuple[str, str], tuple[str, str]]:
    a, b = date.fromisoformat(lo), date.fromisoformat(hi)
    mid = a + timedelta(days=(b - a).days // 2)
    return (lo, mid.isoformat()), ((mid + timedelta(days=1)).isoformat(), hi)
