"""The real LawRefBook corpus: every record stored, with level, region and a date for >= 95%."""

from __future__ import annotations

import pytest

from zhengce.corpus.loaders import load_path
from zhengce.corpus.stats import corpus_stats
from zhengce.corpus.store import Store


@pytest.fixture(scope="module")
def lawrefbook_store(lawrefbook_path, tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("lrb") / "lrb.db")
    report = load_path(store, lawrefbook_path, progress=False)
    yield store, report
    store.close()


def test_all_records_stored_and_tagged(lawrefbook_store):
    store, report = lawrefbook_store
    assert (report.seen, report.stored, report.rejected) == (3284, 3284, 0)
    n = store.count("documents")
    assert n == 3284
    with_level = store.count("documents", "level in ('central', 'provincial', 'local')")
    with_region = store.count("documents", "level = 'central' or province_code is not null")
    with_date = store.count("documents", "coalesce(issued_date, published_date, effective_date) is not null")
    assert with_level / n >= 0.95 and with_region / n >= 0.95 and with_date / n >= 0.95


def test_known_documents(lawrefbook_store):
    store, _ = lawrefbook_store
    row = next(store.db.query("select * from documents where source_id = ?",
                              ["行政法规/金融违法行为处罚办法(1999-02-22).md"]))
    assert (row["level"], row["issued_date"], row["doc_number"]) == ("central", "1999-02-22", "国务院令第260号")
    assert row["effect_level"] == "行政法规"
    row = next(store.db.query("select * from documents where title = '宁波市宗教活动场所管理办法'"))
    assert (row["level"], row["prefecture_code"], row["province_code"]) == ("local", "330200", "330000")
    assert row["effect_level"] == "地方性法规"


def test_reload_is_idempotent_and_stats_by_decade(lawrefbook_store, lawrefbook_path):
    store, _ = lawrefbook_store
    again = load_path(store, lawrefbook_path, progress=False)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 3284)
    stats = corpus_stats(store)
    table = stats.by_level_decade
    assert int(table.loc["total", "total"]) == 3284
    assert {"central", "provincial", "local"} <= set(table.columns)
    assert "1990s" in table.index and "2010s" in table.index
