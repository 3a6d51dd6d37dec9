"""Loaders: turn a user's files into :class:`~corpus.ingest.SourceRecord` streams.

Each loader streams (constant memory), is idempotent (records are identified by a stable
``source_id``: an id column, the URL, the file path, or a hash of the record's content), and never
drops a record silently: rows that cannot be read become rejects with the file and line named.

- tabular: CSV / TSV / XLSX / JSONL (optionally .gz) with a column mapping
  (``corpus/mappings/*.yaml``: ``generic``, ``pkulaw``, ``govcn``, ``demo``, or your own file);
- folder: ``.txt`` / ``.html`` / ``.docx`` / ``.pdf`` files with an optional sidecar CSV;
- LawRefBook/Laws: the packaged ``lawrefbook.jsonl.gz`` or a plain checkout of the repository.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import sys
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from zhengce.common.errors import UserError
from .ingest import Ingestor, LoadReport, SourceRecord
from zhengce.common.manifest import sha256_bytes
from .store import Store, safe_text

CANONICAL_FIELDS = (
    "title", "text", "doc_number", "issuer", "issued_date", "published_date", "effective_date",
    "doc_type", "effect_level", "validity", "category", "library", "url", "level", "province",
    "prefecture", "county", "site_province",
)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # full texts in CSV cells are long


# ---------------------------------------------------------------------------------------------
# Mappings
# ---------------------------------------------------------------------------------------------

@dataclass
class Mapping:
    """Which source column feeds which canonical field, and which columns identify a row."""

    name: str
    fields: dict[str, str]
    id_columns: list[str] = field(default_factory=list)
    source: str | None = None
    #: fields mapped on the command line (--map): their columns must exist
    required: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, spec: str | Path | None) -> "Mapping":
        """A built-in mapping by name (``generic``, ``pkulaw``, ``govcn``, ``demo``) or a YAML file."""
        spec = spec or "generic"
        path = Path(str(spec))
        if path.suffix in (".yaml", ".yml") or path.exists():
            if not path.is_file():
                raise UserError(f"mapping file {path} not found: give a YAML file or one of "
                                f"{', '.join(builtin_mappings())}")
            text = path.read_text(encoding="utf-8")
            where = str(path)
        else:
            names = builtin_mappings()
            if str(spec) not in names:
                raise UserError(f"unknown mapping {spec!r}: use one of {', '.join(names)} "
                                "or a YAML file (see corpus/mappings/generic.yaml)")
            text = resources.files("zhengce.corpus.mappings").joinpath(f"{spec}.yaml").read_text("utf-8")
            where = f"built-in mapping {spec}"
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise UserError(f"{where} is not valid YAML ({' '.join(str(exc).split())}): write "
                            "plain keys and values, see corpus/mappings/generic.yaml") from None
        fields = data.get("fields") if isinstance(data, dict) else None
        if not isinstance(fields, dict) or not fields:
            raise UserError(f"{where}: needs a 'fields:' section mapping zhengce fields to columns")
        unknown = sorted(set(fields) - set(CANONICAL_FIELDS))
        if unknown:
            raise UserError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                            f"zhengce fields are {', '.join(CANONICAL_FIELDS)}")
        if "text" not in fields:
            raise UserError(f"{where}: map a column to 'text' (the document body)")
        ids = data.get("id") or []
        if isinstance(ids, str):
            ids = [ids]
        return cls(name=str(data.get("name") or path.stem), fields={k: str(v) for k, v in fields.items()},
                   id_columns=[str(c) for c in ids], source=data.get("source"))

    def with_overrides(self, pairs: list[str]) -> "Mapping":
        """Apply ``field=column`` overrides from the command line (each column must exist)."""
        fields = dict(self.fields)
        required = list(self.required)
        for pair in pairs:
            if "=" not in pair:
                raise UserError(f"--map {pair!r}: write it as field=column, e.g. --map title=标题")
            key, col = (s.strip() for s in pair.split("=", 1))
            if key == "id":
                self.id_columns = [col]
                continue
            if key not in CANONICAL_FIELDS:
                raise UserError(f"--map {pair!r}: unknown field {key!r}; use one of {', '.join(CANONICAL_FIELDS)}")
            fields[key] = col
            required.append(key)
        return Mapping(self.name, fields, list(self.id_columns), self.source, required)

    def check_columns(self, columns: list[str], where: str) -> None:
        for key in self.required:
            if self.fields[key] not in columns:
                raise UserError(
                    f"{where}: --map {key}={self.fields[key]}: there is no column "
                    f"{self.fields[key]!r}; the columns are {', '.join(map(str, columns[:30]))}"
                    f"{' …' if len(columns) > 30 else ''}")
        missing = [f"{k}←{v}" for k, v in self.fields.items() if v not in columns and k in ("text", "title")]
        if missing:
            raise UserError(
                f"{where}: the mapping '{self.name}' needs column(s) {', '.join(missing)} but the "
                f"file has {', '.join(columns[:20])}{' …' if len(columns) > 20 else ''}; pass "
                "--mapping with the right preset or --map field=column")

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, col in self.fields.items():
            value = row.get(col)
            if value is None:
                continue
            if isinstance(value, float) and value != value:  # NaN from spreadsheets
                continue
            if isinstance(value, (list, dict, bool)) or (key == "text" and not isinstance(value, str)):
                out[key] = value  # not text: the ingest rejects the record, naming the field
                continue
            value = str(value).strip() if not isinstance(value, str) else value
            if value == "":
                continue
            out[key] = value
        return out

    def row_id(self, row: dict[str, Any]) -> str:
        for col in self.id_columns:
            value = row.get(col)
            if value not in (None, ""):
                return str(value)
        url = row.get(self.fields.get("url", "\0"))
        if url:
            return str(url)
        basis = json.dumps([row.get(self.fields.get(k, "\0")) for k in ("title", "doc_number", "text")],
                           ensure_ascii=False, default=str)
        # surrogatepass: a record that is not valid Unicode still gets an id (and is rejected)
        return "sha256:" + sha256_bytes(basis.encode("utf-8", "surrogatepass"))[:24]


def builtin_mappings() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("zhengce.corpus.mappings").iterdir()
                  if p.name.endswith(".yaml"))


# ---------------------------------------------------------------------------------------------
# Tabular files
# ---------------------------------------------------------------------------------------------

def _open_binary(path: Path):
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a file: load it with --format folder (or give "
                        "the file inside it)")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


#: what gzip raises for a truncated, corrupt or not-gzip file
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _gzip_error(path: Path, exc: BaseException) -> UserError:
    kind = "is truncated" if isinstance(exc, EOFError) else "is not a valid gzip file"
    return UserError(f"{path} {kind} ({exc.__class__.__name__}: {exc or 'end of data'}); "
                     "download or compress it again (or give the uncompressed file)")


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes; a broken .gz is a one-line UserError, never a traceback."""
    with _open_binary(path) as fh:
        try:
            yield from fh
        except GZIP_ERRORS as exc:
            raise _gzip_error(path, exc) from None


def _inner_suffix(path: Path) -> str:
    return Path(path.stem).suffix.lower() if path.suffix == ".gz" else path.suffix.lower()


def sniff_encoding(path: Path, declared: str | None = None) -> str:
    """UTF-8 (with or without BOM) unless declared; GB18030 when the first 1 MB is not UTF-8."""
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise UserError(f"unknown encoding {declared!r}: use utf-8, gb18030, gbk or big5") from None
        return declared
    with _open_binary(path) as fh:
        try:
            head = fh.read(1 << 20)
        except GZIP_ERRORS as exc:
            raise _gzip_error(path, exc) from None
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # cut inside a multi-byte character at the 1 MB mark
            return "utf-8"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise UserError(f"{path}: neither UTF-8 nor GB18030; pass --encoding (e.g. big5)") from None


class _DecodedLines:
    """Decode a binary file line by line, remembering lines that did not decode."""

    def __init__(self, fh, encoding: str):
        self.fh = fh
        self.encoding = encoding
        self.bad_lines: set[int] = set()
        self.line_no = 0

    def __iter__(self):
        first = True
        for raw in self.fh:
            self.line_no += 1
            if first and self.encoding.replace("_", "-").lower() in ("utf-8", "utf8") and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            first = False
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError:
                self.bad_lines.add(self.line_no)
                yield raw.decode(self.encoding, errors="replace")


@dataclass
class RowOrReject:
    row: dict[str, Any] | None
    ref: str
    payload: bytes
    reason: str | None = None


def iter_csv_rows(path: Path, *, delimiter: str = ",", encoding: str | None = None) -> Iterator[RowOrReject]:
    enc = sniff_encoding(path, encoding)
    lines = _DecodedLines(_lines(path), enc)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{path} is empty: nothing to load") from None
    except csv.Error as exc:
        raise UserError(f"{path}: the header line is not valid CSV ({exc}); check --delimiter") from None
    header = [h.strip() for h in header]
    yield RowOrReject(row={"__header__": header}, ref=f"{path}:1", payload=b"")
    while True:
        start = lines.line_no + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # Skip to the next physical line; the broken row is rejected with its line.
            ref = f"{path}:{start}"
            yield RowOrReject(None, ref, f"line {start}".encode(), f"malformed CSV ({exc})")
            continue
        end = lines.line_no
        ref = f"{path}:{start}" if start == end else f"{path}:{start}-{end}"
        payload = json.dumps(values, ensure_ascii=False).encode("utf-8")
        if any(n in lines.bad_lines for n in range(start, end + 1)):
            yield RowOrReject(None, ref, payload,
                              f"bytes that are not valid {enc}; pass --encoding for this file")
            continue
        if not any(v.strip() for v in values):
            continue  # blank line: not a record
        if len(values) != len(header):
            yield RowOrReject(None, ref, payload,
                              f"{len(values)} fields where the header has {len(header)}")
            continue
        yield RowOrReject(dict(zip(header, values)), ref, payload)


def iter_jsonl_rows(path: Path, *, encoding: str | None = None) -> Iterator[RowOrReject]:
    enc = sniff_encoding(path, encoding)
    for line_no, raw in enumerate(_lines(path), start=1):
        if not raw.strip():
            continue
        ref = f"{path}:{line_no}"
        try:
            obj = json.loads(raw.decode(enc))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            # ValueError: bad JSON or an integer too long to convert; RecursionError: nesting
            yield RowOrReject(None, ref, raw, f"not a JSON object ({exc.__class__.__name__}: {exc})")
            continue
        if not isinstance(obj, dict):
            yield RowOrReject(None, ref, raw, "JSON line is not an object")
            continue
        yield RowOrReject(obj, ref, raw.rstrip(b"\r\n"))


def iter_xlsx_rows(path: Path, sheet: str | None = None) -> Iterator[RowOrReject]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise UserError(f"{path} is not a readable .xlsx file ({exc}); re-save it from Excel") from exc
    try:
        if sheet and sheet not in wb.sheetnames:
            raise UserError(f"{path} has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise UserError(f"{path} is empty: nothing to load")
        header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
        yield RowOrReject(row={"__header__": header}, ref=f"{path}:1", payload=b"")
        for i, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            row = {h: ("" if v is None else v) for h, v in zip(header, values)}
            payload = json.dumps(row, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
            yield RowOrReject(row, f"{path}:{i}", payload)
    finally:
        wb.close()


def iter_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
               sheet: str | None = None) -> Iterator[RowOrReject]:
    suffix = _inner_suffix(path)
    if suffix in (".csv", ".txt"):
        return iter_csv_rows(path, delimiter=delimiter or ",", encoding=encoding)
    if suffix == ".tsv":
        return iter_csv_rows(path, delimiter=delimiter or "\t", encoding=encoding)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return iter_jsonl_rows(path, encoding=encoding)
    if suffix in (".xlsx", ".xlsm"):
        return iter_xlsx_rows(path, sheet)
    raise UserError(f"{path}: cannot load {suffix or 'a file without extension'}; use .csv, .tsv, "
                    ".xlsx, .jsonl (optionally .gz), a folder of documents, or --format lawrefbook")


def count_records(path: Path) -> int | None:
    """Cheap record count for progress and for choosing parallel preparation (line count)."""
    if _inner_suffix(path) in (".xlsx", ".xlsm"):
        return None
    n = 0
    for _ in _lines(path):
        n += 1
    return max(n - (0 if _inner_suffix(path) in (".jsonl", ".ndjson", ".json") else 1), 0)


def tabular_records(path: Path, mapping: Mapping, *, source: str, encoding: str | None = None,
                    delimiter: str | None = None, sheet: str | None = None,
                    on_reject: Callable[[RowOrReject], None]) -> Iterator[SourceRecord]:
    checked = False
    for item in iter_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet):
        if item.row is not None and "__header__" in item.row:
            mapping.check_columns(item.row["__header__"], str(path))
            checked = True
            continue
        if item.row is None:
            on_reject(item)
            continue
        if not checked:  # JSONL: check the first object's keys
            mapping.check_columns(list(item.row), str(path))
            checked = True
        fields = mapping.apply(item.row)
        yield SourceRecord(source=source, source_id=mapping.row_id(item.row), fields=fields,
                           payload=item.payload, content_type="application/json",
                           source_url=fields.get("url"), record_ref=item.ref)


# ---------------------------------------------------------------------------------------------
# Folders of documents
# ---------------------------------------------------------------------------------------------

DOCUMENT_SUFFIXES = {".txt", ".html", ".htm", ".docx", ".pdf", ".md"}


def decode_text_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text/HTML file: declared, else UTF-8, else GB18030."""
    if encoding:
        return data.decode(encoding), encoding
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ValueError("neither UTF-8 nor GB18030; pass --encoding") from exc


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page (scripts/styles dropped, block breaks kept) and its <title>."""
    import lxml.html

    doc = lxml.html.fromstring(html)
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title_el = doc.find(".//title")
    title = title_el.text_content().strip() if title_el is not None else None
    for br in doc.xpath("//br"):
        br.tail = "\n" + (br.tail or "")
    for block in doc.xpath("//p|//div|//tr|//li|//h1|//h2|//h3|//h4"):
        block.tail = "\n" + (block.tail or "")
    body = doc.find(".//body")
    text = (body if body is not None else doc).text_content()
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line), title


def extract_file_text(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, str | None, str | None]:
    """(text, title-if-the-format-has-one, encoding) for a document file."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text, enc = decode_text_bytes(data, encoding)
        return text, None, enc
    if suffix in (".html", ".htm"):
        html, enc = decode_text_bytes(data, encoding)
        text, title = html_to_text(html)
        return text, title, enc
    if suffix == ".docx":
        import docx

        document = docx.Document(io.BytesIO(data))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
        title = document.core_properties.title or None
        return "\n".join(p for p in parts if p.strip()), title, None
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        text = "\n".join((page.extract_text() or "") for page in reader.pages)
        title = (reader.metadata.title if reader.metadata else None) or None
        return text, title, None
    raise ValueError(f"unsupported file type {suffix}")


def folder_records(folder: Path, *, source: str, metadata_csv: Path | None = None,
                   mapping: Mapping | None = None, encoding: str | None = None,
                   on_reject: Callable[[RowOrReject], None]) -> Iterator[SourceRecord]:
    sidecar: dict[str, dict] = {}
    if metadata_csv is not None:
        meta_mapping = mapping or Mapping("sidecar", {k: k for k in CANONICAL_FIELDS if k != "text"} | {"text": "text"})
        for item in iter_table(metadata_csv, encoding=encoding):
            if item.row is None:
                on_reject(item)
                continue
            if "__header__" in item.row:
                if "file" not in item.row["__header__"]:
                    raise UserError(f"{metadata_csv}: the sidecar needs a 'file' column with each "
                                    "document's path relative to the folder")
                continue
            fields = {k: v for k, v in meta_mapping.apply(item.row).items() if k != "text"}
            sidecar[str(item.row["file"]).replace("\\", "/")] = fields
    files, outside = _folder_files(folder)
    if not files and not outside:
        raise UserError(f"{folder} has no .txt/.html/.docx/.pdf files to load")
    for path in outside:  # never read: /etc/passwd must not end up in an export
        on_reject(RowOrReject(None, str(path), os.fsencode(os.readlink(path)),
                              "skipped: a symbolic link to a file outside the folder"))
    for path in files:
        rel = path.relative_to(folder).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            on_reject(RowOrReject(None, str(path), b"", f"could not read the file: {exc.strerror}"))
            continue
        try:
            text, title, enc = extract_file_text(path, data, encoding)
        except Exception as exc:  # a broken file is a reject, never a crash
            on_reject(RowOrReject(None, str(path), data, f"could not extract text: {exc}"))
            continue
        fields = {"text": text, "title": title or path.stem}
        fields.update(sidecar.get(rel, {}))
        yield SourceRecord(source=source, source_id=rel, fields=fields, payload=data,
                           content_type=_content_type(path), encoding=enc, record_ref=str(path))


def _folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(document files, symbolic links that resolve outside the folder), sorted. Linked
    folders are not entered."""
    root = folder.resolve()
    inside: list[Path] = []
    outside: list[Path] = []
    for dirpath, _dirs, names in os.walk(folder, followlinks=False):
        for name in names:
            path = Path(dirpath) / name
            if path.suffix.lower() not in DOCUMENT_SUFFIXES:
                continue
            target = path.resolve()
            if path.is_symlink() and not target.is_relative_to(root):
                outside.append(path)
            elif target.is_file():
                inside.append(path)
    return sorted(inside), sorted(outside)


def _content_type(path: Path) -> str:
    return {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html",
            ".htm": "text/html", ".pdf": "application/pdf",
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            }.get(path.suffix.lower(), "application/octet-stream")


# ---------------------------------------------------------------------------------------------
# LawRefBook/Laws
# ---------------------------------------------------------------------------------------------

LAWREFBOOK_SKIP = {"README.md", "CONTRIBUTING.md", "LICENSE.md", "CHANGELOG.md"}


def iter_lawrefbook(path: Path) -> Iterator[tuple[dict, bytes, str]]:
    """(record, raw bytes, ref) from ``lawrefbook.jsonl.gz`` or a checkout of LawRefBook/Laws."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.md")
                       if p.name not in LAWREFBOOK_SKIP and not any(part.startswith(".") for part in p.relative_to(path).parts)
                       and "<!-- INFO END -->" in p.read_text(encoding="utf-8", errors="replace")[:20000])
        if not files:
            raise UserError(f"{path} has no LawRefBook markdown files (with an '<!-- INFO END -->' "
                            "header): point at a checkout of LawRefBook/Laws or lawrefbook.jsonl.gz")
        for p in files:
            data = p.read_bytes()
            rel = p.relative_to(path).as_posix()
            yield {"source_path": rel, "text": data.decode("utf-8", errors="replace")}, data, str(p)
        return
    for item in iter_jsonl_rows(path):
        if item.row is None:
            yield {}, item.payload, item.ref + " " + (item.reason or "")
            continue
        yield item.row, item.payload, item.ref


def lawrefbook_records(path: Path, *, source: str = "lawrefbook",
                       on_reject: Callable[[RowOrReject], None]) -> Iterator[SourceRecord]:
    from .tagging import parse_lawrefbook

    for record, payload, ref in iter_lawrefbook(path):
        if not record or "source_path" not in record or "text" not in record:
            on_reject(RowOrReject(None, ref, payload, "not a LawRefBook record (needs source_path and text)"))
            continue
        try:
            meta = parse_lawrefbook(record)
        except Exception as exc:  # a header we cannot parse is a reject with the reason
            on_reject(RowOrReject(None, ref, payload, f"LawRefBook header not parsed: {exc}"))
            continue
        fields, hints = lawrefbook_fields(meta)
        yield SourceRecord(source=source, source_id=record["source_path"], fields=fields,
                           payload=payload, content_type="text/markdown", record_ref=ref,
                           hints=hints)


def lawrefbook_fields(meta) -> tuple[dict, dict]:
    """Canonical fields and tagging hints from a parsed LawRefBook record."""
    # 成文 = promulgation, else adoption, else the first dated header line, else the file name's
    # '(YYYY-MM-DD)' suffix (the version's date: better than no date for the analysis year).
    issued = meta.issued_date
    fields = {
        "title": meta.title,
        "text": meta.body,
        "issuer": meta.issuer,
        "doc_number": meta.doc_number,
        "issued_date": _iso(issued),
        "published_date": _iso(meta.promulgated_date),
        "effective_date": _iso(meta.effective_date),
        "category": meta.folder,
    }
    hints = {
        "region": meta.region,
        "folder": meta.folder,
        "amended_dates": [_iso(d) for d in (meta.amended_dates or [])],
        "version_date": _iso(meta.path_date),
        "adopted_date": _iso(meta.adopted_date),
        "header_lines": list(getattr(meta, "header_lines", []) or []),
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}, hints


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# ---------------------------------------------------------------------------------------------
# The one entry point
# ---------------------------------------------------------------------------------------------

def detect_format(path: Path) -> str:
    if path.is_dir():
        if any(path.glob("*/*.md")) and (path / "README.md").exists() or path.name.lower() in ("laws", "lawrefbook"):
            return "lawrefbook"
        return "folder"
    name = path.name.lower()
    if "lawrefbook" in name:
        return "lawrefbook"
    return "table"


def load_path(store: Store, path: str | Path, *, mapping: str | Path | None = None,
              overrides: list[str] | None = None, source: str | None = None,
              fmt: str | None = None, encoding: str | None = None, delimiter: str | None = None,
              sheet: str | None = None, metadata_csv: str | Path | None = None,
              progress: bool | None = None, n_jobs: int | None = None) -> LoadReport:
    """Load a file or folder into the store; return the load report.

    ``fmt`` is ``table``, ``folder`` or ``lawrefbook`` (detected when omitted).
    """
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p} does not exist: check the path")
    if metadata_csv is not None and not Path(metadata_csv).is_file():
        raise UserError(f"--metadata {metadata_csv}: give a CSV file (a 'file' column plus "
                        "metadata columns), not a folder or a missing path")
    fmt = fmt or detect_format(p)
    if fmt == "table" and p.is_dir():
        raise UserError(f"{p} is a folder: load it with --format folder (documents) or give "
                        "the table file inside it")
    state: dict[str, Any] = {"run_id": None, "n_rejects": 0}

    def on_reject(item: RowOrReject) -> None:
        # Records are read in this (the writer) process, so the reject is written at once.
        store.reject(stage="load", source=src, record_ref=item.ref, reason=item.reason or "unreadable",
                     payload=item.payload, run_id=state["run_id"])
        state["n_rejects"] += 1

    if fmt == "lawrefbook":
        src = source or "lawrefbook"
        records = lawrefbook_records(p, source=src, on_reject=on_reject)
        total = count_records(p) if p.is_file() else None
    elif fmt == "folder":
        m = Mapping.load(mapping).with_overrides(overrides or []) if (mapping or overrides) else None
        src = source or f"folder:{p.name}"
        records = folder_records(p, source=src, metadata_csv=Path(metadata_csv) if metadata_csv else None,
                                 mapping=m, encoding=encoding, on_reject=on_reject)
        total = None
    elif fmt == "table":
        m = Mapping.load(mapping).with_overrides(overrides or [])
        src = source or m.source or p.name.split(".")[0]
        records = tabular_records(p, m, source=src, encoding=encoding, delimiter=delimiter,
                                  sheet=sheet, on_reject=on_reject)
        total = count_records(p)
    else:
        raise UserError(f"unknown --format {fmt!r}: use table, folder or lawrefbook")

    if src != safe_text(src):
        raise UserError(f"the source name {safe_text(src)!r} (from the file name) is not valid "
                        "Unicode: rename the file or pass --source NAME")
    inputs: dict[str, Any] = {"path": str(p.resolve())}
    if p.is_file():
        inputs["sha256"] = p
    params = {"source": src, "path": str(p), "format": fmt, "mapping": str(mapping or ""),
              "overrides": overrides or [], "encoding": encoding}
    with store.run("load", params, inputs=inputs) as run:
        state["run_id"] = run.run_id
        ingestor = Ingestor(store, run=run, total=total, progress=progress, n_jobs=n_jobs)
        report = ingestor.ingest(records, src)
        report.seen += state["n_rejects"]
        report.rejected += state["n_rejects"]
        run.summary.update(report.as_dict())
    return report
