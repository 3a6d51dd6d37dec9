"""Loading a firm-period panel for the Malmquist index: CSV/XLSX into the store, or DEAP files.

A long panel has one row per firm and period:

===============  ============================================================  ==================
column           meaning                                                       check
===============  ============================================================  ==================
firm             firm / bank id (``--firm`` names the column)                  text, not empty
period           year or other period label (``--period``)                     text, not empty
inputs           DEA inputs x_n (``--inputs deposits,labour,fixed_assets``)    number > 0
outputs          DEA outputs y_m (``--outputs loans,other_earning_assets``)    number > 0
groups           optional sub-group columns (``--groups ownership,size``)      text, may be empty
===============  ============================================================  ==================

Rows go through :func:`companions.common.load_table` into ``malmquist_panel`` (raw rows in
``malmquist_panel_raw``, bad rows into ``rejects`` naming row and column); the key is
``(dataset, firm, period)`` so two data sets in one database do not mix, and a duplicate firm-period
is an error. The firm and period columns are stored as ``firm`` and ``period``.

DEAP 2.1 files (Coelli 1996): the data file is plain text, one observation per line, all
outputs then all inputs, observations ordered by period and, within a period, by firm (so a
Malmquist data file holds ``firms × periods`` lines, every firm in every period). The instruction
file lists, one per line with the value first: data file, output file, number of firms, number of
periods, number of outputs, number of inputs, 0 = input / 1 = output orientation, 0 = CRS / 1 = VRS,
and the model (2 = Malmquist DEA). DEAP's Malmquist output always carries the CRS index with the
VRS split of EFFCH, so the CRS/VRS line is read and returned but does not change the analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from zhengce.companions.common import ColumnSpec, LoadReport, load_table, read_frame
from zhengce.common.errors import UserError
from zhengce.corpus.store import Run, Store

PANEL_TABLE = "malmquist_panel"
SOURCE = "malmquist"


def panel_columns(firm: str, period: str, inputs: Sequence[str], outputs: Sequence[str],
                  groups: Sequence[str] = ()) -> list[ColumnSpec]:
    """Column specifications: firm/period stored under canonical names, DEA variables > 0."""
    specs = [ColumnSpec("dataset", "str", description="name of the loaded data set"),
             ColumnSpec("firm", "str", aliases=(firm,) if firm != "firm" else (),
                        description="firm id"),
             ColumnSpec("period", "str", aliases=(period,) if period != "period" else (),
                        description="period label")]
    for col in inputs:
        specs.append(ColumnSpec(col, "float", min=0, min_inclusive=False, description="DEA input"))
    for col in outputs:
        specs.append(ColumnSpec(col, "float", min=0, min_inclusive=False, description="DEA output"))
    for col in groups:
        specs.append(ColumnSpec(col, "str", required=False, description="sub-group"))
    return specs


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def load_panel(store: Store, path: str | Path, *, inputs: str | Sequence[str],
               outputs: str | Sequence[str], firm: str = "firm", period: str = "period",
               groups: str | Sequence[str] | None = None, dataset: str | None = None,
               run: Run | None = None, frame: pd.DataFrame | None = None) -> LoadReport:
    """Validate a long panel and store it in ``malmquist_panel``.

    Returns the :class:`LoadReport`; ``report.frame`` holds the typed rows (columns ``dataset``,
    ``firm``, ``period``, inputs, outputs, groups, ``row_number``) ready for
    :meth:`MalmquistIndex.fit`. Any bad row raises :class:`UserError` (after being recorded in
    ``rejects``): a Malmquist panel with silently dropped rows would change every frontier.
    """
    path = Path(path)
    inputs, outputs, groups = _names(inputs), _names(outputs), _names(groups)
    if not inputs or not outputs:
        raise UserError("name the DEA input and output columns, e.g. --inputs deposits,labour "
                        "--outputs loans,other_earning_assets")
    raw = read_frame(path) if frame is None else frame
    raw = raw.copy()
    header = {str(c).strip().lower() for c in raw.columns}
    absent = [g for g in groups if g.lower() not in header]
    if absent:
        # Group specs are optional per value, so check the columns themselves exist.
        raise UserError(f"{path}: missing group column(s) {', '.join(absent)}; the file has "
                        f"{', '.join(map(str, raw.columns))} — fix --groups")
    name = dataset or path.stem
    if "dataset" in raw.columns:
        raise UserError(f"{path}: a column is called 'dataset', which the loader uses for the "
                        "data set name; rename it")
    raw.insert(0, "dataset", name)
    return load_table(store, path, table=PANEL_TABLE,
                      columns=panel_columns(firm, period, inputs, outputs, groups),
                      key=("dataset", "firm", "period"), source=SOURCE, run=run,
                      on_error="raise", frame=raw)


def store_results(store: Store, model, run_id: str) -> dict[str, int]:
    """Save a fitted model's tables with ``run_id`` (upsert on run + natural key)."""
    from .model import COMPONENTS

    def records(frame: pd.DataFrame) -> list[dict]:
        clean = frame.astype(object).where(frame.notna(), None)
        return [{"run_id": run_id, **row} for row in clean.to_dict(orient="records")]

    counts = {}
    db = store.db
    with db.conn:
        res = model.results_[["firm", "period", "period_from", *COMPONENTS, "status"]]
        db["malmquist_results"].upsert_all(records(res), pk=("run_id", "firm", "period"), alter=True)
        counts["malmquist_results"] = len(res)
        db["malmquist_efficiency"].upsert_all(records(model.efficiency_.drop(columns=model.groups_)),
                                              pk=("run_id", "firm", "period"), alter=True)
        counts["malmquist_efficiency"] = len(model.efficiency_)
        means = pd.concat([
            model.annual_means_.assign(scope="annual_mean", key=model.annual_means_["period"].astype(str))
            .drop(columns=["period", "n_firms"]),
            model.firm_means_.assign(scope="firm_mean", key=model.firm_means_["firm"].astype(str))
            .drop(columns=["firm", "n_periods"]),
            pd.DataFrame([{"scope": "overall_mean", "key": "all", "n_failed": None,
                           **model.overall_mean_.to_dict()}]),
        ], ignore_index=True)
        db["malmquist_means"].upsert_all(records(means), pk=("run_id", "scope", "key"), alter=True)
        counts["malmquist_means"] = len(means)
        bad = model.lp_status_[model.lp_status_["status"] != "optimal"]
        if len(bad):
            db["malmquist_lp_failures"].upsert_all(records(bad), pk=("run_id", "firm", "period", "lp"),
                                                   alter=True)
        counts["malmquist_lp_failures"] = len(bad)
    return counts


# -- DEAP 2.1 files ----------------------------------------------------------------------------
def read_deap_instructions(path: str | Path) -> dict:
    """Parse a DEAP 2.1 instruction file (``*-ins.txt``)."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p} does not exist: give the DEAP instruction file (e.g. eg4-ins.txt)")
    lines = [ln for ln in p.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    fields = ("data_file", "output_file", "n_firms", "n_periods", "n_outputs", "n_inputs",
              "orientation_code", "returns_code", "model_code")
    if len(lines) < len(fields):
        raise UserError(f"{p}: a DEAP instruction file has {len(fields)} lines (data file, output "
                        f"file, firms, periods, outputs, inputs, orientation, CRS/VRS, model); "
                        f"this one has {len(lines)}")
    values: dict = {}
    for i, (key, line) in enumerate(zip(fields, lines), start=1):
        token = line.split()[0]
        if i <= 2:
            values[key] = token
            continue
        try:
            values[key] = int(token)
        except ValueError:
            raise UserError(f"{p}: line {i} ({key}) should be a whole number, not {token!r}") from None
    for key in ("n_firms", "n_periods", "n_outputs", "n_inputs"):
        if values[key] < 1:
            raise UserError(f"{p}: {key} must be at least 1, not {values[key]}")
    if values["orientation_code"] not in (0, 1) or values["returns_code"] not in (0, 1):
        raise UserError(f"{p}: lines 7 and 8 must be 0 or 1 (orientation, CRS/VRS)")
    if values["model_code"] != 2:
        raise UserError(f"{p}: line 9 selects DEAP model {values['model_code']}, not 2 "
                        "(Malmquist DEA); set it to 2 for a Malmquist analysis")
    values["orientation"] = "output" if values["orientation_code"] == 1 else "input"
    values["returns"] = "vrs" if values["returns_code"] == 1 else "crs"
    values["data_path"] = str(p.parent / values["data_file"])
    return values


def read_deap_data(path: str | Path, *, n_periods: int, n_outputs: int,
                   n_firms: int | None = None, n_inputs: int | None = None) -> pd.DataFrame:
    """Read a DEAP data file into a long panel with columns period, firm, y1.., x1..

    Firms and periods are numbered from 1, as DEAP numbers them.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p} does not exist: give the DEAP data file (e.g. eg4-dta.txt)")
    rows: list[list[float]] = []
    width = None
    for lineno, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        tokens = line.replace(",", " ").split()
        if not tokens:
            continue
        try:
            values = [float(t) for t in tokens]
        except ValueError:
            bad = next(t for t in tokens if not _is_number(t))
            raise UserError(f"{p}: line {lineno} has {bad!r}, not a number; a DEAP data file holds "
                            "only numbers (outputs then inputs)") from None
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise UserError(f"{p}: line {lineno} has {len(values)} numbers but the first line has "
                            f"{width}; every observation needs the same outputs and inputs")
        rows.append(values)
    if not rows:
        raise UserError(f"{p} is empty: a DEAP data file has one observation per line")
    if n_periods < 2:
        raise UserError(f"{p}: the Malmquist index needs at least two periods, not {n_periods}")
    if not 1 <= n_outputs < width:
        raise UserError(f"{p}: {width} numbers per line cannot hold {n_outputs} output(s) and at "
                        "least one input; check the number of outputs")
    n_in = width - n_outputs
    if n_inputs is not None and n_inputs != n_in:
        raise UserError(f"{p}: lines have {width} numbers, which is {n_outputs} output(s) + {n_in} "
                        f"input(s), but {n_inputs} input(s) were declared")
    if len(rows) % n_periods:
        raise UserError(f"{p}: {len(rows)} observations do not split into {n_periods} periods; "
                        "DEAP's Malmquist option needs every firm in every period")
    firms = len(rows) // n_periods
    if n_firms is not None and firms != n_firms:
        raise UserError(f"{p}: {len(rows)} observations = {firms} firms × {n_periods} periods, but "
                        f"{n_firms} firms were declared")
    columns = [f"y{i + 1}" for i in range(n_outputs)] + [f"x{i + 1}" for i in range(n_in)]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "firm", [i % firms + 1 for i in range(len(rows))])
    frame.insert(0, "period", [i // firms + 1 for i in range(len(rows))])
    return frame


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_deap(data_path: str | Path | None = None, *, instructions: str | Path | None = None,
              n_periods: int | None = None, n_outputs: int | None = None) -> tuple[pd.DataFrame, dict]:
    """A DEAP data file as a long panel plus its settings (from the instruction file if given).

    Returns ``(frame, settings)`` with ``settings`` holding at least inputs, outputs and, when an
    instruction file was read, orientation.
    """
    settings: dict = {}
    if instructions is not None:
        settings = read_deap_instructions(instructions)
        if data_path is None:
            data_path = settings["data_path"]
        n_periods = settings["n_periods"] if n_periods is None else n_periods
        n_outputs = settings["n_outputs"] if n_outputs is None else n_outputs
    if data_path is None:
        raise UserError("give the DEAP data file (--dea-file) or an instruction file (--dea-ins)")
    if n_periods is None or n_outputs is None:
        raise UserError("a DEAP data file does not say how many periods and outputs it has: "
                        "give --dea-ins eg4-ins.txt, or --periods T and --n-outputs M")
    frame = read_deap_data(data_path, n_periods=n_periods, n_outputs=n_outputs,
                           n_firms=settings.get("n_firms"), n_inputs=settings.get("n_inputs"))
    settings["outputs"] = [c for c in frame.columns if c.startswith("y")]
    settings["inputs"] = [c for c in frame.columns if c.startswith("x")]
    settings["data_path"] = str(data_path)
    return frame, settings
