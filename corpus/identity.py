"""Cross-source identity: the same document held by several sources is one document with several
provenance rows.

Two documents from different sources are the same document when, in turn:

1. their 发文字号 is the same number (prefix, year, serial — however it was bracketed);
2. their issuer agrees (``agency_id``, when both have one);
3. their date agrees (``issued_date``, else ``published_date``, when both have one);
4. their texts agree: Jaccard similarity of character bigrams (whitespace dropped, the first
   ``TEXT_CHARS`` characters) at least ``threshold`` — a source line or a reformatted header
   does not separate them, a different document under a misparsed number does.

The earliest published document of a group (:func:`.dedupe.canonical_key`: publication date,
else issue date, then source and id — not the order in which they were stored) is its canonical
one. :func:`record_identity` adds, for
each other document, a ``document_sources`` row on the canonical document (relation
``same_document``: that source holds it too) and a ``near_duplicates`` row (method
``identity``); the documents themselves are kept, nothing is merged or deleted.
:mod:`.coverage` then counts each group once and lists the sources that hold it.
"""

from __future__ import annotations

import re
from itertools import combinations

import pandas as pd

from .dedupe import canonical_key

TEXT_CHARS = 3000
DEFAULT_THRESHOLD = 0.5
METHOD = "identity"
MATCH_COLUMNS = ["doc_id", "canonical_doc_id", "doc_number", "source", "canonical_source",
                 "similarity"]


def bigrams(text: str | None) -> set[str]:
    compact = re.sub(r"\s+", "", text or "")[:TEXT_CHARS]
    return {compact[i:i + 2] for i in range(len(compact) - 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _agree(a, b) -> bool:
    return not a or not b or a == b


def _candidates(conn) -> pd.DataFrame:
    rows = conn.execute(
        "select rowid, doc_id, source, source_id, source_url, raw_id, created_at, doc_number, "
        "doc_number_prefix, doc_number_year, doc_number_serial, agency_id, issued_date, "
        "published_date from documents where doc_number_serial is not null "
        "and doc_number_prefix is not null").fetchall()
    frame = pd.DataFrame(rows, columns=["stored_order", "doc_id", "source", "source_id", "source_url", "raw_id",
                                        "created_at", "doc_number", "prefix", "year", "serial",
                                        "agency_id", "issued_date", "published_date"])
    frame["year_key"] = frame["year"].fillna(-1).astype(int)
    return frame


def _same(a, b, texts: dict[str, set[str]], threshold: float) -> float | None:
    """The texts' similarity when a and b are the same document, else None."""
    if a.source == b.source or not _agree(a.agency_id, b.agency_id):
        return None
    if a.issued_date and b.issued_date:
        if a.issued_date != b.issued_date:
            return None
    elif not _agree(a.published_date, b.published_date):
        return None
    similarity = jaccard(texts[a.doc_id], texts[b.doc_id])
    return similarity if similarity >= threshold else None


def match_sources(conn, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Every document that is the same as an earlier one of another source (see module
    docstring): doc_id, canonical_doc_id, doc_number, source, canonical_source, similarity."""
    frame = _candidates(conn)
    groups = [g for _, g in frame.groupby(["prefix", "year_key", "serial"], sort=True)
              if g["source"].nunique() > 1]
    if not groups:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    ids = [d for g in groups for d in g["doc_id"]]
    texts = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for doc_id, text in conn.execute(
                f"select doc_id, text from documents where doc_id in ({','.join('?' * len(chunk))})",
                chunk).fetchall():
            texts[doc_id] = bigrams(text)
    matches = []
    for group in groups:
        docs = sorted(group.itertuples(index=False), key=lambda d: canonical_key(d._asdict()))
        canonical: dict[str, str] = {}
        for a, b in combinations(docs, 2):
            if b.doc_id in canonical or a.doc_id in canonical:  # matched: its canonical one decides
                continue
            similarity = _same(a, b, texts, threshold)
            if similarity is not None:
                canonical[b.doc_id] = a.doc_id
                matches.append({"doc_id": b.doc_id, "canonical_doc_id": a.doc_id,
                                "doc_number": a.doc_number, "source": b.source,
                                "canonical_source": a.source, "similarity": round(similarity, 4)})
    return pd.DataFrame(matches, columns=MATCH_COLUMNS)


def record_identity(db, matches: pd.DataFrame) -> int:
    """Provenance rows on the canonical documents (idempotent); returns the rows added."""
    from .store import utcnow

    now = utcnow()
    added = 0
    with db.conn:
        for m in matches.itertuples(index=False):
            other = db.execute("select source, source_id, source_url, raw_id from documents "
                               "where doc_id = ?", [m.doc_id]).fetchone()
            if other is None:
                continue
            cursor = db.execute(
                "insert or ignore into document_sources (doc_id, source, source_id, source_url, "
                "raw_id, first_seen, relation) values (?, ?, ?, ?, ?, ?, 'same_document')",
                [m.canonical_doc_id, *other, now])
            added += cursor.rowcount if cursor.rowcount and cursor.rowcount > 0 else 0
            db.execute("insert or replace into near_duplicates (doc_id, similar_doc_id, "
                       "similarity, method) values (?, ?, ?, ?)",
                       [m.doc_id, m.canonical_doc_id, float(m.similarity), METHOD])
    return added


def canonical_ids(conn) -> dict[str, str]:
    """doc_id -> canonical doc_id for the documents matched across sources."""
    return dict(conn.execute("select doc_id, similar_doc_id from near_duplicates where method = ?",
                             [METHOD]).fetchall())
