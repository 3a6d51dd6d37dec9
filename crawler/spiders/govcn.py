"""gov.cn: the State Council policy library through its JSON search API, then each document page.

The API (``sousuo.www.gov.cn/search-gov/data``) is searched per library — ``zhengcelibrary_gw``
国务院文件 and ``zhengcelibrary_bm`` 国务院部门文件 — over a custom date window
(``timetype=timezd``, ``mintime``/``maxtime``), ``p`` pages of ``n`` items. Nothing beyond what
public clients show is assumed: no ``totalpage`` (none was ever seen; it is used only when
present), ``totalCount`` per category when present, ``pubtimeStr`` possibly null. A window is
paged until a short or empty page (at most ``max_window_pages`` pages, with a warning); when the
pages run out before ``totalCount`` (the API serves only so many results per query), the window is
split in two halves, recursively — and later windows larger than what the API served are split
at once — which makes a full backfill possible. Responses come in two shapes: items in
``searchVO.listVO`` (single library) or per category in ``searchVO.catMap`` (``zhengcelibrary``);
``code: 1001`` means no result. Titles carry ``<em>`` highlights; 发文字号 is ``pcode``, 发文机关
``puborg``. The newer token-protected backend some 2025 clients use
(``sousuoht.www.gov.cn/athena/forward/…``) is out of scope.

Detail pages come in two templates, both read by their labels: the 2023+ template
(``div.policyLibraryOverview_header table``, body ``div.pages_content#UCAP-CONTENT``, with a
mobile copy in ``div.pages_content.pchide`` and, for department documents, no 发布日期 row: the
``firstpublishedtime`` meta has it) and the older ``table.bd1`` (labels padded with full-width
spaces, body ``td#UCAP-CONTENT`` or, on current pages, ``div.b12c.pages_content#UCAP-CONTENT``).
Attachments: ``ul.fujian li a`` and file links inside the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from ..extract import clean_value, extract_labels, strip_tags
from .base import PolicySpider, epoch_ms_to_date

API = "https://sousuo.www.gov.cn/search-gov/data"
REFERER = "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary"
LIBRARIES = {"zhengcelibrary_gw": "国务院文件", "zhengcelibrary_bm": "国务院部门文件"}
TITLE_SUFFIXES = ("_国务院文件_中国政府网", "_国务院部门文件_中国政府网", "__中国政府网", "_中国政府网")
FIRST_DAY = "1949-10-01"
# Detail-page templates: the metadata cells and the body each declares. The department-document
# template (``pctoubukuang1``) also has a mobile copy of the body in
# ``div.pages_content.pages_contentm.pchide``: the declared selector takes only the one with the
# id; the fallbacks may take both, and the copy is dropped (crawler.cleanup).
NEW_TEMPLATE = {"labels": "div.policyLibraryOverview_header table td",
                "body": "div.pages_content#UCAP-CONTENT"}
OLD_TEMPLATE = {"labels": "table.bd1 td",
                "body": "td#UCAP-CONTENT, div.pages_content#UCAP-CONTENT"}
BODY_FALLBACKS = ("#UCAP-CONTENT", "div.pages_content", "div.trs_editor_view")
MAX_WINDOW_PAGES = 50   # a guard against an API that ignores p= and serves page 1 forever


@dataclass
class Listing:
    """One API answer: its items, how many each category returned, the total it reports
    (sum of the categories' ``totalCount``; None when absent) and ``totalpage`` (None: absent,
    as in every answer public clients show)."""

    items: list[dict]
    counts: list[int]
    total: int | None
    total_pages: int | None


class GovcnSpider(PolicySpider):
    name = "govcn"
    allowed_domains = ["gov.cn"]
    defaults = {"level": "central"}
    DETAIL_SELECTORS = {"labels (2023 template)": NEW_TEMPLATE["labels"],
                        "body (2023 template)": NEW_TEMPLATE["body"],
                        "labels (bd1 template)": OLD_TEMPLATE["labels"],
                        "body (bd1 template)": OLD_TEMPLATE["body"],
                        "title": "title::text", "attachments": "ul.fujian li a",
                        "published (meta)": "meta[name=firstpublishedtime]::attr(content)"}

    def __init__(self, *args, libraries: str | None = None, mintime: str = FIRST_DAY,
                 maxtime: str | None = None, page_size: int | str = 20,
                 max_window_pages: int | str = MAX_WINDOW_PAGES, gaps: str | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.libraries = [lib.strip() for lib in (libraries or ",".join(LIBRARIES)).split(",")
                          if lib.strip()]
        self.mintime = mintime
        self.maxtime = maxtime or date.today().isoformat()
        self.page_size = int(page_size)
        self.max_window_pages = int(max_window_pages)
        #: results the API served for one window before its pages came back short or empty
        #: while totalCount said more (learned from the answers; None until seen)
        self.served_cap: int | None = None
        self.gaps_path = gaps
        self.gaps = {}
        if gaps:
            from ..gaps import read_gaps

            self.gaps = {(gap.prefix, str(gap.year or ""), str(gap.serial)): gap
                         for gap in read_gaps(gaps)}

    def seed_urls(self) -> list[str]:
        if self.gaps_path:
            return [self.number_url(library, gap) for gap in self.gaps.values()
                    for library in self.libraries]
        return [self.api_url(library, self.mintime, self.maxtime, 1) for library in self.libraries]

    def request_for(self, url: str):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if "pcodeNum" in query:
            gap = (query.get("pcodeJiguan", ""), query.get("pcodeYear", ""), query["pcodeNum"])
            return self._request(url, self.parse_gap, "api", {"gap": gap, "library": query["t"]},
                                 dont_filter=True,
                                 headers={"Referer": REFERER,
                                          "Accept": "application/json, text/plain, */*"}
                                 ).replace(errback=self.gap_failed)
        return self.api_request(query["t"], query["mintime"], query["maxtime"], int(query.get("p", 1)))

    def api_url(self, library: str, lo: str, hi: str, page: int) -> str:
        query = {"t": library, "q": "", "timetype": "timezd", "mintime": lo, "maxtime": hi,
                 "sort": "pubtime", "sortType": "1", "searchfield": "title", "p": page,
                 "n": self.page_size}
        return f"{API}?{urlencode(query)}"

    def api_request(self, library: str, lo: str, hi: str, page: int, *, seen: int = 0):
        return self.list_request(self.api_url(library, lo, hi, page), self.parse_api,
                                 {"library": library, "lo": lo, "hi": hi, "p": page, "seen": seen},
                                 kind="api", headers={"Referer": REFERER,
                                                      "Accept": "application/json, text/plain, */*"})

    # ------------------------------------------------------------------ gap filling
    def number_url(self, library: str, gap) -> str:
        """A search for one document number (all dates, 发文字号 filters)."""
        query = {"t": library, "q": "", "timetype": "timeqb", "sort": "pubtime", "sortType": "1",
                 "searchfield": "title", "p": 1, "n": self.page_size, "pcodeJiguan": gap.prefix,
                 "pcodeYear": gap.year or "", "pcodeNum": gap.serial}
        return f"{API}?{urlencode(query)}"

    def parse_gap(self, response):
        gap = self.gaps[response.meta["gap"]]
        try:
            data = json.loads(response.body)
        except ValueError:
            gap.failures += 1
            yield self._failed(response, "the search API did not answer JSON")
            return
        gap.answers += 1
        yield self.listed(response, kind="api")
        if data.get("code") != 200 or not isinstance(data.get("searchVO"), dict):
            if data.get("code") != 1001:
                gap.failures += 1
            return
        from ..gaps import same_number

        for item in self.listing_of(data["searchVO"]).items:
            if item.get("url") and same_number(item.get("pcode"), gap):
                url = urljoin(response.url, item["url"])
                gap.urls.append(url)
                yield self.detail_request(url, hints=self.api_fields(item, response.meta["library"]))

    def gap_failed(self, failure):
        self.gaps[failure.request.meta["gap"]].failures += 1
        yield from self.on_error(failure)

    def closed(self, reason):
        if not self.gaps:
            return
        from zhengce.corpus.store import utcnow

        from ..gaps import record_gaps

        counts = record_gaps(self.crawler.settings.get("ZHENGCE_DB"), list(self.gaps.values()),
                             checked_at=utcnow())
        for outcome, n in counts.items():
            self.crawler.stats.set_value(f"zhengce/govcn/gaps_{outcome}", n)

    # ------------------------------------------------------------------ the API
    @staticmethod
    def listing_of(search_vo: dict) -> Listing:
        """Items, totals and fullness of either response shape (no field is assumed present)."""
        if search_vo.get("listVO") is not None or search_vo.get("catMap") is None:
            categories = [search_vo]
        else:
            categories = list((search_vo.get("catMap") or {}).values())
        items: list[dict] = []
        counts: list[int] = []
        totals: list[int | None] = []
        pages: list[int] = []
        for category in categories:
            listed = list(category.get("listVO") or [])
            items += listed
            counts.append(len(listed))
            totals.append(_int_or_none(category.get("totalCount")))
            if _int_or_none(category.get("totalpage")) is not None:
                pages.append(int(category["totalpage"]))
        known = [t for t in totals if t is not None]
        total = sum(known) if known else None
        if total == 0 and not items and _int_or_none(search_vo.get("totalCount")):
            total = int(search_vo["totalCount"])
        return Listing(items, counts, total, max(pages) if pages else None)

    @staticmethod
    def api_fields(item: dict, library: str) -> dict[str, str]:
        """Listing values (fallbacks for the detail page). Confirmed item fields: ``pcode``
        发文字号, ``puborg`` 发文机关, ``pubtimeStr`` (null on later pages), ``pubtime`` /
        ``ptime`` (epoch ms, pubtime may be 0), ``childtype``. ``wenhao``/``fwzh`` are read only
        when ``pcode`` is absent (never seen for this endpoint); ``source`` is not read (on
        gov.cn it is the publication the page came from, not the issuer)."""
        published = str(item["pubtimeStr"]) if item.get("pubtimeStr") else None
        if not published:
            stamp = next((v for v in (item.get("pubtime"), item.get("ptime"))
                          if _int_or_none(v)), None)
            published = epoch_ms_to_date(stamp) if stamp else None
        return {"title": strip_tags(item.get("title")),
                "doc_number": clean_value(item.get("pcode") or item.get("wenhao") or item.get("fwzh")),
                "issuer": clean_value(item.get("puborg")),
                "published_date": published or "",
                "category": clean_value(item.get("childtype")),
                "library": LIBRARIES.get(library, library)}

    def parse_api(self, response):
        meta = response.meta
        library, lo, hi, page = meta["library"], meta["lo"], meta["hi"], meta["p"]
        self.crawler.stats.inc_value("zhengce/govcn/api_pages")
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
        listing = self.listing_of(data["searchVO"])
        if page == 1 and lo < hi and self._too_many(listing):
            yield from self._split(response, library, lo, hi)
            return
        if not listing.items and listing.total:
            self.miss("api listVO", "searchVO.listVO | searchVO.catMap.*.listVO")
        for item in listing.items:
            url = item.get("url")
            if not url:
                self.miss("api item url", "listVO[].url")
                continue
            yield self.detail_request(urljoin(response.url, url), hints=self.api_fields(item, library))
        yield from self._after_page(response, listing, meta.get("seen", 0) + len(listing.items))

    def _too_many(self, listing: Listing) -> bool:
        """A window the API will not page through: more results than ``totalpage`` pages hold,
        or than the API served for an earlier window (:attr:`served_cap`)."""
        if listing.total is None:
            return False
        if listing.total_pages is not None and listing.total > listing.total_pages * self.page_size:
            return True
        return self.served_cap is not None and listing.total > self.served_cap

    def _split(self, response, library: str, lo: str, hi: str):
        self.crawler.stats.inc_value("zhengce/govcn/window_splits")
        for a, b in _split_window(lo, hi):
            request = self.api_request(library, a, b, 1)
            if request is not None:
                yield request
        yield self.listed(response, kind="api")

    def _after_page(self, response, listing: Listing, seen: int):
        """Page on while pages are full (up to ``max_window_pages``); a short or empty page
        ends the window — and when totalCount says the API held back results, the window is
        split (a single day cannot be: its rest is missed, with a warning)."""
        meta = response.meta
        library, lo, hi, page = meta["library"], meta["lo"], meta["hi"], meta["p"]
        full = any(n >= self.page_size for n in listing.counts)
        missing = listing.total is not None and seen < listing.total
        if full and (listing.total is None or missing):
            if page < self.max_window_pages:
                yield self.listed(response, kind="api")
                request = self.api_request(library, lo, hi, page + 1, seen=seen)
                if request is not None:
                    yield request
                return
            reason = (f"still full pages after {page} pages ({seen} results) — the "
                      f"max_window_pages cap")
        elif missing:
            self.served_cap = seen if self.served_cap is None else min(self.served_cap, seen)
            reason = f"the API served {seen} of its {listing.total} results"
        else:
            yield self.listed(response, kind="api")
            return
        if lo < hi:
            yield from self._split(response, library, lo, hi)
            return
        self.crawler.stats.inc_value("zhengce/govcn/window_capped")
        warning = (f"{library} on {lo}: {reason}; the rest of that day's documents are missed "
                   "(a smaller page size -a page_size=N or a larger -a max_window_pages=N may help)")
        self.logger.warning(warning)
        yield self.listed(response, kind="api", warnings=[warning])

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
        new_cells = sel.css(NEW_TEMPLATE["labels"])
        old_cells = sel.css(OLD_TEMPLATE["labels"])
        if new_cells:
            fields, hints = extract_labels(new_cells)
            body_selector = NEW_TEMPLATE["body"]
            hints["template"] = "2023"
        elif old_cells:
            fields, hints = extract_labels(old_cells)
            body_selector = OLD_TEMPLATE["body"]
            hints["template"] = "bd1"
        else:
            fields, hints = {}, {"template": "none"}
            missing.append(self.miss("metadata table",
                                     f"{NEW_TEMPLATE['labels']} | {OLD_TEMPLATE['labels']}"))
            body_selector = "#UCAP-CONTENT"
        body, _ = self.select_body(sel, body_selector, *BODY_FALLBACKS)
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


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _split_window(lo: str, hi: str) -> tuple[tuple[str, str], tuple[str, str]]:
    a, b = date.fromisoformat(lo), date.fromisoformat(hi)
    mid = a + timedelta(days=(b - a).days // 2)
    return (lo, mid.isoformat()), ((mid + timedelta(days=1)).isoformat(), hi)
