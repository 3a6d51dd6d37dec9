"""Ingest: source records → raw_records (unchanged) → tagged documents, deduplicated, indexed.

Every loader and the crawler's storage pipeline go through :class:`Ingestor`, so there is exactly
one implementation of tagging, de-duplication, reject handling and indexing.

The CPU-heavy, per-record work (tagging, hashing, MinHash, segmenting for the full-text index) is
a pure function, :func:`prepare_record`, which runs in worker processes when the input is large;
the parent process is the single writer (it holds the database's write lock for the whole
ingest) and commits each batch in one ``BEGIN IMMEDIATE`` transaction, so a kill mid-run loses at
most the uncommitted batch — and re-running the same load skips what was stored (idempotent).

Every record read is stored or rejected, never both, never neither. A record is rejected, with
its raw payload and the reason, when a field is not text (a JSON list, object, number or
true/false where text belongs), holds a lone surrogate or a control character (U+0000–U+0008,
U+000E–U+001F, U+007F; tab, newlines, vertical tab and form feed are text), or is empty, too
long or untitled. **Conflicting duplicate ids:** within one run the first record with a given
(source, id) wins; a later record with the same id and the same content counts as unchanged,
one with other content is rejected as a conflicting duplicate naming where the first was read
— whatever the batch boundaries. A reject identical to one already stored is not stored again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from .dedupe import (NEAR_DUPLICATE_THRESHOLD, band_buckets, blob_to_signature, canonical_key,
                     estimated_jaccard, dedupe_hash, fold_width, minhash, signature_to_blob)
from zhengce.common.errors import RecordError
from zhengce.common.manifest import sha256_bytes, sha256_text
from zhengce.common.memory import MemoryReport, process_peak
from zhengce.common.parallel import LocalExecutor
from zhengce.common.progress import Progress
from .fts import finish_bulk_index, restore_fts_triggers, suspend_fts_triggers
from .reference import build_reference_tables
from .store import DOCUMENT_COLUMNS, Run, Store, safe_text, to_json, utcnow
from .tagging.traditional import CONVERTED_WARNING, to_simplified

MAX_TEXT_CHARS = 5_000_000
#: near_duplicates.method of a flag between two records of one source with the same text
IDENTICAL = "identical text (same source)"
#: near_duplicates.method of a MinHash flag
NEAR = f"minhash64-char5 >= {NEAR_DUPLICATE_THRESHOLD}"
#: records per write transaction
BATCH_SIZE = 500
#: a load of at least this many records into an empty index builds the index once at the end
BULK_INDEX_MIN_RECORDS = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_KINDS = {list: "a list (JSON array)", dict: "an object (JSON {...})", bool: "true/false",
          int: "a number", float: "a number"}
#: columns that change on every tagging, not with the record's content
VOLATILE = frozenset({"tagged_at", "created_at", "updated_at", "fetched_at", "doc_id", "raw_id",
                      "repost_of"})


def check_text(name: str, value: Any) -> str:
    """``value`` if it is storable text, else a :class:`RecordError` saying what is wrong."""
    if not isinstance(value, str):
        kind = _KINDS.get(type(value), f"a {type(value).__name__}")
        raise RecordError(f"{name!r} is {kind}, not text: map a text column to it")
    bad = _SURROGATE.search(value)
    if bad:
        raise RecordError(f"{name!r} holds a lone surrogate U+{ord(bad.group()):04X} at character "
                          f"{bad.start():,}: not valid Unicode; fix the source's encoding")
    bad = _CONTROL.search(value)
    if bad:
        raise RecordError(f"{name!r} holds the control character U+{ord(bad.group()):04X} at "
                          f"character {bad.start():,}: binary data or a broken export; clean the "
                          "source")
    return value


@dataclass
class SourceRecord:
    """One record as a source delivered it.

    ``fields`` holds the source's metadata as strings under canonical names (``title``, ``text``,
    ``doc_number``, ``issuer``, ``issued_date``, ``published_date``, ``effective_date``,
    ``doc_type``, ``effect_level``, ``validity``, ``category``, and site defaults ``level``,
    ``province``, ``prefecture``, ``county``); ``payload`` is the untouched bytes (HTML, JSON line,
    CSV row as JSON, file bytes) kept in ``raw_records``.
    """

    source: str
    source_id: str
    fields: dict[str, Any]
    payload: bytes
    content_type: str = "application/json"
    source_url: str | None = None
    encoding: str | None = None
    record_ref: str | None = None  # where the record came from, for messages: file:line, URL
    fetched_at: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)  # e.g. LawRefBook header parse results

    @property
    def ref(self) -> str:
        return self.record_ref or f"{self.source}:{self.source_id}"


def make_doc_id(source: str, source_id: str) -> str:
    """Stable id: the first 16 hex digits of SHA-256(source \\x1f source_id)."""
    return sha256_text(f"{source}\x1f{source_id}")[:16]


def raw_id_for(record: SourceRecord) -> str:
    # surrogatepass: an id that is not valid Unicode still hashes (its record is rejected)
    return sha256_bytes(record.source.encode("utf-8", "surrogatepass") + b"\x1f"
                        + str(record.source_id).encode("utf-8", "surrogatepass") + b"\x1f"
                        + bytes(record.payload))[:32]


@dataclass
class Prepared:
    """The result of :func:`prepare_record`: a document row or a reject reason."""

    record: SourceRecord
    raw_id: str
    document: dict | None = None
    sectors: list[dict] = field(default_factory=list)
    signature: bytes | None = None
    search_title: str = ""
    search_body: str = ""
    reject_reason: str | None = None


def prepare_record(record: SourceRecord, *, index_text: bool = True) -> Prepared:
    """Tag, validate and hash one record (pure; runs in worker processes)."""
    from .fts import segment_for_index
    from .tag import tag_fields

    prepared = Prepared(record=record, raw_id=raw_id_for(record))
    try:
        check_text("source", record.source)
        check_text("id", record.source_id)
        text = record.fields.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise RecordError("empty text: the record has no document body")
        for name, value in record.fields.items():
            if value is not None:
                check_text(name, value)
        if len(text) > MAX_TEXT_CHARS:
            raise RecordError(f"text is {len(text):,} characters (limit {MAX_TEXT_CHARS:,}): "
                              "not a single policy document")
        if "\ufffd" in text[:2000] and text[:2000].count("\ufffd") > 20:
            raise RecordError("text contains many U+FFFD replacement characters: wrong encoding; "
                              "set the source's encoding (e.g. gb18030) and load again")
        tagged, sectors = tag_fields(record.fields, hints=record.hints)
        folded = fold_width(text)
        doc = {
            "doc_id": make_doc_id(record.source, record.source_id),
            "source": record.source,
            "source_id": record.source_id,
            "source_url": record.source_url,
            "fetched_at": record.fetched_at,
            "text": text,
            "text_hash": dedupe_hash(folded, folded=True),
            "n_chars": len(text),
            "raw_id": prepared.raw_id,
            "tagged_at": utcnow(),
            "source_fields": json.dumps(
                {**{k: v for k, v in record.fields.items() if k != "text"},
                 **({"_hints": record.hints} if record.hints else {})},
                ensure_ascii=False, sort_keys=True, default=str),
            **tagged,
        }
        if not doc.get("title"):
            raise RecordError("no title: map a title column (or the file name) for this source")
        prepared.document = doc
        prepared.sectors = sectors
        prepared.signature = signature_to_blob(minhash(folded, folded=True))
        if index_text:   # a Traditional text is indexed in Simplified form (tag_fields said so)
            converted = CONVERTED_WARNING in (doc.get("warnings") or "")
            prepared.search_title = segment_for_index(doc["title"])
            prepared.search_body = segment_for_index(to_simplified(text) if converted else text)
    except RecordError as exc:
        prepared.reject_reason = str(exc)
    return prepared


def _prepare_chunk(records: list[SourceRecord]) -> list[Prepared]:
    return [prepare_record(r) for r in records]


def _prepare_chunk_remote(records: list[SourceRecord]) -> tuple[list[Prepared], dict]:
    """In a worker: prepare, then drop what the parent already holds (the record and the text)
    so that only computed values travel back through the pipe; the worker's peak memory rides
    along for the load report."""
    out = _prepare_chunk(records)
    for p in out:
        p.record = None  # type: ignore[assignment]
        if p.document is not None:
            p.document["text"] = None
    return out, process_peak("load worker")


def _reattach(records: list[SourceRecord], remote: tuple[list[Prepared], dict],
              memory: MemoryReport) -> list[Prepared]:
    prepared, peak = remote
    memory.add(peak)
    for record, p in zip(records, prepared):
        p.record = record
        if p.document is not None:
            p.document["text"] = str(record.fields.get("text"))
    return prepared


@dataclass
class LoadReport:
    source: str
    seen: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    #: stored documents whose text arrived again, published earlier, from another source: the
    #: earlier copy became the document, the stored one its duplicate (counted in *stored*)
    replaced: int = 0
    #: per source, its stored documents that became duplicates of an earlier copy this way
    demoted: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    warnings: int = 0
    seconds: float = 0.0
    #: peak memory per process (this one and each tagging worker), VmHWM
    memory: MemoryReport = field(default_factory=lambda: MemoryReport(main_role="load"))

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("source", "seen", "stored", "updated", "unchanged",
                                             "duplicates", "near_duplicates", "replaced",
                                             "rejected",
                                             "warnings", "seconds")}
        out["peak_memory"] = self.memory.as_dict()
        return out

    def line(self) -> str:
        n = max(self.seen, 1)

        def pct(x: int) -> str:
            return f"{x:,} ({100 * x / n:.1f}%)"

        rate = self.seen / self.seconds if self.seconds else 0.0
        return (f"{self.source}: {self.seen:,} records in {self.seconds:.1f}s ({rate:,.0f}/s) — "
                f"stored {pct(self.stored)}, updated {pct(self.updated)}, "
                f"unchanged {pct(self.unchanged)}, duplicates {pct(self.duplicates)}, "
                f"rejected {pct(self.rejected)}; near-duplicates flagged {self.near_duplicates:,}; "
                + (f"earlier copies that took a stored document's place {self.replaced:,}; "
                   if self.replaced else "") +
                f"records with unparsed fields {self.warnings:,}; {self.memory.line()}")


class Ingestor:
    """Store records: one writer, batched commits, idempotent.

    Counting rules (the load report):
    - *stored*: a new document;
    - *updated*: the same (source, source_id) seen before with a different text or metadata;
    - *unchanged*: seen before, identical;
    - *duplicates*: a new (source, source_id) whose text equals a stored document's text: stored
      once, with this record added to ``document_sources`` (relation ``duplicate``). Which copy
      is the document is :func:`canonical_key`'s choice (the earliest published), whatever the
      order of arrival: a copy published earlier than the stored one is *stored* and takes its
      place (counted in *replaced*), and the stored one's record becomes the duplicate;
    - *rejected*: put in ``rejects`` with the reason (once: the same reject is not stored
      again), including a record whose (source, id) this ingest already read with other content
      (the first one wins; read again unchanged, it counts as *unchanged*);
    - near-duplicates (MinHash Jaccard >= 0.8) are stored and flagged: ``repost_of`` names the
      most similar copy published earlier (ties: the earliest), whatever the order of arrival.
    """

    def __init__(self, store: Store, *, run: Run | None = None, batch_size: int | None = None,
                 n_jobs: int | None = None, parallel_threshold: int = 2000,
                 progress: bool | None = None, loader: str = "load", total: int | None = None):
        self.store = store
        self.run = run
        self.batch_size = batch_size or BATCH_SIZE
        #: this ingest's rows in the connection's temporary key table (first id wins)
        self.token = uuid.uuid4().hex
        self.n_jobs = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
        self.parallel_threshold = parallel_threshold
        self.progress = progress
        self.loader = loader
        self.total = total
        self._reference_columns: list[tuple[str, str]] | None = None

    # -- public -----------------------------------------------------------------------------------
    def ingest(self, records: Iterable[SourceRecord], source: str) -> LoadReport:
        with self.store.write_lock(self.loader):
            return self._ingest(records, source)

    def _ingest(self, records: Iterable[SourceRecord], source: str) -> LoadReport:
        report = LoadReport(source=source)
        start = time.monotonic()
        progress = Progress(f"loading {source}", self.total, unit="record", enabled=self.progress)
        batches = _batched(records, self.batch_size)
        # The store's own reference tables (divisions, agencies, sectors) go with its documents;
        # an index left stale by an earlier crashed bulk load is repaired before writing to it.
        build_reference_tables(self.store)
        restore_fts_triggers(self.store)
        # A large load into an empty index builds the FTS index once at the end (about twice as
        # fast as row-by-row triggers). Suspending and finishing are one transaction each; if
        # the process dies in between, the next open, load or search repairs the index.
        _ensure_keys_table(self.store.db)
        bulk_fts = ((self.total or 0) >= min(self.parallel_threshold, BULK_INDEX_MIN_RECORDS)
                    and self.store.count("search_index") == 0)
        if bulk_fts:
            suspend_fts_triggers(self.store)
        try:
            for prepared_batch in self._prepare(batches, report.memory):
                self.write_prepared(prepared_batch, report)
                progress.update(len(prepared_batch), stored=f"{report.stored:,}",
                                rejected=f"{report.rejected:,}")
        finally:
            if bulk_fts:
                finish_bulk_index(self.store)
            with self.store.transaction():
                self.store.db.execute(f"delete from temp.{_KEYS} where ingestor = ?", [self.token])
        progress.close()
        report.seconds = time.monotonic() - start
        report.memory.finish()
        if self.run is not None:
            self.run.memory.merge(report.memory)
        return report

    def reject_record(self, record: SourceRecord | None, reason: str, report: LoadReport, *,
                      source: str, record_ref: str, payload: bytes | None = None) -> None:
        """For loaders: a record that could not even be read (bad CSV row, undecodable file)."""
        report.seen += 1
        report.rejected += 1
        self.store.reject(stage=self.loader, source=source, record_ref=record_ref, reason=reason,
                          payload=payload, run_id=self.run.run_id if self.run else None)

    # -- internals ------------------------------------------------------------------------------
    def _prepare(self, batches: Iterator[list[SourceRecord]],
                 memory: MemoryReport) -> Iterator[list[Prepared]]:
        first = next(batches, None)
        if first is None:
            return
        big = (self.total or 0) >= self.parallel_threshold
        if self.n_jobs <= 1 or not big:
            yield _prepare_chunk(first)
            for batch in batches:
                yield _prepare_chunk(batch)
            return
        # Parallel: at most 2 x n_jobs batches in flight so memory stays flat; results come back
        # in input order, so each meets the records it was computed from (kept here, not sent
        # back through the pipe).
        sent: deque[list[SourceRecord]] = deque()

        def drawn() -> Iterator[list[SourceRecord]]:
            for batch in itertools.chain([first], batches):
                sent.append(batch)
                yield batch

        with LocalExecutor(self.n_jobs, what="tagging", fix="load with fewer --jobs") as executor:
            for result in executor.map(_prepare_chunk_remote, drawn(), ordered=True,
                                       max_in_flight=2 * self.n_jobs):
                yield _reattach(sent.popleft(), result, memory)

    def write_prepared(self, batch: list[Prepared], report: LoadReport) -> None:
        """Decide what each record is (new / updated / unchanged / duplicate / reject), then
        write the whole batch with a few bulk statements in one transaction."""
        db = self.store.db
        now = utcnow()
        pending = _PendingBatch()
        with self.store.transaction():
            _ensure_keys_table(db)
            # Raw is immutable: INSERT OR IGNORE never overwrites an existing raw record. (A
            # record whose id or source is not valid Unicode is kept in its reject only.)
            db.conn.executemany(
                "insert or ignore into raw_records (raw_id, source, source_id, source_url, "
                "content_type, encoding, payload, n_bytes, fetched_at, loader) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(p.raw_id, p.record.source, p.record.source_id, p.record.source_url,
                  p.record.content_type, p.record.encoding, p.record.payload,
                  len(p.record.payload), p.record.fetched_at or now, self.loader)
                 for p in batch if _storable(p.record)])
            for p in batch:
                report.seen += 1
                if p.reject_reason is not None:
                    self._reject(p, p.reject_reason, report, pending)
                    continue
                self._classify(p, report, now, pending)
            pending.flush(db)

    def _reject(self, p: Prepared, reason: str, report: LoadReport,
                pending: "_PendingBatch") -> None:
        report.rejected += 1
        row = self.store.reject_row(stage=self.loader, source=p.record.source,
                                    record_ref=p.record.ref, reason=reason,
                                    payload=p.record.payload,
                                    run_id=self.run.run_id if self.run else None)
        if row is not None:
            pending.rejects.append(row)

    def _first_wins(self, p: Prepared, report: LoadReport, pending: "_PendingBatch") -> bool:
        """False (and the record counted) when this run already read the same (source, id)."""
        doc = p.document
        r = p.record
        content = hashlib.sha256(json.dumps(
            {k: v for k, v in doc.items() if k not in VOLATILE}, ensure_ascii=False,
            sort_keys=True, default=str).encode("utf-8")).hexdigest()
        first = self.store.db.execute(
            f"select content, ref from temp.{_KEYS} where ingestor = ? and source = ? "
            "and source_id = ?", [self.token, r.source, r.source_id]).fetchone()
        if first is None:
            self.store.db.execute(f"insert into temp.{_KEYS} values (?, ?, ?, ?, ?)",
                                  [self.token, r.source, r.source_id, content, safe_text(r.ref)])
            return True
        if first[0] == content:
            report.unchanged += 1
        else:
            self._reject(p, f"conflicting duplicate: id {safe_text(r.source_id)!r} was first read "
                            f"at {first[1]} with other content; the first one is kept (within a "
                            "load the first record with an id wins)", report, pending)
        return False

    def _classify(self, p: Prepared, report: LoadReport, now: str, pending: "_PendingBatch") -> None:
        db = self.store.db
        doc = p.document
        assert doc is not None
        if doc.get("warnings"):
            report.warnings += 1
        r = p.record
        if not self._first_wins(p, report, pending):
            return
        existing = db.execute(
            "select doc_id from document_sources where source = ? and source_id = ?",
            [r.source, r.source_id]).fetchone()
        if existing:
            doc_id = existing[0]
            cur = db.execute("select * from documents where doc_id = ?", [doc_id])
            old = cur.fetchone()
            if old is None:  # provenance of a duplicate: the canonical document holds the text
                report.unchanged += 1
                return
            old_row = dict(zip([d[0] for d in cur.description], old))
            changed = any(old_row.get(k) != v for k, v in doc.items() if k not in VOLATILE)
            if doc_id != doc["doc_id"] or not changed:
                report.unchanged += 1
                return
            doc["created_at"] = old_row.get("created_at")
            doc["updated_at"] = now
            doc["repost_of"] = old_row.get("repost_of")
            pending.updates.append(p)
            report.updated += 1
            return
        # The same text from *another* source is one document with two provenances. Within one
        # source, two records with their own ids are kept apart (the source says they are two
        # documents, e.g. one law filed under two folders) and flagged as identical instead.
        # Which copy is *the* document does not depend on arrival order: the earliest
        # publication (see canonical_key); a later-arriving earlier one takes the document over.
        same = pending.by_hash.get(doc["text_hash"])
        if same is None:
            row = db.execute("select doc_id, source, published_date, issued_date, source_id "
                             "from documents where text_hash = ? order by rowid limit 1",
                             [doc["text_hash"]]).fetchone()
            same = (row[0], row[1], canonical_key(dict(zip(
                ("doc_id", "source", "published_date", "issued_date", "source_id"), row)))) \
                if row else None
        doc["created_at"] = doc["updated_at"] = now
        handed_over = False
        if same and same[1] != r.source:
            if canonical_key(doc) >= same[2]:
                pending.sources.append((same[0], r.source, r.source_id, r.source_url, p.raw_id,
                                        now, "duplicate"))
                report.duplicates += 1
                return
            self._hand_over(same[0], doc["doc_id"], pending)
            report.replaced += 1
            report.demoted[same[1]] = report.demoted.get(same[1], 0) + 1
            handed_over = True
        key = canonical_key(doc)
        near: tuple[str, float, str] | None = None
        later: list[tuple[str, float, str]] = []
        if p.signature is not None:
            near, later = self._near_duplicates(p, key, pending)
        elif same and not handed_over:  # too short to sign: the identical one found by hash
            near = (same[0], 1.0, IDENTICAL)
        if near is not None:
            doc["repost_of"] = near[0]
            pending.near[doc["doc_id"]] = near
            report.near_duplicates += 1
        pending.new.append(p)
        pending.docs[doc["doc_id"]] = p
        pending.by_hash.setdefault(doc["text_hash"], (doc["doc_id"], r.source, key))
        if p.signature is not None:
            sig = blob_to_signature(p.signature)
            pending.signatures[doc["doc_id"]] = sig
            for band, bucket in enumerate(band_buckets(sig)):
                pending.buckets.setdefault((band, bucket), []).append(doc["doc_id"])
        for other, sim, method in later:
            self._repoint(other, doc["doc_id"], sim, method, key, pending, report)
        report.stored += 1

    def _hand_over(self, old_id: str, new_id: str, pending: "_PendingBatch") -> None:
        """The stored copy ``old_id`` of a text stops being the document: a copy published
        earlier (``new_id``, about to be stored) takes its place. Everything that refers to the
        document follows it to ``new_id`` (provenance, near-duplicate flags, crawl state, later
        stages' rows), the old copy's source becomes a ``duplicate`` provenance row, and the rows
        derived from its text (sectors, MinHash, search index) go; the new copy writes its own.
        The old copy's own near-duplicate flag goes too: the new copy, published earlier, finds
        its own (:meth:`_near_duplicates`); flags naming the old copy stay valid for the new one
        (same text, published earlier still)."""
        db = self.store.db
        pending.flush(db)  # the old copy may be in this batch: write it first, then move it
        pending.clear()
        db.execute("delete from near_duplicates where doc_id = ? and method != 'identity'",
                   [old_id])
        for table in ("documents", "document_sectors", "minhash", "minhash_bands", "search_index"):
            db.execute(f"delete from [{table}] where doc_id = ?", [old_id])
        for table, column in self._references():
            db.execute(f"update or replace [{table}] set [{column}] = ? where [{column}] = ?",
                       [new_id, old_id])
        db.execute("update document_sources set relation = 'duplicate' "
                   "where doc_id = ? and relation = 'original'", [new_id])

    def _references(self) -> list[tuple[str, str]]:
        """(table, column) of every column that names a document by its id, other than the
        documents' own key and the rows derived from its text (read from the schema, so the
        tables of later stages — tokens, topics, crawl state — are included as they come)."""
        if self._reference_columns is None:
            derived = {"documents", "document_sectors", "minhash", "minhash_bands", "search_index"}
            found = [("documents", "repost_of")]
            for (name,) in self.store.db.execute(
                    "select name from sqlite_master where type = 'table' and "
                    "sql not like 'CREATE VIRTUAL%' order by name"):
                if name in derived:
                    continue
                columns = [row[1] for row in self.store.db.execute(f"pragma table_info([{name}])")]
                found += [(name, c) for c in ("doc_id", "similar_doc_id") if c in columns]
            self._reference_columns = found
        return self._reference_columns

    def _near_duplicates(self, p: Prepared, key: tuple, pending: "_PendingBatch"
                         ) -> tuple[tuple[str, float, str] | None, list[tuple[str, float, str]]]:
        """The document this one reposts, and the stored ones published after it that it is a
        near duplicate of: ``((doc_id, similarity, method) | None, [(doc_id, similarity,
        method), ...])``.

        The rule does not depend on arrival order: a document's ``repost_of`` is, among the
        documents published before it (:func:`canonical_key`) whose MinHash similarity is at
        least ``NEAR_DUPLICATE_THRESHOLD``, the most similar (ties: the earliest published). LSH
        candidates are symmetric, so a document arriving late still meets every pair."""
        sig = blob_to_signature(p.signature)
        buckets = band_buckets(sig)
        db = self.store.db
        placeholders = " or ".join("(band = ? and bucket = ?)" for _ in buckets)
        params: list[Any] = []
        for band, bucket in enumerate(buckets):
            params += [band, bucket]
        candidates = {row[0] for row in db.execute(
            f"select distinct doc_id from minhash_bands where {placeholders}", params)}
        for band, bucket in enumerate(buckets):
            candidates.update(pending.buckets.get((band, bucket), ()))
        candidates.discard(p.document["doc_id"])
        best: tuple[str, float, str] | None = None
        best_key: tuple | None = None
        later: list[tuple[str, float, str]] = []
        for cand in sorted(candidates):
            if cand in pending.signatures:
                other = pending.signatures[cand]
            else:
                row = db.execute("select signature from minhash where doc_id = ?", [cand]).fetchone()
                if not row:
                    continue
                other = blob_to_signature(row[0])
            sim = estimated_jaccard(sig, other)
            if sim < NEAR_DUPLICATE_THRESHOLD:
                continue
            info = self._document_info(cand, pending)
            method = IDENTICAL if info["text_hash"] == p.document["text_hash"] else NEAR
            if info["key"] > key:
                later.append((cand, sim, method))
            elif best is None or _closer(sim, info["key"], best[1], best_key):
                best, best_key = (cand, sim, method), info["key"]
        return best, later

    def _document_info(self, doc_id: str, pending: "_PendingBatch") -> dict[str, Any]:
        """canonical key, text hash, repost_of and its similarity of a stored document."""
        if doc_id in pending.docs:
            doc = pending.docs[doc_id].document
            flag = pending.near.get(doc_id)
            return {"key": canonical_key(doc), "text_hash": doc["text_hash"],
                    "repost_of": doc.get("repost_of"), "similarity": flag[1] if flag else None}
        row = self.store.db.execute(
            "select d.published_date, d.issued_date, d.source, d.source_id, d.text_hash, "
            "d.repost_of, n.similarity from documents d left join near_duplicates n "
            "on n.doc_id = d.doc_id and n.similar_doc_id = d.repost_of where d.doc_id = ?",
            [doc_id]).fetchone()
        if row is None:
            raise RecordError(f"the near-duplicate index names {doc_id}, which is not in the "
                              "store: run zhengce retag to rebuild it")
        doc = dict(zip(("published_date", "issued_date", "source", "source_id"), row[:4]))
        return {"key": canonical_key(doc), "text_hash": row[4], "repost_of": row[5],
                "similarity": row[6]}

    def _repoint(self, later_id: str, doc_id: str, sim: float, method: str, key: tuple,
                 pending: "_PendingBatch", report: "LoadReport") -> None:
        """``later_id`` (published after ``doc_id``) reposts ``doc_id`` if ``doc_id`` is closer
        to it than what it reposts now (the rule of :meth:`_near_duplicates`)."""
        info = self._document_info(later_id, pending)
        current = info["repost_of"]
        if current is not None:
            current_key = self._document_info(current, pending)["key"]
            if not _closer(sim, key, info["similarity"] or 0.0, current_key):
                return
        else:
            report.near_duplicates += 1
        if later_id in pending.docs:
            pending.docs[later_id].document["repost_of"] = doc_id
            pending.near[later_id] = (doc_id, sim, method)
            return
        db = self.store.db
        db.execute("update documents set repost_of = ? where doc_id = ?", [doc_id, later_id])
        if current is not None:
            db.execute("delete from near_duplicates where doc_id = ? and similar_doc_id = ? "
                       "and method != 'identity'", [later_id, current])
        pending.repointed.append((later_id, doc_id, sim, method))


def _closer(sim: float, key: tuple, other_sim: float, other_key: tuple | None) -> bool:
    """Whether a document (similarity, canonical key) is a better original than another: more
    similar, or as similar and published earlier."""
    return other_key is None or sim > other_sim or (sim == other_sim and key < other_key)


class _PendingBatch:
    """Rows decided for one batch, written with bulk statements by :meth:`flush`."""

    def __init__(self) -> None:
        self.new: list[Prepared] = []
        self.updates: list[Prepared] = []
        self.sources: list[tuple] = []
        #: doc_id -> (similar_doc_id, similarity, method) of this batch's new documents
        self.near: dict[str, tuple[str, float, str]] = {}
        #: near-duplicate flags of stored documents re-pointed to one of this batch's
        self.repointed: list[tuple[str, str, float, str]] = []
        self.docs: dict[str, Prepared] = {}
        self.rejects: list[tuple] = []
        self.by_hash: dict[str, tuple[str, str, tuple]] = {}
        self.signatures: dict[str, Any] = {}
        self.buckets: dict[tuple[int, str], list[str]] = {}

    def clear(self) -> None:
        self.__init__()

    def flush(self, db) -> None:
        if self.rejects:
            db.conn.executemany(
                "insert into rejects (run_id, stage, source, record_ref, reason, payload, created_at) "
                "values (?, ?, ?, ?, ?, ?, ?)", self.rejects)
        columns = list(DOCUMENT_COLUMNS)
        if self.new:
            db.conn.executemany(
                f"insert or replace into documents ({', '.join(columns)}) "
                f"values ({', '.join('?' for _ in columns)})",
                [tuple(p.document.get(c) for c in columns) for p in self.new])
            self.sources += [(p.document["doc_id"], p.record.source, p.record.source_id,
                              p.record.source_url, p.raw_id, p.document["created_at"], "original")
                             for p in self.new]
        for p in self.updates:
            doc = p.document
            sets = ", ".join(f"[{c}] = ?" for c in columns if c != "doc_id")
            db.conn.execute(f"update documents set {sets} where doc_id = ?",
                            [doc.get(c) for c in columns if c != "doc_id"] + [doc["doc_id"]])
        if self.sources:
            db.conn.executemany(
                "insert or ignore into document_sources (doc_id, source, source_id, source_url, "
                "raw_id, first_seen, relation) values (?, ?, ?, ?, ?, ?, ?)", self.sources)
        near = [(d, *flag) for d, flag in self.near.items()] + self.repointed
        if near:
            db.conn.executemany(
                "insert or replace into near_duplicates (doc_id, similar_doc_id, similarity, method) "
                "values (?, ?, ?, ?)", near)
        touched = self.new + self.updates
        if not touched:
            return
        if self.updates:
            upd = [(p.document["doc_id"],) for p in self.updates]
            for table in ("document_sectors", "minhash_bands", "minhash", "search_index"):
                db.conn.executemany(f"delete from {table} where doc_id = ?", upd)
        db.conn.executemany(
            "insert or replace into document_sectors (doc_id, sector_code, matched_terms, n_matches) "
            "values (?, ?, ?, ?)",
            [(p.document["doc_id"], s["sector_code"], s["matched_terms"], s["n_matches"])
             for p in touched for s in p.sectors])
        with_sig = [p for p in touched if p.signature is not None]
        db.conn.executemany("insert or replace into minhash (doc_id, signature) values (?, ?)",
                            [(p.document["doc_id"], p.signature) for p in with_sig])
        db.conn.executemany(
            "insert or replace into minhash_bands (band, bucket, doc_id) values (?, ?, ?)",
            [(b, k, p.document["doc_id"]) for p in with_sig
             for b, k in enumerate(band_buckets(blob_to_signature(p.signature)))])
        # search_index shares the document's rowid, so Datasette can search ``documents``
        # through ``search_index_fts`` (metadata.json: fts_table + fts_pk rowid).
        db.conn.executemany(
            "insert into search_index (rowid, doc_id, title, body) "
            "select rowid, doc_id, ?, ? from documents where doc_id = ?",
            [(p.search_title, p.search_body, p.document["doc_id"]) for p in touched])


#: the connection's temporary table of (source, id) pairs read by each running ingest
_KEYS = "zhengce_ingest_keys"


def _ensure_keys_table(db) -> None:
    db.execute(f"create temp table if not exists {_KEYS} (ingestor text, source text, "
               "source_id text, content text, ref text, primary key (ingestor, source, source_id))")


def _storable(record: SourceRecord) -> bool:
    """Whether the record's text columns are valid Unicode (SQLite stores UTF-8 only)."""
    try:
        for value in (record.source, record.source_id, record.source_url, record.content_type,
                      record.encoding, record.fetched_at):
            if value is not None:
                str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_records(store: Store, records: Iterable[SourceRecord], *, source: str,
                   params: dict | None = None, inputs: dict | None = None,
                   total: int | None = None, progress: bool | None = None,
                   n_jobs: int | None = None, loader: str = "load",
                   on_reject: Callable[[str], None] | None = None) -> LoadReport:
    """Ingest records inside a recorded run; return the load report (also saved in ``runs``)."""
    with store.run(loader, {"source": source, **(params or {})}, inputs=inputs or {}) as run:
        ingestor = Ingestor(store, run=run, total=total, progress=progress, n_jobs=n_jobs,
                            loader=loader)
        report = ingestor.ingest(records, source)
        run.summary.update(report.as_dict())
    return report


def record_from_json(source: str, source_id: str, obj: dict, fields: dict, **kw) -> SourceRecord:
    """Convenience for loaders whose raw record is a JSON object."""
    payload = json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return SourceRecord(source=source, source_id=source_id, fields=fields, payload=payload,
                        content_type="application/json", **kw)


__all__ = ["SourceRecord", "Ingestor", "LoadReport", "ingest_records", "prepare_record",
           "make_doc_id", "record_from_json", "to_json"]
