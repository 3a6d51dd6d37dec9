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
"""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.corpus.export import WTO_YEAR

from .data import (LEVELS, StrategyData, document_counts, has_table, load_strategy_data,
                   restarts_of, topic_runs)
from .trajectories import DEFAULT_MIN_DOCS, compute_trajectories, pre_post, thin_cells

LDAVIS_NAMES = ("ldavis.html", "topics_ldavis.html", "lda_vis.html", "pyldavis.html")
REPORT_PACKAGES = ["numpy", "pandas", "scipy", "statsmodels", "matplotlib", "scikit-learn",
                   "krippendorff", "sqlite-utils"]

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
 "Helvetica Neue",Arial,sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1em;
 line-height:1.5}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;
 padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;margin-top:1.4em}
.meta{color:#666;font-size:.9em}.note{background:#f6f6f6;border-left:3px solid #999;
 padding:.6em 1em;margin:1em 0}.warn{background:#fff6e5;border-left:3px solid #e69f00;
 padding:.6em 1em;margin:1em 0}figure{margin:1.2em 0}figure img{max-width:100%;height:auto;
 border:0}figcaption{font-size:.88em;color:#444;margin-top:.4em}
table.tbl{border-collapse:collapse;font-size:.82em;margin:.6em 0 1.2em 0}
table.tbl th,table.tbl td{padding:.25em .6em;border-bottom:1px solid #e5e5e5;text-align:left}
table.tbl th{border-bottom:2px solid #999;background:#fafafa}
table.tbl td.num{text-align:right;font-variant-numeric:tabular-nums}
table.tbl tr.thin td{color:#999;font-style:italic}
details{margin:.6em 0}summary{cursor:pointer;color:#0b5394}
pre{background:#f8f8f8;padding:.8em;overflow-x:auto;font-size:.78em}
.toc a{margin-right:1em}
"""


# ---------------------------------------------------------------------------------------------
# HTML helpers
# ---------------------------------------------------------------------------------------------

def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


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
               max_rows: int | None = None, caption: str | None = None) -> str:
    """An HTML table; rows whose ``thin_col`` is true get class "thin" (greyed)."""
    if df is None or df.empty:
        return '<p class="note">No rows.</p>'
    shown = df if max_rows is None else df.head(max_rows)
    out = ['<table class="tbl">']
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in shown.columns) + "</tr></thead><tbody>")
    for row in shown.itertuples(index=False):
        values = dict(zip(shown.columns, row))
        thin = bool(values.get(thin_col)) if thin_col and thin_col in values else False
        cells = []
        for c in shown.columns:
            text, numeric = _fmt(values[c], digits)
            cells.append(f'<td class="num">{_esc(text)}</td>' if numeric else f"<td>{_esc(text)}</td>")
        out.append(('<tr class="thin">' if thin else "<tr>") + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if max_rows is not None and len(df) > max_rows:
        out.append(f'<p class="meta">First {max_rows} of {len(df)} rows; all rows in the CSV.</p>')
    return "".join(out)


def _figure_html(paths: dict[str, Path], caption: str, out_dir: Path) -> str:
    data = base64.b64encode(paths["png"].read_bytes()).decode("ascii")
    svg = os.path.relpath(paths["svg"], out_dir)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(caption)}">'
            f'<figcaption>{_esc(caption)} <span class="meta">(vector version: '
            f'<a href="{_esc(svg)}">{_esc(svg)}</a>)</span></figcaption></figure>')


def _versions(names: Sequence[str]) -> dict[str, str | None]:
    from zhengce.common.manifest import package_versions

    return package_versions(names)


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
        self.sections: list[tuple[str, str, str]] = []   # (anchor, title, html)
        self.files: dict[str, Any] = {"figures": {}, "tables": {}}
        self.warnings: list[str] = []

    def table(self, df: pd.DataFrame, name: str, caption: str) -> None:
        from zhengce.common.outputs import write_table

        paths = write_table(df, self.tab_dir, name, caption=caption)
        self.files["tables"][name] = {k: str(v) for k, v in paths.items()}

    def figure(self, fig, name: str, caption: str) -> str:
        from zhengce.common.outputs import save_figure

        paths = save_figure(fig, self.fig_dir, name, dpi=self.dpi)
        self.files["figures"][name] = {k: str(v) for k, v in paths.items()}
        return _figure_html(paths, caption, self.out)

    def add(self, anchor: str, title: str, body: str) -> None:
        self.sections.append((anchor, title, body))


def _coverage(rep: _Report) -> pd.DataFrame:
    from .figures import plot_counts

    store = rep.store
    n_docs = store.count("documents")
    counts = document_counts(store, min_docs=rep.min_docs)
    rep.table(counts, "counts_level_year", "Documents per level and year (thin: fewer than "
              f"{rep.min_docs})")
    body = []
    years = counts["year"].dropna()
    span = f"{int(years.min())}–{int(years.max())}" if len(years) else "no dated documents"
    by_level = counts[counts["level"].isin(LEVELS)].groupby("level")["n_docs"].sum()
    body.append(f"<p>{n_docs:,} documents; years {span}; "
                + "; ".join(f"{_esc(lv)} {int(by_level.get(lv, 0)):,}" for lv in LEVELS) + ".</p>")
    extra = counts[~counts["level"].isin(LEVELS)]
    if not extra.empty:
        body.append('<p class="warn">' + "; ".join(
            f"{int(r.n_docs):,} documents have {'no year' if r.period == 'no year' else 'no level'}"
            for r in extra.itertuples()) + ": they are counted here but cannot enter the "
            "level × year analyses.</p>")
    dated = counts[counts["level"].isin(LEVELS)]
    if not dated.empty:
        fig = plot_counts(
            dated, min_docs=rep.min_docs, chinese=rep.chinese,
            note=f"Source: {rep.source_label}. Documents per level and year; open markers: fewer "
                 f"than {rep.min_docs} documents (thin cells, flagged in every table).")
        body.append(rep.figure(fig, "fig5_document_counts",
                               "Figure 5. Documents per level and year (where data are thin)."))
        decade = dated.assign(decade=(dated["year"].astype(int) // 10 * 10).astype(str) + "s")
        by_decade = decade.pivot_table(index="decade", columns="level", values="n_docs",
                                       aggfunc="sum", fill_value=0, observed=False)
        by_decade = by_decade[[c for c in LEVELS if c in by_decade.columns]].reset_index()
        by_decade.columns.name = None
        rep.table(by_decade, "counts_decade", "Documents per decade and level")
        body.append("<h3>Documents per decade</h3>" + html_table(by_decade, thin_col=None))
        thin = dated[dated["thin"]]
        if not thin.empty:
            rep.warnings.append(f"{len(thin)} level × year cells have fewer than {rep.min_docs} "
                                "documents; their estimates are drawn open and greyed in tables.")
            body.append(f'<p class="warn">{len(thin)} of {len(dated)} level × year cells have '
                        f"fewer than {rep.min_docs} documents (thin). Their prevalence estimates "
                        "are shown with open markers and no band, and greyed in the tables.</p>")
        body.append("<details><summary>Documents per level and year (table)</summary>"
                    + html_table(dated, thin_col="thin") + "</details>")
    sources = pd.DataFrame(store.db.execute(
        "select source, count(*) as n_docs, min(year) as first_year, max(year) as last_year "
        "from documents group by source order by n_docs desc").fetchall(),
        columns=["source", "n_docs", "first_year", "last_year"])
    rep.table(sources, "counts_source", "Documents per source")
    body.append("<h3>Sources</h3>" + html_table(sources, thin_col=None))
    body.append('<p class="note">Document counts over time mix policy change with transparency '
                "change: publication online grew with the Open Government Information rules (2008) "
                "and fell after the mid-2010s.</p>")
    rep.add("coverage", "1. Data coverage", "".join(body))
    return counts


def _no_measure_note(reason: str) -> str:
    return (f'<p class="warn">{_esc(reason)}</p><p class="note">The strategy analyses need the '
            "topic stage (<code>zhengce topics run --db …</code>), which writes "
            "<code>strategy_shares</code>, or the dictionary measure "
            "(<code>dictionary_scores</code>). Coverage and agency counts above do not need them.</p>")


def _trajectories(rep: _Report, data: StrategyData, smooth: str | None, window: int, frac: float):
    from .figures import plot_prevalence

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
    runs_txt = (f"{len(data.run_ids)} pooled runs (restarts)" if len(data.run_ids) > 1
                else f"run {data.run_ids[0]}")
    measure_txt = ("topic-model strategy shares" if data.measure == "topics"
                   else "dictionary measure (share of seed-term hits)")
    note = (f"Source: {rep.source_label}; {measure_txt}, {runs_txt}. Prevalence = mean of document "
            f"shares per level and year ({smooth_note}); bands: 95% bootstrap intervals "
            f"({rep.n_boot} resamples of documents within level × year cells"
            + (", pooled over runs" if len(data.run_ids) > 1 else "") + f"). Open markers: fewer "
            f"than {rep.min_docs} documents. Dashed line: WTO accession, 11 Dec 2001.")
    body = []
    cats = data.strategies
    if "regulatory" in cats:
        fig = plot_prevalence(shown, ["regulatory"], chinese=rep.chinese, min_docs=rep.min_docs,
                              note=note, ylabel="Regulatory share (prevalence)")
        body.append(rep.figure(fig, "fig1_regulatory_by_level",
                               "Figure 1. Prevalence of regulatory (market-enhancing) content by "
                               "level of government."))
    pair = [c for c in ("developmental", "directive") if c in cats]
    if pair:
        fig = plot_prevalence(shown, pair, chinese=rep.chinese, min_docs=rep.min_docs, note=note)
        body.append(rep.figure(fig, "fig2_developmental_directive_by_level",
                               "Figure 2. Prevalence of developmental (market-shaping) and directive "
                               "(market-substituting) content by level."))
    others = [c for c in cats if c not in ("regulatory", "developmental", "directive")]
    if others:
        fig = plot_prevalence(shown, others, chinese=rep.chinese, min_docs=rep.min_docs, note=note)
        body.append(rep.figure(fig, "fig2b_other_categories_by_level",
                               "Further categories of the coding scheme by level."))
    contrasts = pre_post(traj)
    rep.table(contrasts, "pre_post_by_level", "Pre (≤2001) and post (≥2002) prevalence by level, "
              "with bootstrap interval of the difference")
    body.append("<h3>Before and after WTO entry</h3><p>Document-weighted means for years up to "
                "2001 (pre) and from 2002 (post); <em>diff</em> = post − pre with its 95% bootstrap "
                "interval. Rows greyed: a period has fewer than "
                f"{rep.min_docs} documents.</p>" + html_table(contrasts))
    thin = thin_cells(traj)
    if not thin.empty:
        body.append(f'<p class="warn">Thin cells (fewer than {rep.min_docs} documents): '
                    + _esc(", ".join(f"{r.level} {r.year} (n={r.n_docs})" for r in thin.itertuples()))
                    + ".</p>")
    body.append("<details><summary>Yearly prevalence (table)</summary>" + html_table(shown)
                + "</details>")
    rep.add("trajectories", "2. Strategy trajectories by level", "".join(body))
    return traj


def _effects(rep: _Report, data: StrategyData, n_draws: int, formula: str):
    from .effects import estimate_effect, fit_effects

    body = ['<p>Regressions of each strategy share on level × post-2001 with a linear trend in '
            "(year − 2001): fractional logit (GLM, binomial family, logit link) and OLS, standard "
            "errors clustered by issuer (resolved agency, else the issuer as written). The post "
            "effect per level is the average change in the expected share when post goes 0 → 1 "
            "(central is the reference level of the coefficients).</p>"]
    effect_rows, coef_tables = [], []
    for cat in data.strategies:
        try:
            fit = fit_effects(data, cat, formula=formula, random_state=rep.random_state)
        except UserError as exc:
            body.append(f'<p class="warn">{_esc(cat)}: {_esc(exc)}</p>')
            continue
        effect_rows.append(fit.post_effects)
        coef_tables.append(fit.coefficients)
    if effect_rows:
        effects = pd.concat(effect_rows, ignore_index=True)
        coefs = pd.concat(coef_tables, ignore_index=True)
        rep.table(effects, "effects_post_by_level", "Change in expected share after WTO entry by level")
        rep.table(coefs, "effects_coefficients", "Regression coefficients (issuer-clustered SEs)")
        body.append("<h3>Post-2001 change by level</h3>" + html_table(effects, thin_col=None))
        body.append("<details><summary>Coefficients</summary>" + html_table(coefs, thin_col=None)
                    + "</details>")
    if n_draws:
        rows = []
        for cat in data.strategies:
            try:
                est = estimate_effect(rep.store, data.run_ids, cat, n_draws=n_draws,
                                      formula=formula, measure=data.measure,
                                      random_state=rep.random_state)
            except UserError as exc:
                body.append(f'<p class="warn">estimate_effect {_esc(cat)}: {_esc(exc)}</p>')
                continue
            rows.append(est.contrasts.assign(target=cat, method=est.method, n_draws=est.n_draws,
                                             n_runs=len(est.run_ids)))
            rep.table(est.coefficients, f"estimate_effect_{cat}",
                      f"{cat}: method-of-composition coefficients")
        if rows:
            comp = pd.concat(rows, ignore_index=True)
            rep.table(comp, "estimate_effect_contrasts", "Post − pre by level, method of composition")
            how = ("each draw samples every document's share from its approximate posterior "
                   "Beta(κ·s, κ·(1−s)), κ = α₀ + N_d" if data.measure == "topics"
                   else "each draw resamples documents")
            body.append("<h3>With topic-model uncertainty (method of composition)</h3>"
                        f"<p>OLS on {n_draws} composed draws ({how}; runs cycled), coefficients "
                        "sampled from their cluster-robust sampling distribution; mean, SD and "
                        "2.5–97.5 percentiles of the post effect per level.</p>"
                        + html_table(comp, thin_col=None))
    rep.add("effects", "3. Effect estimates", "".join(body))


def _agencies(rep: _Report) -> None:
    from .agencies import DEFAULT_LINEAGES, agency_counts, lineage_table
    from .figures import plot_agency_counts

    body = ['<p>Industrial-policy documents = documents tagged with at least one manufacturing '
            "sector (GB/T 4754-2017 divisions 13–43 in <code>document_sectors</code>). A document "
            "counts once for a lineage when any of its issuers belongs to it (joint documents count "
            "for each lineage). Predecessors are mapped to their successor when they were renamed, "
            "not split (SPC → SDPC → NDRC; MII → MIIT); split bodies such as the SETC are listed as "
            "breaks and not counted.</p>"]
    try:
        counts, lineages = agency_counts(rep.store, DEFAULT_LINEAGES)
    except UserError as exc:
        body.append(f'<p class="warn">{_esc(exc)}</p>')
        rep.add("agencies", "4. Industrial-policy agencies", "".join(body))
        return
    rep.table(counts, "agency_counts", "Industrial-policy documents per year by agency lineage")
    lt = lineage_table(lineages)
    rep.table(lt, "agency_lineages", "Agency lineages")
    if counts.empty or counts["n_docs"].sum() == 0:
        body.append('<p class="warn">No industrial-policy document of these agencies in the store '
                    "(no manufacturing sector tags, or no NDRC / MIIT / SASAC issuers).</p>")
    else:
        spec = {k: {"created": v.created, "first_year": v.first_year, "chain_label": v.chain_label}
                for k, v in lineages.items()}
        fig = plot_agency_counts(counts, spec, chinese=rep.chinese,
                                 note=f"Source: {rep.source_label}. Documents tagged with a "
                                      "manufacturing sector, by issuing agency lineage; lighter "
                                      "segments: issued under a predecessor's name. Dotted lines: "
                                      "creation of NDRC (2003), SASAC (2003), MIIT (2008).")
        body.append(rep.figure(fig, "fig3_agency_counts",
                               "Figure 3. Industrial-policy documents issued by NDRC, MIIT and SASAC "
                               "(predecessors mapped)."))
        wide = counts.pivot_table(index="year", columns="lineage", values="n_docs", fill_value=0)
        wide = wide.reset_index()
        wide.columns.name = None
        body.append("<details><summary>Counts per year</summary>" + html_table(wide, thin_col=None)
                    + "</details>")
    body.append("<h3>Lineages</h3>" + html_table(lt, thin_col=None))
    rep.add("agencies", "4. Industrial-policy agencies", "".join(body))


def _sectors(rep: _Report, data: StrategyData, sectors) -> None:
    from .figures import plot_mix
    from .sector_compare import SECTOR_TITLES, resolve_sectors, sector_frame

    spec = resolve_sectors(sectors, rep.store)
    frame = sector_frame(rep.store, data, spec)
    body = ["<p>Documents tagged with each sector's GB/T 4754 codes (finer codes included): "
            + _esc("; ".join(f"{k}: {', '.join(v)}" for k, v in spec.items()))
            + ". All levels pooled.</p>"]
    if frame.empty:
        body.append('<p class="warn">No document of these sectors has a strategy measure.</p>')
        rep.add("sectors", "5. Sector comparison", "".join(body))
        return
    traj = compute_trajectories(frame, by="sector", categories=data.categories,
                                groups=list(spec), n_boot=rep.n_boot, min_docs=rep.min_docs,
                                random_state=rep.random_state)
    rep.table(traj.table, "sector_trajectories", "Strategy mix by sector and year")
    counts = frame.drop_duplicates(["doc_id", "sector"]).groupby("sector", observed=False).size()
    body.append("<p>" + _esc("; ".join(f"{k}: {int(counts.get(k, 0)):,} documents" for k in spec))
                + ".</p>")
    fig = plot_mix(traj.table, list(spec), data.strategies, chinese=rep.chinese,
                   min_docs=rep.min_docs, group_titles={k: SECTOR_TITLES.get(k, k) if rep.chinese
                                                         else k for k in spec},
                   note=f"Source: {rep.source_label}. Mean document share per year; bands: 95% "
                        f"bootstrap intervals; open markers: fewer than {rep.min_docs} documents.")
    body.append(rep.figure(fig, "fig4_sector_comparison",
                           "Figure 4. Strategy mix over time: " + " vs ".join(spec) + "."))
    contrasts = pre_post(traj)
    rep.table(contrasts, "sector_pre_post", "Pre/post prevalence by sector")
    body.append(html_table(contrasts))
    rep.add("sectors", "5. Sector comparison", "".join(body))


def _ldavis_link(run: dict, out_dir: Path) -> str | None:
    summary = run.get("summary") or {}
    candidates = []
    if summary.get("ldavis_path"):
        candidates.append(Path(summary["ldavis_path"]))
    candidates += [out_dir / name for name in LDAVIS_NAMES]
    candidates += sorted(out_dir.glob("*ldavis*.html"))
    for path in candidates:
        if path.exists():
            return os.path.relpath(path.resolve(), out_dir.resolve())
    return None


def _topics(rep: _Report, data: StrategyData | None) -> list[dict]:
    runs_used: list[dict] = []
    if data is None or data.measure != "topics":
        rep.add("model", "6. Topic model", '<p class="note">No topic run in this store yet.</p>')
        return runs_used
    runs = topic_runs(rep.store).set_index("run_id")
    body = []
    for run_id in data.run_ids:
        meta = runs.loc[run_id].to_dict()
        meta["run_id"] = run_id
        runs_used.append(meta)
    first = runs_used[0]
    model = (first.get("summary") or {}).get("model") or {}
    facts = {k: model.get(k) for k in ("model", "library", "n_topics", "n_docs", "vocabulary_size",
                                        "per_word_bound", "deterministic") if model.get(k) is not None}
    if facts:
        body.append("<p>" + _esc("; ".join(f"{k}: {v}" for k, v in facts.items())) + "</p>")
    if len(data.run_ids) > 1:
        body.append(f"<p>{len(data.run_ids)} restarts pooled: {_esc(', '.join(data.run_ids))}.</p>")
    link = _ldavis_link(first, rep.out)
    if link:
        body.append(f'<p>Interactive topic map (pyLDAvis, produced by the topic stage): '
                    f'<a href="{_esc(link)}">{_esc(link)}</a></p>')
    else:
        body.append('<p class="meta">No pyLDAvis page found (the topic stage records its path as '
                    "<code>ldavis_path</code> in the run summary).</p>")
    if has_table(rep.store, "topics"):
        rows = list(rep.store.db.query(
            "select topic, label, category, score, prevalence, top_words, frex from topics "
            "where run_id = ? order by topic", [first["run_id"]]))
        if rows:
            tt = pd.DataFrame(rows)
            for col in ("top_words", "frex"):
                tt[col] = [", ".join(json.loads(v)[:10]) if v else "" for v in tt[col]]
            rep.table(tt, "topics", f"Topics of run {first['run_id']}")
            body.append(html_table(tt, thin_col=None))
    rep.add("model", "6. Topic model", "".join(body))
    return runs_used


def _manifests(rep: _Report, run_ids: Sequence[str]) -> None:
    body = []
    for run_id in run_ids:
        row = rep.store.db.execute("select run_id, stage, status, started_at, finished_at, params, "
                                   "manifest, summary from runs where run_id = ?", [run_id]).fetchone()
        if not row:
            continue
        parts = {"params": row[5], "manifest": row[6], "summary": row[7]}
        pretty = {}
        for k, v in parts.items():
            try:
                pretty[k] = json.dumps(json.loads(v), ensure_ascii=False, indent=2) if v else ""
            except ValueError:
                pretty[k] = v or ""
        body.append(f"<details><summary>{_esc(row[0])} — stage {_esc(row[1])}, {_esc(row[2])}, "
                    f"{_esc(row[3])}</summary>"
                    + "".join(f"<h4>{_esc(k)}</h4><pre>{_esc(v)}</pre>" for k, v in pretty.items() if v)
                    + "</details>")
    if not body:
        body.append('<p class="note">No analysis run recorded yet.</p>')
    rep.add("runs", "7. Runs and manifests", "".join(body))


def build_report(store, out_dir, run_id: str | None = None, *, measure: str = "auto",
                 pool_restarts: bool = True, n_boot: int = 300, n_draws: int = 50,
                 min_docs: int = DEFAULT_MIN_DOCS, smooth: str | None = None, window: int = 3,
                 frac: float = 0.3, sectors=None, formula: str = "~ level * post + year_c",
                 chinese: bool = True, random_state: int = 0, dpi: int = 200,
                 title: str = "zhengce report: state strategies around WTO entry") -> Path:
    """Build the report in ``out_dir`` and return the path of ``report.html``.

    ``run_id``: the topic run (default: the latest, pooled with its restarts when
    ``pool_restarts``); ``measure``: 'auto' | 'topics' | 'dictionary'. ``chinese``: Chinese labels
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
              "frac": frac, "sectors": sectors, "formula": formula, "chinese": chinese,
              "random_state": random_state, "dpi": dpi, "out_dir": str(out)}
    source_label = f"zhengce corpus ({Path(store.path).name}, {store.count('documents'):,} documents)"
    rep = _Report(store, out, chinese=chinese, min_docs=min_docs, n_boot=n_boot,
                  random_state=random_state, source_label=source_label, dpi=dpi)
    with store.run("report", params, packages=REPORT_PACKAGES) as run:
        _coverage(rep)
        data: StrategyData | None = None
        reason = ""
        try:
            run_ids = None
            if run_id is not None:
                run_ids = restarts_of(store, run_id) if (pool_restarts and measure != "dictionary"
                                                          and run_id in set(topic_runs(store)["run_id"])) \
                    else [run_id]
            data = load_strategy_data(store, run_ids, measure=measure, pool_restarts=pool_restarts)
        except UserError as exc:
            reason = str(exc)
        _agencies(rep)
        if data is not None and not data.frame.empty:
            if data.excluded:
                rep.warnings.append("Documents left out of the strategy analyses: " + ", ".join(
                    f"{k.replace('_', ' ')} {v:,}" for k, v in data.excluded.items()))
            _trajectories(rep, data, smooth, window, frac)
            _effects(rep, data, n_draws, formula)
            _sectors(rep, data, sectors)
        else:
            note = _no_measure_note(reason or "The strategy measure has no documents with a year "
                                               "and a level.")
            rep.add("trajectories", "2. Strategy trajectories by level",
                    "<p>The topic stage has not run on this database.</p>" + note)
            rep.add("effects", "3. Effect estimates", note)
            rep.add("sectors", "5. Sector comparison", note)
        runs_used = _topics(rep, data)
        used_ids = list(data.run_ids) if data is not None else []
        _manifests(rep, used_ids + [run.run_id])
        order = {"coverage": 0, "trajectories": 1, "effects": 2, "agencies": 3, "sectors": 4,
                 "model": 5, "runs": 6}
        rep.sections.sort(key=lambda s: order.get(s[0], 99))
        page = _page(rep, title, store, data, runs_used)
        path = out / "report.html"
        path.write_text(page, encoding="utf-8")
        from zhengce.common.outputs import write_manifest

        manifest = {"report": str(path), "params": params, "run_id": run.run_id,
                    "strategy_runs": used_ids, "measure": data.measure if data is not None else None,
                    "excluded": data.excluded if data is not None else {},
                    "warnings": rep.warnings, "files": rep.files,
                    "versions": _versions(REPORT_PACKAGES),
                    "n_documents": store.count("documents"),
                    "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        write_manifest(out, manifest)
        run.summary.update({"report": str(path), "strategy_runs": used_ids,
                            "warnings": rep.warnings, "n_figures": len(rep.files["figures"]),
                            "n_tables": len(rep.files["tables"])})
    return path


def _page(rep: _Report, title: str, store, data: StrategyData | None, runs_used: list[dict]) -> str:
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    measure = ("none (topic stage not run)" if data is None else
               {"topics": "topic-model strategy shares", "dictionary": "dictionary measure"}[data.measure])
    head = [f"<h1>{_esc(title)}</h1>",
            f'<p class="meta">Generated {created} from {_esc(store.path)}; strategy measure: '
            f"{_esc(measure)}"
            + (f"; runs: {_esc(', '.join(data.run_ids))}" if data is not None else "") + ".</p>"]
    head.append('<p class="toc">' + "".join(f'<a href="#{a}">{_esc(t)}</a>'
                                            for a, t, _ in rep.sections) + "</p>")
    if rep.warnings:
        head.append('<div class="warn"><strong>Read with care:</strong><ul>'
                    + "".join(f"<li>{_esc(w)}</li>" for w in rep.warnings) + "</ul></div>")
    head.append('<p class="note">Strategies after Tan (2021): <em>directive</em> = '
                "market-substituting (targets, administrative allocation, approval, consolidation); "
                "<em>developmental</em> = market-shaping (incentives toward strategic sectors); "
                "<em>regulatory</em> = market-enhancing (standards, rules, enforcement, competition). "
                f"Pre = years ≤ {WTO_YEAR}, post = years ≥ {WTO_YEAR + 1} (accession on 11 December "
                f"{WTO_YEAR}). The seed terms are not Tan's and need validation (zhengce code sample "
                "/ code score).</p>")
    body = [f'<section id="{a}"><h2>{_esc(t)}</h2>{h}</section>' for a, t, h in rep.sections]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
            + "".join(head) + "".join(body)
            + '<p class="meta">Made with zhengce. Figures: PNG embedded, SVG in figures/; tables: '
              "CSV, Markdown and LaTeX in tables/; parameters and versions in manifest.json.</p>"
              "</body></html>\n")
