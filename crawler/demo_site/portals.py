"""Provincial, prefecture and county portals on the demo site, one layout per CMS.

Each province's portal has the structure its site spec describes (``crawler/specs/*.yaml``);
prefecture sites use Wuxi's intertid layout and county sites Jiangyin's, GBK-encoded without a
charset declaration. A layout names its detail and list templates and where its list pages after
the first live; the templates print the list entries and the "next page" links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from zhengce.common.errors import UserError
from zhengce.corpus.demo import DemoDocument

from .pages import HTML_UTF8, SitePages, list_date, list_pages, number_of

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


@dataclass(frozen=True)
class PortalLayout:
    """How one CMS lays out a portal.

    ``page_url(list_url, index)`` is the URL of list page ``index`` >= 1 (page 0 is
    ``list_url``); ``empty_page_after_last``: the list has no "next" link, so the page after
    the last one answers with an empty list.
    """

    spec: str
    page_url: Callable[[str, int], str]
    encoding: str = "utf-8"
    content_type: str = HTML_UTF8
    empty_page_after_last: bool = False

    @property
    def detail_template(self) -> str:
        return f"{self.spec}_detail.html"

    @property
    def list_template(self) -> str:
        return f"{self.spec}_list.html"


def _numbered_index(suffix: str) -> Callable[[str, int], str]:
    """``.../index.<suffix>`` -> ``.../index_<index + 1>.<suffix>``."""
    return lambda url, index: url.replace(f"index.{suffix}", f"index_{index + 1}.{suffix}")


LAYOUTS = {layout.spec: layout for layout in (
    PortalLayout("zhejiang", lambda url, index: f"{url}?uid=7792&pageNum={index + 1}"),
    PortalLayout("guangdong", lambda url, index: f"{url}index_{index + 1}.html"),
    PortalLayout("jiangsu", lambda url, index: f"{url}?uid=297589&pageNum={index + 1}"),
    PortalLayout("shanghai", _numbered_index("html")),
    PortalLayout("beijing", lambda url, index: f"{url.rsplit('/', 1)[0]}/index_{index}.html"),
    PortalLayout("sichuan", lambda url, index: f"{url}?pageNum={index + 1}",
                 empty_page_after_last=True),
    PortalLayout("anhui", lambda url, index: f"{url}&pageIndex={index + 1}"),
    PortalLayout("shandong", lambda url, index: f"{url}?uid=2&pageNum={index + 1}"),
    PortalLayout("wuxi", _numbered_index("shtml")),
    # County sites: GBK bytes, no charset in the page nor in the HTTP header.
    PortalLayout("jiangyin", _numbered_index("shtml"), encoding="gbk", content_type="text/html"),
)}


def build_portal(site: SitePages, layout: PortalLayout, list_url: str,
                 docs: list[DemoDocument]) -> None:
    """The detail pages of ``docs`` and the list pages from ``list_url`` on."""
    for doc in docs:
        n = number_of(doc)
        site.add_html(doc.url, layout.detail_template, encoding=layout.encoding,
                      content_type=layout.content_type, doc=doc,
                      index_no=f"11{n % 97:02d}0000/{list_date(doc)[:4]}-{n:05d}",
                      pub_datetime=f"{list_date(doc)} 08:00")
    per_page = site.list_page_size
    pages = list_pages(docs, per_page)
    if layout.empty_page_after_last:
        pages.append([])
    for index, chunk in enumerate(pages):
        has_next = index + 1 < len(pages) and not layout.empty_page_after_last
        site.add_html(list_url if index == 0 else layout.page_url(list_url, index),
                      layout.list_template, encoding=layout.encoding,
                      content_type=layout.content_type, docs=chunk,
                      first_number=index * per_page, page_index=index, n_pages=len(pages),
                      next_url=layout.page_url(list_url, index + 1) if has_next else None,
                      folder=list_url.rsplit("/", 1)[0])


def build_provinces(site: SitePages, docs: list[DemoDocument]) -> None:
    """Each province's portal, from the list its site spec starts at."""
    by_spec: dict[str, list[DemoDocument]] = {name: [] for name in PROVINCE_LISTS}
    for doc in docs:
        spec = PROVINCE_SPECS.get(doc.province or "")
        if spec is None:
            raise UserError(f"demo document {doc.source_id} is from {doc.province}, which has "
                            "no provincial site layout; add one to crawler/demo_site/portals.py")
        by_spec[spec].append(doc)
    for spec, spec_docs in by_spec.items():
        site.start_urls[spec] = [PROVINCE_LISTS[spec]]
        build_portal(site, LAYOUTS[spec], PROVINCE_LISTS[spec], spec_docs)


def build_local(site: SitePages, kind: str, docs: list[DemoDocument]) -> None:
    """Prefecture (``kind="prefecture"``) or county sites: one portal per host, all in the
    layout of one spec; the spec starts from every host's list."""
    spec = LOCAL_SPECS[kind]
    hosts: dict[str, list[DemoDocument]] = {}
    for doc in docs:
        hosts.setdefault(urlsplit(doc.url).netloc, []).append(doc)
    site.start_urls[spec] = []
    for host in sorted(hosts):
        list_url = f"http://{host}{PREFECTURE_LIST_PATH if kind == 'prefecture' else COUNTY_LIST_PATH}"
        site.start_urls[spec].append(list_url)
        build_portal(site, LAYOUTS[spec], list_url, hosts[host])
        if LAYOUTS[spec].encoding != "utf-8":
            site.specials.setdefault("gbk", hosts[host][0].url)
