"""``zhengce bank-entry``: Choi & Kim (2020) pooled OLS on a country-year panel."""

from __future__ import annotations

from pathlib import Path

import click

from zhengce.companions.common import default_out_dir
from zhengce.common.errors import UserError
from zhengce.corpus.cli_options import db_option

from .model import COV_TYPES, FDI_SCALES

NAME = "bank_entry"


@click.command(name="bank-entry", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--input", "input_path", type=click.Path(dir_okay=False), default=None,
              help="Country-year panel (CSV/TSV/XLSX/Parquet) with country, year, subsidiaries, "
                   "branches, fdi, univ, bi, tax. Default: the bundled SYNTHETIC sample.")
@db_option
@click.option("--out", "out_dir", default=None, help="Output folder (default out/bank_entry).")
@click.option("--fdi-scale", type=click.Choice(FDI_SCALES), default="thousands", show_default=True,
              help="FDI as given in USD thousands (the paper), in millions, or logged.")
@click.option("--cov-type", "cov_types", type=click.Choice(COV_TYPES), multiple=True,
              help="Standard errors to report (repeatable). Default: all four.")
@click.option("--min-clusters", type=int, default=50, show_default=True,
              help="Add a note when there are fewer clusters (countries) than this.")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="1 - confidence level of the intervals.")
@click.option("--univ-average", is_flag=True,
              help="Accept a non-integer UNIV in [1, 4] (the paper's average of four answers).")
@click.option("--simulate", is_flag=True,
              help="Instead of reading a file, draw a fresh SYNTHETIC panel (see sample.py) "
                   "with --random-state and analyse it.")
@click.option("--random-state", type=int, default=None,
              help="Seed for --simulate (default: the bundled sample's seed). The estimator "
                   "itself is deterministic.")
def cli(input_path, db_path, out_dir, fdi_scale, cov_types, min_clusters, alpha, univ_average,
        simulate, random_state):
    """Pooled OLS of the subsidiary share PROS on FDI, UNIV, BI and TAX (Choi & Kim 2020).

    Loads the panel into the corpus database (bank_entry_panel, raw rows kept, bad rows in
    rejects), fits nonrobust / HC1 / HC3 / country-clustered standard errors and writes Table 1
    (correlations), Table 2 (OLS), VIF, a coefficient plot, manifest.json and report.md.

    \b
    Examples:
      zhengce bank-entry --out out/bank_entry           # bundled SYNTHETIC sample
      zhengce bank-entry --input my_panel.csv --out out/bank_entry --fdi-scale millions
      zhengce bank-entry --simulate --random-state 7 --out out/bank_entry_sim
    """
    from zhengce.corpus.store import Store, resolve_db_path

    from .loader import load_panel, sample_path
    from .model import BankEntryOLS
    from .report import store_results, write_report
    from .sample import SAMPLE_RANDOM_STATE, write_sample

    if simulate and input_path:
        raise UserError("--simulate draws its own panel: drop --input, or drop --simulate")
    if random_state is not None and not simulate:
        raise UserError("--random-state only seeds --simulate (the OLS fit is deterministic): "
                        "add --simulate or drop --random-state")
    out = default_out_dir(NAME, out_dir)
    synthetic = input_path is None
    if simulate:
        seed = SAMPLE_RANDOM_STATE if random_state is None else random_state
        path = write_sample(out / f"simulated_panel_SYNTHETIC_rs{seed}.csv", seed)
        click.echo(f"drew a SYNTHETIC panel with random_state={seed}: {path}")
    elif input_path:
        path = Path(input_path)
    else:
        path = sample_path()
        click.echo(f"no --input: using the bundled SYNTHETIC sample {path}")

    model = BankEntryOLS(cov_types=tuple(cov_types) or COV_TYPES, fdi_scale=fdi_scale,
                         alpha=alpha, min_clusters=min_clusters, univ_average=univ_average)
    params = {"input": str(path), "synthetic": synthetic, "fdi_scale": fdi_scale,
              "cov_types": list(cov_types) or list(COV_TYPES), "alpha": alpha,
              "min_clusters": min_clusters, "univ_average": univ_average,
              "random_state": random_state if simulate else None}
    with Store.open(resolve_db_path(db_path)) as store:
        with store.run(NAME, params, inputs={"data": path},
                       packages=["statsmodels", "scipy", "matplotlib"]) as run:
            loaded = load_panel(store, path, run=run, univ_average=univ_average)
            click.echo(f"loaded {loaded.line()}")
            model.fit(loaded.panel)
            store_results(store, model, run.run_id)
            paths = write_report(model, out, input_path=path, synthetic=synthetic,
                                 load_line=loaded.line(), run_id=run.run_id)
            fdi = model.coefficient("fdi")
            stats0 = model.fit_stats_.iloc[0]
            run.summary.update({"n_obs": model.n_obs_, "n_clusters": model.n_clusters_,
                                "adj_r2": float(stats0["adj_r2"]), "fdi_coef": float(fdi["coef"]),
                                "fdi_p": float(fdi["p"]), "out": str(out)})
    click.echo(f"wrote {len(paths)} files to {out} (report.md, tables, coef_plot.png)")
    for note in model.notes_[:1]:
        click.echo(f"note: {note}")
    cov0 = model.coef_table_["cov_type"].iloc[0]
    click.echo(f"bank-entry: N={model.n_obs_} ({model.n_clusters_} countries), "
               f"adj. R²={stats0['adj_r2']:.3f}, FDI coef={fdi['coef']:.4g} "
               f"(p={fdi['p']:.3f}, {cov0})" + (" [SYNTHETIC data]" if synthetic else ""))
