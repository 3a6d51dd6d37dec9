"""Plumbing every companion shares: a validating tabular loader that puts a user's file into the
corpus store (raw rows kept, rejects with reasons) and the output folder conventions.

A companion describes its input with :class:`ColumnSpec` objects and calls :func:`load_table`;
it never re-implements reading, coercion or reject handling.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.manifest import sha256_file
from zhengce.corpus.store import Run, Store

Kind = Literal["float", "int", "str"]


@dataclass(frozen=True)
class ColumnSpec:
    """One expected column. ``aliases`` are other spellings accepted in the user's header."""

    name: str
    kind: Kind = "float"
    required: bool = True
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    aliases: tuple[str, ...] = ()
    allowed: tuple[Any, ...] | None = None
    description: str = ""


@dataclass
class LoadReport:
    table: str
    path: str
    n_rows: int = 0
    n_stored: int = 0
    n_rejected: int = 0
    errors: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None

    def line(self) -> str:
        pct = (100.0 * self.n_rejected / self.n_rows) if self.n_rows else 0.0
        return (f"{self.path}: {self.n_rows} rows, {self.n_stored} stored in [{self.table}], "
                f"{self.n_rejected} rejected ({pct:.1f}%)")


def read_frame(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read CSV / TSV / XLSX / Parquet into strings-as-read (coercion happens per column)."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p} does not exist: check the path (or run without it to use the bundled sample)")
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pd.read_csv(p, dtype=str, keep_default_na=False, **kwargs)
        if suffix == ".tsv":
            return pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False, **kwargs)
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(p, dtype=str, keep_default_na=False, **kwargs)
        if suffix == ".parquet":
            return pd.read_parquet(p).astype(str)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{p} could not be read as {suffix[1:]}: {exc}; save it as UTF-8 CSV") from exc
    raise UserError(f"{p}: unsupported file type {suffix!r}; use .csv, .tsv, .xlsx or .parquet")


def _coerce(value: Any, spec: ColumnSpec) -> Any:
    """Return the typed value or raise ValueError with a reason naming the column."""
    text = "" if value is None else str(value).strip()
    if text == "" or text.upper() in ("NA", "NAN", "NULL", "."):
        if spec.required:
            raise ValueError(f"column {spec.name!r} is empty")
        return None
    if spec.kind == "str":
        out: Any = text
    else:
        try:
            num = float(text.replace(",", ""))
        except ValueError:
            raise ValueError(f"column {spec.name!r} is not a number: {text!r}") from None
        if math.isnan(num) or math.isinf(num):
            raise ValueError(f"column {spec.name!r} is not a finite number: {text!r}")
        if spec.kind == "int":
            if num != int(num):
                raise ValueError(f"column {spec.name!r} must be a whole number: {text!r}")
            out = int(num)
        else:
            out = num
        if spec.min is not None and (num < spec.min or (num == spec.min and not spec.min_inclusive)):
            op = ">=" if spec.min_inclusive else ">"
            raise ValueError(f"column {spec.name!r} must be {op} {spec.min:g}: {text!r}")
        if spec.max is not None and num > spec.max:
            raise ValueError(f"column {spec.name!r} must be <= {spec.max:g}: {text!r}")
    if spec.allowed is not None and out not in spec.allowed:
        raise ValueError(f"column {spec.name!r} must be one of {list(spec.allowed)}: {text!r}")
    return out


def match_columns(frame: pd.DataFrame, specs: Sequence[ColumnSpec], path: str | Path) -> dict[str, str]:
    """Map each spec to the user's header (case-insensitive, aliases allowed)."""
    lookup = {str(c).strip().lower(): c for c in frame.columns}
    mapping: dict[str, str] = {}
    missing = []
    for spec in specs:
        for candidate in (spec.name, *spec.aliases):
            if candidate.lower() in lookup:
                mapping[spec.name] = lookup[candidate.lower()]
                break
        else:
            if spec.required:
                missing.append(spec.name)
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; the file has "
            f"{', '.join(map(str, frame.columns)) or 'no columns'} — rename the header or pass a mapping"
        )
    return mapping


def validate_frame(frame: pd.DataFrame, specs: Sequence[ColumnSpec], path: str | Path
                   ) -> tuple[pd.DataFrame, list[tuple[int, str, dict]]]:
    """Coerce every row. Returns (typed frame of good rows with a ``row_number`` column,
    rejects as (row_number, reason, raw row)). Row numbers count the header as line 1, as a
    spreadsheet shows them."""
    mapping = match_columns(frame, specs, path)
    good: list[dict] = []
    bad: list[tuple[int, str, dict]] = []
    for i, raw in enumerate(frame.to_dict(orient="records")):
        row_number = i + 2
        out: dict[str, Any] = {"row_number": row_number}
        reasons = []
        for spec in specs:
            value = raw.get(mapping[spec.name]) if spec.name in mapping else None
            try:
                out[spec.name] = _coerce(value, spec)
            except ValueError as exc:
                reasons.append(str(exc))
        if reasons:
            bad.append((row_number, "; ".join(reasons), raw))
        else:
            good.append(out)
    columns = ["row_number", *[s.name for s in specs]]
    return pd.DataFrame(good, columns=columns), bad


def load_table(store: Store, path: str | Path, *, table: str, columns: Sequence[ColumnSpec],
               key: Sequence[str], source: str, run: Run | None = None,
               on_error: Literal["raise", "reject"] = "raise", frame: pd.DataFrame | None = None,
               max_errors_shown: int = 5) -> LoadReport:
    """Validate a user's table and store it.

    - every input row goes to ``<table>_raw`` untouched (file hash, row number, JSON of the row);
    - good rows are upserted into ``<table>`` on ``key`` (re-loading changes nothing);
    - bad rows go to ``rejects`` with the reason (row and column named). With
      ``on_error="raise"`` (the default for analyses, where a silently shortened panel would change
      results) a :class:`UserError` lists the first few after they are recorded.
    """
    path = Path(path)
    raw_frame = frame if frame is not None else read_frame(path)
    typed, bad = validate_frame(raw_frame, columns, path)
    file_hash = sha256_file(path) if path.is_file() else None
    report = LoadReport(table=table, path=str(path), n_rows=len(raw_frame))
    db = store.db
    with db.conn:
        db[f"{table}_raw"].upsert_all(
            ({"file_sha256": file_hash, "path": str(path), "row_number": i + 2,
              "raw": json.dumps(r, ensure_ascii=False, default=str)}
             for i, r in enumerate(raw_frame.to_dict(orient="records"))),
            pk=("file_sha256", "row_number"), batch_size=1000,
        )
        for row_number, reason, raw in bad:
            store.reject(stage=f"load:{table}", source=source, record_ref=f"{path}:row {row_number}",
                         reason=reason, payload=json.dumps(raw, ensure_ascii=False, default=str),
                         run_id=run.run_id if run else None)
        duplicated = typed[typed.duplicated(list(key), keep=False)] if len(typed) else typed
        if len(duplicated):
            first = duplicated.iloc[0]
            keyval = ", ".join(f"{k}={first[k]}" for k in key)
            raise UserError(f"{path}: duplicate rows for {keyval} (rows "
                            f"{', '.join(str(r) for r in duplicated['row_number'][:5])}); "
                            f"keep one row per {' + '.join(key)}")
        if len(typed):
            db[table].upsert_all(typed.drop(columns=["row_number"]).to_dict(orient="records"),
                                 pk=tuple(key) if len(key) > 1 else key[0], alter=True,
                                 batch_size=1000)
    report.n_rejected = len(bad)
    report.n_stored = len(typed)
    report.errors = [f"row {r}: {reason}" for r, reason, _ in bad]
    report.frame = typed
    if bad and on_error == "raise":
        shown = "; ".join(report.errors[:max_errors_shown])
        more = f" (and {len(bad) - max_errors_shown} more in the rejects table)" if len(bad) > max_errors_shown else ""
        raise UserError(f"{path}: {len(bad)} bad row(s): {shown}{more}; fix the file and load again")
    return report


def default_out_dir(name: str, out: str | Path | None = None) -> Path:
    """``out/<companion>`` unless the user gave a folder."""
    return Path(out) if out else Path("out") / name


def bundled(package: str, filename: str) -> Path:
    """Path of a sample file shipped inside a companion package."""
    from importlib import resources

    return Path(str(resources.files(package).joinpath("data", filename)))
