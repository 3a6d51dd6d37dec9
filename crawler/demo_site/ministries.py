"""The ministries on the demo site: NDRC (TRS lists), MIIT (JSON search API), SASAC and MOFCOM lists.

Traps planted here: on NDRC, a dead link (404), a link robots.txt forbids and a malformed page
without a body; on MOFCOM, list links to stubs that only redirect in JavaScript. Real template
quirks: every other NDRC page in the 2026 layout (meta title without the issuer and with the
发文字号 glued on, the posting department as ``ContentSource``, the body in ``div.article_con``,
annexes — a PDF or a ``.wps`` — in ``div.attachment`` outside it); SASAC pages with their page
furniture (editor credit, QR hint, related articles, share and print/close) inside
``div.zsy_comain``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from zhengce.common.errors import UserError
from zhengce.corpus.demo import DemoDocument

from .files import make_pdf
from .pages import (JSON_TYPE, PDF_TYPE, Page, SitePages, api_date, chunks, iso_date, key_of,
                    list_date, list_pages, number_of)

NDRC_COLUMNS = {"fzggwl": "发展改革委令", "ghxwj": "规范性文件", "gg": "公告", "tz": "通知"}
NDRC_BASE = "https://www.ndrc.gov.cn/xxgk/zcfb"
NDRC_DISALLOWED = "/xxgk/zcfb/tz/internal/"
MIIT_API = "www.miit.gov.cn/search-front-server/api/search/info"
SASAC_LIST = "www.sasac.gov.cn/n2588035/n2588320/n2588335/index.html"
MOFCOM_LIST = "www.mofcom.gov.cn/zcfb/index.html"


def _page_name(index: int) -> str:
    """TRS list pages: ``index.html``, then ``index_1.html``, ``index_2.html``, ..."""
    return "index.html" if index == 0 else f"index_{index}.html"


def build_ndrc(site: SitePages, docs: list[DemoDocument]) -> None:
    """NDRC: detail pages and one TRS list per column, ten entries a page."""
    columns: dict[str, list[tuple[str, str, str]]] = {c: [] for c in NDRC_COLUMNS}
    for doc in docs:
        column = doc.url.split("/")[5]
        if column not in NDRC_COLUMNS:
            raise UserError(f"demo NDRC document {doc.source_id} has unknown column {column!r}")
        layout = _ndrc_layout(doc)
        if layout["layout"] == "2026":
            layout["attachments"] = _ndrc_attachment(site, doc)
        site.add_html(doc.url, "ndrc_detail.html", doc=doc, column_name=NDRC_COLUMNS[column],
                      pub_datetime=f"{list_date(doc)} 10:00", **layout)
        columns[column].append((doc.url, doc.title, list_date(doc).replace("-", "/")))
    _plant_ndrc_traps(site, columns)
    site.start_urls["ndrc"] = []
    for column, entries in columns.items():
        pages = list_pages(entries, 10)
        for index, chunk in enumerate(pages):
            site.add_html(f"{NDRC_BASE}/{column}/{_page_name(index)}", "trs_list.html",
                          entries=chunk, folder=f"{NDRC_BASE}/{column}",
                          column_name=NDRC_COLUMNS[column], site_name="国家发展和改革委员会",
                          n_pages=len(pages), page_index=index)
        site.start_urls["ndrc"].append(f"{NDRC_BASE}/{column}/index.html")


def _ndrc_layout(doc: DemoDocument) -> dict:
    """Every other NDRC page in the 2026 layout: the meta title lacks the issuer prefix and has
    the 发文字号 glued on, ``ContentSource`` names the posting department, the heading with the
    full title is inside ``div.article_con`` (no ``div.TRS_Editor``) and an empty
    ``div.attachment`` block follows the body. The others keep the older layout."""
    if number_of(doc) % 2:
        return {"layout": "old", "meta_title": doc.title, "posting_office": doc.issuer}
    short = doc.title
    if doc.title.startswith(doc.issuer + "关于"):
        short = doc.title[len(doc.issuer):]
    if doc.doc_number:
        short += f"({doc.doc_number})"
    return {"layout": "2026", "meta_title": short, "posting_office": "综合司"}


def _ndrc_attachment(site: SitePages, doc: DemoDocument) -> list[tuple[str, str]]:
    """A 2026-layout NDRC page's annex, linked from ``div.attachment`` outside the body: a PDF,
    or for every other one a ``.wps`` file (WPS Writer, as MIIT and NDRC publish them; stored,
    its text not extracted)."""
    base = doc.url.rsplit("/", 1)[0]
    n = number_of(doc)
    if n % 4 == 0:
        url = f"{base}/P0202{n:012d}.pdf"
        lines = [f"附件：{doc.title}有关名单", "一、申报单位：各省级发展改革委"]
        site.pages[key_of(url)] = Page(make_pdf(lines, title="附件"), PDF_TYPE)
        label = "附件：有关名单.pdf"
    else:
        url = f"{base}/P0202{n:012d}.wps"
        # the WPS Writer signature (an OLE compound file) followed by filler: never parsed
        site.pages[key_of(url)] = Page(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"WPS demo annex" * 16,
                                       "application/octet-stream")
        label = "附件：申报表.wps"
    site.attachments[doc.url] = [(url, label)]
    return [(url.rsplit("/", 1)[1], label)]


def _plant_ndrc_traps(site: SitePages, columns: dict[str, list[tuple[str, str, str]]]) -> None:
    """On the first page of 通知: a dead link and a robots.txt-forbidden page; on the first page
    of 规范性文件: a malformed page without a body."""
    dead = f"{NDRC_BASE}/tz/202001/t20200115_1999999.html"
    forbidden = f"{NDRC_BASE}/tz/internal/t20200116_1999997.html"
    malformed = f"{NDRC_BASE}/ghxwj/200001/t20000110_1999998.html"
    malformed_title = "国家发展计划委员会关于页面生成失败的通知"
    columns["tz"].insert(0, (dead, "国家发展改革委关于已撤销文件的通知", "2020/01/15"))
    columns["tz"].insert(1, (forbidden, "内部征求意见稿", "2020/01/16"))
    columns["ghxwj"].insert(0, (malformed, malformed_title, "2000/01/10"))
    site.add_html(forbidden, "ndrc_internal.html")
    site.add_html(malformed, "malformed.html", title=malformed_title,
                  pub_datetime="2000-01-10 10:00")
    site.specials.update(not_found=dead, robots_disallowed=forbidden, malformed=malformed)


class MiitSite:
    """MIIT: detail pages, listed only by its JSON search API (newest first)."""

    def __init__(self, site: SitePages):
        self.site = site
        self.items: list[tuple[str, dict]] = []

    def build(self, docs: list[DemoDocument]) -> None:
        self.site.start_urls["miit"] = [f"https://{MIIT_API}"]
        for doc in docs:
            self.site.add_html(doc.url, "miit_detail.html", doc=doc)
            day = api_date(doc)
            ms = int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp() * 1000)
            info_content = json.dumps({"fwzh": doc.doc_number or "",
                                       "cwrq": iso_date(doc.issued_date) or "",
                                       "fbjg": doc.issuer}, ensure_ascii=False)
            data = {"title": doc.title, "url": doc.url, "deploytime": str(ms),
                    "publishtime": day, "columnname": "文件发布",
                    "publishgroupname": doc.issuer,
                    "infoextends": json.dumps({"infoContent": info_content}, ensure_ascii=False)}
            self.items.append((day, data))
        self.items.sort(key=lambda pair: (pair[0], pair[1]["url"]), reverse=True)

    def api(self, query: dict[str, list[str]]) -> Page:
        """``search-front-server/api/search/info``: page ``p`` of ``pg`` items."""
        try:
            page = max(int((query.get("p") or ["1"])[0]), 1)
            size = min(max(int((query.get("pg") or ["10"])[0]), 1), 100)
        except ValueError:
            return Page(json.dumps({"success": False, "code": 400, "message": "参数错误"},
                                   ensure_ascii=False).encode("utf-8"), JSON_TYPE)
        chosen = self.items[(page - 1) * size: page * size]
        result = {"total": len(self.items),
                  "dataResults": [{"groupData": [{"data": data}]} for _, data in chosen]}
        return Page(json.dumps({"success": True, "code": 200, "message": "操作成功",
                                "data": {"searchResult": result}},
                               ensure_ascii=False).encode("utf-8"), JSON_TYPE)


def build_sasac(site: SitePages, docs: list[DemoDocument]) -> None:
    """SASAC: detail pages and a list of five a page (a spacer row after every third)."""
    site.start_urls["sasac"] = [f"http://{SASAC_LIST}"]
    base = "http://" + SASAC_LIST.rsplit("/", 1)[0]
    for position, doc in enumerate(docs):
        # the real pages' furniture: editor credit, QR hint, related articles (titles of other
        # SASAC documents), share and print/close buttons, all inside div.zsy_comain
        neighbours = docs[max(position - 1, 0):position] + docs[position + 1:position + 2]
        related = [other.title for other in neighbours]
        site.add_html(doc.url, "sasac_detail.html", doc=doc, editor="王明",
                      related=related or ["国务院国资委召开中央企业负责人会议"])
    pages = chunks(docs, 5)   # without SASAC documents, its list URL answers 404
    for index, chunk in enumerate(pages):
        next_url = f"{base}/{_page_name(index + 1)}" if index + 1 < len(pages) else None
        site.add_html(f"{base}/{_page_name(index)}", "sasac_list.html", docs=chunk, folder=base,
                      next_url=next_url)


def build_mofcom(site: SitePages, docs: list[DemoDocument]) -> None:
    """MOFCOM: detail pages and a list of ten a page; every other list link is a stub that only
    redirects in JavaScript."""
    site.start_urls["mofcom"] = [f"http://{MOFCOM_LIST}"]
    entries = []
    for position, doc in enumerate(docs):
        site.add_html(doc.url, "mofcom_detail.html", doc=doc,
                      pub_datetime=f"{list_date(doc)} 15:30")
        link = doc.url
        if position % 2 == 0:
            link = doc.url.replace("/article/", "/aarticle/", 1)
            site.add_html(link, "js_redirect.html", target=doc.url)
            site.specials.setdefault("js_redirect", link)
        entries.append((link, doc))
    pages = list_pages(entries, 10)
    base = "http://" + MOFCOM_LIST.rsplit("/", 1)[0]
    for index, chunk in enumerate(pages):
        next_url = f"{base}/{_page_name(index + 1)}" if index + 1 < len(pages) else None
        site.add_html(f"{base}/{_page_name(index)}", "mofcom_list.html", entries=chunk,
                      next_url=next_url)

