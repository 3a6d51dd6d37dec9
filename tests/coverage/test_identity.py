"""Cross-source identity: same 发文字号 + issuer + date + similar text = one document."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys

from coverage_helpers import numbered_record
from zhengce.corpus.coverage import sequence_coverage
from zhengce.corpus.identity import canonical_ids, match_sources, record_identity
from zhengce.corpus.ingest import ingest_records
from zhengce.corpus.store import Store


def _variant(record, source, *, text=None, issued=None):
    fields = dict(record.fields)
    fields["text"] = text or f"来源：{source}\n" + fields["text"]
    if issued:
        fields["issued_date"] = issued
    return dataclasses.replace(record, source=source, fields=fields,
                               payload=fields["text"].encode("utf-8"))


def _build(path, *, reverse=False):
    govcn = [numbered_record("govcn", "国发", 2005, n) for n in (1, 2, 3, 4)]
    pkulaw = [_variant(govcn[0], "pkulaw"), _variant(govcn[1], "pkulaw"),
              # same number, another date: a different document (or a misparse), not matched
              _variant(govcn[2], "pkulaw", issued="2005-11-30"),
              # same number and date, unrelated text: not matched
              _variant(govcn[3], "pkulaw", text="关于做好冬季供暖工作的紧急通知。" * 20),
              numbered_record("pkulaw", "国发", 2005, 6)]
    loads = [(govcn, "govcn"), (pkulaw, "pkulaw")]
    with Store.open(path) as store:
        for records, source in (loads[::-1] if reverse else loads):
            ingest_records(store, records, source=source, progress=False, n_jobs=1)


def test_the_canonical_copy_does_not_depend_on_load_order(tmp_path):
    # the two copies of 国发〔2005〕1号 and 2号 share their dates: the tie goes to the source
    # name (govcn < pkulaw), not to whichever was loaded first
    for reverse in (False, True):
        path = tmp_path / f"order-{reverse}.db"
        _build(path, reverse=reverse)
        with Store.open(path) as store:
            matches = match_sources(store.db.conn)
        assert sorted(zip(matches["doc_number"], matches["canonical_source"])) == \
            [("国发〔2005〕1号", "govcn"), ("国发〔2005〕2号", "govcn")]


def test_matches_only_same_number_issuer_date_and_text(tmp_path):
    path = tmp_path / "two.db"
    _build(path)
    with Store.open(path) as store:
        matches = match_sources(store.db.conn)
        assert sorted(matches["doc_number"]) == ["国发〔2005〕1号", "国发〔2005〕2号"]
        assert set(matches["source"]) == {"pkulaw"} and set(matches["canonical_source"]) == {"govcn"}
        assert (matches["similarity"] >= 0.5).all()
        assert record_identity(store.db, matches) == 2
        assert record_identity(store.db, matches) == 0  # idempotent
        rows = store.db.execute("select d.doc_number, s.source from document_sources s join "
                                "documents d on d.doc_id = s.doc_id where s.relation = "
                                "'same_document'").fetchall()
        assert sorted(rows) == [("国发〔2005〕1号", "pkulaw"), ("国发〔2005〕2号", "pkulaw")]
        assert len(canonical_ids(store.db.conn)) == 2
        assert store.count("documents") == 9  # nothing merged or deleted
        series = sequence_coverage(store.db.conn).series.iloc[0]
    assert series["n_documents"] == 7  # 9 documents, two of them the same as another
    assert series["n_seen"] == 5 and series["gaps"] == "5"
    assert series["sources"] == "govcn,pkulaw" and series["estimator"] == "chapman"


def test_command_identify(tmp_path):
    path = tmp_path / "two.db"
    _build(path)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "zhengce", "coverage", "--db", str(path),
                          "--identify", "--out", str(out)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "2 documents matched" in run.stdout
    assert (out / "coverage_identity.csv").exists()
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from document_sources where relation = 'same_document'"
                        ).fetchone() == (2,)
