"""Pages a crawl cannot read say why, in one line (issue 13: findings 8 and 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from zhengce.crawler.check import check_page
from zhengce.crawler.extract import PARSER_MAX_DEPTH, nesting_depth, too_deep
from zhengce.crawler.spider_check import check_detail

REPO = Path(__file__).resolve().parents[2]
BODY = ('<div id="zoom"><p>浙江省人民政府关于加快发展装备制造业的若干意见。各市、县人民政府：'
        '为加快发展装备制造业，现提出如下意见。</p></div>')


def nested_page(depth: int) -> str:
    return ('<html><head><meta charset="utf-8"><title>关于加快发展装备制造业的若干意见</title></head>'
            '<body>' + "<div>" * depth + BODY + "</div>" * depth + "</body></html>")


def test_nesting_depth_counts_elements_not_void_or_implicitly_closed_ones():
    assert nesting_depth("<html><body><div><p>a<br>b<p>c<img src=x><div/></div></body></html>") == 3
    assert nesting_depth(nested_page(10)) == 2 + 10 + 1   # html, body, the divs, div#zoom
    assert too_deep(nested_page(1000)) is None


def test_a_page_nested_past_the_parser_limit_names_the_limit():
    page = nested_page(100_000)
    reason = too_deep(page)
    assert reason == ("the page nests elements 100,003 deep, past the HTML parser's limit of "
                      f"{PARSER_MAX_DEPTH:,} (libxml2): everything deeper was dropped")
    report = check_page(REPO / "crawler" / "specs" / "zhejiang.yaml", page.encode("utf-8"),
                        kind="detail")
    assert any(p.startswith("detail.body 'div#zoom, div.zoom' found no text: the page nests "
                            "elements 100,003 deep") for p in report.problems)
    # the same body at a depth the parser keeps is found
    shallow = check_page(REPO / "crawler" / "specs" / "zhejiang.yaml",
                         nested_page(500).encode("utf-8"), kind="detail")
    assert not any(p.startswith("detail.body") for p in shallow.problems)


def test_the_spider_check_and_the_reject_reason_say_why_the_body_is_missing():
    from zhengce.crawler.items import RejectItem
    from zhengce.crawler.pipelines import ValidatePipeline
    from zhengce.crawler.spiders.base import PolicySpider

    captured = []
    original = PolicySpider.document

    def keep(self, *args, **kwargs):
        for out in original(self, *args, **kwargs):
            captured.append(out)
            yield out

    PolicySpider.document = keep
    try:
        result = check_detail("govcn", nested_page(100_000).encode("utf-8"))
    finally:
        PolicySpider.document = original
    assert result.text == "" and "nests elements 100,003 deep" in result.hints["too_deep"]
    assert any(line.startswith("  why: the page nests elements 100,003 deep") for line in result.lines())
    reject = ValidatePipeline().process_item(captured[0])
    assert isinstance(reject, RejectItem)
    assert "found nothing (the page nests elements 100,003 deep" in reject.reason


def test_a_binary_file_given_as_a_page_is_a_one_line_error(tmp_path):
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(bytes(range(256)) * 12)
    for args in (["--spider", "govcn", "--page", str(garbage)],
                 [str(REPO / "crawler" / "specs" / "zhejiang.yaml"), "--page", str(garbage)]):
        result = subprocess.run([sys.executable, "-m", "zhengce", "crawl", "check", *args],
                                capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"Error: --page {garbage}: cannot be read as a saved HTML page (neither UTF-8 nor "
            "GB18030; pass --encoding); check it is the right file, saved as the site served it"]
