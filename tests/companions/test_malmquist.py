"""Malmquist companion: DEAP 2.1's EG4 reproduced exactly, hand-computed cases (input
orientation, unbalanced panel, infeasible VRS cross-period LPs, sub-groups), column generation
against the full LP, bad input, DEAP files, the bootstrap, the loader, the CLI and the sample."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from zhengce.companions.malmquist import (MalmquistIndex, farrell_efficiency, load_panel, load_sample,
                                  read_deap, read_deap_data, read_deap_instructions, store_results)
from zhengce.companions.malmquist import bootstrap as boot_mod
from zhengce.companions.malmquist import dea as dea_mod
from zhengce.companions.malmquist import sample as sample_mod
from zhengce.companions.malmquist.cli import cli
from zhengce.common.errors import UserError

COMPONENTS = ["effch", "techch", "pech", "sech", "tfpch"]
EG4_DATA = {  # DEAP 2.1 EG4 (Coelli 1996): period, firm, y, x — as in deap_eg4_data.csv
    1: [(1, 2), (2, 4), (3, 3), (4, 5), (5, 6)],
    2: [(1, 2), (3, 4), (4, 3), (3, 5), (5, 5)],
    3: [(1, 2), (3, 4), (4, 3), (3, 5), (5, 5)],
}


def eg4_frame() -> pd.DataFrame:
    rows = [{"period": t, "firm": k + 1, "y1": y, "x1": x}
            for t, obs in EG4_DATA.items() for k, (y, x) in enumerate(obs)]
    return pd.DataFrame(rows)


def fit_eg4(frame=None, **params) -> MalmquistIndex:
    return MalmquistIndex(**params).fit(eg4_frame() if frame is None else frame,
                                        inputs=["x1"], outputs=["y1"])


def value(model: MalmquistIndex, firm, period, column: str) -> float:
    res = model.results_
    row = res[(res["firm"] == firm) & (res["period"] == period)]
    assert len(row) == 1, (firm, period)
    return float(row[column].iloc[0])


@pytest.fixture(scope="module")
def eg4_dir(shared_dir):
    return shared_dir / "reference" / "malmquist"


# -- golden test: DEAP 2.1 EG4 --------------------------------------------------------------------
def test_eg4_reference_data_is_the_example(eg4_dir):
    ref = pd.read_csv(eg4_dir / "deap_eg4_data.csv")
    pd.testing.assert_frame_equal(ref[["period", "firm", "y1", "x1"]], eg4_frame())


def test_eg4_firm_year_indices_equal_exact_fractions(eg4_dir):
    model = fit_eg4(pd.read_csv(eg4_dir / "deap_eg4_data.csv"), orientation="output")
    expected = pd.read_csv(eg4_dir / "deap_eg4_expected_firm_year.csv", dtype=str)
    assert len(model.results_) == len(expected) == 10
    worst = 0.0
    for row in expected.itertuples(index=False):
        for c in COMPONENTS:
            exact = float(Fraction(getattr(row, f"{c}_exact")))
            worst = max(worst, abs(value(model, int(row.firm), int(row.period), c) - exact))
    assert worst <= 1e-9
    # Spot values by hand: firm 2 in period 2, PECH = (2/3)/(6/11) and SECH = EFFCH / PECH.
    assert value(model, 2, 2, "pech") == pytest.approx(11 / 9, abs=1e-12)
    assert value(model, 2, 2, "sech") == pytest.approx(81 / 88, abs=1e-12)
    assert value(model, 4, 2, "effch") == pytest.approx(9 / 16, abs=1e-12)


def test_eg4_distances_match_deap_distance_summary(eg4_dir):
    model = fit_eg4(orientation="output")
    expected = pd.read_csv(eg4_dir / "deap_eg4_expected_firm_year.csv")
    eff = model.efficiency_.set_index(["firm", "period"])
    for row in expected.itertuples(index=False):
        f, t = int(row.firm), int(row.period)
        assert abs(eff.loc[(f, t), "crs_te_prev_tech"] - row.crs_t_minus_1) <= 1e-9
        assert abs(eff.loc[(f, t), "crs_te"] - row.crs_t) <= 1e-9
        assert abs(eff.loc[(f, t - 1), "crs_te_next_tech"] - row.crs_prev_obs_vs_t) <= 1e-9
        assert abs(eff.loc[(f, t), "vrs_te"] - row.vrs_te_t) <= 1e-9
    # DEAP's year-1 VRS column (output orientation): 1, 6/11, 1, 12/13, 1.
    np.testing.assert_allclose(eff.xs(1, level="period")["vrs_te"],
                               [1, 6 / 11, 1, 12 / 13, 1], atol=1e-12)


def test_eg4_means_are_geometric_and_match_deap(eg4_dir):
    model = fit_eg4()
    frac = lambda s: Fraction(s)  # noqa: E731
    exp = pd.read_csv(eg4_dir / "deap_eg4_expected_firm_year.csv", dtype=str)
    means = pd.read_csv(eg4_dir / "deap_eg4_expected_means.csv", dtype={"id": str})
    annual = model.annual_means_.set_index("period")
    firm = model.firm_means_.set_index("firm")
    for row in means.itertuples(index=False):
        for c in COMPONENTS:
            if row.scope == "annual_mean":
                got = annual.loc[int(row.id), c]
                vals = exp[exp["period"] == row.id][f"{c}_exact"]
            elif row.scope == "firm_mean":
                got = firm.loc[int(row.id), c]
                vals = exp[exp["firm"] == row.id][f"{c}_exact"]
            else:
                got = model.overall_mean_[c]
                vals = exp[f"{c}_exact"]
            product = math.prod(frac(v) for v in vals)
            exact_geo = float(product) ** (1.0 / len(vals))
            assert abs(got - exact_geo) <= 1e-9
            assert abs(got - getattr(row, c)) <= 1e-9
    assert model.overall_mean_["tfpch"] == pytest.approx(1.0605404816, abs=1e-9)
    assert list(annual["n_firms"]) == [5, 5] and list(annual["n_failed"]) == [0, 0]


def test_eg4_from_deap_dta_file(eg4_dir, tmp_path):
    frame, settings = read_deap(eg4_dir / "deap_eg4-dta.txt", n_periods=3, n_outputs=1)
    assert settings["outputs"] == ["y1"] and settings["inputs"] == ["x1"]
    pd.testing.assert_frame_equal(frame.astype({"y1": int, "x1": int}), eg4_frame())
    ins = tmp_path / "eg4-ins.txt"
    ins.write_text(f"{eg4_dir / 'deap_eg4-dta.txt'}  DATA FILE NAME\neg4-out.txt OUTPUT FILE NAME\n"
                   "5 FIRMS\n3 PERIODS\n1 OUTPUTS\n1 INPUTS\n1 0=INPUT AND 1=OUTPUT ORIENTATED\n"
                   "0 0=CRS AND 1=VRS\n2 0=DEA(MULTI-STAGE), 2=MALMQUIST-DEA\n")
    frame2, settings2 = read_deap(instructions=ins)
    assert settings2["orientation"] == "output" and settings2["n_firms"] == 5
    model = MalmquistIndex(orientation=settings2["orientation"]).fit(
        frame2, inputs=settings2["inputs"], outputs=settings2["outputs"])
    assert value(model, 2, 2, "tfpch") == pytest.approx(1.5, abs=1e-12)


def test_eg4_input_orientation_by_hand():
    model = fit_eg4(orientation="input")
    # CRS parts do not depend on orientation.
    assert value(model, 2, 2, "tfpch") == pytest.approx(1.5, abs=1e-12)
    assert value(model, 4, 2, "techch") == pytest.approx(4 / 3, abs=1e-12)
    # Input-oriented VRS TE, period 1: 1, 2.5/4, 1, 4.5/5, 1; period 2: 1, (8/3)/4, 1, (8/3)/5, 1.
    eff = model.efficiency_.set_index(["period", "firm"])["vrs_te"]
    np.testing.assert_allclose(eff.loc[1], [1, 5 / 8, 1, 9 / 10, 1], atol=1e-12)
    np.testing.assert_allclose(eff.loc[2], [1, 2 / 3, 1, 8 / 15, 1], atol=1e-12)
    pech = [value(model, f, 2, "pech") for f in range(1, 6)]
    sech = [value(model, f, 2, "sech") for f in range(1, 6)]
    np.testing.assert_allclose(pech, [1, 16 / 15, 1, 16 / 27, 1], atol=1e-12)
    np.testing.assert_allclose(sech, [3 / 4, 135 / 128, 1, 243 / 256, 9 / 10], atol=1e-12)


def test_decomposition_identities_hold_on_sample():
    model = MalmquistIndex().fit(load_sample(), firm="bank", period="year",
                                 inputs=list(sample_mod.INPUTS), outputs=list(sample_mod.OUTPUTS))
    r = model.results_
    np.testing.assert_allclose(r["tfpch"], r["effch"] * r["techch"], rtol=1e-12)
    np.testing.assert_allclose(r["effch"], r["pech"] * r["sech"], rtol=1e-12)
    assert (model.efficiency_["crs_te"] <= 1 + 1e-9).all()
    assert (model.efficiency_["crs_te"] <= model.efficiency_["vrs_te"] + 1e-9).all()
    # Overall mean = geometric mean of the annual means in a balanced panel (DEAP's two "mean" rows).
    for c in COMPONENTS:
        annual = np.exp(np.log(model.annual_means_[c]).mean())
        firm = np.exp(np.log(model.firm_means_[c]).mean())
        assert model.overall_mean_[c] == pytest.approx(annual, rel=1e-12)
        assert model.overall_mean_[c] == pytest.approx(firm, rel=1e-12)


# -- LP machinery -----------------------------------------------------------------------------
def test_farrell_efficiency_small_case():
    te, status = farrell_efficiency([[2.0], [3.0]], [[1.0], [3.0]])
    assert te.tolist() == pytest.approx([0.5, 1.0], abs=1e-12) and status.tolist() == [0, 0]
    te, _ = farrell_efficiency([[2.0], [3.0]], [[1.0], [3.0]], [[1.0]], [[2.0]])
    assert te[0] == pytest.approx(2.0, abs=1e-12)   # super-frontier point: TE > 1


@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize("returns", ["crs", "vrs"])
def test_column_generation_equals_full_lp(orientation, returns):
    rng = np.random.default_rng(7)
    n = dea_mod.DIRECT_LIMIT + 90
    x = rng.lognormal(size=(n, 3))
    y = rng.lognormal(size=(n, 2)) * x[:, :2] ** 0.5
    frontier = dea_mod.Frontier(x, y, orientation=orientation, returns=returns)
    te, status = frontier.own()
    full = dea_mod.solve_blocks(frontier.x, frontier.y, frontier.x, frontier.y,
                                orientation=orientation, vrs=returns == "vrs")
    assert (status == 0).all()
    np.testing.assert_allclose(te, full.te, atol=1e-8)
    assert len(frontier.support) < n // 2
    x2, y2 = x * rng.uniform(0.7, 1.3, x.shape), y * rng.uniform(0.7, 1.5, y.shape)
    te2, st2 = frontier.evaluate(x2, y2)
    full2 = dea_mod.solve_blocks(frontier.x, frontier.y, x2 / frontier._sx, y2 / frontier._sy,
                                 orientation=orientation, vrs=returns == "vrs")
    np.testing.assert_array_equal(st2, full2.status)
    ok = st2 == 0
    np.testing.assert_allclose(te2[ok], full2.te[ok], atol=1e-8)
    if returns == "vrs":
        assert (st2 == 2).any()       # points outside the VRS input/output range are infeasible
    else:
        assert ok.all()


# -- unbalanced panels and infeasible LPs ------------------------------------------------------
def test_unbalanced_panel_uses_present_firms_only():
    data = eg4_frame()
    data = data[~((data["firm"] == 3) & (data["period"] == 2))]
    model = fit_eg4(data)
    assert model.missing_.to_dict(orient="records") == [{"firm": 3, "period": 2}]
    assert not ((model.results_["firm"] == 3)).any()      # no 1→2 nor 2→3 pair for firm 3
    # Period-2 frontier without firm 3: best y/x is 1 (firm 5), so by hand:
    assert value(model, 1, 2, "effch") == pytest.approx(1.0, abs=1e-12)
    assert value(model, 1, 2, "techch") == pytest.approx(1.0, abs=1e-12)
    assert value(model, 2, 2, "tfpch") == pytest.approx(1.5, abs=1e-12)
    assert value(model, 2, 2, "pech") == pytest.approx(1.5, abs=1e-12)   # (9/11) / (6/11)
    assert value(model, 2, 2, "sech") == pytest.approx(1.0, abs=1e-12)
    assert value(model, 1, 3, "effch") == pytest.approx(0.75, abs=1e-12)
    assert value(model, 1, 3, "techch") == pytest.approx(4 / 3, abs=1e-12)
    assert model.annual_means_.set_index("period").loc[2, "n_firms"] == 4
    eff = model.efficiency_.set_index(["firm", "period"])
    assert np.isnan(eff.loc[(3, 1), "crs_te_next_tech"]) and np.isnan(eff.loc[(3, 3), "crs_te_prev_tech"])


def test_infeasible_vrs_cross_period_lp_gives_nan_and_status():
    data = eg4_frame()
    data.loc[(data["firm"] == 1) & (data["period"] == 2), "x1"] = 1   # below every period-1 input
    model = fit_eg4(data, returns="vrs")
    lp = model.lp_status_
    bad = lp[lp["status"] != "optimal"]
    # Firm 1's period-2 input (1) is below every input of periods 1 and 3 (all ≥ 2): with
    # Σλ = 1 no VRS combination uses so little, against either adjacent technology.
    assert bad[["firm", "period", "lp", "reference_period", "status"]].to_dict(orient="records") == [
        {"firm": 1, "period": 2, "lp": "vrs_prev_tech", "reference_period": 1, "status": "infeasible"},
        {"firm": 1, "period": 2, "lp": "vrs_next_tech", "reference_period": 3, "status": "infeasible"}]
    assert bad["te"].isna().all()
    for t in (2, 3):
        assert np.isnan(value(model, 1, t, "techch")) and np.isnan(value(model, 1, t, "tfpch"))
    assert value(model, 1, 2, "effch") == pytest.approx(1.0, abs=1e-12)
    status = model.results_.set_index(["firm", "period"])["status"]
    assert status.loc[(1, 2)] == "vrs_prev_tech infeasible (period 2)"
    assert status.loc[(1, 3)] == "vrs_next_tech infeasible (period 2)"
    assert (status.drop([(1, 2), (1, 3)]) == "ok").all()
    annual = model.annual_means_.set_index("period").loc[2]
    assert annual["n_failed"] == 1 and annual["n_firms"] == 5
    finite = model.results_[(model.results_["period"] == 2) & (model.results_["firm"] != 1)]["tfpch"]
    assert annual["tfpch"] == pytest.approx(np.exp(np.log(finite).mean()), rel=1e-12)
    # VRS throughout: EFFCH = PECH and SECH = 1.
    ok = model.results_.dropna()
    np.testing.assert_allclose(ok["pech"], ok["effch"]) and np.testing.assert_allclose(ok["sech"], 1.0)
    # The DEAP (CRS) index of the same data has no failure.
    assert (fit_eg4(data).lp_status_["status"] == "optimal").all()


def test_text_periods_are_ordered_as_text_and_numeric_ones_as_numbers():
    data = eg4_frame()
    data["period"] = data["period"].map({1: "2001Q1", 2: "2001Q2", 3: "2001Q3"})
    model = fit_eg4(data)
    assert model.periods_ == ["2001Q1", "2001Q2", "2001Q3"]
    assert value(model, 2, "2001Q2", "tfpch") == pytest.approx(1.5, abs=1e-12)
    data["period"] = eg4_frame()["period"].map({1: "9", 2: "10", 3: "11"})   # 9 < 10 as numbers
    assert fit_eg4(data).periods_ == [9, 10, 11]


# -- sub-groups --------------------------------------------------------------------------------
def test_subgroup_means_by_column_and_mapping():
    data = eg4_frame()
    data["grp"] = np.where(data["firm"] <= 2, "A", "B")
    model = MalmquistIndex().fit(data, inputs="x1", outputs="y1", groups=["grp"])
    table = model.subgroup_means("grp").set_index("grp")
    assert list(table.index) == ["all firms", "A", "B"]
    assert table.loc["A", "tfpch"] == pytest.approx(1.5 ** 0.25, abs=1e-12)
    assert table.loc["B", "tfpch"] == pytest.approx(1.2 ** (1 / 6), abs=1e-12)
    assert table.loc["all firms", "tfpch"] == pytest.approx(model.overall_mean_["tfpch"], abs=1e-15)
    assert table.loc["A", ["n_firms", "n_periods", "n_obs"]].tolist() == [2, 2, 4]
    by_map = model.subgroup_means({1: "A", 2: "A", 3: "B", 4: "B", 5: "B"}).set_index("group")
    assert by_map.loc["B", "effch"] == pytest.approx(table.loc["B", "effch"], abs=1e-15)
    with pytest.raises(UserError, match="no group column 'ownership'"):
        model.subgroup_means("ownership")


def test_group_that_changes_is_counted_where_it_was():
    data = eg4_frame()
    data["grp"] = np.where((data["firm"] == 1) & (data["period"] == 3), "B", "A")
    model = MalmquistIndex().fit(data, inputs="x1", outputs="y1", groups="grp")
    table = model.subgroup_means("grp").set_index("grp")
    assert table.loc["B", "n_obs"] == 1 and table.loc["A", "n_obs"] == 9


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.drop(columns=["x1"]), r"missing column\(s\) x1"),
    (lambda d: d.assign(x1=d["x1"].astype(object).where(d.index != 3, "abc")),
     r"'x1' is not a finite number at row 3 \(firm 4, period 1\)"),
    (lambda d: d.assign(x1=d["x1"].where(d.index != 4, 0)), r"'x1' must be > 0 .* at row 4"),
    (lambda d: d.assign(y1=d["y1"].where(d.index != 7, -2)), r"'y1' must be > 0 .*-2 at row 7"),
    (lambda d: d[d["period"] == 1], r"single period \(1\).*at least two"),
    (lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True),
     r"duplicate rows for firm 1, period 1 \(row 0, row 15\)"),
    (lambda d: d.assign(firm=d["firm"].where(d.index != 2, None)), r"'firm' is empty at row 2"),
])
def test_bad_panels_raise_user_errors(mutate, message):
    with pytest.raises(UserError, match=message):
        fit_eg4(mutate(eg4_frame()))


def test_bad_parameters_raise_user_errors():
    with pytest.raises(UserError, match="orientation must be"):
        fit_eg4(orientation="sideways")
    with pytest.raises(UserError, match="both input and output"):
        MalmquistIndex().fit(eg4_frame(), inputs=["x1"], outputs=["x1"])
    with pytest.raises(UserError, match="before asking"):
        MalmquistIndex().subgroup_means("grp")


def test_deap_file_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n2 4\n3\n")
    with pytest.raises(UserError, match="line 3 has 1 numbers"):
        read_deap_data(bad, n_periods=1, n_outputs=1)
    bad.write_text("1 2\n2 4\n3 3\n")
    with pytest.raises(UserError, match="3 observations do not split into 2 periods"):
        read_deap_data(bad, n_periods=2, n_outputs=1)
    bad.write_text("1 2\n2 x\n")
    with pytest.raises(UserError, match="line 2 has 'x'"):
        read_deap_data(bad, n_periods=2, n_outputs=1)
    with pytest.raises(UserError, match="does not say how many periods"):
        read_deap(bad)
    ins = tmp_path / "ins.txt"
    ins.write_text("d.txt\no.txt\n5\n3\n1\n1\n0\n0\n0\n")
    with pytest.raises(UserError, match="line 9 selects DEAP model 0"):
        read_deap_instructions(ins)


# -- bootstrap ---------------------------------------------------------------------------------
def test_bootstrap_one_input_one_output_tfpch_is_deterministic():
    # With one input and one output under CRS, TFPCH is the ratio of y/x in the two periods:
    # no frontier enters it, so every replicate equals the estimate; EFFCH and TECHCH vary.
    model = fit_eg4().bootstrap(40, random_state=3)
    b = model.bootstrap_
    tfp = b[b["component"] == "tfpch"]
    np.testing.assert_allclose(tfp["lower"], tfp["estimate"], atol=1e-12)
    np.testing.assert_allclose(tfp["upper"], tfp["estimate"], atol=1e-12)
    assert (b[b["component"] == "effch"]["std"] > 0.01).all()
    assert set(b["component"]) == {"effch", "techch", "tfpch"} and len(b) == 30
    assert model.bootstrap_info_["bandwidth"] == pytest.approx((4 / 25) ** (1 / 6))


def test_bootstrap_is_reproducible_and_paths_agree(monkeypatch):
    panel = sample_mod.simulate_panel(12, 3, seed=5)
    model = MalmquistIndex().fit(panel, inputs="x1,x2,x3", outputs="y1,y2")
    first = model.bootstrap(15, random_state=11).bootstrap_.copy()
    again = model.bootstrap(15, random_state=11).bootstrap_
    pd.testing.assert_frame_equal(first, again)
    other = model.bootstrap(15, random_state=12).bootstrap_
    assert not np.allclose(first["boot_mean"], other["boot_mean"])
    # Batched replicates (small reference sets) = one Frontier per replicate (large ones).
    monkeypatch.setattr(boot_mod, "DIRECT_LIMIT", 0)
    per_rep = model.bootstrap(15, random_state=11).bootstrap_
    np.testing.assert_allclose(per_rep["boot_mean"], first["boot_mean"], atol=1e-9)
    # Basic (Simar-Wilson) interval = 2·estimate − percentile interval, reversed.
    monkeypatch.undo()
    basic = model.bootstrap(15, random_state=11, ci="basic").bootstrap_
    np.testing.assert_allclose(basic["lower"], 2 * first["estimate"] - first["upper"], atol=1e-12)
    np.testing.assert_allclose(basic["upper"], 2 * first["estimate"] - first["lower"], atol=1e-12)
    assert (first["lower"] <= first["upper"]).all()
    means = model.bootstrap_means_
    assert set(means["scope"]) == {"annual_mean", "overall_mean"} and len(means) == 3 * 3


def test_reflected_draws_stay_on_the_right_side_of_one():
    rng = np.random.default_rng(0)
    delta = 1 + np.abs(rng.normal(0, 0.3, (50, 2)))
    delta[:10] = 1.0
    for _ in range(20):
        gamma = boot_mod.reflected_draws(delta, 0.4, rng)
        assert gamma.shape == (50, 2) and (gamma >= 1).all()


def test_bootstrap_refuses_unbalanced_and_vrs():
    data = eg4_frame()
    with pytest.raises(UserError, match="balanced panel.*firm 3, period 2"):
        fit_eg4(data[~((data["firm"] == 3) & (data["period"] == 2))]).bootstrap(5)
    with pytest.raises(UserError, match="returns='crs'"):
        fit_eg4(returns="vrs").bootstrap(5)
    with pytest.raises(UserError, match="n_bootstrap ≥ 2"):
        fit_eg4().bootstrap(1)


# -- sample -----------------------------------------------------------------------------------
def test_bundled_sample_is_regenerated_byte_for_byte(tmp_path):
    target = sample_mod.write_sample(tmp_path / "s.csv")
    assert target.read_bytes() == sample_mod.sample_path().read_bytes()
    frame = load_sample()
    assert frame.shape == (340, 10) and frame["bank"].nunique() == 34
    assert frame.groupby("size")["bank"].nunique().to_dict() == {"large": 11, "medium": 14, "small": 9}
    assert frame.groupby("ownership")["bank"].nunique().to_dict() == {
        "foreign": 9, "local private": 21, "public": 4}
    assert frame.groupby("listing")["bank"].nunique().to_dict() == {"listed": 4, "not listed": 30}


def test_sample_fit_solves_every_lp():
    panel = load_sample()
    model = MalmquistIndex().fit(panel, firm="bank", period="year",
                                 inputs=list(sample_mod.INPUTS), outputs=list(sample_mod.OUTPUTS))
    assert len(model.results_) == 34 * 9 and len(model.lp_status_) == 34 * 10 * 2 + 34 * 9 * 2


# -- loader and store ----------------------------------------------------------------------------
def test_load_panel_stores_rows_and_rejects_bad_ones(store, tmp_path):
    path = tmp_path / "eg4.csv"
    frame = eg4_frame().rename(columns={"firm": "bank", "period": "year"})
    frame.to_csv(path, index=False)
    report = load_panel(store, path, inputs="x1", outputs="y1", firm="bank", period="year")
    assert report.n_stored == 15 and store.count("malmquist_panel") == 15
    assert store.count("malmquist_panel_raw") == 15
    again = load_panel(store, path, inputs="x1", outputs="y1", firm="bank", period="year")
    assert again.n_stored == 15 and store.count("malmquist_panel") == 15   # idempotent
    model = MalmquistIndex().fit(report.frame, inputs=["x1"], outputs=["y1"])
    assert value(model, "2", 2, "tfpch") == pytest.approx(1.5, abs=1e-12)
    counts = store_results(store, model, "malmquist-test-run")
    assert counts["malmquist_results"] == 10 and store.count("malmquist_results") == 10
    assert store.count("malmquist_means") == 2 + 5 + 1
    frame.loc[4, "x1"] = 0
    frame.to_csv(path, index=False)
    with pytest.raises(UserError, match=r"row 6: column 'x1' must be > 0"):
        load_panel(store, path, inputs="x1", outputs="y1", firm="bank", period="year",
                   dataset="bad")
    assert store.count("rejects", "stage = ?", ["load:malmquist_panel"]) == 1
    with pytest.raises(UserError, match="missing group column"):
        load_panel(store, path, inputs="x1", outputs="y1", firm="bank", period="year",
                   groups="ownership")


def test_cli_on_bundled_sample_without_db(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--no-db", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "34 firms × 10 periods, 306 indices" in result.output
    for name in ("report.md", "manifest.json", "malmquist_annual_means.csv", "malmquist_firm_means.tex",
                 "malmquist_subgroup_means.md", "malmquist_components.png", "malmquist_components.svg",
                 "malmquist_efficiency.csv", "malmquist_firm_period.csv"):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text(encoding="utf-8")
    # tabulate pads the Markdown cells to the column width: compare with the padding dropped
    assert "SYNTHETIC DATA" in report and "| ownership | public | 4 | 9 |" in re.sub(r" +", " ", report)
    sub = pd.read_csv(out / "malmquist_subgroup_means.csv")
    assert list(sub["group"][:1]) == ["all firms"] and len(sub) == 1 + 3 + 3 + 2


def test_cli_with_db_and_deap_file(eg4_dir, tmp_path):
    out = tmp_path / "eg4"
    result = CliRunner().invoke(cli, ["--dea-file", str(eg4_dir / "deap_eg4-dta.txt"), "--periods", "3",
                                      "--n-outputs", "1", "--db", str(tmp_path / "z.db"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "mean TFPCH 1.061" in result.output
    annual = pd.read_csv(out / "malmquist_annual_means.csv")
    assert annual["tfpch"].iloc[0] == pytest.approx(1.1247461131, abs=1e-9)
    from zhengce.corpus.store import Store

    with Store.open(tmp_path / "z.db") as store:
        assert store.count("malmquist_panel") == 15 and store.count("malmquist_results") == 10
        assert store.latest_run("malmquist")["status"] == "ok"


def test_cli_user_mistakes(tmp_path):
    path = tmp_path / "p.csv"
    eg4_frame().to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["--no-db", "--input", str(path), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, UserError) and "--inputs x1,x2" in str(result.exception)


def test_load_panel_reads_xlsx(store, tmp_path):
    path = tmp_path / "eg4.xlsx"
    data = eg4_frame()
    data["ownership"] = np.where(data["firm"] == 5, "", "local")   # an empty group cell is allowed
    data.to_excel(path, index=False)
    report = load_panel(store, path, inputs=["x1"], outputs=["y1"], groups=["ownership"])
    assert report.n_stored == 15 and report.n_rejected == 0
    model = MalmquistIndex().fit(report.frame, inputs="x1", outputs="y1", groups="ownership")
    table = model.subgroup_means("ownership").set_index("ownership")
    assert table.loc["(missing)", "n_firms"] == 1 and table.loc["local", "n_firms"] == 4
