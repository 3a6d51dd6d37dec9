"""The default figures, in a plain journal style (after the figures of Tan's 2021 talk and book).

Every figure: labelled axes, a legend, a dashed vertical line at 2001 (WTO accession,
11 December 2001), a source note under the plot, no chartjunk (no top/right spines, no background
grid except faint horizontal guides). Thin cells (fewer than ``min_docs`` documents) are drawn with
open markers and without an interval band, so they never look certain; the legend says so.

Colours follow the Okabe–Ito palette (safe for colour-blind readers) and each series also differs
in line style and marker, so the figures survive greyscale printing. Chinese labels need a CJK
font: :func:`zhengce.common.outputs.use_cjk_font` is called first and fails with a clear message when
none is installed (pass ``chinese=False`` for English-only labels).
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from zhengce.common.periods import WTO_YEAR

LEVEL_STYLE = {
    "central": {"color": "#0072B2", "ls": "-", "marker": "o", "en": "Central", "zh": "中央"},
    "provincial": {"color": "#E69F00", "ls": "--", "marker": "s", "en": "Provincial", "zh": "省级"},
    "local": {"color": "#009E73", "ls": ":", "marker": "^", "en": "Local (sub-provincial)", "zh": "地方"},
}
CATEGORY_STYLE = {
    "directive": {"color": "#D55E00", "ls": "-", "marker": "o", "en": "Directive", "zh": "指令型"},
    "developmental": {"color": "#009E73", "ls": "--", "marker": "s", "en": "Developmental", "zh": "发展型"},
    "regulatory": {"color": "#0072B2", "ls": "-.", "marker": "D", "en": "Regulatory", "zh": "监管型"},
    "other": {"color": "#999999", "ls": ":", "marker": "v", "en": "Other", "zh": "其他"},
}
EXTRA_COLORS = ["#CC79A7", "#56B4E9", "#F0E442", "#000000"]
EXTRA_STYLES = ["-", "--", "-.", ":"]
EXTRA_MARKERS = ["o", "s", "D", "^", "v"]
THIN_NOTE = "open markers: fewer than {n} documents (no band drawn)"


def setup(chinese: bool = True) -> str | None:
    """Configure matplotlib for the figures; returns the CJK font family (or None)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rcParams

    # matplotlib logs a "findfont: Font family ... not found" warning for every fallback it
    # tries; the font is chosen explicitly below, so those lines are noise on stderr
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    family = None
    if chinese:
        from zhengce.common.outputs import use_cjk_font

        family = use_cjk_font()
    rcParams.update({
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "axes.grid.axis": "y", "grid.color": "#e6e6e6", "grid.linewidth": 0.6,
        "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 10,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 8.5,
        "legend.frameon": False, "figure.dpi": 100, "lines.linewidth": 1.6,
        "lines.markersize": 4.5, "svg.fonttype": "none",
    })
    return family


def style_for(key: str, i: int, table: Mapping[str, dict]) -> dict:
    if key in table:
        return table[key]
    return {"color": EXTRA_COLORS[i % len(EXTRA_COLORS)], "ls": EXTRA_STYLES[i % len(EXTRA_STYLES)],
            "marker": EXTRA_MARKERS[i % len(EXTRA_MARKERS)], "en": str(key), "zh": ""}


def label_of(style: dict, chinese: bool) -> str:
    return f"{style['en']} {style['zh']}".strip() if chinese and style.get("zh") else style["en"]


def wto_marker(ax, year: int = WTO_YEAR, *, label: bool = True, side: str = "right") -> None:
    """Dashed vertical line at WTO accession, drawn at year + 0.94 (11 December 2001); the label
    sits on ``side`` of the line."""
    x = year + 0.94
    ax.axvline(x, color="#444444", ls=(0, (4, 3)), lw=0.9, zorder=1)
    if label:
        right = side == "right"
        ax.annotate("WTO accession\n(Dec 2001)", xy=(x, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3 if right else -3, -2), textcoords="offset points",
                    ha="left" if right else "right", va="top", fontsize=7.5, color="#444444")


def source_note(fig, text: str) -> None:
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=7, color="#555555", wrap=True)


def draw_series(ax, years: np.ndarray, mean: np.ndarray, low: np.ndarray | None,
                high: np.ndarray | None, thin: np.ndarray, style: dict, label: str) -> None:
    """A line with filled markers for solid cells, open markers for thin cells, and a band over
    the solid cells only (a thin cell's interval is drawn as a faint grey whisker)."""
    years, mean, thin = np.asarray(years), np.asarray(mean, float), np.asarray(thin, bool)
    # the line breaks where years are missing: no documents is not "the same as the neighbours"
    full = np.arange(int(years.min()), int(years.max()) + 1) if len(years) else years
    line = np.full(len(full), np.nan)
    line[np.searchsorted(full, years)] = mean
    ax.plot(full, line, color=style["color"], ls=style["ls"], lw=1.5, zorder=3, label=label)
    solid = ~thin
    ax.plot(years[solid], mean[solid], ls="none", marker=style["marker"], color=style["color"],
            zorder=4)
    if thin.any():
        ax.plot(years[thin], mean[thin], ls="none", marker=style["marker"], markerfacecolor="white",
                markeredgecolor=style["color"], markeredgewidth=1.0, color=style["color"], zorder=4)
    if low is not None and high is not None:
        low, high = np.asarray(low, float), np.asarray(high, float)
        band_low = np.where(solid, low, np.nan)
        band_high = np.where(solid, high, np.nan)
        ax.fill_between(years, band_low, band_high, color=style["color"], alpha=0.15, lw=0,
                        zorder=2)
        if thin.any():
            ax.vlines(years[thin], low[thin], high[thin], color="#bbbbbb", lw=0.8, zorder=2)


def _thin_handle(min_docs: int):
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker="o", markerfacecolor="white", markeredgecolor="#555555",
                  color="#555555", label=THIN_NOTE.format(n=min_docs))


def plot_prevalence(table: pd.DataFrame, categories: Sequence[str], *, group_col: str = "level",
                    groups: Sequence[str] | None = None, chinese: bool = True,
                    min_docs: int = 10, note: str = "", title: str | None = None,
                    ylabel: str = "Mean share of document (prevalence)", wto_year: int = WTO_YEAR,
                    group_styles: Mapping[str, dict] = LEVEL_STYLE,
                    panel_titles: Mapping[str, str] | None = None,
                    years: tuple[int, int] | None = None):
    """One panel per category; one line per group (level). Returns the figure.

    ``years`` (first, last): the x range shown (default: every year in ``table``)."""
    import matplotlib.pyplot as plt

    setup(chinese)
    groups = list(groups) if groups is not None else list(dict.fromkeys(table[group_col]))
    n = len(categories)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n if n > 1 else 6.4, 3.9), sharey=True, squeeze=False)
    if years is not None:
        table = table[table["year"].between(years[0], years[1])]
    for ax, cat in zip(axes[0], categories):
        sub = table[table["category"] == cat]
        for i, g in enumerate(groups):
            cell = sub[sub[group_col] == g].sort_values("year")
            if cell.empty:
                continue
            st = style_for(g, i, group_styles)
            draw_series(ax, cell["year"].to_numpy(), cell["mean"].to_numpy(),
                        cell["ci_low"].to_numpy(), cell["ci_high"].to_numpy(),
                        cell["thin"].to_numpy(), st, label_of(st, chinese))
        wto_marker(ax, wto_year)
        cs = CATEGORY_STYLE.get(cat, {"en": cat.title(), "zh": ""})
        ax.set_title((panel_titles or {}).get(cat) or label_of(cs, chinese) + " strategy")
        ax.set_xlabel("Year")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0][0].set_ylabel(ylabel)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if table["thin"].any():
        handles.append(_thin_handle(min_docs))
        labels.append(handles[-1].get_label())
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(handles)))
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.tight_layout()
    if note:
        fig.text(0.01, -0.09, note, ha="left", va="top", fontsize=7, color="#555555", wrap=True)
    return fig


def plot_mix(table: pd.DataFrame, groups: Sequence[str], categories: Sequence[str], *,
             group_col: str = "sector", chinese: bool = True, min_docs: int = 10, note: str = "",
             title: str | None = None, group_titles: Mapping[str, str] | None = None,
             wto_year: int = WTO_YEAR, years: tuple[int, int] | None = None):
    """One panel per group (e.g. sector); one line per category: the strategy mix over time.

    ``years`` (first, last): the x range shown (default: every year in ``table``)."""
    import matplotlib.pyplot as plt

    setup(chinese)
    if years is not None:
        table = table[table["year"].between(years[0], years[1])]
    n = len(groups)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 3.9), sharey=True, squeeze=False)
    for ax, g in zip(axes[0], groups):
        sub = table[table[group_col] == g]
        for i, cat in enumerate(categories):
            cell = sub[sub["category"] == cat].sort_values("year")
            if cell.empty:
                continue
            st = style_for(cat, i, CATEGORY_STYLE)
            draw_series(ax, cell["year"].to_numpy(), cell["mean"].to_numpy(),
                        cell["ci_low"].to_numpy(), cell["ci_high"].to_numpy(),
                        cell["thin"].to_numpy(), st, label_of(st, chinese))
        wto_marker(ax, wto_year)
        ax.set_title((group_titles or {}).get(g, g))
        ax.set_xlabel("Year")
        ax.xaxis.get_major_locator().set_params(integer=True)
        if sub.empty:
            ax.text(0.5, 0.5, "no documents", transform=ax.transAxes, ha="center", color="#777777")
    axes[0][0].set_ylabel("Mean share of document (prevalence)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:  # a category may only occur in a later panel
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not table.empty and table["thin"].any():
        handles.append(_thin_handle(min_docs))
        labels.append(handles[-1].get_label())
    if handles:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(5, len(handles)))
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.tight_layout()
    if note:
        fig.text(0.01, -0.09, note, ha="left", va="top", fontsize=7, color="#555555", wrap=True)
    return fig


AGENCY_STYLE = {
    "NDRC": {"color": "#0072B2", "ls": "-", "marker": "o", "en": "NDRC", "zh": "国家发展和改革委员会"},
    "MIIT": {"color": "#D55E00", "ls": "--", "marker": "s", "en": "MIIT", "zh": "工业和信息化部"},
    "SASAC": {"color": "#009E73", "ls": "-.", "marker": "D", "en": "SASAC", "zh": "国务院国资委"},
}


def plot_agency_counts(counts: pd.DataFrame, lineages: Mapping[str, dict], *, chinese: bool = True,
                       note: str = "", title: str | None = None, wto_year: int = WTO_YEAR):
    """Industrial-policy documents per year by agency lineage.

    ``lineages[label]``: {"created": year, "first_year": earliest year of any member,
    "chain_label": "SPC → SDPC → NDRC"}. Years before ``first_year`` are not drawn (the lineage did
    not exist); years before ``created`` (documents of predecessors, mapped to the lineage) are
    drawn with a thinner, lighter line and open markers; creation years are dotted vertical lines.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    setup(chinese)
    fig, ax = plt.subplots(figsize=(7.2, 4.0))
    created_at: dict[int, list[str]] = {}
    for i, (name, spec) in enumerate(lineages.items()):
        st = style_for(name, i, AGENCY_STYLE)
        sub = counts[counts["lineage"] == name].sort_values("year")
        created, first = spec.get("created"), spec.get("first_year")
        if first is not None:
            sub = sub[sub["year"] >= first]
        chain = spec.get("chain_label") or name
        label = f"{st['en']} {st['zh']}" if chinese and st.get("zh") else st["en"]
        if chain and chain != name.upper() and "→" in chain:
            label += f" ({chain})"
        if created is not None:
            created_at.setdefault(int(created), []).append(name)
        if sub.empty:
            ax.plot([], [], color=st["color"], ls=st["ls"], label=label + " — no documents")
            continue
        years, n = sub["year"].to_numpy(), sub["n_docs"].to_numpy()
        before = years < created if created is not None else np.zeros(len(years), bool)
        if before.any():
            # the predecessor segment runs up to the agency's first year, so the line is unbroken
            upto = min(len(years), int(before.sum()) + 1)
            ax.plot(years[:upto], n[:upto], color=st["color"], ls=st["ls"], lw=1.0, alpha=0.55,
                    zorder=3)
            ax.plot(years[before], n[before], ls="none", marker=st["marker"], markerfacecolor="white",
                    markeredgecolor=st["color"], alpha=0.8, zorder=3)
        ax.plot(years[~before], n[~before], color=st["color"], ls=st["ls"], marker=st["marker"],
                label=label, zorder=4)
    for year, names in sorted(created_at.items()):
        ax.axvline(year, color="#777777", lw=0.8, ls=(0, (1, 2)), zorder=1)
        ax.annotate(f"{', '.join(names)} created {year}", xy=(year, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(-2, -2), textcoords="offset points",
                    rotation=90, ha="right", va="top", fontsize=7.5, color="#555555")
    wto_marker(ax, wto_year, side="left")  # creation labels sit right of their lines
    ax.set_xlabel("Year")
    ax.set_ylabel("Industrial-policy documents per year")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#777777", lw=1.0, alpha=0.55, marker="o",
                          markerfacecolor="white"))
    labels.append("issued under a predecessor's name (mapped to its successor)")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=1)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if note:
        fig.text(0.01, -0.02, note, ha="left", va="top", fontsize=7, color="#555555", wrap=True)
    return fig


def plot_counts(counts: pd.DataFrame, *, min_docs: int = 10, chinese: bool = True, note: str = "",
                title: str | None = None, wto_year: int = WTO_YEAR):
    """Documents per level × year; cells under ``min_docs`` drawn open, with the threshold line."""
    import matplotlib.pyplot as plt

    setup(chinese)
    fig, ax = plt.subplots(figsize=(7.2, 3.9))
    data = counts[counts["year"].notna()]
    for i, lv in enumerate(dict.fromkeys(data["level"])):
        st = style_for(lv, i, LEVEL_STYLE)
        sub = data[data["level"] == lv].sort_values("year")
        # a year without documents is a count of zero (and thin), drawn as such
        span = pd.RangeIndex(int(sub["year"].min()), int(sub["year"].max()) + 1, name="year")
        sub = (sub.assign(year=sub["year"].astype(int)).set_index("year")[["n_docs", "thin"]]
               .reindex(span).fillna({"n_docs": 0, "thin": True}).reset_index())
        sub["thin"] = sub["thin"].astype(bool)
        draw_series(ax, sub["year"].astype(int).to_numpy(), sub["n_docs"].to_numpy(), None, None,
                    sub["thin"].to_numpy(), st, label_of(st, chinese))
    ax.axhline(min_docs, color="#999999", lw=0.8, ls=(0, (2, 2)), zorder=1)
    ax.annotate(f"thin-cell threshold ({min_docs})", xy=(0.0, min_docs), xycoords=("axes fraction", "data"),
                xytext=(2, 2), textcoords="offset points", fontsize=7.5, color="#777777")
    wto_marker(ax, wto_year)
    ax.set_xlabel("Year")
    ax.set_ylabel("Documents")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax.get_legend_handles_labels()
    if data["thin"].any():
        handles.append(_thin_handle(min_docs))
        labels.append(f"fewer than {min_docs} documents")
    ax.legend(handles, labels, loc="upper left")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if note:
        fig.text(0.01, -0.02, note, ha="left", va="top", fontsize=7, color="#555555", wrap=True)
    return fig
