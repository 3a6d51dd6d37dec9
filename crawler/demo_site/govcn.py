"""gov.cn on the demo site: detail pages in two templates, annexes, and the policy-library search API.

Detail pages use the 2023+ template for even document numbers (with the mobile copy of the body
in ``div.pages_content.pchide``, and no 发布日期 row for department documents: only the
``firstpublishedtime`` meta has it) and the older ``table.bd1`` template for odd ones (every
other one with the current 国务院文件 body ``div.b12c.pages_content#UCAP-CONTENT``). The State Council search API (``search-gov/data``) lists them; its traps
are a result cap that forces date-window splitting (pages past it come back empty while
``totalCount`` counts everything), no ``totalpage`` field (unless ``with_totalpage``), and a
missing ``pubtimeStr`` on later pages.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from zhengce.corpus.demo import DemoDocument

from .files import make_docx, make_pdf
from .pages import (DOCX_TYPE, HTML_UTF8, JSON_TYPE, PDF_TYPE, Page, SitePages, api_date, key_of,
                    number_of)

GOVCN_API = "sousuo.www.gov.cn/search-gov/data"
GOV_CN_GW_ISSUERS = ("国务院", "国务院办公厅")


def category_of(title: str) -> str:
    """A gov.cn 主题分类 for the demo (the 20 themes; picked from title words)."""
    rules = (("出口", "商贸、海关、旅游\\对外经贸合作"), ("外商", "商贸、海关、旅游\\对外经贸合作"),
             ("资金", "财政、金融、审计\\财政"), ("贴息", "财政、金融、审计\\财政"),
             ("税", "财政、金融、审计\\税收"), ("国有", "国民经济管理、国有资产监管\\国有资产监管"),
             ("质量", "市场监管、安全生产监管\\质量监督"), ("技术", "科技、教育\\科技"))
    for word, theme in rules:
        if word in title:
            return theme
    return "工业、交通\\其他"


def _json_page(value: dict) -> Page:
    return Page(json.dumps(value, ensure_ascii=False).encode("utf-8"), JSON_TYPE)


def _no_result() -> Page:
    return _json_page({"code": 1001, "msg": "没有找到相关结果", "searchVO": None})


class GovcnSite:
    """The gov.cn pages of one demo corpus and the search API over them.

    ``libraries`` holds the API's items per library (``gw`` 国务院文件, ``bm`` 部门文件), newest
    first, each with the ISO date it is indexed under.
    """

    def __init__(self, site: SitePages, api_cap: int, with_totalpage: bool = False):
        self.site = site
        self.api_cap = api_cap
        # No public client or write-up shows a totalpage field: by default the demo API has
        # none either (clients page until a short or empty page).
        self.with_totalpage = with_totalpage
        self.libraries: dict[str, list[tuple[str, dict]]] = {"gw": [], "bm": []}
        #: documents the date-window listings leave out (only a document-number search finds
        #: them): gaps a crawl cannot see, for the gap-filling tests
        self.unlisted: set[str] = set()

    def build(self, docs: list[DemoDocument]) -> None:
        self.site.start_urls["govcn"] = [f"https://{GOVCN_API}"]
        for position, doc in enumerate(docs):
            n = number_of(doc)
            library = "gw" if doc.issuer.split("、")[0] in GOV_CN_GW_ISSUERS else "bm"
            pub = api_date(doc)
            index_no = f"000014349/{pub[:4]}-{n:05d}"
            attachments = [(Path(urlsplit(url).path).name, label)
                           for url, label in self._attachments(doc, n)]
            self.site.add_html(
                doc.url, "govcn_new.html" if n % 2 == 0 else "govcn_old.html", doc=doc,
                manuscript_id=str(4_000_000 + n), first_published=f"{pub}-09:00:00",
                lanmu="国务院文件" if library == "gw" else "国务院部门文件",
                category=category_of(doc.title), index_no=index_no, attachments=attachments,
                current_body=n % 4 == 1)
            listed_url = doc.url
            if position == 1:
                listed_url = self._old_url_redirect(doc, pub, n)
            pubtime = int(datetime.fromisoformat(pub).replace(tzinfo=timezone.utc).timestamp() * 1000)
            item = {"id": 4_000_000 + n, "title": doc.title, "url": listed_url,
                    "pcode": doc.doc_number or "", "puborg": doc.issuer,
                    "pubtimeStr": pub.replace("-", "."), "pubtime": pubtime, "ptime": pubtime,
                    "childtype": category_of(doc.title), "summary": doc.text[:60].replace("\n", ""),
                    "index": index_no, "piclinksurl": "", "code": "", "content": ""}
            self.libraries[library].append((pub, item))
        for items in self.libraries.values():
            items.sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=True)

    def _old_url_redirect(self, doc: DemoDocument, pub: str, n: int) -> str:
        """An old URL pattern that the site now answers with a permanent redirect (listed by the
        API instead of the document's URL)."""
        parts = urlsplit(doc.url)
        old = f"{parts.scheme}://{parts.netloc}/zhengce/content/{pub[:7]}/{pub[8:10]}/content_{n}.htm"
        self.site.pages[key_of(old)] = Page(b"", HTML_UTF8, status=301,
                                            headers={"Location": doc.url})
        self.site.specials["http_redirect"] = old
        return old

    def _attachments(self, doc: DemoDocument, n: int) -> list[tuple[str, str]]:
        """Every tenth gov.cn document has a PDF annex, every tenth + 5 a DOCX annex."""
        base = doc.url.rsplit("/", 1)[0]
        out: list[tuple[str, str]] = []
        lines = [f"附件：{doc.title}有关事项清单", f"一、适用范围：{doc.issuer}有关单位",
                 "二、申报材料：项目申请报告、可行性研究报告", f"三、联系方式：{doc.issuer}办公厅"]
        if n % 10 == 3:
            url = f"{base}/P0201{n:012d}.pdf"
            self.site.pages[key_of(url)] = Page(make_pdf(lines, title="附件1"), PDF_TYPE,
                                                headers={"Content-Disposition":
                                                         'attachment; filename="fujian1.pdf"'})
            out.append((url, "附件1：有关事项清单.pdf"))
        if n % 10 == 5:
            url = f"{base}/P0202{n:012d}.docx"
            self.site.pages[key_of(url)] = Page(make_docx(lines, title="附件2"), DOCX_TYPE)
            out.append((url, "附件2：申报表.docx"))
        if out:
            self.site.attachments[doc.url] = out
        return out

    def api(self, query: dict[str, list[str]]) -> Page:
        """``search-gov/data``: libraries ``zhengcelibrary_gw`` / ``_bm`` (items in
        ``searchVO.listVO``) and ``zhengcelibrary`` (items per category in ``catMap``)."""
        def arg(name: str, default: str = "") -> str:
            return (query.get(name) or [default])[0]

        library = arg("t")
        try:
            page = max(int(arg("p", "1")), 1)
            size = min(max(int(arg("n", "20")), 1), 250)
        except ValueError:
            return Page(json.dumps({"code": 400, "msg": "参数错误"}).encode(), JSON_TYPE)
        lo, hi = "0000-00-00", "9999-99-99"
        if arg("timetype") == "timezd":
            lo, hi = arg("mintime") or lo, arg("maxtime") or hi
        number = (arg("pcodeJiguan"), arg("pcodeYear"), arg("pcodeNum"))
        if library in ("zhengcelibrary_gw", "zhengcelibrary_bm"):
            items = [it for pub, it in self.libraries[library[-2:]] if lo <= pub <= hi
                     and self._shown(it, number)]
            if not items:
                return _no_result()
            return _json_page({"code": 200, "msg": "操作成功",
                               "searchVO": self._api_page(items, page, size),
                               "paramsVO": {"t": library, "p": page, "n": size}})
        if library == "zhengcelibrary":
            return self._categories(lo, hi, page, size)
        return _no_result()

    def _shown(self, item: dict, number: tuple[str, str, str]) -> bool:
        """Without a document-number filter: every listed item; with one (``pcodeJiguan``,
        ``pcodeYear``, ``pcodeNum``, each optional): the items whose 发文字号 matches."""
        if not any(number):
            return item["url"] not in self.unlisted
        from zhengce.corpus.tagging import parse_doc_number

        parsed = parse_doc_number(item["pcode"]) if item["pcode"] else None
        if parsed is None:
            return False
        prefix, year, serial = number
        return ((not prefix or parsed.prefix == prefix)
                and (not year or str(parsed.year) == year)
                and (not serial or str(parsed.serial) == serial))

    def _categories(self, lo: str, hi: str, page: int, size: int) -> Page:
        """The combined library: one page of each category in ``catMap``."""
        cat_map = {}
        for cat, name, lib in (("gongwen", "国务院文件", "gw"), ("bumenfile", "国务院部门文件", "bm")):
            items = [it for pub, it in self.libraries[lib] if lo <= pub <= hi
                     and it["url"] not in self.unlisted]
            vo = self._api_page(items, page, size)
            cat_map[cat] = {"catName": name, "currentNum": page, **vo}
        if not any(c["totalCount"] for c in cat_map.values()):
            return _no_result()
        top = {"totalCount": 0, "listVO": None, "catMap": cat_map}
        if self.with_totalpage:
            top["totalpage"] = 0
        return _json_page({"code": 200, "msg": "操作成功", "searchVO": top})

    def _api_page(self, items: list[dict], page: int, size: int) -> dict:
        total = len(items)
        # The API never pages past api_cap results (later pages come back empty while
        # totalCount still counts everything): the crawler must split its date window.
        served_pages = min(math.ceil(total / size), max(self.api_cap // size, 1))
        chosen = [dict(it) for it in items[(page - 1) * size: page * size]] if page <= served_pages else []
        for it in chosen:
            if page >= 3:
                it["pubtimeStr"] = None  # later pages lose the display date; pubtime remains
        vo = {"totalCount": total, "listVO": chosen}
        if self.with_totalpage:
            vo["totalpage"] = served_pages
        return vo
