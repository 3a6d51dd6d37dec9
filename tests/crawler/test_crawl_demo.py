"""End to end: crawl the offline demo site (120 documents) over real HTTP on loopback and check
the store against the demo corpus; then re-run, refresh, and kill a crawl with SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from zhengce.corpus.ingest import SourceRecord, make_doc_id, prepare_record
from zhengce.corpus.tagging import parse_date_iso
from zhengce.crawler.cleanup import drop_repeated_blocks
from zhengce.crawler.demo_crawl import demo_sites
from zhengce.crawler.demo_site import DemoSite
from zhengce.crawler.demo_site.pages import key_of
from zhengce.crawler.sitespec import load_spec
from zhengce.crawler.spiders import BUILTIN_SPIDERS
from crawl_helpers import REPO, demo_crawl_args, query, run_zhengce, zhengce_command

N_DOCS = 120
pytestmark = pytest.mark.slow   # real crawls in subprocesses: ~25 s for the module

# Which metadata each kind of site shows (the rest comes from the title, the signature or nowhere).
SHOWS_ISSUER = {"govcn", "ndrc", "miit", "sasac", "mofcom", "zhejiang", "guangdong", "jiangsu",
                "beijing", "anhui", "shandong", "wuxi", "jiangyin"}          # not shanghai, sichuan
SHOWS_ISSUED = {"govcn", "miit", "zhejiang", "guangdong", "jiangsu", "beijing", "anhui",
                "shandong", "jiangyin"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    site = DemoSite(N_DOCS, 0).start()
    db = tmp_path_factory.mktemp("crawl") / "demo.db"
    result = run_zhengce(*demo_crawl_args(site, demo_sites(site.content), db))
    first_log = list(site.access_log)
    yield site, db, result.stdout, first_log
    site.stop()


def _site_defaults(site: str) -> dict:
    if site in BUILTIN_SPIDERS:
        return dict(BUILTIN_SPIDERS[site].defaults)
    if site in ("wuxi", "jiangyin"):
        return {"level": "local"}        # as the demo crawl passes them
    return dict(load_spec(site).defaults)


def _iso(value):
    return parse_date_iso(value) if value else None


def _dated_lines(text: str) -> set[str]:
    """The dates of the lines of ``text`` that are nothing but a date (a signature's)."""
    return {_iso(line.strip()) for line in text.split("\n")
            if re.fullmatch(r"[\d〇零一二三四五六七八九十○]{2,4}年[\d一二三四五六七八九十]{1,3}月"
                            r"[\d一二三四五六七八九十]{1,3}日", line.strip())}


def test_every_demo_document_is_stored_once(crawled):
    site, db, out, _ = crawled
    urls = {d.url for d in site.content.documents}
    rows = query(db, "select source_url, relation from document_sources")
    assert {u for u, _ in rows} == urls
    assert len(rows) == N_DOCS                       # one provenance row per demo document
    n_docs = query(db, "select count(*) from documents")[0][0]
    n_dups = sum(1 for _, rel in rows if rel == "duplicate")
    assert n_docs + n_dups == N_DOCS
    # the demo corpus plants reposts: 3 of the 120 texts repeat an earlier one exactly
    assert n_dups == 3
    assert query(db, "select count(*) from (select text_hash from documents group by text_hash "
                     "having count(*) > 1)")[0][0] == 0
    assert "stored 117 new, 3 duplicates" in out


def test_stored_documents_are_complete_and_never_doubled(crawled):
    """The demo reproduces the real templates' quirks (gov.cn's mobile copy of the body, SASAC's
    furniture, NDRC's 2026 layout, no 发布日期 row, an API without totalpage); still >= 95 % of the
    documents have level, a date, title and body, and no body is stored twice or with
    furniture."""
    site, db, out, _ = crawled
    rows = query(db, "select source, level, issued_date, published_date, title, text "
                     "from documents")
    complete = [r for r in rows if r[1] and (r[2] or r[3]) and r[4] and r[5]]
    assert len(complete) >= 0.95 * len(rows)
    for source, _, _, _, title, text in rows:
        lines = [line for line in text.split("\n") if line.strip()]
        half = len(lines) // 2
        assert not (half and lines[:half] == lines[half:2 * half]), title
        assert drop_repeated_blocks(text) == (text, False), title
        assert "扫一扫在手机打开当前页" not in text and "责任编辑" not in text, title
        assert "相关文章" not in text, title
    summary = json.loads(query(db, "select summary from runs where stage = 'crawl'")[0][0])
    govcn = summary["crawl"]["govcn"]
    assert govcn["counters"]["api_pages"] > 0 and "window_capped" not in govcn["counters"]
    sasac = summary["crawl"]["sasac"]["counters"]
    assert sasac["furniture_lines"] >= 5 * summary["sites"]["sasac"]["stored"]


def test_metadata_matches_the_demo_corpus(crawled):
    site, db, _, _ = crawled
    rows = query(db, """select s.source_url, d.source, d.title, d.doc_number, d.issuer_raw,
                               d.issued_date, d.published_date, d.level, d.province,
                               d.prefecture, d.county, d.text
                        from document_sources s join documents d using (doc_id)
                        where s.relation = 'original'""")
    by_url = {d.url: d for d in site.content.documents}
    checked = Counter()
    for url, source, title, number, issuer, issued, published, level, province, prefecture, \
            county, text in rows:
        demo = by_url[url]
        assert title == demo.title, url
        assert number == demo.doc_number, url
        if source in SHOWS_ISSUER or demo.title.startswith(demo.issuer + "关于"):
            assert issuer == demo.issuer, url
        else:   # the issuer only where the document's signature names it
            assert issuer in (demo.issuer, None), url
        if source in SHOWS_ISSUED and demo.issued_date:
            assert issued == _iso(demo.issued_date), url
        elif issued is not None:   # a page without a 成文日期: the signature's date, if any
            assert issued in _dated_lines(demo.text), url
        # list pages show the publication date, or the issue date when there is none
        assert published == (_iso(demo.published_date) or _iso(demo.issued_date)), url
        # level and place come from the corpus layer's tagging of the issuer / title (the
        # site's defaults fill only what the issuer does not tell)
        expected = prepare_record(SourceRecord(
            source="demo", source_id=demo.source_id, payload=b"",
            fields={"title": demo.title, "text": demo.text, "issuer": demo.issuer,
                    "doc_number": demo.doc_number, "issued_date": demo.issued_date,
                    "published_date": demo.published_date, **_site_defaults(source)})).document
        assert (level, province, prefecture, county) == tuple(
            expected.get(k) for k in ("level", "province", "prefecture", "county")), url
        lines = [line.strip() for line in demo.text.split("\n") if line.strip()]
        assert "\n".join(lines) in text, url
        checked[source] += 1
    assert set(checked) == set(demo_sites(site.content)) - {"miit"}   # no MIIT document in 120
    assert sum(checked.values()) == 117


def test_literal_documents(crawled):
    site, db, _, _ = crawled
    row = query(db, "select source, title, doc_number, issued_date, published_date, level, "
                    "province from documents where source_url = ?",
                ["http://www.yantai.gov.cn/art/1995/2/5/art_1532_100002.html"])
    # intertid pages have no 成文日期: their 生成日期 (an index stamp, here the list date) must
    # not be taken for one; the signature's date (一九九五年一月二十一日) is the 成文日期
    assert row == [("wuxi", "烟台市人民政府关于印发《烟台市汽车行业结构调整实施方案》的通知",
                    "烟政发〔1995〕2号", "1995-01-21", "1995-02-05", "local", "山东省")]
    fields = json.loads(query(db, "select source_fields from documents where source_url = ?",
                              ["http://www.yantai.gov.cn/art/1995/2/5/art_1532_100002.html"])[0][0])
    assert fields["_hints"]["stamp_date"] == "1995-02-05"
    # the NDRC 文号 comes from the body's number line; the page was flaky (503, 503, 200)
    ndrc = "https://www.ndrc.gov.cn/xxgk/zcfb/tz/200104/t20010417_1100139.html"
    assert query(db, "select doc_number, issuer_raw, published_date from documents "
                     "where source_url = ?", [ndrc]) == [
        ("计产业〔2001〕4号", "国家发展计划委员会", "2001-04-17")]


def test_undeclared_gbk_page_is_decoded(crawled):
    site, db, _, _ = crawled
    url = site.content.specials["gbk"]
    assert url == "http://www.baoan.gov.cn/zwgk/zcwj/200003/t20000330_100105.htm"
    page = site.content.pages[key_of(url)]
    assert b"charset" not in page.body.lower() and page.content_type == "text/html"
    title, issued, warnings = query(db, "select title, issued_date, warnings from documents "
                                        "where source_url = ?", [url])[0]
    assert title == "深圳市宝安区经济贸易局关于推进汽车和纺织行业兼并重组的通知"
    assert issued == "2000-03-29"   # 二〇〇〇年三月二十九日
    raw = query(db, "select r.payload, r.encoding from raw_records r join documents d "
                    "using (raw_id) where d.source_url = ?", [url])[0]
    assert raw[0] == page.body                     # raw bytes kept as served
    assert raw[1] == "gb18030"                     # the spec says gbk; GB18030 is its superset
    assert query(db, "select count(*) from crawl_state where warnings like '%not look Chinese%'"
                 )[0][0] == 0


def test_malformed_page_and_404_are_rejects_not_crashes(crawled):
    site, db, out, log = crawled
    specials = site.content.specials
    rejects = dict(query(db, "select record_ref, reason from rejects where stage = 'crawl'"))
    assert rejects[specials["malformed"]].startswith(
        "empty document: body: div.article_con found nothing on https://")
    assert rejects[specials["not_found"]].startswith("HTTP 404 fetching the document page")
    state = {u: (s, h) for u, s, h in query(db, "select url, status, http_status from crawl_state")}
    assert state[specials["malformed"]] == ("rejected", 200)
    assert state[specials["not_found"]] == ("failed", 404)
    # robots.txt forbids one linked page: never requested, recorded as forbidden
    forbidden = key_of(specials["robots_disallowed"])
    assert not any(k == forbidden for _, k in log)
    assert state[specials["robots_disallowed"]][0] == "forbidden"
    assert "rejected 1, failed 1" in out
    assert "  miss  ndrc body: div.article_con ×1" in out
    summary = json.loads(query(db, "select summary from runs where stage = 'crawl'")[0][0])
    assert summary["crawl"]["ndrc"]["misses"] == {"body: div.article_con": 1}


def test_flaky_page_is_retried_then_stored(crawled):
    site, db, _, log = crawled
    key = key_of(site.content.specials["flaky"])
    assert [status for status, k in log if k == key] == [503, 503, 200]
    summary = json.loads(query(db, "select summary from runs where stage = 'crawl'")[0][0])
    assert summary["crawl"]["ndrc"]["retries"] == 2
    assert query(db, "select status from crawl_state where url = ?",
                 [site.content.specials["flaky"]]) == [("stored",)]


def test_redirects_are_followed_and_remembered(crawled):
    site, db, _, _ = crawled
    old = site.content.specials["http_redirect"]      # 301 from an old URL pattern
    stub = site.content.specials["js_redirect"]       # window.location.href='…'
    for alias in (old, stub):
        (status, doc_id), = query(db, "select status, doc_id from crawl_state where url = ?", [alias])
        assert status == "stored"
        target = query(db, "select source_url from documents where doc_id = ?", [doc_id])[0][0]
        assert target != alias and target in {d.url for d in site.content.documents}


def test_attachments_are_content_addressed_and_extracted(crawled):
    site, db, _, _ = crawled
    rows = query(db, "select doc_id, url, sha256, filename_as_given, content_type, n_bytes, "
                     "path, text, status from attachments order by url")
    expected = {(doc_url, url, name) for doc_url, files in site.content.attachments.items()
                for url, name in files}
    # 5 gov.cn annexes (PDF, DOCX) in or below the body; 2 NDRC ones in div.attachment outside
    # the body of the 2026 layout: a PDF and a .wps
    assert len(expected) == 7
    site_of = {d: ("ndrc" if "ndrc.gov.cn" in d else "govcn") for d, _, _ in expected}
    assert {(r[0], r[1], r[3]) for r in rows} == {
        (make_doc_id(site_of[d], d), u, n) for d, u, n in expected}
    content_types = {".pdf": "application/pdf", ".wps": "application/octet-stream",
                     ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    for doc_id, url, sha, _name, ctype, n_bytes, path, text, status in rows:
        served = site.content.pages[key_of(url)].body
        assert sha == hashlib.sha256(served).hexdigest()
        file = db.parent / path
        assert file.name == f"{sha}{Path(url).suffix}" and file.read_bytes() == served
        assert n_bytes == len(served) and ctype == content_types[Path(url).suffix]
        if url.endswith(".wps"):   # stored; the table says why its text is not there
            assert status == "not_extracted: WPS Writer (Kingsoft) file: no text extractor " \
                             "for this format" and text is None
        elif "ndrc.gov.cn" in url:
            assert status == "extracted" and "一、申报单位：各省级发展改革委" in text
        else:
            assert status == "extracted" and "二、申报材料：项目申请报告、可行性研究报告" in text
        assert query(db, "select count(*) from documents where doc_id = ?", [doc_id]) == [(1,)]
    summary = json.loads(query(db, "select summary from runs where stage = 'crawl'")[0][0])
    assert summary["attachment_kinds"]["ndrc"] == {".pdf extracted": 1, ".wps not_extracted": 1}


def test_second_run_fetches_only_lists_and_failed_pages(crawled, tmp_path):
    site, db, _, first_log = crawled
    before = len(site.access_log)
    result = run_zhengce(*demo_crawl_args(site, demo_sites(site.content), db))
    again = [k for _, k in site.access_log[before:]]
    documents = {key_of(d.url) for d in site.content.documents}
    assert not documents & set(again)            # no stored document page is fetched again
    assert key_of(site.content.specials["not_found"]) in again   # failed pages are retried
    assert "stored 0 new" in result.stdout and "121 already stored" in result.stdout
    skipped = sum(s["skipped_stored"] for s in json.loads(query(
        db, "select summary from runs where stage = 'crawl' order by started_at desc, rowid desc "
            "limit 1")[0][0])["crawl"].values())
    # the lists link 118 documents by their own URL and 2 by a redirecting one (the 301 and the
    # JS stub, remembered as aliases), plus the rejected malformed page; attachments are not
    # even requested, their documents being skipped
    assert skipped == 118 + 2 + 1
    assert query(db, "select count(*) from document_sources")[0][0] == N_DOCS


def test_refresh_fetches_again_and_finds_nothing_changed(crawled):
    site, db, _, _ = crawled
    before = len(site.access_log)
    result = run_zhengce(*demo_crawl_args(site, ["sasac"], db, "--refresh"))
    sasac_docs = [d for d in site.content.documents if d.site_kind == "sasac"]
    assert len(sasac_docs) == 1
    assert key_of(sasac_docs[0].url) in {k for _, k in site.access_log[before:]}
    assert "stored 0 new, 0 duplicates, 0 updated, 1 unchanged" in result.stdout


def _document_set(db: Path) -> tuple[set, set]:
    """What a crawl stored: every URL with its text and relation, and every document's
    metadata. Both are independent of arrival order: when a repost and its original arrive in
    another order, the earliest published copy is still the document (ingest.canonical_key)."""
    by_url = set(query(db, "select s.source_url, s.relation, d.text_hash from document_sources s "
                           "join documents d using (doc_id)"))
    documents = set(query(db, """select doc_id, source, source_id, source_url, text_hash, title,
                                        doc_number, issued_date, published_date, level, province
                                 from documents"""))
    return by_url, documents


def test_sigkill_mid_crawl_then_resume_gives_the_same_documents(crawled, tmp_path):
    _, reference_db, _, _ = crawled
    site = DemoSite(N_DOCS, 0).start()
    db = tmp_path / "killed.db"
    try:
        slow = demo_crawl_args(site, demo_sites(site.content), db,
                               "-s", "DOWNLOAD_DELAY=0.03", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                               "-s", "ZHENGCE_FLUSH_SECONDS=0.2", "-s", "ZHENGCE_BATCH_SIZE=8")
        proc = subprocess.Popen(zhengce_command(*slow), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        stored = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if db.exists():
                try:
                    stored = query(db, "select count(*) from document_sources")[0][0]
                except Exception:  # noqa: BLE001 - tables not created yet
                    stored = 0
            if stored >= 25:
                break
        assert proc.poll() is None, "the crawl finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        interrupted = query(db, "select count(*) from document_sources")[0][0]
        assert 25 <= interrupted < N_DOCS
        result = run_zhengce(*demo_crawl_args(site, demo_sites(site.content), db))
        assert "already stored" in result.stdout
    finally:
        site.stop()
    assert query(db, "select count(*) from document_sources")[0][0] == N_DOCS
    assert _document_set(db) == _document_set(reference_db)
    assert query(db, "select count(*) from documents")[0][0] == \
        query(reference_db, "select count(*) from documents")[0][0]
