"""Tests of the coup companion (paper 002): loaders, the paper's threshold sweep, the honest
model's guards and time split, determinism, and the real-data run (under ../shared)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zhengce.companions.coup import (FORBIDDEN_FEATURES, HonestCoupModel, PaperCoupModel, REIGN_2019,
                             REIGN_2021, confusion_at, country_months, detect_ptcoups_kind,
                             detect_reign_version, fit_real, history_features, join_country_year,
                             lagged_panel, load_ptcoups, load_reign_monthly,
                             make_reign_monthly_sample, noise_probe, paper_design,
                             permutation_importances, pick_thresholds, sample_path,
                             threshold_grid, threshold_sweep, time_split)
from zhengce.common.errors import UserError

HEADER_2019 = (
    "ccode,country,leader,year,month,elected,age,male,militarycareer,tenure_months,government,"
    "anticipation,ref_ant,leg_ant,exec_ant,irreg_lead_ant,election_now,election_recent,leg_recent,"
    "exec_recent,lead_recent,ref_recent,direct_recent,indirect_recent,victory_recent,defeat_recent,"
    "change_recent,nochange_recent,delayed,lastelection,loss,irregular,prev_conflict,pt_suc,"
    "pt_attempt,precip,couprisk,pctile_risk"
)
HEADER_2021 = (
    "ccode,country,leader,year,month,elected,age,male,militarycareer,tenure_months,government,"
    "gov_democracy,dem_duration,anticipation,ref_ant,leg_ant,exec_ant,irreg_lead_ant,election_now,"
    "election_recent,leg_recent,exec_recent,lead_recent,ref_recent,direct_recent,indirect_recent,"
    "victory_recent,defeat_recent,change_recent,nochange_recent,delayed,lastelection,"
    "political_violence,prev_conflict,pt_suc,pt_attempt,precip,couprisk,pctile_risk"
)
# 18 election flags, all 0 in these rows
FLAGS = ",".join(["0"] * 18)
ROWS_2019 = [
    f"40,Cuba,Castro,1990,1,0,63,1,1,372,Party-Personal,{FLAGS},3.2,5.1,6.0,0,0,0,0.52,0.01,0.40",
    # a month with a leader change: the outgoing leader (attempt, success) then the newcomer
    f"41,Haiti,Trouillot,1991,9,0,47,0,0,18,Provisional - Civilian,{FLAGS},1.1,2.0,3.0,0,1,1,-1.8,0.20,0.99",
    f"41,Haiti,Cedras,1991,9,0,42,1,1,1,Military,{FLAGS},1.1,2.0,0.0,0,0,0,-1.8,0.20,0.99",
]
ROWS_2021 = [
    f"2,USA,Biden,2021,3,1,79,1,0,3,Presidential Democracy,1,5.4,{FLAGS},0.69,0.3,0,0,0,0.1,0.001,0.05",
    f"2,USA,Biden,2021,4,1,79,1,0,4,Presidential Democracy,1,5.4,{FLAGS},1.10,0.2,0,0,0,-0.4,0.001,0.05",
]


def _write(tmp_path, name, header, rows):
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------

def test_literal_headers_have_the_documented_widths():
    assert len(HEADER_2019.split(",")) == 38
    assert len(HEADER_2021.split(",")) == 39
    assert all(len(r.split(",")) == 38 for r in ROWS_2019)
    assert all(len(r.split(",")) == 39 for r in ROWS_2021)


def test_detect_reign_version_from_header():
    assert detect_reign_version(HEADER_2019.split(",")) == REIGN_2019
    assert detect_reign_version(HEADER_2021.split(",")) == REIGN_2021
    # case does not matter, as in the loader
    assert detect_reign_version(HEADER_2021.upper().split(",")) == REIGN_2021


def test_detect_reign_version_names_missing_columns():
    cols = [c for c in HEADER_2019.split(",") if c not in ("loss", "tenure_months")]
    with pytest.raises(UserError, match=r"lacks column\(s\) tenure_months"):
        detect_reign_version(cols, "x.csv")
    cols = [c for c in HEADER_2021.split(",") if c != "precip"]  # precip is optional
    assert detect_reign_version(cols) == REIGN_2021
    cols = [c for c in HEADER_2021.split(",") if c != "dem_duration"]
    with pytest.raises(UserError, match="dem_duration"):
        detect_reign_version(cols, "x.csv")


def test_load_both_versions_into_the_store(store, tmp_path):
    p19 = _write(tmp_path, "r19.csv", HEADER_2019, ROWS_2019)
    p21 = _write(tmp_path, "r21.csv", HEADER_2021, ROWS_2021)
    a = load_reign_monthly(store, p19)
    b = load_reign_monthly(store, p21)
    assert (a.version, b.version) == (REIGN_2019, REIGN_2021)
    assert store.count("coup_reign") == 5
    assert store.count("coup_reign", "reign_version = ?", [REIGN_2021]) == 2
    assert store.count("coup_reign_raw") == 5
    haiti = list(store.db.query("select leader, tenure_months, pt_attempt from coup_reign "
                                "where ccode = 41 order by tenure_months"))
    assert haiti == [{"leader": "Cedras", "tenure_months": 1.0, "pt_attempt": 0},
                     {"leader": "Trouillot", "tenure_months": 18.0, "pt_attempt": 1}]
    # loading again changes nothing (upsert on the natural key)
    load_reign_monthly(store, p19)
    assert store.count("coup_reign") == 5


def test_non_numeric_value_names_row_and_column(store, tmp_path):
    bad = ROWS_2019[1].replace(",47,", ",forty-seven,")
    path = _write(tmp_path, "bad.csv", HEADER_2019, [ROWS_2019[0], bad])
    with pytest.raises(UserError, match=r"row 3: column 'age' is not a number: 'forty-seven'"):
        load_reign_monthly(store, path)
    rejects = list(store.db.query("select reason from rejects"))
    assert rejects == [{"reason": "column 'age' is not a number: 'forty-seven'"}]


def test_model_names_non_numeric_cell():
    frame = make_reign_monthly_sample(REIGN_2019)
    frame["age"] = frame["age"].astype(object)
    frame.loc[5, "age"] = "old"
    with pytest.raises(UserError, match=r"row with index 5: column 'age' is not a number: 'old'"):
        PaperCoupModel(n_estimators=5, random_state=0, n_jobs=1).fit(frame)


def test_ptcoups_kind_detection():
    assert detect_ptcoups_kind(["country", "ccode", "year", "month", "day", "coup", "version"]) == "events"
    assert detect_ptcoups_kind(["gwcode", "year", "pt_attempt", "pt_coup"]) == "country_year"
    with pytest.raises(UserError, match="not a Powell & Thyne file"):
        detect_ptcoups_kind(["gwcode", "year", "coups"], "p.csv")


def test_event_list_join_counts_and_reports_unmatched(store, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("country,ccode,year,month,day,coup,version\n"
                      "Ghana,452,1966,2,24,2,V\nGhana,452,1966,4,17,1,V\nGhana,452,1967,4,17,1,V\n"
                      "Sudan,625,1955,8,18,1,V\n", encoding="utf-8")
    loaded = load_ptcoups(store, events)
    assert loaded.kind == "events" and store.count("coup_ptcoups") == 4
    reign = pd.DataFrame({"gwcode": [452, 452, 452, 625], "year": [1965, 1966, 1967, 1966],
                          "age": [56, 57, 50, 60]})
    panel = join_country_year(reign, loaded.frame, loaded.kind, store=store)
    assert panel.frame["pt_attempt"].tolist() == [0, 1, 1, 0]
    assert panel.unmatched_events[["ccode", "year"]].values.tolist() == [[625, 1955]]
    assert store.count("rejects", "stage = 'join:coup_country_year'") == 1


def test_country_months_collapses_leader_change():
    lines = [HEADER_2019, *ROWS_2019]
    frame = pd.DataFrame([line.split(",") for line in lines[1:]], columns=lines[0].split(","))
    for col in ("ccode", "year", "month", "age", "tenure_months", "pt_attempt", "pt_suc"):
        frame[col] = pd.to_numeric(frame[col])
    cm = country_months(frame)
    assert len(cm) == 2
    haiti = cm[cm["ccode"] == 41].iloc[0]
    # the end-of-month leader's features, the month's events
    assert (haiti["leader"], haiti["age"], haiti["tenure_months"]) == ("Cedras", 42, 1)
    assert (haiti["pt_attempt"], haiti["pt_suc"], haiti["n_leaders"]) == (1, 1, 2)
    assert haiti["government"] == "Military"


# ---------------------------------------------------------------------------------------------
# Bundled synthetic samples
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version,n_rows,n_cols", [(REIGN_2019, 293, 38), (REIGN_2021, 263, 39)])
def test_bundled_samples_regenerate_and_have_attempts_every_year(version, n_rows, n_cols):
    path = sample_path(version)
    text = path.read_text(encoding="utf-8")
    assert make_reign_monthly_sample(version).to_csv(index=False) == text
    frame = pd.read_csv(path)
    assert frame.shape == (n_rows, n_cols)
    assert detect_reign_version(frame.columns) == version
    cm = country_months(frame)
    assert len(cm) == 8 * (36 if version == REIGN_2019 else 32)
    # every leader change is a successful coup: one extra row each
    assert n_rows - len(cm) == int(frame["pt_suc"].sum())
    assert (cm.groupby("year")["pt_attempt"].sum() >= 3).all()


# ---------------------------------------------------------------------------------------------
# The paper's method
# ---------------------------------------------------------------------------------------------

def test_threshold_sweep_hand_computed():
    y = [0, 1, 0, 1, 1, 0]
    p = [0.2, 0.8, 0.6, 0.4, 0.9, 0.1]
    sweep = threshold_sweep(y, p, n_thresholds=11)
    # τ = 0.2: ŷ = p > τ picks 0.8, 0.6, 0.4, 0.9 -> TP 3, FP 1, P 3/4, R 1, F1 6/7
    row = sweep.iloc[2]
    assert (row["tp"], row["fp"], row["tn"], row["fn"]) == (3, 1, 2, 0)
    assert row["f1"] == pytest.approx(6 / 7)
    # nothing above 0.9: precision defined as 0
    assert sweep.iloc[9][["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    chosen = pick_thresholds(sweep).set_index("choice")
    assert chosen.at["f1", "threshold"] == pytest.approx(0.2)       # first of the 0.2/0.3 tie
    assert chosen.at["f1", "f1"] == pytest.approx(6 / 7)
    assert chosen.at["precision", "threshold"] == pytest.approx(0.6)  # P = 1, R = 2/3
    assert chosen.at["recall", "threshold"] == 0.0
    assert chosen.at["default", "threshold"] == pytest.approx(0.5)
    assert chosen.loc["default", ["tp", "fp", "tn", "fn"]].tolist() == [2, 1, 2, 1]
    assert confusion_at(y, p, 0.2) == {"fn": 0, "tp": 3, "tn": 2, "fp": 1}


def test_paper_threshold_grid_matches_the_printed_thresholds():
    grid = threshold_grid(1000)
    assert round(grid[127], 6) == 0.127127
    assert round(grid[222], 6) == 0.222222
    default = pick_thresholds(threshold_sweep([0, 1], [0.1, 0.9])).set_index("choice")
    assert round(default.at["default", "threshold"], 6) == 0.500501


def test_paper_design_drops_what_the_paper_drops():
    frame = make_reign_monthly_sample(REIGN_2019)
    X, dropped = paper_design(frame)
    assert set(dropped) == {"irregular", "couprisk", "pctile_risk", "ccode", "country", "leader",
                            "year", "pt_suc", "pt_attempt"}
    n_types = frame["government"].nunique()
    assert X.shape[1] == 38 - 9 - 1 + n_types
    assert "month" in X.columns and "government_Military" in X.columns


def test_paper_model_fits_and_is_deterministic():
    frame = make_reign_monthly_sample(REIGN_2021)
    a = PaperCoupModel(n_estimators=25, random_state=3, n_jobs=1).fit(frame)
    b = PaperCoupModel(n_estimators=25, random_state=3, n_jobs=1).fit(frame)
    c = PaperCoupModel(n_estimators=25, random_state=4, n_jobs=1).fit(frame)
    assert np.array_equal(a.test_scores_, b.test_scores_)
    pd.testing.assert_frame_equal(a.thresholds_, b.thresholds_)
    assert not np.array_equal(a.test_scores_, c.test_scores_)
    assert len(a.sweep_) == 1000 and list(a.thresholds_["choice"]) == ["precision", "recall", "f1", "default"]
    # test split is 30% of the 263 leader-month rows
    assert len(a.y_test_) == math.ceil(0.3 * 263)
    league = a.league_table(frame)
    assert len(league) == 8 and league["rank"].tolist() == list(range(1, 9))
    assert (league["year"] == 2021).all() and (league["month"] == 8).all()


def test_noise_probe_shows_impurity_bias():
    # a pure N(0, 1) column outranks 36 of the 37 real features by impurity importance
    probe = noise_probe(make_reign_monthly_sample(REIGN_2019), n_estimators=50, random_state=0,
                        n_jobs=1)
    assert (probe["rank"], probe["n_features"], probe["top_feature"]) == (2, 38, "precip")


def test_all_zero_target_is_a_clear_error():
    frame = make_reign_monthly_sample(REIGN_2019)
    frame["pt_attempt"] = 0
    with pytest.raises(UserError, match="'pt_attempt' is 0 in all 293 rows"):
        PaperCoupModel(n_estimators=5, n_jobs=1).fit(frame)
    with pytest.raises(UserError, match="is 0 in all"):
        HonestCoupModel(n_estimators=5, n_jobs=1).fit(frame)


# ---------------------------------------------------------------------------------------------
# The honest model
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("leak", FORBIDDEN_FEATURES)
def test_leakage_guard_rejects_forbidden_features(leak):
    frame = make_reign_monthly_sample(REIGN_2019)
    with pytest.raises(UserError, match=f"{leak}.*would leak the outcome"):
        HonestCoupModel(features=["age", leak], n_estimators=5, n_jobs=1).fit(frame)


def test_default_features_never_include_leaks_or_year():
    frame = make_reign_monthly_sample(REIGN_2019)
    model = HonestCoupModel(n_estimators=20, permutation_repeats=0, random_state=0, n_jobs=1).fit(frame)
    names = set(model.feature_names_in_)
    assert not names & {*FORBIDDEN_FEATURES, "pt_attempt", "year", "ccode", "irregular"}
    assert {"attempt_now", "years_since_attempt", "attempts_past_window", "month"} <= names


def test_time_split_boundaries():
    split = time_split(range(2000, 2010), validation_start=2005, test_start=2008)
    assert (split.train, split.validation, split.test) == ((2000, 2004), (2005, 2007), (2008, 2009))
    # default: the latest 20% of years for test, the 20% before for validation
    split = time_split(range(2000, 2010))
    assert (split.train, split.validation, split.test) == ((2000, 2005), (2006, 2007), (2008, 2009))
    split = time_split([2017, 2018, 2019])
    assert (split.train, split.validation, split.test) == ((2017, 2017), (2018, 2018), (2019, 2019))
    with pytest.raises(UserError, match="at least 3 distinct years.*only 2018, 2019"):
        time_split([2018, 2019, 2019])
    with pytest.raises(UserError, match="validation_start"):
        time_split(range(2000, 2010), validation_start=2009, test_start=2008)


def test_single_year_is_a_clear_error():
    frame = make_reign_monthly_sample(REIGN_2019)
    one_year = frame[frame["year"] == 2019]
    with pytest.raises(UserError, match="covers only 2019"):
        HonestCoupModel(n_estimators=5, n_jobs=1).fit(one_year)


def test_lagged_target_and_history_literal():
    frame = pd.DataFrame({"gwcode": [1, 1, 1, 2, 2], "year": [2000, 2001, 2002, 2000, 2002],
                          "pt_attempt": [0, 1, 0, 1, 0]})
    panel = lagged_panel(frame, "gwcode")
    got = panel.set_index(["gwcode", "year"])
    assert got["target_next"].tolist()[:2] == [1.0, 0.0]
    assert got["target_next"].isna().tolist() == [False, False, True, True, True]  # end, gap, end
    assert got["target_period"].tolist() == [2001, 2002, 2003, 2001, 2003]
    hist = history_features(panel, "gwcode").loc[panel.index]
    assert hist["attempt_now"].tolist() == [0, 1, 0, 1, 0]
    assert hist["years_since_attempt"].tolist() == [1, 0, 1, 0, 2]
    assert hist["attempts_past_window"].tolist() == [0, 1, 1, 1, 1]
    one_year = history_features(panel, "gwcode", window_years=1).loc[panel.index]
    assert one_year["attempts_past_window"].tolist() == [0, 1, 0, 1, 0]


def test_monthly_lag_crosses_the_year():
    frame = pd.DataFrame({"ccode": [1, 1, 1], "year": [2018, 2018, 2019], "month": [11, 12, 1],
                          "tenure_months": [5, 6, 7], "pt_attempt": [0, 0, 1]})
    panel = lagged_panel(frame, "ccode")
    assert panel["target_next"].tolist()[:2] == [0.0, 1.0]
    assert panel["target_period"].tolist() == [2018, 2019, 2019]


def test_honest_model_windows_and_determinism():
    frame = make_reign_monthly_sample(REIGN_2019)
    kwargs = dict(n_estimators=30, permutation_repeats=2, random_state=5, n_jobs=1)
    a = HonestCoupModel(**kwargs).fit(frame)
    b = HonestCoupModel(**kwargs).fit(frame)
    # leader-months collapse to 8 x 36 country-months; the last month of each is unlabelled
    assert a.n_unlabelled_ == 8
    assert a.n_windows_ == {"train": {"rows": 88, "attempts": 4},
                            "validation": {"rows": 96, "attempts": 4},
                            "test": {"rows": 96, "attempts": 4}}
    assert a.metrics_ == b.metrics_
    pd.testing.assert_frame_equal(a.permutation_importances_, b.permutation_importances_)
    pd.testing.assert_frame_equal(a.forecast_, b.forecast_)
    assert len(a.forecast_) == 8 and (a.forecast_["from_month"] == 12).all()
    # thresholds were chosen on the validation window: its F1 is the best on its own sweep
    chosen = a.thresholds_.set_index("choice")
    assert chosen.at["f1", "validation_f1"] == pytest.approx(a.validation_sweep_["f1"].max())
    row = chosen.loc["f1"]
    assert row["tp"] + row["fn"] == 4 and row["tn"] + row["fp"] == 92


def test_a_window_without_attempts_is_a_clear_error():
    frame = make_reign_monthly_sample(REIGN_2019)
    frame.loc[frame["year"] == 2019, "pt_attempt"] = 0
    with pytest.raises(UserError, match=r"test window \(2019-2019, 96 rows\) has 0"):
        HonestCoupModel(n_estimators=5, n_jobs=1).fit(frame)


def test_permutation_importances_literal():
    class ScoreIsColumnA:  # a "model" whose risk is feature a itself
        def predict_proba(self, X):
            a = np.asarray(X["a"], dtype=float)
            return np.column_stack([1 - a, a])

    X = pd.DataFrame({"a": [0.9, 0.1, 0.8, 0.2, 0.7, 0.3], "b": [1, 2, 3, 4, 5, 6],
                      "c": [5.0] * 6})
    y = [1, 0, 1, 0, 1, 0]  # a ranks perfectly: PR-AUC 1
    imp = permutation_importances(ScoreIsColumnA(), X, y, n_repeats=4, random_state=0).set_index("feature")
    assert imp.at["b", "importance_mean"] == 0.0 and imp.at["c", "importance_mean"] == 0.0
    assert imp.at["a", "importance_mean"] > 0.0
    assert list(imp.index)[0] == "a"


# ---------------------------------------------------------------------------------------------
# CLI on the bundled sample
# ---------------------------------------------------------------------------------------------

def test_cli_paper_on_bundled_sample(tmp_path):
    from click.testing import CliRunner

    from zhengce.companions.coup.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["paper", "--out", str(out), "--db", str(tmp_path / "z.db"),
                                      "--n-estimators", "40", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "coup paper: 293 REIGN 2019-2020 rows" in result.output
    assert "[SYNTHETIC data]" in result.output
    for name in ("paper_thresholds.csv", "paper_confusion.tex", "paper_league.md",
                 "paper_importances.png", "pr_curve.svg", "calibration.png", "report.md",
                 "manifest.json"):
        assert (out / name).is_file(), name


def test_cli_real_without_data_is_a_clear_error(tmp_path, monkeypatch):
    from zhengce.companions.coup import pipeline

    monkeypatch.setattr(pipeline, "shared_coups_dir", lambda: None)
    with pytest.raises(UserError, match="pass --reign"):
        pipeline.resolve_real_inputs(None, None)


# ---------------------------------------------------------------------------------------------
# Real data (../shared/data/coups)
# ---------------------------------------------------------------------------------------------

@pytest.mark.shared
def test_event_list_reproduces_powell_thyne_country_years(shared_dir):
    coups = shared_dir / "data" / "coups"
    reign = pd.read_csv(coups / "reign_country_year.csv")
    events = pd.read_csv(coups / "ptcoups_raw.csv")
    cy = pd.read_csv(coups / "ptcoups_country_year.csv")
    from_events = join_country_year(reign, events, "events")
    from_cy = join_country_year(reign, cy, "country_year")
    assert from_events.frame["pt_attempt"].tolist() == from_cy.frame["pt_attempt"].tolist()
    assert int(from_cy.frame["pt_attempt"].sum()) == 410
    assert from_events.unmatched_events[["country", "year"]].values.tolist() == [["Sudan", 1955]]


@pytest.mark.shared
def test_real_country_year_out_of_sample_2010_2019(shared_dir):
    coups = shared_dir / "data" / "coups"
    reign = pd.read_csv(coups / "reign_country_year.csv")
    cy = pd.read_csv(coups / "ptcoups_country_year.csv")
    panel = join_country_year(reign, cy, "country_year").frame
    honest, _ = fit_real(panel, n_estimators=100, permutation_repeats=0, compare=False,
                         random_state=0, n_jobs=2)
    m = honest.metrics_
    assert honest.split_.test == (2010, 2019) and honest.split_.validation == (2000, 2009)
    # 1,935 country-years forecast for 2010-2019, 21 with an attempt: base rate 1.09%
    assert (m["n"], m["positives"]) == (1935, 21)
    assert m["base_rate"] == pytest.approx(21 / 1935)
    print(f"\nreal 2010-2019: ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f}, "
          f"Brier {m['brier']:.4f}, base rate {m['base_rate']:.4f}")
    assert 0.70 < m["roc_auc"] < 0.85          # measured 0.76-0.78 over seeds 0-3
    assert 0.03 < m["pr_auc"] < 0.10           # measured 0.043-0.050; no-skill is 0.011
    assert m["brier"] < 0.06
