"""Issue 13, fault injection: a load SIGKILLed at >= 30 distinct write/commit points.

The kill is the test-only hook of :mod:`zhengce.corpus.writelock` (``ZHENGCE_TEST_KILL_AT=N``:
SIGKILL just before the N-th write statement the process sends, BEGIN and COMMIT included).
After each kill: the database opens (repairing what the kill left, loudly), FTS5's
integrity-check passes, and a reload ends with exactly the rows of an uninterrupted load — no
record lost, none twice, no duplicate reject, every document searchable.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from zhengce.corpus.store import Store

from .conftest import (corpus_lines, exited_ok, fts_ok, killed, load_in_child, store_state,
                       unsearchable, write_jsonl)

N_POINTS = 36
FIGURES: dict[str, int] = {}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, warmed):
    """An uninterrupted load, the write log of its statements, and the state it leaves."""
    root = tmp_path_factory.mktemp("fault")
    source = write_jsonl(root / "docs.jsonl", corpus_lines(120))
    db = root / "reference.db"
    log = root / "writes.log"
    assert exited_ok(load_in_child(db, source, log=log))
    writes = [line.split("\t", 1) for line in log.read_text("utf-8").splitlines()]
    return source, store_state(db), writes


def kill_points(writes: list[list[str]]) -> list[int]:
    """Every step of the index's suspend/restore (and the statements around them), then an
    even spread over the transaction boundaries and the other statements."""
    total = len(writes)
    index = {int(n) for n, sql in writes
             if sql.split()[0].upper() == "DROP" or "rebuild" in sql or "zhengce_meta" in sql
             or "TRIGGER" in sql.upper()}
    index |= {n + d for n in index for d in (-1, 1) if 1 <= n + d <= total}
    boundaries = sorted(int(n) for n, sql in writes
                        if sql.split()[0].upper() in ("BEGIN", "COMMIT", "CREATE"))
    spread = set(boundaries[:: max(len(boundaries) // N_POINTS, 1)])
    spread |= set(range(1, total + 1, max(total // N_POINTS, 1))) | {total}
    return sorted(index | spread)


def test_the_reference_load_is_what_it_should_be(reference):
    _, state, writes = reference
    assert len(state["documents"]) == 120
    assert len(state["search_index"]) == 120
    assert state["triggers"] == [("search_index_ad",), ("search_index_ai",), ("search_index_au",)]
    reasons = [r[3] for r in state["rejects"]]
    assert len(reasons) == 5
    assert any(r.startswith("conflicting duplicate: id 'd5'") for r in reasons)
    assert any("lone surrogate U+D800" in r for r in reasons)
    assert any("'text' is a list" in r for r in reasons)
    assert len(writes) >= 100  # enough distinct points to kill at


@pytest.mark.slow
def test_sigkill_at_every_kind_of_write_point_loses_nothing(reference, tmp_path, capsys):
    source, expected, writes = reference
    points = kill_points(writes)
    assert len(points) >= 30
    repaired = 0
    for n in points:
        db = tmp_path / f"kill{n}.db"
        status = load_in_child(db, source, kill_at=n)
        assert killed(status), f"write point {n} ({writes[n - 1][1]}): the child was not killed"
        if db.exists():
            capsys.readouterr()
            with Store.open(db) as store:  # opens: repairs what the kill left
                assert fts_ok(store.db.conn), f"kill at {n}: FTS integrity-check fails after open"
                assert store.count("runs", "status = 'running'") == 0
            repaired += "zhengce:" in capsys.readouterr().err
        assert exited_ok(load_in_child(db, source)), f"kill at {n}: the reload failed"
        conn = sqlite3.connect(db)
        assert fts_ok(conn), f"kill at {n}: FTS integrity-check fails after the reload"
        assert unsearchable(conn) == [], f"kill at {n}: documents missing from search"
        conn.close()
        got = store_state(db)
        for key, rows in expected.items():
            assert got[key] == rows, f"kill at {n} ({writes[n - 1][1]}): {key} differs"
    FIGURES.update(points=len(points), repaired_loudly=repaired)
    assert repaired >= 1  # some kill left something to repair, and it said so


@pytest.mark.slow
def test_a_killed_cli_load_is_recovered_by_the_next_command(reference, tmp_path):
    """The real command line, killed by the hook: the next command opens the database, marks
    the run interrupted, and the reload completes the corpus."""
    source, expected, writes = reference
    bulk = next(int(n) for n, sql in writes if sql.upper().startswith("DROP"))
    db = tmp_path / "cli.db"
    env_script = (
        "import sys; from zhengce.corpus import ingest; ingest.BULK_INDEX_MIN_RECORDS = 40; "
        "ingest.BATCH_SIZE = 25; from zhengce.cli import main; main(sys.argv[1:])")
    import os

    env = {**os.environ, "ZHENGCE_TEST_KILL_AT": str(bulk + 40)}
    args = [sys.executable, "-c", env_script, "load", str(source), "--db", str(db), "--jobs", "1",
            "--no-progress", "--source", "fuzz"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9
    env.pop("ZHENGCE_TEST_KILL_AT")
    proc = subprocess.run([sys.executable, "-c", env_script, "runs", "--db", str(db)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "interrupted" in proc.stdout
    assert "marked 1 run(s) interrupted" in proc.stderr
    assert "full-text index suspended by a bulk load that did not finish" in proc.stderr
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = store_state(db)
    for key, rows in expected.items():
        assert got[key] == rows, key


def test_half_done_states_left_by_the_old_code_are_repaired_at_open(tmp_path, capsys, warmed):
    """What the pre-issue-13 suspend/restore left when killed between its commits: the marker
    with every trigger back (then `trigger "search_index_ai" already exists` broke every later
    command), the marker with some triggers back, and a trigger missing with no marker."""
    from zhengce.corpus.ingest import Ingestor, SourceRecord

    db = tmp_path / "old.db"
    with Store.open(db) as store:
        Ingestor(store, n_jobs=1).ingest(
            (SourceRecord(source="s", source_id=str(i), payload=b"{}",
                          fields={"title": f"关于第{i}号的通知", "text": f"加强出口退税管理，编号{i}。"})
             for i in range(20)), "s")
    states = {
        "marker, all triggers back": ("insert into zhengce_meta values ('fts_triggers_suspended', '[]')",),
        "marker, one trigger back": ("insert into zhengce_meta values ('fts_triggers_suspended', '[]')",
                                     "drop trigger search_index_ad", "drop trigger search_index_au",
                                     "delete from search_index_fts where rowid = 3"),
        "no marker, a trigger missing": ("drop trigger search_index_au",),
    }
    for name, statements in states.items():
        conn = sqlite3.connect(db)
        for sql in statements:
            conn.execute(sql)
        conn.commit()
        conn.close()
        capsys.readouterr()
        with Store.open(db) as store:
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "full-text index" in err and "rebuilt it from 20 rows" in err, name
            assert fts_ok(store.db.conn), name
            assert unsearchable(store.db.conn) == [], name
            assert store.count("zhengce_meta", "key = 'fts_triggers_suspended'") == 0
            assert len(store.db.execute("select name from sqlite_master where type = 'trigger'").fetchall()) == 3
        with Store.open(db):  # and the next open has nothing left to say
            assert capsys.readouterr().err == ""
