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
        result = run_zhengce("crawl", "verify", "--db", str(db), "--sites", "govcn",
                             "--base-url", site.base_url, "--no-throttle")
    return db, stored, alias, modes, result.stdout


def test_verify_finds_exactly_the_removed_documents(verified):
    db, stored, alias, modes, stdout = verified
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


def test_availability_tables_match(verified, tmp_path):
    db, stored, alias, modes, _ = verified
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


def test_second_verify_keeps_gone_since_and_never_deletes(verified):
    db, stored, *_ = verified
    n_docs = query(db, "select count(*) from documents")[0][0]
    assert n_docs > 0
    assert query(db, "select count(*) from crawl_state where kind = 'detail' and status = 'stored' "
                     "and site = 'govcn'")[0][0] == len(stored)
