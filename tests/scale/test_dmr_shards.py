"""The shard path of the topics stage against ``make topics``: seeded DMR trained on a stratified
sample, the held-out documents inferred in joint runs on a real Dask cluster (two workers on
127.0.0.1), labels and strategy shares imported into the store. The shares must equal the store
path's to the last bit, and the report must build from the imported run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from zhengce.common.errors import UserError
from zhengce.corpus import shards as sh
from zhengce.corpus.store import Store
from zhengce.nlp import distributed as dist
from zhengce.nlp.scheme import load_scheme
from zhengce.nlp.shard_dmr import DmrInferStage, train_topics_from_shards
from zhengce.nlp.shard_import import import_topic_run
from zhengce.nlp.topics.stage import TopicsConfig, run_topics

from scale_corpus import fill_store
from test_dask import HAVE_DASK, cluster  # noqa: F401  (the module-scoped cluster fixture)

pytestmark = [pytest.mark.dask,
              pytest.mark.skipif(not HAVE_DASK, reason="dask and distributed are not installed: "
                                 "pip install 'zhengce[scale]'")]

N = 64   # d000 (no tokens) + 63 documents: two level cells of 31/32, 40 trained, 23 inferred


def _config(out) -> TopicsConfig:
    return TopicsConfig(model="dmr", n_free_topics=1, dmr_iterations=40, dmr_tol=None,
                        dmr_max_train_docs=20, dmr_infer_iterations=10, dmr_infer_batch=4,
                        no_below=1, no_above=1.0, ldavis=False, out_dir=str(out), n_jobs=1)


def _shares(store: Store, run_id: str):
    rows = store.db.execute("select doc_id, category, share from strategy_shares where run_id = ? "
                            "order by doc_id, category", [run_id]).fetchall()
    return [r[:2] for r in rows], np.array([r[2] for r in rows])


def test_shard_dmr_on_dask_gives_the_store_paths_strategy_shares(cluster, tmp_path):  # noqa: F811
    from zhengce.analysis.report import build_report

    store = Store.open(tmp_path / "corpus.db")
    fill_store(store, N)
    with store.db.conn:
        store.db.conn.execute("update documents set level = case when cast(substr(doc_id, 2) as "
                              "integer) % 2 = 0 then 'central' else 'provincial' end, year = 2005")
    config = _config(tmp_path / "store_out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_topics(store, config)
    store_run = result.run_ids[0]

    root = tmp_path / "shards"
    address = cluster["address"]
    sh.export_documents(store, root, rows=5)
    dist.run_parallel_stage(dist.SegmentStage(), root, scheduler=address)
    dist.build_dictionary_from_shards(root, no_below=config.no_below, no_above=config.no_above,
                                      keep_n=config.keep_n,
                                      keep_tokens=load_scheme(config.scheme).terms(),
                                      scheduler=address)
    dist.run_parallel_stage(dist.BowStage(root / "dictionary.gensim"), root, scheduler=address)
    shard_config = _config(tmp_path / "shard_out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train_topics_from_shards(root, store, shard_config, tmp_path / "model")
    assert model.n_train_docs_ == 40 and not model.trained_rows_.all()
    with pytest.raises(UserError, match="has no doc_topics shards: run zhengce shards infer"):
        import_topic_run(store, root, tmp_path / "model")
    infer = dist.run_parallel_stage(DmrInferStage(tmp_path / "model", root), root,
                                    scheduler=address)
    assert {int(w.rsplit(":", 1)[1]) for w in infer.workers} <= cluster["worker_pids"]
    assert infer.summary["inferred"] >= 23   # runs crossing a shard boundary count twice
    imported = import_topic_run(store, root, tmp_path / "model")

    keys, store_shares = _shares(store, store_run)
    shard_keys, shard_shares = _shares(store, imported["run_id"])
    assert shard_keys == keys and len(keys) == (N - 1) * 4
    # bit-identical: same sample, same sampler, same joint runs, same θ
    assert np.array_equal(shard_shares, store_shares)
    theta = [store.db.execute("select weight from doc_topics where run_id = ? order by doc_id, "
                              "topic", [r]).fetchall() for r in (store_run, imported["run_id"])]
    assert theta[0] == theta[1]
    assert imported["correlations"] == result.correlations

    report = build_report(store, tmp_path / "report", run_id=imported["run_id"], n_boot=20,
                          n_draws=5, min_docs=1)
    assert report.is_file() and report.stat().st_size > 0
    store.close()


def test_the_shards_commands_run_make_topics_dmr_and_import_its_run(tmp_path):
    """zhengce shards dictionary/train/infer/import with the topics config of make topics, on
    local processes: the imported run has the store path's shares, bit for bit."""
    import dataclasses

    import yaml
    from click.testing import CliRunner

    from zhengce.nlp.cli import shards

    db = tmp_path / "corpus.db"
    store = Store.open(db)
    fill_store(store, N)
    with store.db.conn:
        store.db.conn.execute("update documents set level = case when cast(substr(doc_id, 2) as "
                              "integer) % 3 = 0 then 'central' else 'local' end, year = case when "
                              "cast(substr(doc_id, 2) as integer) < 30 then 1999 else 2008 end")
    config = _config(tmp_path / "store_out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store_run = run_topics(store, config).run_ids[0]
    root = tmp_path / "shards"
    sh.export_documents(store, root, rows=7)
    store.close()
    config_file = tmp_path / "topics.yaml"
    config_file.write_text(yaml.safe_dump(dataclasses.asdict(_config(tmp_path / "shard_out"))),
                           encoding="utf-8")
    runner = CliRunner()
    for args in (["segment", str(root), "--config", str(config_file), "--jobs", "1"],
                 ["dictionary", str(root), "--config", str(config_file), "--jobs", "1"],
                 ["bow", str(root), "--jobs", "1"],
                 ["train", str(root), "--model", "dmr", "--config", str(config_file),
                  "--db", str(db), "--out", str(tmp_path / "dmr")],
                 ["infer", str(root), "--model", str(tmp_path / "dmr"), "--jobs", "2"],
                 ["import", str(root), "--db", str(db), "--model", str(tmp_path / "dmr")]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = runner.invoke(shards, args)
        assert res.exit_code == 0, (args, res.output, res.exception)
        if args[0] == "train":   # four cells of 10-22 documents: each keeps min(size, 20)
            assert "dmr: K=4 on 63 documents, 2 to infer" in res.output
    assert res.output.startswith("topic run ")
    run_id = res.output.split()[2]
    store = Store.open(db)
    keys, store_shares = _shares(store, store_run)
    shard_keys, shard_shares = _shares(store, run_id)
    assert shard_keys == keys and np.array_equal(shard_shares, store_shares)
    store.close()


def test_seeded_lda_on_shards_gives_the_store_paths_shares(tmp_path):
    """--model seeded_lda: gensim fits the streamed bow shards of the same corpus, so θ (the
    fit's own) and the shares are the store path's."""
    store = Store.open(tmp_path / "corpus.db")
    fill_store(store, N)
    config = TopicsConfig(model="seeded_lda", n_free_topics=1, passes=3, iterations=30,
                          no_below=1, no_above=1.0, ldavis=False, out_dir=str(tmp_path / "a"),
                          n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store_run = run_topics(store, config).run_ids[0]
        root = tmp_path / "shards"
        sh.export_documents(store, root, rows=9)
        dist.run_parallel_stage(dist.SegmentStage(), root, n_jobs=1)
        dist.build_dictionary_from_shards(root, no_below=1, no_above=1.0, keep_n=config.keep_n,
                                          keep_tokens=load_scheme(None).terms(), n_jobs=1)
        dist.run_parallel_stage(dist.BowStage(root / "dictionary.gensim"), root, n_jobs=1)
        train_topics_from_shards(root, store, config, tmp_path / "lda")
        imported = import_topic_run(store, root, tmp_path / "lda", out_dir=tmp_path / "b")
    keys, store_shares = _shares(store, store_run)
    shard_keys, shard_shares = _shares(store, imported["run_id"])
    assert shard_keys == keys and np.array_equal(shard_shares, store_shares)
    store.close()
