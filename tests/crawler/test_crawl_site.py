"""The demo site's APIs and traps, the gov.cn spider's window splitting and response shapes,
the MIIT API, retry backoff, the writer and the crawl state."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.settings import Settings

from zhengce.corpus.ingest import SourceRecord
from zhengce.corpus.store import Store
from zhengce.crawler.demo_site import DemoSite, SiteContent
from zhengce.crawler.demo_site.files import make_docx, make_pdf
from zhengce.crawler.demo_site.pages import key_of
from zhengce.crawler.items import AttachmentItem, PageItem, RecordItem, RejectItem
from zhengce.crawler.middlewares import BackoffRetryMiddleware
from zhengce.crawler.spiders.govcn import GovcnSpider, _split_window
from zhengce.crawler.spiders.trs import MiitSpider
from zhengce.crawler.state import done_urls, upsert_state
from zhengce.crawler.writer import StoreWriter
from crawl_helpers import demo_crawl_args, query, run_zhengce


@pytest.fixture(scope="module")
def content():
    return SiteContent(120, 0, api_cap=20)


def _api(content, **params):
    return json.loads(content.govcn_api({k: [str(v)] for k, v in params.items()}).body)


def test_govcn_api_shapes(content):
    bm = _api(content, t="zhengcelibrary_bm", p=1, n=5)
    # no public client shows a totalpage field: the demo API has none unless asked for it
    assert (bm["code"], bm["searchVO"]["totalCount"]) == (200, 23)
    assert "totalpage" not in bm["searchVO"]
    with_pages = SiteContent(120, 0, api_cap=20, api_totalpage=True)
    assert _api(with_pages, t="zhengcelibrary_bm", p=1, n=5)["searchVO"]["totalpage"] == 4
    assert len(bm["searchVO"]["listVO"]) == 5
    # the cap: 20 results at most, so page 4 of 5-item pages is the last, page 5 is empty
    assert _api(content, t="zhengcelibrary_bm", p=5, n=5)["searchVO"]["listVO"] == []
    # pages 3+ lose pubtimeStr; pubtime (epoch ms) remains
    third = _api(content, t="zhengcelibrary_bm", p=3, n=5)["searchVO"]["listVO"][0]
    assert third["pubtimeStr"] is None and isinstance(third["pubtime"], int)
    window = _api(content, t="zhengcelibrary_bm", p=1, n=20, timetype="timezd",
                  mintime="1995-01-01", maxtime="1999-12-31")
    # the department documents of 1995-1999 in this corpus: 1995-07-29, 1996-07-03, 1997-10-17,
    # 1998-02-25, 1999-03-09
    assert window["searchVO"]["totalCount"] == 5
    assert _api(content, t="zhengcelibrary_gw", timetype="timezd", mintime="2030-01-01",
                maxtime="2031-01-01") == {"code": 1001, "msg": "没有找到相关结果", "searchVO": None}
    both = _api(content, t="zhengcelibrary", p=1, n=5)
    cats = both["searchVO"]["catMap"]
    assert both["searchVO"]["totalCount"] == 0 and both["searchVO"]["listVO"] is None
    assert (cats["gongwen"]["totalCount"], cats["bumenfile"]["totalCount"]) == (7, 23)
    # the item fields public clients of this endpoint show (no wenhao / fwzh / source)
    assert "puborg" in cats["bumenfile"]["listVO"][0] and "pcode" in cats["bumenfile"]["listVO"][0]
    assert not {"wenhao", "fwzh", "source"} & set(cats["bumenfile"]["listVO"][0])


def test_govcn_spider_reads_both_shapes(content):
    both = _api(content, t="zhengcelibrary", p=1, n=5)["searchVO"]
    listing = GovcnSpider.listing_of(both)
    assert (len(listing.items), listing.counts, listing.total, listing.total_pages) == (
        10, [5, 5], 30, None)
    single = GovcnSpider.listing_of(_api(content, t="zhengcelibrary_bm", p=5, n=5)["searchVO"])
    assert (single.items, single.counts, single.total) == ([], [0], 23)   # past the cap
    fields = GovcnSpider.api_fields({"title": "关于<em>汽车</em>产业的通知", "pcode": "国办发〔2001〕1号",
                                     "puborg": "国务院办公厅", "pubtimeStr": None,
                                     "pubtime": 978278400000}, "zhengcelibrary_gw")
    assert fields == {"title": "关于汽车产业的通知", "doc_number": "国办发〔2001〕1号",
                      "issuer": "国务院办公厅", "published_date": "2001-01-01",
                      "category": "", "library": "国务院文件"}
    # wenhao is read only without pcode; source (a publication on gov.cn) never as the issuer;
    # pubtime 0 is no date, ptime is used then
    fields = GovcnSpider.api_fields({"title": "关于汽车产业的通知", "wenhao": "国办发〔2001〕1号",
                                     "source": "国务院公报", "pubtimeStr": None, "pubtime": 0,
                                     "ptime": 978278400000}, "zhengcelibrary_gw")
    assert (fields["doc_number"], fields["issuer"], fields["published_date"]) == (
        "国办发〔2001〕1号", "", "2001-01-01")
    # 27,850 days: the first half ends 13,925 days after the start
    assert _split_window("1949-10-01", "2025-12-31") == (("1949-10-01", "1987-11-16"),
                                                         ("1987-11-17", "2025-12-31"))
    assert _split_window("2001-01-01", "2001-01-02") == (("2001-01-01", "2001-01-01"),
                                                         ("2001-01-02", "2001-01-02"))


def test_miit_api_nested_json():
    small = SiteContent(60, 0)   # one MIIT document
    data = json.loads(small.miit_api({"p": ["1"], "pg": ["10"]}).body)["data"]["searchResult"]
    assert data["total"] == 1
    item = data["dataResults"][0]["groupData"][0]["data"]
    info = MiitSpider.info_content(item)
    assert set(info) == {"fwzh", "cwrq", "fbjg"} and info["fbjg"] == item["publishgroupname"]
    assert MiitSpider.info_content({"infoextends": "not json"}) == {}


def test_demo_files_are_real_and_deterministic():
    from pathlib import Path

    from zhengce.corpus.loaders import extract_file_text

    pdf = make_pdf(["附件1：项目名单", "一、汽车零部件项目"], title="附件1")
    assert pdf.startswith(b"%PDF-1.4") and pdf == make_pdf(["附件1：项目名单", "一、汽车零部件项目"],
                                                         title="附件1")
    assert extract_file_text(Path("a.pdf"), pdf)[:2] == ("附件1：项目名单\n一、汽车零部件项目\n", "附件1")
    docx = make_docx(["申报表"], title="附件2")
    assert docx == make_docx(["申报表"], title="附件2")
    assert extract_file_text(Path("a.docx"), docx)[0] == "附件2\n申报表"


def test_server_traps_over_http():
    with DemoSite(60, 0) as site:
        def get(key):
            try:
                with urllib.request.urlopen(f"{site.base_url}/{key}") as r:
                    return r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read()

        flaky = key_of(site.content.specials["flaky"])
        assert [get(flaky)[0] for _ in range(3)] == [503, 503, 200]
        assert get("www.ndrc.gov.cn/robots.txt")[2].decode().endswith(
            "Disallow: /xxgk/zcfb/tz/internal/\n")
        assert get("www.ndrc.gov.cn/nothing.html")[0] == 404
        redirect = site.content.specials["http_redirect"]
        opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                                  {"redirect_request": lambda *a, **k: None}))
        try:
            opener.open(f"{site.base_url}/{key_of(redirect)}")
            status, location = 200, None
        except urllib.error.HTTPError as e:
            status, location = e.code, e.headers["Location"]
        assert status == 301 and location in {d.url for d in site.content.documents}
        assert location != redirect
        assert site.requests_for(flaky) == 3


def test_govcn_window_splitting_reaches_every_document(tmp_path):
    with DemoSite(120, 0, api_cap=10) as site:
        result = run_zhengce(*demo_crawl_args(site, ["govcn"], tmp_path / "g.db"))
        first_pages = [parse_qs(urlsplit("/" + k).query) for _, k in site.access_log
                       if k.startswith("sousuo.www.gov.cn/search-gov/data") and "&p=1&" in k]
    govcn = {d.url for d in site.content.documents if d.site_kind == "govcn"}
    stored = {u for (u,) in query(tmp_path / "g.db", "select source_url from document_sources")}
    assert stored == govcn and len(govcn) == 30
    # 7 + 23 documents, at most 10 per window: the windows were split down to <= 10 each
    assert len(first_pages) > 4
    assert {q["t"][0] for q in first_pages} == {"zhengcelibrary_gw", "zhengcelibrary_bm"}
    assert "stored 30 new" in result.stdout


def test_miit_and_sasac_crawl(tmp_path):
    with DemoSite(60, 0) as site:
        run_zhengce(*demo_crawl_args(site, ["miit", "sasac"], tmp_path / "m.db"))
    expected = {(d.url, d.doc_number, d.issuer) for d in site.content.documents
                if d.site_kind in ("miit", "sasac")}
    assert len(expected) == 3
    got = set(query(tmp_path / "m.db", "select source_url, doc_number, issuer_raw from documents"))
    assert got == expected


def test_retry_backoff_grows_and_honours_retry_after():
    mw = BackoffRetryMiddleware(Settings({"RETRY_ENABLED": True, "RETRY_TIMES": 3,
                                          "RETRY_HTTP_CODES": [503], "RETRY_EXCEPTIONS": [],
                                          "RETRY_PRIORITY_ADJUST": -1,
                                          "ZHENGCE_RETRY_BACKOFF_BASE": 2.0,
                                          "ZHENGCE_RETRY_BACKOFF_MAX": 60.0}))
    assert [mw.backoff(n, None) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert mw.backoff(1, b"10") == 10.0
    assert mw.backoff(7, None) == 60.0
    assert mw.backoff(1, b"Wed, 21 Oct 2015 07:28:00 GMT") == 2.0


def _record(url: str, text: str) -> RecordItem:
    return RecordItem(site="ndrc", url=url, record=SourceRecord(
        source="ndrc", source_id=url, source_url=url, payload=text.encode(),
        fields={"title": "国家发展改革委关于加强汽车产业管理的通知", "text": text,
                "issuer": "国家发展改革委"}), aliases=[url + "?old"])


def test_writer_stores_documents_state_rejects_and_attachments(tmp_path):
    db = str(tmp_path / "w.db")
    writer = StoreWriter(db, tag_jobs=0).open()
    writer.add(_record("https://www.ndrc.gov.cn/a.html", "各省、自治区、直辖市发展改革委：加强汽车产业管理。"))
    writer.add(RejectItem(site="ndrc", url="https://www.ndrc.gov.cn/b.html", reason="HTTP 404",
                          http_status=404, state="failed"))
    writer.add(PageItem(site="ndrc", url="https://www.ndrc.gov.cn/list.html", kind="list",
                        status="listed", http_status=200))
    writer.add(AttachmentItem(site="ndrc", doc_url="https://www.ndrc.gov.cn/a.html",
                              url="https://www.ndrc.gov.cn/P1.pdf", filename_as_given="../../附件.pdf",
                              content_type="application/pdf",
                              payload=make_pdf(["附件：名单"], title="附件")))
    writer.flush()
    writer.close()
    states = dict(query(tmp_path / "w.db", "select url, status from crawl_state"))
    assert states == {"https://www.ndrc.gov.cn/a.html": "stored",
                      "https://www.ndrc.gov.cn/a.html?old": "stored",
                      "https://www.ndrc.gov.cn/b.html": "failed",
                      "https://www.ndrc.gov.cn/list.html": "listed",
                      "https://www.ndrc.gov.cn/P1.pdf": "stored"}
    assert query(tmp_path / "w.db", "select reason from rejects") == [("HTTP 404",)]
    (path, text, status, name), = query(tmp_path / "w.db",
                                        "select path, text, status, filename_as_given from attachments")
    assert status == "extracted" and text == "附件：名单" and name == "../../附件.pdf"
    assert path.startswith("attachments/") and (tmp_path / path).exists()
    assert done_urls(db) == {"https://www.ndrc.gov.cn/a.html", "https://www.ndrc.gov.cn/a.html?old",
                             "https://www.ndrc.gov.cn/P1.pdf"}
    summary = json.loads(query(tmp_path / "w.db", "select summary from runs")[0][0])
    assert summary["totals"]["stored"] == 1 and summary["totals"]["failed"] == 1


def test_state_never_downgrades_a_stored_page():
    store = Store.memory()
    upsert_state(store.db, url="u", site="s", kind="detail", status="stored", doc_id="d1")
    upsert_state(store.db, url="u", site="s", kind="detail", status="failed", error="timeout")
    assert store.db.execute("select status, doc_id, attempts, last_error from crawl_state"
                            ).fetchall() == [("stored", "d1", 2, "timeout")]


def test_no_request_slips_past_robots_txt_while_it_is_fetched(tmp_path):
    # Three start URLs wait for www.zj.gov.cn/robots.txt at once; with Scrapy 2.19's own
    # middleware the third would be fetched although robots.txt disallows /private/ (the
    # first reads the parser directly, the second consumes the shared Deferred's result).
    with DemoSite(60, 0) as site:
        private = "https://www.zj.gov.cn/private/internal_list.html"
        args = demo_crawl_args(site, ["zhejiang"], tmp_path / "r.db")
        args += ["--start-urls", json.dumps({"zhejiang": [
            "https://www.zj.gov.cn/col/col1229697826/index.html",
            "https://www.zj.gov.cn/col/col1229697826/index.html?uid=7792&pageNum=2", private]})]
        run_zhengce(*args)
        fetched = {k for _, k in site.access_log}
    assert "www.zj.gov.cn/robots.txt" in fetched
    assert key_of(private) not in fetched
    assert query(tmp_path / "r.db", "select status, last_error from crawl_state where url = ?",
                 [private]) == [("forbidden", "forbidden by robots.txt")]
