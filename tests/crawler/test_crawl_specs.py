"""Site specs: the shipped ones load and match the demo site; bad specs fail naming file and key;
``zhengce crawl check`` shows what each selector extracts from a saved page."""

from __future__ import annotations

import subprocess

import pytest

from zhengce.common.errors import UserError
from zhengce.crawler.check import check_page
from zhengce.crawler.demo_site.pages import key_of
from zhengce.crawler.demo_site.portals import PROVINCE_LISTS
from zhengce.crawler.demo_site.render import SiteContent
from zhengce.crawler.sitespec import load_spec, parse_spec, shipped_specs
from crawl_helpers import REPO, zhengce_command


@pytest.fixture(scope="module")
def content():
    return SiteContent(120, 0)


def test_shipped_specs():
    assert shipped_specs() == ["anhui", "beijing", "guangdong", "jiangsu", "jiangyin", "shandong",
                               "shanghai", "sichuan", "wuxi", "zhejiang"]
    # verified only against a saved page, which the spec names: the Zhejiang prefecture page of
    # ../shared/reference/real-pages; the others' selectors come from published crawlers
    unverified = {name for name in shipped_specs() if not load_spec(name).verified}
    assert unverified == set(shipped_specs()) - {"zhejiang"}
    assert load_spec("zhejiang").verified.startswith("http://www.lishui.gov.cn/art/2023/10/23/")
    assert load_spec("jiangyin").encoding == "gbk"
    assert load_spec("zhejiang").defaults == {"level": "provincial", "province": "浙江省"}
    # the demo site lists each province where its spec starts
    for name, url in PROVINCE_LISTS.items():
        assert load_spec(name).start_urls == (url,)


def _write(tmp_path, name: str, body: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """\
name: mysite
start_urls: [http://www.example.gov.cn/list.html]
list: {item: "ul.list li", link: "a::attr(href)"}
detail: {body: "div.content"}
"""


@pytest.mark.parametrize("change, message", [
    (("detail: {body: \"div.content\"}", "detail: {title: h1}"),
     "detail.body: missing: a selector of the element holding the text"),
    (("ul.list li", "ul.list li["), "list.item: invalid selector 'ul.list li['"),
    (("detail:", "colour: red\ndetail:"), "colour: unknown key; allowed here: name, title"),
    (("name: mysite", "name: other"), "name: 'other' differs from the file name 'mysite'"),
    (("detail:", "defaults: {level: national}\ndetail:"),
     "defaults.level: 'national' must be one of central, provincial, local"),
    (("detail:", "pagination: {template: index.html, until_empty: true}\ndetail:"),
     "pagination.template: must contain {page} (1-based) or {index}"),
    (("detail: {body: \"div.content\"}", "detail: {body: div.content, fields: {author: h1}}"),
     "detail.fields.author: not a field zhengce stores"),
    (("detail:", "encoding: klingon\ndetail:"), "encoding: 'klingon' is not an encoding"),
    (("detail:", "verified: true\ndetail:"),
     "verified: true says nothing about what was checked: name the saved page"),
])
def test_bad_specs_name_the_file_and_the_key(tmp_path, change, message):
    path = _write(tmp_path, "mysite", GOOD.replace(*change))
    with pytest.raises(UserError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_a_minimal_spec_loads(tmp_path):
    spec = load_spec(_write(tmp_path, "mysite", GOOD))
    assert (spec.name, spec.list_item, spec.detail_body, spec.verified) == (
        "mysite", "ul.list li", "div.content", False)
    with pytest.raises(UserError, match="no site spec named 'nosuch'"):
        load_spec("nosuch")
    with pytest.raises(UserError, match="a site spec must be a mapping"):
        parse_spec(["x"], "inline")


def test_check_a_list_and_a_detail_page(content):
    docs = [d for d in content.documents if d.province == "浙江省" and d.site_kind == "province"]
    listing = content.pages[key_of(PROVINCE_LISTS["zhejiang"])].body
    report = check_page("zhejiang", listing)
    assert report.kind == "list" and report.problems == []
    assert f"list.item  div.xzgfx_list_item.cf: {len(docs)} items" in report.lines
    first = docs[0]
    assert f"  [1] link  span.xzgfx_list_title2 a::attr(href): {first.url}" in report.lines
    detail = check_page("zhejiang", content.pages[key_of(first.url)].body)
    assert detail.kind == "detail" and detail.problems == []
    assert f"      issuer: {first.issuer}" in detail.lines
    assert any(line.startswith("detail.body  div#zoom, div.zoom: ") for line in detail.lines)
    # the wrong spec for the page: every selector misses
    wrong = check_page("guangdong", content.pages[key_of(first.url)].body, kind="detail")
    assert "detail.body 'div.zw' found no text" in wrong.problems


def test_check_command(content, tmp_path):
    county = [d for d in content.documents if d.site_kind == "county"][0]
    page = tmp_path / "county.html"
    page.write_bytes(content.pages[key_of(county.url)].body)   # GBK, no charset
    ok = subprocess.run(zhengce_command("crawl", "check", "jiangyin", "--page", str(page)),
                        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "page decoded as gb18030; checked as a detail page" in ok.stdout
    assert f"detail.title  h1.art_tit::text | title::text: {county.title}" in ok.stdout
    bad = subprocess.run(zhengce_command("crawl", "check", "wuxi", "--page", str(page)),
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    # (decoded right all the same: not UTF-8, so GB18030) but the selectors find nothing
    assert "2 problem(s): detail.body 'div#Zoom' found no text; detail.labels " \
           "'div.table01 table td' found no cells" in bad.stderr
