"""``crawl verify`` and ``availability`` on the demo site: 20% of the stored documents disappear
between two crawls (404, redirect to an index page, soft "页面不存在" page), and exactly those are
found gone."""

from __future__ import annotations

import pandas as pd
import pytest

from crawl_helpers import demo_crawl_args, query, run_zhengce
from zhengce.crawler.demo_site import DemoSite
from zhengce.crawler.demo_site.takedowns import choose_takedowns
from zhengce.crawler.verify import is_index_url, is_soft_not_found, parse_age


def test_classifiers():
    assert is_index_url("https://www.gov.cn/zhengce/index.htm")
    assert is_index_url("https://www.gov.cn/") and is_index_url("https://www.gov.cn/zhengce/")
    assert not is_index_url("https://www.gov.cn/zhengce/content/202401/content_1.htm")
    assert is_soft_not_found("<html><title>x</title><h2>您访问的页面不存在</h2></html>".encode())
    assert not is_soft_not_found(("<p>" + "本办法所称页面不存在的情形，" + "正文" * 2000 + "</p>").encode())
    assert parse_age("30d").days == 30 and parse_age("2w").days == 14 and parse_age(None) is None


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    db = tmp_path_factory.mktemp("verify") / "demo.db"
    with DemoSite(n_documents=150, random_state=3, flaky_failures=0) as site:
        run_zhengce(*demo_crawl_args(site, ["govcn"], db))
        stored = [row[0] for row in query(db, "select url from crawl_state where site = 'govcn' "
                                              "and kind = 'detail' and status = 'stored'")]
        # the planted old URL answers a redirect to its document: not a takedown candidate
        alias = site.content.specials.get("http_redirect")
        candidates = [u for u in stored if u != alias]
        removed = choose_takedowns(candidates, 0.2, random_state=1)
        modes = site.content.take_down(removed)
        before = {t: query(db, f"select count(*) from {t}")[0][0]
                  for t in ("documents", "document_sources", "crawl_state", "raw_records")}
        result = run_zhengce("crawl", "verify", "--db", str(db), "--sites", "govcn",
                             "--base-url", site.base_url, "--no-throttle")
    return db, stored, alias, modes, result.stdout, before


@pytest.mark.slow
def test_verify_finds_exactly_the_removed_documents(verified):
    db, stored, alias, modes, stdout, _ = verified
    assert len(modes) == round(0.2 * (len(stored) - (alias in stored)))
    assert set(modes.values()) == {"not_found", "redirect_index", "soft_not_found"}
    rows = query(db, "select url, last_status, gone_reason, gone_since from url_availability "
                     "where site = 'govcn' and kind = 'detail'")
    gone = {url: reason for url, status, reason, _ in rows if status == "gone"}
    removed_docs = {d for (d,) in query(db, "select doc_id from crawl_state where url in "
                                            f"({','.join('?' * len(modes))})", list(modes))}
    alias_doc = query(db, "select doc_id from crawl_state where url = ?", [alias])
    expected = dict(modes)
    if alias_doc and alias_doc[0][0] in removed_docs:
        # the old URL redirects to a removed page, which is then found gone the same way
        target = next(u for u in modes if query(db, "select doc_id from crawl_state where url = ?",
                                                [u])[0][0] == alias_doc[0][0])
        expected[alias] = {"redirect_index": "redirect_index"}.get(modes[target], modes[target])
    assert gone == expected  # precision and recall 1: nothing else, nothing missed
    others = {status for url, status, _, _ in rows if url not in gone}
    assert others <= {"available", "moved"}
    assert all(since for url, status, _, since in rows if status == "gone")
    checks = query(db, "select count(*) from availability_checks")[0][0]
    assert checks == len(stored)
    assert query(db, "select count(*) from documents where source = 'govcn'")[0][0] >= len(stored) - 1
    assert f"gone" in stdout


@pytest.mark.slow
def test_availability_tables_match(verified, tmp_path):
    db, stored, alias, modes, *_ = verified
    run_zhengce("availability", "--db", str(db), "--out", str(tmp_path))
    docs = pd.read_csv(tmp_path / "availability_documents.csv")
    gone_docs = {d for (d,) in query(db, "select doc_id from url_availability where "
                                         "last_status = 'gone'")}
    assert set(docs.loc[docs["gone"], "doc_id"]) <= gone_docs
    level = pd.read_csv(tmp_path / "availability_by_level.csv").set_index("level")
    assert level.loc["central", "n_gone"] == docs["gone"].sum()
    assert level.loc["central", "share_gone"] == pytest.approx(docs["gone"].sum() / len(docs),
                                                               abs=1e-4)
    reasons = pd.read_csv(tmp_path / "availability_by_reason.csv").set_index("gone_reason")
    assert int(reasons["n_gone"].sum()) == int(docs["gone"].sum())
    assert set(reasons.index) == set(modes.values())
    survival = pd.read_csv(tmp_path / "availability_survival.csv")
    assert survival["survival"].iloc[0] == 1.0 and survival["survival"].is_monotonic_decreasing
    assert (tmp_path / "availability_survival.png").exists()


@pytest.mark.slow
def test_verify_deletes_nothing(verified):
    db, stored, *_, before = verified
    after = {t: query(db, f"select count(*) from {t}")[0][0] for t in before}
    assert after == before and after["documents"] > 0
    assert query(db, "select count(*) from crawl_state where kind = 'detail' and status = 'stored' "
                     "and site = 'govcn'")[0][0] == len(stored)
    # every stored page keeps when it was first and last seen
    assert not query(db, "select url from url_availability where kind = 'detail' and "
                         "(first_seen is null or last_checked is null)")


def _answer(status: int, body: bytes = b"", *, location: str | None = None, hops: int = 0,
            stored_hash: str | None = None):
    """What VerifySpider.parse_check makes of one answer (no network)."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from zhengce.crawler.verify import Target, VerifySpider

    url = "https://www.gov.cn/zhengce/content/202401/content_7.htm"
    target = Target(url, "govcn", "d7", stored_hash)
    request = Request(url, meta={"target": target, "hops": hops})
    headers = {"Location": location} if location else {}
    response = HtmlResponse(url, status=status, headers=headers, body=body, request=request)
    out = list(VerifySpider(targets=[target]).parse_check(response))
    assert len(out) == 1
    return out[0]


def test_each_answer_is_classified():
    from zhengce.crawler.verify import sha256

    page = "<html><title>关于印发某办法的通知</title><body>".encode() + "正文".encode() * 2000
    assert _answer(404)["reason"] == "not_found" and _answer(410)["outcome"] == "gone"
    assert _answer(302, location="/zhengce/index.htm")["reason"] == "redirect_index"
    moved = _answer(301, location="/zhengce/content/202401/content_8.htm")
    assert moved.url.endswith("content_8.htm") and moved.meta["hops"] == 1  # followed
    assert _answer(200, page, hops=1)["outcome"] == "moved"
    soft = _answer(200, "<h2>您访问的页面不存在或已被删除！</h2>".encode())
    assert (soft["outcome"], soft["reason"]) == ("gone", "soft_not_found")
    assert _answer(200, page, stored_hash=sha256(page))["outcome"] == "available"
    changed = _answer(200, page + b"!", stored_hash=sha256(page))
    assert (changed["outcome"], changed["reason"]) == ("changed", "changed")
    assert _answer(200, page)["outcome"] == "available"  # nothing stored to compare with


def test_targets_and_older_than(store):
    from datetime import datetime, timedelta, timezone

    from zhengce.crawler.state import upsert_state
    from zhengce.crawler.verify import record_check, select_targets

    upsert_state(store.db, url="https://a/1.htm", site="a", kind="detail", status="stored",
                 fetched_at="2026-01-01T00:00:00Z", doc_id="d1")
    upsert_state(store.db, url="https://b/2.htm", site="b", kind="detail", status="stored",
                 fetched_at="2026-06-01T00:00:00Z", doc_id="d2")
    upsert_state(store.db, url="https://b/list", site="b", kind="list", status="listed",
                 fetched_at="2026-06-01T00:00:00Z")
    row = store.db.execute("select first_seen, last_seen, last_status from url_availability "
                           "where url = 'https://a/1.htm'").fetchone()
    assert row == ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "available")
    now = datetime(2026, 6, 10, tzinfo=timezone.utc)
    conn = store.db.conn
    assert [t.url for t in select_targets(conn)] == ["https://a/1.htm", "https://b/2.htm"]
    assert [t.url for t in select_targets(conn, sites=["b"])] == ["https://b/2.htm"]
    assert [t.url for t in select_targets(conn, older_than=timedelta(days=30), now=now)] == [
        "https://a/1.htm"]
    record_check(store.db, {"url": "https://a/1.htm", "site": "a", "doc_id": "d1",
                            "http_status": 404, "outcome": "gone", "reason": "not_found",
                            "final_url": "https://a/1.htm", "body_sha256": None,
                            "checked_at": "2026-06-09T00:00:00Z"})
    assert select_targets(conn, older_than=timedelta(days=30), now=now) == []
    record_check(store.db, {"url": "https://a/1.htm", "site": "a", "doc_id": "d1",
                            "http_status": None, "outcome": "failed", "reason": "timeout",
                            "final_url": "https://a/1.htm", "body_sha256": None,
                            "checked_at": "2026-06-10T00:00:00Z"})
    row = store.db.execute("select last_status, gone_since, gone_reason, last_seen, last_checked "
                           "from url_availability where url = 'https://a/1.htm'").fetchone()
    # a failed check changes nothing but the check date; gone since the first gone check
    assert row == ("gone", "2026-06-09T00:00:00Z", "not_found", "2026-01-01T00:00:00Z",
                   "2026-06-10T00:00:00Z")
    assert store.count("availability_checks") == 2
