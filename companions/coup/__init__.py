"""Coup-risk companion (paper 002): Schultz (2019)'s variable-threshold random forest on REIGN,
reproduced as :class:`PaperCoupModel`, and :class:`HonestCoupModel`, the same question asked as an
out-of-time forecast.

REIGN rows are leader-months: see :func:`country_months` for one row per country and month.

    from zhengce.companions.coup import PaperCoupModel, HonestCoupModel, sample_path
    import pandas as pd
    frame = pd.read_csv(sample_path())          # bundled SYNTHETIC monthly REIGN sample
    paper = PaperCoupModel(n_estimators=500, random_state=0).fit(frame)
    paper.thresholds_                            # best precision / recall / F1 / default τ
    honest = HonestCoupModel(random_state=0).fit(frame)
    honest.metrics_                              # PR-AUC, ROC-AUC, Brier on the test window
"""

from .loader import (REIGN_2019, REIGN_2021, CountryYearPanel, ReignLoad, country_months,
                     detect_ptcoups_kind, detect_reign_version, join_country_year, load_ptcoups,
                     load_reign_country_year, load_reign_monthly, reign_monthly_specs, sample_path)
from .model import (FORBIDDEN_FEATURES, PAPER_EXCLUDED, PAPER_UNDEFINED, HonestCoupModel,
                    PaperCoupModel, TimeSplit, calibration_table, compare_metrics, confusion_at,
                    history_features, lagged_panel, noise_probe, paper_design,
                    permutation_importances, pick_thresholds, score_metrics, threshold_grid,
                    threshold_sweep, time_split)
from .pipeline import fit_real, run_honest, run_paper, run_real
from .synthetic import make_reign_monthly_sample

__all__ = [
    "REIGN_2019", "REIGN_2021", "CountryYearPanel", "ReignLoad", "country_months",
    "detect_ptcoups_kind", "detect_reign_version", "join_country_year", "load_ptcoups",
    "load_reign_country_year", "load_reign_monthly", "reign_monthly_specs", "sample_path",
    "FORBIDDEN_FEATURES", "PAPER_EXCLUDED", "PAPER_UNDEFINED", "HonestCoupModel", "PaperCoupModel",
    "TimeSplit", "calibration_table", "compare_metrics", "confusion_at", "history_features",
    "lagged_panel", "noise_probe", "paper_design", "permutation_importances", "pick_thresholds",
    "score_metrics", "threshold_grid", "threshold_sweep", "time_split", "fit_real", "run_honest",
    "run_paper", "run_real", "make_reign_monthly_sample",
]
