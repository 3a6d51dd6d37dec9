"""The offline demo site's content: the demo corpus rendered into the real sites' page structures.

Every :class:`corpus.demo.DemoDocument` is served at its own URL (``DemoDocument.url``), in the
layout of its issuer's kind of site (``site_kind``): gov.cn detail pages in the 2023+ template and
the older ``table.bd1`` template (even / odd document numbers), the State Council JSON search API,
NDRC TRS lists and pages, the MIIT JSON API, SASAC and MOFCOM lists, each province's portal in the
structure its site spec describes (``crawler/specs/*.yaml``), prefecture sites in Wuxi's intertid
layout and county sites in Jiangyin's layout, GBK-encoded without a charset declaration.

Pages are keyed by the real URL without its scheme (``host/path?query``); the server maps a
mirror request ``/<host>/<path>?<query>`` onto that key (see :mod:`crawler.mirror`).

The traps a crawler meets on the real sites are planted here on purpose: a dead link (404), a
malformed page without a body, a link that robots.txt forbids, a page that fails with HTTP 503
before it works, an HTTP 301 from an old URL pattern, a JavaScript redirect, ``<em>`` tags and
missing ``pubtimeStr`` in the search API, a result cap that forces date-window splitting, label
cells padded with full-width spaces, values wrapped in CMS comments and placeholder 文号.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from string import Template
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from zhengce.corpus.demo import DemoCorpus, DemoDocument
from zhengce.common.errors import UserError
from zhengce.corpus.tagging import parse_date_iso

from .files import make_docx, make_pdf

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Where each site kind lists its documents (the real list URLs; the site specs start there).
GOVCN_API = "sousuo.www.gov.cn/search-gov/data"
MIIT_API = "www.miit.gov.cn/search-front-server/api/search/info"
NDRC_COLUMNS = {"fzggwl": "发展改革委令", "ghxwj": "规范性文件", "gg": "公告", "tz": "通知"}
SASAC_LIST = "www.sasac.gov.cn/n2588035/n2588320/n2588335/index.html"
MOFCOM_LIST = "www.mofcom.gov.cn/zcfb/index.html"
PROVINCE_SPECS = {"浙江省": "zhejiang", "广东省": "guangdong", "江苏省": "jiangsu",
                  "上海市": "shanghai", "北京市": "beijing", "四川省": "sichuan",
                  "安徽省": "anhui", "山东省": "shandong"}
PROVINCE_LISTS = {
    "zhejiang": "https://www.zj.gov.cn/col/col1229697826/index.html",
    "guangdong": "http://www.gd.gov.cn/zwgk/wjk/qbwj/",
    "jiangsu": "http://www.jiangsu.gov.cn/col/col76841/index.html",
    "shanghai": "https://www.shanghai.gov.cn/nw12344/index.html",
    "beijing": "https://www.beijing.gov.cn/zhengce/zhengcefagui/index.html",
    "sichuan": "https://www.sc.gov.cn/10462/c102914/gfxwj.shtml",
    "anhui": "https://www.ah.gov.cn/public/column/6781?type=4&action=list&nav=3&catId=49550961",
    "shandong": "http://www.shandong.gov.cn/col/col107851/index.html",
}
PREFECTURE_LIST_PATH = "/zfxxgk/xxgkml/zcwj/index.shtml"   # wuxi spec (intertid CMS)
COUNTY_LIST_PATH = "/zfxxgk/zcwj/index.shtml"              # jiangyin spec (GBK, no charset)
LOCAL_SPECS = {"prefecture": "wuxi", "county": "jiangyin"}

ROBOTS_DEFAULT = "User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n"
NDRC_DISALLOWED = "/xxgk/zcfb/tz/internal/"
GOV_CN_GW_ISSUERS = ("国务院", "国务院办公厅")

HTML_UTF8 = "text/html; charset=utf-8"
JSON_TYPE = "application/json;charset=UTF-8"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Page:
    """One response the server can give."""

    body: bytes
    content_type: str = HTML_UTF8
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


_TEMPLATE_CACHE: dict[str, Template] = {}


def _template(name: str) -> Template:
    if name not in _TEMPLATE_CACHE:
        _TEMPLATE_CACHE[name] = Template((TEMPLATES / name).read_text(encoding="utf-8"))
    return _TEMPLATE_CACHE[name]


def key_of(url: str) -> str:
    """The page key of a real URL: host + path (+ ?query), scheme dropped."""
    parts = urlsplit(url)
    return parts.netloc + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _esc(value: str | None) -> str:
    return html.escape(value or "", quote=True)


def _number(doc: DemoDocument) -> int:
    return int(doc.source_id.rsplit("-", 1)[1])


def _iso(value: str | None) -> str | None:
    return parse_date_iso(value) if value else None


def list_date(doc: DemoDocument) -> str:
    """The date a list page shows: publication, else issue date (ISO)."""
    return _iso(doc.published_date) or _iso(doc.issued_date) or ""


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[-/](\d{1,2})/(\d{1,2})/|/t((?:19|20)\d{2})(\d{2})(\d{2})_")


def api_date(doc: DemoDocument) -> str:
    """The date a search API indexes a document under: its list date, else (a few demo
    documents have no date at all, like some real pages) the date in its URL, else its year's
    first day from the 文号, else 2000-01-01."""
    day = list_date(doc)
    if day:
        return day
    match = _URL_DATE.search(doc.url)
    if match:
        y, m, d = [g for g in match.groups() if g is not None]
        return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    year = re.search(r"〔((?:19|20)\d{2})〕", doc.doc_number or "")
    return f"{year.group(1)}-01-01" if year else "2000-01-01"


def _paragraphs(text: str, indent: bool = True) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return "\n".join(f"<p{style}>{html.escape(line.strip())}</p>"
                     for line in text.split("\n") if line.strip())


def _category(title: str) -> str:
    """A gov.cn 主题分类 for the demo (the 20 themes; picked from title words)."""
    rules = (("出口", "商贸、海关、旅游\\对外经贸合作"), ("外商", "商贸、海关、旅游\\对外经贸合作"),
             ("资金", "财政、金融、审计\\财政"), ("贴息", "财政、金融、审计\\财政"),
             ("税", "财政、金融、审计\\税收"), ("国有", "国民经济管理、国有资产监管\\国有资产监管"),
             ("质量", "市场监管、安全生产监管\\质量监督"), ("技术", "科技、教育\\科技"))
    for word, theme in rules:
        if word in title:
            return theme
    return "工业、交通\\其他"


class SiteContent:
    """All pages of the demo site for one demo corpus.

    ``documents`` are the demo documents in corpus order; ``pages`` maps page keys to responses;
    ``start_urls`` gives, per crawler site name, the real list/API URLs to start from (the
    built-in spiders and the shipped specs start from the same ones); ``specials`` names the
    planted traps (``flaky``, ``not_found``, ``malformed``, ``robots_disallowed``,
    ``http_redirect``, ``js_redirect``, ``gbk``) by URL.
    """

    def __init__(self, n_documents: int = 600, random_state: int = 0, *, api_cap: int = 100,
                 flaky_failures: int = 2, list_page_size: int = 15):
        if n_documents < 1:
            raise UserError(f"the demo site needs at least one document (got {n_documents})")
        self.n_documents = n_documents
        self.random_state = random_state
        self.api_cap = api_cap
        self.list_page_size = list_page_size
        self._flaky_failures = flaky_failures
        self.documents: list[DemoDocument] = [
            d for d, _ in DemoCorpus(n_documents=n_documents, random_state=random_state)
            .iter_documents()]
        self.pages: dict[str, Page] = {}
        self.flaky: dict[str, int] = {}
        self.specials: dict[str, str] = {}
        self.start_urls: dict[str, list[str]] = {}
        self.attachments: dict[str, list[tuple[str, str]]] = {}  # doc url -> [(file url, name)]
        self._govcn: dict[str, list[tuple[str, dict]]] = {"gw": [], "bm": []}
        self._miit: list[tuple[str, dict]] = []
        self.hosts: set[str] = set()
        by_kind: dict[str, list[DemoDocument]] = {}
        for doc in self.documents:
            by_kind.setdefault(doc.site_kind, []).append(doc)
        self._build_govcn(by_kind.get("govcn", []))
        self._build_ndrc(by_kind.get("ndrc", []))
        self._build_miit(by_kind.get("miit", []))
        self._build_sasac(by_kind.get("sasac", []))
        self._build_mofcom(by_kind.get("mofcom", []))
        self._build_provinces(by_kind.get("province", []))
        self._build_local("prefecture", by_kind.get("prefecture", []))
        self._build_local("county", by_kind.get("county", []))
        self._choose_flaky()
        for key in list(self.pages):
            self.hosts.add(key.split("/", 1)[0])
        self.hosts.update({GOVCN_API.split("/")[0], MIIT_API.split("/")[0]})

    # ------------------------------------------------------------------ answering requests
    def respond(self, key: str) -> Page:
        """The response for a page key (``host/path?query``)."""
        host, _, rest = key.partition("/")
        path, _, query = ("/" + rest).partition("?")
        if path == "/robots.txt":
            robots = ROBOTS_DEFAULT
            if host == "www.ndrc.gov.cn":
                robots += f"Disallow: {NDRC_DISALLOWED}\n"
            return Page(robots.encode(), "text/plain")
        if f"{host}{path}" == GOVCN_API:
            return self.govcn_api(parse_qs(query))
        if f"{host}{path}" == MIIT_API:
            return self.miit_api(parse_qs(query))
        page = self.pages.get(key)
        if page is None and query:
            page = self.pages.get(f"{host}{path}")
        if page is None:
            return Page(b"<html><head><title>404 Not Found</title></head><body><h1>404</h1>"
                        b"</body></html>", HTML_UTF8, status=404)
        if key in self.flaky and self.flaky[key] > 0:
            self.flaky[key] -= 1
            return Page(b"<html><body>503 Service Temporarily Unavailable</body></html>",
                        HTML_UTF8, status=503, headers={"Retry-After": "1"})
        return page

    # ------------------------------------------------------------------ gov.cn
    def _build_govcn(self, docs: list[DemoDocument]) -> None:
        self.start_urls["govcn"] = [f"https://{GOVCN_API}"]
        for position, doc in enumerate(docs):
            n = _number(doc)
            library = "gw" if doc.issuer.split("、")[0] in GOV_CN_GW_ISSUERS else "bm"
            lanmu = "国务院文件" if library == "gw" else "国务院部门文件"
            attachments = self._govcn_attachments(doc, n)
            links = "\n".join(f'<p><a href="./{Path(urlsplit(u).path).name}">{_esc(name)}</a></p>'
                              for u, name in attachments)
            pub = api_date(doc)
            fields = {
                "manuscript_id": str(4_000_000 + n), "first_published": f"{pub}-09:00:00",
                "lanmu": lanmu, "keywords": "工业;产业政策", "description": _esc(doc.title[:40]),
                "title_html": _esc(doc.title), "issuer": _esc(doc.issuer),
                "doc_number": _esc(doc.doc_number), "category": _esc(_category(doc.title)),
                "doc_type": _esc(doc.doc_type_hint), "issued_date": _esc(doc.issued_date),
                "published_date": _esc(doc.published_date),
                "index_no": f"000014349/{pub[:4]}-{n:05d}", "body": _paragraphs(doc.text),
            }
            if n % 2 == 0:
                fields["attachments"] = links
                page = _template("govcn_new.html").substitute(fields)
            else:
                fields["attachments"] = ("<ul class=\"fujian\">" + "".join(
                    f'<li><a href="./{Path(urlsplit(u).path).name}">{_esc(name)}</a></li>'
                    for u, name in attachments) + "</ul>") if attachments else ""
                page = _template("govcn_old.html").substitute(fields)
            self.pages[key_of(doc.url)] = Page(page.encode("utf-8"))
            listed_url = doc.url
            if position == 1:
                # An old URL pattern that the site now answers with a permanent redirect.
                parts = urlsplit(doc.url)
                old = f"{parts.scheme}://{parts.netloc}/zhengce/content/{pub[:7]}/{pub[8:10]}/content_{n}.htm"
                self.pages[key_of(old)] = Page(b"", HTML_UTF8, status=301,
                                               headers={"Location": doc.url})
                self.specials["http_redirect"] = old
                listed_url = old
            pubtime = int(datetime.fromisoformat(pub).replace(tzinfo=timezone.utc).timestamp() * 1000)
            item = {"id": 4_000_000 + n, "title": doc.title, "url": listed_url,
                    "pcode": doc.doc_number or "", "puborg": doc.issuer,
                    "pubtimeStr": pub.replace("-", "."), "pubtime": pubtime, "ptime": pubtime,
                    "childtype": _category(doc.title), "summary": doc.text[:60].replace("\n", ""),
                    "index": fields["index_no"], "piclinksurl": "", "code": "",
                    "content": ""}
            self._govcn[library].append((pub, item))
        for library in self._govcn.values():
            library.sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=True)

    def _govcn_attachments(self, doc: DemoDocument, n: int) -> list[tuple[str, str]]:
        """Every tenth gov.cn document has a PDF annex, every tenth + 5 a DOCX annex."""
        base = doc.url.rsplit("/", 1)[0]
        out: list[tuple[str, str]] = []
        lines = [f"附件：{doc.title}有关事项清单", f"一、适用范围：{doc.issuer}有关单位",
                 "二、申报材料：项目申请报告、可行性研究报告", f"三、联系方式：{doc.issuer}办公厅"]
        if n % 10 == 3:
            url = f"{base}/P0201{n:012d}.pdf"
            self.pages[key_of(url)] = Page(make_pdf(lines, title="附件1"), PDF_TYPE,
                                           headers={"Content-Disposition":
                                                    'attachment; filename="fujian1.pdf"'})
            out.append((url, "附件1：有关事项清单.pdf"))
        if n % 10 == 5:
            url = f"{base}/P0202{n:012d}.docx"
            self.pages[key_of(url)] = Page(make_docx(lines, title="附件2"), DOCX_TYPE)
            out.append((url, "附件2：申报表.docx"))
        if out:
            self.attachments[doc.url] = out
        return out

    def govcn_api(self, query: dict[str, list[str]]) -> Page:
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
        if library in ("zhengcelibrary_gw", "zhengcelibrary_bm"):
            items = [it for pub, it in self._govcn[library[-2:]] if lo <= pub <= hi]
            if not items:
                return self._no_result()
            vo = self._api_page(items, page, size)
            return Page(json.dumps({"code": 200, "msg": "操作成功", "searchVO": vo,
                                    "paramsVO": {"t": library, "p": page, "n": size}},
                                   ensure_ascii=False).encode("utf-8"), JSON_TYPE)
        if library == "zhengcelibrary":
            cat_map = {}
            for cat, name, lib in (("gongwen", "国务院文件", "gw"), ("bumenfile", "国务院部门文件", "bm")):
                items = [self._old_variant(it) for pub, it in self._govcn[lib] if lo <= pub <= hi]
                vo = self._api_page(items, page, size)
                cat_map[cat] = {"catName": name, "totalCount": vo["totalCount"],
                                "totalpage": vo["totalpage"], "currentNum": page,
                                "listVO": vo["listVO"]}
            if not any(c["totalCount"] for c in cat_map.values()):
                return self._no_result()
            return Page(json.dumps({"code": 200, "msg": "操作成功",
                                    "searchVO": {"totalCount": 0, "totalpage": 0, "listVO": None,
                                                 "catMap": cat_map}},
                                   ensure_ascii=False).encode("utf-8"), JSON_TYPE)
        return self._no_result()

    @staticmethod
    def _no_result() -> Page:
        return Page(json.dumps({"code": 1001, "msg": "没有找到相关结果", "searchVO": None},
                               ensure_ascii=False).encode("utf-8"), JSON_TYPE)

    @staticmethod
    def _old_variant(item: dict) -> dict:
        """The older item shape: 发文机关 in ``source``, 发文字号 in ``wenhao``."""
        out = dict(item)
        out["source"] = out.pop("puborg")
        out["wenhao"] = out.pop("pcode")
        return out

    def _api_page(self, items: list[dict], page: int, size: int) -> dict:
        total = len(items)
        # The API never pages past api_cap results: the crawler must split its date window.
        total_pages = min(math.ceil(total / size), max(self.api_cap // size, 1))
        chosen = [dict(it) for it in items[(page - 1) * size: page * size]] if page <= total_pages else []
        for it in chosen:
            if page >= 3:
                it["pubtimeStr"] = None  # later pages lose the display date; pubtime remains
        return {"totalCount": total, "totalpage": total_pages, "listVO": chosen}

    # ------------------------------------------------------------------ NDRC
    def _build_ndrc(self, docs: list[DemoDocument]) -> None:
        columns: dict[str, list[tuple[str, str, str]]] = {c: [] for c in NDRC_COLUMNS}
        for doc in docs:
            column = doc.url.split("/")[5]
            if column not in NDRC_COLUMNS:
                raise UserError(f"demo NDRC document {doc.source_id} has unknown column {column!r}")
            head = (f'<p style="text-align:center">{_esc(doc.doc_number)}</p>\n'
                    if doc.doc_number else "")
            page = _template("ndrc_detail.html").substitute(
                column_name=NDRC_COLUMNS[column], title_attr=_esc(doc.title),
                title_html=_esc(doc.title), pub_datetime=f"{list_date(doc)} 10:00",
                issuer_attr=_esc(doc.issuer), body=head + _paragraphs(doc.text))
            self.pages[key_of(doc.url)] = Page(page.encode("utf-8"))
            columns[column].append((doc.url, doc.title, list_date(doc).replace("-", "/")))
        base = "https://www.ndrc.gov.cn/xxgk/zcfb"
        # Traps on the first page of 通知: a dead link and a robots.txt-forbidden page; on the
        # first page of 规范性文件: a malformed page without a body.
        dead = f"{base}/tz/202001/t20200115_1999999.html"
        forbidden = f"{base}/tz/internal/t20200116_1999997.html"
        malformed = f"{base}/ghxwj/200001/t20000110_1999998.html"
        columns["tz"].insert(0, (dead, "国家发展改革委关于已撤销文件的通知", "2020/01/15"))
        columns["tz"].insert(1, (forbidden, "内部征求意见稿", "2020/01/16"))
        columns["ghxwj"].insert(0, (malformed, "国家发展计划委员会关于页面生成失败的通知",
                                    "2000/01/10"))
        self.pages[key_of(forbidden)] = Page("<html><body><div class='TRS_Editor'>内部</div>"
                                             "</body></html>".encode("utf-8"))
        self.pages[key_of(malformed)] = Page(_template("malformed.html").substitute(
            title_attr="国家发展计划委员会关于页面生成失败的通知",
            title_html="国家发展计划委员会关于页面生成失败的通知",
            pub_datetime="2000-01-10 10:00").encode("utf-8"))
        self.specials.update(not_found=dead, robots_disallowed=forbidden, malformed=malformed)
        self.start_urls["ndrc"] = []
        for column, entries in columns.items():
            pages = _chunks(entries, 10) or [[]]
            for index, chunk in enumerate(pages):
                items = []
                for i, (url, title, day) in enumerate(chunk):
                    if i and i % 5 == 0:
                        items.append('<li class="empty"></li>')
                    rel = "./" + url.split(f"/zcfb/{column}/", 1)[1]
                    items.append(f'<li><a href="{rel}" target="_blank" title="{_esc(title)}">'
                                 f'{_esc(title)}</a><span>{day}</span></li>')
                name = "index.html" if index == 0 else f"index_{index}.html"
                page = _template("trs_list.html").substitute(
                    column_name=NDRC_COLUMNS[column], site_name="国家发展和改革委员会",
                    items="\n".join(items), n_pages=len(pages), page_index=index)
                self.pages[key_of(f"{base}/{column}/{name}")] = Page(page.encode("utf-8"))
            self.start_urls["ndrc"].append(f"{base}/{column}/index.html")

    # ------------------------------------------------------------------ MIIT
    def _build_miit(self, docs: list[DemoDocument]) -> None:
        self.start_urls["miit"] = [f"https://{MIIT_API}"]
        for doc in docs:
            page = _template("miit_detail.html").substitute(
                title_html=_esc(doc.title), issuer=_esc(doc.issuer),
                doc_number=_esc(doc.doc_number), issued_date=_esc(doc.issued_date),
                published_date=_esc(doc.published_date), body=_paragraphs(doc.text))
            self.pages[key_of(doc.url)] = Page(page.encode("utf-8"))
            day = api_date(doc)
            ms = int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp() * 1000)
            info_content = json.dumps({"fwzh": doc.doc_number or "", "cwrq": _iso(doc.issued_date) or "",
                                       "fbjg": doc.issuer}, ensure_ascii=False)
            data = {"title": doc.title, "url": doc.url, "deploytime": str(ms),
                    "publishtime": day, "columnname": "文件发布",
                    "publishgroupname": doc.issuer,
                    "infoextends": json.dumps({"infoContent": info_content}, ensure_ascii=False)}
            self._miit.append((day, data))
        self._miit.sort(key=lambda pair: (pair[0], pair[1]["url"]), reverse=True)

    def miit_api(self, query: dict[str, list[str]]) -> Page:
        try:
            page = max(int((query.get("p") or ["1"])[0]), 1)
            size = min(max(int((query.get("pg") or ["10"])[0]), 1), 100)
        except ValueError:
            return Page(json.dumps({"success": False, "code": 400, "message": "参数错误"},
                                   ensure_ascii=False).encode("utf-8"), JSON_TYPE)
        chosen = self._miit[(page - 1) * size: page * size]
        result = {"total": len(self._miit),
                  "dataResults": [{"groupData": [{"data": data}]} for _, data in chosen]}
        return Page(json.dumps({"success": True, "code": 200, "message": "操作成功",
                                "data": {"searchResult": result}},
                               ensure_ascii=False).encode("utf-8"), JSON_TYPE)

    # ------------------------------------------------------------------ SASAC
    def _build_sasac(self, docs: list[DemoDocument]) -> None:
        self.start_urls["sasac"] = [f"http://{SASAC_LIST}"]
        base = "http://" + SASAC_LIST.rsplit("/", 1)[0]
        for doc in docs:
            page = _template("sasac_detail.html").substitute(
                title_html=_esc(doc.title), published_iso=list_date(doc),
                body=(f"<p>{_esc(doc.doc_number)}</p>\n" if doc.doc_number else "")
                + _paragraphs(doc.text))
            self.pages[key_of(doc.url)] = Page(page.encode("utf-8"))
        pages = _chunks(docs, 5)
        for index, chunk in enumerate(pages):
            items = []
            for i, doc in enumerate(chunk):
                if i and i % 3 == 0:
                    items.append('<li style="height:10px;border:none;"></li>')
                rel = doc.url.split(base + "/", 1)[1]
                items.append(f'<li><a href="{rel}" title="{_esc(doc.title)}" target="_blank">'
                             f'{_esc(doc.title)}</a><span>[{list_date(doc)}]</span></li>')
            nxt = (f'<a href="index_{index + 1}.html">下一页</a>' if index + 1 < len(pages) else "")
            name = "index.html" if index == 0 else f"index_{index}.html"
            self.pages[key_of(f"{base}/{name}")] = Page(_template("sasac_list.html").substitute(
                items="\n".join(items), next=nxt).encode("utf-8"))

    # ------------------------------------------------------------------ MOFCOM
    def _build_mofcom(self, docs: list[DemoDocument]) -> None:
        self.start_urls["mofcom"] = [f"http://{MOFCOM_LIST}"]
        entries = []
        for position, doc in enumerate(docs):
            page = _template("mofcom_detail.html").substitute(
                title_attr=_esc(doc.title), title_html=_esc(doc.title),
                pub_datetime=f"{list_date(doc)} 15:30", issuer_attr=_esc(doc.issuer),
                body=(f"<p>{_esc(doc.doc_number)}</p>\n" if doc.doc_number else "")
                + _paragraphs(doc.text))
            self.pages[key_of(doc.url)] = Page(page.encode("utf-8"))
            link = doc.url
            if position % 2 == 0:
                # The list links a stub that only redirects in JavaScript.
                link = doc.url.replace("/article/", "/aarticle/", 1)
                self.pages[key_of(link)] = Page(_template("js_redirect.html").substitute(
                    target=doc.url).encode("utf-8"))
                self.specials.setdefault("js_redirect", link)
            entries.append((link, doc))
        pages = _chunks(entries, 10)
        base = "http://" + MOFCOM_LIST.rsplit("/", 1)[0]
        for index, chunk in enumerate(pages):
            items = [f'<li><a href="{link.split("mofcom.gov.cn", 1)[1]}" title="{_esc(doc.title)}" '
                     f'target="_blank">{_esc(doc.title)}</a><span>{list_date(doc)} 15:30:00</span></li>'
                     for link, doc in chunk]
            nxt = (f'<a class="next" href="index_{index + 1}.html">下一页</a>'
                   if index + 1 < len(pages) else "")
            name = "index.html" if index == 0 else f"index_{index}.html"
            self.pages[key_of(f"{base}/{name}")] = Page(_template("mofcom_list.html").substitute(
                items="\n".join(items), next=nxt).encode("utf-8"))
        if not docs:
            self.pages[key_of(f"{base}/index.html")] = Page(_template("mofcom_list.html").substitute(
                items="", next="").encode("utf-8"))

    # ------------------------------------------------------------------ provinces
    def _build_provinces(self, docs: list[DemoDocument]) -> None:
        by_spec: dict[str, list[DemoDocument]] = {name: [] for name in PROVINCE_LISTS}
        for doc in docs:
            spec = PROVINCE_SPECS.get(doc.province or "")
            if spec is None:
                raise UserError(f"demo document {doc.source_id} is from {doc.province}, which has "
                                "no provincial site layout; add one to crawler/demo_site/render.py")
            by_spec[spec].append(doc)
        for spec, spec_docs in by_spec.items():
            self.start_urls[spec] = [PROVINCE_LISTS[spec]]
            getattr(self, f"_province_{spec}")(spec_docs, PROVINCE_LISTS[spec])

    def _details(self, docs: list[DemoDocument], template: str,
                 extra: Callable[[DemoDocument], dict] | None = None, encoding: str = "utf-8",
                 content_type: str = HTML_UTF8) -> None:
        for doc in docs:
            n = _number(doc)
            fields = {"title_html": _esc(doc.title), "title_attr": _esc(doc.title),
                      "issuer": _esc(doc.issuer), "doc_number": _esc(doc.doc_number),
                      "issued_date": _esc(doc.issued_date),
                      "published_date": _esc(doc.published_date),
                      "pub_datetime": f"{list_date(doc)} 08:00",
                      "index_no": f"11{n % 97:02d}0000/{list_date(doc)[:4]}-{n:05d}",
                      "stamp_date": list_date(doc), "body": _paragraphs(doc.text)}
            if extra:
                fields.update(extra(doc))
            text = _template(template).substitute(fields)
            self.pages[key_of(doc.url)] = Page(text.encode(encoding, "xmlcharrefreplace"),
                                               content_type)

    def _lists(self, list_url: str, docs: list[DemoDocument], template: str,
               item: Callable[[int, DemoDocument], str], page_url: Callable[[int], str],
               nav: Callable[[int, int], dict], encoding: str = "utf-8",
               content_type: str = HTML_UTF8, per_page: int | None = None) -> None:
        per_page = per_page or self.list_page_size
        pages = _chunks(docs, per_page) or [[]]
        for index, chunk in enumerate(pages):
            items = "\n".join(item(index * per_page + i, doc) for i, doc in enumerate(chunk))
            text = _template(template).substitute(items=items, **nav(index, len(pages)))
            url = list_url if index == 0 else page_url(index)
            self.pages[key_of(url)] = Page(text.encode(encoding, "xmlcharrefreplace"), content_type)

    def _province_zhejiang(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "zhejiang_detail.html")

        def item(i: int, d: DemoDocument) -> str:
            return (f'<div class="xzgfx_list_item cf"><span class="xzgfx_list_title1">{i + 1}</span>'
                    f'<span class="xzgfx_list_title2"><a href="{urlsplit(d.url).path}" '
                    f'title="{_esc(d.title)}" target="_blank">{_esc(d.title)}</a></span>'
                    f'<span class="xzgfx_list_title3">{_esc(d.doc_number)}</span>'
                    f'<span class="xzgfx_list_title5">{list_date(d)}</span></div>')

        def page_url(index: int) -> str:
            return f"{list_url}?uid=7792&pageNum={index + 1}"

        def nav(index: int, total: int) -> dict:
            prev = '<a class="simple_pgBtn simple_pgPrev">上一页</a>'
            nxt = (f'<a class="simple_pgBtn simple_pgNext" href="{urlsplit(page_url(index + 1)).path}'
                   f'?{urlsplit(page_url(index + 1)).query}">下一页</a>' if index + 1 < total else "")
            return {"prev": prev, "next": nxt}

        self._lists(list_url, docs, "zhejiang_list.html", item, page_url, nav)

    def _province_guangdong(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "guangdong_detail.html")

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><span class="name"><a href="{d.url}" target="_blank">{_esc(d.title)}</a>'
                    f'</span><span class="wh">{_esc(d.doc_number)}</span>'
                    f'<span class="date">{list_date(d)}</span></li>')

        def page_url(index: int) -> str:
            return f"{list_url}index_{index + 1}.html"

        def nav(index: int, total: int) -> dict:
            return {"next": (f'<a class="next" href="index_{index + 2}.html">下一页</a>'
                             if index + 1 < total else "")}

        self._lists(list_url, docs, "guangdong_list.html", item, page_url, nav)

    def _province_jiangsu(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "jiangsu_detail.html")

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><a href="{urlsplit(d.url).path}" target="_blank" title="{_esc(d.title)}">'
                    f'{_esc(d.title)}</a><b>{list_date(d)}</b></li>')

        def page_url(index: int) -> str:
            return f"{list_url}?uid=297589&pageNum={index + 1}"

        def nav(index: int, total: int) -> dict:
            if index + 1 >= total:
                return {"next": '<a title="尾页">尾页</a>'}
            target = urlsplit(page_url(index + 1))
            return {"next": f'<a title="下一页" href="{target.path}?{target.query}">下一页</a>'}

        self._lists(list_url, docs, "jiangsu_list.html", item, page_url, nav)

    def _province_shanghai(self, docs: list[DemoDocument], list_url: str) -> None:
        def extra(d: DemoDocument) -> dict:
            return {"number_paragraph": (f'<p style="text-align:center">{_esc(d.doc_number)}</p>'
                                         if d.doc_number else "")}

        self._details(docs, "shanghai_detail.html", extra)

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><a href="{urlsplit(d.url).path}" title="{_esc(d.title)}" '
                    f'target="_blank">{_esc(d.title)}</a><span>{list_date(d)}</span></li>')

        def page_url(index: int) -> str:
            return list_url.replace("index.html", f"index_{index + 1}.html")

        def nav(index: int, total: int) -> dict:
            return {"next": (f'<div name="whj_nextPage"><a href="index_{index + 2}.html">下一页</a>'
                             "</div>" if index + 1 < total else "")}

        self._lists(list_url, docs, "shanghai_list.html", item, page_url, nav)

    def _province_beijing(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "beijing_detail.html")
        base = list_url.rsplit("/", 1)[0]

        def item(i: int, d: DemoDocument) -> str:
            rel = "./" + d.url.split(base + "/", 1)[1] if d.url.startswith(base + "/") else d.url
            return (f'<li><a href="{rel}" target="_blank" title="{_esc(d.title)}">{_esc(d.title)}'
                    f'</a><span>{list_date(d)}</span></li>')

        def page_url(index: int) -> str:
            return f"{base}/index_{index}.html"

        def nav(index: int, total: int) -> dict:
            return {"page_index": index, "n_pages": total}

        self._lists(list_url, docs, "beijing_list.html", item, page_url, nav)

    def _province_sichuan(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "sichuan_detail.html")

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><div class="lie1">{i + 1}</div><div class="lie2"><a href="{urlsplit(d.url).path}"'
                    f' target="_blank" title="{_esc(d.title)}">{_esc(d.title)}</a></div>'
                    f'<div class="lie3">{_esc(d.doc_number)}</div>'
                    f'<div class="lie4">{list_date(d)}</div></li>')

        def page_url(index: int) -> str:
            return f"{list_url}?pageNum={index + 1}"

        # Pages are numbered without a "next" link; past the last page the list is empty.
        n_pages = max(len(_chunks(docs, self.list_page_size)), 1)
        self._lists(list_url, docs, "sichuan_list.html", item, page_url, lambda i, t: {})
        self.pages[key_of(page_url(n_pages))] = Page(
            _template("sichuan_list.html").substitute(items="").encode("utf-8"))

    def _province_anhui(self, docs: list[DemoDocument], list_url: str) -> None:
        self._details(docs, "anhui_detail.html")

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><a class="title" href="{d.url}" title="{_esc(d.title)}" target="_blank">'
                    f'{_esc(d.title)}</a><span class="wh">{_esc(d.doc_number)}</span>'
                    f'<span class="date">{list_date(d)}</span></li>')

        def page_url(index: int) -> str:
            return f"{list_url}&pageIndex={index + 1}"

        def nav(index: int, total: int) -> dict:
            if index + 1 >= total:
                return {"next": ""}
            target = urlsplit(page_url(index + 1))
            return {"next": f'<a class="next" href="{target.path}?{target.query}">下一页</a>'}

        self._lists(list_url, docs, "anhui_list.html", item, page_url, nav)

    def _province_shandong(self, docs: list[DemoDocument], list_url: str) -> None:
        def extra(d: DemoDocument) -> dict:
            return {"doc_number": _esc(d.doc_number) or "无"}

        self._details(docs, "shandong_detail.html", extra)

        def item(i: int, d: DemoDocument) -> str:
            return (f'<li><a href="{urlsplit(d.url).path}" target="_blank" title="{_esc(d.title)}">'
                    f'{_esc(d.title)}</a><span>{list_date(d)}</span></li>')

        def page_url(index: int) -> str:
            return f"{list_url}?uid=2&pageNum={index + 1}"

        def nav(index: int, total: int) -> dict:
            if index + 1 >= total:
                return {"next": ""}
            target = urlsplit(page_url(index + 1))
            return {"next": f'<a class="next" href="{target.path}?{target.query}">下一页</a>'}

        self._lists(list_url, docs, "shandong_list.html", item, page_url, nav)

    # ------------------------------------------------------------------ prefectures, counties
    def _build_local(self, kind: str, docs: list[DemoDocument]) -> None:
        spec = LOCAL_SPECS[kind]
        hosts: dict[str, list[DemoDocument]] = {}
        for doc in docs:
            hosts.setdefault(urlsplit(doc.url).netloc, []).append(doc)
        self.start_urls[spec] = []
        for host in sorted(hosts):
            host_docs = hosts[host]
            list_url = f"http://{host}{PREFECTURE_LIST_PATH if kind == 'prefecture' else COUNTY_LIST_PATH}"
            self.start_urls[spec].append(list_url)
            if kind == "prefecture":
                def extra(d: DemoDocument) -> dict:
                    # intertid prints a dash placeholder when a document has no 文件编号.
                    return {"doc_number": _esc(d.doc_number) if d.doc_number else "—&nbsp;&nbsp;—"}

                self._details(host_docs, "wuxi_detail.html", extra)

                def item(i: int, d: DemoDocument) -> str:
                    return (f'<li><a href="{urlsplit(d.url).path}" target="_blank" '
                            f'title="{_esc(d.title)}">{_esc(d.title)}</a>'
                            f'<span class="time">{list_date(d)}</span></li>')

                def page_url(index: int, base=list_url) -> str:
                    return base.replace("index.shtml", f"index_{index + 1}.shtml")

                def nav(index: int, total: int) -> dict:
                    return {"next": (f'<a class="next" href="index_{index + 2}.shtml">下一页</a>'
                                     if index + 1 < total else "")}

                self._lists(list_url, host_docs, "wuxi_list.html", item, page_url, nav)
            else:
                # County sites: GBK bytes, no charset in the page nor in the HTTP header.
                self._details(host_docs, "jiangyin_detail.html", encoding="gbk",
                              content_type="text/html")
                self.specials.setdefault("gbk", host_docs[0].url)

                def item(i: int, d: DemoDocument) -> str:
                    return (f'<tr><td class="bt"><a href="{urlsplit(d.url).path}" target="_blank">'
                            f'{_esc(d.title)}</a></td><td class="rq">{list_date(d)}</td></tr>')

                def page_url(index: int, base=list_url) -> str:
                    return base.replace("index.shtml", f"index_{index + 1}.shtml")

                def nav(index: int, total: int) -> dict:
                    return {"next": (f'<a href="index_{index + 2}.shtml">下一页</a>'
                                     if index + 1 < total else "")}

                self._lists(list_url, host_docs, "jiangyin_list.html", item, page_url, nav,
                            encoding="gbk", content_type="text/html")

    # ------------------------------------------------------------------ flaky page
    def _choose_flaky(self) -> None:
        ndrc = [d for d in self.documents if d.site_kind == "ndrc"]
        target = (ndrc or self.documents)[0].url
        self.flaky[key_of(target)] = self._flaky_failures
        self.specials["flaky"] = target

    # ------------------------------------------------------------------ summaries
    def served_urls(self) -> list[str]:
        """Every page key the site serves (the APIs excluded)."""
        return sorted(self.pages)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]
