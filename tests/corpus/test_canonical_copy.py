"""Which copy of a reposted text is the document does not depend on arrival order.

Three sites publish the same text (the province on 3 March, a city on 10 March, a county on
5 March); a fourth repost adds a source line (a near duplicate, stored on its own). Whatever
the order in which they arrive — in one batch, in several batches, in separate loads — the
store ends the same: the province's copy is the document, the others are its provenance."""

from __future__ import annotations

import itertools
import json

import pytest

from zhengce.corpus.ingest import Ingestor, make_doc_id, record_from_json
from zhengce.corpus.search import search
from zhengce.corpus.store import Store

BODY = ("为贯彻落实国家产业政策，加快汽车产业结构调整，推动兼并重组，提高产业集中度，"
        "现就有关事项通知如下：一、严格控制新建整车项目，淘汰落后产能。二、支持汽车零部件企业"
        "技术改造，对符合条件的项目给予贴息。三、加强产品质量监督检查，依法查处违法违规行为。") * 3
TITLE = "浙江省人民政府关于促进汽车产业健康发展的通知"
COPIES = {  # source: (source_id, published_date, text)
    "zhejiang": ("zj-1", "2019-03-03", BODY),
    "hangzhou": ("hz-7", "2019-03-10", BODY.replace("。", "。\n")),  # same text, other breaks
    "xihu": ("xh-2", "2019-03-05", BODY),
}
NEAR = ("ningbo", "nb-4", "2019-03-06", "转发单位：宁波市人民政府办公厅\n" + BODY)


def _record(source, source_id, published, text):
    fields = {"title": TITLE, "text": text, "published_date": published,
              "issuer": "浙江省人民政府"}
    return record_from_json(source, source_id, {"id": source_id, **fields}, fields)


def _records(order):
    out = [_record(s, *COPIES[s]) for s in order]
    return out


def _state(store: Store) -> dict:
    q = lambda sql: sorted(tuple(r) for r in store.db.execute(sql).fetchall())  # noqa: E731
    return {
        "documents": q("select doc_id, source, source_id, published_date, repost_of, text_hash "
                       "from documents"),
        "sources": q("select doc_id, source, source_id, relation from document_sources"),
        "near": q("select doc_id, similar_doc_id, method from near_duplicates"),
        "index": q("select doc_id from search_index"),
        "minhash": q("select doc_id from minhash"),
        "sectors": q("select doc_id, sector_code from document_sectors"),
    }


def _ingest(store, records, batch_size):
    with store.run("load", {"source": "mixed"}) as run:
        return Ingestor(store, run=run, batch_size=batch_size, n_jobs=1).ingest(records, "mixed")


PROVINCE = make_doc_id("zhejiang", "zj-1")


@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_the_earliest_published_copy_is_the_document_in_any_order(batch_size):
    states = {}
    for order in itertools.permutations(COPIES):
        store = Store.memory()
        near = _record(*NEAR)
        _ingest(store, [*_records(order[:2]), near, *_records(order[2:])], batch_size)
        states[order] = _state(store)
        store.close()
    first = states[("zhejiang", "hangzhou", "xihu")]
    assert all(s == first for s in states.values()), \
        {o: s for o, s in states.items() if s != first}
    docs = {row[1]: row for row in first["documents"]}
    assert sorted(docs) == ["ningbo", "zhejiang"]
    assert docs["zhejiang"][:4] == (PROVINCE, "zhejiang", "zj-1", "2019-03-03")
    ningbo = make_doc_id("ningbo", "nb-4")
    assert docs["ningbo"][4] == PROVINCE  # the near-duplicate repost names the document
    assert first["sources"] == sorted([
        (PROVINCE, "zhejiang", "zj-1", "original"), (PROVINCE, "hangzhou", "hz-7", "duplicate"),
        (PROVINCE, "xihu", "xh-2", "duplicate"), (ningbo, "ningbo", "nb-4", "original")])
    assert first["index"] == sorted([(PROVINCE,), (ningbo,)])
    assert first["minhash"] == first["index"]


def test_an_earlier_copy_in_a_later_load_takes_the_place_of_the_stored_one():
    store = Store.memory()
    city = make_doc_id("hangzhou", "hz-7")
    _ingest(store, _records(["hangzhou"]), 500)
    # later stages' rows and a near-duplicate flag that name the stored copy follow it
    store.db.execute("insert into tokens (doc_id, config_hash, tokens, n_tokens, text_hash) "
                     "values (?, 'cfg', '[\"汽车\"]', 1, 'h')", [city])
    _ingest(store, [_record(*NEAR)], 500)
    ningbo = make_doc_id("ningbo", "nb-4")
    # Ningbo's repost (6 March) came after the city's copy but was published before it
    assert store.db.execute("select doc_id, repost_of from documents order by doc_id").fetchall() \
        == sorted([(ningbo, None), (city, ningbo)])
    report = _ingest(store, _records(["zhejiang"]), 500)
    assert (report.stored, report.duplicates, report.replaced) == (1, 0, 1)
    assert "earlier copies that took a stored document's place 1" in report.line()
    assert store.db.execute("select doc_id from documents where source != 'ningbo'").fetchall() \
        == [(PROVINCE,)]
    assert store.db.execute("select doc_id, source, relation from document_sources "
                            "where source != 'ningbo' order by source").fetchall() == \
        [(PROVINCE, "hangzhou", "duplicate"), (PROVINCE, "zhejiang", "original")]
    assert store.db.execute("select doc_id from tokens").fetchall() == [(PROVINCE,)]
    assert store.db.execute("select repost_of from documents where doc_id = ?",
                            [ningbo]).fetchone() == (PROVINCE,)
    assert store.db.execute("select doc_id, similar_doc_id from near_duplicates").fetchall() == \
        [(ningbo, PROVINCE)]
    hits = search(store, "汽车零部件")
    assert (hits.total, sorted(h["doc_id"] for h in hits.rows)) == (2, sorted([PROVINCE, ningbo]))
    # the city's record read again is unchanged; a later copy is a duplicate
    again = _ingest(store, _records(["hangzhou", "xihu"]), 500)
    assert (again.unchanged, again.duplicates, again.stored, again.replaced) == (1, 1, 0, 0)
    store.close()


def test_near_duplicate_flags_do_not_depend_on_arrival_order():
    # three reposts of one text, each with its own source line, and a same-source twin: each
    # names the most similar copy published before it (ties: the earliest)
    records = [
        _record("ningbo", "nb-4", "2019-03-06", "转发单位：宁波市人民政府办公厅\n" + BODY),
        _record("wenzhou", "wz-1", "2019-03-04", "转发单位：温州市人民政府办公厅\n" + BODY),
        _record("wenzhou", "wz-9", "2019-03-08", "转发单位：温州市人民政府办公厅\n" + BODY),
        _record("zhejiang", "zj-1", "2019-03-03", BODY),
    ]
    states = set()
    for batch_size in (1, 500):
        for order in itertools.permutations(records):
            store = Store.memory()
            _ingest(store, list(order), batch_size)
            states.add(json.dumps(_state(store), sort_keys=True))
            store.close()
    assert len(states) == 1
    state = json.loads(states.pop())
    province, wz1, wz9, ningbo = (make_doc_id(*k) for k in [("zhejiang", "zj-1"),
                                  ("wenzhou", "wz-1"), ("wenzhou", "wz-9"), ("ningbo", "nb-4")])
    repost_of = {row[0]: row[4] for row in state["documents"]}
    # Ningbo's copy is as close to the province's text as to Wenzhou's (MinHash estimate
    # 55/64 both; the two source lines share 转发单位 and 人民政府办公厅): the earlier wins
    assert repost_of == {province: None, wz1: province, wz9: wz1, ningbo: province}
    assert [tuple(r) for r in state["near"] if r[0] == wz9] == \
        [(wz9, wz1, "identical text (same source)")]
