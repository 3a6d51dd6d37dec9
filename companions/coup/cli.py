"""``zhengce coup``: coup-attempt risk with REIGN — the paper's protocol and an honest forecast."""

from __future__ import annotations

import click

from zhengce.corpus.cli_options import db_option

_COMMON = [
    db_option,
    click.option("--out", "out_dir", default=None, help="Output folder (default out/coup/<subcommand>)."),
    click.option("--random-state", type=int, default=0, show_default=True,
                 help="Seed of the split, the forests and the permutations."),
    click.option("--n-estimators", type=int, default=500, show_default=True,
                 help="Trees per forest (the paper used 10000: slow)."),
    click.option("--jobs", "n_jobs", type=int, default=2, show_default=True, help="CPU cores to use."),
]

_HONEST = [
    click.option("--min-samples-leaf", type=int, default=10, show_default=True,
                 help="Honest forest: minimum rows per leaf (smoother risks)."),
    click.option("--history/--no-history", "history_features", default=True, show_default=True,
                 help="Honest model: add coup-history features (attempt now, years since the "
                      "last attempt, attempts in the past 5 years)."),
    click.option("--permutation-repeats", type=int, default=5, show_default=True,
                 help="Shuffles per feature for permutation importances (0 skips them)."),
    click.option("--compare/--no-compare", default=True, show_default=True,
                 help="Also fit the paper's protocol on the same rows and report both."),
]


def _apply(options):
    def decorator(func):
        for option in reversed(options):
            func = option(func)
        return func
    return decorator


@click.group(name="coup", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Coup attempts from REIGN: Schultz (2019)'s variable-threshold random forest, and an
    honest out-of-time forecast beside it.

    \b
    Examples:
      zhengce coup paper --out out/coup_paper            # bundled SYNTHETIC REIGN sample
      zhengce coup paper --input REIGN_2019_3.csv --n-estimators 10000 --out out/coup_paper
      zhengce coup honest --out out/coup_honest          # honest vs paper, bundled sample
      zhengce coup real --out out/coup_real              # country-years from ../shared/data/coups
    """


@cli.command()
@click.option("--input", "input_path", type=click.Path(dir_okay=False), default=None,
              help="Monthly REIGN CSV (2019-2020 or 2021 schema, detected from the header). "
                   "Default: the bundled SYNTHETIC sample.")
@click.option("--test-size", type=float, default=0.3, show_default=True,
              help="Share of rows in the random test split (the paper: 0.3).")
@click.option("--n-thresholds", type=int, default=1000, show_default=True,
              help="Thresholds in the sweep, linspace(0, 1, n) (the paper: 1000).")
@_apply(_COMMON)
def paper(input_path, test_size, n_thresholds, db_path, out_dir, random_state, n_estimators,
          n_jobs):
    """The paper's protocol: RandomForestRegressor on same-month pt_attempt, random split, best
    precision / recall / F1 thresholds from a 1,000-step sweep, confusion matrices, impurity
    importances and the latest month's league table.

    \b
    Example:
      zhengce coup paper --input REIGN_2019_3.csv --out out/coup_paper
    """
    from .pipeline import run_paper

    if input_path is None:
        click.echo("no --input: using the bundled SYNTHETIC REIGN 2019-2020 sample")
    result = run_paper(input_path, out=out_dir, db=db_path, n_estimators=n_estimators,
                       test_size=test_size, n_thresholds=n_thresholds, random_state=random_state,
                       n_jobs=n_jobs, echo=click.echo)
    click.echo(result.line)


@cli.command()
@click.option("--input", "input_path", type=click.Path(dir_okay=False), default=None,
              help="Monthly REIGN CSV (either schema). Default: the bundled SYNTHETIC sample.")
@click.option("--validation-start", type=int, default=None,
              help="First year forecast in the validation window (default: the latest 20% of "
                   "years before the test window).")
@click.option("--test-start", type=int, default=None,
              help="First year forecast in the test window (default: the latest 20% of years).")
@_apply(_HONEST)
@_apply(_COMMON)
def honest(input_path, validation_start, test_start, min_samples_leaf, history_features,
           permutation_repeats, compare, db_path, out_dir, random_state, n_estimators, n_jobs):
    """The honest protocol on monthly REIGN: next month's attempt from this month's country-month
    features, a time split (train / validation for thresholds / test), class weights, PR-AUC,
    ROC-AUC, Brier, calibration and permutation importances — beside the paper's protocol.

    \b
    Example:
      zhengce coup honest --input REIGN_2021_8.csv --test-start 2019 --out out/coup_honest
    """
    from .pipeline import run_honest

    if input_path is None:
        click.echo("no --input: using the bundled SYNTHETIC REIGN 2019-2020 sample")
    result = run_honest(input_path, out=out_dir, db=db_path, n_estimators=n_estimators,
                        min_samples_leaf=min_samples_leaf, validation_start=validation_start,
                        test_start=test_start, history_features=history_features,
                        permutation_repeats=permutation_repeats, compare=compare,
                        random_state=random_state, n_jobs=n_jobs, echo=click.echo)
    click.echo(result.line)


@cli.command()
@click.option("--reign", type=click.Path(dir_okay=False), default=None,
              help="REIGN country-year CSV (gwcode, year, ...). Default: "
                   "../shared/data/coups/reign_country_year.csv when present.")
@click.option("--ptcoups", type=click.Path(dir_okay=False), default=None,
              help="Powell & Thyne coups: the country-year file (gwcode, year, pt_attempt) or the "
                   "event list (ccode, year, month, day, coup). Default: "
                   "../shared/data/coups/ptcoups_country_year.csv when present.")
@click.option("--validation-start", type=int, default=2000, show_default=True,
              help="First year forecast in the validation window.")
@click.option("--test-start", type=int, default=2010, show_default=True,
              help="First year forecast in the test window.")
@_apply(_HONEST)
@_apply(_COMMON)
def real(reign, ptcoups, validation_start, test_start, min_samples_leaf, history_features,
         permutation_repeats, compare, db_path, out_dir, random_state, n_estimators, n_jobs):
    """Both protocols on real country-years: REIGN features joined to Powell & Thyne attempts,
    the honest model forecasting each year from the one before and tested on 2010-2019.

    \b
    Example:
      zhengce coup real --reign reign_country_year.csv --ptcoups ptcoups_raw.csv --out out/coup_real
    """
    from .pipeline import run_real

    result = run_real(reign, ptcoups, out=out_dir, db=db_path, n_estimators=n_estimators,
                      min_samples_leaf=min_samples_leaf, validation_start=validation_start,
                      test_start=test_start, history_features=history_features,
                      permutation_repeats=permutation_repeats, compare=compare,
                      random_state=random_state, n_jobs=n_jobs, echo=click.echo)
    click.echo(result.line)
