"""The topics stage end to end on the demo corpus: the planted strategy mixtures are recovered,
the stage is deterministic, and changing the model never re-segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhengce.corpus.demo import write_demo_corpus
from zhengce.corpus.loaders import load_path
from zhengce.corpus.store import Store
from zhengce.nlp.topics.stage import TopicsConfig, run_topics

CATEGORIES = ["directive", "developmental", "regulatory"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo_corpus(folder / "src", n_documents=600, random_state=0)
    store = Store.open(folder / "demo.db")
    load_path(store, folder / "src" / "documents.jsonl", mapping="demo", progress=False)
    yield store, pd.read_csv(folder / "src" / "truth.csv"), folder
    store.close()


def _cell_means(store, truth, run_id):
    """Mean recovered and planted (realised clause) shares per level × year."""
    rows = store.db.execute(
        "select d.source_id, s.category, s.share from strategy_shares s "
        "join documents d using (doc_id) where s.run_id = ?", [run_id]).fetchall()
    shares = pd.DataFrame(rows, columns=["source_id", "category", "share"])
    wide = shares.pivot_table(index="source_id", columns="category", values="share").reset_index()
    # cells are the planted level × year (a few demo documents carry no parseable date)
    merged = wide.merge(truth[["source_id", "level", "year"] + [f"share_{c}" for c in CATEGORIES]],
                        on="source_id")
    grouped = merged.groupby(["level", "year"])
    recovered = grouped[CATEGORIES].mean()
    planted = grouped[[f"share_{c}" for c in CATEGORIES]].mean()
    planted.columns = CATEGORIES
    return recovered, planted, len(merged)


@pytest.mark.parametrize("model", ["seeded_lda", "dmr"])
def test_planted_mixtures_are_recovered(demo, model):
    store, truth, folder = demo
    result = run_topics(store, TopicsConfig(model=model, ldavis=False, out_dir=str(folder / "topics")))
    recovered, planted, n = _cell_means(store, truth, result.run_ids[0])
    assert n == 600
    for category in CATEGORIES:
        r = np.corrcoef(recovered[category], planted[category])[0, 1]
        assert r >= 0.9, f"{model}: {category} recovered vs planted r = {r:.3f} per level × year"
    if model == "dmr":  # pooled over the three strategies, too
        pooled = np.corrcoef(recovered.to_numpy().ravel(), planted.to_numpy().ravel())[0, 1]
        assert pooled >= 0.9
    # the transparent dictionary measure agrees with the topic measure
    assert all(v > 0.5 for v in result.correlations.values())


def test_same_seed_same_matrix_and_no_resegmenting(demo):
    store, _, folder = demo
    config = TopicsConfig(model="seeded_lda", ldavis=True, out_dir=str(folder / "det"), passes=5,
                          iterations=50)
    first = run_topics(store, config)
    second = run_topics(store, config)
    assert second.segmented == 0

    def matrix(run_id):
        return np.array(store.db.execute("select weight from doc_topics where run_id = ? "
                                         "order by doc_id, topic", [run_id]).fetchall())

    a, b = matrix(first.run_ids[0]), matrix(second.run_ids[0])
    assert a.shape[0] > 0 and np.array_equal(a, b)
    sums = store.db.execute("select doc_id, sum(weight) from doc_topics where run_id = ? group by doc_id",
                            [first.run_ids[0]]).fetchall()
    assert max(abs(s - 1.0) for _, s in sums) < 1e-9
    manifest = store.db.execute("select manifest, summary from runs where run_id = ?",
                                [first.run_ids[0]]).fetchone()
    assert '"dictionary"' in manifest[0] and '"random_state": 0' in manifest[0]
    html = open(__import__("json").loads(manifest[1])["ldavis_path"], encoding="utf-8").read()
    assert "<script src=\"http" not in html
    # the manifest also lies beside the run's files (issue 15: a manifest for every stage)
    on_disk = __import__("json").loads((folder / "det" / first.run_ids[0] / "manifest.json").read_text("utf-8"))
    assert on_disk["run_id"] == first.run_ids[0] and on_disk["params"]["model"] == "seeded_lda"
    assert on_disk["database"] == str(store.path) and "dictionary" in on_disk["inputs"]


def test_planted_post_2001_shifts_through_the_analysis(demo):
    """Pipeline output → trajectories: the planted shifts have the right sign per level and
    their 95% intervals exclude zero (planted post − pre: central regulatory +0.20, provincial
    developmental +0.18, local directive +0.15)."""
    from zhengce.analysis.data import load_strategy_data
    from zhengce.analysis.trajectories import compute_trajectories, pre_post

    store, _, folder = demo
    result = run_topics(store, TopicsConfig(model="dmr", ldavis=False, out_dir=str(folder / "pp")))
    data = load_strategy_data(store, [result.run_ids[0]], measure="topics")
    contrasts = pre_post(compute_trajectories(data, n_boot=300, random_state=0))
    group = contrasts.columns[0]
    for level, category in (("central", "regulatory"), ("provincial", "developmental"),
                            ("local", "directive")):
        row = contrasts[(contrasts[group] == level) & (contrasts["category"] == category)].iloc[0]
        assert row["diff"] > 0.05, f"{level} {category}: post − pre = {row['diff']:.3f}"
        assert row["ci_low"] > 0, f"{level} {category}: interval [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def test_the_shipped_default_config_file_is_every_default():
    """nlp/topics_default.yaml (named in the CLI help) lists every setting at its default."""
    import dataclasses
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[2] / "nlp" / "topics_default.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(data) == {f.name for f in dataclasses.fields(TopicsConfig)}
    assert TopicsConfig.load(path) == TopicsConfig()


def test_traditional_characters_are_converted_when_t2s_is_set(tmp_path):
    """A config with ``t2s: true`` is accepted and segments 外商投資 as 外商投资 (stored text unchanged)."""
    import json

    from zhengce.corpus.loaders import load_path
    from zhengce.corpus.store import Store

    config_file = tmp_path / "topics.yaml"
    config_file.write_text("t2s: true\nmodel: lda\nn_topics: 2\nno_below: 1\nno_above: 1.0\n"
                           "passes: 1\niterations: 5\nldavis: false\n", encoding="utf-8")
    config = TopicsConfig.load(config_file, out_dir=str(tmp_path / "topics"))
    assert config.t2s is True
    texts = ["關於擴大外商投資企業進口的通知。外商投資企業可以享受稅收優惠。",
             "关于促进外商投资的意见。外商投资项目按照规定办理。",
             "國務院關於鼓勵外商投資的規定。"]
    texts = [f"{text}第{i}號。" for i, text in enumerate(texts * 4)]   # 12 distinct documents
    rows = tmp_path / "docs.jsonl"
    rows.write_text("".join(json.dumps({"id": str(i), "title": f"文件{i}", "text": text,
                                        "issuer": "国务院", "issued_date": "2010-01-01"},
                                       ensure_ascii=False) + "\n"
                            for i, text in enumerate(texts)),
                    encoding="utf-8")
    with Store.open(tmp_path / "t.db") as store:
        load_path(store, rows, n_jobs=1)
        run_topics(store, config)
        (normalizer_config,) = [json.loads(c)["normalizer"]["params"]["t2s"]
                                for (c,) in store.db.execute("select config from segmenter_configs")]
        assert normalizer_config is True
        tokens = [t for (row,) in store.db.execute("select tokens from tokens order by doc_id")
                  for t in row.split()]
        assert "外商投资" in tokens and "外商投資" not in tokens
        stored = [t for (t,) in store.db.execute("select text from documents order by doc_id")]
        assert sorted(stored) == sorted(texts)
