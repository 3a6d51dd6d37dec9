"""Outputs of the coup companion: tables (CSV/MD/TeX), figures (PNG/SVG), the store's result
tables, ``manifest.json`` and a ``report.md`` that puts the paper's protocol next to the honest one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zhengce.common.outputs import save_figure, to_markdown, write_manifest, write_table
from zhengce.corpus.store import Store

from .model import HonestCoupModel, PaperCoupModel, compare_metrics

CONFUSION_COLUMNS = ["choice", "threshold", "fn", "tp", "tn", "fp"]

WHY_OPTIMISTIC = """\
Why the paper's numbers are optimistic (each point is a difference in protocol, not in the forest):

1. **Random split of a panel.** Neighbouring months (years) of the same leader and country sit on
   both sides of the split, and slow-moving features (`tenure_months`, `age`, `lastelection`,
   `loss`) all but identify the leader-episode, so the forest interpolates inside episodes it
   has seen instead of forecasting new ones.
2. **Same-period target.** The features are measured in the period of the attempt, so they carry
   its consequences (a new leader with `tenure_months` = 1, a provisional regime type, cancelled
   elections). The honest model predicts period t+1 from period t.
3. **Thresholds chosen on the test set.** Picking the best of 1,000 thresholds on the very rows
   that are then reported is in-sample selection; with a few hundred (paper: 151) attempts it
   flatters precision and F1. The honest model picks τ on a validation window and only applies it
   to the test window.
4. **The league table scores rows the model was trained on.** The honest league table is a
   forecast for the next period from a model fit on every labelled earlier row.
5. **No ranking or probability score.** The paper reports precision, recall and F1 at chosen
   thresholds only; the table above adds PR-AUC (no-skill = the base rate), ROC-AUC and the
   Brier score for both protocols on the same rows.
6. **Impurity importances favour many-valued features.** Mean decrease in impurity, computed on
   the training rows, ranks continuous variables (`precip`, `tenure_months`, `age`,
   `lastelection`) above binary ones whatever their effect; the paper's headline that
   precipitation matters most is what that bias predicts. The honest model reports permutation
   importances on the held-out test window instead.
"""


def _confusion(thresholds: pd.DataFrame) -> pd.DataFrame:
    return thresholds[CONFUSION_COLUMNS].copy()


def _importance_figure(names: pd.Series, values: pd.Series, errors: pd.Series | None, title: str,
                       xlabel: str, top: int = 15):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, values = list(names[:top])[::-1], np.asarray(values[:top])[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(names) + 1.2))
    xerr = np.asarray(errors[:top])[::-1] if errors is not None else None
    ax.barh(range(len(names)), values, xerr=xerr, color="#4477aa")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.axvline(0, color="black", lw=0.6)
    return fig


def pr_curve_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]]):
    """Precision-recall curves of the test scores, with each curve's no-skill line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for (label, (y, p)), color in zip(curves.items(), ("#cc6677", "#4477aa")):
        precision, recall, _ = precision_recall_curve(y, p)
        ax.step(recall, precision, where="post", color=color,
                label=f"{label} (PR-AUC {average_precision_score(y, p):.3f})")
        ax.axhline(float(np.mean(y)), color=color, ls=":", lw=1,
                   label=f"{label} no-skill ({np.mean(y):.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title("Precision-recall on the test rows", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    return fig


def calibration_figure(tables: dict[str, pd.DataFrame]):
    """Reliability diagram: mean predicted risk vs observed attempt rate (quantile bins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    top = 0.0
    for (label, table), color in zip(tables.items(), ("#cc6677", "#4477aa")):
        ax.plot(table["mean_predicted"], table["observed_rate"], "o-", color=color, label=label)
        top = max(top, float(table["mean_predicted"].max()), float(table["observed_rate"].max()))
    top = min(1.0, top * 1.1 + 0.01)
    ax.plot([0, top], [0, top], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mean predicted risk (quantile bin)")
    ax.set_ylabel("observed attempt rate")
    ax.set_title("Calibration on the test rows", fontsize=10)
    ax.legend(fontsize=7)
    return fig


def write_paper_outputs(model: PaperCoupModel, out: Path, league: pd.DataFrame) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    paths["paper_thresholds"] = write_table(
        model.thresholds_[["choice", "threshold", "precision", "recall", "f1"]], out,
        "paper_thresholds", caption="Paper protocol: optimal thresholds chosen on the test split")
    paths["paper_confusion"] = write_table(
        _confusion(model.thresholds_), out, "paper_confusion",
        caption="Paper protocol: confusion matrix at each threshold (test split)")
    imp = model.feature_importances_.rename_axis("feature").reset_index()
    paths["paper_importances"] = write_table(imp, out, "paper_importances",
                                             caption="Paper protocol: impurity importances")
    paths["paper_league"] = write_table(league, out, "paper_league",
                                        caption="Paper protocol: predicted risk in the latest period")
    sweep_path = out / "paper_threshold_sweep.csv"
    model.sweep_.to_csv(sweep_path, index=False)
    paths["paper_threshold_sweep"] = {"csv": sweep_path}
    paths["paper_importances_fig"] = save_figure(
        _importance_figure(imp["feature"], imp["impurity_importance"], None,
                           "Paper protocol: impurity importances (training split)",
                           "mean decrease in impurity"), out, "paper_importances")
    return paths


def write_honest_outputs(model: HonestCoupModel, out: Path) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    paths["honest_thresholds"] = write_table(
        model.thresholds_[["choice", "threshold", "validation_precision", "validation_recall",
                           "validation_f1", "precision", "recall", "f1"]], out, "honest_thresholds",
        caption="Honest protocol: thresholds chosen on the validation window, scored on the test window")
    paths["honest_confusion"] = write_table(
        _confusion(model.thresholds_), out, "honest_confusion",
        caption="Honest protocol: confusion matrix at each threshold (test window)")
    paths["honest_calibration"] = write_table(model.calibration_, out, "honest_calibration",
                                              caption="Honest protocol: reliability table (test window)")
    impurity = model.feature_importances_.rename_axis("feature").reset_index()
    paths["honest_impurity_importances"] = write_table(
        impurity, out, "honest_impurity_importances",
        caption="Honest protocol: impurity importances (final training fit)")
    if model.permutation_importances_ is not None:
        perm = model.permutation_importances_
        paths["honest_permutation_importances"] = write_table(
            perm, out, "honest_permutation_importances",
            caption="Honest protocol: permutation importances on the test window (drop in PR-AUC)")
        paths["honest_importances_fig"] = save_figure(
            _importance_figure(perm["feature"], perm["importance_mean"], perm["importance_std"],
                               "Honest protocol: permutation importance on the test window",
                               "drop in PR-AUC when shuffled"), out, "honest_importances")
    else:
        paths["honest_importances_fig"] = save_figure(
            _importance_figure(impurity["feature"], impurity["impurity_importance"], None,
                               "Honest protocol: impurity importances", "mean decrease in impurity"),
            out, "honest_importances")
    paths["honest_league"] = write_table(
        model.forecast_, out, "honest_league",
        caption="Honest protocol: forecast risk of an attempt in the next period")
    split = pd.DataFrame([{"window": name, "first_year": getattr(model.split_, name)[0],
                           "last_year": getattr(model.split_, name)[1],
                           "rows": model.n_windows_[name]["rows"],
                           "attempts": model.n_windows_[name]["attempts"]}
                          for name in ("train", "validation", "test")])
    paths["honest_split"] = write_table(split, out, "honest_split",
                                        caption="Honest protocol: windows by the year being forecast")
    return paths


def write_comparison(paper: PaperCoupModel | None, honest: HonestCoupModel | None,
                     out: Path) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    curves, calibrations = {}, {}
    if paper is not None:
        curves["paper"] = (paper.y_test_, np.clip(paper.test_scores_, 0, 1))
        from .model import calibration_table

        calibrations["paper"] = calibration_table(paper.y_test_, paper.test_scores_)
    if honest is not None:
        curves["honest"] = (honest.y_test_, honest.test_scores_)
        calibrations["honest"] = honest.calibration_
    if paper is not None and honest is not None:
        paths["metrics_side_by_side"] = write_table(
            compare_metrics(paper, honest), out, "metrics_side_by_side",
            caption="Paper protocol vs honest protocol on the same data (test rows)")
    paths["pr_curve"] = save_figure(pr_curve_figure(curves), out, "pr_curve")
    paths["calibration"] = save_figure(calibration_figure(calibrations), out, "calibration")
    return paths


def _flat(paths: dict[str, Any], out: Path) -> list[str]:
    files = []
    for value in paths.values():
        for p in (value.values() if isinstance(value, dict) else [value]):
            files.append(str(Path(p).relative_to(out)) if Path(p).is_relative_to(out) else str(p))
    return sorted(files)


def _paper_lines(paper: PaperCoupModel, paper_league: pd.DataFrame | None) -> list[str]:
    """The report's section on the paper's protocol."""
    m = paper.metrics_
    return ["## Paper protocol (Schultz 2019)", "",
              f"RandomForestRegressor on same-period `pt_attempt`, random split "
              f"(test share {paper.test_size}), {paper.n_estimators} trees, "
              f"thresholds τ = linspace(0, 1, {paper.n_thresholds}) with ŷ = 1[p̂ > τ], chosen "
              f"on the test split. Dropped columns: {', '.join(paper.dropped_columns_)}. "
              f"{len(paper.feature_names_in_)} features; {paper.n_train_} training rows, "
              f"{m['n']} test rows with {m['positives']} attempts; "
              f"{paper.n_dropped_missing_} rows dropped for missing values."
              + (f" OOB R² {m['oob_r2']:.4f}." if "oob_r2" in m else ""), "",
              to_markdown(paper.thresholds_[["choice", "threshold", "precision", "recall", "f1"]]),
              "Confusion matrices (test split):", "", to_markdown(_confusion(paper.thresholds_)),
              "Top impurity importances:", "",
              to_markdown(paper.feature_importances_.head(10).rename_axis("feature").reset_index()),
              "League table, latest period (in-sample, as in the paper):", "",
              to_markdown(paper_league.head(10)), ""]


def _honest_lines(honest: HonestCoupModel) -> list[str]:
    """The report's section on the honest (out-of-time) protocol."""
    m = honest.metrics_
    s = honest.split_
    lines = ["## Honest protocol", "",
              f"RandomForestClassifier (class_weight={honest.class_weight!r}, "
              f"min_samples_leaf={honest.min_samples_leaf}, {honest.n_estimators} trees) on "
              f"next-period `pt_attempt`; train {s.train[0]}–{s.train[1]}, validation "
              f"{s.validation[0]}–{s.validation[1]} (thresholds chosen here), test "
              f"{s.test[0]}–{s.test[1]} (years being forecast)"
              + ("; refit on train + validation before scoring the test window" if honest.refit else "")
              + f". {len(honest.feature_names_in_)} features (never pt_suc, couprisk, "
              f"pctile_risk); {honest.n_unlabelled_} rows have no next period and are only "
              f"used for the forecast.", "",
              f"Test window: {m['n']} rows, {m['positives']} attempts (base rate "
              f"{m['base_rate']:.4f}); ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f}, "
              f"Brier {m['brier']:.4f}. Mean predicted risk {float(np.mean(honest.test_scores_)):.4f} "
              f"against an observed rate of {m['base_rate']:.4f}"
              + (": class weighting inflates the risks, so read them as a ranking (PR-AUC, "
                 "ROC-AUC, league table) and recalibrate before using them as probabilities."
                 if honest.class_weight is not None else "."), "",
              to_markdown(honest.thresholds_[["choice", "threshold", "validation_f1", "precision",
                                              "recall", "f1", "fn", "tp", "tn", "fp"]]),
              ]
    if honest.permutation_importances_ is not None:
        lines += ["Top permutation importances (test window, drop in PR-AUC):", "",
                  to_markdown(honest.permutation_importances_.head(10))]
    lines += ["Forecast for the next period (top 10):", "", to_markdown(honest.forecast_.head(10)), ""]
    return lines


def _side_by_side_lines(paper: PaperCoupModel, honest: HonestCoupModel,
                        probe: dict[str, Any] | None) -> list[str]:
    """Both protocols on the same data, why the paper's is optimistic, and the noise probe."""
    lines = ["## Side by side", "", to_markdown(compare_metrics(paper, honest)), WHY_OPTIMISTIC]
    if probe is not None:
        lines += [f"   Measured here: a column of pure N(0, 1) noise added to the paper's design "
                  f"ranks **#{probe['rank']} of {probe['n_features']}** by impurity importance "
                  f"({probe['importance']:.4f}; the top real feature is "
                  f"`{probe['top_feature']}`).", ""]
    lines.append("")
    return lines


def _manifest(title: str, context: dict[str, Any], files: list[str], paper: PaperCoupModel | None,
              honest: HonestCoupModel | None, probe: dict[str, Any] | None) -> dict[str, Any]:
    """Parameters, metrics and features of each protocol that ran, and the files written."""
    manifest: dict[str, Any] = {"companion": "coup", "title": title, "context": context,
                                "files": files}
    if paper is not None:
        manifest["paper"] = {"params": {k: getattr(paper, k) for k in
                                        ("n_estimators", "test_size", "n_thresholds", "oob_score",
                                         "random_state", "n_jobs")},
                             "metrics": paper.metrics_, "dropped_columns": paper.dropped_columns_,
                             "features": list(paper.feature_names_in_)}
    if probe is not None:
        manifest["noise_probe"] = probe
    if honest is not None:
        manifest["honest"] = {"params": {k: getattr(honest, k) for k in
                                         ("n_estimators", "min_samples_leaf", "max_features",
                                          "class_weight", "history_features", "history_years",
                                          "validation_start", "test_start", "refit", "n_thresholds",
                                          "permutation_repeats", "random_state", "n_jobs")},
                              "split": {"train": honest.split_.train,
                                        "validation": honest.split_.validation,
                                        "test": honest.split_.test},
                              "metrics": honest.metrics_, "features": list(honest.feature_names_in_)}
    return manifest


def write_report(out: Path, *, title: str, context: dict[str, Any],
                 paper: PaperCoupModel | None = None, paper_league: pd.DataFrame | None = None,
                 honest: HonestCoupModel | None = None, reference: str | None = None,
                 probe: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write every table and figure, then ``report.md`` and ``manifest.json``; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Any] = {}
    if paper is not None:
        paths.update(write_paper_outputs(paper, out, paper_league))
    if honest is not None:
        paths.update(write_honest_outputs(honest, out))
    paths.update(write_comparison(paper, honest, out))

    lines = [f"# {title}", ""]
    for key, value in context.items():
        lines.append(f"- **{key}**: {value}")
    lines.append("")
    if paper is not None:
        lines += _paper_lines(paper, paper_league)
    if honest is not None:
        lines += _honest_lines(honest)
    if paper is not None and honest is not None:
        lines += _side_by_side_lines(paper, honest, probe)
    if reference:
        lines += [reference, ""]
    lines += ["## Files", ""] + [f"- `{f}`" for f in _flat(paths, out)] + [""]
    report_path = out / "report.md"
    report_path.write_text("\n".join(lines), encoding="utf-8")
    paths["report"] = report_path

    manifest = _manifest(title, context, _flat(paths, out), paper, honest, probe)
    paths["manifest"] = write_manifest(out, manifest)
    return paths


def store_results(store: Store, run_id: str, *, paper: PaperCoupModel | None = None,
                  paper_league: pd.DataFrame | None = None,
                  honest: HonestCoupModel | None = None) -> None:
    """Metrics, thresholds and league tables into ``coup_metrics``, ``coup_thresholds`` and
    ``coup_league`` (keyed by run id, so a re-run adds rows and never overwrites)."""
    metrics, thresholds, league = [], [], []
    for name, model in (("paper", paper), ("honest", honest)):
        if model is None:
            continue
        for key, value in model.metrics_.items():
            metrics.append({"run_id": run_id, "model": name, "metric": key, "value": float(value)})
        for rec in model.thresholds_.to_dict(orient="records"):
            thresholds.append({"run_id": run_id, "model": name, "choice": rec["choice"],
                               "threshold": float(rec["threshold"]),
                               "precision": float(rec["precision"]), "recall": float(rec["recall"]),
                               "f1": float(rec["f1"]), "tp": int(rec["tp"]), "fp": int(rec["fp"]),
                               "tn": int(rec["tn"]), "fn": int(rec["fn"])})
    for name, table, risk_col in (("paper", paper_league, "predicted_risk"),
                                  ("honest", honest.forecast_ if honest is not None else None,
                                   "risk_next_period")):
        if table is None:
            continue
        unit = table.columns[1]
        for rec in table.to_dict(orient="records"):
            league.append({"run_id": run_id, "model": name, "unit": int(rec[unit]),
                           "country": str(rec.get("country", rec[unit])), "rank": int(rec["rank"]),
                           "risk": float(rec[risk_col])})
    db = store.db
    with db.conn:
        if metrics:
            db["coup_metrics"].upsert_all(metrics, pk=("run_id", "model", "metric"))
        if thresholds:
            db["coup_thresholds"].upsert_all(thresholds, pk=("run_id", "model", "choice"))
        if league:
            db["coup_league"].upsert_all(league, pk=("run_id", "model", "unit"))
