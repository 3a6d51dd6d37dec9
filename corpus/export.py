"""Exports for other scholars: CSV / JSONL / Parquet with filters, a codebook, a Frictionless
``datapackage.json``, an R-friendly file for stm/quanteda, and Datasette's ``metadata.json``.

An export writes into a folder. The folder's one ``datapackage.json`` lists every data file in
it, and its ``codebook.md`` / ``codebook.csv`` document them all: a second export into the same
folder (``--name`` another file) adds its files to the package, and one that would replace a file
already there is refused unless ``force`` (``--force``), which replaces that file's entry.

``run_id`` (``--run``) adds the run's strategy shares and topic proportions θ to every row (only
documents the run measured are exported); the R-friendly file then carries the model's own tokens
and a ``<name>_stopwords`` file with the stopword list they were filtered with.

Everything streams from the store in chunks, so exporting millions of rows needs little memory.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from zhengce.common.errors import UserError
from zhengce.common.manifest import sha256_file
from zhengce.common.outputs import spreadsheet_safe
from zhengce.common.periods import period_of
from .codebook import ARRAY_FIELDS, CODEBOOK, CSV_NOTE, EXPORT_COLUMNS, R_COLUMNS, fields_for, write_codebook
from .export_filter import ExportFilter, parse_years, resolve_filter
from .export_run import RunMeasures
from .store import Store, utcnow

__all__ = ["CODEBOOK", "EXPORT_COLUMNS", "ExportFilter", "datasette_metadata", "export_documents",
           "iter_documents", "parse_years", "write_datasette_metadata",
           "collapse_column_descriptions"]

FORMATS = ("csv", "jsonl", "parquet")
SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
_NAME_RE = "[a-z0-9][a-z0-9_-]*"


@dataclass
class ExportPlan:
    """One export: which rows and columns go into which file of the folder."""

    folder: Path
    name: str
    fmt: str
    columns: list[str]  # stored document columns read from the store
    extra: list[str]  # computed columns: period, segmented_text or tokens
    measures: RunMeasures | None = None
    r_friendly: bool = False
    fields: list[dict[str, Any]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return self.columns + self.extra + (self.measures.columns() if self.measures else [])

    @property
    def path(self) -> Path:
        return self.folder / f"{self.name}{SUFFIX[self.fmt]}"


def iter_documents(store: Store, flt: ExportFilter | None = None, *, columns: Sequence[str] | None = None,
                   with_segmented: bool = False, chunk: int = 1000) -> Iterator[dict]:
    """Documents matching the filter, in doc_id order, ``chunk`` rows at a time."""
    for rows in _chunks(store, flt, columns=columns, with_segmented=with_segmented, chunk=chunk):
        yield from rows


def _chunks(store: Store, flt: ExportFilter | None, *, columns: Sequence[str] | None,
            with_segmented: bool, chunk: int = 1000) -> Iterator[list[dict]]:
    flt = flt or ExportFilter()
    where, params = flt.sql()
    cols = [c for c in (columns or EXPORT_COLUMNS) if c not in ("period", "segmented_text", "tokens")]
    if cols[0] != "doc_id":
        raise ValueError("iter_documents needs doc_id as the first column")
    select = ", ".join(f"d.[{c}]" for c in cols)
    if with_segmented:
        select += ", s.body as segmented_text"
    join = "left join search_index s on s.doc_id = d.doc_id" if with_segmented else ""
    names = cols + (["segmented_text"] if with_segmented else [])
    last = ""
    while True:
        rows = store.db.execute(
            f"select {select} from documents d {join} where ({where}) and d.doc_id > ? "
            f"order by d.doc_id limit ?", [*params, last, chunk]).fetchall()
        if not rows:
            return
        items = []
        for row in rows:
            item = dict(zip(names, row))
            item["period"] = period_of(item.get("year"))
            items.append(item)
        yield items
        last = rows[-1][0]


def _with_measures(store: Store, plan: ExportPlan, chunks: Iterator[list[dict]]) -> Iterator[dict]:
    """The rows of ``chunks``; with a run, only the documents it measured, with its columns."""
    for rows in chunks:
        if plan.measures is None:
            yield from rows
            continue
        doc_ids = [r["doc_id"] for r in rows]
        measured = plan.measures.measured(store, doc_ids)
        tokens = plan.measures.tokens(store, doc_ids) if "tokens" in plan.extra else {}
        for row in rows:
            values = measured.get(row["doc_id"])
            if values is None:
                continue
            row.update(values)
            if "tokens" in plan.extra:
                row["tokens"] = tokens.get(row["doc_id"])
            yield row


def export_documents(store: Store, out: str | Path, *, fmt: str = "csv", name: str | None = None,
                     flt: ExportFilter | None = None, include_text: bool = True,
                     r_friendly: bool = False, run_id: str | None = None,
                     force: bool = False) -> dict:
    """Write the filtered documents into the folder ``out`` as ``<name>.<fmt>`` and add the file
    to the folder's ``datapackage.json`` and codebook.

    ``name`` defaults to ``documents`` (``documents_r`` for the R-friendly file). ``r_friendly``
    writes one row per document with covariates and the text as space-separated words
    (readr/stm/quanteda ready): with ``run_id`` the model's own tokens (and a stopwords file),
    else the search index's words. ``run_id`` adds ``share_*`` and ``theta_*`` columns.
    Returns {"path", "rows", "format", "files", "codebook", "datapackage", ...}.
    """
    if store.count("documents") == 0:
        raise UserError("the database has no documents to export: load or crawl some first")
    flt = resolve_filter(store, flt or ExportFilter())  # before anything is written
    plan = _plan(store, Path(out), fmt=fmt, name=name, include_text=include_text,
                 r_friendly=r_friendly, run_id=run_id)
    package = _read_package(plan.folder)
    written = [plan.path]
    stopwords_path = plan.folder / f"{plan.name}_stopwords.csv"
    if "tokens" in plan.extra:
        written.append(stopwords_path)
    _check_free(plan.folder, package, written, force)
    # the stopword list is checked against the run's before any file is written
    words = plan.measures.stopwords(store) if "tokens" in plan.extra else []
    chunks = _chunks(store, flt, columns=plan.columns, with_segmented="segmented_text" in plan.extra)
    rows = _with_measures(store, plan, chunks)
    try:
        n = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _write_parquet}[plan.fmt](plan, rows)
    except OSError as exc:
        raise UserError(f"cannot write {plan.path}: {exc.strerror or exc}; choose another --out "
                        "folder") from None
    resources = [_resource(plan, n, flt)]
    if "tokens" in plan.extra:
        _write_stopwords(stopwords_path, words)
        resources.append(_stopwords_resource(plan, stopwords_path, len(words)))
    package = _merge(package, resources)
    (plan.folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2),
                                                  encoding="utf-8")
    files = write_codebook(plan.folder, package)
    return {"path": str(plan.path), "rows": n, "format": plan.fmt,
            "files": [str(p) for p in written], "datapackage": str(plan.folder / "datapackage.json"),
            "run_id": run_id, **files}


def _plan(store: Store, folder: Path, *, fmt: str, name: str | None, include_text: bool,
          r_friendly: bool, run_id: str | None) -> ExportPlan:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise UserError(f"cannot export as {fmt!r}: choose --format csv, jsonl or parquet")
    name = name or ("documents_r" if r_friendly else "documents")
    if not re.fullmatch(_NAME_RE, name):
        raise UserError(f"--name {name!r}: use lower-case letters, digits, - and _ "
                        "(it names the file and its entry in datapackage.json), e.g. central_2006")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder} is a file: give a folder (the export writes data, "
                        "codebook and datapackage.json into it)")
    measures = RunMeasures.load(store, run_id) if run_id else None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {folder}: cannot create the folder ({exc.strerror}); "
                        "choose another place") from None
    if r_friendly:
        columns = list(R_COLUMNS)
        extra = ["period", "tokens" if measures else "segmented_text"]
    else:
        columns = [c for c in EXPORT_COLUMNS if c != "period" and (include_text or c != "text")]
        extra = ["period"]
    plan = ExportPlan(folder=folder, name=name, fmt=fmt, columns=columns, extra=extra,
                      measures=measures, r_friendly=r_friendly)
    plan.fields = fields_for(columns + extra) + (measures.fields() if measures else [])
    return plan


def _read_package(folder: Path) -> dict:
    path = folder / "datapackage.json"
    if not path.exists():
        return {}
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not a readable datapackage ({exc}); export into another "
                        "folder or remove that file") from None
    if not isinstance(package, dict) or not isinstance(package.get("resources", []), list):
        raise UserError(f"{path} is not a datapackage; export into another folder or remove it")
    return package


def _check_free(folder: Path, package: dict, paths: list[Path], force: bool) -> None:
    listed = {r.get("path") for r in package.get("resources", [])}
    taken = [p.name for p in paths if p.exists() or p.name in listed]
    if taken and not force:
        raise UserError(f"{folder} already holds {', '.join(taken)} from an earlier export: give "
                        "--name NAME to add another file to the folder, or --force to replace it")
    for p in paths:
        if p.is_dir():
            raise UserError(f"{p} is a folder: remove it or give --name another name")


def _resource(plan: ExportPlan, n: int, flt: ExportFilter) -> dict:
    resource: dict[str, Any] = {
        "name": plan.name, "path": plan.path.name, "profile": "tabular-data-resource",
        "format": plan.fmt, "encoding": "utf-8",
        "schema": {"fields": plan.fields, "primaryKey": ["doc_id"]},
        "x-rows": n,
        "x-zhengce": {"exported_at": utcnow(), "filter": {k: v for k, v in vars(flt).items() if v},
                      "run_id": plan.measures.run_id if plan.measures else None,
                      "r_friendly": plan.r_friendly},
    }
    if plan.fmt == "csv":
        resource["description"] = CSV_NOTE
        # UTF-8 with a BOM (Excel opens Chinese right): Frictionless reads it as utf-8-sig
        resource["encoding"] = "utf-8-sig"
    if plan.fmt == "parquet":
        resource["mediatype"] = "application/vnd.apache.parquet"
        del resource["encoding"]
        resource["schema"] = _parquet_schema(resource["schema"])
    else:
        resource["hash"] = f"sha256:{sha256_file(plan.path)}"
        resource["bytes"] = plan.path.stat().st_size
    return resource


def _parquet_schema(schema: dict) -> dict:
    """The Frictionless schema of a Parquet file. Frictionless reads Parquet through pandas,
    where a null integer is NaN and a list an ndarray: those read as missing values and as
    ``any`` (the Parquet column itself is ``list<string>``, said in ``x-parquet-type``)."""
    fields = []
    for f in schema["fields"]:
        if f["type"] == "array":
            f = {k: v for k, v in f.items() if k != "arrayItem"}
            f.update(type="any", **{"x-parquet-type": "list<string>"})
        fields.append(f)
    return {**schema, "fields": fields, "missingValues": ["", "nan", "None", "<NA>"]}


def _stopwords_resource(plan: ExportPlan, path: Path, n: int) -> dict:
    return {"name": f"{plan.name}_stopwords", "path": path.name, "profile": "tabular-data-resource",
            "format": "csv", "encoding": "utf-8",
            "description": f"The stopwords removed from the tokens of {plan.path.name} "
                          f"(run {plan.measures.run_id}), one a row.",
            "schema": {"fields": [{"name": "word", "type": "string", "title": "Stopword",
                                   "description": "A word left out of the topic model's tokens. "
                                                  "Derived: the run's stopword sources."}]},
            "hash": f"sha256:{sha256_file(path)}", "bytes": path.stat().st_size, "x-rows": n}


def _merge(package: dict, resources: list[dict]) -> dict:
    """The folder's package with ``resources`` added (an entry of the same name replaced)."""
    names = {r["name"] for r in resources} | {r["path"] for r in resources}
    kept = [r for r in package.get("resources", [])
            if r.get("name") not in names and r.get("path") not in names]
    return {
        "profile": "tabular-data-package",
        "name": "zhengce-export",
        "title": "Chinese policy documents exported by zhengce",
        "created": package.get("created", utcnow()),
        "updated": utcnow(),
        "licenses": [{"name": "see-sources", "title": "Texts keep their sources' terms"}],
        "resources": kept + resources,
    }


def _cell(value: Any) -> Any:
    """A value as a CSV cell: list fields stay JSON text, formulas are defused."""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def _write_csv(plan: ExportPlan, rows: Iterator[dict]) -> int:
    n = 0
    # UTF-8 with BOM: Excel opens Chinese correctly; readr and pandas skip the BOM.
    with open(plan.path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        names = plan.names
        writer.writerow(names)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in names])
            n += 1
    return n


def _json_value(name: str, value: Any) -> Any:
    if name in ARRAY_FIELDS and isinstance(value, str):
        return _as_list(value)
    return value


def _as_list(value: str | None) -> list[str] | None:
    if value is None or value == "":
        return None
    items = json.loads(value)
    return [str(v) for v in items] if isinstance(items, list) else [str(items)]


def _write_jsonl(plan: ExportPlan, rows: Iterator[dict]) -> int:
    n = 0
    with open(plan.path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({c: _json_value(c, row.get(c)) for c in plan.names},
                                ensure_ascii=False) + "\n")
            n += 1
    return n


def _arrow_schema(plan: ExportPlan):
    import pyarrow as pa

    types = {"integer": pa.int64(), "number": pa.float64(), "date": pa.date32(),
             "datetime": pa.timestamp("us", tz="UTC"), "string": pa.string(),
             "array": pa.list_(pa.string())}
    return pa.schema([(f["name"], types[f["type"]]) for f in plan.fields])


def _arrow_value(typ: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if typ == "date":
        return date.fromisoformat(value[:10])
    if typ == "datetime":
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)  # zhengce writes UTC
    if typ == "array":
        return _as_list(value)
    return value


def _write_parquet(plan: ExportPlan, rows: Iterator[dict], batch: int = 5000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(plan)
    typed = [(f["name"], f["type"]) for f in plan.fields]
    n = 0
    with pq.ParquetWriter(plan.path, schema) as writer:
        chunk: list[dict] = []
        for row in rows:
            chunk.append({c: _arrow_value(t, row.get(c)) for c, t in typed})
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                n += len(chunk)
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def _write_stopwords(path: Path, words: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["word"])
        for word in words:
            writer.writerow([spreadsheet_safe(word)])


def datasette_metadata(store: Store) -> dict:
    """``metadata.json`` for ``datasette DB --metadata metadata.json``: facets and search."""
    tables: dict[str, Any] = {
        "documents": {
            "title": "Policy documents",
            "description": "One row per document; full text is the source's, unmodified.",
            "facets": ["level", "province", "year", "agency_id", "doc_type"],
            "sortable_columns": ["year", "issued_date", "level", "province", "n_chars"],
            "fts_table": "search_index_fts",
            "fts_pk": "rowid",
            "searchmode": "raw",
            "label_column": "title",
            "columns": {name: CODEBOOK[name][1] for name in CODEBOOK if name in EXPORT_COLUMNS},
        },
        "raw_records": {"hidden": True},
        "minhash": {"hidden": True},
        "minhash_bands": {"hidden": True},
        "search_index": {"hidden": True},
        "rejects": {"description": "Records that could not be stored, with the reason"},
        "runs": {"description": "Every stage run with its manifest (parameters, seeds, inputs, versions)"},
    }
    names = set(store.db.table_names())
    for t in list(tables):
        if t not in names:
            tables.pop(t)
    for table_meta in tables.values():
        collapse_column_descriptions(table_meta)
    return {
        "title": "zhengce corpus",
        "description": "Chinese policy documents tagged by zhengce. Search words are segmented: "
                       "type a Chinese term (e.g. 出口退税).",
        "databases": {Path(store.path).stem: {"tables": tables}},
    }


def collapse_column_descriptions(table_meta: dict) -> None:
    """Move a table's column descriptions into a closed ``<details>`` under its description.

    Datasette prints ``columns`` as a list above the search box (about 1,900 px for the
    documents table); collapsed, the search box is the first thing under the title and the
    codebook is one click away.
    """
    from html import escape

    columns = table_meta.pop("columns", None)
    if not columns:
        return
    items = "".join(f"<dt>{escape(str(name))}</dt><dd>{escape(str(text))}</dd>"
                    for name, text in columns.items())
    intro = table_meta.pop("description", None)
    table_meta["description_html"] = (
        (f"<p>{escape(intro)}</p>" if intro else "")
        + f'<details class="column-descriptions"><summary>Column descriptions ({len(columns)})'
        + f'</summary><dl class="column-descriptions">{items}</dl></details>')


def write_datasette_metadata(store: Store, out: str | Path) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(datasette_metadata(store), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
