"""Analysis commands of the ``zhengce`` CLI (registered lazily by :mod:`corpus.cli`):
``report``, ``trajectories``, ``effects``, ``estimate-effect``, ``code sample`` / ``code score``,
``browse``. Each parses options and calls one library function of :mod:`analysis`."""

from __future__ import annotations

from pathlib import Path

import click

from zhengce.corpus.cli_options import db_option, open_store
from zhengce.common.errors import UserError

run_option = click.option("--run", "run_ids", multiple=True, metavar="RUN_ID",
                          help="Topic run(s) to use (repeatable; default: the latest run pooled "
                               "with its restarts).")
measure_option = click.option("--measure", type=click.Choice(["auto", "topics", "dictionary"]),
                              default="auto", show_default=True,
                              help="Strategy measure: topic shares or the dictionary measure.")
seed_option = click.option("--random-state", type=int, default=0, show_default=True,
                           help="Seed of every random draw (bootstrap, simulation).")


def _sectors(value: str | None):
    if not value:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes:
        raise UserError("--sectors needs comma-separated GB/T 4754 codes or set names, e.g. "
                        "36,3973 or automotive,semiconductors")
    return codes


@click.command()
@db_option
@click.option("--out", "out_dir", default="out/report", show_default=True, type=click.Path(path_type=Path),
              help="Folder for report.html, figures/, tables/ and manifest.json.")
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Topic run (default: the latest, pooled with its restarts).")
@measure_option
@click.option("--n-boot", type=int, default=300, show_default=True, help="Bootstrap resamples per cell.")
@click.option("--n-draws", type=int, default=50, show_default=True,
              help="Method-of-composition draws (0: skip).")
@click.option("--min-docs", type=int, default=10, show_default=True,
              help="Cells with fewer documents are flagged thin.")
@click.option("--smooth", type=click.Choice(["none", "rolling", "lowess"]), default="none",
              show_default=True, help="Smoothing of the yearly curves.")
@click.option("--window", type=int, default=3, show_default=True, help="Rolling window (odd, years).")
@click.option("--sectors", default=None, metavar="CODE,CODE",
              help="Sectors to compare: GB/T 4754 codes or set names (default: automotive,semiconductors).")
@click.option("--english", is_flag=True, help="English-only figure labels (no CJK font needed).")
@seed_option
def report(db_path, out_dir, run_id, measure, n_boot, n_draws, min_docs, smooth, window, sectors,
           english, random_state):
    """Build the self-contained HTML report (figures, tables, model, manifests).

    \b
    Example:
      zhengce report --db data/demo.db --out out/report
    """
    from .report import build_report

    with open_store(db_path) as store:
        path = build_report(store, out_dir, run_id, measure=measure, n_boot=n_boot,
                            n_draws=n_draws, min_docs=min_docs,
                            smooth=None if smooth == "none" else smooth, window=window,
                            sectors=_sectors(sectors), chinese=not english,
                            random_state=random_state)
    click.echo(f"Report: {path.resolve()}")


@click.command()
@db_option
@click.option("--out", "out_dir", default="out/trajectories", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables and figures.")
@run_option
@measure_option
@click.option("--n-boot", type=int, default=500, show_default=True, help="Bootstrap resamples per cell.")
@click.option("--min-docs", type=int, default=10, show_default=True, help="Thin-cell threshold.")
@click.option("--smooth", type=click.Choice(["none", "rolling", "lowess"]), default="none",
              show_default=True, help="Smoothing of the yearly curves.")
@click.option("--window", type=int, default=3, show_default=True, help="Rolling window (odd, years).")
@click.option("--frac", type=float, default=0.3, show_default=True, help="LOWESS span.")
@click.option("--english", is_flag=True, help="English-only figure labels (no CJK font needed).")
@seed_option
def trajectories(db_path, out_dir, run_ids, measure, n_boot, min_docs, smooth, window, frac,
                 english, random_state):
    """Yearly strategy prevalence by level with bootstrap intervals, and pre/post contrasts.

    \b
    Example:
      zhengce trajectories --db data/demo.db --out out/trajectories --smooth rolling
    """
    from .data import load_strategy_data
    from .figures import plot_prevalence
    from zhengce.common.outputs import save_figure, write_table
    from .trajectories import compute_trajectories, pre_post

    with open_store(db_path) as store:
        data = load_strategy_data(store, list(run_ids) or None, measure=measure)
    traj = compute_trajectories(data, n_boot=n_boot, min_docs=min_docs, random_state=random_state)
    table = traj.table if smooth == "none" else traj.smoothed(smooth, window=window, frac=frac)
    write_table(table, out_dir, "trajectories", caption="Strategy prevalence by level and year")
    contrasts = pre_post(traj)
    write_table(contrasts, out_dir, "pre_post", caption="Post − pre prevalence by level")
    for cat in data.strategies:
        fig = plot_prevalence(table, [cat], chinese=not english, min_docs=min_docs,
                              note=f"Runs: {', '.join(data.run_ids)}; 95% bootstrap intervals "
                                   f"({n_boot} resamples); open markers: n < {min_docs}.")
        save_figure(fig, out_dir, f"prevalence_{cat}")
    n_thin = int(sum(n < min_docs for n in traj.counts.values()))
    click.echo(f"{data.n_documents:,} documents, {len(traj.counts)} level × year cells "
               f"({n_thin} thin); tables and figures in {out_dir}")
    for r in contrasts.itertuples():
        click.echo(f"  {r.level:<10} {r.category:<14} post − pre = {r.diff:+.3f} "
                   f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")


@click.command()
@db_option
@click.option("--out", "out_dir", default="out/effects", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables.")
@run_option
@measure_option
@click.option("--category", "categories", multiple=True, metavar="NAME",
              help="Strategy to model (repeatable; default: every strategy).")
@click.option("--formula", default="~ level * post + year_c", show_default=True,
              help="Right-hand side (patsy) over level, post, year, year_c, province, issuer.")
@click.option("--cluster", default="issuer", show_default=True,
              help="Cluster column for the SEs ('none' for HC1).")
@seed_option
def effects(db_path, out_dir, run_ids, measure, categories, formula, cluster, random_state):
    """Fractional-logit and OLS regressions of strategy shares on level × post-2001.

    \b
    Example:
      zhengce effects --db data/demo.db --category regulatory --out out/effects
    """
    from .data import load_strategy_data
    from .effects import fit_effects

    with open_store(db_path) as store:
        data = load_strategy_data(store, list(run_ids) or None, measure=measure)
    for cat in categories or data.strategies:
        fit = fit_effects(data, cat, formula=formula, cluster=None if cluster == "none" else cluster,
                          random_state=random_state)
        fit.write(out_dir)
        for r in fit.post_effects.itertuples():
            click.echo(f"{r.model:<9} {cat:<14} {r.level:<10} post effect {r.effect:+.3f} "
                       f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")
    click.echo(f"Tables in {out_dir}")


@click.command(name="estimate-effect")
@db_option
@click.option("--out", "out_dir", default="out/effects", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables.")
@run_option
@click.option("--target", default="regulatory", show_default=True,
              help="A strategy (directive, developmental, regulatory, other) or a topic id.")
@click.option("--formula", default="~ level * post + year", show_default=True,
              help="Right-hand side (patsy) over level, post, year, year_c, province, issuer.")
@click.option("--n-draws", type=int, default=100, show_default=True, help="Composition draws.")
@click.option("--method", type=click.Choice(["auto", "dirichlet", "bootstrap"]), default="auto",
              show_default=True, help="How a draw varies the shares.")
@measure_option
@seed_option
def estimate_effect(db_path, out_dir, run_ids, target, formula, n_draws, method, measure, random_state):
    """STM-style effect estimates carrying topic-model uncertainty (method of composition).

    \b
    Example:
      zhengce estimate-effect --db data/demo.db --target regulatory --n-draws 200
    """
    from .effects import estimate_effect as run_estimate

    with open_store(db_path) as store:
        est = run_estimate(store, list(run_ids) or None, int(target) if target.isdigit() else target,
                           formula=formula, n_draws=n_draws, method=method, measure=measure,
                           random_state=random_state)
    est.write(out_dir)
    click.echo(f"{est.target}: {est.n_draws} draws ({est.method}), {len(est.run_ids)} run(s), "
               f"{est.n_docs:,} documents")
    for r in est.contrasts.itertuples():
        click.echo(f"  {r.level:<10} post − pre {r.mean:+.3f} (sd {r.sd:.3f}) "
                   f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")
    click.echo(f"Tables in {out_dir}")


@click.group()
def code():
    """Hand-coding validation: draw a coding sheet, then score filled sheets.

    \b
    Example:
      zhengce code sample --db data/demo.db -n 300 --out coding/sample.xlsx
      zhengce code score coding/alice.xlsx coding/bob.xlsx --db data/demo.db
    """


@code.command(name="sample")
@db_option
@click.option("-n", "n", type=int, default=300, show_default=True, help="Documents in the sample.")
@click.option("--out", default="out/coding/coding_sample.xlsx", show_default=True,
              type=click.Path(path_type=Path), help="Sheet file (.xlsx and .csv are both written).")
@click.option("--strata", default="level,period", show_default=True,
              help="Columns to stratify on (comma-separated).")
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Sample documents of this topic run (default: the latest).")
@seed_option
def code_sample_cmd(db_path, n, out, strata, run_id, random_state):
    """Write a stratified, blind hand-coding sheet (CSV and XLSX).

    \b
    Example:
      zhengce code sample --db data/demo.db -n 300 --out coding/sample.xlsx
    """
    from .coding import code_sample

    with open_store(db_path) as store:
        result = code_sample(store, n, out, strata=[s.strip() for s in strata.split(",") if s.strip()],
                             run_id=run_id, random_state=random_state)
    click.echo(f"{result['n']} documents: {result['xlsx']} and {result['csv']}")
    for r in result["allocation"].itertuples():
        click.echo(f"  {r.stratum:<24} {r.sampled:>4} of {r.available}")


@code.command(name="score")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Topic run whose labels are scored (default: the latest).")
@click.option("--out", default="out/coding", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the score tables.")
def code_score_cmd(sheets, db_path, run_id, out):
    """Score filled coding sheets: kappa, Krippendorff's alpha, accuracy, macro-F1.

    \b
    Example:
      zhengce code score coding/alice.xlsx coding/bob.xlsx --db data/demo.db
    """
    from .coding import code_score

    with open_store(db_path) as store:
        score = code_score(list(sheets), store, run_id)
    score.write(out)
    for r in score.pairs.itertuples():
        click.echo(f"kappa {r.coder_a} × {r.coder_b}: {r.kappa:.3f} on {r.n_units} documents")
    if score.alpha is not None:
        click.echo(f"Krippendorff's alpha (nominal): {score.alpha:.3f}")
    m = score.metrics
    click.echo(f"hand vs automatic ({m['run_id']}): accuracy {m['accuracy']:.3f}, macro-F1 "
               f"{m['macro_f1']:.3f} on {m['n_docs']} documents ({m['n_ties']} ties left out)")
    click.echo(f"Tables in {out}")


@click.command()
@db_option
@click.option("--out", default="out/browse", show_default=True, type=click.Path(path_type=Path),
              help="Folder for metadata.json.")
@click.option("--port", type=int, default=None, help="Port (default: a free one).")
@click.option("--open/--no-open", "open_browser", default=True, help="Open a web browser.")
def browse(db_path, out, port, open_browser):
    """Open the corpus in Datasette (facets, full-text search, strategy shares per document).

    \b
    Example:
      zhengce browse --db data/demo.db
    """
    from zhengce.corpus.store import resolve_db_path

    from .browse import prepare_browse, start_datasette

    with open_store(db_path) as store:
        meta = prepare_browse(store, out)
    server = start_datasette(resolve_db_path(db_path), meta, port=port)
    click.echo(f"Datasette: {server.url}/{server.db_name}  (Ctrl-C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(f"{server.url}/{server.db_name}")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

