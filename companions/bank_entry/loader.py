"""Validating loader for the country-year panel of Korean banks' offices abroad.

One row per host country and year (Choi & Kim 2020, section 4):

===============  =====================================================================  ========
column           meaning (paper's notation)                                             check
===============  =====================================================================  ========
country          host country i                                                         text
year             survey year t (the paper: 2010, 2012, 2014)                            integer
subsidiaries     Korean bank subsidiaries in i at t                                     int ≥ 0
branches         Korean bank branches in i at t (representative offices excluded)      int ≥ 0
fdi              FDI: Korean outward direct investment into i, USD thousands            ≥ 0
univ             UNIV: restrictions on bank activities, 1 (universal) .. 4 (restricted)  1..4
bi               BI = TC/GDP: deposit-bank claims in % of GDP (banking development)     ≥ 0
tax              TAX: host corporate tax rate − Korea's, percentage points              number
pros (optional)  PROS as the user computed it; checked against the counts               0..1
===============  =====================================================================  ========

The dependent variable is computed here: ``PROS = subsidiaries / (subsidiaries + branches)``.
A row with no office at all (``subsidiaries + branches = 0``) has no PROS; it is **rejected**
with that reason (recorded in ``rejects`` and, by default, reported as an error) rather than
being set to 0 or silently dropped, because a country-year without Korean banks is not an
observation of the subsidiary-versus-branch choice.

UNIV is an integer 1..4 by default. The paper describes its UNIV as the *average* of four survey
answers (so quarter steps such as 2.25 are possible); pass ``univ_average=True`` to accept any
value in [1, 4].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from zhengce.companions.common import ColumnSpec, LoadReport, bundled, load_table, validate_frame
from zhengce.common.errors import UserError

PANEL_TABLE = "bank_entry_panel"
SOURCE = "bank_entry"
KEY = ("country", "year")
REGRESSORS = ("fdi", "univ", "bi", "tax")
# Tolerance for a user-supplied PROS: published tables round to 2-3 decimals.
PROS_TOLERANCE = 0.005


def panel_columns(univ_average: bool = False) -> list[ColumnSpec]:
    """Column specifications of the panel (aliases are other header spellings accepted)."""
    univ = (ColumnSpec("univ", "float", min=1, max=4,
                       aliases=("universal_banking", "univ_index"),
                       description="UNIV, average of four 1-4 survey answers")
            if univ_average else
            ColumnSpec("univ", "int", allowed=(1, 2, 3, 4),
                       aliases=("universal_banking", "univ_index"),
                       description="UNIV, integer 1 (universal banking) .. 4 (restricted)"))
    return [
        ColumnSpec("country", "str", aliases=("host_country", "host"),
                   description="host country"),
        ColumnSpec("year", "int", min=1900, max=2100, description="survey year"),
        ColumnSpec("subsidiaries", "int", min=0,
                   aliases=("subsidiary", "n_subsidiaries", "subs"),
                   description="number of Korean bank subsidiaries"),
        ColumnSpec("branches", "int", min=0, aliases=("branch", "n_branches"),
                   description="number of Korean bank branches"),
        ColumnSpec("fdi", "float", min=0, aliases=("fdi_usd_thousands", "fdi_thousands"),
                   description="FDI, USD thousands"),
        univ,
        ColumnSpec("bi", "float", min=0, aliases=("tc_gdp", "claims_gdp", "bank_claims_gdp"),
                   description="BI = deposit-bank claims / GDP, %"),
        ColumnSpec("tax", "float", min=-100, max=100,
                   aliases=("tax_diff", "tax_difference"),
                   description="TAX = host corporate tax rate - Korea's, percentage points"),
        ColumnSpec("pros", "float", required=False, min=0, max=1,
                   description="PROS as supplied (checked against the counts)"),
    ]


def sample_path() -> Path:
    """The bundled SYNTHETIC sample (see data/README.md)."""
    from .sample import SAMPLE_FILENAME

    return bundled("zhengce.companions.bank_entry", SAMPLE_FILENAME)


def _row_problems(typed: pd.DataFrame) -> list[tuple[int, str]]:
    """Checks that need more than one column: (row_number, reason) for each failing row."""
    problems: list[tuple[int, str]] = []
    for row in typed.itertuples(index=False):
        offices = row.subsidiaries + row.branches
        if offices == 0:
            problems.append((row.row_number, (
                f"country {row.country!r} year {row.year}: subsidiaries + branches = 0, so "
                "PROS = subsidiaries / (subsidiaries + branches) is undefined; remove the row "
                "(no Korean bank office there that year) or correct the counts")))
            continue
        supplied = getattr(row, "pros", None)
        if supplied is not None and not pd.isna(supplied):
            computed = row.subsidiaries / offices
            if abs(supplied - computed) > PROS_TOLERANCE:
                problems.append((row.row_number, (
                    f"country {row.country!r} year {row.year}: column 'pros' is {supplied:g} but "
                    f"subsidiaries / (subsidiaries + branches) = {row.subsidiaries}/{offices} = "
                    f"{computed:.4f}; fix the counts or drop the pros column")))
    return problems


def _with_pros(typed: pd.DataFrame, bad_rows: set[int]) -> pd.DataFrame:
    panel = typed[~typed["row_number"].isin(bad_rows)].copy()
    panel["pros"] = panel["subsidiaries"] / (panel["subsidiaries"] + panel["branches"])
    return panel.reset_index(drop=True)


def _univ_hint(errors: list[str], univ_average: bool) -> str:
    if not univ_average and any("'univ' must be" in e for e in errors):
        return (" (UNIV must be an integer 1-4; if yours is the paper's average of four survey "
                "answers, pass univ_average=True / --univ-average)")
    return ""


def _by_row(errors: list[str]) -> list[str]:
    """Column errors and cross-column errors merged in file order ("row N: ...")."""
    def row_number(text: str) -> int:
        match = re.match(r"row (\d+):", text)
        return int(match.group(1)) if match else 0
    return sorted(errors, key=row_number)


def _raise_listing(path: str | Path, errors: list[str], univ_average: bool, shown: int = 5):
    more = f" (and {len(errors) - shown} more in the rejects table)" if len(errors) > shown else ""
    raise UserError(f"{path}: {len(errors)} bad row(s): {'; '.join(errors[:shown])}{more}"
                    f"{_univ_hint(errors, univ_average)}; fix the file and load again")


def prepare_panel(frame: pd.DataFrame, *, path: str | Path = "<data frame>",
                  univ_average: bool = False) -> pd.DataFrame:
    """Validate a panel held in memory (no store) and add ``pros``.

    Accepts raw strings (as read from a file) or already typed values. Raises :class:`UserError`
    listing every bad row (row numbers count the header as line 1, as a spreadsheet shows them).
    Returns the typed panel with ``row_number`` and ``pros`` columns.
    """
    if not isinstance(frame, pd.DataFrame):
        raise UserError(f"{path}: expected a pandas DataFrame with columns "
                        f"{', '.join(s.name for s in panel_columns() if s.required)}")
    typed, bad = validate_frame(frame, panel_columns(univ_average), path)
    errors = [f"row {r}: {reason}" for r, reason, _ in bad]
    problems = _row_problems(typed)
    errors = _by_row(errors + [f"row {r}: {reason}" for r, reason in problems])
    if errors:
        _raise_listing(path, errors, univ_average)
    duplicated = typed[typed.duplicated(list(KEY), keep=False)]
    if len(duplicated):
        first = duplicated.iloc[0]
        raise UserError(f"{path}: duplicate rows for country={first['country']}, "
                        f"year={first['year']} (rows "
                        f"{', '.join(str(r) for r in duplicated['row_number'][:5])}); "
                        "keep one row per country + year")
    return _with_pros(typed, set())


@dataclass
class PanelLoad:
    """What :func:`load_panel` did: the analysable panel and every reason a row was refused."""

    panel: pd.DataFrame
    report: LoadReport
    errors: list[str] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        return len(self.errors)

    def line(self) -> str:
        return (f"{self.report.path}: {self.report.n_rows} rows, {len(self.panel)} in "
                f"[{PANEL_TABLE}], {self.n_rejected} rejected")


def load_panel(store, path: str | Path | None = None, *, frame: pd.DataFrame | None = None,
               run=None, on_error: Literal["raise", "reject"] = "raise",
               univ_average: bool = False) -> PanelLoad:
    """Load a panel file into the store (``bank_entry_panel``, raw rows in
    ``bank_entry_panel_raw``, refused rows in ``rejects``) and return the analysable panel.

    ``path`` defaults to the bundled SYNTHETIC sample; with ``frame`` it only labels the rows.
    With ``on_error="raise"`` (default) any refused row — a column that fails its check or a
    zero-office row — raises :class:`UserError` after everything has been recorded; with
    ``"reject"`` the remaining rows are returned and the reasons are in ``PanelLoad.errors``.
    """
    if on_error not in ("raise", "reject"):
        raise UserError(f"on_error must be 'raise' or 'reject', not {on_error!r}")
    if path is None:
        path = Path("<data frame>") if frame is not None else sample_path()
    path = Path(path)
    report = load_table(store, path, table=PANEL_TABLE, columns=panel_columns(univ_average),
                        key=KEY, source=SOURCE, run=run, on_error="reject", frame=frame)
    typed = report.frame if report.frame is not None else pd.DataFrame()
    problems = _row_problems(typed) if len(typed) else []
    db = store.db
    with db.conn:
        for row_number, reason in problems:
            store.reject(stage=f"load:{PANEL_TABLE}", source=SOURCE,
                         record_ref=f"{path}:row {row_number}", reason=reason,
                         run_id=run.run_id if run else None)
            # load_table stored the row (its columns were fine); it is not an observation.
            row = typed[typed["row_number"] == row_number].iloc[0]
            db.execute(f"delete from [{PANEL_TABLE}] where country = ? and year = ?",
                       [row["country"], int(row["year"])])
        panel = _with_pros(typed, {r for r, _ in problems}) if len(typed) else typed
        if len(panel):
            db[PANEL_TABLE].upsert_all(
                panel[["country", "year", "pros"]].to_dict(orient="records"),
                pk=KEY, alter=True)
    errors = _by_row(report.errors + [f"row {r}: {reason}" for r, reason in problems])
    report.n_rejected = len(errors)
    report.n_stored = len(panel)
    if errors and on_error == "raise":
        _raise_listing(path, errors, univ_average)
    return PanelLoad(panel=panel, report=report, errors=errors)
