"""Real saved pages of the target sites through the spiders' own parsers (``crawl check``).

``../shared/reference/real-pages/`` holds detail pages of www.gov.cn, NDRC, MIIT, SASAC and a
Zhejiang prefecture saved by other public projects, with hand-checked values in
``expected.json``. Every page runs through :func:`crawler.spider_check.check_detail` (what
``zhengce crawl check --spider NAME --page FILE`` prints) and every expected value is asserted:
title, 发文字号, issuing authority, 成文日期, 发布日期, body length within 5 % and the number
of attachments. New pages added there are picked up without a change here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from zhengce.crawler.spider_check import check_detail

REPO = Path(__file__).resolve().parents[2]
RELATIVE = "reference/real-pages"
BODY_TOLERANCE = 0.05
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})")


def _expected_file() -> Path:
    # the same place as tests/conftest.py's shared_dir (read at collection, before fixtures)
    shared = Path(os.environ.get("ZHENGCE_SHARED", REPO.parent / "shared"))
    return shared / RELATIVE / "expected.json"


def _page_names() -> list[str]:
    path = _expected_file()
    if not path.exists():
        return ["(../shared is absent)"]
    return sorted(k for k in json.loads(path.read_text(encoding="utf-8")) if not k.startswith("_"))


@pytest.fixture(scope="module")
def real_pages(shared_dir) -> Path:
    folder = shared_dir / RELATIVE
    if not (folder / "expected.json").exists():
        pytest.fail(f"{folder}/expected.json is missing: the real-page regression set is gone")
    return folder


def iso_date(value: str | None) -> str | None:
    match = _DATE.search(value or "")
    if not match:
        return None
    return date(*(int(g) for g in match.groups())).isoformat()


def issuer_names(expected: str) -> set[str]:
    """``国务院国有资产监督管理委员会 (国资委; page prints …)`` -> the name and its short form."""
    main, _, note = expected.partition(" (")
    names = {main.strip()}
    short = note.split(";")[0].strip(" )")
    if short and re.fullmatch(r"[\u4e00-\u9fff、]+", short):
        names.add(short)
    return names


def body_length(text: str, method: str | None) -> int:
    """The body's length counted the way expected.json counted it: by default one character per
    line break between blocks (the project's body text); for the ``lxml: ' '.join(...split())``
    method, which joins table cells without a separator when the source has none, the
    characters that are not whitespace."""
    if method and method.startswith("lxml"):
        return len("".join(text.split()))
    return len(text)


def compare(expected: dict, check) -> list[tuple[str, bool, object, object]]:
    """``(field, ok, got, wanted)`` for every value expected.json gives for a page."""
    fields = check.fields
    rows: list[tuple[str, bool, object, object]] = []
    for name in ("title", "doc_number"):
        if expected.get(name) is not None:
            rows.append((name, fields.get(name) == expected[name], fields.get(name), expected[name]))
    if expected.get("issuer") is not None:
        wanted = issuer_names(expected["issuer"])
        rows.append(("issuer", fields.get("issuer") in wanted, fields.get("issuer"), wanted))
    for name in ("issued_date", "published_date"):
        want = expected.get(name)
        if want is None and name == "published_date" and expected.get("published_date_meta"):
            want = expected["published_date_meta"]
            name = "published_date (from meta)"
        if want is not None:
            got = iso_date(fields.get(name.split(" ")[0]))
            rows.append((name, got == iso_date(want), got, iso_date(want)))
    if expected.get("body_len") is not None:
        got = body_length(check.text, expected.get("body_len_method"))
        ok = abs(got - expected["body_len"]) <= BODY_TOLERANCE * expected["body_len"]
        rows.append(("body_len", ok, got, expected["body_len"]))
    if expected.get("attachments") is not None:
        got = len(check.attachments)
        rows.append(("attachments", got == expected["attachments"], got, expected["attachments"]))
    return rows


def run_page(folder: Path, name: str, expected: dict):
    url = expected.get("url") or ""
    return check_detail(expected["spider"], (folder / name).read_bytes(),
                        url=url if url.startswith("http") else None)


@pytest.mark.parametrize("name", _page_names())
def test_real_page_fields(real_pages, name):
    everything = json.loads((real_pages / "expected.json").read_text(encoding="utf-8"))
    expected = everything[name]
    check = run_page(real_pages, name, expected)
    wrong = [f"{field}: got {got!r}, expected {want!r}"
             for field, ok, got, want in compare(expected, check) if not ok]
    assert not wrong, f"{name} ({expected['spider']} spider):\n  " + "\n  ".join(wrong)


def test_real_pages_count_declared_selector_misses(real_pages):
    """The current 国务院文件 template (body in div.b12c.pages_content#UCAP-CONTENT) is read by
    the declared bd1 selectors, and the department template's mobile copy is not in the text."""
    check = check_detail("govcn", (real_pages / "govcn_gwywj_g5486_bd1_2026tpl.html").read_bytes())
    assert check.selectors["body (bd1 template)"]["hits"] == 1
    assert not check.misses
    check = check_detail("govcn", (real_pages / "govcn_bmwj_5671006_pctoubukuang.html").read_bytes())
    assert check.hints.get("duplicated_body") is None   # the declared selector takes one copy
    half = len(check.text) // 2
    assert check.text[:200] not in check.text[half:]


def test_crawl_check_cli_prints_one_json_object(real_pages):
    page = real_pages / "ndrc_tz_t20260803_1406880.html"
    result = subprocess.run([sys.executable, "-m", "zhengce", "crawl", "check", "--spider", "ndrc",
                             "--url", "https://www.ndrc.gov.cn/xxgk/zcfb/tz/202608/t20260803_1406880.html",
                             "--page", str(page), "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"fields", "text", "text_len", "attachments", "selectors"}
    assert report["fields"]["issuer"] == "国家发展改革委办公厅"
    assert report["fields"]["title"] == "国家发展改革委办公厅关于开展2026年全国生态日活动的通知"
    assert report["text_len"] == len(report["text"])
    assert report["selectors"]["body"] == {"selector": "div.article_con", "hits": 1}
