"""Issue 13: worker processes die with their parent (``kill -9`` of a parallel load leaves no
orphan), and a run whose process is gone is marked ``interrupted`` at the next open."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

from zhengce.common.parallel import LocalExecutor
from zhengce.corpus.store import Store


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left to collect


def test_workers_die_when_their_parent_is_killed():
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the parent of the workers
        with LocalExecutor(2, what="test") as executor:
            list(executor.map(time.sleep, [60] * 4))
        os._exit(0)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.05)
        workers = _children(pid)
    assert len(workers) == 2, workers
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "orphaned workers still running"


def test_a_run_whose_process_is_gone_is_marked_interrupted(tmp_path, capsys):
    db = tmp_path / "runs.db"
    Store.open(db).close()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a stage killed in the middle of its run
        store = Store.open(db)
        with store.run("topics", {"k": 5}):
            os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(pid, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchall() == [("running",)]
    capsys.readouterr()
    with Store.open(db) as store:
        row = store.db.execute("select status, finished_at, summary from runs").fetchone()
    assert row[0] == "interrupted" and row[1]
    assert "interrupted: the process ended" in json.loads(row[2])["error"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "marked 1 run(s) interrupted whose process is gone: topics run" in err
    # and a run still going in another process is left alone
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        with Store.open(db) as store, store.run("load"):
            time.sleep(2)
        os._exit(0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            if conn.execute("select count(*) from runs where status = 'running'").fetchone()[0]:
                break
        time.sleep(0.02)
    with Store.open(db) as store:
        assert store.count("runs", "status = 'running'") == 1
    os.waitpid(pid, 0)
    with sqlite3.connect(db) as conn:
        assert sorted(r[0] for r in conn.execute("select status from runs")) == ["interrupted", "ok"]
