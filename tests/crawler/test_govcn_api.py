"""The gov.cn spider against the demo site's search API without ``totalpage``: paging until a
short or empty page, window splitting when the API holds results back, and a true
``window_capped`` only where a single day has more results than the API serves."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
from scrapy.http import TextResponse

from zhengce.crawler.demo_site.govcn import GovcnSite
from zhengce.crawler.demo_site.pages import SitePages
from zhengce.crawler.items import PageItem
from zhengce.crawler.spider_check import make_spider

PER_LIBRARY = 250
WINDOW = ("2024-01-01", "2024-03-31")


def _api_site(per_library: int, first: str, days: int, *, api_cap: int = 100,
              with_totalpage: bool = False) -> GovcnSite:
    """A search API over ``per_library`` documents in each of the two libraries, spread
    evenly over ``days`` days from ``first``."""
    api = GovcnSite(SitePages(15), api_cap, with_totalpage=with_totalpage)
    start = date.fromisoformat(first)
    for offset, library in enumerate(("gw", "bm")):
        for n in range(per_library):
            day = (start + timedelta(days=n * days // per_library)).isoformat()
            doc_id = 6_000_000 + offset * 100_000 + n
            item = {"id": doc_id, "title": f"关于第{n}号事项的通知", "pcode": "",
                    "puborg": "国务院" if library == "gw" else "商务部",
                    "url": f"https://www.gov.cn/zhengce/content/{day[:7].replace('-', '')}/"
                           f"content_{doc_id}.htm",
                    "pubtimeStr": day.replace("-", "."), "pubtime": 0, "ptime": 0,
                    "childtype": "", "summary": "", "index": "", "piclinksurl": ""}
            api.libraries[library].append((day, item))
        api.libraries[library].sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=True)
    return api


def crawl_api(api: GovcnSite, lo: str, hi: str, **spider_args):
    """Follow the spider's API requests through ``api`` (no HTTP, no detail pages):
    ``(documents it would fetch, API pages fetched, warnings, spider)``."""
    spider = make_spider("govcn", mintime=lo, maxtime=hi, **spider_args)
    queue = [spider.request_for(url) for url in spider.seed_urls()]
    documents: set[str] = set()
    warnings: list[str] = []
    pages = 0
    while queue:
        request = queue.pop(0)
        pages += 1
        answer = api.api(parse_qs(urlsplit(request.url).query))
        response = TextResponse(request.url, body=answer.body, request=request,
                                headers={"Content-Type": "application/json"})
        for out in spider.parse_api(response):
            if isinstance(out, scrapy.Request):
                if out.meta["zhengce_kind"] == "detail":
                    documents.add(out.url)
                else:
                    queue.append(out)
            elif isinstance(out, PageItem):
                warnings += out.warnings
    return documents, pages, warnings, spider


@pytest.mark.parametrize("with_totalpage", [False, True])
def test_three_month_window_is_paged_through_without_totalpage(with_totalpage):
    api = _api_site(PER_LIBRARY, WINDOW[0], 91, with_totalpage=with_totalpage)
    expected = {item["url"] for items in api.libraries.values() for _, item in items}
    assert len(expected) == 2 * PER_LIBRARY
    documents, pages, warnings, spider = crawl_api(api, *WINDOW)
    stats = spider.crawler.stats.get_stats()
    assert documents == expected
    assert not warnings and "zhengce/govcn/window_capped" not in stats
    assert stats["zhengce/govcn/api_pages"] == pages
    # 250 results per library, the API serves 100 per query: each library's window is split
    # until every part holds at most 100 (20 a page: at most 5 full pages and a short one)
    assert stats["zhengce/govcn/window_splits"] >= 2 * 2
    assert pages <= 2 * 40


def test_one_day_beyond_the_cap_is_a_true_window_capped():
    api = _api_site(130, "2024-05-06", 1)        # 130 documents on one day, 100 served
    documents, pages, warnings, _ = crawl_api(api, "2024-05-06", "2024-05-06",
                                              libraries="zhengcelibrary_gw")
    assert len(documents) == 100
    assert len(warnings) == 1 and "the API served 100 of its 130 results" in warnings[0]


def test_the_page_cap_ends_a_window_that_never_runs_short():
    api = _api_site(130, "2024-05-06", 1, api_cap=1000)
    documents, pages, warnings, _ = crawl_api(api, "2024-05-06", "2024-05-06",
                                              libraries="zhengcelibrary_gw", max_window_pages=3)
    assert (len(documents), pages) == (60, 3)
    assert len(warnings) == 1 and "max_window_pages" in warnings[0]
