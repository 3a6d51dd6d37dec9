"""Full-text search that works for Chinese.

SQLite FTS5's default tokenizer finds nothing in unsegmented Chinese and trigram misses
two-character words, so the store indexes a *segmented, space-joined* copy of each title and
body (``search_index``) with the ``unicode61`` tokenizer. Queries are segmented the same way and
every token is quoted (``quote=True``), so user punctuation can never break the FTS syntax.

The index segmenter is the corpus layer's own (a private ``rjieba.Jieba`` instance, HMM off, no
user dictionary); the NLP stage has its own configurable segmenter and token cache. Searching for
a word the index split (e.g. 淘汰落后产能 → 淘汰 落后 产能) still matches, because the query is
split the same way and the tokens are matched as a phrase.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from . import fts_state
from .store import Store

_NON_WORD = frozenset(ch for ch in map(chr, range(0x10000))
                      if unicodedata.category(ch)[0] in "PSZC")


@lru_cache(maxsize=1)
def _segmenter():
    try:
        import rjieba

        instance = rjieba.Jieba()
        return lambda text: instance.cut(text, False)
    except ImportError:  # rjieba is a core dependency, but keep the index usable without it
        import jieba

        tok = jieba.Tokenizer()
        return lambda text: tok.lcut(text, HMM=False)


def segment_for_index(text: str) -> str:
    """Space-joined tokens of ``text`` (punctuation and whitespace dropped)."""
    if not text:
        return ""
    cut = _segmenter()
    # A token is dropped when it starts and ends with punctuation/whitespace (jieba emits runs
    # of punctuation as tokens); two set lookups per token are much cheaper than a regex.
    return " ".join(t for t in cut(text) if not (t[0] in _NON_WORD and t[-1] in _NON_WORD))


STALE_KEY = fts_state.STALE_KEY


def suspend_fts_triggers(store: Store) -> None:
    """Drop the search_index FTS triggers for a bulk load, with the marker that says so, in
    one transaction (:mod:`.fts_state`); :func:`finish_bulk_index` or, after a crash,
    :func:`restore_fts_triggers` puts them back and rebuilds the index."""
    fts_state.suspend(store.db)


def finish_bulk_index(store: Store) -> None:
    """End of a bulk load: rebuild the index and recreate the triggers in one transaction."""
    fts_state.restore(store.db)


def restore_fts_triggers(store: Store) -> str | None:
    """Repair an index left suspended or half-restored by a killed load (idempotent, one
    transaction, one stderr line saying what was repaired). Does nothing while another process
    holds the write lock: the index is then that process's bulk load, still running."""
    if not fts_state.needs_repair(store.db):
        return None
    return " ".join(store.recover()) or None
