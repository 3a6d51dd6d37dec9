"""Choosing K: the metrics on literal inputs, and search_k on a corpus with three true topics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.corpora import Dictionary

from zhengce.common.errors import UserError
from zhengce.nlp.topics.models import LdaTopicModel, SeededDmrModel
from zhengce.nlp.topics.selection import (COLUMNS, RULE, heldout_log_likelihood, match_topics, recommend_k,
                           search_k, split_documents, topic_stability)

BLOCKS = [["淘汰", "关停", "审批", "指标", "下达", "配额", "计划", "限产", "核准", "调拨"],
          ["补贴", "扶持", "奖励", "贴息", "减免", "专项资金", "培育", "园区", "研发", "高新技术"],
          ["标准", "检验", "认证", "监督", "执法", "处罚", "罚款", "公平竞争", "备案", "计量"]]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    texts = [[str(w) for w in rng.choice(BLOCKS[d % 3], size=40)] for d in range(120)]
    dictionary = Dictionary(texts)
    corpus = [dictionary.doc2bow(t) for t in texts]
    covariates = pd.DataFrame({"level": ["central" if d % 2 else "local" for d in range(120)]})
    return texts, corpus, dictionary, covariates


class FixedModel:
    """Stands in for a fitted model: fixed θ for every document, fixed β."""

    def __init__(self, theta, phi):
        self.theta = np.asarray(theta, dtype=float)
        self.topic_word_ = np.asarray(phi, dtype=float)

    def transform(self, corpus, covariates=None):
        return np.tile(self.theta, (len(corpus), 1))


def test_document_completion_on_literal_numbers():
    model = FixedModel([0.8, 0.2], [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    split = ([[(0, 1)]], [[(1, 1), (2, 1)]], 1)
    # p(word 1) = 0.8 · 0.5 = 0.4, p(word 2) = 0.2 · 0.5 = 0.1
    expected = (math.log(0.4) + math.log(0.1)) / 2
    assert heldout_log_likelihood(model, None, split=split) == pytest.approx(expected)


def test_split_documents_halves_every_document():
    observed, evaluated, n_scored = split_documents([[(0, 3), (1, 1)], [(2, 5)], [(3, 1)]],
                                                    np.random.default_rng(0))
    assert [sum(c for _, c in d) for d in observed] == [2, 3, 1]
    assert [sum(c for _, c in d) for d in evaluated] == [2, 2, 0]
    assert n_scored == 2  # a one-token document cannot be scored
    merged = {}
    for doc in observed[0] + evaluated[0]:
        merged[doc[0]] = merged.get(doc[0], 0) + doc[1]
    assert merged == {0: 3, 1: 1}


def test_hungarian_matching_and_stability():
    phi = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    match, cos = match_topics(phi, phi[[2, 0, 1]])
    assert match.tolist() == [1, 2, 0]
    assert np.allclose(cos, 1.0)
    assert topic_stability([phi, phi[[2, 0, 1]]], top_n=1) == pytest.approx((1.0, 1.0))
    cos_mean, jac_mean = topic_stability([phi])
    assert math.isnan(cos_mean) and math.isnan(jac_mean)


def test_recommendation_rule_on_a_literal_table():
    table = pd.DataFrame({"k": [2, 3, 4], "heldout_ll": [-3.0, -2.5, -2.45],
                          "heldout_ll_se": [0.01, 0.02, 0.1], "c_npmi": [0.1, 0.3, 0.2]})
    # best held-out K=4 (-2.45, SE 0.1): K=3 (-2.5) is within one SE and more coherent
    assert recommend_k(table) == 3
    table.loc[2, "heldout_ll_se"] = 0.01  # now only K=4 is within one SE
    assert recommend_k(table) == 4
    table.loc[:, "heldout_ll_se"] = 1.0
    table.loc[:, "c_npmi"] = 0.3  # all eligible and tied: the smaller K
    assert recommend_k(table) == 2


def test_search_k_finds_three_topics(data):
    texts, corpus, dictionary, covariates = data
    lines: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = search_k(corpus, dictionary, [2, 3, 5],
                         lambda k, seed: SeededDmrModel(None, k, cell_columns=["level"],
                                                        iterations=100, random_state=seed),
                         n_seeds=2, holdout_fraction=0.2, random_state=0,
                         covariates=covariates, texts=texts, progress=lines.append)
    assert list(table.columns) == COLUMNS
    # one progress line per fit (issue 15: progress for every model)
    assert len(lines) == 6 and lines[-1].startswith("search-k: fit 6/6 (K=5, seed ")
    assert table["k"].tolist() == [2, 3, 5]
    assert table["n_seeds"].tolist() == [2, 2, 2]
    assert table.attrs["recommended_k"] == 3
    assert table["recommended"].tolist() == [False, True, False]
    assert table.attrs["rule"] == RULE
    assert table.attrs["n_train"] == 96 and table.attrs["n_heldout"] == 24
    runs = table.attrs["runs"]
    assert len(runs) == 6 and set(runs["k"]) == {2, 3, 5}
    k3 = table.set_index("k").loc[3]
    # the true model predicts each held-out token with probability 1/10
    assert k3["heldout_ll"] == pytest.approx(math.log(0.1), abs=0.01)
    assert k3["stability_cosine"] == pytest.approx(1.0, abs=1e-3)
    assert k3["stability_jaccard"] == 1.0
    assert table.notna().all().all()


def test_search_k_with_lda_and_one_seed(data):
    _, corpus, dictionary, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = search_k(corpus, dictionary, [3, 4],
                         lambda k, seed: LdaTopicModel(k, passes=10, random_state=seed),
                         n_seeds=1, holdout_fraction=0.1, random_state=1)
    assert len(table) == 2 and table["recommended"].sum() == 1
    assert table["stability_cosine"].isna().all()  # one seed: nothing to compare
    assert (table["heldout_ll_se"] == 0).all()
    assert table.attrs["coherence_windows"] == "one window per document (bag of words)"
    assert table[["heldout_ll", "c_npmi", "c_v", "exclusivity"]].notna().all().all()


def test_search_k_rejects_bad_arguments(data):
    _, corpus, dictionary, covariates = data
    factory = lambda k, seed: LdaTopicModel(k)
    with pytest.raises(UserError, match="distinct positive"):
        search_k(corpus, dictionary, [3, 3], factory)
    with pytest.raises(UserError, match="holdout_fraction"):
        search_k(corpus, dictionary, [3], factory, holdout_fraction=1.5)
    with pytest.raises(UserError, match="has 60 rows"):
        search_k(corpus, dictionary, [3], factory, covariates=covariates.iloc[:60])
    with pytest.raises(UserError, match="one-shot"):
        search_k((d for d in corpus), dictionary, [3], factory)
