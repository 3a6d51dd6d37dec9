"""Issue 13, concurrency: two loads at once (and a load beside searches), 10 runs each.

Every run holds the database's write lock, so the second load waits for the first instead of
interleaving its bulk index rebuild; afterwards FTS5's integrity-check passes and every
document is found by a search. A writer that cannot get the lock in time fails with one line.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus import writelock
from zhengce.corpus.search import search
from zhengce.corpus.store import Store

from .conftest import (corpus_lines, exited_ok, fts_ok, load_in_child, unsearchable, write_jsonl)

RUNS = 10


@pytest.fixture(scope="module")
def sources(tmp_path_factory, warmed):
    root = tmp_path_factory.mktemp("conc")
    first = write_jsonl(root / "a.jsonl", corpus_lines(80))
    second = [json.dumps({"id": f"b{i}", "title": f"国务院关于第{i}批试点城市的批复",
                          "text": f"同意第{i}批城市开展试点，编号{i * 104729}。各地要认真组织实施。"},
                         ensure_ascii=False) for i in range(80)]
    return first, write_jsonl(root / "b.jsonl", second)


def _start(db, source):
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(os.waitstatus_to_exitcode(load_in_child(db, source)))
    return pid


@pytest.mark.parametrize("run", range(RUNS))
def test_two_loads_at_once_serialise_and_index_everything(run, sources, tmp_path):
    db = tmp_path / "two.db"
    a, b = (_start(db, source) for source in sources)
    for pid in (a, b):
        _, status = os.waitpid(pid, 0)
        assert exited_ok(status)
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from documents").fetchone()[0] == 160
    assert conn.execute("select count(*) from search_index").fetchone()[0] == 160
    assert fts_ok(conn)
    assert unsearchable(conn) == []
    assert conn.execute("select count(*) from sqlite_master where type = 'trigger'").fetchone()[0] == 3
    assert sorted(r[0] for r in conn.execute("select status from runs")) == ["ok", "ok"]
    conn.close()


@pytest.mark.parametrize("run", range(RUNS))
def test_a_load_beside_searches_leaves_a_sound_index(run, sources, tmp_path):
    db = tmp_path / "search.db"
    Store.open(db).close()
    pid = _start(db, sources[0])
    seen = 0
    with Store.open(db) as store:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            # a search during the load never repairs (or breaks) the load's suspended index
            seen = max(seen, len(search(store, "通知", limit=500).rows))
            if done:
                break
        assert exited_ok(status)
        assert len(search(store, "通知", limit=500).rows) == 80 >= seen
        assert fts_ok(store.db.conn)
        assert unsearchable(store.db.conn) == []


def test_a_writer_that_cannot_get_the_lock_fails_with_one_line(tmp_path, monkeypatch):
    db = tmp_path / "busy.db"
    Store.open(db).close()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child holds the lock for a while
        with Store.open(db) as store, store.run("load"):
            time.sleep(3)
        os._exit(0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not writelock.lock_path(db).read_text():
        time.sleep(0.02)
    monkeypatch.setenv(writelock.LOCK_WAIT_ENV, "0.2")
    with Store.open(db) as store:
        with pytest.raises(UserError) as caught:
            with store.run("retag"):
                pass
    message = str(caught.value)
    assert "\n" not in message
    assert "is being written by load (pid" in message and "ZHENGCE_LOCK_WAIT" in message
    os.waitpid(pid, 0)
