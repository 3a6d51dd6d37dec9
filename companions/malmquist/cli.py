"""``zhengce malmquist``: Malmquist TFP index (DEA, DEAP 2.1 conventions) for a firm-period panel."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zhengce.common.errors import UserError
from zhengce.corpus.cli_options import db_option

from . import sample as sample_mod

if TYPE_CHECKING:
    import pandas as pd


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


@click.command("malmquist", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--input", "input_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Long panel (CSV/TSV/XLSX), one row per firm and period. "
                   "Default: the bundled SYNTHETIC 34-bank × 10-year sample.")
@click.option("--firm", default=None, help="Firm id column (default 'firm'; sample: 'bank').")
@click.option("--period", default=None, help="Period column (default 'period'; sample: 'year').")
@click.option("--inputs", default=None, help="Comma-separated DEA input columns.")
@click.option("--outputs", default=None, help="Comma-separated DEA output columns.")
@click.option("--groups", default=None,
              help="Comma-separated sub-group columns for the Table-3 style means.")
@click.option("--dea-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A DEAP 2.1 data file (outputs then inputs, by period then firm).")
@click.option("--dea-ins", type=click.Path(dir_okay=False, path_type=Path),
              help="The DEAP instruction file (gives periods, outputs, orientation).")
@click.option("--periods", "n_periods", type=int, default=None,
              help="Periods in --dea-file (when no --dea-ins).")
@click.option("--n-outputs", type=int, default=None, help="Outputs in --dea-file (when no --dea-ins).")
@click.option("--orientation", type=click.Choice(["output", "input"]), default=None,
              help="DEA orientation (default: output, as the paper and DEAP's EG4; or the "
                   "instruction file's).")
@click.option("--returns", type=click.Choice(["crs", "vrs"]), default="crs", show_default=True,
              help="crs = DEAP (CRS index, VRS split); vrs = every distance under VRS (not DEAP).")
@click.option("--bootstrap", "n_bootstrap", type=int, default=0, show_default=True,
              help="Simar-Wilson (1999) bootstrap replicates (0 = none; ~200 for intervals).")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="1 - confidence level of bootstrap intervals.")
@click.option("--ci", type=click.Choice(["percentile", "basic"]), default="percentile",
              show_default=True, help="Bootstrap interval type.")
@click.option("--random-state", type=int, default=0, show_default=True, help="Bootstrap seed.")
@db_option
@click.option("--no-db", is_flag=True, help="Do not record the panel and results in a database.")
@click.option("--out", default=None, help="Output folder (default out/malmquist).")
def cli(input_path, firm, period, inputs, outputs, groups, dea_file, dea_ins, n_periods, n_outputs,
        orientation, returns, n_bootstrap, alpha, ci, random_state, db_path, no_db, out):
    """Malmquist TFP index by DEA with DEAP 2.1's decomposition (TFPCH = EFFCH × TECHCH,
    EFFCH = PECH × SECH), annual, firm and sub-group geometric means, optional Simar-Wilson
    bootstrap intervals.

    \b
    Examples:
      zhengce malmquist --out out/malmquist            # bundled SYNTHETIC bank panel
      zhengce malmquist --input banks.csv --firm bank --period year \\
          --inputs deposits,labour_costs,fixed_assets \\
          --outputs loans,other_earning_assets --groups ownership,size,listing \\
          --out out/malmquist
      zhengce malmquist --dea-file eg4-dta.txt --periods 3 --n-outputs 1 --out out/eg4
      zhengce malmquist --bootstrap 200 --random-state 1 --out out/malmquist
    """
    from zhengce.common.manifest import package_versions, sha256_file
    from zhengce.companions.common import default_out_dir

    from .model import MalmquistIndex
    from .report import write_report

    started = time.perf_counter()
    out_dir = default_out_dir("malmquist", out)
    source = _source(input_path, firm, period, inputs, outputs, groups, dea_file, dea_ins,
                     n_periods, n_outputs)
    orientation = orientation or source.orientation or "output"
    params = {"data": str(source.data_path), "firm": source.firm, "period": source.period,
              "inputs": source.inputs, "outputs": source.outputs, "groups": source.groups,
              "orientation": orientation, "returns": returns, "n_bootstrap": n_bootstrap,
              "alpha": alpha, "ci": ci, "random_state": random_state}
    model = MalmquistIndex(orientation=orientation, returns=returns, alpha=alpha, ci=ci,
                           random_state=random_state)

    def analyse(fit_frame, fit_firm, fit_period):
        click.echo(f"solving DEA linear programmes ({orientation}-oriented)...")
        model.fit(fit_frame, firm=fit_firm, period=fit_period, inputs=source.inputs,
                  outputs=source.outputs, groups=source.groups,
                  progress=click.echo if len(fit_frame) > 2000 else None)
        if n_bootstrap:
            click.echo(f"bootstrap: {n_bootstrap} replicates per adjacent-period pair...")
            model.bootstrap(n_bootstrap, progress=lambda j, n: click.echo(f"  pair {j}/{n} done"))

    run_id = None
    if no_db:
        frame = source.frame
        if frame is None:
            from zhengce.companions.common import read_frame

            frame = read_frame(source.data_path)
        analyse(frame, source.firm, source.period)
    else:
        run_id = _analyse_recorded(db_path, params, source, model, analyse)
    manifest = {"command": "zhengce malmquist", "params": params, "run_id": run_id,
                "input_sha256": sha256_file(source.data_path),
                "packages": package_versions(["numpy", "pandas", "scipy", "matplotlib"]),
                "seconds": round(time.perf_counter() - started, 3)}
    if source.settings:
        manifest["deap_settings"] = {k: v for k, v in source.settings.items() if k != "data_path"}
    paths = write_report(model, out_dir, title=source.title, source_note=source.note,
                         manifest=manifest)
    click.echo(f"wrote {len(paths)} files to {out_dir} (report: {paths['report']})")
    click.echo(model.summary_line() + f" [{time.perf_counter() - started:.1f}s]")


@dataclass
class _Source:
    """Where the panel comes from and what the index is computed on."""

    data_path: Path
    firm: str
    period: str
    inputs: list[str]
    outputs: list[str]
    groups: list[str]
    title: str
    note: str
    frame: pd.DataFrame | None = None      # already read (DEAP files), else read from data_path
    settings: dict = field(default_factory=dict)   # a DEAP instruction file's settings
    orientation: str | None = None         # the instruction file's, when it gives one


def _source(input_path, firm, period, inputs, outputs, groups, dea_file, dea_ins, n_periods,
            n_outputs) -> _Source:
    """The panel of a DEAP file, of the user's long file, or the bundled SYNTHETIC sample."""
    from .loader import read_deap

    if dea_file or dea_ins:
        if input_path:
            raise UserError("give either --input (a long panel) or --dea-file/--dea-ins (DEAP), not both")
        frame, settings = read_deap(dea_file, instructions=dea_ins, n_periods=n_periods,
                                    n_outputs=n_outputs)
        data_path = Path(settings["data_path"])
        return _Source(
            data_path, "firm", "period", settings["inputs"], settings["outputs"], [],
            title=f"Malmquist index: DEAP data file {data_path.name}",
            note=f"Data: DEAP 2.1 data file `{data_path}`" + (f", instructions `{dea_ins}`."
                                                               if dea_ins else "."),
            frame=frame, settings=settings, orientation=settings.get("orientation", "output"))
    if input_path:
        inputs_l, outputs_l = _split(inputs), _split(outputs)
        if not inputs_l or not outputs_l:
            raise UserError("with --input, name the DEA variables: --inputs x1,x2 --outputs y1,y2")
        return _Source(input_path, firm or "firm", period or "period", inputs_l, outputs_l,
                       _split(groups), title=f"Malmquist index: {input_path.name}",
                       note=f"Data: `{input_path}`.")
    return _Source(
        sample_mod.sample_path(), firm or sample_mod.FIRM, period or sample_mod.PERIOD,
        _split(inputs) or list(sample_mod.INPUTS), _split(outputs) or list(sample_mod.OUTPUTS),
        _split(groups) if groups is not None else list(sample_mod.GROUPS),
        title="Malmquist index: bundled SYNTHETIC Kenyan-style bank panel",
        note=("**SYNTHETIC DATA.** The bundled sample is simulated in the shape of Gitau & Gor's "
              "panel (34 banks × 1999-2008; see companions/malmquist/sample.py). Its numbers say "
              "nothing about Kenyan banks."))


def _analyse_recorded(db, params: dict, source: _Source, model, analyse) -> str:
    """Load the panel into the store, run ``analyse`` on it and store the results, all in one
    recorded run; return its id."""
    from zhengce.corpus.store import Store

    from .loader import load_panel, store_results

    store = Store.open(db)
    try:
        with store.run("malmquist", params, inputs={"data": str(source.data_path)},
                       packages=["scipy", "matplotlib"]) as run:
            report = load_panel(store, source.data_path, inputs=source.inputs,
                                outputs=source.outputs, firm=source.firm, period=source.period,
                                groups=source.groups, run=run, frame=source.frame)
            click.echo(report.line())
            analyse(report.frame, "firm", "period")
            counts = store_results(store, model, run.run_id)
            run.summary.update({"summary": model.summary_line(), **counts})
            return run.run_id
    finally:
        store.close()
