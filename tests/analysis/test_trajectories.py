"""Trajectories: document-weighted means, bootstrap intervals, pooling of restarts, smoothing,
pre/post contrasts and thin cells, on literal stores whose expected values are computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhengce.analysis.data import document_counts, load_strategy_data, restarts_of
from zhengce.analysis.trajectories import bootstrap_means, compute_trajectories, pre_post, thin_cells
from zhengce.common.errors import UserError

# central: 1999 → 0.2, 0.2; 2001 → 0.3; 2002 → 0.5, 0.6.  local: 2000 → 0.4, 0.4; 2003 → 0.1.
LITERAL = [("c1", "central", 1999, 0.2), ("c2", "central", 1999, 0.2), ("c3", "central", 2001, 0.3),
           ("c4", "central", 2002, 0.5), ("c5", "central", 2002, 0.6),
           ("l1", "local", 2000, 0.4), ("l2", "local", 2000, 0.4), ("l3", "local", 2003, 0.1)]


@pytest.fixture
def literal(store, insert_documents, add_topic_run, mixture):
    insert_documents(store, [{"doc_id": d, "level": lv, "year": y, "issuer_raw": d}
                             for d, lv, y, _ in LITERAL])
    run_id = add_topic_run(store, {d: mixture(r) for d, _, _, r in LITERAL})
    return store, run_id


def _cell(table, level, year, category="regulatory"):
    row = table[(table["level"] == level) & (table["year"] == year) & (table["category"] == category)]
    assert len(row) == 1
    return row.iloc[0]


def test_cell_means_are_document_weighted_and_intervals_contain_them(literal):
    store, run_id = literal
    data = load_strategy_data(store)
    assert data.run_ids == [run_id] and data.measure == "topics"
    assert data.categories == ["directive", "developmental", "regulatory", "other"]
    traj = compute_trajectories(data, n_boot=400, min_docs=2, random_state=3)
    table = traj.table
    assert _cell(table, "central", 1999)["mean"] == pytest.approx(0.2)
    assert _cell(table, "central", 2002)["mean"] == pytest.approx(0.55)
    assert _cell(table, "local", 2000)["mean"] == pytest.approx(0.4)
    assert _cell(table, "central", 2002, "directive")["mean"] == pytest.approx(0.9 - 0.55)
    # two documents 0.5 and 0.6: resampled means are 0.5, 0.55 or 0.6 → the 95% interval is [0.5, 0.6]
    c2002 = _cell(table, "central", 2002)
    assert (c2002["ci_low"], c2002["ci_high"]) == pytest.approx((0.5, 0.6))
    assert c2002["ci_low"] <= c2002["mean"] <= c2002["ci_high"]
    # identical documents: no variation at all
    assert (_cell(table, "central", 1999)["ci_low"], _cell(table, "central", 1999)["ci_high"]) == \
        pytest.approx((0.2, 0.2))
    assert set(table["n_runs"]) == {1}
    assert int(_cell(table, "central", 2002)["n_docs"]) == 2


def test_thin_cells_are_flagged(literal):
    store, _ = literal
    traj = compute_trajectories(load_strategy_data(store), n_boot=50, min_docs=2)
    table = traj.table
    assert bool(_cell(table, "central", 2001)["thin"]) is True      # n = 1
    assert bool(_cell(table, "central", 1999)["thin"]) is False     # n = 2
    assert bool(_cell(table, "local", 2003)["thin"]) is True
    thin = thin_cells(traj)
    assert list(map(tuple, thin[["level", "year", "n_docs"]].to_numpy())) == [
        ("central", 2001, 1), ("local", 2003, 1)]


def test_pre_post_contrast_signs_values_and_interval(literal):
    store, _ = literal
    traj = compute_trajectories(load_strategy_data(store), n_boot=400, min_docs=2, random_state=0)
    pp = pre_post(traj).set_index(["level", "category"])
    central = pp.loc[("central", "regulatory")]
    # pre = (0.2 + 0.2 + 0.3) / 3, post = (0.5 + 0.6) / 2
    assert central["mean_pre"] == pytest.approx(0.7 / 3)
    assert central["mean_post"] == pytest.approx(0.55)
    assert central["diff"] == pytest.approx(0.55 - 0.7 / 3)
    assert (central["n_pre"], central["n_post"]) == (3, 2)
    # pre draws are constant (0.2333); post draws are 0.5, 0.55, 0.6
    assert (central["ci_low"], central["ci_high"]) == pytest.approx((0.5 - 0.7 / 3, 0.6 - 0.7 / 3))
    assert central["diff"] > 0 and central["ci_low"] > 0
    local = pp.loc[("local", "regulatory")]
    assert local["diff"] == pytest.approx(-0.3) and local["ci_high"] < 0
    assert bool(local["thin"]) is True and bool(central["thin"]) is False


def test_bootstrap_interval_shrinks_with_n():
    def frame(n):
        values = np.tile([0.0, 1.0], n // 2)
        return pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "level": "central",
                             "year": 2000, "regulatory": values})

    small = compute_trajectories(frame(10), categories=["regulatory"], n_boot=1000).table.iloc[0]
    large = compute_trajectories(frame(1000), categories=["regulatory"], n_boot=1000).table.iloc[0]
    for row in (small, large):
        assert row["mean"] == pytest.approx(0.5)
        assert row["ci_low"] < 0.5 < row["ci_high"]
    # the width of a mean's interval falls like 1/sqrt(n): about 0.62 for n = 10, 0.062 for 1000
    assert small["ci_high"] - small["ci_low"] == pytest.approx(2 * 1.96 * 0.5 / np.sqrt(10), rel=0.3)
    assert large["ci_high"] - large["ci_low"] == pytest.approx(2 * 1.96 * 0.5 / np.sqrt(1000), rel=0.15)


def test_bootstrap_is_reproducible_from_random_state():
    values = np.arange(20, dtype=float)[:, None] / 20
    a = bootstrap_means(values, 50, np.random.default_rng(1))
    b = bootstrap_means(values, 50, np.random.default_rng(1))
    c = bootstrap_means(values, 50, np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (50, 1)


def test_restarts_are_pooled(literal, add_topic_run, mixture):
    store, first = literal
    # a restart: same parameters, another seed; every central share 0.1 higher
    second = add_topic_run(store, {d: mixture(r + (0.1 if lv == "central" else 0.0))
                                   for d, lv, _, r in LITERAL},
                           params={"n_topics": 4, "random_state": 1})
    other = add_topic_run(store, {d: mixture(0.9) for d, *_ in LITERAL},
                          params={"n_topics": 8, "random_state": 0})
    assert sorted(restarts_of(store, second)) == sorted([first, second])
    assert restarts_of(store, other) == [other]
    data = load_strategy_data(store, [first, second])
    traj = compute_trajectories(data, n_boot=200, min_docs=1)
    cell = _cell(traj.table, "central", 1999)
    assert cell["mean"] == pytest.approx(0.25)          # (0.2 + 0.3) / 2 over the two runs
    assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((0.2, 0.3))
    assert cell["n_runs"] == 2 and traj.draws[("central", 1999)].shape == (400, 4)
    # the default (latest run) is `other`, which has no restart
    assert load_strategy_data(store).run_ids == [other]


def test_rolling_and_lowess_smoothing(literal):
    store, _ = literal
    traj = compute_trajectories(load_strategy_data(store), n_boot=100, min_docs=2)
    rolled = traj.smoothed("rolling", window=3)
    c2001 = _cell(rolled, "central", 2001)
    # window 2000-2002 pools 2001 (0.3) and 2002 (0.5, 0.6): (0.3 + 0.5 + 0.6) / 3
    assert c2001["mean"] == pytest.approx(1.4 / 3)
    assert c2001["n_window"] == 3 and not c2001["thin"]
    assert _cell(rolled, "central", 1999)["mean"] == pytest.approx(0.2)  # 1998-2000: only 1999
    linear = pd.DataFrame({"doc_id": [f"d{y}" for y in range(2000, 2005)], "level": "central",
                           "year": range(2000, 2005), "regulatory": [0.1, 0.2, 0.3, 0.4, 0.5]})
    smooth = compute_trajectories(linear, categories=["regulatory"], n_boot=20, min_docs=1) \
        .smoothed("lowess", frac=0.8)
    # local-linear LOWESS reproduces a straight line
    assert smooth["mean"].to_numpy() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    with pytest.raises(UserError, match="odd"):
        traj.smoothed("rolling", window=2)
    with pytest.raises(UserError, match="smoothing method"):
        traj.smoothed("spline")


def test_bad_parameters_are_user_errors(literal):
    store, _ = literal
    data = load_strategy_data(store)
    with pytest.raises(UserError, match="n_boot"):
        compute_trajectories(data, n_boot=0)
    with pytest.raises(UserError, match="ci must be"):
        compute_trajectories(data, ci=95)
    with pytest.raises(UserError, match="random_state"):
        compute_trajectories(data, random_state=-1)
    with pytest.raises(UserError, match="no column"):
        compute_trajectories(pd.DataFrame({"doc_id": ["a"], "year": [2000]}), categories=["x"])


def test_excluded_documents_are_counted(store, insert_documents, add_topic_run, mixture):
    insert_documents(store, [
        {"doc_id": "a", "level": "central", "year": 2000},
        {"doc_id": "no_year", "level": "central", "year": None},
        {"doc_id": "no_level", "level": None, "year": 2000},
        {"doc_id": "unscored", "level": "local", "year": 2005},
    ])
    add_topic_run(store, {"a": mixture(0.3), "no_year": mixture(0.3), "no_level": mixture(0.3)})
    data = load_strategy_data(store)
    assert data.frame["doc_id"].tolist() == ["a"]
    assert data.excluded == {"no_year": 1, "no_level": 1, "not_in_run": 1}


def test_document_counts_table(literal, insert_documents):
    store, _ = literal
    insert_documents(store, [{"doc_id": "undated", "level": "local", "year": None}])
    counts = document_counts(store, min_docs=2)
    dated = counts[counts["level"] != "(any)"]
    assert list(map(tuple, dated[["level", "year", "n_docs", "thin"]].astype(object).to_numpy())) == [
        ("central", 1999, 2, False), ("central", 2001, 1, True), ("central", 2002, 2, False),
        ("local", 2000, 2, False), ("local", 2003, 1, True)]
    extra = counts[counts["level"] == "(any)"].iloc[0]
    assert extra["n_docs"] == 1 and extra["period"] == "no year"


def test_no_measure_is_a_clear_error(store, insert_documents):
    insert_documents(store, [{"doc_id": "a", "level": "central", "year": 2000}])
    with pytest.raises(UserError, match="topic stage"):
        load_strategy_data(store)
    with pytest.raises(UserError, match="measure="):
        load_strategy_data(store, measure="lda")
