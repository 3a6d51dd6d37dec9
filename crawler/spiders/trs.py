"""Ministry sites: NDRC (TRS lists), MIIT (JSON search API), SASAC and MOFCOM (lists).

* **NDRC** 发改委: columns ``/xxgk/zcfb/{fzggwl,ghxwj,gg,tz}/index.html``, further pages
  ``index_N.html`` (count from the TRS ``createPageHTML(N, …)`` call); items ``ul.u-list li``
  (``li.empty`` are separators) with ``a[title]`` and a ``YYYY/MM/DD`` span. Pages expose
  ``meta[name=ArticleTitle|PubDate|ContentSource|ColumnName]`` (``ContentSource`` is the posting
  department, kept as ``posting_office``; ``ArticleTitle`` may have the 文号 glued on); body
  ``div.article_con`` (older pages ``div.TRS_Editor``); attachments ``div.attachment`` outside
  the body; the 文号 is the body's own number line, the 成文日期 the signature's date.
* **MIIT** 工信部: ``search-front-server/api/search/info`` JSON, items in
  ``data.searchResult.dataResults[].groupData[0].data`` whose ``infoextends`` is a JSON string
  holding ``infoContent``, another JSON string; pages ``h1#con_title``, metadata spans
  ``div.xxgk-box p > span``, body ``div#con_con``.
* **SASAC** 国资委: ``.zsy_conlist li`` (``li[style]`` are separators), ``span`` "[YYYY-MM-DD]",
  body ``.zsy_comain``.
* **MOFCOM** 商务部: ``.txtList_01 li`` with ``a[title]`` and a date span; pages with TRS meta,
  body ``.art-con``; some links are stubs that only redirect in JavaScript
  (``window.location.href='…'`` or ``_cofing1={href:"…"}``), which are followed.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from ..extract import clean_value, extract_labels, find_doc_number, body_text, strip_tags
from .base import PolicySpider, epoch_ms_to_date

NDRC_BASE = "https://www.ndrc.gov.cn/xxgk/zcfb"
NDRC_COLUMNS = ("fzggwl", "ghxwj", "gg", "tz")
CREATE_PAGE = re.compile(r"createPageHTML\(\s*(\d+)\s*,")
# NDRC detail pages (2026): body div.article_con (no div.TRS_Editor any more), attachments in
# div.attachment > div.attachment_r outside the body, title also in h2.article_title.
NDRC_SELECTORS = {"title": "h2.article_title", "body": "div.article_con",
                  "attachments": "div.attachment a, table.enclosure a"}


def _meta(sel, name: str) -> str:
    return clean_value(sel.css(f"meta[name={name}]::attr(content)").get())


class NdrcSpider(PolicySpider):
    name = "ndrc"
    allowed_domains = ["ndrc.gov.cn"]
    defaults = {"level": "central"}
    DETAIL_SELECTORS = {"title (meta)": "meta[name=ArticleTitle]::attr(content)",
                        "title": NDRC_SELECTORS["title"], "body": NDRC_SELECTORS["body"],
                        "attachments": NDRC_SELECTORS["attachments"],
                        "published (meta)": "meta[name=PubDate]::attr(content)",
                        "posting office (meta)": "meta[name=ContentSource]::attr(content)"}

    def __init__(self, *args, columns: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = [c.strip() for c in (columns or ",".join(NDRC_COLUMNS)).split(",") if c.strip()]

    def seed_urls(self) -> list[str]:
        return [f"{NDRC_BASE}/{column}/index.html" for column in self.columns]

    def request_for(self, url: str):
        column = url.rstrip("/").split("/")[-2]
        return self.list_request(url, self.parse_list, {"column": column})

    def parse_list(self, response):
        page = self.page(response)
        container = page.sel.css("ul.u-list")
        if not container:
            self.miss("list", "ul.u-list")
            yield self.listed(response)
            return
        for li in container.css("li"):
            if "empty" in (li.attrib.get("class") or ""):
                continue
            a = li.css("a")
            href = a.attrib.get("href") if a else None
            if not href:
                self.miss("list link", "ul.u-list li a")
                continue
            title = clean_value(a.attrib.get("title") or "".join(a.css("::text").getall()))
            yield self.detail_request(page.urljoin(href), hints={
                "title": title, "published_date": clean_value(li.css("span::text").get())})
        if response.url.endswith("/index.html"):
            match = CREATE_PAGE.search(page.text)
            for index in range(1, int(match.group(1)) if match else 1):
                request = self.list_request(page.urljoin(f"index_{index}.html"), self.parse_list,
                                            {"column": response.meta.get("column")})
                if request is None:
                    break
                yield request
        yield self.listed(response)

    def parse_detail(self, response):
        page = self.page(response)
        sel = page.sel
        body, _ = self.select_body(sel, NDRC_SELECTORS["body"], "div.TRS_Editor", "#dSourceText")
        text = body_text(body)
        title = _meta(sel, "ArticleTitle") or clean_value(
            "".join(sel.css(NDRC_SELECTORS["title"] + " ::text").getall()))
        fields = {"title": title, "published_date": _meta(sel, "PubDate"),
                  "category": _meta(sel, "ColumnName"),
                  "doc_number": find_doc_number(text, title=title) or ""}
        if not title:
            self.miss("title", "meta[name=ArticleTitle]")
        links = self.attachment_links(page, sel.css(NDRC_SELECTORS["attachments"]) + body.css("a"))
        # ContentSource is the department that posted the page (环资司), not the issuer
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector=NDRC_SELECTORS["body"], attachments=links,
                                 posting_office=_meta(sel, "ContentSource"))


MIIT_API = "https://www.miit.gov.cn/search-front-server/api/search/info"
MIIT_REFERER = "https://www.miit.gov.cn/search/zcwjk.html"


class MiitSpider(PolicySpider):
    name = "miit"
    allowed_domains = ["miit.gov.cn"]
    defaults = {"level": "central"}
    DETAIL_SELECTORS = {"metadata": "div.xxgk-box p > span", "title": "h1#con_title",
                        "body": "div#con_con", "attachments": "div#con_con a"}

    def __init__(self, *args, page_size: int | str = 10, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_size = int(page_size)

    def api_url(self, page: int) -> str:
        query = {"websiteid": "110000000000000", "scope": "basic", "q": "",
                 "pos": "title_text,infocontent,titlepy", "cateid": "196", "p": page,
                 "pg": self.page_size, "level": "6", "dateField": "deploytime",
                 "selectFields": "title,content,deploytime,url,columnname,publishgroupname,infoextends",
                 "sortFields": json.dumps([{"name": "deploytime", "type": "desc"}]),
                 "group": "distinct"}
        return f"{MIIT_API}?{urlencode(query)}"

    def api_request(self, page: int):
        return self.list_request(self.api_url(page), self.parse_api, {"p": page}, kind="api",
                                 headers={"Referer": MIIT_REFERER})

    def seed_urls(self) -> list[str]:
        return [self.api_url(1)]

    def request_for(self, url: str):
        query = parse_qs(urlsplit(url).query)
        return self.api_request(int((query.get("p") or ["1"])[0]))

    @staticmethod
    def info_content(data: dict) -> dict:
        """``infoextends`` is a JSON string whose ``infoContent`` is another JSON string."""
        try:
            extends = json.loads(data.get("infoextends") or "{}")
            content = extends.get("infoContent") or "{}"
            return json.loads(content) if isinstance(content, str) else dict(content)
        except (ValueError, AttributeError, TypeError):
            return {}

    def parse_api(self, response):
        page_no = response.meta["p"]
        try:
            result = json.loads(response.body)["data"]["searchResult"]
            groups = result.get("dataResults") or []
            total = int(result.get("total") or 0)
        except (ValueError, KeyError, TypeError):
            self.miss("api", "data.searchResult.dataResults")
            yield self.listed(response, kind="api")
            return
        for group in groups:
            try:
                data = group["groupData"][0]["data"]
            except (KeyError, IndexError, TypeError):
                self.miss("api item", "groupData[0].data")
                continue
            info = self.info_content(data)
            hints = {"title": strip_tags(data.get("title")),
                     "published_date": epoch_ms_to_date(data.get("deploytime"))
                     or clean_value(data.get("publishtime")),
                     "issuer": clean_value(data.get("publishgroupname") or info.get("fbjg")),
                     "doc_number": clean_value(info.get("fwzh")),
                     "issued_date": clean_value(info.get("cwrq"))}
            if data.get("url"):
                yield self.detail_request(urljoin(response.url, data["url"]), hints=hints)
        yield self.listed(response, kind="api")
        if groups and page_no * self.page_size < total:
            request = self.api_request(page_no + 1)
            if request is not None:
                yield request

    def parse_detail(self, response):
        page = self.page(response)
        sel = page.sel
        fields, hints = extract_labels(sel.css("div.xxgk-box p > span"))
        if not fields:
            self.miss("metadata", "div.xxgk-box p > span")
        fields["title"] = clean_value("".join(sel.css("h1#con_title ::text").getall()))
        body = sel.css("div#con_con")
        links = self.attachment_links(page, body.css("a"))
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector="div#con_con", attachments=links, hints=hints)


SASAC_LIST = "http://www.sasac.gov.cn/n2588035/n2588320/n2588335/index.html"


class SasacSpider(PolicySpider):
    name = "sasac"
    allowed_domains = ["sasac.gov.cn"]
    defaults = {"level": "central", "issuer": "国务院国有资产监督管理委员会"}
    DETAIL_SELECTORS = {"title": ".zsy_cotitle", "published": ".zsy_cotitle p",
                        "body": ".zsy_comain", "attachments": ".zsy_comain a"}

    def seed_urls(self) -> list[str]:
        return [SASAC_LIST]

    def request_for(self, url: str):
        return self.list_request(url, self.parse_list)

    def parse_list(self, response):
        page = self.page(response)
        container = page.sel.css(".zsy_conlist")
        if not container:
            self.miss("list", ".zsy_conlist")
        for li in container.css("li"):
            if li.attrib.get("style") is not None:
                continue
            a = li.css("a")
            if not a or not a.attrib.get("href"):
                self.miss("list link", ".zsy_conlist li a")
                continue
            day = clean_value(li.css("span::text").get()).strip("[]")
            yield self.detail_request(page.urljoin(a.attrib["href"]), hints={
                "title": clean_value(a.attrib.get("title") or "".join(a.css("::text").getall())),
                "published_date": day})
        nxt = page.sel.xpath("//a[normalize-space()='下一页']/@href").get()
        if nxt:
            request = self.list_request(page.urljoin(nxt), self.parse_list)
            if request is not None:
                yield request
        yield self.listed(response)

    def parse_detail(self, response):
        page = self.page(response)
        sel = page.sel
        body = sel.css(".zsy_comain")
        text = body_text(body)
        title = clean_value(sel.css(".zsy_cotitle::text").get())
        info = clean_value("".join(sel.css(".zsy_cotitle p ::text").getall()))
        fields = {"title": title,
                  "published_date": (re.search(r"发布时间[：:]\s*([\d\-]+)", info) or [None, ""])[1],
                  "doc_number": find_doc_number(text, title=title) or ""}
        links = self.attachment_links(page, body.css("a"))
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector=".zsy_comain", attachments=links)


MOFCOM_LIST = "http://www.mofcom.gov.cn/zcfb/index.html"


class MofcomSpider(PolicySpider):
    name = "mofcom"
    allowed_domains = ["mofcom.gov.cn"]
    defaults = {"level": "central"}
    DETAIL_SELECTORS = {"title (meta)": "meta[name=ArticleTitle]::attr(content)",
                        "body": ".art-con", "published (meta)": "meta[name=PubDate]::attr(content)",
                        "posting office (meta)": "meta[name=ContentSource]::attr(content)"}

    def seed_urls(self) -> list[str]:
        return [MOFCOM_LIST]

    def request_for(self, url: str):
        return self.list_request(url, self.parse_list)

    def parse_list(self, response):
        page = self.page(response)
        items = page.sel.css(".txtList_01 li")
        if not page.sel.css(".txtList_01"):
            self.miss("list", ".txtList_01")
        for li in items:
            a = li.css("a")
            if not a or not a.attrib.get("href"):
                self.miss("list link", ".txtList_01 li a")
                continue
            yield self.detail_request(page.urljoin(a.attrib["href"]), hints={
                "title": clean_value(a.attrib.get("title") or "".join(a.css("::text").getall())),
                "published_date": clean_value(li.css("span::text").get())})
        nxt = page.sel.css("a.next::attr(href)").get() or \
            page.sel.xpath("//a[normalize-space()='下一页']/@href").get()
        if nxt:
            request = self.list_request(page.urljoin(nxt), self.parse_list)
            if request is not None:
                yield request
        yield self.listed(response)

    def parse_detail(self, response):
        page = self.page(response)
        sel = page.sel
        if not (sel.css(".art-con") or sel.css(".artCon")):
            redirect = self.js_redirect(response, page)
            if redirect is not None:
                yield redirect
                yield self.redirected(response)
                return
        body, _ = self.select_body(sel, ".art-con", ".artCon")
        text = body_text(body)
        title = _meta(sel, "ArticleTitle") or clean_value(sel.css("#artitle::text").get())
        fields = {"title": title, "published_date": _meta(sel, "PubDate"),
                  "doc_number": find_doc_number(text, title=title) or ""}
        links = self.attachment_links(page, body.css("a"))
        yield from self.document(response, page, fields, body_sel=body,
                                 body_selector=".art-con", attachments=links,
                                 posting_office=_meta(sel, "ContentSource"))
