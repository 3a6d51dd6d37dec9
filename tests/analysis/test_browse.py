"""Datasette browsing: views linking documents to strategy shares, metadata, and the server."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from zhengce.analysis.browse import browse_metadata, create_views, prepare_browse, start_datasette


@pytest.fixture
def browse_store(tmp_path, insert_documents, add_topic_run, mixture):
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path / "corpus.db")
    insert_documents(store, [{"doc_id": "a", "level": "central", "year": 2003, "title": "甲"},
                             {"doc_id": "b", "level": "local", "year": 1999, "title": "乙"},
                             {"doc_id": "c", "level": "local", "year": 2005, "title": "丙"}])
    add_topic_run(store, {"a": mixture(0.9, 0.05), "b": mixture(0.9, 0.05), "c": mixture(0.9, 0.05)})
    latest = add_topic_run(store, {"a": mixture(0.5), "b": mixture(0.2), "c": mixture(0.3, 0.3)},
                           params={"n_topics": 4, "random_state": 9})
    store.db["doc_topics"].insert_all([{"run_id": latest, "doc_id": "a", "topic": 0, "weight": 0.6},
                                       {"run_id": latest, "doc_id": "a", "topic": 1, "weight": 0.4}])
    store.db["topics"].insert_all([{"run_id": latest, "topic": 0, "label": "标准", "category": "regulatory"},
                                   {"run_id": latest, "topic": 1, "label": "淘汰", "category": "directive"}])
    yield store, latest
    store.close()


def test_views_pivot_the_latest_run(browse_store):
    store, latest = browse_store
    assert create_views(store) == ["document_strategies", "document_topics"]
    rows = list(store.db.query("select doc_id, level, run_id, directive, developmental, regulatory, "
                               "other from document_strategies order by doc_id"))
    assert [r["doc_id"] for r in rows] == ["a", "b", "c"]
    assert all(r["run_id"] == latest for r in rows)
    assert [r["regulatory"] for r in rows] == pytest.approx([0.5, 0.2, 0.3])
    assert [r["directive"] for r in rows] == pytest.approx([0.4, 0.7, 0.4])
    topics = list(store.db.query("select doc_id, topic, label, category, weight from document_topics "
                                 "order by topic"))
    assert [(t["doc_id"], t["topic"], t["label"], t["weight"]) for t in topics] == [
        ("a", 0, "标准", 0.6), ("a", 1, "淘汰", 0.4)]
    assert create_views(store) == ["document_strategies", "document_topics"]   # idempotent


def test_metadata_extends_the_corpus_metadata(browse_store, tmp_path):
    store, _ = browse_store
    path = prepare_browse(store, tmp_path / "browse")
    meta = json.loads(path.read_text(encoding="utf-8"))
    db = meta["databases"]["corpus"]
    assert db["tables"]["documents"]["facets"] == ["level", "province", "year", "agency_id", "doc_type"]
    assert db["tables"]["documents"]["fts_table"] == "search_index_fts"
    assert db["tables"]["document_strategies"]["facets"] == ["level", "year", "province"]
    assert set(db["queries"]) == {"strategies_of_document", "typical_documents",
                                  "prevalence_by_level_year", "topics_of_document"}
    assert db["tables"]["document_topics"]["facets"] == ["topic", "category"]
    rows = store.db.execute(db["queries"]["prevalence_by_level_year"]["sql"]).fetchall()
    assert rows[0][:3] == ("central", 2003, 1) and rows[0][5] == pytest.approx(0.5)
    assert browse_metadata(store)["databases"]["corpus"]["queries"] == db["queries"]


def _need_datasette():
    try:
        import datasette  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("datasette is not installed — and CI=true, where it must be")
        pytest.skip("datasette is not installed (pip install datasette)")


def test_datasette_serves_facets_and_canned_queries(browse_store, tmp_path):
    _need_datasette()
    store, _ = browse_store
    meta = prepare_browse(store, tmp_path / "browse")
    with start_datasette(store.path, meta, log_path=tmp_path / "datasette.log") as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.url}/corpus/documents.json?_facet=level&_size=0") as resp:
            data = json.load(resp)
        facet = {r["value"]: r["count"] for r in data["facet_results"]["level"]["results"]}
        assert facet == {"local": 2, "central": 1}
        with urllib.request.urlopen(f"{server.url}/corpus/strategies_of_document.json?doc_id=c"
                                    "&_shape=objects") as resp:
            rows = json.load(resp)["rows"]
        assert len(rows) == 1 and rows[0]["developmental"] == pytest.approx(0.3)
        process = server.process
    assert process.poll() is not None   # stopped on leaving the block


def test_column_descriptions_are_collapsed_and_the_search_box_comes_first(browse_store, tmp_path):
    """Issue 15 finding 10: ~1,900 px of column descriptions stood above the search box."""
    _need_datasette()
    store, _ = browse_store
    meta_path = prepare_browse(store, tmp_path / "browse")
    documents = json.loads(meta_path.read_text("utf-8"))["databases"]["corpus"]["tables"]["documents"]
    assert "columns" not in documents
    assert documents["description_html"].count("<dt>") > 10 and "<details" in documents["description_html"]
    with start_datasette(store.path, meta_path, log_path=tmp_path / "datasette.log") as server:
        with urllib.request.urlopen(f"{server.url}/corpus/documents") as resp:
            page = resp.read().decode("utf-8")
    assert '<details class="column-descriptions">' in page and "<details open" not in page
    # nothing but the one-line description and the closed details stands above the search box
    before_search = page[page.index("<h1"):page.index('<form class="filters"')]
    assert "<dl" not in before_search.split("<details")[0]
    assert before_search.count("<dt>") == before_search.split("</details>")[0].count("<dt>")


def test_browse_killed_by_its_pid_stops_datasette(browse_store, tmp_path):
    """Issue 13 finding 10: `kill PID` (and even `kill -9 PID`) of zhengce browse stops its
    Datasette child."""
    _need_datasette()
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    store, _ = browse_store
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen([sys.executable, "-m", "zhengce", "browse", "--db", str(store.path),
                                 "--no-open", "--out", str(tmp_path / "b")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert proc.stdout.readline().startswith("showing topic run topics-")
            line = proc.stdout.readline()
            assert line.startswith("Datasette: http://127.0.0.1:"), line
            children = psutil.Process(proc.pid).children(recursive=True)
            assert children
            proc.send_signal(sig)
            proc.wait(timeout=20)
            gone, alive = psutil.wait_procs(children, timeout=15)
            assert not alive, f"{sig.name}: Datasette still serving: {alive}"
        finally:
            if proc.poll() is None:
                proc.kill()


def test_browse_views_a_chosen_run(browse_store):
    """Issue 15 finding 6: --run on browse too (the views were always the latest run)."""
    store, latest = browse_store
    first = store.db.execute("select run_id from runs where stage = 'topics' and run_id != ? ",
                             [latest]).fetchone()[0]
    create_views(store, first)
    runs = {r[0] for r in store.db.execute("select distinct run_id from document_strategies")}
    assert runs == {first}
    meta = browse_metadata(store, run_id=first)["databases"]["corpus"]
    assert meta["tables"]["document_strategies"]["title"].endswith(f"(topic run {first})")
    assert f"'{first}'" in meta["queries"]["typical_documents"]["sql"]
    with pytest.raises(Exception, match="has no strategy shares"):
        create_views(store, "nope")
    create_views(store)
    assert {r[0] for r in store.db.execute("select distinct run_id from document_strategies")} == {latest}
