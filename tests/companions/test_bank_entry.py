"""Bank foreign-entry companion (Choi & Kim 2020): loader, pooled OLS, VIF, SE types, report, CLI.

Expected numbers are literals worked out by hand (see the comments), not re-runs of the code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zhengce.companions.bank_entry import (TRUE_COEFFICIENTS, BankEntryOLS, generate_sample,
                                   load_panel, prepare_panel, sample_path, vif_table,
                                   write_report)
from zhengce.companions.bank_entry.sample import SAMPLE_RANDOM_STATE
from zhengce.common.errors import UserError

# --- literal data ------------------------------------------------------------------------------

# A 2^3 factorial in (a, b, c) = ±1 with d = a·b·c: the four centred regressors are mutually
# orthogonal and orthogonal to the constant, so OLS can be done by hand:
#   FDI = 1000 + 500a, UNIV = 2 + b, BI = 100 + 50c, TAX = 5d.
# Offices (subsidiaries, branches) give PROS y = .25 .5 0 .5 .75 1 .25 .5.
FACTORIAL_ROWS = [
    # country, subsidiaries, branches, fdi, univ, bi, tax      a  b  c  d
    ("A", 1, 3, 500, 1, 50, -5),      # -1 -1 -1 -1   PROS 0.25
    ("B", 2, 2, 1500, 1, 50, 5),      # +1 -1 -1 +1   PROS 0.50
    ("C", 0, 2, 500, 3, 50, 5),       # -1 +1 -1 +1   PROS 0.00
    ("D", 1, 1, 1500, 3, 50, -5),     # +1 +1 -1 -1   PROS 0.50
    ("E", 3, 1, 500, 1, 150, 5),      # -1 -1 +1 +1   PROS 0.75
    ("F", 4, 0, 1500, 1, 150, -5),    # +1 -1 +1 -1   PROS 1.00
    ("G", 1, 3, 500, 3, 150, -5),     # -1 +1 +1 -1   PROS 0.25
    ("H", 1, 1, 1500, 3, 150, 5),     # +1 +1 +1 +1   PROS 0.50
]
# By hand: mean y = 3.75/8 = 0.46875; a'y = 1.25, b'y = -1.25, c'y = 1.25, d'y = -0.25, so the
# centred slopes are 0.15625, -0.15625, 0.15625, -0.03125 (each x'y / 8). Rescaled:
#   β1 = 0.15625/500 = 0.0003125, β2 = -0.15625, β3 = 0.15625/50 = 0.003125,
#   β4 = -0.03125/5 = -0.00625, β0 = 0.46875 - 2(0.15625) + 2(0.15625) - 2(0.15625) = 0.15625.
# y'y = 2.4375, TSS = 2.4375 - 8(0.46875²) = 0.6796875, ESS = 8(3·0.15625² + 0.03125²)
# = 0.59375, RSS = 0.0859375, σ² = RSS/3; SE of a centred slope = sqrt(σ²/8) = 0.0598391942;
# R² = 76/87, adj R² = 1 - (11/87)(7/3) = 184/261, F = (ESS/4)/(RSS/3) = 57/11.
FACTORIAL_COEF = {"const": 0.15625, "fdi": 0.0003125, "univ": -0.15625, "bi": 0.003125,
                  "tax": -0.00625}
CENTRED_SE = 0.0598391942
FACTORIAL_SE = {"const": math.sqrt(13) * CENTRED_SE,  # Var β0 = σ²/8 · (1 + 2² + 2² + 2²)
                "fdi": CENTRED_SE / 500, "univ": CENTRED_SE, "bi": CENTRED_SE / 50,
                "tax": CENTRED_SE / 5}


def factorial_panel() -> pd.DataFrame:
    return pd.DataFrame(
        [{"country": c, "year": 2010, "subsidiaries": s, "branches": b, "fdi": f, "univ": u,
          "bi": bi, "tax": t} for c, s, b, f, u, bi, t in FACTORIAL_ROWS])


def csv_text(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


HEADER = "country,year,subsidiaries,branches,fdi,univ,bi,tax"


@pytest.fixture(scope="module")
def sample_fit() -> BankEntryOLS:
    panel = pd.read_csv(sample_path())
    return BankEntryOLS().fit(panel)


# --- PROS and the loader -------------------------------------------------------------------------

def test_pros_is_subsidiary_share_on_literal_panel():
    raw = pd.DataFrame({"country": ["X", "X", "Y", "Z"], "year": ["2010", "2012", "2010", "2014"],
                        "subsidiaries": ["1", "3", "0", "2"], "branches": ["3", "1", "5", "0"],
                        "fdi": ["1,200", "800", "50", "0"], "univ": ["1", "2", "3", "4"],
                        "bi": ["55.5", "60", "120", "80"], "tax": ["-2.2", "0", "10.8", "-7"]})
    panel = prepare_panel(raw)
    assert panel["pros"].tolist() == [0.25, 0.75, 0.0, 1.0]
    assert panel["fdi"].tolist() == [1200.0, 800.0, 50.0, 0.0]  # thousands separator accepted
    assert panel["row_number"].tolist() == [2, 3, 4, 5]


def test_supplied_pros_is_checked_against_counts():
    ok = pd.DataFrame([{"country": "X", "year": 2010, "subsidiaries": 1, "branches": 2,
                        "fdi": 1, "univ": 1, "bi": 1, "tax": 0, "PROS": 0.333}])
    assert prepare_panel(ok)["pros"].iloc[0] == pytest.approx(1 / 3)
    bad = ok.assign(PROS=0.5)
    with pytest.raises(UserError, match=r"row 2: .*'pros' is 0.5 but .* = 1/3 = 0.3333"):
        prepare_panel(bad)


def test_zero_office_row_is_an_error_naming_the_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(csv_text(HEADER, "K,2010,1,1,10,2,50,1", "L,2012,0,0,10,2,50,1"))
    with pytest.raises(UserError, match=r"row 3: country 'L' year 2012: subsidiaries \+ branches "
                                        r"= 0, so PROS .* undefined"):
        prepare_panel(pd.read_csv(path, dtype=str), path=path)


def test_missing_columns_are_named():
    frame = pd.DataFrame({"country": ["X"], "year": [2010], "subsidiaries": [1], "fdi": [1.0],
                          "univ": [1], "bi": [1.0]})
    with pytest.raises(UserError, match=r"missing column\(s\) branches, tax"):
        prepare_panel(frame)


def test_non_numeric_value_names_row_and_column():
    frame = factorial_panel().astype(str)
    frame.loc[2, "bi"] = "n/a"
    with pytest.raises(UserError, match=r"row 4: column 'bi' is not a number: 'n/a'"):
        prepare_panel(frame)


@pytest.mark.parametrize("value, message", [
    ("5", r"row 2: column 'univ' must be one of \[1, 2, 3, 4\]: '5'"),
    ("0", r"row 2: column 'univ' must be one of \[1, 2, 3, 4\]: '0'"),
    ("2.5", r"row 2: column 'univ' must be a whole number: '2.5'.*--univ-average"),
])
def test_univ_outside_1_to_4_or_fractional_is_rejected(value, message):
    frame = factorial_panel().astype(str)
    frame.loc[0, "univ"] = value
    with pytest.raises(UserError, match=message):
        prepare_panel(frame)


def test_univ_average_accepts_quarter_steps_but_not_above_4():
    frame = factorial_panel()
    frame["univ"] = frame["univ"].astype(float)
    frame.loc[0, "univ"] = 1.75
    assert prepare_panel(frame, univ_average=True)["univ"].iloc[0] == 1.75
    frame.loc[0, "univ"] = 4.25
    with pytest.raises(UserError, match=r"row 2: column 'univ' must be <= 4: '4.25'"):
        prepare_panel(frame, univ_average=True)


def test_negative_counts_are_rejected():
    frame = factorial_panel()
    frame.loc[5, "branches"] = -1
    with pytest.raises(UserError, match=r"row 7: column 'branches' must be >= 0: '-1'"):
        prepare_panel(frame)


def test_duplicate_country_year_is_an_error():
    frame = factorial_panel()
    frame.loc[1, "country"] = "A"
    with pytest.raises(UserError, match=r"duplicate rows for country=A, year=2010 \(rows 2, 3\)"):
        prepare_panel(frame)


# --- OLS (Table 2) on a hand-computed design ----------------------------------------------------

def test_ols_coefficients_match_hand_computation():
    model = BankEntryOLS(cov_types=("nonrobust",)).fit(factorial_panel())
    table = model.table2_.set_index("term")
    for term, value in FACTORIAL_COEF.items():
        assert table.loc[term, "coef"] == pytest.approx(value, abs=1e-12)
        assert table.loc[term, "se"] == pytest.approx(FACTORIAL_SE[term], rel=1e-8)
    # t of each centred slope: 0.15625 / 0.0598391942 = 2.6111648; d: -0.03125/… = -0.5222330
    assert table.loc["fdi", "t"] == pytest.approx(2.6111648, rel=1e-6)
    assert table.loc["tax", "t"] == pytest.approx(-0.5222330, rel=1e-6)
    assert table.loc["fdi", "df"] == 3.0  # N − k − 1 = 8 − 4 − 1
    fit = model.fit_stats_.iloc[0]
    assert fit["n_obs"] == 8
    assert fit["r2"] == pytest.approx(76 / 87)
    assert fit["adj_r2"] == pytest.approx(184 / 261)
    assert fit["f_stat"] == pytest.approx(57 / 11)
    assert (fit["f_df_num"], fit["f_df_denom"]) == (4.0, 3.0)


def test_ols_agrees_with_numpy_lstsq_on_the_sample(sample_fit):
    panel = pd.read_csv(sample_path())
    y = panel["subsidiaries"] / (panel["subsidiaries"] + panel["branches"])
    x = np.column_stack([np.ones(len(panel)), panel[["fdi", "univ", "bi", "tax"]].to_numpy()])
    beta, *_ = np.linalg.lstsq(x, y.to_numpy(), rcond=None)
    assert sample_fit.table2_["coef"].to_numpy() == pytest.approx(beta, rel=1e-8)


def test_fdi_millions_scales_coefficient_not_inference():
    thousands = BankEntryOLS(cov_types=("nonrobust",)).fit(factorial_panel())
    millions = BankEntryOLS(cov_types=("nonrobust",), fdi_scale="millions").fit(factorial_panel())
    assert millions.coefficient("fdi")["coef"] == pytest.approx(0.3125)  # 0.0003125 × 1000
    assert millions.coefficient("fdi")["t"] == pytest.approx(thousands.coefficient("fdi")["t"])
    assert millions.fdi_label_ == "FDI (USD millions)"


def test_fdi_log_needs_positive_fdi_and_log1p_does_not():
    panel = factorial_panel()
    panel.loc[3, "fdi"] = 0
    with pytest.raises(UserError, match=r"fdi_scale='log' needs FDI > 0 but rows 5 have FDI = 0"):
        BankEntryOLS(fdi_scale="log").fit(panel)
    model = BankEntryOLS(fdi_scale="log1p", cov_types=("nonrobust",)).fit(panel)
    assert model.design_["fdi"].iloc[3] == 0.0
    assert model.design_["fdi"].iloc[0] == pytest.approx(math.log(501))


# --- VIF ----------------------------------------------------------------------------------------

def test_vif_two_regressors_with_known_correlation():
    # x1 = 1,2,3,4 and x2 = 1,3,2,4: deviations (-1.5,-.5,.5,1.5) and (-1.5,.5,-.5,1.5);
    # cross-product 4, sums of squares 5 → r = 0.8, VIF = 1 / (1 − 0.64) = 2.7777…
    design = pd.DataFrame({"x1": [1.0, 2.0, 3.0, 4.0], "x2": [1.0, 3.0, 2.0, 4.0]})
    vif = vif_table(design)
    assert vif["variable"].tolist() == ["x1", "x2"]
    assert vif["vif"].tolist() == pytest.approx([1 / 0.36, 1 / 0.36])
    # With the constant in the design a shift changes nothing (it would without it).
    shifted = vif_table(design.assign(x1=design["x1"] + 1000.0))
    assert shifted["vif"].tolist() == pytest.approx([1 / 0.36, 1 / 0.36])


def test_vif_is_one_for_orthogonal_regressors():
    model = BankEntryOLS(cov_types=("nonrobust",)).fit(factorial_panel())
    assert model.vif_["variable"].tolist() == ["FDI", "UNIV", "BI", "TAX"]
    assert model.vif_["vif"].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])


# --- robust and clustered standard errors --------------------------------------------------------

def _sandwich(x, u, meat_rows, scale):
    bread = np.linalg.inv(x.T @ x)
    meat = sum(np.outer(r, r) for r in meat_rows)
    return np.sqrt(np.diag(bread @ meat @ bread) * scale)


def test_hc_and_cluster_se_match_the_textbook_sandwich(sample_fit):
    design = sample_fit.design_
    x = np.column_stack([np.ones(len(design)), design[["fdi", "univ", "bi", "tax"]].to_numpy()])
    y = design["pros"].to_numpy()
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    u = y - x @ beta
    n, k = x.shape
    h = np.einsum("ij,jk,ik->i", x, np.linalg.inv(x.T @ x), x)
    hc1 = _sandwich(x, u, (x[i] * u[i] for i in range(n)), n / (n - k))
    hc3 = _sandwich(x, u, (x[i] * u[i] / (1 - h[i]) for i in range(n)), 1.0)
    countries = design["country"].to_numpy()
    groups = sorted(set(countries))
    g = len(groups)
    cluster = _sandwich(x, u, ((x[countries == c] * u[countries == c, None]).sum(axis=0)
                               for c in groups), g / (g - 1) * (n - 1) / (n - k))
    table = sample_fit.coef_table_
    assert table[table["cov_type"] == "HC1"]["se"].to_numpy() == pytest.approx(hc1, rel=1e-8)
    assert table[table["cov_type"] == "HC3"]["se"].to_numpy() == pytest.approx(hc3, rel=1e-8)
    assert table[table["cov_type"] == "cluster"]["se"].to_numpy() == pytest.approx(cluster,
                                                                                 rel=1e-8)


def test_clustered_inference_uses_t_with_g_minus_1_df(sample_fit):
    rows = sample_fit.coef_table_
    clustered = rows[rows["cov_type"] == "cluster"]
    assert (clustered["df"] == 19.0).all()  # G − 1 = 20 − 1
    for row in clustered.itertuples():
        assert row.p == pytest.approx(2 * stats.t.sf(abs(row.t), 19), rel=1e-10)
        # t(0.975, 19) = 2.093024 (tables); t(0.975, 53) would be 2.005746.
        assert (row.ci_high - row.coef) / row.se == pytest.approx(2.093024, abs=1e-6)
    nonrobust = rows[rows["cov_type"] == "nonrobust"]
    assert (nonrobust["df"] == 53.0).all()  # N − k − 1 = 58 − 4 − 1
    row = nonrobust.iloc[1]
    assert (row.ci_high - row.coef) / row.se == pytest.approx(2.005746, abs=1e-6)
    fit = sample_fit.fit_stats_.set_index("cov_type")
    assert fit.loc["cluster", "f_df_denom"] == 19.0
    assert fit.loc["cluster", "n_clusters"] == 20


def test_cluster_column_other_than_country():
    panel = pd.read_csv(sample_path())
    panel["Region"] = panel["country"].str[-1]  # SYN-01..SYN-20 → 10 final digits
    model = BankEntryOLS(cov_types=("cluster",), cluster_col="region").fit(panel)
    assert model.n_clusters_ == 10
    assert (model.coef_table_["df"] == 9.0).all()
    assert model.notes_[0].startswith("Only 10 clusters (region)")


def test_too_few_clusters_note_gives_the_count(sample_fit):
    note = sample_fit.notes_[0]
    assert note.startswith("Only 20 clusters (country), fewer than 50")
    assert "G - 1 = 19 df" in note
    assert any("Long & Ervin" in n and "N = 58" in n for n in sample_fit.notes_)
    no_cluster = BankEntryOLS(cov_types=("nonrobust", "HC3")).fit(pd.read_csv(sample_path()))
    assert not any("clusters" in n and n.startswith("Only") for n in no_cluster.notes_)
    enough = BankEntryOLS(min_clusters=20).fit(pd.read_csv(sample_path()))
    assert not any(n.startswith("Only") for n in enough.notes_)


def test_table1_is_pearson_correlation_of_the_four_regressors(sample_fit):
    t1 = sample_fit.table1_
    assert list(t1.columns) == ["FDI", "UNIV", "BI", "TAX"]
    panel = pd.read_csv(sample_path())
    r = np.corrcoef(panel["bi"], panel["univ"])[0, 1]
    assert t1.loc["BI", "UNIV"] == pytest.approx(r)
    assert np.allclose(np.diag(t1.to_numpy()), 1.0)
    assert t1.loc["BI", "UNIV"] < -0.3  # the process builds the paper's negative BI-UNIV link


# --- the bundled synthetic sample ----------------------------------------------------------------

def test_sample_has_58_rows_20_countries_3_years_and_is_labelled_synthetic():
    panel = pd.read_csv(sample_path())
    assert len(panel) == 58
    assert panel["country"].nunique() == 20
    assert sorted(panel["year"].unique()) == [2010, 2012, 2014]
    assert (panel.groupby("country").size() < 3).sum() == 2
    assert panel["data_status"].str.startswith("SYNTHETIC").all()
    readme = (sample_path().parent / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "not real data" in readme


def test_shipped_sample_is_reproducible_from_its_seed():
    shipped = pd.read_csv(sample_path())
    again = generate_sample(SAMPLE_RANDOM_STATE)
    pd.testing.assert_frame_equal(shipped, again, check_dtype=False, atol=0.051)
    assert not generate_sample(SAMPLE_RANDOM_STATE + 1).equals(again)


def test_sample_fit_recovers_the_true_coefficients(sample_fit):
    for term, truth in TRUE_COEFFICIENTS.items():
        for cov in ("nonrobust", "HC3", "cluster"):
            row = sample_fit.coefficient(term, cov)
            assert np.sign(row["coef"]) == np.sign(truth), (term, cov)
            assert row["ci_low"] <= truth <= row["ci_high"], (term, cov)
    assert sample_fit.coefficient("tax")["p"] < 0.05
    assert sample_fit.coefficient("bi")["p"] < 0.05


# --- regression errors ---------------------------------------------------------------------------

def test_too_few_rows_for_the_regression():
    with pytest.raises(UserError,
                       match=r"too few rows for the regression: N = 5, .* needs N ≥ 6"):
        BankEntryOLS().fit(factorial_panel().iloc[:5])
    six = BankEntryOLS().fit(factorial_panel().iloc[:6])
    assert six.fit_stats_["df_resid"].iloc[0] == 1.0
    # Rows A..F of the factorial: the only residual direction orthogonal to the constant and
    # a, b, c, d is e ∝ (0, 0, 1, −1, −1, 1), so A and B (file rows 2, 3) have leverage 1.
    assert "Rows 2, 3 have leverage 1" in " ".join(six.notes_)
    assert "1 residual degree(s) of freedom" in " ".join(six.notes_)


def test_constant_regressor_is_named():
    panel = factorial_panel().assign(univ=2)
    with pytest.raises(UserError, match=r"column 'univ' has the same value \(2\) in all 8 rows"):
        BankEntryOLS().fit(panel)


def test_bad_parameters_are_user_errors():
    with pytest.raises(UserError, match="cov_types .*HC0.* not understood"):
        BankEntryOLS(cov_types=("HC0",)).fit(factorial_panel())
    with pytest.raises(UserError, match="fdi_scale 'billions' not understood"):
        BankEntryOLS(fdi_scale="billions").fit(factorial_panel())
    with pytest.raises(UserError, match="cluster_col 'region' is not a column"):
        BankEntryOLS(cluster_col="region").fit(factorial_panel())


# --- report --------------------------------------------------------------------------------------

def test_report_writes_tables_figure_manifest_and_notes(tmp_path, sample_fit):
    paths = write_report(sample_fit, tmp_path, input_path=sample_path(), synthetic=True)
    for name in ("table1_correlations.csv", "table2_ols.md", "table2_se_comparison.tex",
                 "vif.csv", "coef_plot.png", "coef_plot.svg", "manifest.json", "report.md"):
        assert (tmp_path / name).is_file(), name
    assert set(paths) >= {"coef_plot.png", "manifest.json", "report.md"}
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["n_obs"] == 58 and manifest["n_clusters"] == 20
    assert manifest["synthetic_input"] is True
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in report and "Only 20 clusters" in report
    se = pd.read_csv(tmp_path / "table2_se_comparison.csv")
    assert list(se.columns[:3]) == ["term", "notation", "coef"]
    assert {"se_nonrobust", "se_HC1", "se_HC3", "se_cluster"} <= set(se.columns)


# --- store and CLI -------------------------------------------------------------------------------

def test_load_panel_into_store_keeps_raw_and_is_idempotent(store):
    loaded = load_panel(store)
    assert len(loaded.panel) == 58
    assert store.count("bank_entry_panel") == 58
    assert store.count("bank_entry_panel_raw") == 58
    load_panel(store)
    assert store.count("bank_entry_panel") == 58
    assert store.count("bank_entry_panel_raw") == 58
    row = store.db.execute("select pros, typeof(pros) from bank_entry_panel "
                           "where country = 'SYN-01' and year = 2010").fetchone()
    assert row == (4 / 6, "real")  # SYN-01 2010: 4 subsidiaries, 2 branches


def test_load_panel_rejects_zero_office_rows_with_reason(store, tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text(csv_text(HEADER, "K,2010,1,1,10,2,50,1", "L,2012,0,0,10,2,50,1",
                             "M,2012,-1,2,10,2,50,1"))
    loaded = load_panel(store, path, on_error="reject")
    assert loaded.panel["country"].tolist() == ["K"]
    assert store.count("bank_entry_panel") == 1
    assert store.count("bank_entry_panel_raw") == 3
    reasons = dict(store.db.execute("select record_ref, reason from rejects").fetchall())
    assert "PROS = subsidiaries / (subsidiaries + branches) is undefined" in \
        reasons[f"{path}:row 3"]
    assert "column 'subsidiaries' must be >= 0" in reasons[f"{path}:row 4"]
    with pytest.raises(UserError, match=r"2 bad row\(s\): row 3: .*; row 4: "):
        load_panel(store, path)


def test_cli_runs_on_the_bundled_sample(tmp_path):
    from click.testing import CliRunner

    from zhengce.companions.bank_entry.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "z.db"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("bank-entry: N=58 (20 countries), adj. R²=")
    assert "FDI coef=" in last and "(p=" in last and "[SYNTHETIC data]" in last
    assert (out / "report.md").is_file() and (out / "coef_plot.png").is_file()


def test_cli_bad_input_is_a_user_error(tmp_path):
    from click.testing import CliRunner

    from zhengce.companions.bank_entry.cli import cli

    path = tmp_path / "bad.csv"
    path.write_text(csv_text("country,year,subsidiaries,fdi,univ,bi,tax", "K,2010,1,10,2,50,1"))
    result = CliRunner().invoke(cli, ["--input", str(path), "--db", str(tmp_path / "z.db"),
                                      "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, UserError)
    assert "missing column(s) branches" in str(result.exception)
