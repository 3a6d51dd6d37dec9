"""Generic defences of the parsers: furniture patterns, doubled bodies, issuer / title / date
resolution from the document, attachment formats and why their text is not extracted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengce.common.errors import UserError
from zhengce.crawler.attachments import extraction_plan, is_attachment_url, store_file
from zhengce.crawler.cleanup import (clean_body, distinct_parts, drop_repeated_blocks,
                                     load_furniture, parse_furniture, strip_furniture)
from zhengce.crawler.demo_site import SiteContent
from zhengce.crawler.demo_site.pages import key_of
from zhengce.crawler.resolve import (complete_title, resolve_fields, signature,
                                     strip_glued_number, title_prefix_issuer)
from zhengce.crawler.spider_check import check_api, check_detail

BODY = "\n".join(["各中央企业：", "现将有关事项通知如下，请遵照执行。", "一、总体要求",
                  "坚持问题导向，突出重点，务求实效。", "国资委", "2023年4月26日"])


def test_furniture_lines_and_trailing_blocks_are_dropped():
    text = BODY + "\n附件：计划表.docx\n【责任编辑：王占朝】\n扫一扫 在手机打开当前页\n相关文章\n" \
                  "国务院国资委印发《办法》\n分享到：微信 微博\n【打印】【关闭】"
    cleaned, dropped = strip_furniture(text)
    assert cleaned == BODY + "\n附件：计划表.docx" and dropped == 6
    # a real sentence that merely starts like furniture stays
    kept = "分享经济平台企业要落实主体责任。\n打印机产业是重点领域之一。"
    assert strip_furniture(kept) == (kept, 0)


def test_the_furniture_file_is_editable_and_checked():
    furniture = parse_furniture("# comment\n\n版权所有.*\nfrom: 延伸阅读\n")
    assert strip_furniture("正文。\n版权所有：某网站\n延伸阅读\n别的文章", furniture) == ("正文。", 3)
    with pytest.raises(UserError, match="line 1: '[(]未闭合' is not a regular expression"):
        parse_furniture("(未闭合")
    assert load_furniture().trailing   # the shipped file parses


def test_doubled_bodies_are_cut_to_one_copy():
    assert drop_repeated_blocks(BODY + "\n" + BODY) == (BODY, True)
    assert drop_repeated_blocks(BODY + "\n" + BODY.replace("\n", "\n\n")) == (BODY, True)
    assert drop_repeated_blocks(BODY) == (BODY, False)
    short = "同意。\n同意。"          # too short to call a copy
    assert drop_repeated_blocks(short) == (short, False)
    assert distinct_parts([BODY, BODY, "一、总体要求", "另一段"]) == [BODY, "另一段"]
    assert clean_body(BODY + "\n" + BODY + "\n扫一扫在手机打开当前页") == (
        BODY, {"duplicated_body": 1, "furniture_lines": 1})


def test_issuer_title_and_dates_from_the_document():
    assert title_prefix_issuer("国家发展改革委办公厅关于开展活动的通知") == "国家发展改革委办公厅"
    assert title_prefix_issuer("国务院办公厅、中央军委办公厅关于加强管理的通知") == \
        "国务院办公厅、中央军委办公厅"
    assert title_prefix_issuer("关于印发《办法》的通知") == ""
    assert title_prefix_issuer("进一步做好关于就业的若干意见") == ""
    assert strip_glued_number("关于开展活动的通知(发改办环资〔2026〕520号)") == (
        "关于开展活动的通知", "发改办环资〔2026〕520号")
    heading = "国家发展改革委办公厅关于开展2026年\n全国生态日活动的通知\n发改办环资〔2026〕520号\n正文"
    assert complete_title("关于开展2026年全国生态日活动的通知", heading) == \
        "国家发展改革委办公厅关于开展2026年全国生态日活动的通知"
    assert signature(BODY) is not None and signature(BODY).issuer == "国资委"
    joint = "正文。\n国家发展改革委\n国家能源局\n二〇二一年三月五日"
    assert (signature(joint).issuer, signature(joint).date) == ("国家发展改革委、国家能源局",
                                                                "二〇二一年三月五日")
    assert signature("第一条 本办法自2020年1月1日起施行。\n附件：2020年1月1日") is None
    fields = {"title": "关于开展活动的通知(发改办环资〔2026〕520号)"}
    origin = resolve_fields(fields, "国家发展改革委办公厅关于开展活动的通知\n正文。\n"
                                    "国家发展改革委办公厅\n2026年7月10日",
                            defaults={}, posting_office="环资司",
                            first_published="2026-08-03-16:11:27")
    assert fields == {"title": "国家发展改革委办公厅关于开展活动的通知",
                      "doc_number": "发改办环资〔2026〕520号", "issuer": "国家发展改革委办公厅",
                      "issued_date": "2026年7月10日", "published_date": "2026-08-03"}
    assert origin["issuer"] == "title prefix" and origin["issued_date"] == "signature"
    # a place-less 发布机构 cell gives way to the title's full name; a real cell stays
    cell = {"title": "丽水市人民政府关于下达任务的通知", "issuer": "市政府"}
    resolve_fields(cell, "正文", defaults={})
    assert cell["issuer"] == "丽水市人民政府"
    table = {"title": "关于印发办法的通知", "issuer": "国资委"}
    resolve_fields(table, BODY.replace("国资委", "财政部"), defaults={"issuer": "国务院国资委"})
    assert table["issuer"] == "国资委"
    # the posting office is the last resort
    bare = {"title": "关于印发办法的通知"}
    assert resolve_fields(bare, "正文", defaults={}, posting_office="环资司")["issuer"] == \
        "posting office"


def test_attachment_formats_and_why_text_is_not_extracted(tmp_path):
    hanweb = "http://www.lishui.gov.cn/module/download/downfile.jsp?classid=0&filename=ab12.pdf"
    assert is_attachment_url(hanweb) and extraction_plan(hanweb)["format"] == ".pdf"
    assert not is_attachment_url("http://www.lishui.gov.cn/art/2023/10/23/art_1_2.html?x=1")
    wps = extraction_plan("https://www.miit.gov.cn/cms_files/attach/20269/1c39.wps")
    assert wps == {"format": ".wps", "extraction":
                   "not_extracted: WPS Writer (Kingsoft) file: no text extractor for this format"}
    stored = store_file(tmp_path, b"\xd0\xcf\x11\xe0 wps bytes", "https://www.miit.gov.cn/a.wps", None)
    assert stored.status.startswith("not_extracted: WPS Writer") and stored.text is None


def test_spider_check_on_demo_pages_and_api_answers():
    content = SiteContent(120, 0)
    doc = next(d for d in content.documents if "sasac.gov.cn" in d.url)
    check = check_detail("sasac", content.pages[key_of(doc.url)].body, url=doc.url)
    assert check.fields["title"] == doc.title
    assert "扫一扫" not in check.text and check.hints["furniture_lines"] >= 5
    assert check.selectors["body"] == {"selector": ".zsy_comain", "hits": 1}
    url = ("https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_bm&q=&timetype=timezd"
           "&mintime=1949-10-01&maxtime=2030-12-31&sort=pubtime&sortType=1&searchfield=title&p=1&n=20")
    answer = content.govcn_api({"t": ["zhengcelibrary_bm"], "p": ["1"], "n": ["20"],
                                "timetype": ["timezd"], "mintime": ["1949-10-01"],
                                "maxtime": ["2030-12-31"]}).body
    api = check_api("govcn", answer, url=url)
    assert len(api.items) == 20 and api.items[0]["hints"]["library"] == "国务院部门文件"
    assert len(api.next_requests) == 1 and "&p=2&" in api.next_requests[0]
    with pytest.raises(UserError, match="reads no search API"):
        check_api("sasac", b"{}")


def test_crawl_check_cli_api_response(tmp_path):
    from zhengce.crawler.cli import crawl

    content = SiteContent(120, 0)
    answer = tmp_path / "answer.json"
    answer.write_bytes(content.govcn_api({"t": ["zhengcelibrary_gw"], "p": ["1"], "n": ["20"]}).body)
    result = CliRunner().invoke(crawl, ["check", "--spider", "govcn", "--api-response",
                                        str(answer), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"items", "next_requests", "pages"} and report["items"]
    result = CliRunner().invoke(crawl, ["check", "--spider", "govcn"])
    assert isinstance(result.exception, UserError)
    assert "give either --page FILE or --api-response FILE" in str(result.exception)
