"""What every exported field means: the codebook behind ``codebook.md`` / ``codebook.csv`` and
the Frictionless schema of each data file in an export folder.

The list fields (issuers, sectors …) are Parquet ``list<string>``, JSONL arrays, and JSON text in
CSV cells (Frictionless type ``array`` reads them back). CSV text cells that a spreadsheet would run
as a formula (starting with = + - @, tab or CR) carry a leading apostrophe; the store keeps the
raw text.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Mapping, Sequence

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
    "issuers": ("array", "Issuing bodies as written (list; several = joint issuance 联合发文)", "issuer field split on spaces, 、 and 等; else the title's issuer", None),
    "issuer_raw": ("string", "Issuer field as delivered", "source field", None),
    "agency_id": ("string", "Canonical id of the lead central issuing agency", "gazetteer resolution of the lead issuer (agencies table; predecessors keep their own id, see agencies.successor_ids)", None),
    "agency_ids": ("array", "Canonical ids of all recognized issuers (list)", "gazetteer", None),
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
    "amended_dates": ("array", "Amendment dates (list)", "LawRefBook header lines with 修正/修订", None),
    "year": ("integer", "Analysis year", "issued_date, else published_date, else effective_date, else the 发文字号 year", None),
    "period": ("string", "Before or after WTO accession (2001)", "year <= 2001 → pre, else post", ["pre", "post"]),
    "sectors": ("array", "GB/T 4754-2017 manufacturing sector codes (list)", "keyword matches in title and text (evidence in document_sectors)", None),
    "category": ("string", "The source's own subject category", "source field", None),
    "fetched_at": ("datetime", "When the record was fetched", "crawler/loader", None),
    "text": ("string", "Full text as delivered (never modified)", "source", None),
    "text_hash": ("string", "SHA-256 of the text after folding full-width forms and removing whitespace", "exact-duplicate key", None),
    "n_chars": ("integer", "Length of the text in characters", "len(text)", None),
    "repost_of": ("string", "doc_id of a near-identical earlier document", "MinHash Jaccard >= 0.8 (flag only; not merged)", None),
    "warnings": ("array", "Fields that could not be parsed (list)", "tagging", None),
    "source_fields": ("string", "The source's metadata strings (JSON), input of re-tagging", "as delivered", None),
    "segmented_text": ("string", "Space-separated words of the search index (R export without --run)", "the full-text index segmentation (rjieba, HMM off, stopwords kept): give --run for the topic model's own tokens", None),
    "tokens": ("string", "Space-separated tokens the topic model was fitted on (R export with --run)", "the run's token configuration (tokens table): normalized, segmented, stopwords and filtered tokens removed; the stopword list is in the *_stopwords resource", None),
}

EXPORT_COLUMNS = [c for c in CODEBOOK if c not in ("segmented_text", "tokens", "period")] + ["period"]

#: fields whose values zhengce assigns itself (an enum constraint); the others' listed values are
#: the usual ones (effect_level: a source such as 北大法宝 delivers its own, e.g. 国务院规范性文件)
ENFORCED_VALUES = frozenset({"level", "level_detail", "period", "validity"})

ARRAY_FIELDS = frozenset(name for name, spec in CODEBOOK.items() if spec[0] == "array")

#: the covariates of the R-friendly file (stm / quanteda): no raw text, one row a document
R_COLUMNS = ["doc_id", "title", "level", "level_detail", "province", "prefecture", "county",
             "agency_id", "doc_type", "effect_level", "year", "issued_date", "sectors", "source",
             "n_chars"]

CSV_NOTE = ("CSV only: a text cell starting with = + - @, tab or CR has a leading apostrophe "
            "added, so a spreadsheet shows it instead of running it as a formula; the database "
            "keeps the raw text.")


def field_schema(name: str) -> dict[str, Any]:
    """The Frictionless field descriptor of a codebook field."""
    typ, meaning, derived, allowed = CODEBOOK[name]
    entry: dict[str, Any] = {"name": name, "type": typ, "title": meaning,
                             "description": f"{meaning}. Derived: {derived}."}
    if typ == "array":
        entry["arrayItem"] = {"type": "string"}
    if allowed and name in ENFORCED_VALUES:
        entry["constraints"] = {"enum": allowed}
    elif allowed:
        entry["x-usual-values"] = allowed
    return entry


def measure_field(name: str, meaning: str, derived: str) -> dict[str, Any]:
    """A numeric field added by ``--run`` (a strategy share or a topic proportion)."""
    return {"name": name, "type": "number", "title": meaning,
            "description": f"{meaning}. Derived: {derived}.",
            "constraints": {"minimum": 0, "maximum": 1}}


def _derivation(field: Mapping[str, Any]) -> str:
    description = str(field.get("description", ""))
    _, _, derived = description.partition(" Derived: ")
    return derived.rstrip(".") if derived else ""


def write_codebook(folder: Path, package: Mapping[str, Any]) -> dict[str, str]:
    """``codebook.md`` and ``codebook.csv`` for every data file the folder's datapackage lists
    (so a second export into the folder documents its files beside the first one's)."""
    md = ["# zhengce export codebook", "",
          "Each exported field: its type, meaning, allowed values and how zhengce derives it. "
          "One section per data file of this folder (all listed in datapackage.json).", "",
          CSV_NOTE]
    with open(folder / "codebook.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["resource", "field", "type", "meaning", "allowed_values", "derivation"])
        for resource in package.get("resources", []):
            fields = resource.get("schema", {}).get("fields", [])
            rows = resource.get("x-rows")
            md += ["", f"## {resource.get('path')} ({resource.get('format')}"
                   + (f", {rows:,} rows)" if isinstance(rows, int) else ")"), ""]
            if resource.get("description"):
                md += [str(resource["description"]), ""]
            md += ["| field | type | meaning | allowed values | derivation |",
                   "| --- | --- | --- | --- | --- |"]
            for field in fields:
                allowed = ", ".join(map(str, field.get("constraints", {}).get("enum", [])))
                if field.get("x-usual-values"):
                    allowed = "usually " + ", ".join(map(str, field["x-usual-values"]))
                derived = _derivation(field)
                typ = field.get("x-parquet-type", field["type"])
                writer.writerow([resource.get("name"), field["name"], typ,
                                 field.get("title", ""), allowed, derived])
                md.append(f"| {field['name']} | {typ} | {field.get('title', '')} | "
                          f"{allowed} | {derived} |")
    (folder / "codebook.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return {"codebook": str(folder / "codebook.md"), "codebook_csv": str(folder / "codebook.csv")}


def fields_for(names: Sequence[str]) -> list[dict[str, Any]]:
    return [field_schema(name) for name in names]
