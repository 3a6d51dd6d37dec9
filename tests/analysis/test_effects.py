"""Effect estimates: OLS and fractional logit against hand computations, cluster-robust SEs,
post effects by level, and the method-of-composition estimator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zhengce.analysis.effects import (_alpha_total, document_lengths, estimate_effect, fit_effects,
                              ols_cluster)
from zhengce.common.errors import UserError

# level, post, shares of the two documents of the cell
CELLS = {("central", 0): (0.2, 0.3), ("central", 1): (0.5, 0.5),
         ("provincial", 0): (0.1, 0.3), ("provincial", 1): (0.4, 0.4),
         ("local", 0): (0.5, 0.5), ("local", 1): (0.2, 0.3)}


def saturated_frame() -> pd.DataFrame:
    rows = []
    for (level, post), shares in CELLS.items():
        for i, s in enumerate(shares):
            rows.append({"doc_id": f"{level}{post}{i}", "level": level, "year": 2003 if post else 1999,
                         "issuer": f"{level}{post}{i}", "regulatory": s})
    return pd.DataFrame(rows)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_fractional_logit_on_a_saturated_design_matches_cell_logits():
    fit = fit_effects(saturated_frame(), "regulatory", formula="~ level * post")
    coef = fit.coefficients[fit.coefficients["model"] == "fraclogit"].set_index("term")["estimate"]
    # cell means: central .25 → .5, provincial .2 → .4, local .5 → .25
    assert coef["Intercept"] == pytest.approx(logit(0.25), abs=1e-6)
    assert coef["post"] == pytest.approx(logit(0.5) - logit(0.25), abs=1e-6)
    assert coef["level[T.provincial]"] == pytest.approx(logit(0.2) - logit(0.25), abs=1e-6)
    assert coef["level[T.local]"] == pytest.approx(logit(0.5) - logit(0.25), abs=1e-6)
    assert coef["level[T.provincial]:post"] == pytest.approx(
        (logit(0.4) - logit(0.2)) - (logit(0.5) - logit(0.25)), abs=1e-6)
    assert coef["level[T.local]:post"] == pytest.approx(-2 * math.log(3), abs=1e-6)
    effects = fit.post_effects.set_index(["model", "level"])["effect"]
    for model in ("fraclogit", "ols"):
        assert effects[(model, "central")] == pytest.approx(0.25, abs=1e-6)
        assert effects[(model, "provincial")] == pytest.approx(0.20, abs=1e-6)
        assert effects[(model, "local")] == pytest.approx(-0.25, abs=1e-6)
    row = fit.post_effects.set_index(["model", "level"]).loc[("ols", "central")]
    assert row["ci_low"] < 0.25 < row["ci_high"]


def test_ols_coefficients_and_clustered_se_match_numpy():
    frame = saturated_frame()
    frame["year"] = [1997, 1999, 2003, 2006, 1998, 2000, 2004, 2005, 1996, 2001, 2002, 2008]
    frame["issuer"] = ["a", "b", "a", "b", "c", "c", "d", "d", "e", "f", "e", "f"]
    fit = fit_effects(frame, "regulatory", formula="~ level * post + year_c", models=("ols",))
    table = fit.coefficients.set_index("term")
    lv = frame["level"]
    post = (frame["year"] > 2001).astype(float).to_numpy()
    prov, loc = (lv == "provincial").astype(float).to_numpy(), (lv == "local").astype(float).to_numpy()
    x = np.column_stack([np.ones(len(frame)), prov, loc, post, prov * post, loc * post,
                         frame["year"].to_numpy() - 2001.0])
    y = frame["regulatory"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    names = ["Intercept", "level[T.provincial]", "level[T.local]", "post",
             "level[T.provincial]:post", "level[T.local]:post", "year_c"]
    assert table.loc[names, "estimate"].to_numpy() == pytest.approx(beta, abs=1e-10)
    # cluster-robust sandwich with the G/(G-1)·(N-1)/(N-K) correction, by hand
    resid = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    groups = pd.factorize(frame["issuer"])[0]
    meat = sum(np.outer(x[groups == g].T @ resid[groups == g], x[groups == g].T @ resid[groups == g])
               for g in range(groups.max() + 1))
    n, k, g = len(y), x.shape[1], groups.max() + 1
    cov = bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)
    assert table.loc[names, "std_error"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-8)
    assert set(table["n_clusters"]) == {6}
    # t with G - 1 = 5 degrees of freedom
    from scipy import stats

    t = table.loc["post", "estimate"] / table.loc["post", "std_error"]
    assert table.loc["post", "p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 5), rel=1e-8)
    # the numpy estimator used by estimate_effect gives the same numbers
    b2, cov2 = ols_cluster(x, y, groups)
    assert b2 == pytest.approx(beta, abs=1e-10) and cov2 == pytest.approx(cov, rel=1e-8)


def test_fit_effects_errors():
    frame = saturated_frame()
    with pytest.raises(UserError, match="right-hand side only"):
        fit_effects(frame, "regulatory", formula="share ~ level")
    with pytest.raises(UserError, match="not identified"):
        fit_effects(frame[~((frame["level"] == "local") & (frame["year"] > 2001))], "regulatory",
                    formula="~ level * post")
    with pytest.raises(UserError, match="at least 2 clusters"):
        fit_effects(frame.assign(issuer="same"), "regulatory")
    with pytest.raises(UserError, match="outside"):
        fit_effects(frame.assign(regulatory=1.5), "regulatory")
    with pytest.raises(UserError, match="unknown model"):
        fit_effects(frame, "regulatory", models=("probit",))


def test_alpha_total_and_document_lengths(store, insert_documents):
    assert _alpha_total({"summary": {"model": {"params": {"alpha": 0.1}, "n_topics": 20}}}, None)[0] == \
        pytest.approx(2.0)
    assert _alpha_total({"summary": {"model": {"params": {"alpha": "symmetric"}}}}, 5)[0] == 1.0
    assert _alpha_total({"summary": {"model": {"params": {"alpha": [0.1, 0.2]}}}}, 2)[0] == \
        pytest.approx(0.3)
    insert_documents(store, [{"doc_id": "a", "level": "central", "year": 2000, "text": "x" * 300}])
    lengths, how = document_lengths(store, ["a"])
    assert lengths.tolist() == [200.0] and how == "n_chars / 1.5"
    store.db["search_index"].insert({"doc_id": "a", "title": "t", "body": "一 二 三 四"})
    lengths, how = document_lengths(store, ["a"])
    assert lengths.tolist() == [4.0] and how == "full-text index word count"


@pytest.fixture
def effect_store(store, insert_documents, add_topic_run, mixture):
    rng = np.random.default_rng(5)
    docs, shares = [], {}
    for level, jump in (("central", 0.3), ("provincial", 0.0), ("local", -0.1)):
        for year in range(1996, 2008):
            for i in range(6):
                d = f"{level[0]}{year}{i}"
                docs.append({"doc_id": d, "level": level, "year": year, "issuer_raw": f"{level}{i % 3}",
                             "text": "字" * 600})
                reg = 0.35 + (jump if year > 2001 else 0.0) + rng.normal(0, 0.02)
                shares[d] = mixture(round(float(reg), 6))
    insert_documents(store, docs)
    run_id = add_topic_run(store, shares)
    return store, run_id


def test_estimate_effect_centres_on_ols_and_recovers_the_jumps(effect_store):
    store, run_id = effect_store
    est = estimate_effect(store, run_id, "regulatory", n_draws=200, concentration=1e12,
                          random_state=1)
    assert est.method == "dirichlet" and est.n_docs == 216 and est.run_ids == [run_id]
    assert est.draws.shape == (200, 7)
    from zhengce.analysis.data import load_strategy_data

    ols = fit_effects(load_strategy_data(store), "regulatory", formula="~ level * post + year",
                      models=("ols",)).coefficients.set_index("term")
    coef = est.coefficients.set_index("term")
    for term in ("post", "level[T.provincial]:post", "level[T.local]:post"):
        # with no share noise the composed draws are N(β̂, V̂): the mean is β̂ within MC error
        assert coef.loc[term, "mean"] == pytest.approx(ols.loc[term, "estimate"],
                                                        abs=4 * ols.loc[term, "std_error"] / np.sqrt(200))
        assert coef.loc[term, "sd"] == pytest.approx(ols.loc[term, "std_error"], rel=0.25)
    contrasts = est.contrasts.set_index("level")
    assert contrasts.loc["central", "mean"] == pytest.approx(0.3, abs=0.03)
    assert contrasts.loc["local", "mean"] == pytest.approx(-0.1, abs=0.03)
    assert contrasts.loc["central", "ci_low"] > 0 > contrasts.loc["local", "ci_high"]


def test_estimate_effect_uncertainty_grows_with_a_vague_posterior(effect_store):
    store, run_id = effect_store
    sharp = estimate_effect(store, run_id, "regulatory", n_draws=60, concentration=1e9)
    vague = estimate_effect(store, run_id, "regulatory", n_draws=60, concentration=5.0)
    sd = lambda est: est.contrasts.set_index("level").loc["central", "sd"]  # noqa: E731
    assert sd(vague) > 1.3 * sd(sharp)
    again = estimate_effect(store, run_id, "regulatory", n_draws=60, concentration=5.0)
    assert np.array_equal(again.draws, vague.draws)  # reproducible from random_state
    boot = estimate_effect(store, run_id, "regulatory", n_draws=30, method="bootstrap")
    assert boot.method == "bootstrap" and boot.details["measure"] == "topics"
    default = estimate_effect(store, run_id, "regulatory", n_draws=10)
    assert default.details["length_source"].startswith("n_chars / 1.5")
    assert default.details["kappa_median"] == pytest.approx(1.0 + 600 / 1.5)


def test_estimate_effect_topic_target_and_errors(effect_store):
    store, run_id = effect_store
    ids = [r[0] for r in store.db.execute("select doc_id from documents order by doc_id")]
    rows = [{"run_id": run_id, "doc_id": d, "topic": k, "weight": w}
            for d in ids for k, w in ((0, 0.7 if d.startswith("c") else 0.2),
                                      (1, 0.3 if d.startswith("c") else 0.8))]
    store.db["doc_topics"].insert_all(rows)
    est = estimate_effect(store, run_id, 0, n_draws=20, concentration=1e12, formula="~ level")
    coef = est.coefficients.set_index("term")
    assert est.target == "topic 0"
    assert coef.loc["Intercept", "mean"] == pytest.approx(0.7, abs=1e-3)
    assert coef.loc["level[T.local]", "mean"] == pytest.approx(-0.5, abs=1e-3)
    with pytest.raises(UserError, match="no topic 9"):
        estimate_effect(store, run_id, 9, n_draws=5)
    with pytest.raises(UserError, match="neither a category"):
        estimate_effect(store, run_id, "liberal", n_draws=5)
    with pytest.raises(UserError, match="n_draws"):
        estimate_effect(store, run_id, "regulatory", n_draws=1)
    with pytest.raises(UserError, match="cannot be built"):
        estimate_effect(store, run_id, "regulatory", n_draws=5, formula="~ level * sector")
