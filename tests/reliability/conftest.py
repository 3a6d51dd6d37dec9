"""Shared helpers of the reliability suites (issue 13): loads in forked children (killed at a
chosen write point, or run side by side), the comparable state of a store, and the CLI run
in-process with its exit status and stderr."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from zhengce.corpus import ingest, writelock
from zhengce.corpus.fts import segment_for_index
from zhengce.corpus.tag import tag_fields

CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "重庆", "天津", "苏州"]
THINGS = ["出口退税", "集成电路", "节能减排", "安全生产", "农村金融", "技术改造", "对外贸易", "人才引进",
          "环境保护", "食品安全"]


def corpus_lines(n: int = 120) -> list[str]:
    """JSONL lines: n documents, plus an identical repeat, a conflicting duplicate id, records
    the ingest rejects (empty text, text as a list, a lone surrogate) and a broken JSON line."""
    lines = []
    for i in range(n):
        city, thing = CITIES[i % len(CITIES)], THINGS[(i // len(CITIES)) % len(THINGS)]
        title = f"{city}市人民政府关于加强{thing}工作的第{i}号通知"
        text = (f"为进一步做好{city}市{thing}工作，现就有关事项通知如下。一、提高认识。"
                f"二、落实责任，编号{i * 7919}。三、加强督查。")
        lines.append(json.dumps({"id": f"d{i}", "title": title, "text": text}, ensure_ascii=False))
    lines.append(lines[3])  # the same record again: unchanged
    lines.append(json.dumps({"id": "d5", "title": "改过的标题", "text": "另一份正文，内容不同。"},
                            ensure_ascii=False))  # conflicting duplicate id: rejected
    lines.append(json.dumps({"id": "e1", "title": "空", "text": "   "}, ensure_ascii=False))
    lines.append(json.dumps({"id": "e2", "title": "列表", "text": ["a", "b"]}, ensure_ascii=False))
    lines.append('{"id": "e3", "title": "代理", "text": "\\ud800 孤立代理"}')
    lines.append('{"id": "e4", "title": ')
    return lines


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def warm() -> None:
    """Load the gazetteer and the segmenter here, so forked children inherit them."""
    tag_fields({"title": "国务院关于加强工业管理的通知", "text": "测试", "issuer": "国务院"})
    segment_for_index("测试文本")


def load_in_child(db: Path, source: Path, *, kill_at: int | None = None, log: Path | None = None,
                  bulk_min: int = 40, batch: int = 25, jobs: int = 1) -> int:
    """Fork, load ``source`` into ``db`` (small batches, bulk indexing from ``bulk_min``
    records), return the child's raw wait status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            writelock._write_count = 0
            os.environ.pop(writelock.KILL_AT_ENV, None)
            os.environ.pop(writelock.WRITE_LOG_ENV, None)
            if kill_at:
                os.environ[writelock.KILL_AT_ENV] = str(kill_at)
            if log:
                os.environ[writelock.WRITE_LOG_ENV] = str(log)
            ingest.BULK_INDEX_MIN_RECORDS = bulk_min
            ingest.BATCH_SIZE = batch
            from zhengce.corpus.loaders import load_path
            from zhengce.corpus.store import Store

            with Store.open(db) as store:
                load_path(store, source, progress=False, n_jobs=jobs, source="fuzz")
        except BaseException as exc:  # noqa: BLE001 - reported through the exit status
            print(f"child failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def killed(status: int) -> bool:
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def exited_ok(status: int) -> bool:
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def fts_ok(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("insert into search_index_fts(search_index_fts) values ('integrity-check')")
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.rollback()
    return True


def unsearchable(conn: sqlite3.Connection) -> list[str]:
    """doc_ids whose segmented title, searched as a phrase, does not find the document."""
    missing = []
    for rowid, doc_id, title in conn.execute("select rowid, doc_id, title from search_index"):
        phrase = '"' + title.replace('"', '""') + '"'
        hits = {r[0] for r in conn.execute(
            "select rowid from search_index_fts where search_index_fts match ?", [phrase])}
        if rowid not in hits:
            missing.append(doc_id)
    return missing


def store_state(db: Path) -> dict:
    """What a load must leave, independent of how many runs it took."""
    conn = sqlite3.connect(db)
    try:
        return {
            "documents": sorted(conn.execute(
                "select doc_id, source, source_id, title, text_hash, repost_of, issuer_raw, year "
                "from documents")),
            "sources": sorted(conn.execute(
                "select doc_id, source, source_id, relation from document_sources")),
            "raw": sorted(conn.execute("select raw_id from raw_records")),
            "rejects": sorted(conn.execute("select stage, source, record_ref, reason, payload "
                                           "from rejects")),
            "near": sorted(conn.execute("select doc_id, similar_doc_id from near_duplicates")),
            "sectors": sorted(conn.execute("select doc_id, sector_code from document_sectors")),
            "search_index": sorted(conn.execute("select rowid, doc_id, title from search_index")),
            "triggers": sorted(conn.execute(
                "select name from sqlite_master where type = 'trigger'")),
            "meta": sorted(conn.execute("select key from zhengce_meta")),
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def warmed():
    warm()


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """``zhengce ARGS`` in this process: (exit status, stdout, stderr)."""
    from zhengce.cli import main

    capsys.readouterr()
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
