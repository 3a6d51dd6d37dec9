"""Tables (CSV/MD/TeX), a figure (PNG/SVG), ``manifest.json`` and ``report.md`` for a fitted
:class:`~companions.malmquist.model.MalmquistIndex` — DEAP 2.1's summaries and the paper's
Table 3 (sub-section means)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from zhengce.common.outputs import save_figure, to_markdown, write_manifest, write_table

from .model import COMPONENTS, MalmquistIndex

LABELS = {"effch": "EFFCH (technical efficiency change)", "techch": "TECHCH (technical change)",
          "pech": "PECH (pure technical efficiency change)", "sech": "SECH (scale efficiency change)",
          "tfpch": "TFPCH (total factor productivity change)"}


def _with_mean_row(frame: pd.DataFrame, key: str, overall: pd.Series) -> pd.DataFrame:
    """DEAP ends each summary table with a 'mean' row (geometric)."""
    out = frame.copy()
    out[key] = out[key].astype(str)
    counts = [c for c in out.columns if c.startswith("n_")]
    out[counts] = out[counts].astype(object)       # the mean row leaves counts blank
    mean = {key: "mean", **{c: "" for c in counts}, **{c: overall[c] for c in COMPONENTS}}
    return pd.concat([out, pd.DataFrame([mean])], ignore_index=True)


def subgroup_table(model: MalmquistIndex, groups: list[str]) -> pd.DataFrame:
    """All requested group columns stacked, like the paper's Table 3."""
    parts = []
    for g in groups:
        sub = model.subgroup_means(g, label="group")
        sub.insert(0, "grouping", g)
        parts.append(sub if not parts else sub.iloc[1:])     # 'all firms' once
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table.loc[table["group"] == "all firms", "grouping"] = "whole sample"
    return table


def components_figure(model: MalmquistIndex):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    annual = model.annual_means_
    x = np.arange(len(annual))
    labels = [str(p) for p in annual["period"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"tfpch": ("black", "-", 2.2), "effch": ("tab:blue", "--", 1.4),
              "techch": ("tab:red", "-.", 1.4), "pech": ("tab:green", ":", 1.2),
              "sech": ("tab:purple", ":", 1.2)}
    for c in COMPONENTS:
        color, ls, lw = styles[c]
        ax1.plot(x, annual[c], color=color, linestyle=ls, linewidth=lw, marker="o", ms=3,
                 label=c.upper())
    if hasattr(model, "bootstrap_means_"):
        boot = model.bootstrap_means_
        tfp = boot[(boot["scope"] == "annual_mean") & (boot["component"] == "tfpch")]
        if len(tfp) == len(annual):
            ax1.fill_between(x, tfp["lower"].to_numpy(float), tfp["upper"].to_numpy(float),
                             color="grey", alpha=0.25,
                             label=f"TFPCH {100 * (1 - model.bootstrap_info_['alpha']):.0f}% CI")
    ax1.axhline(1.0, color="grey", linewidth=0.8)
    ax1.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0)
    ax1.set_ylabel("index (1 = no change), geometric mean over firms")
    ax1.set_title("Malmquist components, period t−1 → t")
    ax1.legend(fontsize=8, ncol=2)
    # Cumulated indices: product of annual geometric means since the first period.
    first = str(model.periods_[0])
    x2 = np.arange(len(annual) + 1)
    for c in ("tfpch", "effch", "techch"):
        color, ls, lw = styles[c]
        ax2.plot(x2, np.concatenate([[1.0], np.cumprod(annual[c].to_numpy(float))]), color=color,
                 linestyle=ls, linewidth=lw, marker="o", ms=3, label=c.upper())
    ax2.axhline(1.0, color="grey", linewidth=0.8)
    ax2.set_xticks(x2, [first, *labels], rotation=45 if len(labels) > 8 else 0)
    ax2.set_title(f"Cumulated since {first}")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_report(model: MalmquistIndex, out_dir: str | Path, *, title: str,
                 source_note: str, manifest: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write every table, the figure, manifest.json and report.md; return the main paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fmt = "%.4f"
    paths, annual, sub = _write_tables(model, out, fmt)
    fig_paths = save_figure(components_figure(model), out, "malmquist_components")
    paths.update({"figure_png": fig_paths["png"], "figure_svg": fig_paths["svg"]})
    failures = model.lp_status_[model.lp_status_["status"] != "optimal"]
    boot = hasattr(model, "bootstrap_")
    lines = _summary_lines(model, title, source_note, annual, sub, fmt)
    lines += _lp_lines(model, failures) + _missing_lines(model)
    if boot:
        lines += _bootstrap_lines(model)
    lines += ["## Files", ""]
    lines += [f"- `{p.name}`" for p in paths.values()]
    lines.append("")
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    paths["report"] = report
    m = model.overall_mean_
    full_manifest = dict(manifest or {})
    full_manifest.update({
        "orientation": model.orientation, "returns": model.returns,
        "n_firms": len(model.firms_), "n_periods": len(model.periods_),
        "n_indices": len(model.results_), "n_lps": len(model.lp_status_),
        "n_lps_not_optimal": len(failures), "n_missing_firm_periods": len(model.missing_),
        "overall_mean": {c: float(m[c]) for c in COMPONENTS},
        "files": sorted(p.name for p in out.iterdir() if p.is_file()),
    })
    if boot:
        full_manifest["bootstrap"] = model.bootstrap_info_
    paths["manifest"] = write_manifest(out, full_manifest)
    return paths


def _write_tables(model: MalmquistIndex, out: Path,
                  fmt: str) -> tuple[dict[str, Path], pd.DataFrame, pd.DataFrame]:
    """Every table as CSV, Markdown and LaTeX; returns the CSV paths, the annual means (with the
    overall mean row) and the sub-group means."""
    paths: dict[str, Path] = {}
    orient = f"{model.orientation}-oriented"
    paths["firm_period"] = write_table(model.results_, out, "malmquist_firm_period", float_format=fmt,
                                       caption=f"Malmquist index by firm and period ({orient})")["csv"]
    annual = _with_mean_row(model.annual_means_, "period", model.overall_mean_)
    paths["annual_means"] = write_table(annual, out, "malmquist_annual_means", float_format=fmt,
                                        caption="Malmquist index summary of annual means (geometric)")["csv"]
    firm = _with_mean_row(model.firm_means_, "firm", model.overall_mean_)
    paths["firm_means"] = write_table(firm, out, "malmquist_firm_means", float_format=fmt,
                                      caption="Malmquist index summary of firm means (geometric)")["csv"]
    paths["efficiency"] = write_table(model.efficiency_, out, "malmquist_efficiency", float_format=fmt,
                                      caption="Technical efficiency: CRS, VRS, scale; CRS against "
                                              "adjacent technologies")["csv"]
    sub = subgroup_table(model, list(model.groups_))
    if len(sub):
        paths["subgroup_means"] = write_table(sub, out, "malmquist_subgroup_means", float_format=fmt,
                                              caption="Summary of Malmquist means by sub-group")["csv"]
    failures = model.lp_status_[model.lp_status_["status"] != "optimal"]
    paths["lp_failures"] = write_table(failures, out, "malmquist_lp_failures", float_format=fmt,
                                       caption="LPs that did not solve to optimality")["csv"]
    if len(model.missing_):
        paths["missing"] = write_table(model.missing_, out, "malmquist_missing",
                                       caption="Firm-periods absent from the panel")["csv"]
    if hasattr(model, "bootstrap_"):
        paths["bootstrap_firm_period"] = write_table(
            model.bootstrap_, out, "malmquist_bootstrap_firm_period", float_format=fmt,
            caption="Simar-Wilson bootstrap intervals by firm and period")["csv"]
        paths["bootstrap_means"] = write_table(
            model.bootstrap_means_, out, "malmquist_bootstrap_means", float_format=fmt,
            caption="Simar-Wilson bootstrap intervals for annual and overall means")["csv"]
    return paths, annual, sub


def _summary_lines(model: MalmquistIndex, title: str, source_note: str, annual: pd.DataFrame,
                   sub: pd.DataFrame, fmt: str) -> list[str]:
    """Title, settings, the overall mean, and the annual, sub-group and firm means."""
    groups = list(model.groups_)
    m = model.overall_mean_
    fm = model.firm_means_
    n_f = len(fm)
    share = lambda col: 100.0 * float((fm[col] > 1).sum()) / n_f if n_f else float("nan")  # noqa: E731
    lines = [f"# {title}", "", source_note, "",
             "## Settings", "",
             f"- Orientation: {model.orientation}; technology for the index: {model.returns.upper()}"
             + (" (DEAP 2.1: CRS distances for the index, VRS own-period distances to split EFFCH "
                "into PECH × SECH)" if model.returns == "crs" else
                " (not DEAP: every distance against VRS technology, so EFFCH = PECH and SECH = 1)"),
             f"- Inputs: {', '.join(model.inputs_)}; outputs: {', '.join(model.outputs_)}"
             + (f"; groups: {', '.join(groups)}" if groups else ""),
             f"- Panel: {len(model.firms_)} firms, {len(model.periods_)} periods "
             f"({model.periods_[0]}–{model.periods_[-1]}), {len(model.panel_)} firm-period rows, "
             f"{len(model.results_)} adjacent-period indices",
             "- Index from t−1 to t is labelled with period t; values above 1 mean improvement. "
             "Annual, firm, sub-group and overall means are geometric means.", "",
             "## Overall mean", "",
             f"TFPCH {m['tfpch']:.4f} = EFFCH {m['effch']:.4f} × TECHCH {m['techch']:.4f}; "
             f"EFFCH = PECH {m['pech']:.4f} × SECH {m['sech']:.4f}. "
             f"Productivity {'grew' if m['tfpch'] > 1 else 'declined'} by "
             f"{abs(m['tfpch'] - 1) * 100:.1f}% a period on average.", "",
             f"Firms with mean TFPCH > 1: {share('tfpch'):.0f}%; EFFCH > 1: {share('effch'):.0f}%; "
             f"TECHCH > 1: {share('techch'):.0f}%.", "",
             "## Annual means (geometric)", "", to_markdown(annual, float_format=fmt), ""]
    if len(sub):
        lines += ["## Sub-group means (geometric; the paper's Table 3)", "",
                  "`n_firms (n_periods)` as in the paper; a firm that changes group is counted in the "
                  "group it was in at period t.", "", to_markdown(sub, float_format=fmt), ""]
    lines += ["## Firm means (geometric)", "",
              f"See `malmquist_firm_means.csv` ({n_f} firms).", ""]
    return lines


def _lp_lines(model: MalmquistIndex, failures: pd.DataFrame) -> list[str]:
    """How many LPs were solved and which did not solve to optimality."""
    n_lp = len(model.lp_status_)
    lines = ["## Linear programmes", "",
              f"{n_lp} LPs solved (HiGHS via scipy.optimize.linprog); {len(failures)} not optimal."]
    if len(failures):
        counts = failures.groupby(["lp", "status"]).size().reset_index(name="n")
        lines += ["Failed LPs give NaN (never a number) and are listed in `malmquist_lp_failures.csv`; "
                  "means skip them and `n_failed` counts the affected rows.", "",
                  to_markdown(counts)]
    lines.append("")
    return lines


def _missing_lines(model: MalmquistIndex) -> list[str]:
    """The firm-periods absent from an unbalanced panel."""
    lines = ["## Missing firm-periods", ""]
    if len(model.missing_):
        per_firm = model.missing_.groupby("firm")["period"].apply(lambda s: ", ".join(map(str, s)))
        lines += [f"{len(model.missing_)} firm-period(s) absent (unbalanced panel). Each period's "
                  "frontier uses the firms present in it; a firm's index is computed only between "
                  "adjacent periods in which it is present in both.", ""]
        lines += [f"- {f}: {p}" for f, p in per_firm.items()]
    else:
        lines.append("None: the panel is balanced.")
    lines.append("")
    return lines


def _bootstrap_lines(model: MalmquistIndex) -> list[str]:
    """Bootstrap settings, overall intervals, and how many firm-period intervals exclude 1."""
    info = model.bootstrap_info_
    bm = model.bootstrap_means_
    ov = bm[bm["scope"] == "overall_mean"].set_index("component")
    lines = ["## Bootstrap (Simar & Wilson 1999)", "",
              f"{info['n_bootstrap']} replicates, bandwidth h = {info['bandwidth']:.4f}, "
              f"{info['ci']} intervals at {100 * (1 - info['alpha']):.0f}%, random_state = "
              f"{info['random_state']}; {info['n_failed_lps']} bootstrap LPs not optimal.", ""]
    for c in ov.index:
        r = ov.loc[c]
        lines.append(f"- overall {c.upper()}: {r['estimate']:.4f} "
                     f"[{r['lower']:.4f}, {r['upper']:.4f}], bias {r['bias']:+.4f}")
    sig = model.bootstrap_[model.bootstrap_["component"] == "tfpch"]["ci_excludes_1"]
    lines += ["", f"Firm-period TFPCH intervals excluding 1: {int(sig.sum())} of {len(sig)}.",
              "PECH and SECH are not bootstrapped (see `bootstrap.py` for the approximations).", ""]
    return lines
