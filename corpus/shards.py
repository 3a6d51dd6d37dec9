"""Parquet shards: the corpus cut into files of N rows, for work on many machines.

The SQLite store stays the one place results live (one writer, natural keys). For work that is
embarrassingly parallel (normalize + segment, bag-of-words, topic inference, dictionary scoring;
see :mod:`nlp.distributed`) the documents are exported to Parquet shards, each shard is processed
independently — in a local process pool or on a Dask cluster — into a result shard, and the
result shards are imported back into the store (:mod:`zhengce.nlp.shard_import`: importing tokens
re-registers the segmenter configuration, which is the NLP layer's). Nothing here holds more than
one shard in memory.

Layout of a shard folder ``DIR``::

    DIR/documents/part-00000.parquet ...   doc_id, text                     (export)
    DIR/documents/manifest.json
    DIR/tokens/part-00000.parquet ...      doc_id, config_hash, tokens, n_tokens, text_hash
    DIR/bow/part-00000.parquet ...         doc_id, term_ids, counts         (lists of int32)
    DIR/doc_topics/part-00000.parquet ...  run_id, doc_id, topic, weight    (θ_d, long format)
    DIR/dictionary_scores/part-*.parquet   run_id, doc_id, category, n_terms, weighted_terms,
                                           n_tokens, share, share_of_scheme

Result shard ``i`` holds the documents of input shard ``i`` in the same order. Every kind has a
``manifest.json`` (written last, by the one process that coordinates the stage) listing its shards
with row counts, first/last doc_id and SHA-256, plus the parameters that made it; each Parquet file
also carries its own provenance in the schema metadata under the key ``zhengce``.

Column layouts are those of the store tables (``tokens`` space-joined as in the token cache;
``doc_topics`` and ``dictionary_scores`` long format with the same primary keys), so importing is
an ``insert or replace`` on the natural key: importing the same folder twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from zhengce.common.errors import UserError
from .store import Store, utcnow

FORMAT_VERSION = 1
DEFAULT_ROWS = 5000
META_KEY = b"zhengce"
MANIFEST = "manifest.json"
RESERVED_MANIFEST_KEYS = {"format_version", "kind", "created_at", "n_shards", "n_documents",
                          "shards", "rows_per_shard", "index"}


def _schemas() -> dict:
    import pyarrow as pa

    return {
        "documents": pa.schema([("doc_id", pa.string()), ("text", pa.string())]),
        "tokens": pa.schema([("doc_id", pa.string()), ("config_hash", pa.string()),
                             ("tokens", pa.string()), ("n_tokens", pa.int64()),
                             ("text_hash", pa.string())]),
        "bow": pa.schema([("doc_id", pa.string()), ("term_ids", pa.list_(pa.int32())),
                          ("counts", pa.list_(pa.int32()))]),
        "doc_topics": pa.schema([("run_id", pa.string()), ("doc_id", pa.string()),
                                 ("topic", pa.int32()), ("weight", pa.float64())]),
        "dictionary_scores": pa.schema([
            ("run_id", pa.string()), ("doc_id", pa.string()), ("category", pa.string()),
            ("n_terms", pa.int64()), ("weighted_terms", pa.float64()), ("n_tokens", pa.int64()),
            ("share", pa.float64()), ("share_of_scheme", pa.float64())]),
    }


KINDS = ("documents", "tokens", "bow", "doc_topics", "dictionary_scores")
#: Result kinds that :func:`import_shards` writes into the store.
IMPORTABLE = ("tokens", "doc_topics", "dictionary_scores")


def schema(kind: str):
    """The pyarrow schema of a shard kind."""
    try:
        return _schemas()[kind]
    except KeyError:
        raise UserError(f"unknown shard kind {kind!r}; use one of {', '.join(KINDS)}") from None


def shard_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing and reading one shard
# ---------------------------------------------------------------------------------------------

def write_table(path: str | os.PathLike, table, meta: dict | None = None) -> str:
    """Write a pyarrow table to ``path`` atomically (temporary file, then rename) with ``meta``
    in the schema metadata; returns the file's SHA-256."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if meta is not None:
        table = table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True,
                                                                    ensure_ascii=False)})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Dictionary encoding keeps repeated values (run_id, config_hash, category) nearly free.
    pq.write_table(table, tmp, compression="zstd")
    data = tmp.read_bytes()
    os.replace(tmp, path)
    return sha256_bytes(data)


def read_meta(path: str | os.PathLike) -> dict:
    """The ``zhengce`` provenance stored in a shard's schema metadata ({} when absent)."""
    import pyarrow.parquet as pq

    try:
        md = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return {}
    raw = md.get(META_KEY)
    return json.loads(raw) if raw else {}


def read_table(path: str | os.PathLike, columns: Sequence[str] | None = None):
    """Read one shard; a missing or unreadable file is a :class:`UserError` naming it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=list(columns) if columns else None)
    except FileNotFoundError:
        raise UserError(f"shard {path} does not exist: the shard folder must be readable at the "
                        "same path on every worker (a shared filesystem), or re-run the stage "
                        "that writes it") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"shard {path} is not a readable Parquet file ({exc}); delete it and "
                        "re-run the stage that writes it") from None


# ---------------------------------------------------------------------------------------------
# Shard sets (one kind in one folder) and their manifests
# ---------------------------------------------------------------------------------------------

@dataclass
class ShardSet:
    """The shards of one kind in ``root/kind`` with their manifest."""

    root: Path
    kind: str
    manifest: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.root / self.kind

    @property
    def shards(self) -> list[dict]:
        return list(self.manifest.get("shards", []))

    @property
    def n_documents(self) -> int:
        return int(sum(s["documents"] for s in self.shards))

    def paths(self) -> list[Path]:
        return [self.folder / s["file"] for s in self.shards]

    def iter_tables(self, columns: Sequence[str] | None = None) -> Iterator:
        for path in self.paths():
            yield read_table(path, columns)

    def iter_rows(self, columns: Sequence[str] | None = None) -> Iterator[dict]:
        for table in self.iter_tables(columns):
            yield from table.to_pylist()

    def __len__(self) -> int:
        return len(self.shards)


def shard_set(root: str | os.PathLike, kind: str) -> ShardSet:
    """Open the shards of ``kind`` under ``root`` (reads ``root/kind/manifest.json``)."""
    schema(kind)
    root = Path(root)
    path = root / kind / MANIFEST
    if not path.is_file():
        hint = {"documents": "zhengce shards export --db DB --out DIR",
                "tokens": "zhengce shards segment DIR (or shards export --tokens HASH)",
                "bow": "zhengce shards bow DIR", "doc_topics": "zhengce shards infer DIR --model M",
                "dictionary_scores": "zhengce shards score DIR"}[kind]
        raise UserError(f"no {kind} shards in {root} (missing {path}): run {hint} first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); re-run the stage that writes it") from None
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("kind") != kind:
        raise UserError(f"{path} is not a zhengce {kind} shard manifest (format "
                        f"{manifest.get('format_version')}, kind {manifest.get('kind')!r}); "
                        "re-run the stage that writes it")
    return ShardSet(root=root, kind=kind, manifest=manifest)


def has_shards(root: str | os.PathLike, kind: str) -> bool:
    return (Path(root) / kind / MANIFEST).is_file()


def write_manifest(root: str | os.PathLike, kind: str, shards: list[dict], **extra) -> ShardSet:
    """Write ``root/kind/manifest.json`` (shards sorted by index) and return the set. Shard files
    of this kind that the manifest does not list (left from an earlier, larger run) are removed,
    so the folder never holds results the manifest does not describe."""
    root = Path(root)
    folder = root / kind
    folder.mkdir(parents=True, exist_ok=True)
    shards = sorted(shards, key=lambda s: s["index"])
    listed = {s["file"] for s in shards}
    for stale in folder.glob("part-*.parquet"):
        if stale.name not in listed:
            stale.unlink()
    manifest = {"format_version": FORMAT_VERSION, "kind": kind, "created_at": utcnow(),
                "n_shards": len(shards), "n_documents": int(sum(s["documents"] for s in shards)),
                "shards": shards, **extra}
    tmp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    return ShardSet(root=root, kind=kind, manifest=manifest)


class ShardWriter:
    """Cut a stream of rows into shards of ``rows`` documents; ``close()`` writes the manifest.

    Used by the exports below and by anything that makes a documents folder from another source
    (e.g. a JSONL file: ``with ShardWriter(DIR, 'documents') as w: w.add({...})``).
    """

    def __init__(self, root: str | os.PathLike, kind: str, rows: int = DEFAULT_ROWS,
                 meta: dict | None = None):
        if not isinstance(rows, int) or rows < 1:
            raise UserError(f"rows per shard must be a positive integer, got {rows!r}")
        self.root = Path(root)
        self.kind = kind
        self.schema = schema(kind)
        self.rows = rows
        self.meta = dict(meta or {})
        reserved = sorted(set(self.meta) & RESERVED_MANIFEST_KEYS)
        if reserved:
            raise UserError(f"shard metadata cannot set {', '.join(reserved)}: the writer fills "
                            "those in itself")
        self._buffer: list[dict] = []
        self._shards: list[dict] = []
        self._seen_last: str | None = None
        self.shard_set: ShardSet | None = None
        folder = self.root / kind
        if (folder / MANIFEST).exists():
            (folder / MANIFEST).unlink()  # a half-rewritten folder must not look complete

    def add(self, row: dict) -> None:
        doc_id = row.get("doc_id")
        if not isinstance(doc_id, str) or not doc_id:
            raise UserError(f"shard row {len(self._shards) * self.rows + len(self._buffer)} has "
                            f"no doc_id (got {doc_id!r}): every document needs a non-empty id")
        if self._seen_last is not None and doc_id <= self._seen_last:
            raise UserError(f"doc_id {doc_id!r} comes after {self._seen_last!r}: shard rows must be "
                            "in strictly increasing doc_id order (each document once)")
        self._seen_last = doc_id
        self._buffer.append(row)
        if len(self._buffer) >= self.rows:
            self._flush()

    def add_all(self, rows: Iterable[dict]) -> None:
        for row in rows:
            self.add(row)

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._buffer:
            return
        index = len(self._shards)
        table = pa.Table.from_pylist(
            [{name: r.get(name) for name in self.schema.names} for r in self._buffer],
            schema=self.schema)
        meta = {"kind": self.kind, "index": index, **self.meta}
        name = shard_name(index)
        digest = write_table(self.root / self.kind / name, table, meta)
        self._shards.append({"index": index, "file": name, "documents": len(self._buffer),
                             "rows": table.num_rows, "first_doc_id": self._buffer[0]["doc_id"],
                             "last_doc_id": self._buffer[-1]["doc_id"], "sha256": digest})
        self._buffer = []

    def close(self) -> ShardSet:
        self._flush()
        self.shard_set = write_manifest(self.root, self.kind, self._shards, rows_per_shard=self.rows,
                                        **self.meta)
        return self.shard_set

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()


# ---------------------------------------------------------------------------------------------
# Export from the store
# ---------------------------------------------------------------------------------------------

def _keyset(store: Store, sql_select: str, where: str, params: list, chunk: int,
            select_params: Sequence = ()) -> Iterator[tuple]:
    """Rows of ``sql_select ... where (where) and d.doc_id > ? order by d.doc_id``, ``chunk`` at a
    time: a fresh short query per chunk, so no cursor stays open across shard writes.
    ``select_params`` bind the placeholders of ``sql_select`` (they come first)."""
    last = ""
    while True:
        rows = store.db.execute(f"{sql_select} where ({where}) and d.doc_id > ? "
                                f"order by d.doc_id limit ?",
                                [*select_params, *params, last, chunk]).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def export_documents(store: Store, out: str | os.PathLike, *, rows: int = DEFAULT_ROWS,
                     where: str | None = None, params: Sequence | None = None) -> ShardSet:
    """Write ``doc_id, text`` of the store's documents (optionally those matching the SQL
    condition ``where`` on ``documents d``) to ``out/documents`` in shards of ``rows``."""
    if store.count("documents") == 0:
        raise UserError("the database has no documents to export: load or crawl some first")
    meta = {"source_db": str(store.path), "where": where, "where_params": list(params or [])}
    with ShardWriter(out, "documents", rows, meta=meta) as writer:
        for doc_id, text in _keyset(store, "select d.doc_id, d.text from documents d",
                                    where or "1", list(params or []), min(rows, 2000)):
            writer.add({"doc_id": doc_id, "text": text})
    if writer.shard_set.n_documents == 0:
        raise UserError(f"no documents match where={where!r} (params {list(params or [])}): "
                        "nothing exported; loosen the condition")
    return writer.shard_set


def export_tokens(store: Store, out: str | os.PathLike, config_hash: str, *,
                  rows: int = DEFAULT_ROWS, where: str | None = None,
                  params: Sequence | None = None) -> ShardSet:
    """Write the token cache of one segmentation (``tokens`` under ``config_hash``) to
    ``out/tokens``, so inference or scoring can run on shards of an already segmented corpus.
    The segmenter configuration goes into the manifest (import re-registers it)."""
    cfg = store.db.execute("select config from segmenter_configs where config_hash = ?",
                           [config_hash]).fetchone()
    if cfg is None:
        raise UserError(f"no token cache {config_hash!r} in this store: run zhengce segment first "
                        "or pick a hash from table segmenter_configs")
    meta = {"source_db": str(store.path), "config_hash": config_hash,
            "segmenter_config": json.loads(cfg[0]), "where": where,
            "where_params": list(params or [])}
    sql = ("select d.doc_id, t.config_hash, t.tokens, t.n_tokens, t.text_hash from documents d "
           "join tokens t on t.doc_id = d.doc_id and t.config_hash = ?")
    with ShardWriter(out, "tokens", rows, meta=meta) as writer:
        for row in _keyset(store, sql, where or "1", list(params or []), min(rows, 2000),
                           select_params=[config_hash]):
            writer.add(dict(zip(("doc_id", "config_hash", "tokens", "n_tokens", "text_hash"), row)))
    if writer.shard_set.n_documents == 0:
        raise UserError(f"no tokens under config {config_hash} for the selected documents: "
                        "segment them first (zhengce segment)")
    return writer.shard_set


# ---------------------------------------------------------------------------------------------
# Import into the store
# ---------------------------------------------------------------------------------------------

def check_known_documents(store: Store, doc_ids: list[str], where: str) -> None:
    conn = store.db.conn
    conn.execute("create temp table if not exists _zc_import_ids (doc_id text primary key)")
    conn.execute("delete from _zc_import_ids")
    conn.executemany("insert or ignore into _zc_import_ids values (?)", ((d,) for d in doc_ids))
    missing = conn.execute("select i.doc_id from _zc_import_ids i left join documents d "
                           "on d.doc_id = i.doc_id where d.doc_id is null limit 1").fetchone()
    n_missing = conn.execute("select count(*) from _zc_import_ids i left join documents d "
                             "on d.doc_id = i.doc_id where d.doc_id is null").fetchone()[0]
    conn.execute("delete from _zc_import_ids")
    if missing:
        raise UserError(f"{where}: {n_missing:,} document(s) are not in this database (first: "
                        f"{missing[0]!r}); import into the database the shards were exported from")


def record_imported_run(store: Store, run_id: str, stage: str, params: dict, started_at: str | None,
                finished_at: str | None, summary: dict) -> bool:
    """Record the run that made imported results (once); True when newly recorded."""
    from zhengce.common.manifest import make_manifest

    if store.db["runs"].count_where("run_id = ?", [run_id]):
        return False
    store.db["runs"].insert({
        "run_id": run_id, "stage": stage, "status": "ok", "started_at": started_at or utcnow(),
        "finished_at": finished_at or utcnow(),
        "params": json.dumps(params, ensure_ascii=False, default=str, sort_keys=True),
        "manifest": json.dumps(make_manifest(stage, params, {}, params.get("packages", [])),
                               ensure_ascii=False, default=str, sort_keys=True),
        "summary": json.dumps(summary, ensure_ascii=False, default=str, sort_keys=True)})
    return True


def import_run_rows(store: Store, sset: ShardSet, table_name: str, columns: list[str],
                    stage: str) -> tuple[int, str]:
    """Import the run-keyed result shards ``sset`` (one run id) into ``table_name``; record the
    run that made them. Returns the number of documents and the run id."""
    run_id = sset.manifest.get("run_id")
    if not run_id:
        raise UserError(f"{sset.folder / MANIFEST} has no run_id; re-run the stage that wrote it")
    conn = store.db.conn
    marks = ", ".join("?" * len(columns))
    sql = f"insert or replace into [{table_name}] ({', '.join(columns)}) values ({marks})"
    n = 0
    for path in sset.paths():
        table = read_table(path, columns)
        runs = set(table.column("run_id").unique().to_pylist())
        if runs - {run_id}:
            raise UserError(f"{path} holds rows of run(s) {sorted(runs - {run_id})}, the manifest "
                            f"says {run_id}; re-run the stage that wrote {sset.folder}")
        ids = table.column("doc_id").unique().to_pylist()
        check_known_documents(store, ids, str(path))
        with conn:
            conn.executemany(sql, zip(*(table.column(c).to_pylist() for c in columns)))
        n += len(ids)
    params = dict(sset.manifest.get("params", {}))
    record_imported_run(store, run_id, stage, params, sset.manifest.get("started_at"),
                sset.manifest.get("finished_at"),
                {"n_documents": sset.n_documents, "from_shards": str(sset.folder),
                 **sset.manifest.get("summary", {})})
    return n, run_id
