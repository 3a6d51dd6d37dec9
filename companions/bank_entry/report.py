"""Tables, figure, manifest and report.md for a fitted :class:`BankEntryOLS`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zhengce.common.outputs import save_figure, to_markdown, write_manifest, write_table
from zhengce.common.errors import UserError
from zhengce.common.manifest import package_versions, sha256_file

from .model import PAPER_REPORTED, VARIABLE_LABELS, BankEntryOLS

PAPER = ("Choi, J.-Y. & Kim, S.-H. (2020). A Study on Organizational Forms in Foreign Expansion "
         "of Korean Banks. Journal of Asian Finance, Economics and Business 7(7), 343-348.")
COV_COLOURS = {"nonrobust": "#1b9e77", "HC1": "#d95f02", "HC3": "#7570b3", "cluster": "#e7298a"}


def coefficient_figure(model: BankEntryOLS, *, synthetic: bool = False):
    """One panel per regressor: the estimate with its (1 − alpha) interval under each SE type.

    Separate panels because the coefficients live on different scales (β1 is per USD thousand).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = model.coef_table_[model.coef_table_["term"] != "const"]
    cov_types = list(model.results_)
    terms = [t for t in VARIABLE_LABELS]
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(2, 2, figsize=(8.5, 0.9 * len(cov_types) + 3.2))
    for ax, term in zip(np.asarray(axes).ravel(), terms):
        part = table[table["term"] == term].set_index("cov_type").loc[cov_types]
        ypos = np.arange(len(cov_types))[::-1]
        for y, cov in zip(ypos, cov_types):
            row = part.loc[cov]
            ax.errorbar(row["coef"], y, xerr=[[row["coef"] - row["ci_low"]],
                                              [row["ci_high"] - row["coef"]]],
                        fmt="o", color=COV_COLOURS[cov], capsize=3, lw=1.5)
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(ypos)
        ax.set_yticklabels(cov_types)
        label = model.fdi_label_ if term == "fdi" else VARIABLE_LABELS[term]
        ax.set_title(f"{label}", fontsize=9)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_ylim(-0.6, len(cov_types) - 0.4)
        ax.tick_params(labelsize=8)
    level = int(round(100 * (1 - model.alpha)))
    title = f"Pooled OLS of PROS: coefficients with {level}% CIs by standard-error type"
    if synthetic:
        title += " (SYNTHETIC sample data)"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _params(model: BankEntryOLS) -> dict[str, Any]:
    return {"cov_types": list(model.results_), "fdi_scale": model.fdi_scale,
            "cluster_col": model.cluster_col, "alpha": model.alpha,
            "min_clusters": model.min_clusters, "univ_average": model.univ_average}


def write_report(model: BankEntryOLS, out_dir: str | Path, *, input_path: str | Path | None = None,
                 synthetic: bool = False, load_line: str | None = None,
                 run_id: str | None = None) -> dict[str, Path]:
    """Write every output of a fitted model into ``out_dir``; return name → path."""
    if not hasattr(model, "coef_table_"):
        raise UserError("the model is not fitted: call BankEntryOLS(...).fit(panel) first")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n, g = model.n_obs_, model.n_clusters_
    paths: dict[str, Path] = {}

    def table(df: pd.DataFrame, name: str, caption: str, *, index: bool = False,
              float_format: str = "%.4f") -> None:
        for kind, p in write_table(df, out, name, caption=caption, index=index,
                                   float_format=float_format).items():
            paths[f"{name}.{kind}"] = p

    first = model.table2_
    table(model.table1_, "table1_correlations",
          f"Table 1: Pearson correlations of the regressors (N = {n})", index=True,
          float_format="%.3f")
    table(model.table1_pvalues_, "table1_pvalues",
          "Table 1 (p-values): two-sided tests of zero correlation", index=True,
          float_format="%.4f")
    cov0 = model.coef_table_["cov_type"].iloc[0]
    table(first, "table2_ols",
          f"Table 2: pooled OLS of PROS, {cov0} standard errors (N = {n}; * p<0.05, ** p<0.01)",
          float_format="%.4g")
    table(model.fit_stats_, "table2_fit", "Table 2 (fit): N, R², adjusted R², F by SE type",
          float_format="%.4g")
    table(model.se_comparison(), "table2_se_comparison",
          f"Table 2 with every standard-error type side by side ({g} clusters)",
          float_format="%.4g")
    table(model.vif_, "vif", "Variance inflation factors (constant in the design)",
          float_format="%.3f")
    table(model.design_, "panel_used", "The panel as fitted (FDI after scaling)",
          float_format="%.6g")
    for kind, p in save_figure(coefficient_figure(model, synthetic=synthetic), out,
                               "coef_plot").items():
        paths[f"coef_plot.{kind}"] = p

    nonrobust = model.fit_stats_.iloc[0]
    fdi = model.coefficient("fdi")
    manifest = {
        "companion": "bank_entry",
        "paper": PAPER,
        "run_id": run_id,
        "input": str(input_path) if input_path else None,
        "input_sha256": (sha256_file(input_path)
                         if input_path and Path(input_path).is_file() else None),
        "synthetic_input": synthetic,
        "params": _params(model),
        "n_obs": n,
        "n_clusters": g,
        "adj_r2": float(nonrobust["adj_r2"]),
        "fdi_coef": float(fdi["coef"]),
        "fdi_p": float(fdi["p"]),
        "notes": model.notes_,
        "packages": package_versions(["statsmodels", "scipy", "numpy", "pandas", "matplotlib"]),
        "outputs": sorted(p.name for p in paths.values()),
    }
    paths["manifest.json"] = write_manifest(out, manifest)
    paths["report.md"] = _write_markdown(model, out, input_path=input_path, synthetic=synthetic,
                                         load_line=load_line, run_id=run_id)
    return paths


def _write_markdown(model: BankEntryOLS, out: Path, *, input_path, synthetic: bool,
                    load_line: str | None, run_id: str | None) -> Path:
    n, g = model.n_obs_, model.n_clusters_
    stats0 = model.fit_stats_.iloc[0]
    lines = ["# Organizational form of Korean banks abroad: pooled OLS", ""]
    if synthetic:
        lines += ["> **SYNTHETIC DATA.** This run used the bundled synthetic sample "
                  "(companions/bank_entry/data/README.md). The numbers show what the method "
                  "does and say nothing about real banks.", ""]
    lines += [f"Replicates the design of {PAPER}", "",
              "    PROS_i = β0 + β1·FDI_i + β2·UNIV_i + β3·BI_i + β4·TAX_i + ε_i", "",
              f"- input: `{input_path}`" + (f" ({load_line})" if load_line else ""),
              f"- N = {n} country-years, {g} countries; FDI as {model.fdi_label_}",
              f"- adjusted R² = {stats0['adj_r2']:.3f}, R² = {stats0['r2']:.3f}, "
              f"F({stats0['f_df_num']:.0f}, {stats0['f_df_denom']:.0f}) = "
              f"{stats0['f_stat']:.3f} (p = {stats0['f_pvalue']:.3g})"]
    if run_id:
        lines.append(f"- run id: `{run_id}`")
    lines += ["", "## Notes", ""] + [f"- {note}" for note in model.notes_]
    lines += ["", "## Table 1: correlations of the regressors (Pearson)", "",
              to_markdown(model.table1_, float_format="%.3f", index=True),
              "## Table 2: pooled OLS (" + str(model.coef_table_["cov_type"].iloc[0]) + ")", "",
              to_markdown(model.table2_, float_format="%.4g"),
              "## Standard errors side by side", "",
              "Each type uses t-based p-values: N − k − 1 df, except 'cluster', which uses "
              f"G − 1 = {g - 1} df.", "",
              to_markdown(model.se_comparison(), float_format="%.4g"),
              "## Fit by standard-error type", "",
              to_markdown(model.fit_stats_, float_format="%.4g"),
              "## Variance inflation factors", "",
              to_markdown(model.vif_, float_format="%.3f"),
              "![coefficients with confidence intervals](coef_plot.png)", "",
              "## What the paper reports (real data, for comparison)", "",
              f"N = {PAPER_REPORTED['n_obs']} ({PAPER_REPORTED['n_countries']} countries), "
              f"adjusted R² = {PAPER_REPORTED['adj_r2']}; FDI positive (p = "
              f"{PAPER_REPORTED['fdi_p']}); UNIV {PAPER_REPORTED['univ_coef']} (p = "
              f"{PAPER_REPORTED['univ_p']}); BI negative (p = {PAPER_REPORTED['bi_p']}); TAX "
              f"{PAPER_REPORTED['tax_coef']} ({PAPER_REPORTED['tax_significant']}).", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


RESULTS_TABLE = "bank_entry_results"
FIT_TABLE = "bank_entry_fit"


def store_results(store, model: BankEntryOLS, run_id: str) -> None:
    """Coefficients (``bank_entry_results``) and fit statistics (``bank_entry_fit``) of one run,
    upserted on (run_id, cov_type[, term]) so re-saving a run changes nothing."""
    coefs = model.coef_table_.assign(run_id=run_id)
    fit = model.fit_stats_.assign(run_id=run_id)
    fit = fit.astype(object).where(pd.notna(fit), None)
    with store.db.conn:
        store.db[RESULTS_TABLE].upsert_all(coefs.to_dict(orient="records"),
                                           pk=("run_id", "cov_type", "term"), alter=True)
        store.db[FIT_TABLE].upsert_all(fit.to_dict(orient="records"),
                                       pk=("run_id", "cov_type"), alter=True)
