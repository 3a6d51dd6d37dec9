"""Duplicate and near-duplicate detection.

- *Exact duplicates* (the same document from two sources) share a ``text_hash``
  (:func:`dedupe_hash`): the SHA-256 of the text after folding full-width forms to ASCII and
  removing all whitespace, so a repost that only differs in line breaks or full-width spaces is
  recognized. They are stored once with both provenances.
- *Near duplicates* (reposts with an extra line, a changed header) are found with MinHash over
  character 5-shingles and banded LSH kept in the store (``minhash_bands``), and are *flagged*
  (``near_duplicates`` table, ``documents.repost_of``), never merged.

The MinHash family is multiply-shift hashing on 64-bit shingle hashes, which is 2-universal; with
64 hash functions the standard error of the Jaccard estimate is about 0.06 at J = 0.8.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

SHINGLE = 5
N_PERM = 64
BANDS = 8  # 8 bands x 8 rows: candidate probability 0.99 at J=0.9, 0.0005 at J=0.3
ROWS = N_PERM // BANDS
NEAR_DUPLICATE_THRESHOLD = 0.8

_WS = re.compile(r"\s+")
_NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)

_rng = np.random.default_rng(20011211)  # fixed: signatures must be comparable across runs
_A = (_rng.integers(1, 2**63, size=N_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1))
_B = _rng.integers(0, 2**63, size=N_PERM, dtype=np.uint64)
_POW = np.array([np.uint64(1000003) ** np.uint64(i) for i in range(SHINGLE)], dtype=np.uint64)


# Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space fold to their ASCII forms:
# the part of NFKC that distinguishes reposts of one text, at str.translate speed (NFKC itself
# costs ~1 ms per document because Chinese punctuation is never NFKC-normal).
_WIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def canonical_key(doc: dict) -> tuple[str, str, str]:
    """Which of several copies of one text (the same ``dedupe_hash``, from different sources)
    is the document: the earliest published (``published_date``, else ``issued_date``; undated
    last), then the source, then the source's id. A total order over the copies, so the choice
    does not depend on the order in which a crawl's sites or a load's files deliver them."""
    dates = [doc.get(name) for name in ("published_date", "issued_date")]
    date = next((d for d in dates if isinstance(d, str) and d), "9999-99-99")  # (not NaN)
    return (str(date), str(doc.get("source") or ""), str(doc.get("source_id") or ""))


def fold_width(text: str) -> str:
    return text.translate(_WIDTH_FOLD)


def dedupe_hash(text: str, *, folded: bool = False) -> str:
    """The exact-duplicate key stored as ``documents.text_hash``: SHA-256 of the width-folded
    text with all whitespace removed (``folded=True``: ``text`` is already width-folded). Not
    the token cache's ``text_hash`` (zhengce.nlp.text.segment), which hashes the raw text."""
    canonical = _WS.sub("", text if folded else fold_width(text))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shingle_hashes(text: str, *, unique: bool = True, folded: bool = False) -> np.ndarray:
    """64-bit hashes of the character 5-shingles of the content characters (unique unless
    ``unique=False``: MinHash does not need it, since the minimum over a multiset is the
    minimum over its set)."""
    content = _NOT_CONTENT.sub("", text if folded else fold_width(text))
    codes = np.frombuffer(content.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < SHINGLE:
        codes = np.pad(codes, (0, SHINGLE - len(codes)))
    n = len(codes) - SHINGLE + 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for i in range(SHINGLE):
            h += codes[i:i + n] * _POW[i]
    return np.unique(h) if unique else h


SAMPLE_MOD = 4  # keep shingles whose hash is 0 mod 4: a content-defined 1/4 sample


def minhash(text: str, *, folded: bool = False) -> np.ndarray:
    """A 64-value MinHash signature (uint32) of ``text``.

    Only a content-defined quarter of the shingles is hashed (those with hash % 4 == 0): the
    same shingle is always kept or always dropped, so the estimate stays unbiased for the Jaccard
    similarity of the sampled sets, and signing is four times faster. Short texts (< 1024
    shingles) keep every shingle.
    """
    x = shingle_hashes(text, unique=False, folded=folded)
    if len(x) >= 1024:
        x = x[(x % np.uint64(SAMPLE_MOD)) == 0]
    with np.errstate(over="ignore"):
        values = (_A[:, None] * x[None, :] + _B[:, None]) >> np.uint64(32)
    return values.min(axis=1).astype(np.uint32)


def band_buckets(signature: np.ndarray) -> list[str]:
    """One bucket key per LSH band."""
    return [signature[b * ROWS:(b + 1) * ROWS].tobytes().hex() for b in range(BANDS)]


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def signature_to_blob(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def blob_to_signature(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")
