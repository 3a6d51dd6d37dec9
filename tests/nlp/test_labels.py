"""Topic labels, word scores, strategy shares, the store output and the offline pyLDAvis page.

The word-score tests use a literal 2 × 4 β matrix whose expected values were computed by hand:

    β = [[0.40, 0.35, 0.20, 0.05],      column sums 0.90, 0.40, 0.25, 0.45
         [0.50, 0.05, 0.05, 0.40]]

exclusivity row 0 = [0.444, 0.875, 0.800, 0.111] → ECDF ranks [2, 4, 3, 1] / 4
frequency   row 0 ranks [4, 3, 2, 1] / 4
FREX (w = 0.5) row 0 = [1/(0.5/1 + 0.5/0.5), 1/(0.5/0.75 + 0.5/1), 1/(0.5/0.5 + 0.5/0.75),
                        1/(0.5/0.25 + 0.5/0.25)] = [2/3, 6/7, 3/5, 1/4]
exclusivity row 1 = [0.556, 0.125, 0.200, 0.889] → ranks [3, 1, 2, 4] / 4
frequency   row 1 ranks [4, 1.5, 1.5, 3] / 4 (tie averaged)
FREX row 1 = [6/7, 1/(0.5/0.375 + 0.5/0.25), 1/(0.5/0.375 + 0.5/0.5), 6/7] = [6/7, 3/10, 3/7, 6/7]
word counts [50, 20, 10, 20] → p = [0.5, 0.2, 0.1, 0.2]; lift = β / p.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.corpora import Dictionary

from zhengce.common.errors import UserError
from zhengce.nlp.topics.labels import (frex, kwic, label_model, label_topics, lift, read_label_overrides,
                        representative_docs, save_topic_run, score_topics, stm_exclusivity,
                        strategy_shares, topic_table, write_label_file)
from zhengce.nlp.topics.ldavis import ldavis_payload, write_ldavis
from zhengce.nlp.topics.models import SeededLdaModel

PHI = np.array([[0.40, 0.35, 0.20, 0.05],
                [0.50, 0.05, 0.05, 0.40]])
VOCAB = ["a", "b", "c", "d"]
COUNTS = [50, 20, 10, 20]


def test_frex_on_a_literal_matrix():
    expected = [[2 / 3, 6 / 7, 3 / 5, 1 / 4],
                [6 / 7, 3 / 10, 3 / 7, 6 / 7]]
    assert np.allclose(frex(PHI, w=0.5), expected)
    # w = 1 is the frequency ECDF alone, w = 0 the exclusivity ECDF alone
    assert np.allclose(frex(PHI, w=1.0), [[1, 0.75, 0.5, 0.25], [1, 0.375, 0.375, 0.75]])
    assert np.allclose(frex(PHI, w=0.0), [[0.5, 1, 0.75, 0.25], [0.75, 0.25, 0.5, 1]])


def test_lift_on_a_literal_matrix():
    assert np.allclose(lift(PHI, COUNTS), [[0.8, 1.75, 2.0, 0.25], [1.0, 0.25, 0.5, 2.0]])


def test_stm_exclusivity_on_a_literal_matrix():
    # top-2 words by probability: topic 0 a, b; topic 1 a, d. FREX with 0.7 on exclusivity:
    # 1 / (0.7 / excl_rank + 0.3 / freq_rank)
    expected = [1 / (0.7 / 0.5 + 0.3 / 1) + 1 / (0.7 / 1 + 0.3 / 0.75),
                1 / (0.7 / 0.75 + 0.3 / 1) + 1 / (0.7 / 1 + 0.3 / 0.75)]
    assert np.allclose(stm_exclusivity(PHI, n=2), expected)


def test_topic_table_lists():
    table = topic_table(PHI, VOCAB, COUNTS, doc_topic=[[0.2, 0.8], [0.6, 0.4]], n=2,
                        lift_min_count=0)
    assert table["top_words"].tolist() == [["a", "b"], ["a", "d"]]
    assert table["frex"].tolist() == [["b", "a"], ["a", "d"]]  # a, d tie at 6/7: id order
    assert table["lift"].tolist() == [["c", "b"], ["d", "a"]]
    assert np.allclose(table["prevalence"], [0.4, 0.6])
    # 'c' (10 tokens) is too rare for the lift list at lift_min_count = 15
    rare_cut = topic_table(PHI, VOCAB, COUNTS, n=2, lift_min_count=15)
    assert rare_cut["lift"].tolist() == [["b", "a"], ["d", "a"]]


def test_scheme_scores_and_proposed_labels():
    seeds = {"x": ["a"], "y": ["d", "zz"]}
    mass = score_topics(PHI, VOCAB, seeds, method="mass")
    assert np.allclose(mass["x"], [0.4, 0.5]) and np.allclose(mass["y"], [0.05, 0.4])
    assert mass.attrs["missing_seeds"] == {"y": ["zz"]}
    labels = label_topics(PHI, VOCAB, seeds, threshold=0.3)
    assert labels["category"].tolist() == ["x", "x"]
    assert np.allclose(labels["score"], [0.4, 0.5])
    assert labels["runner_up"].tolist() == ["y", "y"]
    assert labels["source"].tolist() == ["scored", "scored"]
    # below the threshold: 'other' (its best score still shown)
    labels = label_topics(PHI, VOCAB, seeds, threshold=0.45)
    assert labels["category"].tolist() == ["other", "x"]
    assert np.allclose(labels["score"], [0.4, 0.5])
    # a seeded topic keeps its category whatever the scores say
    labels = label_topics(PHI, VOCAB, seeds, topic_labels={0: "free", 1: "y"}, threshold=0.3)
    assert labels["category"].tolist() == ["x", "y"]
    assert labels["source"].tolist() == ["scored", "seeded"]
    assert np.allclose(labels["score"], [0.4, 0.4])
    # FREX share of the top-2 FREX words: topic 0 [b, a] → x 1/2; topic 1 [a, d] → x = y = 1/2,
    # a tie, so 'other'
    share = label_topics(PHI, VOCAB, seeds, method="frex_share", top_n=2, threshold=0.25)
    assert np.allclose(share["score_x"], [0.5, 0.5]) and np.allclose(share["score_y"], [0.0, 0.5])
    assert share["category"].tolist() == ["x", "other"]


def test_label_override_files(tmp_path):
    seeds = {"directive": ["a"], "regulatory": ["d"]}
    yaml_file = tmp_path / "labels.yaml"
    yaml_file.write_text("1: regulatory\n0: {category: directive, label: 产能淘汰}\n", encoding="utf-8")
    labels = label_topics(PHI, VOCAB, seeds, threshold=0.99, overrides=yaml_file)
    assert labels["category"].tolist() == ["directive", "regulatory"]
    assert labels["label"].tolist() == ["产能淘汰", "regulatory"]
    assert labels["source"].tolist() == ["override", "override"]

    proposed = label_topics(PHI, VOCAB, seeds, threshold=0.3)
    csv_file = write_label_file(proposed, tmp_path / "labels.csv",
                                table=topic_table(PHI, VOCAB, COUNTS, n=2))
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "topic,category,label,proposed,score,source,top_words,frex"
    assert lines[1] == "0,,,directive,0.4000,scored,a b,b a"
    # the researcher fills in topic 1 only; topic 0 keeps its proposal
    lines[2] = "1,other,boilerplate" + lines[2][len("1,,"):]
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = label_topics(PHI, VOCAB, seeds, threshold=0.3, overrides=csv_file)
    assert edited["category"].tolist() == ["directive", "other"]
    assert edited["label"].tolist() == ["directive", "boilerplate"]
    assert edited["source"].tolist() == ["scored", "override"]


def test_bad_override_files_are_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("5: directive\n", encoding="utf-8")
    with pytest.raises(UserError, match="topic 5 does not exist"):
        read_label_overrides(bad, n_topics=2, categories=["directive"])
    bad.write_text("0: industrial\n", encoding="utf-8")
    with pytest.raises(UserError, match="category 'industrial'; use one of directive, other"):
        read_label_overrides(bad, n_topics=2, categories=["directive"])
    dup = tmp_path / "dup.csv"
    dup.write_text("topic,category\n0,directive\n0,other\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 3: topic 0 appears twice"):
        read_label_overrides(dup, n_topics=2, categories=["directive"])
    with pytest.raises(UserError, match="does not exist"):
        read_label_overrides(tmp_path / "nope.csv", n_topics=2, categories=["directive"])


def test_strategy_shares_on_a_literal_matrix():
    theta = np.array([[0.2, 0.5, 0.3],
                      [0.6, 0.1, 0.3]])
    shares = strategy_shares(theta, {0: "directive", 1: "regulatory", 2: "free"},
                             categories=["directive", "developmental", "regulatory"],
                             doc_ids=["d1", "d2"])
    assert list(shares.columns) == ["directive", "developmental", "regulatory", "other"]
    assert list(shares.index) == ["d1", "d2"]
    assert np.allclose(shares.to_numpy(), [[0.2, 0.0, 0.5, 0.3], [0.6, 0.0, 0.1, 0.3]])
    assert np.allclose(shares.sum(axis=1), 1.0)
    # two topics of one category add up; default columns in order of first appearance
    shares = strategy_shares(theta, ["regulatory", "directive", "regulatory"])
    assert list(shares.columns) == ["regulatory", "directive", "other"]
    assert np.allclose(shares.to_numpy(), [[0.5, 0.5, 0.0], [0.9, 0.1, 0.0]])
    with pytest.raises(UserError, match=r"missing \[2\]"):
        strategy_shares(theta, {0: "directive", 1: "other"})
    with pytest.raises(UserError, match="not in categories"):
        strategy_shares(theta, ["directive", "x", "other"], categories=["directive"])
    with pytest.raises(UserError, match="sum to 1"):
        strategy_shares(theta * 2, ["directive", "x", "other"])


def test_kwic_and_representative_documents():
    text = "本办法所称淘汰落后产能，是指依法关停。各地要严格淘汰。"
    assert kwic(text, ["淘汰", "淘汰落后产能", "关停"], window=3) == [
        "…法所称【淘汰落后产能】，是指…", "…指依法【关停】。各地…", "…要严格【淘汰】。"]
    assert kwic(text, ["淘汰"], window=2, max_snippets=1) == ["…所称【淘汰】落后…"]
    theta = np.array([[0.1, 0.9], [0.7, 0.3], [0.7, 0.3], [0.2, 0.8]])
    texts = {"a": "无关", "b": "严格执行淘汰制度", "c": "标准", "d": "淘汰"}
    reps = representative_docs(theta, 0, n=2, doc_ids=["a", "b", "c", "d"], get_text=texts.get,
                               keywords=["淘汰"], window=2)
    assert reps["doc_id"].tolist() == ["b", "c"]  # tie at 0.7 keeps corpus order
    assert reps["doc_index"].tolist() == [1, 2]
    assert reps["weight"].tolist() == [0.7, 0.7]
    assert reps["snippets"].tolist() == [["…执行【淘汰】制度"], []]
    with pytest.raises(UserError, match="topic 2 does not exist"):
        representative_docs(theta, 2)


# ---------------------------------------------------------------------------------------------
# With a fitted model: store output and pyLDAvis
# ---------------------------------------------------------------------------------------------

BLOCKS = {
    "directive": ["淘汰", "关停", "审批", "指标", "下达", "配额", "计划", "限产", "核准", "调拨"],
    "developmental": ["补贴", "扶持", "奖励", "贴息", "减免", "专项资金", "培育", "园区", "研发",
                      "高新技术"],
    "regulatory": ["标准", "检验", "认证", "监督", "执法", "处罚", "罚款", "公平竞争", "备案", "计量"],
}


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    names = list(BLOCKS)
    texts = [[str(w) for w in rng.choice(BLOCKS[names[d % 3]], size=40)] for d in range(60)]
    dictionary = Dictionary(texts)
    corpus = [dictionary.doc2bow(t) for t in texts]
    model = SeededLdaModel({"directive": ["淘汰"], "developmental": ["补贴"]}, 1, passes=20,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(corpus, dictionary)
    return model, corpus, dictionary, texts


def test_label_model_scores_the_free_topic(fitted):
    model, _, _, _ = fitted
    scheme = {"directive": ["淘汰", "审批"], "developmental": ["补贴"], "regulatory": ["标准", "检验"]}
    labels = label_model(model, scheme)
    assert labels["category"].tolist() == ["directive", "developmental", "regulatory"]
    assert labels["source"].tolist() == ["seeded", "seeded", "scored"]
    # the free topic's mass on 标准 + 检验 is about 2 of its 10 equally likely words
    assert labels.loc[2, "score"] == pytest.approx(0.2, abs=0.03)


def test_save_topic_run_writes_three_tables(fitted, store):
    model, _, _, _ = fitted
    scheme = {"directive": ["淘汰"], "developmental": ["补贴"], "regulatory": ["标准", "检验"]}
    labels = label_model(model, scheme)
    doc_ids = [f"doc{d:02d}" for d in range(60)]
    with store.run("topics", params=model.get_params(), packages=["gensim"]) as run:
        counts = save_topic_run(store, run, model, doc_ids, labels, model.vocabulary_)
        save_topic_run(store, run, model, doc_ids, labels)  # re-running replaces, no duplicates
    assert counts == {"doc_topics": 180, "topics": 3, "strategy_shares": 240}
    db = store.db
    assert db["doc_topics"].count == 180 and db["strategy_shares"].count == 240
    sums = db.execute("select doc_id, sum(weight) from doc_topics group by doc_id").fetchall()
    assert len(sums) == 60 and all(abs(s - 1) < 1e-9 for _, s in sums)
    share_sums = db.execute("select sum(share) from strategy_shares group by doc_id").fetchall()
    assert all(abs(s - 1) < 1e-9 for (s,) in share_sums)
    rows = list(db.query("select * from topics order by topic"))
    assert [r["category"] for r in rows] == ["directive", "developmental", "regulatory"]
    assert [r["source"] for r in rows] == ["seeded", "seeded", "scored"]
    assert all(r["run_id"] == run.run_id for r in rows)
    assert json.loads(rows[0]["top_words"])[:1] == [model.top_words(1)[0][0]]
    assert len(json.loads(rows[0]["frex"])) == 20
    weight = db.execute("select weight from doc_topics where doc_id = 'doc04' and topic = 1"
                        ).fetchone()[0]
    assert weight == float(model.doc_topic_[4, 1])
    summary = json.loads(store.db["runs"].get(run.run_id)["summary"])
    assert summary["model"]["model"] == "SeededLdaModel"
    assert summary["rows"] == counts
    with pytest.raises(UserError, match="doc_ids has 2 entries"):
        save_topic_run(store, run, model, ["a", "b"], labels)


def test_ldavis_page_is_offline_and_keeps_topic_ids(fitted, tmp_path):
    model, corpus, dictionary, _ = fitted
    path = write_ldavis(model, corpus, dictionary, tmp_path / "vis" / "topics.html", R=10)
    page = path.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]*\bsrc\s*=", page) is None
    assert re.search(r"<link[^>]*\bhref\s*=", page) is None
    assert "https://cdn" not in page and "d3js.org/d3" not in page
    assert "// https://d3js.org v5.16.0" in page  # d3 inlined (its licence comment)
    assert "var LDAvis = function" in page  # LDAvis inlined
    data = ldavis_payload(page)
    assert data["topic.order"] == [1, 2, 3]
    assert data["mdsDat"]["topics"] == [1, 2, 3]
    tinfo = pd.DataFrame(data["tinfo"])
    for k in range(3):
        rows = tinfo[tinfo["Category"] == f"Topic{k + 1}"]
        assert rows.sort_values("logprob", ascending=False)["Term"].iloc[0] == model.top_words(1)[k][0]
    lengths = np.array([sum(c for _, c in d) for d in corpus])
    token_share = 100 * (model.doc_topic_ * lengths[:, None]).sum(axis=0) / lengths.sum()
    assert np.allclose(data["mdsDat"]["Freq"], token_share)
    assert "<td>1</td><td>0</td><td>directive</td>" in page
    assert "<td>3</td><td>2</td><td>free</td>" in page
    with pytest.raises(UserError, match="doc_topic has shape"):
        write_ldavis(model, corpus[:10], dictionary, tmp_path / "x.html")
    # without the corpus the model's own fit counts give the same page
    again = write_ldavis(model, None, dictionary, tmp_path / "vis" / "again.html", R=10)
    assert ldavis_payload(again.read_text(encoding="utf-8")) == data
    with pytest.raises(UserError, match="pass the corpus"):
        write_ldavis(model, None, dictionary, tmp_path / "y.html", doc_topic=model.doc_topic_)
