"""Checks of a topic model's inputs: the dictionary and one validating pass over a BoW corpus."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterator

import numpy as np

from zhengce.common.errors import UserError


logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
RESERVED_LABELS = ("free", "other")
#: Gensim never returns topic weights below this (``minimum_probability`` is floored there too).
MIN_PROBABILITY_FLOOR = 1e-8


class TopicModelWarning(UserWarning):
    """Something about a fit the caller should see: too few updates, seeds missing, empty docs."""





@dataclass
class CorpusStats:
    """What one validating pass over a bag-of-words corpus found."""

    n_docs: int
    n_words: int
    n_empty_docs: int
    word_counts: np.ndarray  # length V, float64: corpus frequency of each dictionary id
    doc_lengths: np.ndarray  # length D, float64: tokens per document


def check_dictionary(dictionary) -> int:
    """Return V after checking that ``dictionary`` is a gensim-like mapping with ids 0..V-1."""
    if not hasattr(dictionary, "token2id") or not hasattr(dictionary, "keys"):
        raise UserError(
            f"dictionary must be a gensim Dictionary (got {type(dictionary).__name__}): "
            "build it with gensim.corpora.Dictionary(token_lists)"
        )
    n = len(dictionary)
    if n == 0:
        raise UserError("the dictionary is empty: build it from a non-empty corpus "
                        "or relax filter_extremes")
    ids = dictionary.keys()
    if min(ids) != 0 or max(ids) != n - 1:
        raise UserError(
            f"dictionary ids are not contiguous 0..{n - 1} (max id {max(ids)}): "
            "call dictionary.compactify() after filtering tokens"
        )
    return n


def check_restartable(corpus, what: str = "corpus") -> int:
    """Return ``len(corpus)``; refuse one-shot iterators, which would silently train on nothing."""
    if iter(corpus) is corpus:
        raise UserError(
            f"{what} is a one-shot iterator (generator): pass a list or a restartable corpus "
            "object (e.g. nlp.text.bow.BowCorpus) whose __iter__ starts a fresh pass"
        )
    try:
        return len(corpus)
    except TypeError:
        raise UserError(f"{what} has no len(): give it a __len__ (restartable corpora must know "
                        "their size) or pass a list") from None


def _plain_bow(doc, n_terms: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, counts) of a document made of (int, int | float) pairs that are plainly valid (ids
    inside the dictionary, finite positive counts), else None: the caller then checks it pair by
    pair and names what is wrong."""
    try:
        ids, counts = zip(*doc)
    except (TypeError, ValueError):
        return None
    if not (all(type(i) is int for i in ids)
            and all(type(c) is int or type(c) is float for c in counts)):
        return None
    id_array = np.fromiter(ids, dtype=np.int64, count=len(ids))
    count_array = np.fromiter(counts, dtype=np.float64, count=len(counts))
    if (id_array.min() < 0 or id_array.max() >= n_terms
            or not np.all(np.isfinite(count_array)) or not np.all(count_array > 0)):
        return None
    return id_array, count_array


def scan_corpus(corpus, n_terms: int, what: str = "corpus", *,
                on_doc: Callable[[int, list, float], None] | None = None) -> CorpusStats:
    """Validate every document of a BoW corpus in one pass and collect counts.

    ``on_doc(d, doc, n_tokens)`` is called with each validated document, so a caller that needs
    the documents too reads the corpus once. Raises :class:`UserError` naming the first bad
    document (0-based position in the corpus).
    """
    declared = check_restartable(corpus, what)
    word_counts = np.zeros(n_terms, dtype=np.float64)
    lengths: list[float] = []
    n_empty = 0
    for d, doc in enumerate(corpus):
        total = 0.0
        if not isinstance(doc, (list, tuple)):
            try:
                doc = list(doc)   # read once: checked here and handed to on_doc
            except TypeError:
                raise UserError(f"{what} document {d} is not a list of (word_id, count) pairs: "
                                "pass dictionary.doc2bow(tokens)") from None
        fast = _plain_bow(doc, n_terms) if doc else None
        if fast is not None:   # the common case, checked and counted in numpy
            np.add.at(word_counts, fast[0], fast[1])
            total = float(fast[1].sum())
        try:
            for word_id, count in (() if fast is not None else doc):
                if isinstance(word_id, (bool, np.bool_)) or not isinstance(word_id, (int, np.integer)):
                    raise UserError(
                        f"{what} document {d}: word id {word_id!r} is not an integer: pass "
                        "bag-of-words lists [(word_id, count), ...] from dictionary.doc2bow")
                if not 0 <= word_id < n_terms:
                    raise UserError(
                        f"{what} document {d}: word id {word_id} is outside the dictionary "
                        f"(ids 0..{n_terms - 1}): build the corpus with the same Dictionary")
                if not (isinstance(count, (int, float, np.integer, np.floating))
                        and math.isfinite(count) and count > 0):
                    raise UserError(
                        f"{what} document {d}: count {count!r} for word id {word_id} is not a "
                        "positive number: pass raw term counts from dictionary.doc2bow")
                word_counts[word_id] += count
                total += count
        except (TypeError, ValueError) as exc:
            raise UserError(f"{what} document {d} is not a list of (word_id, count) pairs "
                            f"({exc}): pass dictionary.doc2bow(tokens)") from None
        if total == 0:
            n_empty += 1
        lengths.append(total)
        if on_doc is not None:
            on_doc(d, doc, total)
    n_docs = len(lengths)
    if n_docs != declared:
        raise UserError(f"{what} reports len() = {declared} but yielded {n_docs} documents: "
                        "fix its __len__ (or the query behind it)")
    if n_docs == 0:
        raise UserError(f"{what} is empty: load and tokenise documents before fitting")
    n_words = int(word_counts.sum())
    if n_words == 0:
        raise UserError(f"every document in {what} is empty: check tokenisation and "
                        "dictionary filtering (filter_extremes may have removed everything)")
    return CorpusStats(n_docs=n_docs, n_words=n_words, n_empty_docs=n_empty,
                       word_counts=word_counts, doc_lengths=np.asarray(lengths, dtype=np.float64))


def normalize_rows(matrix: np.ndarray, what: str) -> np.ndarray:
    """Float64 copy whose rows sum to 1 (the libraries return float32 that sums to 1 ± 1e-6)."""
    out = np.asarray(matrix, dtype=np.float64).copy()
    sums = out.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(sums)) or np.any(sums <= 0):
        bad = int(np.flatnonzero(~(np.isfinite(sums[:, 0]) & (sums[:, 0] > 0)))[0])
        raise RuntimeError(f"{what} row {bad} has no probability mass; the model did not train")
    out /= sums
    return out


def batched(iterable: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` consecutive items (the last may be shorter), drawn lazily.

    ``itertools.batched`` (Python 3.12) where there is one, else ``more_itertools.chunked``,
    else :func:`itertools.islice`: the same runs either way.
    """
    try:
        from itertools import batched as _batched   # Python >= 3.12
    except ImportError:
        try:
            from more_itertools import chunked
        except ImportError:
            iterator = iter(iterable)
            return iter(lambda: list(islice(iterator, size)), [])
        return iter(chunked(iterable, size))
    return (list(run) for run in _batched(iterable, size))
