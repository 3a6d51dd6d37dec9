"""Exports for other scholars: CSV / JSONL / Parquet with filters, a codebook, a Frictionless
``datapackage.json``, an R-friendly file for stm/quanteda, and Datasette's ``metadata.json``.

Everything streams from the store in chunks, so exporting millions of rows needs little memory.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from zhengce.common.errors import UserError
from zhengce.common.manifest import sha256_file
from .store import Store, utcnow

WTO_YEAR = 2001  # accession on 11 Dec 2001: documents dated 2002 onward are "post"

# field: (type, meaning, how derived, allowed values or None)
CODEBOOK: dict[str, tuple[str, str, str, list[str] | None]] = {
    "doc_id": ("string", "Stable document id", "first 16 hex digits of SHA-256(source + '\\x1f' + source id/URL) of the first source that delivered the text", None),
    "source": ("string", "Source that first delivered the document", "loader or crawler spider name (lawrefbook, govcn, demo, pkulaw, folder:NAME …)", None),
    "source_id": ("string", "The record's id within its source", "id column, URL, file path, or content hash", None),
    "source_url": ("string", "URL of the record, when it has one", "as delivered", None),
    "title": ("string", "Document title", "title field; markdown '#' removed", None),
    "doc_number": ("string", "发文字号 as written", "source field; placeholders (—, 无) become null", None),
    "doc_number_prefix": ("string", "Issuer prefix of the 发文字号 (国发, 工信部联规 …)", "parsed from doc_number", None),
    "doc_number_year": ("integer", "Year in the 发文字号 bracket", "parsed from doc_number", None),
    "doc_number_serial": ("integer", "Serial number in the 发文字号", "parsed from doc_number", None),
    "issuers": ("string", "Issuing bodies as written (JSON list; several = joint issuance 联合发文)", "issuer field split on spaces, 、 and 等; else the title's issuer", None),
    "issuer_raw": ("string", "Issuer field as delivered", "source field", None),
    "agency_id": ("string", "Canonical id of the lead central issuing agency", "gazetteer resolution of the lead issuer (agencies table; predecessors keep their own id, see agencies.successor_ids)", None),
    "agency_ids": ("string", "Canonical ids of all recognized issuers (JSON list)", "gazetteer", None),
    "level": ("string", "Administrative level of the issuer", "gazetteer resolution of the issuer (a provincial 转发 of a central document is provincial); else the title's place prefix; else the source's default", ["central", "provincial", "local"]),
    "level_detail": ("string", "Finer level", "gazetteer (municipality districts and counties are county; prefecture-level cities prefecture)", ["central", "provincial", "prefecture", "county"]),
    "province": ("string", "Province-level division of the issuer", "gazetteer (GB/T 2260 names)", None),
    "province_code": ("string", "GB/T 2260 code of the province", "gazetteer", None),
    "prefecture": ("string", "Prefecture-level division of the issuer", "gazetteer", None),
    "prefecture_code": ("string", "GB/T 2260 code of the prefecture", "gazetteer", None),
    "county": ("string", "County-level division of the issuer", "gazetteer", None),
    "county_code": ("string", "GB/T 2260 code of the county", "gazetteer", None),
    "doc_type": ("string", "Document form (公文种类)", "source field, else the title's form word (通知, 意见, 办法 …)", None),
    "effect_level": ("string", "Effect level (效力级别)", "source field, else the source folder, else inferred from form and issuer", ["宪法", "法律", "行政法规", "司法解释", "部门规章", "地方性法规", "地方政府规章", "规范性文件", "案例"]),
    "validity": ("string", "Validity (时效性)", "source field normalized", ["有效", "失效", "已修改", "部分失效", "尚未生效"]),
    "issued_date": ("date", "成文日期 (date written/adopted)", "parsed from Chinese date formats; LawRefBook: promulgation, else adoption date", None),
    "published_date": ("date", "发布日期", "parsed", None),
    "effective_date": ("date", "施行日期", "parsed", None),
    "amended_dates": ("string", "Amendment dates (JSON list)", "LawRefBook header lines with 修正/修订", None),
    "year": ("integer", "Analysis year", "issued_date, else published_date, else effective_date, else the 发文字号 year", None),
    "period": ("string", "Before or after WTO accession (2001)", "year <= 2001 → pre, else post", ["pre", "post"]),
    "sectors": ("string", "GB/T 4754-2017 manufacturing sector codes (JSON list)", "keyword matches in title and text (evidence in document_sectors)", None),
    "category": ("string", "The source's own subject category", "source field", None),
    "fetched_at": ("datetime", "When the record was fetched", "crawler/loader", None),
    "text": ("string", "Full text as delivered (never modified)", "source", None),
    "text_hash": ("string", "SHA-256 of the text after folding full-width forms and removing whitespace", "exact-duplicate key", None),
    "n_chars": ("integer", "Length of the text in characters", "len(text)", None),
    "repost_of": ("string", "doc_id of a near-identical earlier document", "MinHash Jaccard >= 0.8 (flag only; not merged)", None),
    "warnings": ("string", "Fields that could not be parsed (JSON list)", "tagging", None),
    "source_fields": ("string", "The source's metadata strings (JSON), input of re-tagging", "as delivered", None),
    "segmented_text": ("string", "Space-separated words (R export)", "the full-text index segmentation (rjieba, HMM off)", None),
}

EXPORT_COLUMNS = [c for c in CODEBOOK if c not in ("segmented_text", "period")] + ["period"]


@dataclass
class ExportFilter:
    levels: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    regions: Sequence[str] = ()  # province / prefecture / county names or codes
    agencies: Sequence[str] = ()
    sectors: Sequence[str] = ()  # codes; a division code matches its groups too
    doc_types: Sequence[str] = ()
    sources: Sequence[str] = ()

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: Sequence[str]) -> None:
            clauses.append(f"{column} in ({', '.join('?' for _ in values)})")
            params.extend(values)

        if self.levels:
            bad = sorted(set(self.levels) - {"central", "provincial", "local"})
            if bad:
                raise UserError(f"--level {', '.join(bad)}: use central, provincial or local")
            any_of("d.level", self.levels)
        if self.year_from is not None:
            clauses.append("d.year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            clauses.append("d.year <= ?")
            params.append(self.year_to)
        if self.regions:
            sub = []
            for region in self.regions:
                sub.append("(d.province = ? or d.prefecture = ? or d.county = ? or d.province_code = ? "
                           "or d.prefecture_code = ? or d.county_code = ? or d.province like ?)")
                params.extend([region] * 6 + [f"{region}%"])
            clauses.append("(" + " or ".join(sub) + ")")
        if self.agencies:
            any_of("d.agency_id", self.agencies)
        if self.doc_types:
            any_of("d.doc_type", self.doc_types)
        if self.sources:
            any_of("d.source", self.sources)
        if self.sectors:
            sub = " or ".join("ds.sector_code like ?" for _ in self.sectors)
            clauses.append(f"d.doc_id in (select ds.doc_id from document_sectors ds where {sub})")
            params.extend(f"{code}%" for code in self.sectors)
        return (" and ".join(clauses) or "1"), params


def iter_documents(store: Store, flt: ExportFilter | None = None, *, columns: Sequence[str] | None = None,
                   with_segmented: bool = False, chunk: int = 1000) -> Iterator[dict]:
    """Documents matching the filter, in doc_id order, ``chunk`` rows at a time."""
    flt = flt or ExportFilter()
    where, params = flt.sql()
    cols = [c for c in (columns or EXPORT_COLUMNS) if c not in ("period", "segmented_text")]
    select = ", ".join(f"d.[{c}]" for c in cols)
    if with_segmented:
        select += ", s.body as segmented_text"
    join = "left join search_index s on s.doc_id = d.doc_id" if with_segmented else ""
    last = ""
    while True:
        rows = store.db.execute(
            f"select {select} from documents d {join} where ({where}) and d.doc_id > ? "
            f"order by d.doc_id limit ?", [*params, last, chunk]).fetchall()
        if not rows:
            return
        names = cols + (["segmented_text"] if with_segmented else [])
        for row in rows:
            item = dict(zip(names, row))
            year = item.get("year")
            item["period"] = None if year is None else ("pre" if year <= WTO_YEAR else "post")
            yield item
        last = rows[-1][0] if cols[0] == "doc_id" else None
        if last is None:
            raise RuntimeError("iter_documents needs doc_id as the first column")


def export_documents(store: Store, out: str | Path, *, fmt: str | None = None,
                     flt: ExportFilter | None = None, include_text: bool = True,
                     r_friendly: bool = False) -> dict:
    """Write the filtered documents to ``out`` (format from ``fmt`` or the suffix).

    Beside the data file it writes ``codebook.md``, ``codebook.csv`` and ``datapackage.json``.
    ``r_friendly`` writes one row per document with covariates and a segmented-text column
    (readr/stm/quanteda ready) instead of the raw text.
    """
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "jsonl", "parquet"):
        raise UserError(f"cannot export to {out}: choose --format csv, jsonl or parquet "
                        "(or give the file that suffix)")
    if store.count("documents") == 0:
        raise UserError("the database has no documents to export: load or crawl some first")
    out.parent.mkdir(parents=True, exist_ok=True)
    if r_friendly:
        columns = ["doc_id", "title", "level", "level_detail", "province", "prefecture", "county",
                   "agency_id", "doc_type", "effect_level", "year", "issued_date", "sectors",
                   "source", "n_chars"]
        extra = ["period", "segmented_text"]
    else:
        columns = [c for c in EXPORT_COLUMNS if c != "period" and (include_text or c != "text")]
        extra = ["period"]
    names = columns + extra
    rows = iter_documents(store, flt, columns=columns, with_segmented=r_friendly)
    n = 0
    if fmt == "csv":
        # UTF-8 with BOM: Excel opens Chinese correctly; readr and pandas skip the BOM.
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                n += 1
    elif fmt == "jsonl":
        with open(out, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({k: row.get(k) for k in names}, ensure_ascii=False) + "\n")
                n += 1
    else:
        n = _write_parquet(out, rows, names)
    files = write_codebook(out.parent, names, data_file=out, n_rows=n, fmt=fmt)
    return {"path": str(out), "rows": n, "format": fmt, **files}


def _write_parquet(out: Path, rows: Iterator[dict], names: list[str], batch: int = 5000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"integer": pa.int64(), "date": pa.string(), "datetime": pa.string(), "string": pa.string()}
    schema = pa.schema([(c, types[CODEBOOK.get(c, ("string",))[0]]) for c in names])
    n = 0
    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[dict] = []
        for row in rows:
            chunk.append({c: row.get(c) for c in names})
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                n += len(chunk)
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def write_codebook(folder: Path, names: Sequence[str], *, data_file: Path | None = None,
                   n_rows: int | None = None, fmt: str = "csv") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    md = ["# zhengce corpus codebook", "",
          "Each exported field: its type, meaning, allowed values and how zhengce derives it.", "",
          "| field | type | meaning | allowed values | derivation |", "| --- | --- | --- | --- | --- |"]
    with open(folder / "codebook.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["field", "type", "meaning", "allowed_values", "derivation"])
        for name in names:
            typ, meaning, derived, allowed = CODEBOOK[name]
            allowed_s = ", ".join(allowed) if allowed else ""
            writer.writerow([name, typ, meaning, allowed_s, derived])
            md.append(f"| {name} | {typ} | {meaning} | {allowed_s} | {derived} |")
    (folder / "codebook.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    fields = []
    for name in names:
        typ, meaning, derived, allowed = CODEBOOK[name]
        entry: dict[str, Any] = {"name": name, "type": typ, "description": f"{meaning}. Derived: {derived}."}
        if allowed:
            entry["constraints"] = {"enum": allowed}
        fields.append(entry)
    resource: dict[str, Any] = {"name": "documents", "profile": "tabular-data-resource",
                                "schema": {"fields": fields, "primaryKey": "doc_id"}}
    if data_file is not None:
        resource.update(path=data_file.name, format=fmt, encoding="utf-8",
                        hash=f"sha256:{sha256_file(data_file)}", bytes=data_file.stat().st_size)
        if fmt == "parquet":
            resource["mediatype"] = "application/vnd.apache.parquet"
    package = {
        "profile": "tabular-data-package",
        "name": "zhengce-corpus",
        "title": "Chinese policy documents exported by zhengce",
        "created": utcnow(),
        "resources": [resource],
        "licenses": [{"name": "see-sources", "title": "Texts keep their sources' terms"}],
        **({"x-rows": n_rows} if n_rows is not None else {}),
    }
    (folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
    return {"codebook": str(folder / "codebook.md"), "datapackage": str(folder / "datapackage.json")}


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
    return {
        "title": "zhengce corpus",
        "description": "Chinese policy documents tagged by zhengce. Search words are segmented: "
                       "type a Chinese term (e.g. 出口退税).",
        "databases": {Path(store.path).stem: {"tables": tables}},
    }


def write_datasette_metadata(store: Store, out: str | Path) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(datasette_metadata(store), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
