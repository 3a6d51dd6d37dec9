"""Topic models on a synthetic corpus with three topics over disjoint vocabularies.

Every document is drawn from one topic's ten words, so a correct model must put each block of ten
words in one topic (the words a topic "owns" = the words whose largest β_kv is in that topic),
and give each document almost all its weight on that topic.
"""

from __future__ import annotations

import json
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.corpora import Dictionary
from scipy.optimize import linear_sum_assignment

from zhengce.common.errors import UserError
from zhengce.nlp.topics.models import (LdaTopicModel, SeededDmrModel, SeededLdaModel, TopicModelWarning,
                        load_model)

BLOCKS = {
    "directive": ["淘汰", "关停", "审批", "指标", "下达", "配额", "计划", "限产", "核准", "调拨"],
    "developmental": ["补贴", "扶持", "奖励", "贴息", "减免", "专项资金", "培育", "园区", "研发",
                      "高新技术"],
    "regulatory": ["标准", "检验", "认证", "监督", "执法", "处罚", "罚款", "公平竞争", "备案", "计量"],
}
NAMES = list(BLOCKS)
SEEDS = {"directive": ["淘汰"], "developmental": ["补贴"], "regulatory": ["标准"]}


def synthetic(n_docs: int = 90, doc_len: int = 40, seed: int = 0, topic_of=None):
    """Token lists, BoW corpus, dictionary, true topic per document, covariates."""
    rng = np.random.default_rng(seed)
    texts, truth, rows = [], [], []
    for d in range(n_docs):
        level = "central" if d % 2 else "local"
        period = "post" if (d // 2) % 2 else "pre"
        t = d % 3 if topic_of is None else topic_of(d, level)
        texts.append([str(w) for w in rng.choice(BLOCKS[NAMES[t]], size=doc_len)])
        truth.append(t)
        rows.append({"level": level, "period": period, "year": 1995 + d % 12,
                     "sectors": ["C26"] if d % 4 == 0 else []})
    dictionary = Dictionary(texts)
    corpus = [dictionary.doc2bow(t) for t in texts]
    return texts, corpus, dictionary, np.array(truth), pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data():
    return synthetic()


def owned_blocks(model) -> list[set[str]]:
    owner = model.topic_word_.argmax(axis=0)
    return [{model.vocabulary_[v] for v in np.flatnonzero(owner == k)}
            for k in range(model.topic_word_.shape[0])]


def recovery(model, truth) -> tuple[list[float], np.ndarray, float]:
    """Hungarian-match true blocks to topics by Jaccard of owned words; return matched Jaccards,
    the topic matched to each block, and the share of documents whose top topic is their block's."""
    owned = owned_blocks(model)
    jac = np.array([[len(set(BLOCKS[n]) & o) / len(set(BLOCKS[n]) | o) for o in owned] for n in NAMES])
    rows, cols = linear_sum_assignment(-jac)
    accuracy = float(np.mean(cols[truth] == model.doc_topic_.argmax(axis=1)))
    return [float(jac[r, c]) for r, c in zip(rows, cols)], cols, accuracy


def quiet_fit(model, corpus, dictionary, covariates=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(corpus, dictionary, covariates)


MODELS = {
    "lda": lambda: LdaTopicModel(3, passes=20, iterations=100, random_state=1),
    "lda_fast": lambda: LdaTopicModel(3, passes=20, iterations=100, random_state=1, mode="fast",
                                      n_jobs=2),
    "seeded_lda": lambda: SeededLdaModel(SEEDS, 0, passes=20, iterations=100, random_state=1),
    "dmr": lambda: SeededDmrModel(None, 3, iterations=200, random_state=1),
    "seeded_dmr": lambda: SeededDmrModel(SEEDS, 0, iterations=200, random_state=1,
                                         feature_columns=["sectors"]),
    "gdmr": lambda: SeededDmrModel(None, 3, iterations=200, random_state=1,
                                   numeric_columns=["year"], degrees=2),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_recovers_the_three_topics(name, data):
    texts, corpus, dictionary, truth, cov = data
    model = MODELS[name]()
    quiet_fit(model, corpus, dictionary, cov if isinstance(model, SeededDmrModel) else None)
    jaccards, matched, accuracy = recovery(model, truth)
    assert jaccards == [1.0, 1.0, 1.0]
    assert accuracy == 1.0
    assert model.topic_word_.shape == (3, 30)
    assert model.doc_topic_.shape == (90, 3)
    assert model.doc_topic_.dtype == np.float64
    assert np.abs(model.doc_topic_.sum(axis=1) - 1).max() < 1e-9
    assert np.abs(model.topic_word_.sum(axis=1) - 1).max() < 1e-9
    if name.startswith("seeded"):
        # seeded topic k carries category k, and its block is the one matched to it
        assert model.topic_labels_ == {0: "directive", 1: "developmental", 2: "regulatory"}
        assert list(matched) == [0, 1, 2]
    info = model.manifest_info()
    json.dumps(info)  # JSON-serialisable for the run manifest
    assert info["n_topics"] == 3 and info["n_docs"] == 90 and info["n_words"] == 3600


def test_lda_deterministic_mode_repeats_exactly(data):
    _, corpus, dictionary, _, _ = data
    a = quiet_fit(LdaTopicModel(3, passes=5, random_state=7), corpus, dictionary)
    b = quiet_fit(LdaTopicModel(3, passes=5, random_state=7), corpus, dictionary)
    c = quiet_fit(LdaTopicModel(3, passes=5, random_state=8), corpus, dictionary)
    assert np.array_equal(a.doc_topic_, b.doc_topic_)
    assert np.array_equal(a.topic_word_, b.topic_word_)
    assert not np.array_equal(a.doc_topic_, c.doc_topic_)
    assert a.manifest_info()["deterministic"] is True
    assert LdaTopicModel(3, mode="fast").manifest_info()["deterministic"] is False
    # transform resets gensim's inference RNG: the training documents give doc_topic_ again
    assert np.array_equal(a.transform(corpus), a.doc_topic_)


def test_dmr_with_one_worker_repeats_exactly(data):
    _, corpus, dictionary, _, cov = data
    fit = lambda seed: quiet_fit(SeededDmrModel(SEEDS, 1, iterations=100, random_state=seed,
                                                train_n_jobs=1), corpus, dictionary, cov)
    a, b, c = fit(3), fit(3), fit(4)
    assert np.array_equal(a.doc_topic_, b.doc_topic_)
    assert np.array_equal(a.topic_word_, b.topic_word_)
    assert np.array_equal(a.lambda_, b.lambda_)
    assert not np.array_equal(a.doc_topic_, c.doc_topic_)
    assert np.array_equal(a.transform(corpus[:10], cov.iloc[:10]),
                          b.transform(corpus[:10], cov.iloc[:10]))
    assert a.manifest_info()["deterministic"] is True
    assert SeededDmrModel(train_n_jobs=4).manifest_info()["deterministic"] is False


def test_per_word_bound_equals_gensims_bound(data):
    _, corpus, dictionary, _, _ = data
    model = quiet_fit(LdaTopicModel(3, passes=5, random_state=2), corpus, dictionary)
    lda = model.model_
    lda.random_state = np.random.RandomState(2)  # the γ our fit used
    gamma, _ = lda.inference(corpus)
    # gensim's bound() only handles γ rows shaped (1, K), as its own inference([doc]) returns
    expected = lda.bound(corpus, gamma=[g[None, :] for g in gamma]) / 3600
    assert model.per_word_bound_ == pytest.approx(expected, rel=1e-5)
    assert model.bound_kind_ == "variational_bound_per_word"


def test_too_few_updates_warning_reaches_the_caller(data):
    _, corpus, dictionary, _, _ = data
    model = LdaTopicModel(3, passes=1, iterations=50, random_state=0)
    with pytest.warns(TopicModelWarning, match="too few updates"):
        model.fit(corpus, dictionary)
    assert any("too few updates" in w for w in model.fit_warnings_)
    assert any("too few updates" in w for w in model.manifest_info()["fit_warnings"])


def test_seeded_topics_keep_their_seeds_with_free_topics(data):
    _, corpus, dictionary, _, cov = data
    for model in (SeededLdaModel(SEEDS, 2, passes=20, random_state=0),
                  SeededDmrModel(SEEDS, 2, iterations=200, random_state=0)):
        quiet_fit(model, corpus, dictionary, cov if isinstance(model, SeededDmrModel) else None)
        assert model.topic_labels_ == {0: "directive", 1: "developmental", 2: "regulatory",
                                       3: "free", 4: "free"}
        top = model.top_words(10)
        for k, category in enumerate(NAMES):
            assert SEEDS[category][0] in top[k]


def test_seed_prior_matrix(data):
    _, corpus, dictionary, _, _ = data
    model = quiet_fit(SeededLdaModel({"directive": ["淘汰", "关停"], "regulatory": ["标准"]}, 1,
                                     seed_weight=7.0, base_eta=0.02, other_topic_seed_eta=0.001,
                                     passes=2), corpus, dictionary)
    t = dictionary.token2id
    assert model.eta_.shape == (3, 30)
    assert model.eta_[:, t["淘汰"]].tolist() == [7.0, 0.001, 0.001]
    assert model.eta_[:, t["关停"]].tolist() == [7.0, 0.001, 0.001]
    assert model.eta_[:, t["标准"]].tolist() == [0.001, 7.0, 0.001]
    assert model.eta_[:, t["补贴"]].tolist() == [0.02, 0.02, 0.02]
    assert model.topic_labels_ == {0: "directive", 1: "regulatory", 2: "free"}


def test_missing_seeds_are_reported(data):
    _, corpus, dictionary, _, cov = data
    seeds = {"directive": ["淘汰", "不存在的词"], "developmental": ["补贴"],
             "regulatory": ["标准", "另一个缺词"]}
    for model in (SeededLdaModel(seeds, 0, passes=10), SeededDmrModel(seeds, 0, iterations=20)):
        with pytest.warns(TopicModelWarning, match="2 seed word"):
            model.fit(corpus, dictionary, cov if isinstance(model, SeededDmrModel) else None)
        assert model.missing_seeds_ == {"directive": ["不存在的词"], "regulatory": ["另一个缺词"]}
        assert model.seed_words_ == {"directive": ["淘汰"], "developmental": ["补贴"],
                                     "regulatory": ["标准"]}
        assert model.manifest_info()["missing_seeds"] == model.missing_seeds_


def test_category_without_any_seed_in_vocabulary_is_an_error(data):
    _, corpus, dictionary, _, _ = data
    with pytest.raises(UserError, match="'directive'"):
        SeededLdaModel({"directive": ["无此词"], "regulatory": ["标准"]}, 1).fit(corpus, dictionary)
    with pytest.raises(UserError, match="reserved"):
        SeededLdaModel({"free": ["标准"]}, 1).fit(corpus, dictionary)


def test_seeds_from_a_scheme_object(data):
    """A coding-scheme object (categories → objects with ``terms``) works like a mapping."""
    _, corpus, dictionary, _, _ = data

    class Category:
        def __init__(self, terms):
            self.terms = terms

    class Scheme:
        categories = {"directive": Category(["淘汰"]), "regulatory": Category(["标准"])}

    model = quiet_fit(SeededLdaModel(Scheme(), 1, passes=2), corpus, dictionary)
    assert model.seed_words_ == {"directive": ["淘汰"], "regulatory": ["标准"]}
    assert model.manifest_info()["params"]["seed_words"] == {"directive": ["淘汰"],
                                                             "regulatory": ["标准"]}


def test_dmr_trained_on_a_stratified_sample_infers_the_rest():
    _, corpus, dictionary, truth, cov = synthetic(n_docs=240)
    fit = lambda workers: quiet_fit(SeededDmrModel(None, 3, iterations=150, random_state=2,
                                                   max_train_docs=100, n_jobs=workers,
                                                   infer_iterations=50),
                                    corpus, dictionary, cov)
    one, two = fit(1), fit(2)
    assert (one.n_train_docs_, one.n_inferred_docs_) == (100, 140)
    assert len(one.model_.docs) == 100
    # each of the 4 level x period cells (60 documents each) gave 25 training documents
    assert len(one.covariate_cells_) == 4
    # the inferred documents still land on their own topic
    _, _, accuracy = recovery(one, truth)
    assert accuracy >= 0.95
    # inference does not depend on the number of threads, and equals transform() on those documents
    assert np.array_equal(one.doc_topic_, two.doc_topic_)
    theta = one.transform(corpus, cov)
    cells = one._encode_covariates(cov, 240)[0]
    trained = one._training_sample(cells, np.array([sum(c for _, c in doc) for doc in corpus]))
    assert trained.sum() == 100
    assert [int(trained[[c == name for c in cells]].sum()) for name in sorted(set(cells))] == [25] * 4
    assert np.allclose(theta[~trained], one.doc_topic_[~trained])
    info = one.manifest_info()
    assert info["n_train_docs"] == 100 and info["n_inferred_docs"] == 140
    # a budget at least the corpus size trains on everything, as without it
    full = quiet_fit(SeededDmrModel(None, 3, iterations=30, random_state=2, max_train_docs=500),
                     corpus, dictionary, cov)
    assert (full.n_train_docs_, full.n_inferred_docs_) == (240, 0)


def test_dmr_joint_inference_in_runs_of_documents():
    """infer_batch > 1 samples runs of consecutive held-out documents jointly: the same θ on 1 or
    2 worker processes, θ of a run independent of the other runs, close to inference one by one."""
    _, corpus, dictionary, truth, cov = synthetic(n_docs=240)
    fit = lambda **kw: quiet_fit(SeededDmrModel(None, 3, iterations=150, random_state=2,
                                                max_train_docs=100, infer_iterations=50, **kw),
                                 corpus, dictionary, cov)
    alone = fit()
    serial, forked = fit(infer_batch=20), fit(infer_batch=20, n_jobs=2)
    assert np.array_equal(serial.doc_topic_, forked.doc_topic_)
    assert serial.infer_worker_peaks_ == [] and len(forked.infer_worker_peaks_) == 2
    assert {p["role"] for p in forked.infer_worker_peaks_} == {"infer worker"}
    # training is untouched: the sampled documents' θ are those of one-by-one inference
    cells = alone._encode_covariates(cov, 240)[0]
    trained = alone._training_sample(cells, np.ones(240))
    assert np.array_equal(serial.doc_topic_[trained], alone.doc_topic_[trained])
    held = np.flatnonzero(~trained)
    assert len(held) == 140   # 7 runs of 20
    # a run's θ depends on its own documents only: transform() of the first 20 held-out
    # documents (one run) gives exactly the fitted θ of that run
    first = held[:20]
    sub = [corpus[int(d)] for d in first]
    theta = serial.transform(sub, cov.iloc[first].reset_index(drop=True))
    assert np.array_equal(theta, serial.doc_topic_[first])
    # and jointly sampled documents still land on their own topic, like one-by-one inference
    _, _, accuracy = recovery(serial, truth)
    assert accuracy >= 0.95
    assert np.corrcoef(serial.doc_topic_[held].ravel(), alone.doc_topic_[held].ravel())[0, 1] > 0.95
    with pytest.raises(UserError, match="infer_batch must be a positive integer"):
        fit(infer_batch=0)


def test_dmr_fit_reports_progress_without_changing_the_result(monkeypatch):
    from zhengce.nlp.topics.models import dmr_inference

    _, corpus, dictionary, _, cov = synthetic(n_docs=240)
    monkeypatch.setattr(dmr_inference, "PROGRESS_EVERY_S", 0.0)   # every update, predictably
    for kwargs in ({}, {"tol": 1e-9}):
        lines: list[str] = []
        make = lambda: SeededDmrModel(None, 3, iterations=60, random_state=1, check_every=20,
                                      max_train_docs=100, infer_batch=50, **kwargs)
        quiet = quiet_fit(make(), corpus, dictionary, cov)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shown = make().fit(corpus, dictionary, cov, progress=lines.append)
        assert np.array_equal(quiet.doc_topic_, shown.doc_topic_)
        sweeps = [line for line in lines if line.startswith("DMR sampler:")]
        assert [line.split(" sweeps")[0] for line in sweeps] == [
            "DMR sampler: 20/60", "DMR sampler: 40/60", "DMR sampler: 60/60"]
        assert all("log-likelihood per word -" in line for line in sweeps)
        inferred = [line.split(" documents")[0] for line in lines if line.startswith("DMR inference:")]
        assert inferred == ["DMR inference: 50/140", "DMR inference: 100/140",
                            "DMR inference: 140/140"]
        assert lines[-1].startswith("DMR fit: 60 sweeps on 100 documents (")
        assert ", 140 documents inferred, " in lines[-1]



def test_dmr_progress_always_shows_the_last_count(monkeypatch):
    """Lines are throttled (at most one every PROGRESS_EVERY_S seconds), but the last count of a
    step always gets through."""
    from zhengce.nlp.topics.models import dmr_inference

    _, corpus, dictionary, _, cov = synthetic(n_docs=240)
    monkeypatch.setattr(dmr_inference, "PROGRESS_EVERY_S", 1e9)   # only the first and the last
    lines: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SeededDmrModel(None, 3, iterations=60, random_state=1, check_every=20, max_train_docs=100,
                       infer_batch=50).fit(corpus, dictionary, cov, progress=lines.append)
    assert [line.split(" sweeps")[0] for line in lines if line.startswith("DMR sampler:")] == [
        "DMR sampler: 20/60", "DMR sampler: 60/60"]
    assert [line.split(" documents")[0] for line in lines if line.startswith("DMR inference:")] == [
        "DMR inference: 50/140", "DMR inference: 140/140"]

def _worker_dies(run):
    os._exit(3)   # what the kernel's OOM killer does to a worker, as far as the pool can tell


def test_dmr_joint_inference_worker_death_is_a_one_line_error(monkeypatch):
    from zhengce.nlp.topics.models import dmr_inference

    _, corpus, dictionary, _, cov = synthetic(n_docs=240)
    monkeypatch.setattr(dmr_inference, "joint_infer_run", _worker_dies)
    with pytest.raises(UserError, match=r"an inference worker process died \(out of memory\?\) "
                                        r"after 0 documents: rerun with fewer n_jobs"):
        quiet_fit(SeededDmrModel(None, 3, iterations=30, random_state=2, max_train_docs=100,
                                 infer_batch=20, n_jobs=2), corpus, dictionary, cov)


def test_dmr_tol_stops_when_the_likelihood_settles(data):
    _, corpus, dictionary, _, cov = data
    model = quiet_fit(SeededDmrModel(None, 3, iterations=1000, random_state=1, tol=1e-3,
                                     check_every=10), corpus, dictionary, cov)
    steps = [step for step, _ in model.ll_trace_]
    assert model.converged_ is True and model.n_iter_ < 1000
    assert steps == list(range(10, model.n_iter_ + 1, 10))
    last, before = model.ll_trace_[-1][1], model.ll_trace_[-2][1]
    assert abs(last - before) <= 1e-3 * abs(before)
    # the same sweeps in blocks give exactly the state of one call of that length
    plain = quiet_fit(SeededDmrModel(None, 3, iterations=model.n_iter_, random_state=1),
                      corpus, dictionary, cov)
    assert np.array_equal(plain.doc_topic_, model.doc_topic_)
    assert plain.converged_ is None and len(plain.ll_trace_) == 1
    with pytest.raises(UserError, match="tol must be None"):
        quiet_fit(SeededDmrModel(None, 3, tol=2.0), corpus, dictionary, cov)
    with pytest.raises(UserError, match="max_train_docs must be None"):
        quiet_fit(SeededDmrModel(None, 3, max_train_docs=0), corpus, dictionary, cov)


def test_dmr_prevalence_follows_the_covariates():
    # central documents are mostly directive (7 in 10), local ones mostly regulatory
    def topic_of(d, level):
        r = (d // 2) % 10
        main = 0 if level == "central" else 2
        return main if r < 7 else (1 if r < 9 else 2 - main)

    _, corpus, dictionary, truth, cov = synthetic(n_docs=200, topic_of=topic_of)
    model = quiet_fit(SeededDmrModel(None, 3, cell_columns=["level"], iterations=300,
                                     random_state=0), corpus, dictionary, cov)
    _, matched, _ = recovery(model, truth)
    central = model.prevalence({"level": "central"})
    local = model.prevalence({"level": "local"})
    assert central.sum() == pytest.approx(1.0) and local.sum() == pytest.approx(1.0)
    assert central.argmax() == matched[0]  # directive
    assert local.argmax() == matched[2]  # regulatory
    assert central[matched[0]] > 0.5 and local[matched[2]] > 0.5
    frame = model.prevalence(pd.DataFrame({"level": ["central", "local"]}, index=["c", "l"]))
    assert list(frame.index) == ["c", "l"] and frame.shape == (2, 3)
    assert np.allclose(frame.loc["c"].to_numpy(), central)
    assert model.lambda_.shape == (3, 2, 1)
    assert sorted(model.covariate_cells_) == ["level=central", "level=local"]
    lam = model.lambda_frame()
    assert len(lam) == 6 and set(lam["term"]) == {"(intercept)"}
    # the λ intercepts order topics in each cell as the prevalences do
    c = model.covariate_cells_.index("level=central")
    assert np.argsort(model.lambda_[:, c, 0]).tolist() == np.argsort(central).tolist()


def test_gdmr_prevalence_over_years(data):
    _, corpus, dictionary, _, cov = data
    model = quiet_fit(SeededDmrModel(None, 3, numeric_columns=["year"], degrees=2,
                                     iterations=100), corpus, dictionary, cov)
    assert model.numeric_range_ == [[1995.0, 2006.0]]
    p = model.prevalence({"level": "central", "period": "pre", "year": 2000})
    assert p.shape == (3,) and p.sum() == pytest.approx(1.0)
    assert model.manifest_info()["library"] == "tomotopy.GDMRModel"


@pytest.mark.parametrize("name", ["lda", "seeded_lda", "seeded_dmr", "gdmr"])
def test_save_and_load_round_trip(name, data, tmp_path):
    _, corpus, dictionary, _, cov = data
    model = MODELS[name]()
    covariates = cov if isinstance(model, SeededDmrModel) else None
    quiet_fit(model, corpus, dictionary, covariates)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(model)
    assert loaded.manifest_info()["params"] == model.manifest_info()["params"]
    assert np.array_equal(loaded.doc_topic_, model.doc_topic_)
    assert np.array_equal(loaded.topic_word_, model.topic_word_)
    assert loaded.vocabulary_ == model.vocabulary_
    assert getattr(loaded, "topic_labels_", None) == getattr(model, "topic_labels_", None)
    sub = covariates.iloc[:12] if covariates is not None else None
    assert np.array_equal(loaded.transform(corpus[:12], sub), model.transform(corpus[:12], sub))
    with pytest.raises(UserError, match="holds a"):
        (SeededDmrModel if name.endswith("lda") else LdaTopicModel).load(tmp_path / "m")


def test_transform_of_empty_and_unknown_documents(data):
    _, corpus, dictionary, _, cov = data
    lda = quiet_fit(LdaTopicModel(3, passes=5), corpus, dictionary)
    theta = lda.transform([[], corpus[0]])
    assert np.abs(theta.sum(axis=1) - 1).max() < 1e-9
    assert np.allclose(theta[0], 1 / 3)  # empty document: γ = α (symmetric), so θ = 1/K
    dmr = quiet_fit(SeededDmrModel(None, 3, iterations=50), corpus, dictionary, cov)
    theta = dmr.transform([[], corpus[0]], cov.iloc[:2])
    assert np.allclose(theta[0], dmr.prevalence({"level": cov.level[0], "period": cov.period[0]}))


def test_empty_training_documents_are_kept_and_counted(data):
    _, corpus, dictionary, _, cov = data
    with_empty = [[]] + corpus[1:]
    for model in (LdaTopicModel(3, passes=10), SeededDmrModel(None, 3, iterations=50)):
        with pytest.warns(TopicModelWarning, match="1 of 90 documents are empty"):
            model.fit(with_empty, dictionary, cov if isinstance(model, SeededDmrModel) else None)
        assert model.doc_topic_.shape == (90, 3) and model.n_empty_docs_ == 1
        assert abs(model.doc_topic_[0].sum() - 1) < 1e-9


def test_bad_input_is_named(data):
    _, corpus, dictionary, _, cov = data
    with pytest.raises(UserError, match="one-shot iterator"):
        LdaTopicModel(3).fit((d for d in corpus), dictionary)
    with pytest.raises(UserError, match="document 1: word id 99"):
        LdaTopicModel(3).fit([corpus[0], [(99, 1)]], dictionary)
    with pytest.raises(UserError, match="document 0: count -1"):
        LdaTopicModel(3).fit([[(0, -1)]], dictionary)
    with pytest.raises(UserError, match="does not use covariates"):
        LdaTopicModel(3).fit(corpus, dictionary, cov)
    with pytest.raises(UserError, match="mode must be"):
        LdaTopicModel(3, mode="quick").fit(corpus, dictionary)
    with pytest.raises(UserError, match="alpha='auto' is not available"):
        LdaTopicModel(3, mode="fast", alpha="auto").fit(corpus, dictionary)
    with pytest.raises(UserError, match="needs covariates"):
        SeededDmrModel(None, 3).fit(corpus, dictionary)
    with pytest.raises(UserError, match="has 89 rows but the corpus has 90"):
        SeededDmrModel(None, 3).fit(corpus, dictionary, cov.iloc[1:])
    with pytest.raises(UserError, match=r"lacks column\(s\) \['agency'\]"):
        SeededDmrModel(None, 3, cell_columns=["level", "agency"]).fit(corpus, dictionary, cov)
    gap = cov.copy()
    gap.loc[5, "period"] = None
    with pytest.raises(UserError, match="row 5: column 'period' is missing"):
        SeededDmrModel(None, 3).fit(corpus, dictionary, gap)
    model = quiet_fit(SeededDmrModel(None, 3, iterations=20), corpus, dictionary, cov)
    odd = cov.iloc[:1].assign(level="county")
    with pytest.raises(UserError, match=re.escape("'level=county|period=pre' did not occur")):
        model.transform(corpus[:1], odd)
    with pytest.raises(UserError, match="not fitted"):
        LdaTopicModel(3).transform(corpus)
    with pytest.raises(UserError, match="no parameter 'k'"):
        LdaTopicModel().set_params(k=3)


def test_models_are_sklearn_estimators(data):
    """__init__ stores parameters only; fitted attributes do not exist before fit."""
    from sklearn.base import BaseEstimator, clone
    from sklearn.exceptions import NotFittedError

    _, corpus, dictionary, _, cov = data
    for model in (LdaTopicModel(3), SeededLdaModel(SEEDS, 0), SeededDmrModel(None, 3)):
        assert isinstance(model, BaseEstimator)
        assert not hasattr(model, "n_topics_")
        with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
            model.top_words()
        copy = clone(model)
        assert copy.get_params() == model.get_params() and copy is not model
    model = quiet_fit(SeededDmrModel(None, 3, iterations=20), corpus, dictionary, cov)
    assert hasattr(model, "n_topics_") and model.n_topics_ == 3
