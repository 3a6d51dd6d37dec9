"""Analysis commands of the ``zhengce`` CLI (registered lazily by :mod:`zhengce.cli`):
``report``, ``trajectories``, ``effects``, ``estimate-effect``, ``code sample`` / ``code score``,
``browse``. Each parses options and calls one library function of :mod:`zhengce.analysis`.

Every command that writes results records a run and writes ``manifest.json`` beside its files
(:mod:`zhengce.analysis.provenance`) and prints which strategy run it used. ``--out`` is always a
folder; shared defaults (bootstrap resamples, composition draws, formula) come from
:mod:`zhengce.analysis.defaults`.
"""

from __future__ import annotations

from pathlib import Path

import click

from zhengce.corpus.cli_options import db_option, open_store
from zhengce.common.errors import UserError

from .defaults import DEFAULT_FORMULA, DEFAULT_MIN_DOCS, DEFAULT_N_BOOT, DEFAULT_N_DRAWS

run_option = click.option("--run", "run_ids", multiple=True, metavar="RUN_ID",
                          help="Topic run(s) to use (repeatable; default: the latest run pooled "
                               "with its restarts, named in the output; list: zhengce topics list).")
measure_option = click.option("--measure", type=click.Choice(["auto", "topics", "dictionary"]),
                              default="auto", show_default=True,
                              help="Strategy measure: topic shares or the dictionary measure.")
seed_option = click.option("--random-state", type=int, default=0, show_default=True,
                           help="Seed of every random draw (bootstrap, simulation).")
years_option = click.option("--years", default=None, metavar="FROM-TO",
                            help="Only documents of these years, e.g. 1995-2010 (figures default "
                                 "to the years where some level has --min-docs documents).")
level_option = click.option("--level", "levels", multiple=True,
                            type=click.Choice(["central", "provincial", "local"]),
                            help="Only these levels (repeatable; default: all three).")
n_boot_option = click.option("--n-boot", type=int, default=DEFAULT_N_BOOT, show_default=True,
                             help="Bootstrap resamples per cell.")
n_draws_option = click.option("--n-draws", type=int, default=DEFAULT_N_DRAWS, show_default=True,
                              help="Method-of-composition draws.")
formula_option = click.option("--formula", default=DEFAULT_FORMULA, show_default=True,
                              help="Right-hand side (patsy) over level, post, year, year_c, "
                                   "province, issuer.")
min_docs_option = click.option("--min-docs", type=int, default=DEFAULT_MIN_DOCS, show_default=True,
                               help="Cells with fewer documents are flagged thin.")


def _strategy_data(store, run_ids, measure, years, levels):
    """The strategy measure of the chosen runs (default: the latest, pooled with its restarts),
    restricted to --years / --level, and the line saying which run it is."""
    from .data import load_strategy_data, parse_years, restrict
    from .provenance import describe_runs

    data = load_strategy_data(store, list(run_ids) or None, measure=measure)
    data = restrict(data, years=parse_years(years), levels=list(levels) or None)
    return data, describe_runs(data, asked=bool(run_ids))


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
              help="Folder for report.html, figures/, tables/, ldavis.html and manifest.json.")
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Topic run (default: the latest, pooled with its restarts; named in the output).")
@measure_option
@n_boot_option
@click.option("--n-draws", type=int, default=DEFAULT_N_DRAWS, show_default=True,
              help="Method-of-composition draws (0: skip).")
@formula_option
@min_docs_option
@years_option
@level_option
@click.option("--smooth", type=click.Choice(["none", "rolling", "lowess"]), default="none",
              show_default=True, help="Smoothing of the yearly curves.")
@click.option("--window", type=int, default=3, show_default=True, help="Rolling window (odd, years).")
@click.option("--sectors", default=None, metavar="CODE,CODE",
              help="Sectors to compare: GB/T 4754 codes or set names (default: automotive,semiconductors).")
@click.option("--english", is_flag=True, help="English-only figure labels (no CJK font needed).")
@seed_option
def report(db_path, out_dir, run_id, measure, n_boot, n_draws, formula, min_docs, years, levels,
           smooth, window, sectors, english, random_state):
    """Build the self-contained HTML report folder (figures, tables, LDAvis, manifests).

    \b
    Example:
      zhengce report --db data/demo.db --out out/report --years 1995-2015
    """
    import json

    from .data import parse_years
    from .report import build_report

    with open_store(db_path) as store:
        path = build_report(store, out_dir, run_id, measure=measure, n_boot=n_boot,
                            n_draws=n_draws, formula=formula, min_docs=min_docs,
                            years=parse_years(years), levels=list(levels) or None,
                            smooth=None if smooth == "none" else smooth, window=window,
                            sectors=_sectors(sectors), chinese=not english,
                            random_state=random_state)
    manifest = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))
    used = manifest.get("strategy_runs") or []
    click.echo(f"using {manifest.get('measure') or 'no'} measure of run(s) "
               f"{', '.join(used) or 'none'}" + ("" if run_id else " (the latest; choose with --run)"))
    click.echo(f"Report: {path.resolve()}")
    headline = manifest.get("headline") or {}
    if headline.get("lines"):
        click.echo("The numbers to look at first (README: Reading the report):")
    for line in headline.get("lines", []):
        click.echo(f"  {line}")


@click.command()
@db_option
@click.option("--out", "out_dir", default="out/trajectories", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables, figures and manifest.")
@run_option
@measure_option
@n_boot_option
@min_docs_option
@years_option
@level_option
@click.option("--smooth", type=click.Choice(["none", "rolling", "lowess"]), default="none",
              show_default=True, help="Smoothing of the yearly curves.")
@click.option("--window", type=int, default=3, show_default=True, help="Rolling window (odd, years).")
@click.option("--frac", type=float, default=0.3, show_default=True, help="LOWESS span.")
@click.option("--english", is_flag=True, help="English-only figure labels (no CJK font needed).")
@seed_option
def trajectories(db_path, out_dir, run_ids, measure, n_boot, min_docs, years, levels, smooth,
                 window, frac, english, random_state):
    """Yearly strategy prevalence by level with bootstrap intervals, and pre/post contrasts.

    \b
    Example:
      zhengce trajectories --db data/demo.db --out out/trajectories --smooth rolling --years 1995-2015
    """
    from zhengce.common.outputs import save_figure, write_table

    from .data import dense_years
    from .figures import plot_prevalence
    from .provenance import result_run
    from .trajectories import compute_trajectories, pre_post

    params = {"n_boot": n_boot, "min_docs": min_docs, "years": years, "levels": list(levels),
              "smooth": smooth, "window": window, "frac": frac, "random_state": random_state,
              "out_dir": str(out_dir)}
    with open_store(db_path) as store:
        data, runs_line = _strategy_data(store, run_ids, measure, years, levels)
        click.echo(runs_line)
        with result_run(store, "trajectories", params, data=data, out_dir=out_dir) as run:
            traj = compute_trajectories(data, n_boot=n_boot, min_docs=min_docs,
                                        random_state=random_state)
            table = traj.table if smooth == "none" else traj.smoothed(smooth, window=window, frac=frac)
            write_table(table.assign(runs=", ".join(data.run_ids)), out_dir, "trajectories",
                        caption=f"Strategy prevalence by level and year; run(s) {', '.join(data.run_ids)}")
            contrasts = pre_post(traj)
            write_table(contrasts.assign(runs=", ".join(data.run_ids)), out_dir, "pre_post",
                        caption=f"Post − pre prevalence by level; run(s) {', '.join(data.run_ids)}")
            shown = None if years else dense_years(data, min_docs)
            for cat in data.strategies:
                fig = plot_prevalence(table, [cat], chinese=not english, min_docs=min_docs, years=shown,
                                      note=f"Runs: {', '.join(data.run_ids)}; 95% bootstrap intervals "
                                           f"({n_boot} resamples); open markers: n < {min_docs}.")
                save_figure(fig, out_dir, f"prevalence_{cat}")
            n_thin = int(sum(n < min_docs for n in traj.counts.values()))
            run.summary.update(n_documents=data.n_documents, cells=len(traj.counts), thin=n_thin)
    click.echo(f"{data.n_documents:,} documents, {len(traj.counts)} level × year cells "
               f"({n_thin} thin); tables, figures and manifest in {out_dir} (run {run.run_id})")
    for r in contrasts.itertuples():
        click.echo(f"  {r.level:<10} {r.category:<14} post − pre = {r.diff:+.3f} "
                   f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")


@click.command()
@db_option
@click.option("--out", "out_dir", default="out/effects", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables and manifest.")
@run_option
@measure_option
@click.option("--category", "categories", multiple=True, metavar="NAME",
              help="Strategy to model (repeatable; default: every strategy).")
@formula_option
@years_option
@level_option
@click.option("--cluster", default="issuer", show_default=True,
              help="Cluster column for the SEs ('none' for HC1).")
@seed_option
def effects(db_path, out_dir, run_ids, measure, categories, formula, years, levels, cluster,
            random_state):
    """Fractional-logit and OLS regressions of strategy shares on level × post-2001.

    \b
    Example:
      zhengce effects --db data/demo.db --category regulatory --out out/effects
    """
    from .effects import fit_effects
    from .provenance import result_run

    params = {"categories": list(categories), "formula": formula, "years": years,
              "levels": list(levels), "cluster": cluster, "random_state": random_state,
              "out_dir": str(out_dir)}
    with open_store(db_path) as store:
        data, runs_line = _strategy_data(store, run_ids, measure, years, levels)
        click.echo(runs_line)
        with result_run(store, "effects", params, data=data, out_dir=out_dir) as run:
            for cat in categories or data.strategies:
                fit = fit_effects(data, cat, formula=formula,
                                  cluster=None if cluster == "none" else cluster,
                                  random_state=random_state)
                fit.write(out_dir)
                for r in fit.post_effects.itertuples():
                    click.echo(f"{r.model:<9} {cat:<14} {r.level:<10} post effect {r.effect:+.3f} "
                               f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")
            run.summary.update(n_documents=data.n_documents)
    click.echo(f"Tables and manifest in {out_dir} (run {run.run_id})")


@click.command(name="estimate-effect")
@db_option
@click.option("--out", "out_dir", default="out/effects", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the tables and manifest.")
@run_option
@click.option("--target", default="regulatory", show_default=True,
              help="A strategy (directive, developmental, regulatory, other) or a topic id.")
@formula_option
@n_draws_option
@years_option
@level_option
@click.option("--method", type=click.Choice(["auto", "dirichlet", "bootstrap"]), default="auto",
              show_default=True, help="How a draw varies the shares.")
@measure_option
@seed_option
def estimate_effect(db_path, out_dir, run_ids, target, formula, n_draws, years, levels, method,
                    measure, random_state):
    """STM-style effect estimates carrying topic-model uncertainty (method of composition).

    \b
    Example:
      zhengce estimate-effect --db data/demo.db --target regulatory --n-draws 200
    """
    from .data import parse_years
    from .effects import estimate_effect as run_estimate
    from .provenance import result_run

    params = {"target": target, "formula": formula, "n_draws": n_draws, "years": years,
              "levels": list(levels), "method": method, "random_state": random_state,
              "out_dir": str(out_dir)}
    with open_store(db_path) as store:
        data, runs_line = _strategy_data(store, run_ids, measure, years, levels)
        click.echo(runs_line)
        with result_run(store, "estimate_effect", params, data=data, out_dir=out_dir) as run:
            est = run_estimate(store, data.run_ids, int(target) if target.isdigit() else target,
                               formula=formula, n_draws=n_draws, method=method, measure=data.measure,
                               random_state=random_state, years=parse_years(years),
                               levels=list(levels) or None)
            est.write(out_dir)
            run.summary.update(n_documents=est.n_docs, method=est.method)
    click.echo(f"{est.target}: {est.n_draws} draws ({est.method}), {len(est.run_ids)} run(s), "
               f"{est.n_docs:,} documents")
    for r in est.contrasts.itertuples():
        click.echo(f"  {r.level:<10} post − pre {r.mean:+.3f} (sd {r.sd:.3f}) "
                   f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]")
    click.echo(f"Tables and manifest in {out_dir} (run {run.run_id})")


@click.group()
def code():
    """Hand-coding validation: draw a coding sheet, then score filled sheets.

    \b
    Example:
      zhengce code sample --db data/demo.db -n 300 --out coding
      zhengce code score coding/alice.xlsx coding/bob.xlsx --db data/demo.db
    """


def _topic_run_line(store, run_id: str | None) -> tuple[str | None, str]:
    """The topic run a coding command uses and the line that says so."""
    from .data import latest_topic_run

    if run_id:
        return run_id, f"using topic run {run_id} (as asked)"
    latest = latest_topic_run(store)
    if latest is None:
        return None, "no topic run yet: sampling every document with a year and a level"
    return latest, f"using topic run {latest} (the latest; choose another with --run RUN_ID)"


@code.command(name="sample")
@db_option
@click.option("-n", "--n", "n", type=int, default=300, show_default=True, help="Documents in the sample.")
@click.option("--out", default="out/coding", show_default=True, type=click.Path(path_type=Path),
              help="Folder for coding_sample.xlsx and coding_sample.csv.")
@click.option("-o", "--output", "output", default=None, type=click.Path(path_type=Path),
              help="Sheet file instead (.xlsx or .csv; both are written beside each other).")
@click.option("--strata", default="level,period", show_default=True,
              help="Columns to stratify on (comma-separated).")
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Sample documents of this topic run (default: the latest, named in the output).")
@seed_option
def code_sample_cmd(db_path, n, out, output, strata, run_id, random_state):
    """Write a stratified, blind hand-coding sheet (CSV and XLSX).

    \b
    Example:
      zhengce code sample --db data/demo.db -n 300 --out coding
    """
    from .coding import code_sample

    with open_store(db_path) as store:
        run_id, line = _topic_run_line(store, run_id)
        click.echo(line)
        result = code_sample(store, n, output or out,
                             strata=[s.strip() for s in strata.split(",") if s.strip()],
                             run_id=run_id, random_state=random_state)
    click.echo(f"{result['n']} documents: {result['xlsx']} and {result['csv']}")
    for r in result["allocation"].itertuples():
        click.echo(f"  {r.stratum:<24} {r.sampled:>4} of {r.available}")


@code.command(name="score")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Topic run whose labels are scored (default: the latest, named in the output).")
@click.option("--out", default="out/coding", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the score tables and manifest.")
def code_score_cmd(sheets, db_path, run_id, out):
    """Score filled coding sheets: kappa, Krippendorff's alpha, accuracy, macro-F1.

    \b
    Example:
      zhengce code score coding/alice.xlsx coding/bob.xlsx --db data/demo.db
    """
    from .coding import code_score
    from .provenance import result_run

    with open_store(db_path) as store:
        run_id, line = _topic_run_line(store, run_id)
        click.echo(line)
        params = {"sheets": [str(p) for p in sheets], "out_dir": str(out)}
        with result_run(store, "code_score", params, run_ids=[run_id] if run_id else [],
                        out_dir=out) as run:
            score = code_score(list(sheets), store, run_id)
            score.write(out)
            run.summary.update({k: v for k, v in score.metrics.items()
                                if isinstance(v, (int, float, str))})
    for r in score.pairs.itertuples():
        click.echo(f"kappa {r.coder_a} × {r.coder_b}: {r.kappa:.3f} on {r.n_units} documents")
    if score.alpha is not None:
        click.echo(f"Krippendorff's alpha (nominal): {score.alpha:.3f}")
    m = score.metrics
    click.echo(f"hand vs automatic ({m['run_id']}): accuracy {m['accuracy']:.3f}, macro-F1 "
               f"{m['macro_f1']:.3f} on {m['n_docs']} documents ({m['n_ties']} ties left out)")
    click.echo(f"Tables and manifest in {out} (run {run.run_id})")


@click.command()
@db_option
@click.option("--out", default="out/browse", show_default=True, type=click.Path(path_type=Path),
              help="Folder for metadata.json.")
@click.option("--port", type=int, default=None, help="Port (default: a free one).")
@click.option("--open/--no-open", "open_browser", default=True, help="Open a web browser.")
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Topic run whose shares the views show (default: the latest, named in the output).")
def browse(db_path, out, port, open_browser, run_id):
    """Open the corpus in Datasette (facets, full-text search, strategy shares per document).

    \b
    Example:
      zhengce browse --db data/demo.db
    """
    from zhengce.corpus.store import resolve_db_path

    from .browse import prepare_browse, start_datasette

    import signal

    from .data import latest_topic_run

    with open_store(db_path) as store:
        meta = prepare_browse(store, out, run_id)
        shown = run_id or latest_topic_run(store)
    click.echo(f"showing topic run {shown} " + ("(as asked)" if run_id else
                                               "(the latest; choose another with --run RUN_ID)")
               if shown else "no topic run yet: documents only")

    def stop_on_signal(signum, frame):
        # `kill PID` of this command: leave through the finally below, which stops Datasette
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
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

