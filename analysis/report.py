"""The HTML report: one self-contained page that opens offline.

:func:`build_report` writes into ``out_dir``

* ``report.html`` — figures embedded as data-URI PNG, tables as HTML tables, no external URL of
  any kind (no CDN, web font or script: the page has no JavaScript at all);
* ``figures/`` — every figure as PNG and SVG; ``tables/`` — every table as CSV, Markdown, LaTeX;
* ``manifest.json`` — parameters, runs used, package versions, row counts.

Sections: data coverage (documents per level × year with thin cells flagged, per decade, per
source), strategy trajectories by level (regulatory; developmental and directive) with pre/post
contrasts, effect estimates (fractional logit and OLS with issuer-clustered SEs; method-of-
composition contrasts), industrial-policy documents of NDRC / MIIT / SASAC by lineage, the sector
comparison, the topic model (labels, top words, a link to the pyLDAvis page of the topic stage) and
the run manifests. Without any strategy measure the report still shows coverage and agency counts
and says that the topic stage has not run; with only the dictionary measure it uses that.

The page is rendered from the Jinja2 templates in ``templates/`` (``page.html`` the frame,
``sections/*.html`` one per section, ``table.html`` and ``figure.html`` the pieces); the functions
here compute what the templates show. Autoescaping is on: every value is escaped unless it is an
already rendered piece (:class:`markupsafe.Markup`).
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from zhengce.common.errors import UserError
from zhengce.common.manifest import package_versions
from zhengce.common.outputs import save_figure, write_manifest, write_table
from zhengce.common.periods import WTO_YEAR

from .data import (LEVELS, StrategyData, dense_years, document_counts, has_table,
                   load_strategy_data, restarts_of, restrict, topic_runs)
from .defaults import DEFAULT_FORMULA, DEFAULT_MIN_DOCS, DEFAULT_N_BOOT, DEFAULT_N_DRAWS
from .trajectories import compute_trajectories, pre_post, thin_cells

LDAVIS_NAMES = ("ldavis.html", "topics_ldavis.html", "lda_vis.html", "pyldavis.html")
REPORT_PACKAGES = ["numpy", "pandas", "scipy", "statsmodels", "matplotlib", "scikit-learn",
                   "krippendorff", "sqlite-utils", "jinja2"]
SECTION_ORDER = ("coverage", "trajectories", "effects", "agencies", "sectors", "model", "runs")


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

def _fmt(value: Any, digits: int = 3) -> tuple[str, bool]:
    """Cell text and whether it is numeric."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return ("yes" if value else ""), False
    if isinstance(value, (int, np.integer)):
        return str(int(value)), True
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}f}", True
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)), False
    return str(value), False


def html_table(df: pd.DataFrame, *, digits: int = 3, thin_col: str | None = "thin",
               max_rows: int | None = None, caption: str | None = None) -> Markup:
    """An HTML table; rows whose ``thin_col`` is true get class "thin" (greyed)."""
    if df is None or df.empty:
        return _render("table.html", rows=None)
    shown = df if max_rows is None else df.head(max_rows)
    rows = []
    for row in shown.itertuples(index=False):
        values = dict(zip(shown.columns, row))
        thin = bool(values.get(thin_col)) if thin_col and thin_col in values else False
        rows.append({"thin": thin, "cells": [_fmt(values[c], digits) for c in shown.columns]})
    return _render("table.html", columns=list(shown.columns), rows=rows, n_rows=len(df),
                   caption=caption)


def _thousands(value: Any) -> str:
    return f"{int(value):,}"


TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=True, trim_blocks=True, lstrip_blocks=True,
                        undefined=StrictUndefined)
TEMPLATES.filters["thousands"] = _thousands
TEMPLATES.globals["table"] = html_table


def _render(name: str, **context: Any) -> Markup:
    return Markup(TEMPLATES.get_template(name).render(**context))


def _figure_html(paths: dict[str, Path], caption: str, out_dir: Path) -> Markup:
    return _render("figure.html", caption=caption,
                   png_base64=base64.b64encode(paths["png"].read_bytes()).decode("ascii"),
                   svg=os.path.relpath(paths["svg"], out_dir))


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------

class _Report:
    def __init__(self, store, out_dir: Path, *, chinese: bool, min_docs: int, n_boot: int,
                 random_state: int, source_label: str, dpi: int = 200):
        self.store = store
        self.dpi = dpi
        self.out = out_dir
        self.fig_dir = out_dir / "figures"
        self.tab_dir = out_dir / "tables"
        self.chinese = chinese
        self.min_docs = min_docs
        self.n_boot = n_boot
        self.random_state = random_state
        self.source_label = source_label
        self.sections: list[dict[str, Any]] = []   # {"anchor", "title", "body"}
        self.files: dict[str, Any] = {"figures": {}, "tables": {}}
        self.warnings: list[str] = []
        #: the --years window (None: the figures show the years where the data are not thin)
        self.years: tuple[int, int] | None = None
        #: the --level choice (None: every level)
        self.levels: list[str] | None = None
        #: the numbers ``make demo`` prints: post − pre change of the regulatory share by level
        self.headline: dict[str, Any] = {}

    def table(self, df: pd.DataFrame, name: str, caption: str) -> None:
        paths = write_table(df, self.tab_dir, name, caption=caption)
        self.files["tables"][name] = {k: str(v) for k, v in paths.items()}

    def figure(self, fig, name: str, caption: str) -> Markup:
        paths = save_figure(fig, self.fig_dir, name, dpi=self.dpi)
        self.files["figures"][name] = {k: str(v) for k, v in paths.items()}
        return _figure_html(paths, caption, self.out)

    def add(self, anchor: str, title: str, template: str, **context: Any) -> None:
        """Render ``sections/<template>`` with ``context`` as the section ``anchor``."""
        body = _render(f"sections/{template}", min_docs=self.min_docs, wto_year=WTO_YEAR, **context)
        self.sections.append({"anchor": anchor, "title": title, "body": body})


def _coverage(rep: _Report) -> pd.DataFrame:
    from .figures import plot_counts

    store = rep.store
    counts = document_counts(store, min_docs=rep.min_docs)
    rep.table(counts, "counts_level_year", "Documents per level and year (thin: fewer than "
              f"{rep.min_docs})")
    years = counts["year"].dropna()
    by_level = counts[counts["level"].isin(LEVELS)].groupby("level")["n_docs"].sum()
    extra = counts[~counts["level"].isin(LEVELS)]
    context: dict[str, Any] = {
        "n_docs": store.count("documents"),
        "span": f"{int(years.min())}–{int(years.max())}" if len(years) else "no dated documents",
        "by_level": [(level, int(by_level.get(level, 0))) for level in LEVELS],
        "unplaced": [(int(r.n_docs), "no year" if r.period == "no year" else "no level")
                     for r in extra.itertuples()],
        "dated": None, "n_thin": 0}
    dated = counts[counts["level"].isin(LEVELS)]
    if not dated.empty:
        context.update(_coverage_of_dated(rep, dated, plot_counts))
    sources = pd.DataFrame(store.db.execute(
        "select source, count(*) as n_docs, min(year) as first_year, max(year) as last_year "
        "from documents group by source order by n_docs desc").fetchall(),
        columns=["source", "n_docs", "first_year", "last_year"])
    rep.table(sources, "counts_source", "Documents per source")
    rep.add("coverage", "1. Data coverage", "coverage.html", sources=sources, **context)
    return counts


def _coverage_of_dated(rep: _Report, dated: pd.DataFrame, plot_counts) -> dict[str, Any]:
    """Figure, decade table and thin-cell count of the documents with a level and a year."""
    fig = plot_counts(
        dated, min_docs=rep.min_docs, chinese=rep.chinese,
        note=f"Source: {rep.source_label}. Documents per level and year; open markers: fewer "
             f"than {rep.min_docs} documents (thin cells, flagged in every table).")
    counts_figure = rep.figure(fig, "fig1_document_counts",
                               "Figure 1. Documents per level and year (where data are thin).")
    decade = dated.assign(decade=(dated["year"].astype(int) // 10 * 10).astype(str) + "s")
    by_decade = decade.pivot_table(index="decade", columns="level", values="n_docs",
                                   aggfunc="sum", fill_value=0, observed=False)
    by_decade = by_decade[[c for c in LEVELS if c in by_decade.columns]].reset_index()
    by_decade.columns.name = None
    rep.table(by_decade, "counts_decade", "Documents per decade and level")
    n_thin = len(dated[dated["thin"]])
    if n_thin:
        rep.warnings.append(f"{n_thin} level × year cells have fewer than {rep.min_docs} "
                            "documents; their estimates are drawn open and greyed in tables.")
    return {"dated": dated, "counts_figure": counts_figure, "by_decade": by_decade,
            "n_thin": n_thin, "n_cells": len(dated)}


def _no_measure(rep: _Report, reason: str) -> None:
    """The three strategy sections when no strategy measure can be loaded, saying why."""
    rep.add("trajectories", "2. Strategy trajectories by level", "no_measure.html", reason=reason,
            not_run=True)
    rep.add("effects", "3. Effect estimates", "no_measure.html", reason=reason, not_run=False)
    rep.add("sectors", "5. Sector comparison", "no_measure.html", reason=reason, not_run=False)


def _trajectories(rep: _Report, data: StrategyData, smooth: str | None, window: int, frac: float):
    traj = compute_trajectories(data, n_boot=rep.n_boot, min_docs=rep.min_docs,
                                random_state=rep.random_state)
    table = traj.table
    rep.table(table, "trajectories_level_year", "Strategy prevalence by level and year "
              "(mean document share, 95% bootstrap interval)")
    shown = table
    smooth_note = "unsmoothed yearly means"
    if smooth:
        shown = traj.smoothed(smooth, window=window, frac=frac)
        rep.table(shown, f"trajectories_smoothed_{smooth}", f"Smoothed prevalence ({smooth})")
        smooth_note = (f"centred {window}-year rolling window (documents pooled)" if smooth == "rolling"
                       else f"LOWESS (frac={frac})")
    figures = _trajectory_figures(rep, data, shown, smooth_note)
    contrasts = pre_post(traj)
    rep.table(contrasts, "pre_post_by_level", f"Pre (≤{WTO_YEAR}) and post (≥{WTO_YEAR + 1}) "
              "prevalence by level, with bootstrap interval of the difference")
    rep.headline = _headline(contrasts)
    thin = [f"{r.level} {r.year} (n={r.n_docs})" for r in thin_cells(traj).itertuples()]
    rep.add("trajectories", "2. Strategy trajectories by level", "trajectories.html",
            figures=figures, contrasts=contrasts, thin_cells=thin, yearly=shown)
    return traj


def _trajectory_figures(rep: _Report, data: StrategyData, shown: pd.DataFrame,
                        smooth_note: str) -> list[Markup]:
    """Figures 1 (regulatory), 2 (developmental, directive) and the further categories."""
    from .figures import plot_prevalence

    runs_txt = (f"{len(data.run_ids)} pooled runs (restarts)" if len(data.run_ids) > 1
                else f"run {data.run_ids[0]}")
    measure_txt = ("topic-model strategy shares" if data.measure == "topics"
                   else "dictionary measure (share of seed-term hits)")
    note = (f"Source: {rep.source_label}; {measure_txt}, {runs_txt}. Prevalence = mean of document "
            f"shares per level and year ({smooth_note}); bands: 95% bootstrap intervals "
            f"({rep.n_boot} resamples of documents within level × year cells"
            + (", pooled over runs" if len(data.run_ids) > 1 else "") + f"). Open markers: fewer "
            f"than {rep.min_docs} documents. Dashed line: WTO accession, 11 Dec {WTO_YEAR}.")
    figures = []
    cats = data.strategies
    years = rep.years or dense_years(data, rep.min_docs)
    if "regulatory" in cats:
        fig = plot_prevalence(shown, ["regulatory"], chinese=rep.chinese, min_docs=rep.min_docs,
                              note=note, ylabel="Regulatory share (prevalence)", years=years)
        figures.append(rep.figure(fig, "fig2_regulatory_by_level",
                                  "Figure 2. Prevalence of regulatory (market-enhancing) content by "
                                  "level of government."))
    pair = [c for c in ("developmental", "directive") if c in cats]
    if pair:
        fig = plot_prevalence(shown, pair, chinese=rep.chinese, min_docs=rep.min_docs, note=note,
                              years=years)
        figures.append(rep.figure(fig, "fig3_developmental_directive_by_level",
                                  "Figure 3. Prevalence of developmental (market-shaping) and "
                                  "directive (market-substituting) content by level."))
    others = [c for c in cats if c not in ("regulatory", "developmental", "directive")]
    if others:
        fig = plot_prevalence(shown, others, chinese=rep.chinese, min_docs=rep.min_docs, note=note,
                              years=years)
        figures.append(rep.figure(fig, "fig3b_other_categories_by_level",
                                  "Further categories of the coding scheme by level."))
    return figures


def _effects(rep: _Report, data: StrategyData, n_draws: int, formula: str):
    from .effects import fit_effects

    effect_rows, coef_tables, fit_errors = [], [], []
    for cat in data.strategies:
        try:
            fit = fit_effects(data, cat, formula=formula, random_state=rep.random_state)
        except UserError as exc:
            fit_errors.append((cat, str(exc)))
            continue
        effect_rows.append(fit.post_effects)
        coef_tables.append(fit.coefficients)
    effects = coefs = None
    if effect_rows:
        effects = pd.concat(effect_rows, ignore_index=True)
        coefs = pd.concat(coef_tables, ignore_index=True)
        rep.table(effects, "effects_post_by_level", "Change in expected share after WTO entry by level")
        rep.table(coefs, "effects_coefficients", "Regression coefficients (issuer-clustered SEs)")
    composition, composition_errors = (_composition(rep, data, n_draws, formula) if n_draws
                                       else (None, []))
    how = ("each draw samples every document's share from its approximate posterior "
           "Beta(κ·s, κ·(1−s)), κ = α₀ + N_d" if data.measure == "topics"
           else "each draw resamples documents")
    rep.add("effects", "3. Effect estimates", "effects.html", fit_errors=fit_errors,
            effects=effects, coefficients=coefs, composition_errors=composition_errors,
            composition=composition, n_draws=n_draws, how=how)


def _composition(rep: _Report, data: StrategyData, n_draws: int,
                 formula: str) -> tuple[pd.DataFrame | None, list[tuple[str, str]]]:
    """Method-of-composition contrasts of every strategy, and the strategies that failed."""
    from .effects import estimate_effect

    rows, errors = [], []
    for cat in data.strategies:
        try:
            est = estimate_effect(rep.store, data.run_ids, cat, n_draws=n_draws,
                                  formula=formula, measure=data.measure,
                                  random_state=rep.random_state, years=rep.years,
                                  levels=rep.levels)
        except UserError as exc:
            errors.append((cat, str(exc)))
            continue
        rows.append(est.contrasts.assign(target=cat, method=est.method, n_draws=est.n_draws,
                                         n_runs=len(est.run_ids)))
        rep.table(est.coefficients, f"estimate_effect_{cat}",
                  f"{cat}: method-of-composition coefficients")
    if not rows:
        return None, errors
    comp = pd.concat(rows, ignore_index=True)
    rep.table(comp, "estimate_effect_contrasts", "Post − pre by level, method of composition")
    return comp, errors


def _agencies(rep: _Report) -> None:
    from .agencies import DEFAULT_LINEAGES, agency_counts, lineage_table
    from .figures import plot_agency_counts

    try:
        counts, lineages = agency_counts(rep.store, DEFAULT_LINEAGES)
    except UserError as exc:
        rep.add("agencies", "4. Industrial-policy agencies", "agencies.html", error=str(exc))
        return
    rep.table(counts, "agency_counts", "Industrial-policy documents per year by agency lineage")
    lt = lineage_table(lineages)
    rep.table(lt, "agency_lineages", "Agency lineages")
    per_year = counts_figure = None
    if not (counts.empty or counts["n_docs"].sum() == 0):
        spec = {k: {"created": v.created, "first_year": v.first_year, "chain_label": v.chain_label}
                for k, v in lineages.items()}
        fig = plot_agency_counts(counts, spec, chinese=rep.chinese,
                                 note=f"Source: {rep.source_label}. Documents tagged with a "
                                      "manufacturing sector, by issuing agency lineage; lighter "
                                      "segments: issued under a predecessor's name. Dotted lines: "
                                      "creation of NDRC (2003), SASAC (2003), MIIT (2008).")
        counts_figure = rep.figure(fig, "fig4_agency_counts",
                                   "Figure 4. Industrial-policy documents issued by NDRC, MIIT and "
                                   "SASAC (predecessors mapped).")
        per_year = counts.pivot_table(index="year", columns="lineage", values="n_docs", fill_value=0)
        per_year = per_year.reset_index()
        per_year.columns.name = None
    rep.add("agencies", "4. Industrial-policy agencies", "agencies.html", error=None,
            per_year=per_year, counts_figure=counts_figure, lineages=lt)


def _sectors(rep: _Report, data: StrategyData, sectors) -> None:
    from .figures import plot_mix
    from .sector_compare import SECTOR_TITLES, resolve_sectors, sector_frame

    spec = resolve_sectors(sectors, rep.store)
    frame = sector_frame(rep.store, data, spec)
    if frame.empty:
        rep.add("sectors", "5. Sector comparison", "sectors.html", spec=spec, contrasts=None)
        return
    traj = compute_trajectories(frame, by="sector", categories=data.categories,
                                groups=list(spec), n_boot=rep.n_boot, min_docs=rep.min_docs,
                                random_state=rep.random_state)
    rep.table(traj.table, "sector_trajectories", "Strategy mix by sector and year")
    counts = frame.drop_duplicates(["doc_id", "sector"]).groupby("sector", observed=False).size()
    fig = plot_mix(traj.table, list(spec), data.strategies, chinese=rep.chinese,
                   min_docs=rep.min_docs, years=rep.years or dense_years(data, rep.min_docs),
                   group_titles={k: SECTOR_TITLES.get(k, k) if rep.chinese
                                                         else k for k in spec},
                   note=f"Source: {rep.source_label}. Mean document share per year; bands: 95% "
                        f"bootstrap intervals; open markers: fewer than {rep.min_docs} documents.")
    mix_figure = rep.figure(fig, "fig5_sector_comparison",
                            "Figure 5. Strategy mix over time: " + " vs ".join(spec) + ".")
    contrasts = pre_post(traj)
    rep.table(contrasts, "sector_pre_post", "Pre/post prevalence by sector")
    rep.add("sectors", "5. Sector comparison", "sectors.html", spec=spec, contrasts=contrasts,
            counts=[(k, int(counts.get(k, 0))) for k in spec], mix_figure=mix_figure)


def _headline(contrasts: pd.DataFrame) -> dict[str, Any]:
    """The three numbers to look at first: each level's post − pre change in the regulatory share
    (Tan's question: did WTO entry make the centre, and not the lower levels, more regulatory?)."""
    rows = contrasts[(contrasts["category"] == "regulatory")] if "category" in contrasts else contrasts[:0]
    lines, values = [], {}
    for r in rows.itertuples():
        values[str(r.level)] = {"diff": float(r.diff), "ci_low": float(r.ci_low),
                                "ci_high": float(r.ci_high)}
        lines.append(f"{str(r.level):<10} regulatory share, post − pre {WTO_YEAR}: {r.diff:+.3f} "
                     f"[95% CI {r.ci_low:+.3f}, {r.ci_high:+.3f}]")
    return {"measure": "regulatory share, post − pre", "levels": values, "lines": lines}


def _ldavis_link(run: dict, out_dir: Path) -> str | None:
    """Copy the run's pyLDAvis page into the report folder and return its relative link, so a
    copied or zipped report folder keeps it (the page inlines its scripts: one file is enough)."""
    import shutil

    summary = run.get("summary") or {}
    candidates = []
    if summary.get("ldavis_path"):
        candidates.append(Path(summary["ldavis_path"]))
    candidates += [out_dir / name for name in LDAVIS_NAMES]
    candidates += sorted(out_dir.glob("*ldavis*.html"))
    for path in candidates:
        if path.is_file():
            target = out_dir / "ldavis.html"
            if path.resolve() != target.resolve():
                shutil.copyfile(path, target)
            return target.name
    return None


def _topics(rep: _Report, data: StrategyData | None) -> list[dict]:
    runs_used: list[dict] = []
    if data is None or data.measure != "topics":
        rep.sections.append({"anchor": "model", "title": "6. Topic model",
                             "body": Markup('<p class="note">No topic run in this store yet.</p>')})
        return runs_used
    runs = topic_runs(rep.store).set_index("run_id")
    for run_id in data.run_ids:
        meta = runs.loc[run_id].to_dict()
        meta["run_id"] = run_id
        runs_used.append(meta)
    first = runs_used[0]
    model = (first.get("summary") or {}).get("model") or {}
    facts = {k: model.get(k) for k in ("model", "library", "n_topics", "n_docs", "vocabulary_size",
                                        "per_word_bound", "deterministic") if model.get(k) is not None}
    topics = None
    if has_table(rep.store, "topics"):
        rows = list(rep.store.db.query(
            "select topic, label, category, score, prevalence, top_words, frex from topics "
            "where run_id = ? order by topic", [first["run_id"]]))
        if rows:
            topics = pd.DataFrame(rows)
            for col in ("top_words", "frex"):
                topics[col] = [", ".join(json.loads(v)[:10]) if v else "" for v in topics[col]]
            rep.table(topics, "topics", f"Topics of run {first['run_id']}")
    rep.add("model", "6. Topic model", "topics.html", facts=facts, run_ids=data.run_ids,
            ldavis=_ldavis_link(first, rep.out), topics=topics)
    return runs_used


def _pretty_json(text: str | None) -> str:
    """Indented JSON of a stored JSON column; the text as stored when it is not JSON."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2) if text else ""
    except ValueError:
        return text or ""


def _manifests(rep: _Report, run_ids: Sequence[str], report_run: str) -> None:
    runs = []
    for run_id in run_ids:
        row = rep.store.db.execute("select run_id, stage, status, started_at, finished_at, params, "
                                   "manifest, summary from runs where run_id = ?", [run_id]).fetchone()
        if not row:
            continue
        runs.append({"run_id": row[0], "stage": row[1], "status": row[2], "started_at": row[3],
                     "parts": {"params": _pretty_json(row[5]), "manifest": _pretty_json(row[6]),
                               "summary": _pretty_json(row[7])}})
    rep.add("runs", "7. Runs and manifests", "runs.html", runs=runs, report_run=report_run)


def _strategy_data(store, run_id: str | None, measure: str, pool_restarts: bool,
                   years: tuple[int, int] | None = None,
                   levels: Sequence[str] | None = None) -> tuple[StrategyData | None, str]:
    """The strategy measure of ``run_id`` (with its restarts) within ``years`` and ``levels``,
    or None and the reason why not."""
    run_ids = None
    try:
        if run_id is not None:
            pooled = (pool_restarts and measure != "dictionary"
                      and run_id in set(topic_runs(store)["run_id"]))
            run_ids = restarts_of(store, run_id) if pooled else [run_id]
        data = load_strategy_data(store, run_ids, measure=measure, pool_restarts=pool_restarts)
        return restrict(data, years=years, levels=levels), ""
    except UserError as exc:
        return None, str(exc)


def _sections(rep: _Report, data: StrategyData | None, reason: str, *, smooth: str | None,
              window: int, frac: float, n_draws: int, formula: str, sectors) -> None:
    """Every section except the topic model and the run manifests, in build order."""
    _coverage(rep)
    _agencies(rep)
    if data is not None and not data.frame.empty:
        if data.excluded:
            rep.warnings.append("Documents left out of the strategy analyses: " + ", ".join(
                f"{k.replace('_', ' ')} {v:,}" for k, v in data.excluded.items()))
        _trajectories(rep, data, smooth, window, frac)
        _effects(rep, data, n_draws, formula)
        _sectors(rep, data, sectors)
    else:
        _no_measure(rep, reason or "The strategy measure has no documents with a year and a level.")


def build_report(store, out_dir, run_id: str | None = None, *, measure: str = "auto",
                 pool_restarts: bool = True, n_boot: int = DEFAULT_N_BOOT,
                 n_draws: int = DEFAULT_N_DRAWS, min_docs: int = DEFAULT_MIN_DOCS,
                 smooth: str | None = None, window: int = 3, frac: float = 0.3, sectors=None,
                 formula: str = DEFAULT_FORMULA, years: tuple[int, int] | None = None,
                 levels: Sequence[str] | None = None,
                 chinese: bool = True, random_state: int = 0, dpi: int = 200,
                 title: str = "zhengce report: state strategies around WTO entry") -> Path:
    """Build the report in ``out_dir`` and return the path of ``report.html``.

    ``run_id``: the topic run (default: the latest, pooled with its restarts when
    ``pool_restarts``); ``measure``: 'auto' | 'topics' | 'dictionary'. ``years`` (first, last)
    and ``levels`` restrict the strategy sections (the trajectory figures otherwise show the
    years where some level has ``min_docs`` documents). ``chinese``: Chinese labels
    in figures (needs a CJK font; a clear error otherwise). ``dpi``: resolution of the PNGs.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if store.count("documents") == 0:
        raise UserError("the database has no documents: load or crawl some before building a report")
    from .figures import setup

    setup(chinese)  # fail early, before any work, when Chinese labels need a missing font
    params = {"run_id": run_id, "measure": measure, "pool_restarts": pool_restarts, "n_boot": n_boot,
              "n_draws": n_draws, "min_docs": min_docs, "smooth": smooth, "window": window,
              "frac": frac, "sectors": sectors, "formula": formula, "years": years,
              "levels": list(levels) if levels else None, "chinese": chinese,
              "random_state": random_state, "dpi": dpi, "out_dir": str(out)}
    source_label = f"zhengce corpus ({Path(store.path).name}, {store.count('documents'):,} documents)"
    rep = _Report(store, out, chinese=chinese, min_docs=min_docs, n_boot=n_boot,
                  random_state=random_state, source_label=source_label, dpi=dpi)
    rep.years = years
    rep.levels = list(levels) if levels else None
    with store.run("report", {**params, "database": str(store.path)},
                   packages=REPORT_PACKAGES) as run:
        data, reason = _strategy_data(store, run_id, measure, pool_restarts, years, levels)
        _sections(rep, data, reason, smooth=smooth, window=window, frac=frac, n_draws=n_draws,
                  formula=formula, sectors=sectors)
        _topics(rep, data)
        used_ids = list(data.run_ids) if data is not None else []
        # the report's own run is still running here: its record is manifest.json, not this list
        _manifests(rep, used_ids, run.run_id)
        rep.sections.sort(key=lambda s: SECTION_ORDER.index(s["anchor"]))
        path = out / "report.html"
        path.write_text(_page(rep, title, store, data), encoding="utf-8")
        manifest = {"report": str(path), "params": params, "run_id": run.run_id,
                    "strategy_runs": used_ids, "measure": data.measure if data is not None else None,
                    "excluded": data.excluded if data is not None else {},
                    "warnings": rep.warnings, "files": rep.files, "headline": rep.headline,
                    "versions": package_versions(REPORT_PACKAGES),
                    "n_documents": store.count("documents"),
                    "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        write_manifest(out, manifest)
        run.summary.update({"report": str(path), "strategy_runs": used_ids, "headline": rep.headline,
                            "warnings": rep.warnings, "n_figures": len(rep.files["figures"]),
                            "n_tables": len(rep.files["tables"])})
    return path


def _page(rep: _Report, title: str, store, data: StrategyData | None) -> str:
    measure = ("none (topic stage not run)" if data is None else
               {"topics": "topic-model strategy shares", "dictionary": "dictionary measure"}[data.measure])
    return TEMPLATES.get_template("page.html").render(
        title=title, created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        store_path=store.path, measure=measure,
        run_ids=list(data.run_ids) if data is not None else None,
        sections=rep.sections, warnings=rep.warnings, wto_year=WTO_YEAR) + "\n"
